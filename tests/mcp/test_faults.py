"""A backend that is down, slow or answering garbage gives partial results within the deadline."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
import respx
from mcp import Client

from mcp_server.config import parse_config
from mcp_server.server import create_server

pytestmark = pytest.mark.anyio
PROM = "http://prom.test"


def make_config(tmp_path: Path, deadline: float = 2.0):
    deploys = tmp_path / "deploys.jsonl"
    deploys.write_text(
        json.dumps(
            {
                "id": "d1",
                "service": "api",
                "version": "v2",
                "started_at": "2026-03-14T02:50:00Z",
                "finished_at": "2026-03-14T02:55:00Z",
                "status": "succeeded",
            }
        )
        + "\n"
    )
    raw = {
        "services": [{"name": "api", "depends_on": ["db"]}, {"name": "db"}],
        "triage": {"deadline_seconds": deadline},
        "adapters": {"prometheus": {"url": PROM, "timeout_s": 30}, "deploy_file": {"path": "deploys.jsonl"}},
    }
    return parse_config(raw, base_dir=tmp_path)


async def triage(tmp_path, deadline: float = 2.0):
    async with Client(create_server(make_config(tmp_path, deadline)), raise_exceptions=True) as client:
        return await client.call_tool("triage", {"at": "2026-03-14T03:00:00Z"})


def assert_partial(result, status: str):
    assert not result.is_error
    data = result.structured_content
    prom = [s for s in data["sources"] if s["source"] == "prometheus"]
    assert prom and prom[0]["status"] == status, prom
    assert data["degraded"] == [] and sorted(data["unknown"]) == ["api", "db"]  # never "healthy"
    assert all(v["status"] == "unknown" for v in data["services"])
    assert [d["id"] for d in data["deploys"]] == ["d1"]  # the other source still answered
    assert "did not answer" in data["summary_markdown"]
    assert not any("normal against baseline" in line for line in data["ruled_out"])


@pytest.mark.parametrize(
    ("response", "status"),
    [
        (httpx.ConnectError("connection refused"), "error"),
        (httpx.Response(500, text="internal error"), "error"),
        (httpx.Response(200, text="<html>login</html>"), "error"),
        (httpx.Response(200, json={"status": "success", "data": {"nope": 1}}), "error"),
    ],
)
@respx.mock
async def test_prometheus_down_or_garbage_gives_unknown_not_healthy(tmp_path, response, status):
    route = respx.post(url__startswith=PROM)
    if isinstance(response, Exception):
        route.mock(side_effect=response)
    else:
        route.mock(return_value=response)
    assert_partial(await triage(tmp_path), status)


@respx.mock
async def test_prometheus_slower_than_deadline_is_cut_off(tmp_path):
    async def slow(request):
        await asyncio.sleep(20)
        return httpx.Response(200, json={"status": "success", "data": {"resultType": "vector", "result": []}})

    respx.post(url__startswith=PROM).mock(side_effect=slow)
    # "timeout" (not "ok" after 20 s) shows the deadline cut the call off.
    assert_partial(await triage(tmp_path, deadline=1.0), "timeout")
