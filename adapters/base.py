"""Capability protocols: small, one per kind of data the workflows consume.

An adapter implements one or more of them and declares which in ``capabilities``. Nothing here
needs subclassing: a third-party adapter only has to have these methods (see docs/writing-adapters.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar, Literal, Protocol, get_args, runtime_checkable

import httpx
from pydantic import BaseModel

from adapters.models import (
    Alert,
    ChangeSet,
    ChatHistory,
    Deploy,
    EmailMessage,
    HealthResult,
    HealthTarget,
    LogQueryResult,
    PostResult,
    ProviderEvent,
    Sample,
    Series,
    SignalQuery,
    StatusUpdate,
    TimeWindow,
)

Capability = Literal[
    "metrics",
    "health",
    "deploys",
    "provider_events",
    "alerts",
    "changes",
    "chat",
    "chat_post",
    "status_post",
    "email",
    "logs",
]
CAPABILITIES: tuple[Capability, ...] = get_args(Capability)


class AdapterContext(BaseModel):
    """What the host gives every adapter besides its own settings."""

    model_config = {"arbitrary_types_allowed": True, "frozen": True}

    base_dir: Path
    """Directory that relative paths in the adapter's settings are resolved against."""


@runtime_checkable
class Adapter(Protocol):
    """What every adapter class provides, whatever its capabilities."""

    config_model: ClassVar[type[BaseModel]]
    capabilities: ClassVar[frozenset[str]]
    name: str

    def __init__(self, name: str, config: BaseModel, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Build the adapter from its validated settings and the shared HTTP client."""

    async def check(self) -> str:
        """A cheap probe for ``firstfifteen doctor``: return what answered, raise AdapterError if not."""


@runtime_checkable
class MetricsSource(Protocol):
    """A time-series backend that answers one signal for many services per query."""

    name: str

    async def instant(self, query: SignalQuery, at: datetime) -> list[Sample]:
        """Evaluate ``query`` at one moment."""

    async def range(self, query: SignalQuery, window: TimeWindow, step: timedelta) -> list[Series]:
        """Evaluate ``query`` over ``window`` every ``step``."""

    def query_link(self, promql: str, window: TimeWindow) -> str:
        """A link that opens ``promql`` over ``window`` in the backend's UI ('' when it has none)."""


@runtime_checkable
class PromQLSource(Protocol):
    """Optional extra of a metrics source: a range query of any PromQL, not only the configured signals.

    Not a capability of its own (nothing declares it): ``query_metric`` checks the metrics source
    with ``isinstance`` and, without it, asks for a configured signal instead (the replay answers
    only those).
    """

    async def range_promql(self, promql: str, window: TimeWindow, step: timedelta) -> list[Series]:
        """Evaluate ``promql`` over ``window`` every ``step``."""


@runtime_checkable
class LogsSource(Protocol):
    """A log store that answers LogQL (capability "logs")."""

    name: str

    async def query_logs(self, logql: str, window: TimeWindow, limit: int) -> LogQueryResult:
        """The newest ``limit`` lines in ``window`` matching the log query ``logql``, newest first;
        ``complete`` is False when the limit cut the answer short."""


@runtime_checkable
class HealthChecker(Protocol):
    """Runs the services' health checks."""

    name: str

    def accepts(self, url: str) -> bool:
        """Whether this checker owns health URLs like ``url`` (its scheme): each target goes to one checker."""

    async def check_health(self, targets: list[HealthTarget], at: datetime) -> list[HealthResult]:
        """Check every target concurrently; a target that cannot be checked is ``unknown``."""


@runtime_checkable
class DeploySource(Protocol):
    """A log of deploys."""

    name: str

    async def list_deploys(self, window: TimeWindow) -> list[Deploy]:
        """Deploys that started or finished inside ``window``."""


@runtime_checkable
class ProviderEventSource(Protocol):
    """Incidents published by the cloud and SaaS providers a system depends on."""

    name: str

    async def list_events(self, window: TimeWindow) -> list[ProviderEvent]:
        """Provider incidents open at any moment of ``window``."""


@runtime_checkable
class AlertSource(Protocol):
    """Alerts from the alerting system."""

    name: str
    service_label: str
    """The alert label that names the service (the timeline matches webhook alerts with it too)."""

    async def list_alerts(self, at: datetime) -> list[Alert]:
        """Alerts active at ``at``."""


@runtime_checkable
class ChangeSource(Protocol):
    """Where the code of deployed services lives: answers what changed between two commits."""

    name: str

    def knows(self, repo: str) -> bool:
        """Whether this source can answer for ``repo`` (owner/name, or a configured clone name)."""

    async def get_changes(self, repo: str, base: str, head: str, paths: tuple[str, ...] = ()) -> ChangeSet:
        """Commits and files in ``base..head``; raise NotFoundError naming the missing commit.

        ``paths`` (globs) is a hint: the source may leave out files outside them, and the caller
        filters anyway, so a source that cannot narrow its answer simply ignores it.
        """


@runtime_checkable
class CodeOwnersSource(Protocol):
    """Optional extra of a change source: the repo's CODEOWNERS text.

    Not a capability of its own (nothing declares it): the deploy ranking checks each change
    source with ``isinstance`` and skips those without it, falling back to the services' path globs.
    """

    async def codeowners(self, repo: str) -> str | None:
        """The CODEOWNERS text of ``repo``, looked up where GitHub looks (.github/, the root, docs/); None if absent."""


CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


@runtime_checkable
class ChatSource(Protocol):
    """An incident chat channel to read (capability "chat")."""

    name: str

    async def history(self, channel: str, oldest: datetime, cursor: str | None) -> ChatHistory:
        """Messages and thread replies since ``oldest`` (or after ``cursor``), the cursor for the next sync,
        and whether the read was complete (a source that stopped at a page cap says so)."""


@runtime_checkable
class ChatSink(Protocol):
    """Where internal chat updates are posted (capability "chat_post")."""

    name: str

    async def post_message(self, channel: str, text: str) -> PostResult:
        """Post ``text``; called only after the responder confirmed, and at most once per draft."""


@runtime_checkable
class StatusPageSink(Protocol):
    """A public status page (capability "status_post")."""

    name: str

    async def post_update(self, update: StatusUpdate) -> PostResult:
        """Create the incident (no ``remote_id``) or update it, with its component statuses."""


@runtime_checkable
class EmailSink(Protocol):
    """Outgoing email (capability "email")."""

    name: str

    async def send(self, message: EmailMessage) -> PostResult:
        """Send one message."""


PROTOCOLS: dict[Capability, type] = {
    "metrics": MetricsSource,
    "health": HealthChecker,
    "deploys": DeploySource,
    "provider_events": ProviderEventSource,
    "alerts": AlertSource,
    "changes": ChangeSource,
    "chat": ChatSource,
    "chat_post": ChatSink,
    "status_post": StatusPageSink,
    "email": EmailSink,
    "logs": LogsSource,
}
"""The Protocol an adapter declaring each capability must satisfy (checked when the runtime is built)."""


def missing_members(adapter: object, capability: Capability) -> list[str]:
    """The members of ``capability``'s Protocol that ``adapter`` lacks (empty when it satisfies it)."""
    protocol = PROTOCOLS[capability]
    wanted = [n for n in protocol.__dict__.get("__annotations__", {})] + [
        n for n, v in vars(protocol).items() if callable(v) and not n.startswith("_")
    ]
    return sorted({n for n in wanted if not hasattr(adapter, n)})


STEP_DEFAULT = timedelta(minutes=1)
