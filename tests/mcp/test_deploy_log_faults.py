"""A deploy log with gaps and overlapping deploys still ranks, with per-deploy reasons for what is missing."""

from __future__ import annotations

import json

import pytest
from mcp import Client

from mcp_server.config import parse_config
from mcp_server.server import create_server

pytestmark = pytest.mark.anyio

DEPLOYS = [
    # Two overlapping rollouts of checkout, one still running with no finish time, one with no commits.
    {
        "id": "d1",
        "service": "checkout",
        "version": "v2",
        "previous_version": "v1",
        "started_at": "2026-03-14T02:30:00Z",
        "finished_at": "2026-03-14T02:50:00Z",
        "status": "succeeded",
        "repo": "acme/shop",
        "sha": "b" * 40,
        "previous_sha": "a" * 40,
    },
    {
        "id": "d2",
        "service": "checkout",
        "version": "v3",
        "previous_version": "v2",
        "started_at": "2026-03-14T02:40:00Z",
        "finished_at": "2026-03-14T02:45:00Z",
        "status": "succeeded",
    },
    {"id": "d3", "service": "payments", "version": "v9", "started_at": "2026-03-14T02:20:00Z", "status": "in_progress"},
    {
        "id": "d4",
        "service": "checkout",
        "version": "v4",
        "started_at": "2026-03-14T03:05:00Z",
        "finished_at": "2026-03-14T03:08:00Z",
        "status": "succeeded",
    },
]


@pytest.fixture
async def client(tmp_path):
    (tmp_path / "deploys.jsonl").write_text("\n".join(json.dumps(d) for d in DEPLOYS) + "\n")
    raw = {
        "services": [{"name": "checkout", "depends_on": ["payments"]}, {"name": "payments"}],
        "adapters": {"deploy_file": {"path": "deploys.jsonl"}},
    }
    async with Client(create_server(parse_config(raw, base_dir=tmp_path)), raise_exceptions=True) as c:
        yield c


async def test_gaps_and_overlaps_are_ranked_with_reasons(client):
    args = {"at": "2026-03-14T03:10:00Z", "onset": "2026-03-14T02:55:00Z", "services": ["checkout"]}
    result = await client.call_tool("rank_deploys", args)
    assert not result.is_error
    data = result.structured_content
    ranked = {c["deploy"]["id"]: c for c in data["candidates"]}
    assert set(ranked) == {"d1", "d2", "d3"}  # d4 started after the onset
    assert [e["deploy_id"] for e in data["excluded"]] == ["d4"]
    assert "no change source knows repo 'acme/shop'" in ranked["d1"]["changes_error"]
    assert "no previous and deployed commit" in ranked["d2"]["changes_error"]
    timing = next(f for f in ranked["d3"]["features"] if f["name"] == "timing")
    assert timing["score"] == 1.0 and ranked["d3"]["minutes_before_onset"] is None  # still rolling out
    assert all(s["status"] == "ok" for s in data["sources"])


async def test_plan_for_an_overlapped_deploy_names_what_is_stacked_on_it(client):
    result = await client.call_tool("rollback_plan", {"deploy_id": "d1", "at": "2026-03-14T03:10:00Z"})
    plan = result.structured_content
    assert plan["stacked_deploys"] == ["d2", "d4"]
    assert plan["risk"] == "medium" and any("stacked on top" in r for r in plan["risk_reasons"])
    assert any("change set is unknown" in r for r in plan["risk_reasons"])
