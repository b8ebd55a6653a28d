"""What a post-mortem is assembled from: the incident, its timeline, its hypotheses and its coordination items.

The record is read once; the sections (``sections.py``) only compute from it, so they are plain
functions a test can feed by hand. Coordination items arrive already reduced to what a post-mortem
needs (text, owner, status, the event that recorded them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mcp_server.hypotheses.models import Hypothesis
from mcp_server.store.models import Incident, TimelineEvent

# Thresholds of "went well" and "went badly": what an on-call team usually aims for (SEV2-ish).
GOOD_DETECT_MINUTES = 5.0
GOOD_ACK_MINUTES = 5.0
GOOD_MITIGATE_MINUTES = 30.0
GOOD_FIRST_UPDATE_MINUTES = 15.0
GOOD_TRIAGE_MINUTES = 5.0


@dataclass(frozen=True)
class Item:
    """A coordination item as the post-mortem sees it."""

    text: str
    event_id: int | None
    owner: str = ""
    status: str = ""
    note: str = ""


@dataclass
class PostmortemRecord:
    """Everything the draft is made from, read from the incident record."""

    incident: Incident
    events: list[TimelineEvent]
    hypotheses: list[Hypothesis]
    follow_ups: list[Item] = field(default_factory=list)
    """Actions of kind follow_up: the changes the team commits to (cancelled ones: what it will not change)."""
    ruled_out: list[Item] = field(default_factory=list)
    """Ruled-out items with their reasons (refuted hypotheses come from ``hypotheses``)."""
    roles: list[Item] = field(default_factory=list)
    """Who held each role (``text`` is the role, ``owner`` the person)."""
    events_truncated: bool = False

    def live_events(self) -> list[TimelineEvent]:
        """The events not deleted at their source, in time order."""
        return sorted((e for e in self.events if e.deleted_at is None), key=lambda e: (e.occurred_at, e.id))

    def of_kind(self, *kinds: str) -> list[TimelineEvent]:
        """The live events of ``kinds``, in time order."""
        return [e for e in self.live_events() if e.kind in kinds]

    def hypothesis_event(self, hypothesis_id: str, status: str | None = None) -> int | None:
        """The event that first recorded ``hypothesis_id`` in ``status``, or its latest event when no status."""
        found = [
            e.id
            for e in self.live_events()
            if e.details.get("hypothesis") == hypothesis_id and (status is None or e.details.get("status") == status)
        ]
        if not found:
            return None
        return found[0] if status else found[-1]

    def evidence_event(self, hypothesis_id: str, summary: str) -> int | None:
        """The event that recorded a piece of evidence: its evidence_added event, else the hypothesis's recording."""
        mine = [e for e in self.live_events() if e.details.get("hypothesis") == hypothesis_id]
        added = [e.id for e in mine if e.kind == "evidence_added" and e.text.endswith(f": {summary}")]
        recorded = [e.id for e in mine if e.kind == "hypothesis_recorded"]
        found = added or recorded
        return found[0] if found else None

    def first_reopening(self) -> int | None:
        """The event of the first change back to open after a mitigation or resolution."""
        reopen = [e for e in self.of_kind("status_changed") if e.details.get("to") == "open"]
        return reopen[0].id if reopen else None
