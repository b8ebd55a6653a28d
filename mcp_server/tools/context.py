"""Context tools: health checks, recent deploys, provider incidents and firing alerts, each from every source."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from adapters.base import Capability
from adapters.models import Alert, Deploy, HealthResult, Model, ProviderEvent, SourceStatus, TimeWindow, UtcDatetime
from mcp_server.runtime import Runtime
from mcp_server.tools.common import (
    LimitArg,
    ServicesArg,
    TimeArg,
    ToolSet,
    cap,
    check_services,
    read_only_tool,
    resolve_at,
    resolve_span,
    runtime_of,
)
from mcp_server.triage.collect import Collected, Plan, collect, make_plan

SinceArg = Annotated[str, Field(description="Window start, e.g. 'now-1h'")]


class HealthReport(Model):
    """Health checks of the configured services."""

    at: UtcDatetime
    results: list[HealthResult]
    truncated: bool
    hint: str = ""
    not_configured: list[str] = Field(description="Services without a health_url")
    sources: list[SourceStatus]
    data_note: str = ""


class DeployList(Model):
    """Deploys in a window, newest first."""

    window: TimeWindow
    deploys: list[Deploy]
    truncated: bool
    hint: str = ""
    sources: list[SourceStatus]
    data_note: str = ""


class ProviderEventList(Model):
    """Provider incidents open at any moment of a window."""

    window: TimeWindow
    events: list[ProviderEvent]
    truncated: bool
    sources: list[SourceStatus]
    data_note: str = ""


class AlertList(Model):
    """Alerts active at a moment."""

    at: UtcDatetime
    alerts: list[Alert]
    truncated: bool
    hint: str = ""
    sources: list[SourceStatus]
    data_note: str = ""


async def _gather(ctx: Context[Runtime], plan: Plan, services: list[str], capability: Capability) -> Collected:
    runtime = runtime_of(ctx)
    return await collect(runtime, plan, services, _no_progress, signals=(), capabilities=(capability,))


async def _no_progress(done: float, total: float, message: str) -> None:
    return None


def _span_plan(ctx: Context[Runtime], window: TimeWindow) -> Plan:
    """A plan whose deploy window is exactly ``window`` (provider events use the hour before its end)."""
    plan = make_plan(runtime_of(ctx), window.end)
    plan.deploys = window
    return plan


async def check_health(ctx: Context[Runtime], services: ServicesArg = None, limit: LimitArg = 100) -> HealthReport:
    """Run the health checks now, failing first; a check that cannot run is 'unknown', never up."""
    runtime = runtime_of(ctx)
    names = check_services(runtime, services) or [s.name for s in runtime.config.services]
    plan = make_plan(runtime, runtime.reference_time())
    collected = await _gather(ctx, plan, names, "health")
    configured = {s.name for s in runtime.config.services if s.health_url}
    results, truncated = cap(sorted(collected.health, key=lambda r: (r.status == "up", r.service)), limit)
    return HealthReport(
        at=plan.at,
        results=results,
        truncated=truncated,
        hint=f"{len(collected.health)} checks ran; failing ones are listed first" if truncated else "",
        not_configured=[n for n in names if n not in configured],
        sources=collected.statuses,
        data_note=runtime.data_note,
    )


async def list_deploys(
    ctx: Context[Runtime],
    since: SinceArg = "now-1h",
    until: TimeArg = "now",
    services: ServicesArg = None,
    limit: LimitArg = 50,
) -> DeployList:
    """Deploys started or finished in a window, newest first, from every deploy source."""
    runtime = runtime_of(ctx)
    window = resolve_span(runtime, since, until, timedelta(hours=1))
    wanted = set(check_services(runtime, services))
    collected = await _gather(ctx, _span_plan(ctx, window), [], "deploys")
    found = sorted(
        (d for d in collected.deploys if not wanted or d.service in wanted), key=lambda d: d.started_at, reverse=True
    )
    deploys, truncated = cap(found, limit)
    return DeployList(
        window=window,
        deploys=deploys,
        truncated=truncated,
        hint=f"{len(found)} deploys matched; narrow the window or pass services=[...]" if truncated else "",
        sources=collected.statuses,
        data_note=runtime.data_note,
    )


async def list_provider_events(ctx: Context[Runtime], at: TimeArg = "now", limit: LimitArg = 50) -> ProviderEventList:
    """Cloud and SaaS provider incidents open in the hour before `at`, from their status pages."""
    runtime = runtime_of(ctx)
    plan = make_plan(runtime, resolve_at(runtime, at))
    collected = await _gather(ctx, plan, [], "provider_events")
    events, truncated = cap(collected.events, limit)
    return ProviderEventList(
        window=TimeWindow.ending_at(plan.at, timedelta(hours=1)),
        events=events,
        truncated=truncated,
        sources=collected.statuses,
        data_note=runtime.data_note,
    )


async def list_active_alerts(
    ctx: Context[Runtime], at: TimeArg = "now", services: ServicesArg = None, limit: LimitArg = 50
) -> AlertList:
    """Alerts firing or silenced at `at`, oldest first."""
    runtime = runtime_of(ctx)
    wanted = set(check_services(runtime, services))
    plan = make_plan(runtime, resolve_at(runtime, at))
    collected = await _gather(ctx, plan, [], "alerts")
    found = sorted((a for a in collected.alerts if not wanted or a.service in wanted), key=lambda a: a.starts_at)
    alerts, truncated = cap(found, limit)
    return AlertList(
        at=plan.at,
        alerts=alerts,
        truncated=truncated,
        hint=f"{len(found)} alerts matched; pass services=[...] to narrow" if truncated else "",
        sources=collected.statuses,
        data_note=runtime.data_note,
    )


def register(tools: ToolSet) -> None:
    """Add the context tools."""
    read_only_tool(tools, "Check service health")(check_health)
    read_only_tool(tools, "List deploys")(list_deploys)
    read_only_tool(tools, "List provider incidents")(list_provider_events)
    read_only_tool(tools, "List active alerts")(list_active_alerts)
