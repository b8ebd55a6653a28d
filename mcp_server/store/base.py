"""The contract every incident-store backend fulfils (SQLite today, PostgreSQL later).

The API is synchronous on purpose: the MCP tools call it from worker threads, and both SQLite and
a PostgreSQL driver block anyway. Implementations must be safe to call from many threads at once
and from several processes sharing one database.

Errors are the store's own (``mcp_server/store/errors.py``): an unknown incident is
``RecordNotFoundError`` (its hint lists recent ids); a bad argument is ``InvalidRecordError``; a
database that cannot be reached or stays locked is ``StoreUnavailableError``; a database written by
a newer firstfifteen is ``SchemaVersionError``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

from adapters.models import PostResult, iso_utc
from mcp_server.coordination.models import Coordination, RoleAssignment, RoleName, WorkItem
from mcp_server.hypotheses.models import Evidence, Hypothesis
from mcp_server.store.errors import InvalidRecordError
from mcp_server.store.models import (
    STATUSES,
    Audience,
    Draft,
    DraftIn,
    EventRevision,
    InboxAlert,
    InboxAlertIn,
    Incident,
    IncidentDraft,
    Status,
    TimelineEntry,
    TimelineEvent,
    UpsertOutcome,
)

DEFAULT_INCIDENT_LIMIT = 20
MAX_INCIDENT_LIMIT = 500
DEFAULT_TIMELINE_LIMIT = 200
MAX_TIMELINE_LIMIT = 5_000
RECENT_IDS_IN_HINT = 10


@runtime_checkable
class IncidentStore(Protocol):
    """Where incidents and their timelines are recorded."""

    def declare_incident(self, draft: IncidentDraft) -> Incident:
        """Create an incident with the next ``INC-<n>`` id and its ``declared`` timeline event, atomically."""
        ...

    def get_incident(self, incident_id: str) -> Incident:
        """The incident, or RecordNotFoundError whose hint lists the most recent ids."""
        ...

    def list_incidents(
        self, status: Status | None = None, limit: int = DEFAULT_INCIDENT_LIMIT
    ) -> tuple[list[Incident], bool]:
        """Most recently declared first; the flag says more matched than ``limit``."""
        ...

    def append_event(self, incident_id: str, entry: TimelineEntry) -> tuple[TimelineEvent, bool]:
        """Record one event; with a ``source_id`` a repeat returns the existing event and False."""
        ...

    def get_timeline(
        self,
        incident_id: str,
        kinds: Iterable[str] | None = None,
        sources: Iterable[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = DEFAULT_TIMELINE_LIMIT,
    ) -> tuple[list[TimelineEvent], bool]:
        """Events in [start, end] ordered by occurred_at then id; the flag says more matched than ``limit``."""
        ...

    def set_status(self, incident_id: str, status: Status, actor: str, occurred_at: datetime | None = None) -> Incident:
        """Change the status and record a ``status_changed`` event (at ``occurred_at``, default now);
        setting the current status is a no-op."""
        ...

    # -- timeline sync: edits and deletions with history, cursors, the alert inbox ---------------

    def upsert_event(
        self, incident_id: str, entry: TimelineEntry, *, changed_at: datetime | None = None
    ) -> tuple[TimelineEvent, UpsertOutcome]:
        """Record or update the event with ``entry.source_id``; a change keeps the previous version as a revision."""
        ...

    def mark_deleted(self, incident_id: str, source: str, source_id: str, deleted_at: datetime) -> bool:
        """Flag the event deleted (text kept, a revision recorded); False if unknown or already flagged."""
        ...

    def get_revisions(self, event_id: int) -> list[EventRevision]:
        """Earlier versions of one event, oldest first."""
        ...

    def get_cursor(self, incident_id: str, source: str) -> str | None:
        """How far the last sync of ``source`` read for this incident, or None."""
        ...

    def set_cursor(self, incident_id: str, source: str, cursor: str) -> None:
        """Remember how far a sync of ``source`` read for this incident."""
        ...

    def record_inbox_alerts(self, alerts: Iterable[InboxAlertIn]) -> int:
        """Store alert notifications once per (fingerprint, status, starts_at, ends_at); how many were new."""
        ...

    def list_inbox_alerts(self, start: datetime, end: datetime, limit: int = MAX_TIMELINE_LIMIT) -> list[InboxAlert]:
        """Inbox notifications overlapping [start, end], by start time."""
        ...

    # -- communication drafts ---------------------------------------------------------------------

    def save_draft(self, draft_in: DraftIn) -> Draft:
        """Store a new draft with the next ``D-<n>`` id and ``created_at`` now."""
        ...

    def get_draft(self, draft_id: str, incident_id: str | None = None) -> Draft:
        """The draft, or RecordNotFoundError whose hint lists recent drafts (of ``incident_id`` when given)."""
        ...

    def list_drafts(self, incident_id: str, audience: Audience | None = None) -> list[Draft]:
        """The incident's drafts, oldest first."""
        ...

    def claim_post(self, draft_id: str, confirmed_by: str) -> bool:
        """Atomically mark the draft as being posted; False when already claimed or posted."""
        ...

    def complete_post(self, draft_id: str, result: PostResult) -> Draft:
        """Record where the claimed draft was posted."""
        ...

    def release_claim(self, draft_id: str) -> None:
        """Drop the claim after a failed post so the draft can be retried."""
        ...

    def get_remote_id(self, incident_id: str, target: str) -> str | None:
        """The outside system's id for this incident at ``target``, or None."""
        ...

    def set_remote_id(self, incident_id: str, target: str, remote_id: str) -> None:
        """Remember the outside system's id for this incident at ``target``."""
        ...

    def record_hypothesis(self, incident_id: str, hypothesis: Hypothesis, actor: str) -> Hypothesis:
        """Store a new hypothesis (revision 1) and its timeline event."""
        ...

    def record_if_new(self, incident_id: str, hypothesis: Hypothesis, actor: str) -> tuple[Hypothesis, bool]:
        """Record it unless the same statement (case and spacing aside) is recorded; that one and False if so."""
        ...

    def update_hypothesis(
        self, incident_id: str, hypothesis: Hypothesis, expected_revision: int, actor: str
    ) -> Hypothesis:
        """Replace a hypothesis still at ``expected_revision``; a stale one: ConflictError with the current state."""
        ...

    def add_evidence(self, incident_id: str, hypothesis_id: str, evidence: Evidence, actor: str) -> Hypothesis:
        """Append one piece of evidence atomically (no revision needed: additions never conflict)."""
        ...

    def get_hypothesis(self, incident_id: str, hypothesis_id: str) -> Hypothesis:
        """One hypothesis of the incident."""
        ...

    def list_hypotheses(self, incident_id: str) -> list[Hypothesis]:
        """Every hypothesis of the incident, oldest first."""
        ...

    def assign_role(
        self, incident_id: str, role: RoleName, person: str, actor: str, expected_holder: str | None = None
    ) -> RoleAssignment:
        """Give ``role`` to ``person``; taking it from its holder needs ``expected_holder`` (else ConflictError)."""
        ...

    def add_item(self, incident_id: str, item: WorkItem, actor: str) -> WorkItem:
        """Store a new workstream, ruled-out item, question or action (next id of its kind) and its event."""
        ...

    def update_item(
        self, incident_id: str, item_id: str, changes: dict[str, Any], expected_revision: int, actor: str
    ) -> WorkItem:
        """Change an item still at ``expected_revision``; a stale one: ConflictError with the current state."""
        ...

    def get_coordination(self, incident_id: str) -> Coordination:
        """Roles now and their history, and every work item."""
        ...

    def close(self) -> None:
        """Release resources; later calls raise."""
        ...

    def __enter__(self) -> IncidentStore:
        """Use as a context manager that closes the store on exit."""
        ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Close the store."""
        ...


# -- argument checks shared by every backend -------------------------------------------------------


def check_limit(limit: int, maximum: int) -> None:
    """Refuse a limit that is not an integer in 1..maximum."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= maximum:
        raise InvalidRecordError(f"limit must be an integer from 1 to {maximum}, got {limit!r}")


