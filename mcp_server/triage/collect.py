"""Gather what triage needs from every source at once, within one deadline.

Metrics are asked one query per signal and moment for all services together, so the number of
queries does not grow with the number of services. Every source runs concurrently; a source that
fails or misses the deadline leaves its part empty and is reported in ``statuses``, never guessed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from adapters.base import AlertSource, Capability, DeploySource, HealthChecker, ProviderEventSource
from adapters.errors import AdapterError, BackendTimeoutError
from adapters.models import (
    Alert,
    Deploy,
    HealthResult,
    HealthTarget,
    ProviderEvent,
    Sample,
    Series,
    SignalQuery,
    SourceState,
    SourceStatus,
    TimeWindow,
)
from mcp_server.runtime import Progress, Runtime
from mcp_server.signals import build_query
from mcp_server.triage.assess import MOMENTS, NOW, QUANTILES
from mcp_server.triage.routing import route_health

T = TypeVar("T")
SIGNAL_SPECS: dict[str, tuple[str, float | None]] = {
    "requests": ("requests", None),
    "errors": ("errors", None),
    **{name: ("latency", q) for name, q in QUANTILES.items()},
}
SPARK_SIGNALS = ("requests", "errors", "p99")
SPARK_RATE_SECONDS = 120
STEP = timedelta(minutes=1)


@dataclass
class Plan:
    """The resolved windows of one triage run."""

    at: datetime
    window: TimeWindow
    moments: dict[str, tuple[datetime, int]]  # moment -> (evaluation time, range seconds)
    spark: TimeWindow
    deploys: TimeWindow


@dataclass
class Collected:
    """Raw answers, keyed for the assessment."""

    instant: dict[tuple[str, str], list[Sample]] = field(default_factory=dict)
    failed: dict[tuple[str, str], str] = field(default_factory=dict)
    ranges: dict[str, list[Series]] = field(default_factory=dict)
    routes: dict[str, list[Sample]] = field(default_factory=dict)
    health: list[HealthResult] = field(default_factory=list)
    deploys: list[Deploy] = field(default_factory=list)
    events: list[ProviderEvent] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    statuses: list[SourceStatus] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    queries: int = 0


def make_plan(runtime: Runtime, at: datetime, width: timedelta | None = None) -> Plan:
    """Resolve the current, baseline, sparkline and deploy windows for a run at ``at``."""
    policy = runtime.config.triage
    width = width or timedelta(minutes=policy.window_minutes)
    seconds = int(width.total_seconds())
    moments = {
        NOW: (at, seconds),
        "day_ago": (at - timedelta(days=1), seconds),
        "week_ago": (at - timedelta(days=7), seconds),
        "prev_hour": (at - width, 3600),
    }
    return Plan(
        at=at,
        window=TimeWindow.ending_at(at, width),
        moments=moments,
        spark=TimeWindow.ending_at(at, timedelta(minutes=policy.sparkline_minutes)),
        deploys=TimeWindow.ending_at(at, timedelta(minutes=policy.deploy_lookback_minutes)),
    )


class _Tracker:
    """Counts work for progress reports and keeps one status per source."""

    def __init__(self, progress: Progress, total: int, deadline: float) -> None:
        self.progress, self.total, self.done = progress, total, 0
        self.deadline = deadline
        self.by_source: dict[tuple[str, str], SourceStatus] = {}
        self.errors: dict[object, str] = {}

    async def run(self, source: str, capability: str, call: Callable[[], Awaitable[T]], key: object = None) -> T | None:
        started = time.monotonic()
        remaining = self.deadline - started
        status: SourceState = "ok"
        detail, result = "", None
        try:
            if remaining <= 0:
                raise TimeoutError
            result = await asyncio.wait_for(call(), timeout=remaining)
        except TimeoutError:
            status, detail = "timeout", "no answer within the triage deadline"
        except AdapterError as exc:
            status, detail = ("timeout" if isinstance(exc, BackendTimeoutError) else "error"), exc.describe()
        if status != "ok":
            self.errors[key] = detail
        self._record(source, capability, status, detail, (time.monotonic() - started) * 1000)
        self.done += 1
        await self.progress(self.done, self.total, f"{capability} from {source}: {status}")
        return result

    def _record(self, source: str, capability: str, status: SourceState, detail: str, elapsed: float) -> None:
        key = (source, capability)
        old = self.by_source.get(key)
        rank = {"ok": 0, "timeout": 1, "error": 2}
        if old is None:
            self.by_source[key] = SourceStatus(
                source=source, capability=capability, status=status, detail=detail, elapsed_ms=elapsed, queries=1
            )
            return
        worse = rank[status] > rank[old.status]
        self.by_source[key] = old.model_copy(
            update={
                "status": status if worse else old.status,
                "detail": detail if worse else old.detail,
                "elapsed_ms": max(old.elapsed_ms, elapsed),
                "queries": old.queries + 1,
            }
        )


ALL_SIGNALS = ("requests", "errors", *QUANTILES)
ALL_CAPABILITIES: tuple[Capability, ...] = ("metrics", "health", "deploys", "provider_events", "alerts")


async def collect(
    runtime: Runtime,
    plan: Plan,
    services: list[str],
    progress: Progress,
    signals: tuple[str, ...] = ALL_SIGNALS,
    capabilities: tuple[Capability, ...] = ALL_CAPABILITIES,
) -> Collected:
    """Ask every source for its part of the triage, concurrently, within the configured deadline.

    ``signals`` and ``capabilities`` narrow the work for the single-purpose tools.
    """
    policy = runtime.config.triage
    tracker = _Tracker(
        progress, _count_work(runtime, signals, capabilities), time.monotonic() + policy.deadline_seconds
    )
    out = Collected()
    jobs = [_metrics(runtime, plan, services, tracker, out, signals)] if "metrics" in capabilities else []
    if "health" in capabilities:
        chosen = [s for s in runtime.config.services if s.name in set(services)]
        routed, unrouted = route_health(chosen, runtime.health_checkers(), plan.at)
        out.health.extend(unrouted)
        checkers = {c.name: c for c in runtime.health_checkers()}
        jobs += [_health(checkers[name], targets, plan, tracker, out) for name, targets in routed.items()]
    if "deploys" in capabilities:
        jobs += [_deploys(a, plan, tracker, out) for a in runtime.deploy_sources()]
    if "provider_events" in capabilities:
        jobs += [_events(a, plan, tracker, out) for a in runtime.provider_event_sources()]
    if "alerts" in capabilities:
        jobs += [_alerts(a, plan, tracker, out) for a in runtime.alert_sources()]
    await asyncio.gather(*jobs)
    out.statuses = list(tracker.by_source.values())
    if runtime.metrics() is None and "metrics" in capabilities:
        out.statuses.append(
            SourceStatus(source="-", capability="metrics", status="skipped", detail="no metrics source")
        )
    return out


def _count_work(runtime: Runtime, signals: tuple[str, ...], capabilities: tuple[Capability, ...]) -> int:
    metrics = len(signals) * len(MOMENTS) if runtime.metrics() else 0
    others = sum(len(runtime.sources(c)) for c in capabilities if c != "metrics")
    return (metrics if "metrics" in capabilities else 0) + others


def _query(
    runtime: Runtime, signal: str, services: list[str], seconds: int, quantile: float | None = None
) -> SignalQuery:
    return build_query(runtime.config.signals, signal, services, range_seconds=seconds, quantile=quantile)  # type: ignore[arg-type]


async def _metrics(
    runtime: Runtime, plan: Plan, services: list[str], tracker: _Tracker, out: Collected, wanted: tuple[str, ...]
) -> None:
    source = runtime.metrics()
    if source is None:
        return
    signals = {name: spec for name, spec in SIGNAL_SPECS.items() if name in wanted}

    async def instant(name: str, moment: str) -> None:
        kind, quantile = signals[name]
        at, seconds = plan.moments[moment]
        query = _query(runtime, kind, services, seconds, quantile)
        if moment == NOW:
            out.links[name] = source.query_link(query.promql, plan.window)
        result = await tracker.run(source.name, "metrics", lambda: source.instant(query, at), key=(name, moment))
        out.queries += 1
        if result is None:
            out.failed[(name, moment)] = tracker.errors.get((name, moment), "failed")
        else:
            out.instant[(name, moment)] = result

    await asyncio.gather(*(instant(n, m) for n in signals for m in MOMENTS))


def service_links(runtime: Runtime, plan: Plan, service: str) -> dict[str, str]:
    """Links to one service's error, request and p99 queries in the metrics UI.

    Built for the one service, not the all-services query, so a link stays short and opens on it.
    """
    source = runtime.metrics()
    if source is None:
        return {}
    seconds = plan.moments[NOW][1]
    specs = {"errors": ("errors", None), "requests": ("requests", None), "p99": ("latency", 0.99)}
    links = {
        name: source.query_link(_query(runtime, kind, [service], seconds, quantile).promql, plan.spark)
        for name, (kind, quantile) in specs.items()
    }
    return {name: link for name, link in links.items() if link}


async def collect_details(
    runtime: Runtime, plan: Plan, degraded: list[str], error_degraded: list[str], progress: Progress
) -> Collected:
    """Second pass, only for degraded services: their last hour minute by minute (sparklines and onset),
    and for those whose errors rose, the error signal broken down by route.

    Asking this of the few degraded services, not of all, keeps a 500-service triage light.
    """
    source = runtime.metrics()
    out = Collected()
    if source is None or not degraded:
        return out
    kinds = ("route_errors", "route_requests") if error_degraded else ()
    tracker = _Tracker(
        progress, len(SPARK_SIGNALS) + len(kinds), time.monotonic() + runtime.config.triage.deadline_seconds / 2
    )
    at, seconds = plan.moments[NOW]

    async def series(name: str) -> None:
        kind, quantile = SIGNAL_SPECS[name]
        query = _query(runtime, kind, degraded, SPARK_RATE_SECONDS, quantile)
        result = await tracker.run(source.name, "metrics", lambda: source.range(query, plan.spark, STEP))
        out.queries += 1
        if result is not None:
            out.ranges[name] = result

    async def routes(kind: str) -> None:
        query = _query(runtime, kind, error_degraded, seconds)
        result = await tracker.run(source.name, "metrics", lambda: source.instant(query, at))
        out.queries += 1
        if result is not None:
            out.routes[kind] = result

    await asyncio.gather(*(series(n) for n in SPARK_SIGNALS), *(routes(k) for k in kinds))
    out.statuses = list(tracker.by_source.values())
    return out


async def _health(
    checker: HealthChecker, targets: list[HealthTarget], plan: Plan, tracker: _Tracker, out: Collected
) -> None:
    result = await tracker.run(checker.name, "health", lambda: checker.check_health(targets, plan.at))
    out.health.extend(result or [])


async def _deploys(adapter: DeploySource, plan: Plan, tracker: _Tracker, out: Collected) -> None:
    result = await tracker.run(adapter.name, "deploys", lambda: adapter.list_deploys(plan.deploys))
    out.deploys.extend(result or [])


async def _events(adapter: ProviderEventSource, plan: Plan, tracker: _Tracker, out: Collected) -> None:
    window = TimeWindow.ending_at(plan.at, timedelta(hours=1))
    result = await tracker.run(adapter.name, "provider_events", lambda: adapter.list_events(window))
    out.events.extend(result or [])


async def _alerts(adapter: AlertSource, plan: Plan, tracker: _Tracker, out: Collected) -> None:
    result = await tracker.run(adapter.name, "alerts", lambda: adapter.list_alerts(plan.at))
    out.alerts.extend(result or [])
