"""query_metric with free PromQL against a real Prometheus agrees with the replay's answer to the same signal."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from mcp import Client

from adapters.replay.scenario import load_scenario
from mcp_server.config import parse_config
from mcp_server.server import create_server

pytestmark = [pytest.mark.integration, pytest.mark.anyio]
SCENARIO = "bad-deploy"


def server_for(prometheus_url: str | None):
    scenario = load_scenario(SCENARIO)
    adapters: dict = {"replay": {"scenario": SCENARIO}}
    raw: dict = {"services": scenario.services_config(), "adapters": adapters}
    if prometheus_url:
        adapters["prometheus"] = {"url": prometheus_url}
        raw["sources"] = {"metrics": ["prometheus"]}
    return create_server(parse_config(raw, base_dir=Path(".")), reference=scenario.anchor)


async def metric(server, **arguments) -> dict:
    async with Client(server) as client:
        result = await client.call_tool("query_metric", arguments)
    assert not result.is_error, result.content
    return result.structured_content


async def test_free_promql_on_the_real_server_matches_the_replayed_signal(prometheus_for):
    real_server = prometheus_for(SCENARIO)
    replayed = await metric(server_for(None), signal="errors", services=["checkout"], since="now-20m", step="1m")
    real = await metric(server_for(real_server.url), promql=replayed["query"], since="now-20m", step="1m")
    assert real["link"].startswith(real_server.url) and real["sources"][0]["status"] == "ok"
    (mine,), (theirs,) = replayed["series"], real["series"]
    assert theirs["labels"] == {"service": "checkout"} and theirs["points"] == mine["points"] == 21
    for field in ("min", "max", "last", "mean"):
        assert math.isclose(theirs[field], mine[field], rel_tol=1e-6), field


async def test_a_query_prometheus_refuses_is_an_error_naming_its_reason(prometheus_for):
    server = server_for(prometheus_for(SCENARIO).url)
    async with Client(server) as client:
        result = await client.call_tool("query_metric", {"promql": "sum(rate(http_requests_total[5m]"})
    assert result.is_error and "parse error" in result.content[0].text
