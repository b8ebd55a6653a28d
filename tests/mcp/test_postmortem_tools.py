"""set_incident_status and draft_postmortem on the embedded default, through the SDK's in-memory client."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp_calls import call, declare, text_of

from adapters.replay.scenario import load_scenario
from mcp_server.embedded import DEFAULT_SCENARIO

pytestmark = pytest.mark.anyio


async def test_status_changes_land_once_on_the_timeline_at_the_given_time(client):
    incident = await declare(client)
    first = await call(client, "set_incident_status", incident_id=incident, status="mitigated", at="now-2m")
    again = await call(client, "set_incident_status", incident_id=incident, status="mitigated")
    assert first["status"] == again["status"] == "mitigated"
    timeline = await call(client, "get_timeline", incident_id=incident, kinds=["status_changed"])
    assert [e["details"] for e in timeline["events"]] == [{"from": "open", "to": "mitigated"}]


async def test_an_unknown_status_or_incident_is_refused_saying_what_is_accepted(client):
    incident = await declare(client)
    bad = await client.call_tool("set_incident_status", {"incident_id": incident, "status": "fixed"})
    assert bad.is_error and "mitigated" in text_of(bad)
    missing = await client.call_tool("set_incident_status", {"incident_id": "INC-999", "status": "resolved"})
    assert missing.is_error and "INC-999" in text_of(missing)


async def test_the_draft_is_written_with_every_section_and_each_claim_cited(client):
    incident = await declare(client)
    await call(client, "triage", incident_id=incident)
    await call(client, "set_incident_status", incident_id=incident, status="mitigated")
    draft = await call(client, "draft_postmortem", incident_id=incident)
    assert len(draft["sections"]) == 10
    assert all(claim["cites"] for s in draft["sections"] for claim in s["claims"])
    impact = next(s for s in draft["sections"] if s["key"] == "impact")
    assert any("error ratio up to" in c["text"] for c in impact["claims"])
    path = Path(draft["path"])
    assert path.name == f"{incident}-postmortem.md" and path.read_text().startswith(draft["markdown"])
    assert draft["generated_at"].endswith("Z")


async def test_a_draft_for_an_unknown_incident_or_a_bad_filename_says_what_to_do(client):
    missing = await client.call_tool("draft_postmortem", {"incident_id": "INC-404"})
    assert missing.is_error and "INC-404" in text_of(missing)
    incident = await declare(client)
    bad = await client.call_tool("draft_postmortem", {"incident_id": incident, "filename": "../x.md"})
    assert bad.is_error and "bare markdown" in text_of(bad)


async def test_a_draft_a_person_edited_is_kept_unless_overwrite(client):
    incident = await declare(client)
    path = Path((await call(client, "draft_postmortem", incident_id=incident))["path"])
    path.write_text(path.read_text() + "\nOur analysis.\n")
    refused = await client.call_tool("draft_postmortem", {"incident_id": incident})
    assert refused.is_error and "overwrite" in text_of(refused)
    assert path.read_text().endswith("Our analysis.\n")
    await call(client, "draft_postmortem", incident_id=incident, overwrite=True)
    assert "Our analysis." not in path.read_text()


async def test_write_false_returns_the_markdown_and_writes_nothing(client):
    incident = await declare(client)
    draft = await call(client, "draft_postmortem", incident_id=incident, write=False)
    assert draft["path"] == "" and draft["markdown"].startswith("# Post-mortem draft")


async def test_a_replayed_incident_is_recorded_on_the_scenarios_clock_not_todays(client):
    anchor = load_scenario(DEFAULT_SCENARIO).anchor.isoformat().replace("+00:00", "Z")
    incident = await declare(client)
    await call(client, "record_hypothesis", incident_id=incident, statement="Pool exhausted")
    await call(client, "assign_role", incident_id=incident, role="scribe", person="carol")
    timeline = await call(client, "get_timeline", incident_id=incident)
    stamps = {(e["kind"], e["occurred_at"], e["recorded_at"]) for e in timeline["events"]}
    assert {kind for kind, _, _ in stamps} == {"declared", "hypothesis_recorded", "role_assigned"}
    assert all(occurred == recorded == anchor for _, occurred, recorded in stamps)
