"""The demo's coordination steps: roles, the workstream on the lead, what triage and the ranking ruled out,
the mitigation as an action, and the follow-ups after resolution, as a responder records them.

Like the rest of the scripted response (``demo_response.py``), every step is signed ``demo-responder``
and uses only what the tools computed: the ruled-out items are triage's ``ruled_out`` lines and the
deploys the ranking excluded, with their reasons.
"""

from __future__ import annotations

from mcp_server.coordination.models import WorkItem
from mcp_server.deploys.models import Ranking
from mcp_server.hypotheses.models import Hypothesis
from mcp_server.runtime import Runtime
from mcp_server.triage.models import TriageResult

ACTOR = "demo-responder"
COMMS = "demo-comms"
MAX_RULED_OUT = 5


def take_roles(runtime: Runtime, incident_id: str) -> None:
    """The responder takes incident commander and gives communications to a colleague."""
    runtime.store.assign_role(incident_id, "incident_commander", ACTOR, ACTOR)
    runtime.store.assign_role(incident_id, "communications", COMMS, ACTOR)


def record_ruled_out(runtime: Runtime, incident_id: str, triage: TriageResult, ranking: Ranking) -> None:
    """What triage checked and found within baseline, and the deploys the ranking excluded."""
    items = [
        WorkItem(kind="ruled_out", text=line, note="within baseline at triage", evidence="triage")
        for line in triage.ruled_out
    ]
    items += [
        WorkItem(kind="ruled_out", text=f"Deploy {e.deploy_id} of {e.service}", note=e.reason, evidence="rank_deploys")
        for e in ranking.excluded
    ]
    for item in items[:MAX_RULED_OUT]:
        runtime.store.add_item(incident_id, item, ACTOR)


def start_workstream(runtime: Runtime, incident_id: str, lead: Hypothesis | None) -> None:
    """The responder works the leading hypothesis."""
    if lead is not None:
        text = f"Investigate {lead.id}: {lead.statement}"
        runtime.store.add_item(
            incident_id, WorkItem(kind="workstream", text=text, owner=ACTOR, hypothesis_id=lead.id), ACTOR
        )


def mitigation_action(runtime: Runtime, incident_id: str, text: str) -> WorkItem:
    """The mitigation as an action the responder owns, pending until it has run."""
    item = WorkItem(kind="action", text=text, action_kind="mitigation", owner=ACTOR, status="in_progress")
    return runtime.store.add_item(incident_id, item, ACTOR)


def finish(runtime: Runtime, incident_id: str, item: WorkItem) -> None:
    """Mark an action done at the revision it was read at."""
    runtime.store.update_item(incident_id, item.id, {"status": "done"}, item.revision, ACTOR)


def follow_ups(runtime: Runtime, incident_id: str, lead: Hypothesis, service: str) -> None:
    """One follow-up the team commits to, and one it decides against (with the reason)."""
    owner = f"team-{service}" if service else "team-oncall"
    committed = WorkItem(
        kind="action",
        action_kind="follow_up",
        text=f"Add a check that would have caught it before users did: {lead.statement}",
        owner=owner,
    )
    declined = WorkItem(
        kind="action",
        action_kind="follow_up",
        text="Freeze deploys to the service for a week",
        status="cancelled",
        note="the rollback was quick and a freeze delays every fix",
    )
    for item in (committed, declined):
        runtime.store.add_item(incident_id, item, ACTOR)
