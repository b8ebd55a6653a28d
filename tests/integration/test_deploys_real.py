"""Deploy ranking with the metrics from a real Prometheus gives the replay's verdict, reason and explanation.

The recurrence check's range queries (a step of one day over the previous days) are what a real
Prometheus must answer like the replay; the deploys, changes and provider events come from the
scenario in both runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_triage_real import raw_config

from adapters.replay.scenario import list_scenarios, load_scenario
from mcp_server.config import parse_config
from mcp_server.deploys.correlate import correlate
from mcp_server.deploys.models import Ranking
from mcp_server.runtime import open_runtime

pytestmark = [pytest.mark.integration, pytest.mark.anyio]
DEPLOY_SCENARIOS = [n for n in list_scenarios() if load_scenario(n).expected.judges_deploys]


async def ranking(name: str, prometheus_url: str | None) -> tuple[Ranking, list[str]]:
    config = parse_config(raw_config(name, prometheus_url), base_dir=Path("."))
    async with open_runtime(config) as runtime:
        return await correlate(runtime, load_scenario(name).anchor), list(runtime.http_requests)


@pytest.mark.parametrize("name", DEPLOY_SCENARIOS)
async def test_real_prometheus_and_replay_give_the_same_verdict(name, prometheus_for):
    real, requests = await ranking(name, prometheus_for(name).url)
    replayed, _ = await ranking(name, None)
    assert any("/api/v1/query" in r for r in requests), "the metrics must come from the real server"
    if replayed.likely_roots:  # something degraded: its previous days were read with range queries
        assert any("/api/v1/query_range" in r for r in requests)
    assert all(s.status in ("ok", "skipped") for s in real.sources), real.sources
    assert (real.verdict, real.verdict_reason, real.alternative) == (
        replayed.verdict,
        replayed.verdict_reason,
        replayed.alternative,
    )
    assert [c.deploy.id for c in real.candidates] == [c.deploy.id for c in replayed.candidates]
