"""The demo's scripted responder: what a person does after the first fifteen minutes, on a scenario clock.

Each step is one a responder takes with the tools (take roles, propose hypotheses, check the lead
with a tool, refute what the evidence is against, decide, mitigate, hand over, record follow-ups,
resolve; the coordination steps are in ``demo_coordination.py``), signed
``demo-responder`` so the record shows who acted. Nothing is run or posted: the rollback is a
decision and an action on the timeline, as a person would record it after running the commands.
The clock moves forward between steps, so the response figures of the post-mortem have durations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.models import ChangeSet, Deploy
from mcp_server.coordination.handoff import Handoff, build_handoff, read_handoff_record
from mcp_server.coordination.models import WorkItem
from mcp_server.demo_coordination import (
    ACTOR,
    finish,
    follow_ups,
    mitigation_action,
    record_ruled_out,
    start_workstream,
    take_roles,
)
from mcp_server.deploys.correlate import fetch_changes
from mcp_server.deploys.models import Ranking, RollbackPlan
from mcp_server.hypotheses.models import Evidence, Hypothesis, checked
from mcp_server.hypotheses.propose import Sources
from mcp_server.hypotheses.rank import rank_hypotheses
from mcp_server.hypotheses.workflow import Proposed, record_proposals
from mcp_server.runtime import Runtime
from mcp_server.store.models import Incident, TimelineEntry
from mcp_server.triage.models import TriageResult

SOURCE = "firstfifteen"


class ScenarioClock:
    """The demo's 'now': starts at the page and moves forward only when the script says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, runtime: Runtime, minutes: float) -> datetime:
        """Move forward ``minutes``; the runtime's reference moves with it, so tools agree."""
        self.now += timedelta(minutes=minutes)
        runtime.reference = self.now
        return self.now


@dataclass
class Response:
    """What the scripted responder established, and the handoff written once it was mitigated."""

    hypotheses: list[Hypothesis]
    lead: Hypothesis | None
    handoff: Handoff


async def respond(
    runtime: Runtime,
    clock: ScenarioClock,
    incident: Incident,
    runs: tuple[TriageResult, Ranking, Sources],
    plan: RollbackPlan | None,
) -> Response:
    """Coordinate, propose, investigate the lead, refute, decide, mitigate, hand over, resolve."""
    triage, ranking, sources = runs
    store = runtime.store
    clock.advance(runtime, 1)
    take_roles(runtime, incident.id)
    record_ruled_out(runtime, incident.id, triage, ranking)
    lead = await _investigate(runtime, clock, incident.id, runs)
    clock.advance(runtime, 2)
    action = _decide(runtime, incident.id, lead, plan)
    clock.advance(runtime, 8)
    if action is not None:
        finish(runtime, incident.id, action)
    store.set_status(incident.id, "mitigated" if lead else "resolved", ACTOR, clock.now)
    handoff = _handoff(runtime, incident.id, clock)
    if lead is not None:
        clock.advance(runtime, 40)
        follow_ups(runtime, incident.id, lead, _service_of(lead, ranking) or incident.suspected_service)
        store.set_status(incident.id, "resolved", ACTOR, clock.now)
    return Response(hypotheses=store.list_hypotheses(incident.id), lead=lead, handoff=handoff)


async def _investigate(
    runtime: Runtime, clock: ScenarioClock, incident_id: str, runs: tuple[TriageResult, Ranking, Sources]
) -> Hypothesis | None:
    """Propose from the recorded runs, check the lead with a tool, refute what has evidence against it."""
    triage, ranking, sources = runs
    clock.advance(runtime, 1)
    proposed = await record_proposals(runtime, incident_id, Proposed(triage, ranking, []), sources, ACTOR)
    ranked = [r.hypothesis for r in rank_hypotheses(proposed.hypotheses)]
    lead = next((h for h in ranked if checked(h, "for") and not _against(h)), None)
    start_workstream(runtime, incident_id, lead)
    clock.advance(runtime, 4)
    if lead is not None:
        lead = await _check_deploy(runtime, incident_id, lead, ranking)
    clock.advance(runtime, 3)
    for other in (h for h in ranked if h is not lead and _against(h)):
        _settle(runtime, incident_id, other, "refuted")
    clock.advance(runtime, 3)
    return _settle(runtime, incident_id, lead, "supported") if lead is not None else None


