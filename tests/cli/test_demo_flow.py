"""``firstfifteen demo`` runs the whole flow on every bundled scenario, through to the post-mortem draft."""

from __future__ import annotations

import json
import re

import pytest

from adapters.replay.scenario import list_scenarios, load_scenario
from mcp_server.cli import main
from mcp_server.postmortem.models import SECTION_TITLES

EVENT_CITE = re.compile(r"^ev (\d+)$")


def demo_json(capsys, name: str) -> dict:
    assert main(["demo", "--scenario", name, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", list_scenarios())
def test_every_claim_of_the_draft_is_tied_to_an_event_of_the_timeline(capsys, name):
    run = demo_json(capsys, name)
    postmortem, events = run["postmortem"], {e["id"] for e in run["timeline"]}
    assert [s["key"] for s in postmortem["sections"]] == list(SECTION_TITLES)
    for section in postmortem["sections"]:
        assert section["claims"] or section["gap"], section["key"]
        for claim in section["claims"]:
            cited = {int(m.group(1)) for c in claim["cites"] if (m := EVENT_CITE.match(c))}
            assert cited and cited <= events, (section["key"], claim)
    assert all(f"## {title}" in postmortem["markdown"] for title in SECTION_TITLES.values())


@pytest.mark.parametrize("name", list_scenarios())
def test_the_supported_cause_is_the_scenarios_own(capsys, name):
    run, expected = demo_json(capsys, name), load_scenario(name).expected
    supported = [h["hypothesis"] for h in run["hypotheses"] if h["hypothesis"]["status"] == "supported"]
    if not expected.degraded:
        assert run["hypotheses"] == [] and run["postmortem"]["status"] == "resolved"
        assert any(e["text"].startswith("Not an incident") for e in run["timeline"] if e["kind"] == "decision")
        return
    assert len(supported) == 1, [h["hypothesis"]["statement"] for h in run["hypotheses"]]
    statement = supported[0]["statement"]
    if expected.culprit:
        assert f"Deploy {expected.culprit} " in statement
    else:
        assert not statement.startswith("Deploy ")
    assert run["postmortem"]["status"] == "resolved"
    assert run["postmortem"]["figures"]["mitigate"]["minutes"] > 0
    assert [s["key"] for s in run["postmortem"]["sections"] if not s["claims"]] == []  # every section filled


def test_the_response_is_signed_and_refutes_only_with_evidence_against(capsys):
    run = demo_json(capsys, "bad-deploy")
    steps = [e for e in run["timeline"] if e["actor"] == "demo-responder"]
    assert {"decision", "action", "status_changed", "hypothesis_updated"} <= {e["kind"] for e in steps}
    for ranked in run["hypotheses"]:
        h = ranked["hypothesis"]
        if h["status"] == "refuted":
            assert any(e["direction"] == "against" for e in h["evidence"])
    times = [e["occurred_at"] for e in steps]
    assert times == sorted(times) and times[0] < times[-1]  # the scenario clock moved


def test_the_markdown_demo_prints_each_document(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    documents = ("## Hypotheses", "# Coordination: INC-1", "# Handoff: INC-1", "# Timeline", "# Post-mortem draft")
    positions = [out.index(heading) for heading in documents]
    assert positions == sorted(positions)


def test_the_json_demo_holds_the_coordination_and_the_handoff(capsys):
    run = demo_json(capsys, "bad-deploy")
    assert "- incident commander: demo-responder" in run["coordination"]
    assert "**R-1**" in run["coordination"] and "(follow_up, cancelled)" in run["coordination"]
    handoff = run["handoff"]
    assert handoff["status"] == "mitigated" and handoff["markdown"].startswith("# Handoff: INC-1")
    assert any(e["kind"] == "handoff" for e in run["timeline"])