def check_status(status: str) -> None:
    """Refuse a status outside open/mitigated/resolved."""
    if status not in STATUSES:
        raise InvalidRecordError(f"unknown status {status!r}", hint=f"Use one of: {', '.join(STATUSES)}.")


def check_actor(actor: str) -> None:
    """Refuse an actor that does not name someone on one line."""
    if not isinstance(actor, str) or not actor.strip() or len(actor) > 200 or "\n" in actor or "\r" in actor:
        raise InvalidRecordError(f"actor must name who acted (one line, 1-200 characters), got {actor!r}")


def check_window(start: datetime | None, end: datetime | None) -> None:
    """Refuse naive bounds and a start after the end."""
    for label, value in (("start", start), ("end", end)):
        if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
            raise InvalidRecordError(f"{label} must be a timezone-aware datetime, got {value!r}")
    if start is not None and end is not None and start > end:
        raise InvalidRecordError(f"start {iso_utc(start)} is after end {iso_utc(end)}")


def filter_names(label: str, values: Iterable[str] | None) -> list[str]:
    """A kinds/sources filter as a list; None or empty means no filter, a bare string means one name."""
    if values is None:
        return []
    names = [values] if isinstance(values, str) else list(values)
    if not all(isinstance(name, str) for name in names):
        raise InvalidRecordError(f"{label} must be a list of names, got {names!r}")
    return names
