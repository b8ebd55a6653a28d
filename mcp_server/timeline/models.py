"""What a timeline sync reports: per source, how many events it created, updated, left alone or flagged."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from adapters.models import Model, TimeWindow, UtcDatetime

SourceKind = Literal["chat", "alert_inbox", "alerts", "deploys"]
Outcome = Literal["created", "updated", "unchanged"]


class SourceSync(Model):
    """How one source went during a sync."""

    source: str = Field(description="Adapter name, or 'webhook' for the alert inbox")
    capability: SourceKind
    status: Literal["ok", "error", "skipped"]
    detail: str = ""
    read_from: UtcDatetime | None = Field(default=None, description="Where this sync started reading")
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = Field(default=0, description="Events newly flagged deleted at the source")
    cursor: str | None = Field(default=None, description="Stored cursor after the sync (chat sources)")


class SyncResult(Model):
    """The outcome of one ``sync_timeline``: totals, the window read, and every source's status."""

    incident_id: str
    window: TimeWindow = Field(description="Incident start minus 30 minutes .. now")
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    partial: bool = Field(default=False, description="A source failed; what it had stored is kept, sync again")
    sources: list[SourceSync] = Field(default_factory=list)

    @classmethod
    def of(cls, incident_id: str, window: TimeWindow, sources: list[SourceSync]) -> SyncResult:
        """Totals summed over ``sources``."""
        return cls(
            incident_id=incident_id,
            window=window,
            created=sum(s.created for s in sources),
            updated=sum(s.updated for s in sources),
            unchanged=sum(s.unchanged for s in sources),
            deleted=sum(s.deleted for s in sources),
            partial=any(s.status == "error" for s in sources),
            sources=sources,
        )


class Tally:
    """Counts outcomes while a source is being written; turned into a ``SourceSync`` at the end."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}

    def add(self, outcome: str) -> None:
        """Count one outcome (created, updated, unchanged or deleted)."""
        self.counts[outcome] += 1

    def result(self, base: dict[str, Any], **fields: Any) -> SourceSync:
        """The source's ``SourceSync``: ``base`` (source, capability), ``fields`` and the counts so far."""
        return SourceSync.model_validate({**base, **fields, **self.counts})
