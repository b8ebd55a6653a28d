"""Build a rollback plan from the live sources: the deploy, its history, its change set, the service's baseline."""

from __future__ import annotations

from datetime import datetime, timedelta

from adapters.models import TimeWindow
from mcp_server.config import ServiceConfig
from mcp_server.deploys.correlate import fetch_changes, find_deploy
from mcp_server.deploys.models import RollbackPlan
from mcp_server.deploys.rollback import build_plan
from mcp_server.deploys.summary import render_plan
from mcp_server.runtime import Runtime
from mcp_server.triage.engine import measure


def _service_config(runtime: Runtime, name: str) -> ServiceConfig:
    known = {s.name: s for s in runtime.config.services}
    return known.get(name) or ServiceConfig(name=name)


async def plan_rollback(runtime: Runtime, deploy_id: str, at: datetime) -> RollbackPlan:
    """A draft rollback plan for ``deploy_id``; executes nothing."""
    deploy, history = await find_deploy(runtime, deploy_id, at)
    changes, errors, change_statuses = await fetch_changes(runtime, [deploy])
    service = _service_config(runtime, deploy.service)
    baseline = None
    metric_statuses = []
    if deploy.service in {s.name for s in runtime.config.services}:
        _, verdicts, collected = await measure(runtime, at, [deploy.service], ("requests", "errors"))
        baseline, metric_statuses = verdicts[0].error_ratio.baseline, collected.statuses
    plan = build_plan(deploy, history, changes.get(deploy.id), service, runtime.config.signals, baseline)
    metrics = runtime.metrics()
    window = TimeWindow.ending_at(at, timedelta(hours=1))
    queries = [
        q.model_copy(update={"link": metrics.query_link(q.promql, window) if metrics else ""})
        for q in plan.verification
    ]
    notes = list(plan.notes) + ([f"changes unavailable: {errors[deploy.id]}"] if deploy.id in errors else [])
    plan = plan.model_copy(
        update={
            "verification": queries,
            "notes": notes,
            "sources": metric_statuses + change_statuses,
            "data_note": runtime.data_note,
        }
    )
    return plan.model_copy(update={"summary_markdown": render_plan(plan)})
