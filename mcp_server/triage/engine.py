"""Triage, end to end: collect from every source, judge each service, place roots and symptoms, summarise."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from adapters.models import Sample, SourceStatus, TimeWindow
from mcp_server.clock import align_to_minute
from mcp_server.runtime import Progress, Runtime, no_progress
from mcp_server.triage.assess import MOMENTS, Observation, assess
from mcp_server.triage.collect import Collected, Plan, collect, collect_details, make_plan, service_links
from mcp_server.triage.models import ServiceVerdict, TriageResult
from mcp_server.triage.summary import render_summary, ruled_out
from mcp_server.triage.topology import assign_roles

MAX_SERVICES_LISTED = 50
STATUS_ORDER = {"degraded": 0, "unknown": 1, "quiet": 2, "healthy": 3}
ROLE_ORDER = {"likely_root": 0, "symptom": 1, "none": 2}


async def run_triage(
    runtime: Runtime,
    at: datetime,
    services: list[str] | None = None,
    progress: Progress = no_progress,
) -> TriageResult:
    """Triage ``services`` (default: all configured) as of ``at``."""
    config = runtime.config
    chosen = [config.service(name).name for name in services] if services else [s.name for s in config.services]
    plan = make_plan(runtime, align_to_minute(at))
    collected = await collect(runtime, plan, chosen, progress)
    observations = build_observations(runtime, plan, collected, chosen)
    verdicts = [assess(observations[name], config.triage) for name in chosen]
    degraded = [v.service for v in verdicts if v.status == "degraded"]
    if degraded:
        error_degraded = [v.service for v in verdicts if v.error_ratio.degraded]
        details = await collect_details(runtime, plan, degraded, error_degraded, progress)
        collected.statuses = _merge_statuses(collected.statuses, details.statuses)
        collected.queries += details.queries
        _add_sparklines(runtime, observations, details)
        _add_routes(runtime, observations, details)
        verdicts = [assess(observations[v.service], config.triage) if v.status == "degraded" else v for v in verdicts]
    depends = {s.name: s.depends_on for s in config.services}
    verdicts = assign_roles(_with_context(runtime, plan, verdicts), depends)
    result = _result(runtime, plan, collected, verdicts)
    return result.model_copy(update={"summary_markdown": render_summary(result)})


async def measure(
    runtime: Runtime,
    at: datetime,
    services: list[str] | None,
    signals: tuple[str, ...],
    width: timedelta | None = None,
    progress: Progress = no_progress,
) -> tuple[Plan, list[ServiceVerdict], Collected]:
    """Only the metrics part of triage, for the single-signal tools: verdicts judged on ``signals`` alone."""
    config = runtime.config
    chosen = [config.service(name).name for name in services] if services else [s.name for s in config.services]
    plan = make_plan(runtime, align_to_minute(at), width)
    collected = await collect(runtime, plan, chosen, progress, signals=signals, capabilities=("metrics",))
    observations = build_observations(runtime, plan, collected, chosen)
    return plan, [assess(observations[name], config.triage) for name in chosen], collected


def baseline_windows(plan: Plan) -> dict[str, TimeWindow]:
    """The baseline windows of a plan, by name."""
    return {m: _moment_window(plan, m) for m in MOMENTS[1:]}


def build_observations(
    runtime: Runtime, plan: Plan, collected: Collected, services: list[str]
) -> dict[str, Observation]:
    """Sort the per-signal answers into one Observation per service."""
    label = runtime.config.signals.service_label
    seconds = {moment: float(width) for moment, (_, width) in plan.moments.items()}
    observations = {name: Observation(service=name, window_seconds=seconds) for name in services}
    for (signal, moment), samples in collected.instant.items():
        for sample in samples:
            obs = observations.get(sample.labels.get(label, ""))
            if obs is not None:
                obs.values.setdefault(signal, {})[moment] = sample.value
    for (signal, moment), reason in collected.failed.items():
        for obs in observations.values():
            if moment == MOMENTS[0]:
                obs.missing[signal] = reason
            else:
                obs.failed_baselines.add((signal, moment))
    for result in collected.health:
        if result.service in observations:
            observations[result.service].health = result
    return observations


def _add_sparklines(runtime: Runtime, observations: dict[str, Observation], collected: Collected) -> None:
    label = runtime.config.signals.service_label
    points: dict[str, dict[str, dict[datetime, float | None]]] = defaultdict(lambda: defaultdict(dict))
    for signal, series_list in collected.ranges.items():
        for series in series_list:
            for point in series.points:
                points[series.labels.get(label, "")][signal][point.t] = point.v
    for name, obs in observations.items():
        by_signal = points.get(name, {})
        requests, errors = by_signal.get("requests", {}), by_signal.get("errors", {})
        moments = sorted(requests)
        obs.traffic_points = [(t, requests[t]) for t in moments]
        obs.error_points = [(t, _share(errors.get(t), requests[t])) for t in moments]
        obs.latency_points = sorted(by_signal.get("p99", {}).items())


def _share(errors: float | None, requests: float | None) -> float | None:
    if requests is None or requests <= 0:
        return None
    return (errors or 0.0) / requests


def _add_routes(runtime: Runtime, observations: dict[str, Observation], routes: Collected) -> None:
    service_label, route_label = runtime.config.signals.service_label, runtime.config.signals.route_label

    def by_key(samples: list[Sample]) -> dict[tuple[str, str], float]:
        return {(s.labels.get(service_label, ""), s.labels.get(route_label, "")): s.value or 0.0 for s in samples}

    errors, requests = by_key(routes.routes.get("route_errors", [])), by_key(routes.routes.get("route_requests", []))
    for (service, route), value in errors.items():
        if service in observations:
            observations[service].routes.append((route, value, requests.get((service, route))))


def _merge_statuses(first: list[SourceStatus], second: list[SourceStatus]) -> list[SourceStatus]:
    merged = {(s.source, s.capability): s for s in first}
    for status in second:
        key = (status.source, status.capability)
        old = merged.get(key)
        if old is None:
            merged[key] = status
            continue
        worse = status if status.status != "ok" and old.status == "ok" else old
        merged[key] = worse.model_copy(update={"queries": old.queries + status.queries})
    return list(merged.values())


def _with_context(runtime: Runtime, plan: Plan, verdicts: list[ServiceVerdict]) -> list[ServiceVerdict]:
    configured = {s.name: s for s in runtime.config.services}
    return [
        v.model_copy(
            update={
                "team": configured[v.service].team,
                "status_component": configured[v.service].status_component,
                "links": service_links(runtime, plan, v.service) if v.status != "healthy" else {},
            }
        )
        for v in verdicts
    ]


def _result(runtime: Runtime, plan: Plan, collected: Collected, verdicts: list[ServiceVerdict]) -> TriageResult:
    ordered = sorted(verdicts, key=lambda v: (STATUS_ORDER[v.status], ROLE_ORDER[v.role], v.service))
    listed = [v for v in ordered if v.status in ("degraded", "unknown")]
    rest = [v for v in ordered if v.status not in ("degraded", "unknown")]
    room = max(0, MAX_SERVICES_LISTED - len(listed))
    truncated = len(rest) > room
    return TriageResult(
        at=plan.at,
        environment=runtime.config.environment,
        window=plan.window,
        baselines=baseline_windows(plan),
        sparkline_window=plan.spark,
        deploy_window=plan.deploys,
        degraded=[v.service for v in ordered if v.status == "degraded"],
        likely_roots=[v.service for v in ordered if v.role == "likely_root"],
        symptoms=[v.service for v in ordered if v.role == "symptom"],
        unknown=[v.service for v in ordered if v.status == "unknown"],
        services=listed + rest[:room],
        services_total=len(verdicts),
        ruled_out=ruled_out(ordered, collected.deploys, collected.events, collected.statuses),
        deploys=sorted(collected.deploys, key=lambda d: d.started_at, reverse=True),
        provider_events=collected.events,
        alerts=sorted(collected.alerts, key=lambda a: a.starts_at),
        sources=sorted(collected.statuses, key=lambda s: (s.capability, s.source)),
        queries_made=collected.queries,
        truncated=truncated,
        hint="Healthy services beyond the first 50 are counted, not listed; pass services=[...] to see them."
        if truncated
        else "",
        data_note=runtime.data_note,
    )


def _moment_window(plan: Plan, moment: str) -> TimeWindow:
    at, seconds = plan.moments[moment]
    return TimeWindow.ending_at(at, timedelta(seconds=seconds))
