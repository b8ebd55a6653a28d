"""`firstfifteen comms draft|post|schedule` on a replay config with the static status page."""

from __future__ import annotations

import json
import re

import yaml

from adapters.replay.scenario import load_scenario
from mcp_server.cli import main

SCENARIO = "bad-deploy"


def config_file(tmp_path, writes: bool = True):
    scenario = load_scenario(SCENARIO)
    raw = {
        "services": scenario.services_config(),
        "adapters": {"replay": {"scenario": SCENARIO}, "static_status": {"directory": "status"}},
        "comms": {"writes": {"status_page": writes}},
    }
    path = tmp_path / "ff.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def declare(tmp_path) -> str:
    from mcp_server.config import StoreConfig
    from mcp_server.store import open_store
    from mcp_server.store.models import IncidentDraft

    with open_store(StoreConfig()) as store:
        return store.declare_incident(IncidentDraft(title="Checkout errors", severity="SEV3", declared_by="t")).id


def test_draft_then_post_then_schedule(tmp_path, capsys):
    path, incident = config_file(tmp_path), declare(tmp_path)
    assert (
        main(
            [
                "comms",
                "draft",
                incident,
                "--impact",
                "Some customers cannot pay.",
                "--no-triage",
                "--config",
                path,
                "--json",
            ]
        )
        == 0
    )
    drafts = {d["audience"]: d for d in json.loads(capsys.readouterr().out)["drafts"]}
    assert "exec_email" not in drafts  # SEV3 is below the default SEV2 policy
    page = drafts["status_page"]
    args = [
        "comms",
        "post",
        page["id"],
        "--token",
        page["confirmation_token"],
        "--confirmed-by",
        "dana",
        "--config",
        path,
    ]
    assert main(args) == 0 and "posted to static:" in capsys.readouterr().out
    assert main(args) == 0 and "already posted" in capsys.readouterr().out
    assert (tmp_path / "status" / "index.html").exists()
    assert main(["comms", "schedule", incident, "--config", path]) == 0
    out = capsys.readouterr().out
    assert re.search(r"status_page: next status page update by \d\d:\d\d UTC", out)


def test_post_is_refused_while_writes_are_off(tmp_path, capsys):
    path, incident = config_file(tmp_path, writes=False), declare(tmp_path)
    main(
        [
            "comms",
            "draft",
            incident,
            "--impact",
            "Some customers cannot pay.",
            "--no-triage",
            "--config",
            path,
            "--json",
        ]
    )
    page = next(d for d in json.loads(capsys.readouterr().out)["drafts"] if d["audience"] == "status_page")
    code = main(
        ["comms", "post", page["id"], "--token", page["confirmation_token"], "--confirmed-by", "d", "--config", path]
    )
    assert code == 2 and "comms.writes.status_page: true" in capsys.readouterr().err
    assert not (tmp_path / "status").exists()
