"""`firstfifteen deploys [--rank]` and `firstfifteen rollback-plan` on a replay config."""

from __future__ import annotations

import json

import yaml

from adapters.replay.scenario import load_scenario
from mcp_server.cli import main

SCENARIO = "bad-deploy"


def config_file(tmp_path):
    scenario = load_scenario(SCENARIO)
    raw = {
        "services": scenario.services_config(),
        "adapters": {"replay": {"scenario": SCENARIO}},
    }
    path = tmp_path / "ff.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path), scenario.anchor.isoformat().replace("+00:00", "Z"), scenario


def test_deploys_rank_json_puts_the_culprit_first(tmp_path, capsys):
    path, anchor, scenario = config_file(tmp_path)
    assert main(["deploys", "--rank", "--config", path, "--at", anchor, "--json"]) == 0
    ranking = json.loads(capsys.readouterr().out)
    assert ranking["verdict"] == "deploy_implicated"
    assert ranking["candidates"][0]["deploy"]["id"] == scenario.expected.culprit


def test_deploys_rank_with_given_onset_and_service(tmp_path, capsys):
    path, anchor, scenario = config_file(tmp_path)
    args = ["deploys", "--rank", "--config", path, "--at", anchor, "--onset", "now-20m", "--service", "checkout"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "(given)" in out and scenario.expected.culprit in out


def test_deploys_lists_recent_deploys(tmp_path, capsys):
    path, anchor, scenario = config_file(tmp_path)
    assert main(["deploys", "--config", path, "--at", anchor]) == 0
    out = capsys.readouterr().out
    assert scenario.expected.culprit in out


def test_rollback_plan_is_a_draft_with_commands(tmp_path, capsys):
    path, anchor, scenario = config_file(tmp_path)
    assert main(["rollback-plan", scenario.expected.culprit, "--config", path, "--at", anchor]) == 0
    out = capsys.readouterr().out
    assert "Rollback plan (draft)" in out and "Nothing has been executed" in out and "kubectl rollout undo" in out


def test_rollback_plan_unknown_deploy_exits_1_with_recent_ids(tmp_path, capsys):
    path, anchor, scenario = config_file(tmp_path)
    assert main(["rollback-plan", "nope-1", "--config", path, "--at", anchor]) == 1
    err = capsys.readouterr().err
    assert "nope-1" in err and scenario.expected.culprit in err


def test_demo_shows_suspects_a_plan_drafts_hypotheses_the_timeline_and_the_postmortem(capsys, tmp_path, monkeypatch):
    db = tmp_path / "mine.sqlite3"
    monkeypatch.setenv("FIRSTFIFTEEN_DB", str(db))
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    headings = [
        "# Triage",
        "# Deploy suspects",
        "# Rollback plan (draft)",
        "# Drafts (nothing is posted)",
        "## Hypotheses",
        "# Timeline",
        "# Post-mortem draft",
    ]
    positions = [out.index(h) for h in headings]
    assert positions == sorted(positions)
    for audience in ("status_page", "chat", "exec_email", "support"):
        assert f" {audience} -> " in out
    assert "[declared]" in out and "[triage]" in out and "[deploy]" in out
    assert not db.exists()  # the demo keeps its incident record to itself
