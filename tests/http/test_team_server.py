"""The team's shared server: ``firstfifteen serve --transport http`` as a real process, a real
PostgreSQL behind it, and SDK clients over streamable HTTP with bearer tokens, as responders on
different machines would connect.

One server serves the module (starting one costs seconds): alice and bob may write, carol may only
read, dave's token has expired. Each test works its own incident.
"""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import anyio
import httpx
import httpx2
import pytest
import yaml
from http_server import connect, team_server
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from adapters.replay.scenario import load_scenario
from mcp_server.store import open_store
from mcp_server.store.settings import StoreConfig

pytestmark = pytest.mark.anyio
APPENDS_EACH = 25


def write_config(directory: Path) -> Path:
    """Replay data, a static status page on disk with its writes on: something carol could post to."""
    scenario = load_scenario("bad-deploy")
    raw = {
        "services": scenario.services_config(),
        "adapters": {"replay": {"scenario": "bad-deploy"}, "static_status": {"directory": str(directory / "status")}},
        "comms": {"writes": {"status_page": True}},
    }
    path = directory / "firstfifteen.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def team(postgres, tmp_path_factory):
    """The running server, its tokens, and the store URL it writes to."""
    store_url = postgres.new_schema()
    config = write_config(tmp_path_factory.mktemp("team"))
    access = {"alice": "write", "bob": "write", "carol": "read", "dave": "expired"}
    with team_server(store_url, access, config=config) as server:
        server.store_url = store_url
        server.status_dir = config.parent / "status"
        yield server


def text_of(result) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


async def call(client, tool: str, arguments: dict) -> dict:
    """Call a tool that must succeed; its structured result."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}: {text_of(result)}"
    return result.structured_content


async def declare(team, title: str) -> str:
    async with connect(team.url, team.tokens["alice"]) as alice:
        incident = await call(alice, "declare_incident", {"title": title, "severity": "SEV2"})
    return incident["id"]


def stored_events(team, incident_id: str) -> list:
    """The incident's events read straight from PostgreSQL, not through the server."""
    with mock.patch.dict(os.environ, {"FIRSTFIFTEEN_DB": team.store_url}):  # the suite points it at SQLite
        store = open_store(StoreConfig(backend="postgres", url=team.store_url))
    try:
        events, _ = store.get_timeline(incident_id, limit=1000)
        return events
    finally:
        store.close()


async def test_two_responders_work_one_incident_together(team):
    incident_id = await declare(team, "Checkout 500s")

    async def responder(subject: str) -> None:
        async with connect(team.url, team.tokens[subject]) as client:
            for n in range(APPENDS_EACH):
                text = f"{subject} note {n}"
                await call(client, "append_timeline", {"incident_id": incident_id, "text": text, "actor": "someone"})
            await call(client, "assign_role", {"incident_id": incident_id, "role": roles[subject], "person": subject})

    roles = {"alice": "incident_commander", "bob": "operations"}
    async with anyio.create_task_group() as group:
        group.start_soon(responder, "alice")
        group.start_soon(responder, "bob")

    notes = [e for e in stored_events(team, incident_id) if e.kind == "note"]
    by_actor = {subject: sorted(e.text for e in notes if e.actor == subject) for subject in roles}
    assert by_actor == {s: sorted(f"{s} note {n}" for n in range(APPENDS_EACH)) for s in roles}
    assert len(notes) == 2 * APPENDS_EACH  # none lost, none doubled, none under another name
    async with connect(team.url, team.tokens["bob"]) as bob:
        board = (await call(bob, "get_coordination", {"incident_id": incident_id}))["coordination"]
    assert board["roles"] == {"incident_commander": "alice", "operations": "bob"}
    assert {(r["role"], r["assigned_by"]) for r in board["role_history"]} == {
        ("incident_commander", "alice"),
        ("operations", "bob"),
    }


