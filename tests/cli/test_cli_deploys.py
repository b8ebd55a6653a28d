"""`firstfifteen deploys [--rank]` and `firstfifteen rollback-plan` on a replay config."""

from __future__ import annotations

import json

import yaml

from adapters.scenario import load_scenario
from mcp_server.cli import main

SCENARIO = "bad-deploy"


def config_file(tmp_path):
    scenario = load_scenario(SCENARIO)
    raw = {"services": [s.model_dump() for s in scenario.services_config()], "adapters": {"replay": {"scenario": SCENARIO}}}
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


def test_demo_shows_suspects_and_a_plan(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "# Deploy suspects" in out and "# Rollback plan (draft)" in out
    assert out.index("# Triage") < out.index("# Deploy suspects") < out.index("# Rollback plan")
