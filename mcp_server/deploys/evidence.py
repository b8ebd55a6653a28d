"""Gather what :mod:`mcp_server.deploys.alternatives` weighs: provider incidents and the previous days' metrics.

The history is read with range queries whose step is one day, ending a day before the window
triage measured: each query answers every degraded service on every previous day at once, so the
number of queries depends on the signals (at most errors, requests and one latency percentile
each), never on the services or the days. A query that fails, or misses the deadline, makes the
history unknown, and the statuses say so.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from adapters.base import MetricsSource
from adapters.errors import AdapterError
from adapters.models import ProviderEvent, Series, SignalName, SignalQuery, SourceState, SourceStatus, TimeWindow
from mcp_server.deploys.alternatives import (
    DAY,
    History,
    Recurrence,
    Symptom,
    SymptomSignal,
    better_explanation,
    judge_recurrence,
    provider_at_onset,
    provider_dependents,
)
from mcp_server.deploys.incident import Incident
from mcp_server.deploys.models import Alternative
from mcp_server.runtime import Runtime, no_progress
from mcp_server.signals import build_query
from mcp_server.triage.collect import collect, make_plan

Key = tuple[str, SymptomSignal]
QueryKey = tuple[SignalName, float | None]  # signal and latency quantile


@dataclass(frozen=True)
class Alternatives:
    """What was found besides the deploys: the better explanation, if any, and the recurrence check."""

    better: Alternative | None
    recurrence: Recurrence


async def weigh_alternatives(runtime: Runtime, incident: Incident) -> tuple[Alternatives, list[SourceStatus]]:
    """Provider incidents at the onset and the daily recurrence, concurrently, with their source statuses."""
    settings = runtime.config.deploys
    (events, event_statuses), (history, history_statuses) = await asyncio.gather(
        provider_events(runtime, incident), read_history(runtime, incident.symptoms, incident.measured)
    )
    services = {s.name: s for s in runtime.config.services}
    within = timedelta(minutes=settings.provider_minutes)
    provider = provider_at_onset(events, incident.onset, provider_dependents(incident.affected, services), within)
    recurrence = judge_recurrence(incident.symptoms, incident.roots, history, settings.recurrence_min_days)
    return Alternatives(better_explanation(provider, recurrence), recurrence), event_statuses + history_statuses


async def provider_events(runtime: Runtime, incident: Incident) -> tuple[list[ProviderEvent], list[SourceStatus]]:
    """The provider events triage collected, else those open in the hour up to shortly after the onset."""
    if incident.provider_events is not None:
        return incident.provider_events, []
    if not any(s.providers for s in runtime.config.services):
        return [], []  # nothing could match: spare the status pages a request
    after = timedelta(minutes=runtime.config.deploys.provider_minutes)
    plan = make_plan(runtime, incident.onset + after)
    collected = await collect(runtime, plan, [], no_progress, signals=(), capabilities=("provider_events",))
    return collected.events, collected.statuses


async def read_history(
    runtime: Runtime, symptoms: Sequence[Symptom], measured: TimeWindow | None
) -> tuple[History, list[SourceStatus]]:
    """The symptoms' signals over ``measured`` shifted back 1..``recurrence_days`` days."""
    days = runtime.config.deploys.recurrence_days
    source = runtime.metrics()
    if measured is None:  # onset and services were given: triage did not run
        return History(None, days, error="no triage measurements to compare with"), []
    if not symptoms:
        return History(measured, days, error="no error or latency symptom to compare"), []
    if source is None:
        return History(measured, days, error="no metrics source"), [_status("-", "skipped", "no metrics source", 0)]
    queries = _queries(runtime, symptoms, measured)
    shifted = TimeWindow(start=measured.end - days * DAY, end=measured.end - DAY)
    try:
        answers = await asyncio.wait_for(
            asyncio.gather(*(source.range(q, shifted, DAY) for q in queries.values())),
            runtime.config.triage.deadline_seconds,
        )
    except TimeoutError:
        return _failed(measured, days, source, "no answer within the deadline", "timeout", len(queries))
    except AdapterError as exc:
        return _failed(measured, days, source, exc.describe(), "error", len(queries))
    by_signal = dict(zip(queries, answers, strict=True))
    values = history_values(by_signal, measured, runtime.config.signals.service_label)
    detail = f"recurrence: {len(queries)} range queries over the {days} previous days"
    return History(measured, days, values), [_status(source.name, "ok", detail, len(queries))]


def _queries(runtime: Runtime, symptoms: Sequence[Symptom], measured: TimeWindow) -> dict[QueryKey, SignalQuery]:
    """One query per signal for every service with that symptom: errors and requests, and each percentile."""
    seconds = int(measured.duration.total_seconds())
    wanted: dict[QueryKey, set[str]] = {}
    for symptom in symptoms:
        kinds: tuple[SignalName, ...] = ("errors", "requests") if symptom.signal == "errors" else ("latency",)
        for kind in kinds:
            wanted.setdefault((kind, symptom.quantile if kind == "latency" else None), set()).add(symptom.service)
    return {
        key: build_query(runtime.config.signals, key[0], names, range_seconds=seconds, quantile=key[1])
        for key, names in sorted(wanted.items(), key=lambda item: (item[0][0], item[0][1] or 0.0))
    }


def history_values(
    answers: Mapping[QueryKey, Sequence[Series]], measured: TimeWindow, label: str
) -> dict[int, dict[Key, float | None]]:
    """Days ago -> (service, signal) -> the error ratio or latency (ms) then, from the range answers."""
    raw: dict[tuple[int, str, str], float] = {}
    for (kind, _), series in answers.items():
        for one in series:
            service = one.labels.get(label, "")
            for point in one.points:
                if point.v is not None and math.isfinite(point.v):
                    raw[(round((measured.end - point.t) / DAY), service, kind)] = point.v
    values: dict[int, dict[Key, float | None]] = {}
    for days_ago, service, signal in list(raw):
        day = values.setdefault(days_ago, {})
        if signal == "latency":
            day[(service, "latency")] = raw[(days_ago, service, signal)] * 1000
        elif signal == "requests":
            requests = raw[(days_ago, service, signal)]
            # No 5xx series while requests flow means no errors, as triage reads it.
            errors = raw.get((days_ago, service, "errors"), 0.0)
            day[(service, "errors")] = errors / requests if requests > 0 else None
    return values


def _failed(
    measured: TimeWindow, days: int, source: MetricsSource, why: str, state: SourceState, queries: int
) -> tuple[History, list[SourceStatus]]:
    detail = f"recurrence: {why}"
    return History(measured, days, error=f"the metrics query failed: {why}"), [
        _status(source.name, state, detail, queries)
    ]


def _status(source: str, state: SourceState, detail: str, queries: int) -> SourceStatus:
    return SourceStatus(source=source, capability="metrics", status=state, detail=detail, queries=queries)
