"""The same scenario, triaged from a real Prometheus and from the replay adapter, gives the same triage.

Also the acceptance command: ``firstfifteen triage --config <real Prometheus> --at <time> --json``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from adapters.replay.scenario import list_scenarios, load_scenario
from mcp_server.cli import main
from mcp_server.config import parse_config
from mcp_server.runtime import open_runtime
from mcp_server.triage.engine import run_triage

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


def raw_config(name: str, prometheus_url: str | None) -> dict:
    scenario = load_scenario(name)
    adapters: dict = {"replay": {"scenario": name}}
    raw = {"services": scenario.services_config(), "adapters": adapters}
    if prometheus_url:
        adapters["prometheus"] = {"url": prometheus_url}
        # Metrics from the real Prometheus; deploys, alerts, health and provider events from the scenario.
        raw["sources"] = {"metrics": ["prometheus"]}
    return raw


async def triage(name: str, prometheus_url: str | None):
    config = parse_config(raw_config(name, prometheus_url), base_dir=Path("."))
    async with open_runtime(config) as runtime:
        result = await run_triage(runtime, load_scenario(name).anchor)
        return result, list(runtime.http_requests)


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


@pytest.mark.parametrize("name", list_scenarios())
async def test_real_prometheus_and_replay_give_the_same_triage(name, prometheus_for):
    server = prometheus_for(name)
    real, requests = await triage(name, server.url)
    replayed, _ = await triage(name, None)
    expected = load_scenario(name).expected
    assert all(s.status == "ok" for s in real.sources), real.sources
    assert any("/api/v1/query" in r for r in requests), "the metrics must come from the real server"
    assert (real.degraded, real.likely_roots, real.symptoms) == (
        replayed.degraded,
        replayed.likely_roots,
        replayed.symptoms,
    )
    assert sorted(real.likely_roots) == sorted(expected.roots) and sorted(real.symptoms) == sorted(expected.symptoms)
    replay_by_name = {v.service: v for v in replayed.services}
    for verdict in real.services:
        twin = replay_by_name[verdict.service]
        assert verdict.status == twin.status and verdict.role == twin.role, verdict.service
        for field in ("error_ratio", "traffic_rps", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms"):
            mine, theirs = getattr(verdict, field), getattr(twin, field)
            for attr in ("now", "day_ago", "week_ago", "prev_hour"):
                assert close(getattr(mine, attr), getattr(theirs, attr)), (verdict.service, field, attr)
        assert [r.route for r in verdict.failing_routes] == [r.route for r in twin.failing_routes]
        assert verdict.onset == twin.onset and verdict.sparkline == twin.sparkline
    assert real.queries_made == replayed.queries_made


def test_cli_triage_against_real_prometheus(prometheus_bad_deploy, tmp_path, capsys):
    path = tmp_path / "firstfifteen.yaml"
    path.write_text(yaml.safe_dump(raw_config("bad-deploy", prometheus_bad_deploy.url)))
    anchor = load_scenario("bad-deploy").anchor.isoformat().replace("+00:00", "Z")
    assert main(["triage", "--config", str(path), "--at", anchor, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["at"] == anchor and result["window"]["end"] == anchor
    assert result["likely_roots"] == ["checkout"] and result["symptoms"] == ["frontend"]
    checkout = next(s for s in result["services"] if s["service"] == "checkout")
    assert checkout["error_ratio"]["now"] > 0.05 > checkout["error_ratio"]["baseline"]
    assert checkout["links"]["errors"].startswith(prometheus_bad_deploy.url + "/graph?g0.expr=")
    from urllib.parse import unquote

    assert 'service=~"checkout"' in unquote(checkout["links"]["errors"])  # one service's query, short to read
    assert {s["source"] for s in result["sources"]} >= {"prometheus", "replay"}
