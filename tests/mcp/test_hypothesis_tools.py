"""The hypothesis tools on the embedded default scenario, through the SDK's in-memory client."""

from __future__ import annotations

import anyio
import pytest
from mcp import Client
from mcp_calls import call, declare, text_of

from mcp_server.server import create_server

pytestmark = pytest.mark.anyio


async def test_proposals_follow_from_triage_and_the_ranking_and_cite_their_events(client):
    incident = await declare(client)
    proposed = await call(client, "propose_hypotheses", incident_id=incident, limit=10)
    statements = [r["hypothesis"]["statement"] for r in proposed["hypotheses"]]
    assert statements[0].startswith("Deploy deploy-8841 of checkout")  # the scenario's bad deploy leads
    assert any("The fault is in checkout; frontend fails only" in s for s in statements)
    assert set(proposed["recorded"]) == {r["hypothesis"]["id"] for r in proposed["hypotheses"]}
    assert proposed["truncated"] is False and proposed["window"]["end"].endswith("Z")
    timeline = await call(client, "get_timeline", incident_id=incident)
    runs = {e["kind"]: e["id"] for e in timeline["events"] if e["kind"] in ("triage", "deploy_ranking")}
    lead = proposed["hypotheses"][0]["hypothesis"]
    assert lead["evidence"][0]["reference"] == f"event {runs['deploy_ranking']}"
    recorded = [e for e in timeline["events"] if e["kind"] == "hypothesis_recorded"]
    assert len(recorded) == len(proposed["recorded"])


async def test_proposing_again_records_nothing_new(client):
    incident = await declare(client)
    first = await call(client, "propose_hypotheses", incident_id=incident)
    second = await call(client, "propose_hypotheses", incident_id=incident)
    assert second["recorded"] == [] and set(second["already_recorded"]) >= set(first["recorded"][:1])
    listed = await call(client, "list_hypotheses", incident_id=incident, limit=100)
    assert len(listed["hypotheses"]) == len(first["recorded"]) + len(first["already_recorded"])


async def test_supported_needs_checked_evidence_and_a_stale_revision_is_refused_with_the_state(client):
    incident = await declare(client)
    h = await call(client, "record_hypothesis", incident_id=incident, statement="Pool exhausted", owner="alice")
    refused = await client.call_tool(
        "update_hypothesis",
        {"incident_id": incident, "hypothesis_id": h["id"], "expected_revision": 1, "status": "supported"},
    )
    assert refused.is_error and "needs evidence for it" in text_of(refused)
    said = await call(
        client,
        "add_evidence",
        incident_id=incident,
        hypothesis_id=h["id"],
        direction="for",
        summary="pool waits 40x",
        source="query",
        reference="rate(pool_wait_seconds_count[5m])",
    )
    assert said["revision"] == 2
    stale = await client.call_tool(
        "update_hypothesis",
        {"incident_id": incident, "hypothesis_id": h["id"], "expected_revision": 1, "status": "supported"},
    )
    assert stale.is_error and "revision 2, not 1" in text_of(stale) and "pool waits 40x" in text_of(stale)
    done = await call(
        client,
        "update_hypothesis",
        incident_id=incident,
        hypothesis_id=h["id"],
        expected_revision=2,
        status="supported",
    )
    assert (done["status"], done["revision"]) == ("supported", 3)
    listed = await call(client, "list_hypotheses", incident_id=incident, format="markdown")
    assert "**H-1** Pool exhausted (supported" in listed["markdown"]
    assert "[rate(pool_wait_seconds_count[5m])]" in listed["markdown"]


async def test_evidence_for_a_hypothesis_that_does_not_exist_names_the_ids(client):
    incident = await declare(client)
    await call(client, "record_hypothesis", incident_id=incident, statement="Pool exhausted")
    result = await client.call_tool(
        "add_evidence",
        {"incident_id": incident, "hypothesis_id": "H-42", "direction": "for", "summary": "x", "source": "tool"},
    )
    assert result.is_error and "H-42" in text_of(result) and "H-1" in text_of(result)


async def test_two_clients_adding_evidence_at_once_lose_nothing(tmp_path):
    # Two servers on one store file, as two responders' clients would be.
    async with Client(create_server()) as first, Client(create_server()) as second:
        incident = await declare(first)
        h = await call(first, "record_hypothesis", incident_id=incident, statement="Pool exhausted")

        async def add(client: Client, who: str, n: int) -> None:
            await call(
                client,
                "add_evidence",
                incident_id=incident,
                hypothesis_id=h["id"],
                direction="for",
                summary=f"{who} finding {n}",
                source="observation",
                actor=who,
            )

        async with anyio.create_task_group() as group:
            for n in range(6):
                group.start_soon(add, first, "alice", n)
                group.start_soon(add, second, "bob", n)
        final = (await call(second, "list_hypotheses", incident_id=incident))["hypotheses"][0]["hypothesis"]
    assert len(final["evidence"]) == 12 and final["revision"] == 13
    assert {e["added_by"] for e in final["evidence"]} == {"alice", "bob"}


async def test_evidence_for_a_hypothesis_that_does_not_exist_is_refused_and_nothing_is_written(client):
    incident = await declare(client)
    await call(client, "record_hypothesis", incident_id=incident, statement="Pool exhausted")
    result = await client.call_tool(
        "add_evidence",
        {"incident_id": incident, "hypothesis_id": "H-99", "direction": "for", "summary": "x", "source": "query"},
    )
    assert result.is_error and "H-99" in text_of(result) and "H-1" in text_of(result)
    timeline = await call(client, "get_timeline", incident_id=incident, kinds=["evidence_added"])
    assert timeline["events"] == []
