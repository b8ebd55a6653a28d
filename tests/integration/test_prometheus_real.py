"""The replay adapter against a real Prometheus 2.x holding the same samples: the answers must agree.

Every bundled scenario is exported as OpenMetrics, backfilled with promtool and served by
/usr/bin/prometheus; then every default signal query (built by mcp_server.signals.build_query,
the same as triage) is asked of both, through PrometheusAdapter and ReplayAdapter, at the anchor,
a day and a week before it, and between two samples (where Prometheus extrapolates).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_server import PrometheusServer, fixture_name

from adapters.base import AdapterContext
from adapters.models import Sample, Series, SignalName, SignalQuery, TimeWindow
from adapters.prometheus import PrometheusAdapter
from adapters.replay.adapter import ReplayAdapter, ReplaySettings
from adapters.replay.scenario import list_scenarios
from mcp_server.config import SignalsConfig
from mcp_server.signals import build_query

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

SIGNALS: list[tuple[SignalName, float | None]] = [
    ("requests", None),
    ("errors", None),
    ("route_requests", None),
    ("route_errors", None),
    ("latency", 0.5),
    ("latency", 0.95),
    ("latency", 0.99),
]
MOMENTS = {
    "anchor": timedelta(0),
    "a day before": timedelta(days=1),
    "a week before": timedelta(days=7),
    "between samples": timedelta(minutes=3, seconds=20),
}
RANGES = (900, 3600)
REL_TOL = 1e-6


@pytest.fixture
async def http(anyio_backend: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def both(server: PrometheusServer, http: httpx.AsyncClient) -> tuple[PrometheusAdapter, ReplayAdapter]:
    context = AdapterContext(base_dir=Path.cwd())
    prometheus = PrometheusAdapter("prometheus", PrometheusAdapter.config_model(url=server.url), http, context)
    replay = ReplayAdapter("replay", ReplaySettings(scenario=server.scenario.name), http, context)
    return prometheus, replay


def queries(names: list[str], range_seconds: int) -> list[SignalQuery]:
    signals = SignalsConfig()
    return [build_query(signals, s, names, range_seconds=range_seconds, quantile=q) for s, q in SIGNALS]


def same_value(real: float | None, replayed: float | None) -> bool:
    if real is None or replayed is None:
        return real is replayed
    return math.isclose(real, replayed, rel_tol=REL_TOL, abs_tol=1e-12)


def by_labels(samples: list[Sample]) -> dict[tuple[tuple[str, str], ...], float | None]:
    return {tuple(sorted(s.labels.items())): s.value for s in samples}


def assert_same_vector(real: list[Sample], replayed: list[Sample], where: str) -> None:
    expected, got = by_labels(real), by_labels(replayed)
    assert got.keys() == expected.keys(), f"{where}: label sets differ: {set(got) ^ set(expected)}"
    wrong = {k: (expected[k], got[k]) for k in expected if not same_value(expected[k], got[k])}
    assert not wrong, f"{where}: (prometheus, replay) differ for {wrong}"


@pytest.mark.parametrize("scenario", list_scenarios())
async def test_instant_queries_match_real_prometheus(
    scenario: str, request: pytest.FixtureRequest, http: httpx.AsyncClient
) -> None:
    server: PrometheusServer = request.getfixturevalue(fixture_name(scenario))
    prometheus, replay = both(server, http)
    names = server.scenario.names()
    compared = 0
    for label, offset in MOMENTS.items():
        at: datetime = server.scenario.anchor - offset
        for range_seconds in RANGES:
            for query in queries(names, range_seconds):
                real = await prometheus.instant(query, at)
                where = f"{scenario} {label} {query.signal} q={query.quantile} [{range_seconds}s]: {query.promql}"
                assert_same_vector(real, await replay.instant(query, at), where)
                compared += len(real)
    requests = await prometheus.instant(queries(names, 900)[0], server.scenario.anchor)
    assert {s.labels["service"] for s in requests} == set(names)  # not two empty answers agreeing
    assert all((s.value or 0) > 0 for s in requests)
    assert compared > 100


def points_of(series: list[Series]) -> dict[tuple[tuple[str, str], ...], list[tuple[datetime, float | None]]]:
    return {tuple(sorted(s.labels.items())): [(p.t, p.v) for p in s.points] for s in series}


@pytest.mark.parametrize("scenario", list_scenarios())
async def test_range_queries_match_real_prometheus(
    scenario: str, request: pytest.FixtureRequest, http: httpx.AsyncClient
) -> None:
    server: PrometheusServer = request.getfixturevalue(fixture_name(scenario))
    prometheus, replay = both(server, http)
    window = TimeWindow.ending_at(server.scenario.anchor, timedelta(hours=1))
    for query in queries(server.scenario.names(), 900):
        real = points_of(await prometheus.range(query, window, timedelta(minutes=1)))
        replayed = points_of(await replay.range(query, window, timedelta(minutes=1)))
        where = f"{scenario} range {query.signal} q={query.quantile}"
        assert replayed.keys() == real.keys(), f"{where}: label sets differ"
        for key, points in real.items():
            assert len(points) == 61, f"{where} {key}: expected a point a minute"
            assert [t for t, _ in replayed[key]] == [t for t, _ in points], f"{where} {key}: timestamps differ"
            wrong = [(t, a, b) for (t, a), (_, b) in zip(points, replayed[key], strict=True) if not same_value(a, b)]
            assert not wrong, f"{where} {key}: (time, prometheus, replay) differ at {wrong[:5]}"


async def test_whole_history_and_its_edges_match_real_prometheus(
    prometheus_full_history: PrometheusServer, http: httpx.AsyncClient
) -> None:
    # Outside the triage segments, and next to where the series start and stop: Prometheus then
    # extrapolates (or refuses to, below a counter's zero), and the replay must do the same.
    prometheus, replay = both(prometheus_full_history, http)
    scenario = prometheus_full_history.scenario
    start, end = scenario.series_start, scenario.series_end
    moments = {
        "3 days before, in the nightly quiet hour": scenario.anchor - timedelta(days=3),
        "5.5 minutes after the series start": start + timedelta(minutes=5, seconds=30),
        "20 minutes after the series start": start + timedelta(minutes=20),
        "5 minutes after the last sample": end + timedelta(minutes=5, seconds=10),
        "after the data": end + timedelta(minutes=61),
    }
    answered = 0
    for label, at in moments.items():
        for query in queries(scenario.names(), 900) + queries(scenario.names(), 3600)[:2]:
            real = await prometheus.instant(query, at)
            assert_same_vector(real, await replay.instant(query, at), f"full history, {label}, {query.promql}")
            answered += len(real)
    assert answered > 0
    assert await prometheus.instant(queries(scenario.names(), 900)[0], moments["after the data"]) == []


async def test_expected_degradation_is_visible_in_real_prometheus(
    prometheus_bad_deploy: PrometheusServer, http: httpx.AsyncClient
) -> None:
    # Beyond agreement: the served data tells the scenario's story (5xx on checkout after the deploy).
    prometheus, _ = both(prometheus_bad_deploy, http)
    anchor = prometheus_bad_deploy.scenario.anchor
    requests, errors = queries(["checkout"], 900)[:2]

    async def error_ratio(at: datetime) -> float:
        failed = (await prometheus.instant(errors, at))[0].value
        answered = (await prometheus.instant(requests, at))[0].value
        assert failed is not None and answered
        return failed / answered

    assert await error_ratio(anchor) > 0.05
    assert await error_ratio(anchor - timedelta(days=1)) < 0.01
