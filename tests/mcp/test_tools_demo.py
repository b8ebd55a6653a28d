"""The server on its embedded default (a replayed scenario), through the SDK's in-memory client."""

from __future__ import annotations

import pytest
from mcp import Client

from adapters.replay.scenario import load_scenario
from mcp_server.config import WritesConfig
from mcp_server.embedded import DEFAULT_SCENARIO, demo_settings
from mcp_server.server import create_server

pytestmark = pytest.mark.anyio

READ_ONLY = {
    "triage",
    "query_error_rate",
    "query_latency",
    "check_health",
    "list_deploys",
    "list_provider_events",
    "list_active_alerts",
    "get_incident",
    "list_incidents",
    "get_timeline",
    "get_deploy_changes",
    "rank_deploys",
    "rollback_plan",
    "comms_schedule",
    "list_hypotheses",
    "get_coordination",
    "query_metric",
    "query_logs",
}
RECORD_WRITES = {
    "declare_incident",
    "set_incident_status",
    "append_timeline",
    "draft_communications",
    "record_hypothesis",
    "add_evidence",
    "update_hypothesis",
    "draft_postmortem",
    "assign_role",
    "track_work",
    "handoff",
}
OUTSIDE_WRITES = {"post_status", "post_chat", "send_email"}
SYNC = {"sync_timeline", "propose_hypotheses"}  # read outside systems, write only the local record


@pytest.fixture
async def client():
    async with Client(create_server(), raise_exceptions=True) as c:
        yield c


def text_of(result) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


def writes_on_server():
    """The embedded default with every outside write channel on."""
    config, note, reference = demo_settings()
    writes = WritesConfig(status_page=True, chat=True, email=True)
    config = config.model_copy(update={"comms": config.comms.model_copy(update={"writes": writes})})
    return create_server(config, data_note=note, reference=reference)


async def test_every_tool_is_typed_annotated_and_described():
    async with Client(writes_on_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert READ_ONLY | RECORD_WRITES | OUTSIDE_WRITES | SYNC == set(tools)
    for name, tool in tools.items():
        assert tool.description and len(tool.description) < 400, name
        assert tool.output_schema and tool.output_schema.get("type") == "object", name
        assert tool.annotations is not None, name
        assert tool.annotations.read_only_hint is (name in READ_ONLY), name
        if name in RECORD_WRITES:
            assert tool.annotations.destructive_hint is False and tool.annotations.open_world_hint is False
        if name in OUTSIDE_WRITES | SYNC:  # once per draft / nothing twice: idempotent, not destructive
            a = tool.annotations
            assert (a.destructive_hint, a.idempotent_hint, a.open_world_hint) == (False, True, True)


async def test_the_default_server_offers_no_outside_write(client):
    names = {t.name for t in (await client.list_tools()).tools}
    assert names == READ_ONLY | RECORD_WRITES | SYNC


async def test_triage_on_demo_finds_the_scenarios_roots(client):
    scenario = load_scenario(DEFAULT_SCENARIO)
    progress = []

    async def on_progress(done, total, message):
        progress.append((done, total, message))

    result = await client.call_tool("triage", {}, progress_callback=on_progress)
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert set(data["likely_roots"]) == set(scenario.expected.roots)
    assert set(data["symptoms"]) == set(scenario.expected.symptoms)
    assert data["window"]["end"].endswith("Z") and data["at"] == data["window"]["end"]
    assert "Demo data" in data["data_note"] and "Demo data" in data["summary_markdown"]
    assert all(s["status"] == "ok" for s in data["sources"])
    assert progress and progress[-1][0] == progress[-1][1]


async def test_unknown_service_lists_the_known_ones(client):
    result = await client.call_tool("query_error_rate", {"services": ['x"}) or vector(1) #']})
    assert result.is_error
    message = text_of(result)
    assert "unknown service" in message
    for service in load_scenario(DEFAULT_SCENARIO).names():
        assert service in message


async def test_invalid_time_says_what_is_accepted(client):
    result = await client.call_tool("triage", {"at": "yesterday at noon"})
    assert result.is_error and "now-15m" in text_of(result) and "RFC3339" in text_of(result)


async def test_error_rate_and_latency_echo_windows(client):
    for tool in ("query_error_rate", "query_latency"):
        result = await client.call_tool(tool, {"window": "10m"})
        assert not result.is_error, text_of(result)
        data = result.structured_content
        window = data["window"]
        assert window["start"].endswith("Z") and window["end"].endswith("Z")
        assert set(data["baselines"]) == {"day_ago", "week_ago", "prev_hour"}
        assert data["truncated"] is False and data["rows"]


async def test_incident_record_round_trip_and_triage_on_timeline(client):
    declared = await client.call_tool(
        "declare_incident", {"title": "checkout errors", "severity": "SEV2", "started_at": "now-10m"}
    )
    assert not declared.is_error, text_of(declared)
    incident_id = declared.structured_content["id"]
    triaged = await client.call_tool("triage", {"incident_id": incident_id})
    assert not triaged.is_error
    note = {"incident_id": incident_id, "text": "rolled back v2", "kind": "action", "dedup_key": "k1"}
    first = await client.call_tool("append_timeline", note)
    again = await client.call_tool("append_timeline", note)
    assert first.structured_content["created"] is True and again.structured_content["created"] is False
    timeline = (await client.call_tool("get_timeline", {"incident_id": incident_id})).structured_content
    kinds = [e["kind"] for e in timeline["events"]]
    assert kinds.count("action") == 1 and "triage" in kinds and "declared" in kinds
    times = [e["occurred_at"] for e in timeline["events"]]
    assert times == sorted(times) and all(t.endswith("Z") for t in times)


async def test_unknown_incident_is_a_clear_error(client):
    result = await client.call_tool("get_timeline", {"incident_id": "INC-999"})
    assert result.is_error and "INC-999" in text_of(result)


async def test_context_tools_answer(client):
    for tool in ("check_health", "list_deploys", "list_provider_events", "list_active_alerts", "list_incidents"):
        result = await client.call_tool(tool, {})
        assert not result.is_error, (tool, text_of(result))
