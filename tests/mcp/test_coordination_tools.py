"""Coordination tools and resource on the embedded default, through the SDK's in-memory client."""

from __future__ import annotations

import anyio
import pytest
from mcp import Client
from mcp_calls import call, declare, refused

from mcp_server.server import create_server

pytestmark = pytest.mark.anyio


async def test_roles_items_and_the_live_document(client):
    incident = await declare(client)
    await call(client, "assign_role", incident_id=incident, role="incident_commander", person="alice", actor="alice")
    work = await call(client, "track_work", incident_id=incident, kind="workstream", text="pool", owner="bob")
    await call(client, "track_work", incident_id=incident, kind="ruled_out", text="provider", note="status green")
    action = await call(
        client, "track_work", incident_id=incident, kind="action", text="add pool alert", action_kind="follow_up"
    )
    assert (work["id"], action["id"], action["status"]) == ("W-1", "A-1", "pending")
    view = await call(client, "get_coordination", incident_id=incident)
    assert view["coordination"]["roles"] == {"incident_commander": "alice"}
    markdown = view["markdown"]
    assert "- incident commander: alice (since " in markdown and "- scribe: unfilled" in markdown
    assert "**R-1** provider: status green" in markdown and "**A-1** (follow_up, pending, no owner)" in markdown
    assert view["truncated"] is False


async def test_one_role_given_to_two_people_at_once_is_refused_naming_the_holder(client):
    incident = await declare(client)
    await call(client, "assign_role", incident_id=incident, role="operations", person="alice")
    said = await refused(client, "assign_role", incident_id=incident, role="operations", person="bob")
    assert "held by alice" in said and "expected_holder='alice'" in said
    await call(client, "assign_role", incident_id=incident, role="operations", person="bob", expected_holder="alice")
    view = await call(client, "get_coordination", incident_id=incident)
    assert [(a["person"], a["until"] is None) for a in view["coordination"]["role_history"]] == [
        ("alice", False),
        ("bob", True),
    ]


async def test_bad_input_says_what_is_accepted(client):
    incident = await declare(client)
    assert "kind and text" in await refused(client, "track_work", incident_id=incident, text="no kind")
    said = await refused(client, "track_work", incident_id=incident, kind="action", text="x", status="finished")
    assert "pending, in_progress, done, cancelled" in said
    assert "expected_revision" in await refused(client, "track_work", incident_id=incident, item_id="A-1", note="x")
    assert "no item A-7" in await refused(
        client, "track_work", incident_id=incident, item_id="A-7", note="x", expected_revision=1
    )
    assert "INC-404" in await refused(client, "get_coordination", incident_id="INC-404")
    assert "role" in await refused(client, "assign_role", incident_id=incident, role="chief", person="x")


async def test_a_handoff_of_an_incident_with_no_data_yet_is_a_clear_document(client):
    incident = await declare(client)
    document = await call(client, "handoff", incident_id=incident, author="alice", to="bob")
    markdown = document["markdown"]
    for heading in ("State and impact now", "Current hypotheses", "Actions pending", "Communications cadence", "Risks"):
        assert f"## {heading}" in markdown
    assert "No triage on record" in markdown and "None recorded: run propose_hypotheses." in markdown
    assert "Nobody holds incident commander: assign_role before anything else." in document["risks"]
    timeline = await call(client, "get_timeline", incident_id=incident, kinds=["handoff"])
    assert [e["id"] for e in timeline["events"]] == [document["event_id"]]


async def test_a_handoff_after_work_carries_hypotheses_actions_and_the_triage_numbers(client):
    incident = await declare(client)
    await call(client, "propose_hypotheses", incident_id=incident)
    await call(client, "track_work", incident_id=incident, kind="action", text="roll back", action_kind="mitigation")
    await call(client, "track_work", incident_id=incident, kind="question", text="pool size changed?")
    markdown = (await call(client, "handoff", incident_id=incident, author="alice"))["markdown"]
    assert "**H-1** Deploy deploy-8841 of checkout" in markdown
    assert "checkout: error ratio" in markdown and "vs " in markdown
    assert "**A-1** (mitigation, pending, no owner) roll back" in markdown
    assert "**Q-1** (open, no owner, asked by responder) pool size changed?" in markdown
    assert "A-1 (roll back) has no owner." in markdown


async def test_the_coordination_resource_is_the_live_document(client):
    incident = await declare(client)
    await call(client, "assign_role", incident_id=incident, role="scribe", person="carol")
    read = await client.read_resource(f"incident://{incident}/coordination")
    text = read.contents[0].text
    assert text.startswith(f"# Coordination: {incident}") and "- scribe: carol" in text
    assert "## Leading hypotheses" in text


async def test_two_clients_updating_one_incident_at_once_lose_nothing():
    async with Client(create_server()) as first, Client(create_server()) as second:
        incident = await declare(first)

        async def add(client: Client, who: str, n: int) -> None:
            await call(client, "track_work", incident_id=incident, kind="action", text=f"{who} step {n}", actor=who)

        async with anyio.create_task_group() as group:
            for n in range(6):
                group.start_soon(add, first, "alice", n)
                group.start_soon(add, second, "bob", n)
        view = await call(second, "get_coordination", incident_id=incident, limit=50)
        texts = {item["text"] for item in view["coordination"]["items"]}
        assert texts == {f"{who} step {n}" for who in ("alice", "bob") for n in range(6)}
        ids = sorted(int(item["id"][2:]) for item in view["coordination"]["items"])
        assert ids == list(range(1, 13))
        item = view["coordination"]["items"][0]
        await call(first, "track_work", incident_id=incident, item_id=item["id"], status="done", expected_revision=1)
        stale = await refused(
            second, "track_work", incident_id=incident, item_id=item["id"], owner="bob", expected_revision=1
        )
        assert "revision 2, not 1" in stale and '"status":"done"' in stale


async def test_an_action_due_time_is_resolved_on_the_incident_clock_and_a_bad_one_refused(client):
    incident = await declare(client)
    action = await call(client, "track_work", incident_id=incident, kind="action", text="page db team", due="now+30m")
    assert action["due"].endswith("Z")
    moved = await call(
        client,
        "track_work",
        incident_id=incident,
        item_id=action["id"],
        due="2026-03-14T05:00:00Z",
        expected_revision=1,
    )
    assert (moved["due"], moved["revision"]) == ("2026-03-14T05:00:00Z", 2)
    said = await refused(client, "track_work", incident_id=incident, kind="action", text="x", due="in a bit")
    assert "invalid time 'in a bit'" in said and "now-15m" in said
    view = await call(client, "get_coordination", incident_id=incident)
    assert [item["id"] for item in view["coordination"]["items"]] == ["A-1"]
    assert view["coordination"]["revision"] == 2 and "due 2026-03-14T05:00:00Z" in view["markdown"]


async def test_a_question_is_asked_by_the_actor_and_answered_by_revision(client):
    incident = await declare(client)
    asked = await call(client, "track_work", incident_id=incident, kind="question", text="EU too?", actor="bob")
    answered = await call(
        client,
        "track_work",
        incident_id=incident,
        item_id=asked["id"],
        status="answered",
        note="no",
        expected_revision=1,
    )
    assert (answered["asked_by"], answered["status"], answered["note"]) == ("bob", "answered", "no")
