"""The project's own data models: every adapter answers with these, never with vendor JSON.

All datetimes are timezone-aware UTC; serialised as ISO-8601 with a trailing ``Z``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer


def _as_utc(value: datetime) -> datetime:
    """Refuse naive datetimes and normalise aware ones to UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must carry a timezone (use UTC, e.g. 2026-03-14T03:07:00Z)")
    return value.astimezone(UTC)


def iso_utc(value: datetime) -> str:
    """Render a UTC datetime as ISO-8601 with seconds and a ``Z`` suffix."""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc), PlainSerializer(iso_utc, return_type=str)]


class Model(BaseModel):
    """Base for all models: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


DeployMethodName = Literal["kubectl", "helm", "argocd", "github_workflow", "git_revert"]


class DeployMethod(Model):
    """How a service is deployed, so a rollback plan can give the exact commands."""

    method: DeployMethodName = "kubectl"
    namespace: str = "default"
    deployment: str = Field(default="", description="kubectl: the Deployment name (default: the service name)")
    release: str = Field(default="", description="helm: the release name (default: the service name)")
    app: str = Field(default="", description="argocd: the Application name (default: the service name)")
    workflow: str = Field(default="", description="github_workflow: the workflow file, e.g. deploy.yml")
    branch: str = Field(default="main", description="git_revert: the branch to revert on")


class TimeWindow(Model):
    """A resolved, absolute UTC window [start, end]."""

    start: UtcDatetime
    end: UtcDatetime

    @property
    def duration(self) -> timedelta:
        """Length of the window."""
        return self.end - self.start

    @classmethod
    def ending_at(cls, end: datetime, length: timedelta) -> TimeWindow:
        """The window of ``length`` that ends at ``end``."""
        return cls(start=end - length, end=end)

    def label(self) -> str:
        """Human form, e.g. ``2026-03-14T02:52:00Z..2026-03-14T03:07:00Z``."""
        return f"{iso_utc(self.start)}..{iso_utc(self.end)}"


SignalName = Literal["requests", "errors", "latency", "route_requests", "route_errors"]


class SignalQuery(Model):
    """One signal for many services, as the engine asks for it.

    ``promql`` is the rendered query for PromQL backends; ``signal`` and the other fields carry
    the same meaning for backends that do not speak PromQL (the replay adapter).
    """

    signal: SignalName
    promql: str
    range_seconds: int = Field(gt=0, description="Width of the rate() window in seconds")
    quantile: float | None = Field(default=None, ge=0, le=1)
    services: tuple[str, ...] = Field(default=(), description="Only these services; empty means all")


class Sample(Model):
    """One element of an instant vector."""

    labels: dict[str, str]
    value: float | None


class Point(Model):
    """One point of a range series."""

    t: UtcDatetime
    v: float | None


class Series(Model):
    """One labelled series over a window."""

    labels: dict[str, str]
    points: list[Point]


class LogLine(Model):
    """One log line, with the labels of the stream it came from."""

    t: UtcDatetime
    line: str
    labels: dict[str, str] = Field(default_factory=dict)


class LogQueryResult(Model):
    """What one log query returned: lines newest first, and whether that was everything in the window."""

    lines: list[LogLine]
    complete: bool = Field(
        default=True, description="False when the source stopped at the line limit, so older lines may be missing"
    )
    source: str = ""


class HealthTarget(Model):
    """A health-check URL of one service."""

    service: str
    url: str
    expected_status: int = 200


class HealthResult(Model):
    """Outcome of one health check."""

    service: str
    url: str
    status: Literal["up", "down", "unknown"]
    http_status: int | None = None
    latency_ms: float | None = None
    checked_at: UtcDatetime
    detail: str = ""


DeployStatus = Literal["in_progress", "succeeded", "failed", "rolled_back"]


class Deploy(Model):
    """One deploy of one service to one environment."""

    id: str
    service: str
    environment: str = ""
    version: str = ""
    previous_version: str = ""
    started_at: UtcDatetime
    finished_at: UtcDatetime | None = None
    status: DeployStatus = "succeeded"
    author: str = ""
    link: str = ""
    source: str = ""
    repo: str = Field(default="", description="Repository of the deployed code: owner/name or a configured clone")
    sha: str = Field(default="", description="Commit deployed")
    previous_sha: str = Field(default="", description="Commit that was running before")
    detail: str = Field(default="", description="What the source adds, e.g. cancelled, or app health Degraded")


ChangeKind = Literal["added", "modified", "deleted", "renamed"]
FileCategory = Literal["code", "config", "dependency", "infrastructure", "migration", "feature_flag", "docs", "tests"]


class ChangedFile(Model):
    """One file changed between two commits, with what kind of file it is."""

    path: str
    change: ChangeKind
    category: FileCategory
    additions: int = 0
    deletions: int = 0
    previous_path: str = ""


class Commit(Model):
    """One commit of a change set (first line of its message only)."""

    sha: str
    author: str = ""
    message: str = ""
    committed_at: UtcDatetime | None = None


class ChangeSet(Model):
    """What a deploy changed: the commits and files between the previous and the deployed commit."""

    repo: str
    base: str
    head: str
    commits: list[Commit]
    files: list[ChangedFile]
    truncated: bool = False
    note: str = Field(default="", description="e.g. history was rewritten and the merge base was used")
    source: str = ""


class ChatMessage(Model):
    """One message of an incident chat channel (a thread reply carries its parent's ``thread_ts``)."""

    channel: str
    ts: str = Field(description="The message's id in its channel (Slack's ts)")
    thread_ts: str = ""
    user: str = ""
    text: str
    posted_at: UtcDatetime
    edited_at: UtcDatetime | None = None
    reactions: list[str] = Field(default_factory=list, description="Emoji names, without colons")
    link: str = ""


ComponentStatus = Literal["operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"]
PublicState = Literal["investigating", "identified", "monitoring", "resolved"]


class ChatHistory(Model):
    """What one read of a chat channel returned, and the cursor for the next read."""

    messages: list[ChatMessage]
    cursor: str | None = Field(description="Where the next read starts; the given cursor when nothing new arrived")
    complete: bool = Field(
        default=True, description="False when the source stopped at a page cap, so older messages may be missing"
    )


class StatusUpdate(Model):
    """One public status-page update: Statuspage's incident states and per-component statuses."""

    incident_key: str = Field(description="Our incident id; the sink maps it to its own incident")
    title: str
    status: PublicState
    body: str
    components: dict[str, ComponentStatus] = Field(default_factory=dict, description="Public component -> status")
    remote_id: str = Field(default="", description="The status page's incident id, once created")


class EmailMessage(Model):
    """One plain-text email."""

    to: list[str]
    subject: str
    body: str
    sender: str = ""


class PostResult(Model):
    """What an outside system answered to a post: where it landed and its id there."""

    target: str = Field(description="e.g. slack:#inc-42, statuspage:<page>, email:exec@example.com, static:<dir>")
    remote_id: str
    link: str = ""
    posted_at: UtcDatetime
    note: str = Field(default="", description="What did not go as asked, e.g. recipients the server refused")


class ProviderEvent(Model):
    """An incident or degraded component published by a cloud or SaaS provider."""

    provider: str
    id: str
    title: str
    status: str
    impact: str = "none"
    started_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None
    resolved_at: UtcDatetime | None = None
    components: list[str] = Field(default_factory=list)
    link: str = ""


class Alert(Model):
    """A firing alert."""

    name: str
    state: Literal["firing", "suppressed", "resolved"] = "firing"
    severity: str = ""
    service: str = ""
    summary: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    starts_at: UtcDatetime
    ends_at: UtcDatetime | None = None
    fingerprint: str = ""
    link: str = ""


SourceState = Literal["ok", "error", "timeout", "skipped"]


class SourceStatus(Model):
    """How one source answered during a multi-source call."""

    source: str
    capability: str
    status: SourceState
    detail: str = ""
    elapsed_ms: float = 0.0
    queries: int = 0


def utcnow() -> datetime:
    """The current time in UTC, truncated to whole seconds."""
    return datetime.now(UTC).replace(microsecond=0)
