"""sync_timeline and get_timeline(format="markdown") through the SDK's in-memory client, Slack mocked with respx."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import respx
from mcp import Client

sys.path.insert(0, str(Path(__file__).parents[1] / "unit" / "timeline"))  # the fake Slack channel

from slack_fake import CHANNEL, FakeSlack, slack_adapter_settings, ts

from mcp_server.config import parse_config
from mcp_server.server import create_server

pytestmark = pytest.mark.anyio
T0 = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=30)


def make_server(tmp_path: Path):
    deploy = {
        "id": "deploy-8841",
        "service": "checkout",
        "version": "v2.42.0",
        "started_at": "2026-03-14T02:55:00Z",
        "finished_at": "2026-03-14T02:58:00Z",
        "status": "succeeded",
        "author": "dana",
    }
    (tmp_path / "deploys.jsonl").write_text(json.dumps(deploy) + "\n")
    raw = {
        "services": [{"name": "checkout"}],
        "timeline": {"channel": CHANNEL},
        "adapters": {"slack": slack_adapter_settings(), "deploy_file": {"path": "deploys.jsonl"}},
    }
    return create_server(parse_config(raw, base_dir=tmp_path), reference=NOW)


def channel() -> FakeSlack:
    fake = FakeSlack()
    fake.post(ts(T0 + timedelta(minutes=2)), "U1", "checkout is throwing 500s")
    fake.post(ts(T0 + timedelta(minutes=9)), "U2", "Decision: roll back deploy 8841")
    fake.post(ts(T0 + timedelta(minutes=12)), "U1", "rollback running", thread_ts=ts(T0 + timedelta(minutes=9)))
    return fake


async def declare(client: Client) -> str:
    result = await client.call_tool(
        "declare_incident",
        {"title": "Checkout 500s", "severity": "SEV2", "suspected_service": "checkout", "started_at": "now-30m"},
    )
    return result.structured_content["id"]


async def test_sync_timeline_is_annotated_as_an_idempotent_open_world_record_write(tmp_path: Path) -> None:
    async with Client(make_server(tmp_path), raise_exceptions=True) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    annotations = tools["sync_timeline"].annotations
    assert (annotations.read_only_hint, annotations.destructive_hint) == (False, False)
    assert (annotations.idempotent_hint, annotations.open_world_hint) == (True, True)
    assert "format" in tools["get_timeline"].input_schema["properties"]


@respx.mock
async def test_sync_twice_then_export_markdown(tmp_path: Path) -> None:
    channel().install()
    async with Client(make_server(tmp_path), raise_exceptions=True) as client:
        incident_id = await declare(client)
        first = (await client.call_tool("sync_timeline", {"incident_id": incident_id})).structured_content
        second = (await client.call_tool("sync_timeline", {"incident_id": incident_id})).structured_content
        exported = await client.call_tool("get_timeline", {"incident_id": incident_id, "format": "markdown"})
        plain = await client.call_tool("get_timeline", {"incident_id": incident_id, "kinds": ["highlight"]})
    assert (first["created"], first["partial"]) == (4, False)  # three messages and the deploy
    by_source = {s["capability"]: s for s in first["sources"]}
    assert by_source["chat"]["cursor"] == ts(T0 + timedelta(minutes=9))
    assert by_source["deploys"]["created"] == 1 and by_source["alert_inbox"]["status"] == "ok"
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 4)
    markdown = exported.structured_content["markdown"]
    assert exported.structured_content["events"] == []
    assert markdown.startswith(f"# Timeline of {incident_id}\n\n## 2026-03-14 (UTC)")
    assert "**[highlight]** Decision: roll back deploy 8841" in markdown
    assert "[deploy] Deploy of checkout v2.42.0 succeeded" in markdown
    assert [e["text"] for e in plain.structured_content["events"]] == ["Decision: roll back deploy 8841"]


@respx.mock
async def test_slack_down_is_a_partial_result_not_an_error(tmp_path: Path) -> None:
    fake = channel()
    fake.fail_history_page = 1
    fake.install()
    async with Client(make_server(tmp_path), raise_exceptions=True) as client:
        incident_id = await declare(client)
        result = await client.call_tool("sync_timeline", {"incident_id": incident_id})
    data = result.structured_content
    assert not result.is_error and data["partial"] is True
    chat = next(s for s in data["sources"] if s["capability"] == "chat")
    assert chat["status"] == "error" and "slack" in chat["detail"].lower() and chat["cursor"] is None
    assert next(s for s in data["sources"] if s["capability"] == "deploys")["created"] == 1


async def test_unknown_incident_lists_the_known_ones(tmp_path: Path) -> None:
    async with Client(make_server(tmp_path), raise_exceptions=True) as client:
        await declare(client)
        result = await client.call_tool("sync_timeline", {"incident_id": "INC-99"})
    assert result.is_error
    text = " ".join(getattr(b, "text", "") for b in result.content)
    assert "syncing the timeline failed" in text and "INC-1" in text
