"""Deploy correlation tools on the embedded default, through the in-memory client."""

from __future__ import annotations

import pytest
from mcp import Client

from adapters.replay.scenario import load_scenario
from mcp_server.embedded import DEFAULT_SCENARIO
from mcp_server.server import create_server

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client():
    async with Client(create_server(), raise_exceptions=True) as c:
        yield c


def text_of(result) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


async def test_rank_then_changes_then_plan(client):
    expected = load_scenario(DEFAULT_SCENARIO).expected
    ranking = await client.call_tool("rank_deploys", {})
    assert not ranking.is_error, text_of(ranking)
    data = ranking.structured_content
    assert data["verdict"] == "deploy_implicated"
    top = data["candidates"][0]
    assert top["deploy"]["id"] == expected.culprit
    assert {f["name"] for f in top["features"]} == {
        "service",
        "upstream",
        "routes",
        "change_kind",
        "timing",
        "status",
        "size",
    }
    assert data["onset"].endswith("Z") and data["window"]["end"] == data["onset"]
    changes = await client.call_tool("get_deploy_changes", {"deploy_id": top["deploy"]["id"]})
    assert not changes.is_error and changes.structured_content["changes"]["files"]
    plan = await client.call_tool("rollback_plan", {"deploy_id": top["deploy"]["id"]})
    assert not plan.is_error, text_of(plan)
    body = plan.structured_content
    assert (
        body["draft"] is True
        and body["commands"]
        and body["verification"]
        and body["risk"] in ("low", "medium", "high")
    )
    assert "Nothing has been executed" in body["summary_markdown"]


async def test_unknown_deploy_lists_recent_ids(client):
    result = await client.call_tool("rollback_plan", {"deploy_id": "deploy-nope"})
    assert result.is_error
    assert "deploy-nope" in text_of(result) and load_scenario(DEFAULT_SCENARIO).expected.culprit in text_of(result)


async def test_ranking_and_plan_land_on_the_incident_timeline(client):
    incident = (await client.call_tool("declare_incident", {"title": "5xx", "severity": "SEV2"})).structured_content
    ranking = await client.call_tool("rank_deploys", {"incident_id": incident["id"]})
    top = ranking.structured_content["candidates"][0]["deploy"]["id"]
    await client.call_tool("rollback_plan", {"deploy_id": top, "incident_id": incident["id"]})
    events = (await client.call_tool("get_timeline", {"incident_id": incident["id"]})).structured_content["events"]
    kinds = [e["kind"] for e in events]
    assert "deploy_ranking" in kinds and "rollback_plan" in kinds
    assert any(top in e["text"] for e in events if e["kind"] == "deploy_ranking")


async def test_given_onset_and_services_skip_triage(client):
    from datetime import timedelta

    anchor = load_scenario(DEFAULT_SCENARIO).anchor
    at = (anchor - timedelta(minutes=5)).isoformat()
    result = await client.call_tool("rank_deploys", {"at": at, "onset": "now-20m", "services": ["checkout"]})
    data = result.structured_content
    assert data["onset_source"] == "given" and data["affected"] == ["checkout"]
    expected = (anchor - timedelta(minutes=25)).isoformat().replace("+00:00", "Z")
    assert data["onset"] == expected  # relative to `at`, not to the wall clock
    assert all(s["capability"] != "metrics" for s in data["sources"])
