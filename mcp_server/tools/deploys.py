"""Deploy correlation tools: a deploy's change set, the ranked suspects, and a rollback plan (a draft only)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from adapters.models import ChangeSet, Deploy, Model
from mcp_server.deploys.correlate import correlate, fetch_changes, find_deploy
from mcp_server.deploys.models import Ranking, RollbackPlan
from mcp_server.deploys.plan import plan_rollback
from mcp_server.runtime import Runtime
from mcp_server.timeline.runs import ranking_entry, rollback_plan_entry
from mcp_server.tools.common import (
    ServicesArg,
    TimeArg,
    ToolSet,
    cap,
    check_services,
    read_only_tool,
    recorded,
    resolve_at,
    runtime_of,
    tool_errors,
)

DeployId = Annotated[str, Field(min_length=1, max_length=300, description="From list_deploys or rank_deploys")]
IncidentArg = Annotated[str | None, Field(description="Record the result on this incident's timeline")]
MAX_FILES = 200


class DeployChanges(Model):
    """A deploy and what it changed."""

    deploy: Deploy
    changes: ChangeSet | None
    truncated: bool
    hint: str = ""
    error: str = ""
    data_note: str = ""


async def get_deploy_changes(ctx: Context[Runtime], deploy_id: DeployId, at: TimeArg = "now") -> DeployChanges:
    """The commits and files a deploy changed, each file classified (code, config, dependency, migration,
    ...). Use on the top suspect."""
    runtime = runtime_of(ctx)
    moment = resolve_at(runtime, at)
    with tool_errors("finding the deploy"):
        deploy, _ = await find_deploy(runtime, deploy_id, moment)
    changes, errors, _ = await fetch_changes(runtime, [deploy])
    found = changes.get(deploy.id)
    if found is None:
        return DeployChanges(
            deploy=deploy, changes=None, truncated=False, error=errors.get(deploy.id, ""), data_note=runtime.data_note
        )
    files, cut = cap(found.files, MAX_FILES)
    return DeployChanges(
        deploy=deploy,
        changes=found.model_copy(update={"files": files, "truncated": found.truncated or cut}),
        truncated=found.truncated or cut,
        hint=f"{len(found.files)} files; only the first {MAX_FILES} are listed" if cut else "",
        data_note=runtime.data_note,
    )


async def rank_deploys(
    ctx: Context[Runtime],
    at: TimeArg = "now",
    services: ServicesArg = None,
    onset: Annotated[
        str | None, Field(description="When it began, if known better than triage; relative to `at`")
    ] = None,
    incident_id: IncidentArg = None,
) -> Ranking:
    """Rank the last 24 h of deploys by how likely each caused the incident, with reasons, or say no deploy
    is implicated. Run beside triage."""
    runtime = runtime_of(ctx)
    moment = resolve_at(runtime, at)
    names = check_services(runtime, services) or None
    start = resolve_at(runtime, onset, reference=moment) if onset else None  # "now-20m" counts back from `at`
    with tool_errors("ranking deploys"):
        return await recorded(
            runtime,
            incident_id,
            lambda: correlate(runtime, moment, names, start),
            lambda ranking: ranking_entry(ranking, runtime.reference_time()),
        )


async def rollback_plan(
    ctx: Context[Runtime], deploy_id: DeployId, at: TimeArg = "now", incident_id: IncidentArg = None
) -> RollbackPlan:
    """Draft (never run) a rollback of one deploy: target, commands, duration, risk, verification and abort
    criteria. The responder decides."""
    runtime = runtime_of(ctx)
    moment = resolve_at(runtime, at)
    with tool_errors("planning the rollback"):
        return await recorded(
            runtime, incident_id, lambda: plan_rollback(runtime, deploy_id, moment), rollback_plan_entry
        )


def register(tools: ToolSet) -> None:
    """Add the deploy correlation tools."""
    read_only_tool(tools, "A deploy's changes")(get_deploy_changes)
    read_only_tool(tools, "Rank deploys as suspects")(rank_deploys)
    read_only_tool(tools, "Draft a rollback plan")(rollback_plan)
