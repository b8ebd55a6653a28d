"""The demo's scripted responder: what a person does after the first fifteen minutes, on a scenario clock.

Each step is one a responder takes with the tools (propose hypotheses, check the lead with a tool,
refute what the evidence is against, decide, mitigate, record follow-ups, resolve), signed
``demo-responder`` so the record shows who acted. Nothing is run or posted: the rollback is a
decision and an action on the timeline, as a person would record it after running the commands.
The clock moves forward between steps, so the response figures of the post-mortem have durations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.models import ChangeSet
from mcp_server.deploys.correlate import fetch_changes
from mcp_server.deploys.models import Ranking, RollbackPlan
from mcp_server.hypotheses.models import Evidence, Hypothesis, checked
from mcp_server.hypotheses.propose import Sources
from mcp_server.hypotheses.rank import rank_hypotheses
from mcp_server.hypotheses.workflow import Proposed, record_proposals
from mcp_server.runtime import Runtime
from mcp_server.store.models import Incident, TimelineEntry
from mcp_server.triage.models import TriageResult

ACTOR = "demo-responder"
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
    """What the scripted responder established."""

    hypotheses: list[Hypothesis]
    lead: Hypothesis | None
    mitigated: bool


async def respond(
    runtime: Runtime,
    clock: ScenarioClock,
    incident: Incident,
    runs: tuple[TriageResult, Ranking, Sources],
    plan: RollbackPlan | None,
) -> Response:
    """Propose, investigate the lead, refute, decide, mitigate, resolve: the rest of the incident."""
    triage, ranking, sources = runs
    clock.advance(runtime, 2)
    proposed = await record_proposals(runtime, incident.id, Proposed(triage, ranking, []), sources, ACTOR)
    ranked = [r.hypothesis for r in rank_hypotheses(proposed.hypotheses)]
    lead = next((h for h in ranked if checked(h, "for") and not _against(h)), None)
    clock.advance(runtime, 4)
    if lead is not None:
        lead = await _check_deploy(runtime, incident.id, lead, ranking)
    clock.advance(runtime, 3)
    for other in (h for h in ranked if h is not lead and _against(h)):
        _settle(runtime, incident.id, other, "refuted")
    clock.advance(runtime, 3)
    if lead is not None:
        lead = _settle(runtime, incident.id, lead, "supported")
    clock.advance(runtime, 2)
    _decide(runtime, incident.id, lead, plan)
    clock.advance(runtime, 8)
    store = runtime.store
    store.set_status(incident.id, "mitigated" if lead else "resolved", ACTOR, clock.now)
    if lead is not None:
        clock.advance(runtime, 40)
        store.set_status(incident.id, "resolved", ACTOR, clock.now)
    return Response(hypotheses=store.list_hypotheses(incident.id), lead=lead, mitigated=lead is not None)


def _against(hypothesis: Hypothesis) -> bool:
    return any(e.direction == "against" for e in hypothesis.evidence)


async def _check_deploy(runtime: Runtime, incident_id: str, lead: Hypothesis, ranking: Ranking) -> Hypothesis:
    """When the lead is a deploy, read what it changed (get_deploy_changes) and add that as evidence."""
    deploy = next((c.deploy for c in ranking.candidates if f"Deploy {c.deploy.id} " in lead.statement), None)
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


def _decide(runtime: Runtime, incident_id: str, lead: Hypothesis | None, plan: RollbackPlan | None) -> None:
    """The decision and the action a person records; the demo runs no command."""
    if lead is None:
        _event(runtime, incident_id, "decision", "Not an incident: nothing is degraded against the baseline.")
        return
    if plan is not None and f"Deploy {plan.deploy.id} " in lead.statement:
        decision = f"Roll back {plan.service} to {plan.target_version or plan.target_sha[:12]} ({plan.method})."
        action = f"Rollback of {plan.service} run from the plan ({len(plan.commands)} command(s)); demo: nothing ran."
    else:
        decision = f"Mitigate {lead.id}: {lead.next_step or lead.statement}"
        action = f"Mitigation of {lead.id} applied by the responder; demo: nothing ran."
    _event(runtime, incident_id, "decision", decision)
    _event(runtime, incident_id, "action", action)


def _note(runtime: Runtime, incident_id: str, text: str) -> None:
    _event(runtime, incident_id, "note", text)


def _event(runtime: Runtime, incident_id: str, kind: str, text: str) -> None:
    entry = TimelineEntry(source=SOURCE, kind=kind, text=text, actor=ACTOR, occurred_at=runtime.reference_time())
    runtime.store.append_event(incident_id, entry)
