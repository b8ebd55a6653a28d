"""Evidence tools: a read-only metric query with a summary against the day before, and a log query
whose lines come back grouped into counted error patterns.

Both answer within the triage deadline with a per-source status: a source that is down or slow
leaves its part empty and says so, never a hang and never an empty answer read as "nothing wrong".
A query the backend refuses (bad PromQL or LogQL) is an error that says what is accepted.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Annotated, Literal, TypeVar, cast

import anyio
from mcp.server.mcpserver import Context
from pydantic import Field

from adapters.base import LogsSource, PromQLSource
from adapters.errors import FirstfifteenError, QueryError
from adapters.models import LogLine, LogQueryResult, Model, Series, SignalName, SourceState, SourceStatus, TimeWindow
from mcp_server.evidence.patterns import LogPattern, group_patterns
from mcp_server.evidence.series import SeriesSummary, summarise
from mcp_server.runtime import Runtime
from mcp_server.signals import build_query
from mcp_server.tools.common import (
    ServicesArg,
    TimeArg,
    ToolSet,
    cap,
    check_services,
    read_only_tool,
    resolve_span,
    resolve_width,
    runtime_of,
    tool_errors,
)

T = TypeVar("T")
DEFAULT_SPAN = timedelta(minutes=30)
DAY = timedelta(days=1)
MAX_POINTS_PER_WINDOW = 240
MAX_LINES = 5_000
RATE_SECONDS = 300


class MetricResult(Model):
    """A metric query over a window: each series summarised against the same window a day earlier."""

    query: str
    window: TimeWindow
    baseline_window: TimeWindow
    step_seconds: float
    series: list[SeriesSummary]
    truncated: bool
    hint: str = ""
    link: str = ""
    sources: list[SourceStatus]
    data_note: str = ""


class LogsResult(Model):
    """A log query over a window: the lines grouped into patterns, counted, with a few examples."""

    query: str
    window: TimeWindow
    patterns: list[LogPattern]
    lines_read: int
    complete: bool = Field(description="False when a source stopped at the line limit: counts are lower bounds")
    examples: list[LogLine]
    truncated: bool = Field(description="More patterns than shown")
    hint: str = ""
    sources: list[SourceStatus]
    data_note: str = ""


async def query_metric(
    ctx: Context[Runtime],
    promql: Annotated[str | None, Field(max_length=4_000, description="Any read-only PromQL")] = None,
    signal: Annotated[Literal["requests", "errors", "latency"] | None, Field(description="Or a signal")] = None,
    services: ServicesArg = None,
    since: TimeArg = "now-30m",
    until: TimeArg = "now",
    step: Annotated[str | None, Field(description="e.g. '1m'; default: about 120 points")] = None,
    points: Annotated[int, Field(ge=0, le=200, description="Raw points per series to include")] = 0,
    max_series: Annotated[int, Field(ge=1, le=100)] = 20,
) -> MetricResult:
    """Range-query PromQL (or a configured signal per service) and summarise each series: min, max, last,
    mean and the change against the same window a day earlier."""
    runtime = runtime_of(ctx)
    window = resolve_span(runtime, since, until, DEFAULT_SPAN)
    baseline = TimeWindow(start=window.start - DAY, end=window.end - DAY)
    source = runtime.metrics()
    with tool_errors("querying the metric"):
        every = _step(window, step)
        if source is None:
            raise ValueError("no metrics source is configured: add a prometheus adapter (docs/adapters.md)")
        ask, query = _metric_asker(runtime, source, promql, signal, services)
        statuses: list[SourceStatus] = []
        asked = partial(ask, step=every)
        found, before = await _window_and_baseline(runtime, source.name, asked, (window, baseline), statuses)
    shown, cut = cap(summarise(found or [], before or [], points), max_series)
    thinned = points > 0 and any(len(s.points) > points for s in found or [])
    hints = [f"Only {max_series} series: aggregate (sum by (...)) or narrow the selector."] if cut else []
    hints += [f"Points thinned to {points} per series: raise points or shorten the window."] if thinned else []
    return MetricResult(
        query=query,
        window=window,
        baseline_window=baseline,
        step_seconds=every.total_seconds(),
        series=shown,
        truncated=cut or thinned,
        hint=" ".join(hints),
        link=source.query_link(query, window),
        sources=sorted(statuses, key=lambda s: s.capability),
        data_note=runtime.data_note,
    )


async def _window_and_baseline(
    runtime: Runtime,
    name: str,
    ask: Callable[[TimeWindow], Awaitable[list[Series]]],
    windows: tuple[TimeWindow, TimeWindow],
    statuses: list[SourceStatus],
) -> tuple[list[Series] | None, list[Series] | None]:
    """The window and its baseline (the same window a day earlier), asked at once within one deadline.

    A query the source refuses for the window is raised after both ended (the model must fix it);
    the baseline failing only leaves the change empty.
    """
    answers: dict[str, list[Series] | None] = {}
    refused: list[QueryError] = []

    async def one(capability: str, span: TimeWindow) -> None:
        try:
            answers[capability] = await _bounded(
                runtime, name, capability, partial(ask, span), statuses, raise_query=capability == "metrics"
            )
        except QueryError as exc:
            refused.append(exc)

    async with anyio.create_task_group() as group:
        group.start_soon(one, "metrics", windows[0])
        group.start_soon(one, "metrics baseline", windows[1])
    if refused:
        raise refused[0]
    return answers.get("metrics"), answers.get("metrics baseline")


def _metric_asker(
    runtime: Runtime, source: object, promql: str | None, signal: str | None, services: list[str] | None
) -> tuple[Callable[..., Awaitable[list[Series]]], str]:
    """How to ask the source for the series, and the query as text; a clear error when neither is usable."""
    if (promql is None) == (signal is None):
        raise ValueError("pass either promql or signal, not both or neither (e.g. signal='errors')")
    if promql is not None:
        if not isinstance(source, PromQLSource):
            raise ValueError(
                "this metrics source answers only the configured signals, not free PromQL: "
                "pass signal ('requests', 'errors' or 'latency') and services instead"
            )
        return (lambda window, step: source.range_promql(promql, window, step)), promql
    names = check_services(runtime, services) or [s.name for s in runtime.config.services]
    chosen = cast(SignalName, signal)
    query = build_query(runtime.config.signals, chosen, names, range_seconds=RATE_SECONDS, quantile=0.99)
    metrics = runtime.metrics()
    assert metrics is not None  # checked by the caller
    return (lambda window, step: metrics.range(query, window, step)), query.promql


def _step(window: TimeWindow, step: str | None) -> timedelta:
    """The resolution: the one asked for, else about 120 points; never more than the cap per window."""
    span = window.end - window.start
    chosen = resolve_width(step) if step else max(timedelta(seconds=15), span / 120)
    if span / chosen > MAX_POINTS_PER_WINDOW:
        raise ValueError(
            f"step {chosen} gives more than {MAX_POINTS_PER_WINDOW} points over {span}: "
            f"use a step of at least {span / MAX_POINTS_PER_WINDOW}, or a shorter window"
        )
    return timedelta(seconds=max(1, round(chosen.total_seconds())))


async def query_logs(
    ctx: Context[Runtime],
    logql: Annotated[str, Field(min_length=3, max_length=4_000, description='e.g. {service="checkout"} |= "error"')],
    since: TimeArg = "now-30m",
    until: TimeArg = "now",
    limit: Annotated[int, Field(ge=1, le=MAX_LINES, description="Most lines read per source")] = 1_000,
    max_patterns: Annotated[int, Field(ge=1, le=50)] = 15,
    examples: Annotated[int, Field(ge=0, le=20, description="Newest raw lines to include")] = 3,
) -> LogsResult:
    """Run a LogQL log query and group the lines into error patterns (variable parts masked), counted,
    most frequent first, with first and last seen."""
    runtime = runtime_of(ctx)
    window = resolve_span(runtime, since, until, DEFAULT_SPAN)
    sources = runtime.logs_sources()
    statuses: list[SourceStatus] = []
    with tool_errors("querying the logs"):
        if not sources:
            raise ValueError("no logs source is configured: add a loki adapter (docs/adapters.md)")
        results = await _ask_logs(runtime, sources, partial(_logs_call, logql, window, limit), statuses)
    answered = [r for r in results if r is not None]
    lines = sorted((line for r in answered for line in r.lines), key=lambda line: line.t, reverse=True)
    shown, truncated = cap(group_patterns(lines), max_patterns)
    complete = all(r.complete for r in answered) and len(answered) == len(sources)
    return LogsResult(
        query=logql,
        window=window,
        patterns=shown,
        lines_read=len(lines),
        complete=complete,
        examples=lines[:examples],
        truncated=truncated,
        hint="" if complete else "Counts are lower bounds: narrow the query or the window, or raise limit.",
        sources=sorted(statuses, key=lambda s: s.source),
        data_note=runtime.data_note,
    )


def _logs_call(logql: str, window: TimeWindow, limit: int, source: LogsSource) -> Awaitable[LogQueryResult]:
    return source.query_logs(logql, window, limit)


async def _ask_logs(
    runtime: Runtime,
    sources: list[LogsSource],
    ask: Callable[[LogsSource], Awaitable[LogQueryResult]],
    statuses: list[SourceStatus],
) -> list[LogQueryResult | None]:
    """Every logs source at once, each within the deadline.

    A query a source refuses is that source's error when another answered (the replay understands
    less LogQL than Loki); when none answered it is raised, after all ended, in the source's words.
    """
    results: list[LogQueryResult | None] = [None] * len(sources)
    refused: list[QueryError] = []

    async def one(index: int) -> None:
        source, started = sources[index], time.monotonic()
        try:
            results[index] = await _bounded(
                runtime, source.name, "logs", partial(ask, source), statuses, raise_query=True
            )
        except QueryError as exc:
            refused.append(exc)
            statuses.append(_status(source.name, "logs", "error", exc.describe()[:500], started))

    async with anyio.create_task_group() as group:
        for index in range(len(sources)):
            group.start_soon(one, index)
    if refused and all(result is None for result in results):
        raise refused[0]
    return results


async def _bounded(
    runtime: Runtime,
    name: str,
    capability: str,
    ask: Callable[[], Awaitable[T]],
    statuses: list[SourceStatus],
    *,
    raise_query: bool = False,
) -> T | None:
    """``ask()`` within the triage deadline; its status recorded; None when it failed or timed out.

    With ``raise_query`` a QueryError (the backend refused the query itself) is raised, since the
    caller must fix the query; any other failure only empties that source's part.
    """
    started = time.monotonic()
    deadline = runtime.config.triage.deadline_seconds
    try:
        with anyio.fail_after(deadline):
            answer = await ask()
    except TimeoutError:
        statuses.append(_status(name, capability, "timeout", f"no answer within {deadline:g} s", started))
        return None
    except QueryError as exc:
        if raise_query:
            raise
        statuses.append(_status(name, capability, "error", f"refused: {exc.describe()[:480]}", started))
        return None
    except FirstfifteenError as exc:
        statuses.append(_status(name, capability, "error", exc.describe()[:500], started))
        return None
    statuses.append(_status(name, capability, "ok", "", started))
    return answer


def _status(name: str, capability: str, state: SourceState, detail: str, started: float) -> SourceStatus:
    elapsed = round((time.monotonic() - started) * 1000, 1)
    return SourceStatus(source=name, capability=capability, status=state, detail=detail, elapsed_ms=elapsed, queries=1)


def register(tools: ToolSet) -> None:
    """Add the evidence tools."""
    read_only_tool(tools, "Query a metric")(query_metric)
    read_only_tool(tools, "Query the logs")(query_logs)
