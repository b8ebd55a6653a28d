"""Detection and response figures computed from an incident's timeline: detect, acknowledge, mitigate, resolve.

Every figure is measured from when impact began (``Incident.started_at``) and cites the timeline
event it comes from, so a post-mortem can quote it and a reader can check it. A figure the timeline
cannot support is ``None`` with the reason, never a guess.

Reopenings count: an incident mitigated, reopened and mitigated again was mitigated when the last
mitigation that held began, and resolved only if its current status is resolved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import Field

from adapters.models import Model, UtcDatetime
from mcp_server.store.models import Incident, TimelineEvent

FigureName = Literal["detect", "acknowledge", "mitigate", "resolve"]

# Kinds that mean a machine noticed the impact before any person said so.
DETECTION_KINDS = frozenset({"alert_fired", "declared"})
# Kinds that mean a person took the page: an explicit acknowledgement, or a person acting on the record.
ACK_KINDS = frozenset({"acknowledged"})
HUMAN_ACTION_KINDS = frozenset({"note", "decision", "action", "highlight", "message", "declared"})
MITIGATED_STATES = frozenset({"mitigated", "resolved"})


class Figure(Model):
    """One response figure: when it happened, how long after impact began, and the event behind it."""

    name: FigureName
    at: UtcDatetime | None = None
    minutes: float | None = Field(default=None, description="Minutes from the start of impact; None if unknown")
    event_id: int | None = Field(default=None, description="The timeline event it comes from")
    basis: str = Field(description="How it was found, or why it is unknown")


class ResponseFigures(Model):
    """Time to detect, acknowledge, mitigate and resolve, with the reopenings seen on the way."""

    incident_id: str
    impact_started_at: UtcDatetime
    detect: Figure
    acknowledge: Figure
    mitigate: Figure
    resolve: Figure
    reopened: int = Field(description="Times the incident went back to open after a mitigation or resolution")


def response_figures(incident: Incident, events: Sequence[TimelineEvent]) -> ResponseFigures:
    """The four response figures of ``incident`` from its timeline ``events`` (any order; deleted ones ignored)."""
    live = sorted((e for e in events if e.deleted_at is None), key=lambda e: (e.occurred_at, e.id))
    start = incident.started_at
    detected = _first(live, DETECTION_KINDS, start)
    detect = _figure("detect", detected, start, "first alert or declaration")
    acknowledge = _acknowledge(live, detected, start)
    transitions = [e for e in live if e.kind == "status_changed"]
    mitigate, reopened = _mitigation(transitions, start)
    return ResponseFigures(
        incident_id=incident.id,
        impact_started_at=start,
        detect=detect,
        acknowledge=acknowledge,
        mitigate=mitigate,
        resolve=_resolution(incident, transitions, start),
        reopened=reopened,
    )


def _first(events: Sequence[TimelineEvent], kinds: frozenset[str], after: datetime) -> TimelineEvent | None:
    """The earliest event of ``kinds`` at or after ``after``: what came before impact began is another story."""
    return next((e for e in events if e.kind in kinds and e.occurred_at >= after), None)


def _figure(name: FigureName, event: TimelineEvent | None, start: datetime, basis: str) -> Figure:
    """A figure from ``event``, or an unknown one saying which event was missing."""
    if event is None:
        return Figure(name=name, basis=f"unknown: the timeline has no {basis}")
    minutes = round((event.occurred_at - start).total_seconds() / 60, 1)
    return Figure(name=name, at=event.occurred_at, minutes=minutes, event_id=event.id, basis=f"{basis}: {event.kind}")


def _acknowledge(events: Sequence[TimelineEvent], detected: TimelineEvent | None, start: datetime) -> Figure:
    """An explicit acknowledgement if there is one, else the first person acting on the record after detection."""
    after = detected.occurred_at if detected else start
    explicit = _first(events, ACK_KINDS, after)
    if explicit is not None:
        return _figure("acknowledge", explicit, start, "acknowledgement")
    acted = next(
        (e for e in events if e.kind in HUMAN_ACTION_KINDS and e.occurred_at >= after and _by_a_person(e)),
        None,
    )
    return _figure("acknowledge", acted, start, "first action by a person")


def _by_a_person(event: TimelineEvent) -> bool:
    """An event a responder wrote or caused, not one a tool or a source recorded by itself."""
    return bool(event.actor) and event.actor != "firstfifteen" and event.source != "alertmanager"


def _mitigation(transitions: Sequence[TimelineEvent], start: datetime) -> tuple[Figure, int]:
    """The start of the last mitigation that held, and how many times the incident was reopened."""
    held: TimelineEvent | None = None
    reopened = 0
    for change in transitions:
        before, after = str(change.details.get("from", "")), str(change.details.get("to", ""))
        if after in MITIGATED_STATES and before not in MITIGATED_STATES:
            held = change
        elif after == "open" and before in MITIGATED_STATES:
            held, reopened = None, reopened + 1
    return _figure("mitigate", held, start, "status change to mitigated or resolved"), reopened


def _resolution(incident: Incident, transitions: Sequence[TimelineEvent], start: datetime) -> Figure:
    """The last change to resolved, if the incident is resolved now; an open incident has no resolve figure."""
    if incident.status != "resolved":
        return Figure(name="resolve", basis=f"unknown: the incident is {incident.status}, not resolved")
    last = next((e for e in reversed(transitions) if e.details.get("to") == "resolved"), None)
    return _figure("resolve", last, start, "status change to resolved")
