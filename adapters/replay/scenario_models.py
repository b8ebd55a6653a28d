"""The parts of a fixture scenario: services, events, deploys and their changes, alerts, expectations.

These are the leaf models of ``scenario.yaml`` (docs/scenarios.md); :mod:`adapters.replay.scenario` holds
the whole :class:`~adapters.replay.scenario.Scenario`, its cross-checks and the loader, and re-exports
everything here, so ``from adapters.replay.scenario import ScenarioDeploy`` keeps working.

Times arrive already resolved to aware UTC (the scenario resolves offsets from its anchor before
these models see them).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from adapters.models import ChangeKind, DeployStatus, Model, UtcDatetime

Health = Literal["up", "down"]
LOG_PLACEHOLDERS = ("uuid", "hex", "id", "n", "ms", "ip")
"""What a log template may hold in braces, each filled per line (see adapters.replay.logs)."""
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
SHA_PATTERN = r"^[0-9a-f]{40}$"
"""A full commit id: 40 lowercase hex digits."""


class Traffic(Model):
    """A service's normal request rate: a daily wave, lower at weekends."""

    rps: float = Field(gt=0, description="Requests per second at the daily peak, on a weekday")
    daily_amplitude: float = Field(default=0.5, ge=0, le=1, description="Share lost at the nightly trough")
    weekly_amplitude: float = Field(default=0.2, ge=0, le=1, description="Share lost on Saturday and Sunday")
    peak_hour_utc: float = Field(default=15.0, ge=0, lt=24)


class LatencyMs(Model):
    """A log-normal latency distribution given by two of its quantiles, in milliseconds."""

    p50: float = Field(gt=0)
    p99: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> LatencyMs:
        if self.p99 <= self.p50:
            raise ValueError(f"latency_ms: p99 ({self.p99}) must be above p50 ({self.p50})")
        return self

    @property
    def sigma(self) -> float:
        """The log-normal shape parameter: ln(p99/p50) over the 99th percentile of N(0, 1)."""
        return math.log(self.p99 / self.p50) / 2.3263478740408408


class ScenarioService(Model):
    """One service of the story, its normal behaviour, and where its code lives."""

    name: str
    depends_on: list[str] = Field(default_factory=list)
    team: str = ""
    status_component: str = ""
    traffic: Traffic
    error_ratio: float = Field(default=0.001, ge=0, le=1, description="Normal share of 5xx answers")
    latency_ms: LatencyMs
    routes: dict[str, float] = Field(min_length=1, description="route -> share of the service's traffic")
    health: Health = "up"
    repo: str = Field(default="", description="Repository of its code (owner/name); its deploys default to it")
    paths: list[str] = Field(default_factory=list, description="Globs of the repo paths it owns")
    route_paths: dict[str, list[str]] = Field(
        default_factory=dict, description="route -> globs of the code serving it (the config's routes)"
    )
    deploy: dict[str, Any] | None = Field(default=None, description="How it is deployed (the config's deploy)")
    providers: list[str] = Field(default_factory=list, description="Outside providers it calls (the config's)")

    @field_validator("routes")
    @classmethod
    def _shares(cls, routes: dict[str, float]) -> dict[str, float]:
        if any(share <= 0 for share in routes.values()):
            raise ValueError("every route share must be above 0")
        total = sum(routes.values())
        if abs(total - 1) > 0.01:
            raise ValueError(f"route shares must add up to 1 (they add up to {total:g})")
        return {route: share / total for route, share in routes.items()}

    @model_validator(mode="after")
    def _route_paths_are_routes(self) -> ScenarioService:
        unknown = [route for route in self.route_paths if route not in self.routes]
        if unknown:
            raise ValueError(f"route_paths: {unknown} are not routes of {self.name} ({list(self.routes)})")
        return self


class ScenarioEvent(Model):
    """A change to one service between two moments (``from`` and ``to``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    service: str
    start: UtcDatetime = Field(alias="from")
    end: UtcDatetime = Field(alias="to")
    repeat: Literal["daily"] | None = Field(default=None, description="Recurs at the same UTC time every day")
    since: UtcDatetime | None = Field(default=None, description="repeat only: no occurrence starts before this")
    error_ratio: float | None = Field(default=None, ge=0, le=1)
    error_routes: list[str] = Field(default_factory=list, description="Errors only on these routes")
    latency_factor: float = Field(default=1.0, gt=0)
    traffic_factor: float = Field(default=1.0, ge=0)
    health: Health | None = None

    @model_validator(mode="after")
    def _since_starts_a_repeat(self) -> ScenarioEvent:
        if self.since is not None and self.repeat is None:
            raise ValueError("since: only for an event with repeat: daily")
        if self.since is not None and self.since > self.start:
            raise ValueError("since: must be at or before 'from', the occurrence the event itself describes")
        return self

    def active(self, moment: datetime) -> bool:
        """Whether the event is in force at ``moment`` (``from`` and ``to`` included)."""
        if self.repeat == "daily":
            shift = math.floor((moment - self.start) / timedelta(days=1))
            if self.since is not None and self.start + timedelta(days=shift) < self.since:
                return False  # that day's occurrence is before the job first ran
            moment = moment - timedelta(days=shift)
        return self.start <= moment <= self.end


class ScenarioLogs(Model):
    """Log lines one service writes at a rate between two moments, from a few templates.

    Without ``from`` the lines start with the metric series, without ``to`` they go on to their end:
    that is the service's everyday noise. Each line has the stream labels ``service`` and ``level``
    and the entry's ``labels``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    service: str
    start: UtcDatetime | None = Field(default=None, alias="from")
    end: UtcDatetime | None = Field(default=None, alias="to")
    per_minute: float = Field(gt=0, le=600, description="Lines written per minute, on average")
    level: str = Field(default="error", min_length=1)
    labels: dict[str, str] = Field(default_factory=dict, description="Extra stream labels")
    templates: list[str] = Field(min_length=1, description="Lines with {uuid}, {hex}, {id}, {n}, {ms} or {ip}")

    @field_validator("templates")
    @classmethod
    def _known_placeholders(cls, templates: list[str]) -> list[str]:
        for template in templates:
            unknown = [p for p in _PLACEHOLDER.findall(template) if p not in LOG_PLACEHOLDERS]
            if unknown:
                raise ValueError(f"{template!r}: unknown placeholders {unknown} (known: {list(LOG_PLACEHOLDERS)})")
        return templates

    @model_validator(mode="after")
    def _own_labels(self) -> ScenarioLogs:
        if {"service", "level"} & set(self.labels):
            raise ValueError("labels: service and level are set from the entry itself")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("'to' must be after 'from'")
        return self

    def active(self, moment: datetime) -> bool:
        """Whether the service writes these lines at ``moment``."""
        return (self.start is None or self.start <= moment) and (self.end is None or moment <= self.end)


