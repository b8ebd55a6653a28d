"""The handoff document: what the next responder reads in two minutes to take over.

State and impact now, the current hypotheses, the evidence collected, actions taken and pending,
open questions, the communications cadence, and the risks, each computed from the record. A
section with nothing behind it says so and names the tool that fills it, so a handoff of an
incident with no data yet is still a clear document, never an error or a blank.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from adapters.models import Model, UtcDatetime, iso_utc
from mcp_server.comms.schedule import AudiencePlan, due_updates
from mcp_server.coordination.models import Coordination
from mcp_server.coordination.render import item_line
from mcp_server.hypotheses.models import Hypothesis
from mcp_server.hypotheses.rank import rank_hypotheses
from mcp_server.hypotheses.render import evidence_line
from mcp_server.store.base import MAX_TIMELINE_LIMIT, IncidentStore
from mcp_server.store.models import Incident, TimelineEvent

LEADING = 3
MAX_EVIDENCE = 10
MAX_TAKEN = 10
HANDOFF_KINDS = ("triage", "decision", "action")


@dataclass
class HandoffRecord:
    """What a handoff is computed from, read once from the store."""

    incident: Incident
    coordination: Coordination
    hypotheses: list[Hypothesis]
    events: list[TimelineEvent]
    comms: dict[str, AudiencePlan]


class Handoff(Model):
    """The handoff document and its parts a client may want on their own."""

    incident_id: str
    generated_at: UtcDatetime
    status: str
    risks: list[str]
    missing: list[str] = Field(description="Sections with nothing recorded yet, and how to fill them")
    markdown: str
    event_id: int | None = Field(default=None, description="The timeline event recording this handoff")


def build_handoff(record: HandoffRecord, now: datetime, author: str, to: str = "") -> Handoff:
    """The document from ``record`` at ``now``, from ``author`` to ``to`` (may be empty)."""
    incident = record.incident
    parts = [
        ("State and impact now", list(state_lines(record, now)), ""),
        ("Current hypotheses", list(hypothesis_lines(record)), "None recorded: run propose_hypotheses."),
        ("Evidence collected", list(evidence_lines(record)), "None yet: add_evidence after each query."),
        ("Actions taken", list(taken_lines(record)), "None recorded: track_work kind action, status done."),
        ("Actions pending", _items(record, "action", open_only=True), "None pending."),
        ("Open questions", _items(record, "question", open_only=True), "None open."),
        ("Communications cadence", list(cadence_lines(record)), "No cadence configured (comms.update_every_minutes)."),
    ]
    risks = list(risk_lines(record))
    to_whom = f" to {to}" if to else ""
    lines = [f"# Handoff: {incident.id} {incident.title}", "", f"_From {author}{to_whom} at {iso_utc(now)}._", ""]
    missing = []
    for title, body, empty in parts:
        if not body and empty:
            missing.append(f"{title}: {empty}")
        lines += [f"## {title}", "", *(body or [f"- {empty}"]), ""]
    lines += ["## Risks", "", *([f"- {r}" for r in risks] or ["- None found in the record."]), ""]
    return Handoff(
        incident_id=incident.id,
        generated_at=now,
        status=incident.status,
        risks=risks,
        missing=missing,
        markdown="\n".join(lines).rstrip() + "\n",
    )


def state_lines(record: HandoffRecord, now: datetime) -> Iterator[str]:
    """Status, severity, how long, who leads, and what the last triage measured."""
    incident = record.incident
    minutes = max(0, round((now - incident.started_at).total_seconds() / 60))
    yield f"- {incident.status}, {incident.severity}, impact began {iso_utc(incident.started_at)} ({minutes} min ago)"
    if incident.suspected_service:
        yield f"- Suspected service: {incident.suspected_service}"
    commander = record.coordination.roles.get("incident_commander")
    yield f"- Incident commander: {commander}" if commander else "- Incident commander: unfilled"
    triage = _last(record, "triage")
    if triage is None:
        yield "- No triage on record: run triage with incident_id."
        return
    yield f"- Last triage {iso_utc(triage.occurred_at)}: {triage.text} [ev {triage.id}]"
    ratios = triage.details.get("error_ratios")
    for service, values in sorted(ratios.items()) if isinstance(ratios, dict) else ():
        if isinstance(values, dict) and isinstance(values.get("now"), int | float):
            base = values.get("baseline")
            against = f" vs {base:.2%} baseline" if isinstance(base, int | float) else ""
            yield f"  - {service}: error ratio {values['now']:.2%}{against}"


def hypothesis_lines(record: HandoffRecord) -> Iterator[str]:
    """The leading hypotheses with their next step; the refuted ones by name."""
    ranked = rank_hypotheses(record.hypotheses)
    live = [r for r in ranked if r.hypothesis.status != "refuted"]
    for item in live[:LEADING]:
        h = item.hypothesis
        owner = f", owner {h.owner}" if h.owner else ""
        yield f"- **{h.id}** {h.statement} ({h.status}, {h.confidence}, score {item.score}{owner})"
        if h.next_step and h.status != "supported":
            yield f"  - next: {h.next_step}"
    if len(live) > LEADING:
        yield f"- ... {len(live) - LEADING} more (list_hypotheses)"
    refuted = [r.hypothesis for r in ranked if r.hypothesis.status == "refuted"]
    if refuted:
        yield "- Refuted: " + "; ".join(f"{h.id} {h.statement}" for h in refuted)


def evidence_lines(record: HandoffRecord) -> Iterator[str]:
    """The newest evidence across all hypotheses, with its reference."""
    found = [(e, h.id) for h in record.hypotheses for e in h.evidence]
    found.sort(key=lambda pair: pair[0].added_at.timestamp() if pair[0].added_at else 0.0, reverse=True)
    for evidence, hypothesis_id in found[:MAX_EVIDENCE]:
        yield f"- {hypothesis_id} {evidence_line(evidence)}"
    if len(found) > MAX_EVIDENCE:
        yield f"- ... {len(found) - MAX_EVIDENCE} more (list_hypotheses)"


def taken_lines(record: HandoffRecord) -> Iterator[str]:
    """Decisions and actions from the timeline, and the actions marked done, newest last."""
    events = [e for e in record.events if e.kind in ("decision", "action") and e.deleted_at is None]
    for event in events[-MAX_TAKEN:]:
        yield f"- {iso_utc(event.occurred_at)} {event.kind}: {event.text} [ev {event.id}]"
    yield from (
        item_line(item)
        for item in record.coordination.of_kind("action")
        if item.status == "done" or item.status == "cancelled"
    )


def cadence_lines(record: HandoffRecord) -> Iterator[str]:
    """Per audience: the last update and when the next is due."""
    for audience, plan in record.comms.items():
        flag = " **overdue**" if plan.get("overdue") else ""
        yield f"- {audience}: {plan.get('reminder')}{flag}"


def risk_lines(record: HandoffRecord) -> Iterator[str]:
    """What could go wrong next, from the record: gaps in roles, owners, evidence, sources and updates."""
    if "incident_commander" not in record.coordination.roles:
        yield "Nobody holds incident commander: assign_role before anything else."
    live = [r.hypothesis for r in rank_hypotheses(record.hypotheses) if r.hypothesis.status != "refuted"]
    if record.incident.status == "open" and not any(h.status == "supported" for h in live):
        lead = f" the leading one is {live[0].id}" if live else " none is recorded"
        yield f"No cause is supported by evidence yet;{lead}."
    for item in record.coordination.items:
        if item.kind == "action" and item.is_open and not item.owner:
            yield f"{item.id} ({item.text}) has no owner."
    triage = _last(record, "triage")
    failing = triage.details.get("sources_not_ok") if triage else None
    if isinstance(failing, list) and failing:
        yield f"The last triage ran with sources failing ({', '.join(map(str, failing[:5]))}): parts are unknown."
    for audience, plan in record.comms.items():
        if plan.get("overdue"):
            yield f"The {audience} update is overdue."
    if record.incident.status == "mitigated":
        yield "Mitigated, not resolved: watch the error ratio for a relapse before resolving."


def _items(record: HandoffRecord, kind: str, open_only: bool) -> list[str]:
    items = [i for i in record.coordination.items if i.kind == kind and (i.is_open or not open_only)]
    return [item_line(item) for item in items]


def _last(record: HandoffRecord, kind: str) -> TimelineEvent | None:
    found = [e for e in record.events if e.kind == kind and e.deleted_at is None]
    return found[-1] if found else None


def read_handoff_record(store: IncidentStore, incident_id: str, every: dict[str, int], now: datetime) -> HandoffRecord:
    """Everything a handoff needs, read from the store (``every``: each audience's update interval)."""
    incident = store.get_incident(incident_id)
    # Only the kinds the handoff reads, so a long incident's chat does not push its last triage past the cap.
    events, _ = store.get_timeline(incident.id, kinds=HANDOFF_KINDS, limit=MAX_TIMELINE_LIMIT)
    return HandoffRecord(
        incident=incident,
        coordination=store.get_coordination(incident.id),
        hypotheses=store.list_hypotheses(incident.id),
        events=events,
        comms=due_updates(store.list_drafts(incident.id), every, now),
    )
