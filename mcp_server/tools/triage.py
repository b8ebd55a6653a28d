"""Triage tools: the one-page triage, and the error-rate and latency views behind it."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from adapters.models import Model, SourceStatus, TimeWindow, UtcDatetime
from mcp_server.runtime import Runtime
from mcp_server.timeline.runs import triage_entry
from mcp_server.tools.common import (
    ServicesArg,
    TimeArg,
    ToolSet,
    cap,
    check_services,
    read_only_tool,
    recorded,
    resolve_at,
    resolve_width,
    runtime_of,
    tool_errors,
)
from mcp_server.triage.engine import baseline_windows, measure, run_triage
from mcp_server.triage.models import ServiceStatus, ServiceVerdict, SignalDelta, TriageResult

WidthArg = Annotated[str, Field(description="Width of the window, e.g. '15m' (baselines too)")]
MAX_ROWS = 100


class ErrorRateRow(Model):
    """Error ratio and traffic of one service, now against its baseline."""

    service: str
    status: ServiceStatus
    error_ratio: SignalDelta
    traffic_rps: SignalDelta
    requests_in_window: float | None
    errors_in_window: float | None
    reasons: list[str]


class LatencyRow(Model):
    """Latency percentiles of one service in milliseconds, now against baseline."""

    service: str
    status: ServiceStatus
    p50_ms: SignalDelta
    p95_ms: SignalDelta
    p99_ms: SignalDelta
    requests_in_window: float | None
    reasons: list[str]


class SignalResult(Model):
    """The windows a signal was measured over, for many services."""

    at: UtcDatetime
    window: TimeWindow
    baselines: dict[str, TimeWindow]
    truncated: bool
    hint: str = ""
    query_links: dict[str, str]
    sources: list[SourceStatus]
    data_note: str = ""


class ErrorRateResult(SignalResult):
    """Error ratio and traffic per service, degraded first."""

    rows: list[ErrorRateRow]


class LatencyResult(SignalResult):
    """Latency percentiles per service, degraded first."""

    rows: list[LatencyRow]


async def triage(
    ctx: Context[Runtime],
    at: TimeArg = "now",
    services: ServicesArg = None,
    incident_id: Annotated[str | None, Field(description="Record the run on this incident's timeline")] = None,
) -> TriageResult:
    """Start here. Degraded services against their baselines, likely roots vs downstream symptoms, failing
    routes, recent deploys, provider incidents, firing alerts. Show `summary_markdown` as is."""
    runtime = runtime_of(ctx)
    moment = resolve_at(runtime, at)
    names = check_services(runtime, services) or None

    async def progress(done: float, total: float, message: str) -> None:
        await ctx.report_progress(done, total, message)

    with tool_errors("triage"):
        return await recorded(
            runtime,
            incident_id,
            lambda: run_triage(runtime, moment, names, progress),
            lambda result: triage_entry(result, runtime.reference_time()),
        )


async def query_error_rate(
    ctx: Context[Runtime], services: ServicesArg = None, at: TimeArg = "now", window: WidthArg = "15m"
) -> ErrorRateResult:
    """Error ratio and traffic per service against a day and a week earlier and the previous hour, with
    significance. Use to drill into errors after triage."""
    measured, verdicts = await _measured(ctx, services, at, window, ("requests", "errors"))
    return ErrorRateResult(rows=[_error_row(v) for v in verdicts], **dict(measured))


async def query_latency(
    ctx: Context[Runtime], services: ServicesArg = None, at: TimeArg = "now", window: WidthArg = "15m"
) -> LatencyResult:
    """Latency p50/p95/p99 (ms) per service against the same baselines. Use to drill into slowness after
    triage."""
    measured, verdicts = await _measured(ctx, services, at, window, ("requests", "p50", "p95", "p99"))
    return LatencyResult(rows=[_latency_row(v) for v in verdicts], **dict(measured))


def register(tools: ToolSet) -> None:
    """Add the triage tools."""
    read_only_tool(tools, "Triage the incident")(triage)
    read_only_tool(tools, "Error rate against baseline")(query_error_rate)
    read_only_tool(tools, "Latency percentiles against baseline")(query_latency)


async def _measured(
    ctx: Context[Runtime], services: list[str] | None, at: str, window: str, signals: tuple[str, ...]
) -> tuple[SignalResult, list[ServiceVerdict]]:
    """The windows and sources of one measurement, and its verdicts (degraded first, capped)."""
    runtime = runtime_of(ctx)
    moment, width = resolve_at(runtime, at), resolve_width(window)
    names = check_services(runtime, services) or None
    with tool_errors("query"):
        plan, verdicts, collected = await measure(runtime, moment, names, signals, width)
    ordered = sorted(verdicts, key=lambda v: (v.status != "degraded", v.status != "unknown", v.service))
    shown, truncated = cap(ordered, MAX_ROWS)
    measured = SignalResult(
        at=plan.at,
        window=plan.window,
        baselines=baseline_windows(plan),
        truncated=truncated,
        hint=f"Only the first {MAX_ROWS} services (degraded first); pass services=[...] to narrow."
        if truncated
        else "",
        query_links={k: v for k, v in collected.links.items() if v},
        sources=collected.statuses,
        data_note=runtime.data_note,
    )
    return measured, shown


def _error_row(v: ServiceVerdict) -> ErrorRateRow:
    return ErrorRateRow(
        service=v.service,
        status=v.status,
        error_ratio=v.error_ratio,
        traffic_rps=v.traffic_rps,
        requests_in_window=v.requests_in_window,
        errors_in_window=v.errors_in_window,
        reasons=v.reasons,
    )


def _latency_row(v: ServiceVerdict) -> LatencyRow:
    return LatencyRow(
        service=v.service,
        status=v.status,
        p50_ms=v.latency_p50_ms,
        p95_ms=v.latency_p95_ms,
        p99_ms=v.latency_p99_ms,
        requests_in_window=v.requests_in_window,
        reasons=v.reasons,
    )