class FileChange(Model):
    """One file a commit touched, as ``git diff --numstat`` would count it."""

    path: str = Field(min_length=1)
    change: ChangeKind = "modified"
    additions: int = Field(default=0, ge=0, description="Lines added")
    deletions: int = Field(default=0, ge=0, description="Lines removed; for a deleted file, all its lines")
    previous_path: str = Field(default="", description="renamed: where the file was before")

    @model_validator(mode="after")
    def _consistent(self) -> FileChange:
        if self.change == "renamed" and not self.previous_path:
            raise ValueError(f"{self.path}: a renamed file needs previous_path (where it was before)")
        if self.change != "renamed" and self.previous_path:
            raise ValueError(f"{self.path}: previous_path is only for change 'renamed', not {self.change!r}")
        if self.change == "renamed" and self.previous_path == self.path:
            raise ValueError(f"{self.path}: renamed to itself")
        if self.change == "added" and self.deletions:
            raise ValueError(f"{self.path}: an added file has no deletions")
        if self.change == "deleted" and (self.additions or not self.deletions):
            raise ValueError(f"{self.path}: a deleted file has no additions, and deletions = its line count (>= 1)")
        if self.change == "modified" and not (self.additions or self.deletions):
            raise ValueError(f"{self.path}: a modified file adds or deletes at least one line")
        return self


class DeployCommit(Model):
    """One commit of a deploy; ``at`` defaults to shortly before the deploy started."""

    message: str = Field(min_length=1)
    author: str = Field(default="", description="Default: the deploy's author")
    at: UtcDatetime | None = None
    files: list[FileChange] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_change_per_path(self) -> DeployCommit:
        paths = [f.path for f in self.files] + [f.previous_path for f in self.files if f.previous_path]
        dupes = sorted({p for p in paths if paths.count(p) > 1})
        if dupes:
            raise ValueError(f"files: {dupes} appear more than once in one commit")
        return self


class ScenarioDeploy(Model):
    """A deploy as the deploy log records it, with the commits it shipped."""

    id: str
    service: str
    environment: str = "production"
    version: str = ""
    previous_version: str = ""
    started: UtcDatetime
    finished: UtcDatetime | None = None
    status: DeployStatus = "succeeded"
    author: str = ""
    link: str = ""
    repo: str = Field(default="", description="Default: the service's repo")
    sha: str = Field(default="", description="Commit deployed; default: its last commit (a fake, stable SHA)")
    previous_sha: str = Field(default="", description="Commit running before; default: the previous deploy's")
    changes: list[DeployCommit] = Field(default_factory=list, description="Commits shipped, oldest first")

    @field_validator("sha", "previous_sha")
    @classmethod
    def _full_sha(cls, value: str) -> str:
        if value and not _is_sha(value):
            raise ValueError(f"{value!r} is not a full commit id (40 lowercase hex digits)")
        return value


def _is_sha(value: str) -> bool:
    return len(value) == 40 and all(c in "0123456789abcdef" for c in value)


class ScenarioAlert(Model):
    """One firing period of an alert; a flapping alert is several entries with the same name."""

    name: str
    service: str
    severity: str = "warning"
    starts: UtcDatetime
    ends: UtcDatetime | None = None
    summary: str = ""
    labels: dict[str, str] = Field(default_factory=dict)


class ScenarioProviderEvent(Model):
    """An incident published by a cloud or SaaS provider."""

    provider: str
    id: str
    title: str
    status: str = Field(default="investigating", description="Status while it is open")
    impact: str = "minor"
    started: UtcDatetime
    resolved: UtcDatetime | None = None
    components: list[str] = Field(default_factory=list)
    link: str = ""


class Page(Model):
    """What paged the responder."""

    service: str
    summary: str


class Expected(Model):
    """What triage must find; ``degraded`` is complete, ``healthy`` lists services judged healthy.

    ``culprit`` is set only in deploy-correlation stories: the deploy that caused the incident, or
    null when no deploy did (``judges_deploys`` tells the two "nothing" apart).
    """

    degraded: list[str] = Field(default_factory=list)
    roots: list[str] = Field(default_factory=list)
    symptoms: list[str] = Field(default_factory=list)
    healthy: list[str] = Field(default_factory=list)
    culprit: str | None = Field(default=None, description="Deploy id of the cause; null: no deploy implicated")

    @property
    def judges_deploys(self) -> bool:
        """Whether the story says which deploy (or none) caused it: ``culprit`` was written, even as null."""
        return "culprit" in self.model_fields_set
