"""Communications through the MCP client: draft for every audience, confirm, post once, on the timeline.

Real parts where they can run: the static status page on disk, a real SMTP server (aiosmtpd) for
the executive email; Slack through respx with the payloads its Web API documents.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest
import respx
from aiosmtpd.controller import Controller
from mcp import Client
from mcp.client.context import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult

from adapters.replay.scenario import load_scenario
from mcp_server.config import parse_config
from mcp_server.server import create_server

pytestmark = pytest.mark.anyio
SCENARIO = "bad-deploy"
SLACK = "https://slack.com/api"


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def make_config(tmp_path: Path, port: int, writes: bool = True, **comms):
    scenario = load_scenario(SCENARIO)
    raw = {
        "services": scenario.services_config(),
        "adapters": {
            "replay": {"scenario": SCENARIO},
            "static_status": {"directory": "status", "components": ["Checkout", "Website"]},
            "slack": {"token": "xoxb-test-token-123456", "workspace_url": "https://acme.slack.com"},
            "smtp": {"host": "127.0.0.1", "port": port},
        },
        "comms": {
            "writes": {"status_page": writes, "chat": writes, "email": writes},
            "chat_channel": "C0INC42",
            "exec_email": {"to": ["exec@example.com"], "sender": "oncall@example.com", "min_severity": "SEV2"},
            **comms,
        },
    }
    return parse_config(raw, base_dir=tmp_path), scenario.anchor


def text_of(result) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


async def declare_and_draft(client, impact="Some customers cannot complete checkout."):
    incident = (
        await client.call_tool(
            "declare_incident", {"title": "Checkout errors", "severity": "SEV2", "started_at": "now-25m"}
        )
    ).structured_content
    drafted = await client.call_tool("draft_communications", {"incident_id": incident["id"], "customer_impact": impact})
    assert not drafted.is_error, text_of(drafted)
    return incident["id"], {d["audience"]: d for d in drafted.structured_content["drafts"]}


async def test_four_drafts_from_one_set_of_facts(tmp_path, smtp):
    config, anchor = make_config(tmp_path, smtp[0])
    async with Client(create_server(config, reference=anchor)) as client:
        _, drafts = await declare_and_draft(client)
    assert set(drafts) == {"status_page", "chat", "exec_email", "support"}
    assert all(not d["blocked"] for d in drafts.values()), [d["findings"] for d in drafts.values()]
    assert "Checkout (partial outage)" in drafts["status_page"]["body"]  # public component from triage
    assert "checkout" in drafts["chat"]["body"]  # internal names are fine internally
    assert drafts["exec_email"]["subject"].startswith("[SEV2] INC-")


async def test_token_confirmation_posts_once_and_lands_on_the_timeline(tmp_path, smtp):
    config, anchor = make_config(tmp_path, smtp[0])
    with respx.mock(assert_all_called=True) as slack:
        post = slack.post(f"{SLACK}/chat.postMessage").mock(
            return_value=httpx.Response(
                200,
                json={
                    "ok": True,
                    "channel": "C0INC42",
                    "ts": "1760450000.000100",
                    "message": {"type": "message", "text": "x", "user": "U0BOT", "ts": "1760450000.000100"},
                },
            )
        )
        async with Client(create_server(config, reference=anchor)) as client:
            incident_id, drafts = await declare_and_draft(client)
            chat = drafts["chat"]
            args = {"draft_id": chat["id"], "confirmation_token": chat["confirmation_token"], "confirmed_by": "dana"}
            first = (await client.call_tool("post_chat", args)).structured_content
            again = (await client.call_tool("post_chat", args)).structured_content
            timeline = (await client.call_tool("get_timeline", {"incident_id": incident_id})).structured_content
    assert first["posted"] and not first["already_posted"] and first["via"] == "token"
    assert again["already_posted"] and again["result"]["remote_id"] == "1760450000.000100"
    assert post.call_count == 1
    assert json.loads(post.calls[0].request.content)["channel"] == "C0INC42"
    posted = [e for e in timeline["events"] if e["kind"] == "comms_posted"]
    assert len(posted) == 1 and posted[0]["actor"] == "dana" and chat["id"] in posted[0]["text"]


async def test_form_confirmation_posts_the_status_page_and_email(tmp_path, smtp):
    port, inbox = smtp
    config, anchor = make_config(tmp_path, port)
    asked = []

    async def approve(ctx: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True, "confirmed_by": "sam"})

    async with Client(create_server(config, reference=anchor), elicitation_callback=approve) as client:
        _, drafts = await declare_and_draft(client)
        page = (await client.call_tool("post_status", {"draft_id": drafts["status_page"]["id"]})).structured_content
        mail = (await client.call_tool("send_email", {"draft_id": drafts["exec_email"]["id"]})).structured_content
    assert page["posted"] and page["confirmed_by"] == "sam" and page["via"] == "form"
    assert "Post status page draft" in asked[0] and "Checkout" in asked[0]
    html = (tmp_path / "status" / "index.html").read_text()
    assert "Checkout" in html and "Investigating" in html.title().replace("investigating", "Investigating")
    assert mail["posted"] and len(inbox.messages) == 1
    sender, recipients, content = inbox.messages[0]
    assert sender == "oncall@example.com" and recipients == ["exec@example.com"]
    assert b"Subject: [SEV2]" in content


async def test_declined_form_posts_nothing(tmp_path, smtp):
    config, anchor = make_config(tmp_path, smtp[0])

    async def decline(ctx, params):
        return ElicitResult(action="decline")

    async with Client(create_server(config, reference=anchor), elicitation_callback=decline) as client:
        _, drafts = await declare_and_draft(client)
        result = await client.call_tool("post_status", {"draft_id": drafts["status_page"]["id"]})
    assert result.is_error and "answered decline" in text_of(result)
    assert not (tmp_path / "status" / "index.html").exists()


async def test_writes_off_offers_no_posting_tool_and_says_how_to_turn_it_on(tmp_path, smtp):
    config, anchor = make_config(tmp_path, smtp[0], writes=False)
    server = create_server(config, reference=anchor)
    async with Client(server) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        _, drafts = await declare_and_draft(client)
        d = drafts["status_page"]
        result = await client.call_tool(
            "post_status", {"draft_id": d["id"], "confirmation_token": d["confirmation_token"], "confirmed_by": "dana"}
        )
    assert {"draft_communications", "comms_schedule"} <= names
    assert not names & {"post_status", "post_chat", "send_email"}
    assert "post_status (comms.writes.status_page)" in server.instructions
    assert "send_email (comms.writes.email)" in server.instructions
    assert result.is_error and "Unknown tool: post_status" in text_of(result)
    assert not (tmp_path / "status" / "index.html").exists()


async def test_one_channel_on_offers_only_its_posting_tool(tmp_path, smtp):
    config, anchor = make_config(tmp_path, smtp[0], writes=False)
    writes = config.comms.writes.model_copy(update={"chat": True})
    config = config.model_copy(update={"comms": config.comms.model_copy(update={"writes": writes})})
    server = create_server(config, reference=anchor)
    async with Client(server) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert names & {"post_status", "post_chat", "send_email"} == {"post_chat"}
    assert "post_chat" not in server.instructions.split("Not offered until turned on")[1]


async def test_a_leaky_customer_draft_is_blocked(tmp_path, smtp):
    config, anchor = make_config(tmp_path, smtp[0])
    async with Client(create_server(config, reference=anchor)) as client:
        _, drafts = await declare_and_draft(client, impact="checkout-db at 10.0.4.2 is down because an engineer erred.")
        d = drafts["status_page"]
        result = await client.call_tool(
            "post_status", {"draft_id": d["id"], "confirmation_token": d["confirmation_token"], "confirmed_by": "dana"}
        )
    assert d["blocked"] and {f["rule"] for f in d["findings"]} >= {"ip_address", "blame"}
    assert any(f["text"] == "10.0.4.2" for f in d["findings"])
    assert result.is_error and "has findings" in text_of(result)


async def test_unknown_draft_and_wrong_token(tmp_path, smtp):
    config, anchor = make_config(tmp_path, smtp[0])
    async with Client(create_server(config, reference=anchor)) as client:
        _, drafts = await declare_and_draft(client)
        missing = await client.call_tool(
            "post_chat", {"draft_id": "D-999", "confirmation_token": "x", "confirmed_by": "d"}
        )
        wrong = await client.call_tool(
            "post_chat", {"draft_id": drafts["chat"]["id"], "confirmation_token": "nope", "confirmed_by": "dana"}
        )
        other = await client.call_tool(
            "post_chat",
            {
                "draft_id": drafts["status_page"]["id"],
                "confirmation_token": drafts["status_page"]["confirmation_token"],
                "confirmed_by": "dana",
            },
        )
    assert missing.is_error and "D-999" in text_of(missing)
    assert wrong.is_error and "does not match" in text_of(wrong)
    assert other.is_error and "post_status" in text_of(other)


async def test_no_form_and_no_token_explains_the_token_path(tmp_path, smtp):
    config, anchor = make_config(tmp_path, smtp[0])
    async with Client(create_server(config, reference=anchor)) as client:
        _, drafts = await declare_and_draft(client)
        result = await client.call_tool("post_chat", {"draft_id": drafts["chat"]["id"]})
    assert result.is_error and "confirmation_token" in text_of(result)


async def test_schedule_says_when_the_next_update_is_due(tmp_path, smtp):
    config, anchor = make_config(tmp_path, smtp[0])
    with respx.mock:
        respx.post(f"{SLACK}/chat.postMessage").mock(
            return_value=httpx.Response(
                200,
                json={
                    "ok": True,
                    "channel": "C0INC42",
                    "ts": "1760450000.000100",
                    "message": {"ts": "1760450000.000100"},
                },
            )
        )
        async with Client(create_server(config, reference=anchor)) as client:
            incident_id, drafts = await declare_and_draft(client)
            chat = drafts["chat"]
            await client.call_tool(
                "post_chat",
                {"draft_id": chat["id"], "confirmation_token": chat["confirmation_token"], "confirmed_by": "dana"},
            )
            schedule = (await client.call_tool("comms_schedule", {"incident_id": incident_id})).structured_content
    assert schedule["audiences"]["chat"]["next_due_at"] is not None
    assert schedule["audiences"]["status_page"]["reminder"] == "no status page update posted yet"
