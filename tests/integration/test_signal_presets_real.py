"""Each signal preset against a real Prometheus holding metrics in that convention.

The series (convention_data.py) are backfilled with promtool and served by Debian's Prometheus; the
real triage runs through the prometheus adapter with ``signals.preset`` set, and its error ratio,
p99 and failing route must be what the generated counters imply, computed here without PromQL.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from convention_data import (
    ANCHOR,
    CONVENTIONS,
    Convention,
    expected_by_route,
    expected_error_ratio,
    expected_quantile_seconds,
    write_openmetrics,
)
from prometheus_server import PrometheusHarnessError, backfill_file, find_binary, serve_tsdb

from mcp_server.config import parse_config
from mcp_server.runtime import open_runtime
from mcp_server.triage.engine import run_triage

pytestmark = [pytest.mark.integration, pytest.mark.anyio]
WINDOW = timedelta(minutes=15)  # triage.window_minutes' default


@pytest.fixture(scope="module", params=sorted(CONVENTIONS))
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Convention, str]]:
    """A real Prometheus holding one convention's series; yields (convention, its URL)."""
    convention = CONVENTIONS[request.param]
    try:
        find_binary("prometheus"), find_binary("promtool")
        with tempfile.TemporaryDirectory(prefix=f"ff-prom-{convention.preset}-") as tmp:
            root = Path(tmp)
            source = root / "samples.om"
            write_openmetrics(convention, source)
            backfill_file(source, root / "data", convention.preset)
            with serve_tsdb(root / "data", root) as url:
                yield convention, url
    except PrometheusHarnessError as exc:
        pytest.fail(str(exc), pytrace=False)  # a broken setup must fail, never skip


def config_for(convention: Convention, url: str, preset: str | None = None):
    """The convention's two services read from ``url`` with ``preset`` (default: the convention's own)."""
    raw = {
        "services": [{"name": name} for name in convention.services],
        "signals": {"preset": preset or convention.preset},
        "adapters": {"prometheus": {"url": url}},
    }
    return parse_config(raw, base_dir=Path("."))


def close(actual: float | None, expected: float) -> bool:
    return actual is not None and math.isclose(actual, expected, rel_tol=1e-6, abs_tol=1e-9)


async def test_triage_with_the_preset_reads_what_the_data_implies(served):
    convention, url = served
    healthy, failing = convention.services
    async with open_runtime(config_for(convention, url)) as runtime:
        result = await run_triage(runtime, ANCHOR)
    assert all(s.status == "ok" for s in result.sources), result.sources
    verdicts = {v.service: v for v in result.services}
    for service in convention.services:
        verdict = verdicts[service]
        ratio = expected_error_ratio(convention, service, ANCHOR, WINDOW)
        p99_ms = expected_quantile_seconds(convention, service, 0.99, ANCHOR, WINDOW) * 1000
        p50_ms = expected_quantile_seconds(convention, service, 0.5, ANCHOR, WINDOW) * 1000
        assert close(verdict.error_ratio.now, ratio), (service, verdict.error_ratio.now, ratio)
        assert close(verdict.latency_p99_ms.now, p99_ms), (service, verdict.latency_p99_ms.now, p99_ms)
        assert close(verdict.latency_p50_ms.now, p50_ms), (service, verdict.latency_p50_ms.now, p50_ms)
        assert verdict.traffic_rps.now is not None and verdict.traffic_rps.now > 0
    assert result.degraded == [failing], [(v.service, v.status, v.reasons) for v in result.services]
    assert verdicts[healthy].status == "healthy", verdicts[healthy].reasons
    bad = verdicts[failing]
    assert bad.error_ratio.degraded and bad.latency_p99_ms.degraded, bad.reasons
    by_route = expected_by_route(convention, failing, ANCHOR, WINDOW)
    worst = max(by_route, key=lambda route: by_route[route])
    assert worst == convention.routes[1]
    assert bad.failing_routes and bad.failing_routes[0].route == worst
    assert close(bad.failing_routes[0].errors_per_s, by_route[worst])


async def test_a_wrong_preset_finds_no_data(served):
    """Read with another convention's names, nothing comes back: the preset is what makes it work."""
    convention, url = served
    other = "istio" if convention.preset != "istio" else "otel"
    async with open_runtime(config_for(convention, url, other)) as runtime:
        result = await run_triage(runtime, ANCHOR)
    assert all(v.error_ratio.now is None and v.latency_p99_ms.now is None for v in result.services)
    assert result.degraded == []