async def test_every_event_carries_the_callers_identity_whatever_the_arguments_say(team):
    incident_id = await declare(team, "Latency")
    async with connect(team.url, team.tokens["bob"]) as bob:
        await call(bob, "append_timeline", {"incident_id": incident_id, "text": "as alice?", "actor": "alice"})
        await call(bob, "rank_deploys", {"incident_id": incident_id})
    events = stored_events(team, incident_id)
    note = next(e for e in events if e.text == "as alice?")
    assert note.actor == "bob"
    declared = next(e for e in events if e.kind != "note" and e.text.startswith("Declared"))
    assert declared.actor == "alice"
    run = next(e for e in events if e.kind == "deploy_ranking")  # recorded as firstfifteen's, asked by bob
    assert run.details["requested_by"] == "bob"


async def test_a_read_only_token_reads_but_cannot_write_or_post(team):
    incident_id = await declare(team, "Status page")
    async with connect(team.url, team.tokens["alice"]) as alice:
        drafted = await call(
            alice,
            "draft_communications",
            {"incident_id": incident_id, "customer_impact": "Some checkouts fail.", "use_triage": False},
        )
    status = next(d for d in drafted["drafts"] if d["audience"] == "status_page")
    before = stored_events(team, incident_id)
    async with connect(team.url, team.tokens["carol"]) as carol:
        timeline = await call(carol, "get_timeline", {"incident_id": incident_id})
        refused = [
            await carol.call_tool(
                "post_status",
                {"draft_id": status["id"], "confirmation_token": status["confirmation_token"], "confirmed_by": "c"},
            ),
            await carol.call_tool("append_timeline", {"incident_id": incident_id, "text": "x", "actor": "carol"}),
            await carol.call_tool("declare_incident", {"title": "mine", "severity": "SEV3"}),
        ]
    assert [e["id"] for e in timeline["events"]] == [e.id for e in before]
    assert all(r.is_error and "write scope" in text_of(r) for r in refused), [text_of(r) for r in refused]
    assert [e.id for e in stored_events(team, incident_id)] == [e.id for e in before]
    assert not team.status_dir.exists() or not any(team.status_dir.iterdir())
    async with connect(team.url, team.tokens["alice"]) as alice:
        posted = await call(
            alice,
            "post_status",
            {"draft_id": status["id"], "confirmation_token": status["confirmation_token"], "confirmed_by": "x"},
        )
    assert posted["confirmed_by"] == "alice"
    assert any(team.status_dir.iterdir())


@pytest.mark.parametrize("header", [None, "Bearer ff_not-a-token", "Basic YWxpY2U6cGFzcw=="])
def test_no_valid_token_is_refused_with_401_and_how_to_authenticate(team, header):
    headers = {"Authorization": header} if header else {}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    response = httpx.post(team.url, json=body, headers={**headers, "Accept": "application/json, text/event-stream"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer ")


def test_an_expired_token_is_refused(team):
    response = httpx.post(
        team.url,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Authorization": f"Bearer {team.tokens['dave']}", "Accept": "application/json, text/event-stream"},
    )
    assert response.status_code == 401
    assert "invalid_token" in response.headers["www-authenticate"]


def test_the_health_route_needs_no_token_and_says_nothing_else(team):
    response = httpx.get(f"{team.base}/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_identity_and_scope_are_judged_per_request_even_within_one_session(team):
    incident_id = await declare(team, "Token switch")
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {team.tokens['bob']}"}) as http:
        async with Client(streamable_http_client(team.url, http_client=http)) as client:
            await call(client, "append_timeline", {"incident_id": incident_id, "text": "by bob"})
            http.headers["Authorization"] = f"Bearer {team.tokens['carol']}"
            refused = await client.call_tool("append_timeline", {"incident_id": incident_id, "text": "by carol"})
    assert refused.is_error and "subject carol" in text_of(refused)
    notes = [(e.actor, e.text) for e in stored_events(team, incident_id) if e.kind == "note"]
    assert notes == [("bob", "by bob")]