def _handoff(runtime: Runtime, incident_id: str, clock: ScenarioClock) -> Handoff:
    """The document the next responder would read, written as the shift hands over."""
    every = runtime.config.comms.update_every_minutes
    record = read_handoff_record(runtime.store, incident_id, every, clock.now)
    document = build_handoff(record, clock.now, ACTOR, "demo-next-responder")
    _event(runtime, incident_id, "handoff", "Handoff from demo-responder to demo-next-responder")
    return document


def _service_of(lead: Hypothesis, ranking: Ranking) -> str:
    deploy = _lead_deploy(lead, ranking)
    return deploy.service if deploy else ""


def _lead_deploy(lead: Hypothesis, ranking: Ranking) -> Deploy | None:
    return next((c.deploy for c in ranking.candidates if f"Deploy {c.deploy.id} " in lead.statement), None)


def _against(hypothesis: Hypothesis) -> bool:
    return any(e.direction == "against" for e in hypothesis.evidence)


async def _check_deploy(runtime: Runtime, incident_id: str, lead: Hypothesis, ranking: Ranking) -> Hypothesis:
    """When the lead is a deploy, read what it changed (get_deploy_changes) and add that as evidence."""
    deploy = _lead_deploy(lead, ranking)
    if deploy is None:
        return lead
    changes, errors, _ = await fetch_changes(runtime, [deploy])
    change = changes.get(deploy.id)
    if change is None:
        reason = errors.get(deploy.id, "the deploy names no repository or commits")
        _note(runtime, incident_id, f"get_deploy_changes('{deploy.id}') gave no change set: {reason}")
        return lead
    evidence = Evidence(
        direction="for",
        summary=_change_summary(change),
        source="tool",
        reference=f"get_deploy_changes('{deploy.id}')",
        strength="strong",
    )
    return runtime.store.add_evidence(incident_id, lead.id, evidence, ACTOR)


def _change_summary(change: ChangeSet) -> str:
    files = ", ".join(f.path for f in change.files[:3]) + (" ..." if len(change.files) > 3 else "")
    return f"the deploy changed {len(change.files)} file(s) in {len(change.commits)} commit(s): {files}"


def _settle(runtime: Runtime, incident_id: str, hypothesis: Hypothesis, status: str) -> Hypothesis:
    """Move ``hypothesis`` to ``status`` at its current revision, as update_hypothesis does."""
    current = runtime.store.get_hypothesis(incident_id, hypothesis.id)
    changed = current.model_copy(update={"status": status, "owner": current.owner or ACTOR})
    return runtime.store.update_hypothesis(
        incident_id, Hypothesis.model_validate(changed.model_dump()), current.revision, ACTOR
    )


def _decide(runtime: Runtime, incident_id: str, lead: Hypothesis | None, plan: RollbackPlan | None) -> WorkItem | None:
    """The decision and the mitigation action a person records; the demo runs no command."""
    if lead is None:
        _event(runtime, incident_id, "decision", "Not an incident: nothing is degraded against the baseline.")
        return None
    if plan is not None and f"Deploy {plan.deploy.id} " in lead.statement:
        decision = f"Roll back {plan.service} to {plan.target_version or plan.target_sha[:12]} ({plan.method})."
        action = f"Rollback of {plan.service} run from the plan ({len(plan.commands)} command(s)); demo: nothing ran."
    else:
        decision = f"Mitigate {lead.id}: {lead.next_step or lead.statement}"
        action = f"Mitigation of {lead.id} applied by the responder; demo: nothing ran."
    _event(runtime, incident_id, "decision", decision)
    _event(runtime, incident_id, "action", action)
    return mitigation_action(runtime, incident_id, decision)


def _note(runtime: Runtime, incident_id: str, text: str) -> None:
    _event(runtime, incident_id, "note", text)


def _event(runtime: Runtime, incident_id: str, kind: str, text: str) -> None:
    entry = TimelineEntry(source=SOURCE, kind=kind, text=text, actor=ACTOR, occurred_at=runtime.reference_time())
    runtime.store.append_event(incident_id, entry)
