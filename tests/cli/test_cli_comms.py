"""`firstfifteen comms draft|post|schedule` on a replay config with the static status page."""

from __future__ import annotations

import asyncio
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
    from mcp_server.store import open_store
    from mcp_server.store.models import IncidentDraft
    from mcp_server.store.settings import StoreConfig

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


def sink_only_config(tmp_path) -> str:
    """Writes on to the local static status page, and no replay (which is slow to load 200 times)."""
    raw = {
        "services": [{"name": "checkout", "status_component": "Checkout"}],
        "adapters": {"static_status": {"directory": "status"}},
        "comms": {"writes": {"status_page": True}},
    }
    path = tmp_path / "sink.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


async def _status_drafts(path: str, incident: str, count: int) -> list[tuple[str, str]]:
    """``count`` status page drafts saved as production saves them; their ids and tokens."""
    from mcp_server.comms.drafting import draft_for_incident
    from mcp_server.config import load_config
    from mcp_server.runtime import open_runtime

    found = []
    async with open_runtime(load_config(path)) as runtime:
        record = runtime.store.get_incident(incident)
        for _ in range(count):
            drafts = await draft_for_incident(runtime, record, "Some customers cannot pay.", None)
            found += [(d.id, d.confirmation_token) for d in drafts.drafts if d.audience == "status_page"]
    return found


def test_every_generated_token_posts_through_the_command_line(tmp_path, capsys):
    # With token_urlsafe, 1 token in 64 started with '-' and argparse refused `--token -x...`:
    # 200 tokens would have hit that with a probability of 96%.
    path, incident = sink_only_config(tmp_path), declare(tmp_path)
    drafts = asyncio.run(_status_drafts(path, incident, 200))
    assert len(drafts) == 200 and len({token for _, token in drafts}) == 200
    misparsed = []
    for draft_id, token in drafts:
        try:
            code = main(["comms", "post", draft_id, "--token", token, "--confirmed-by", "dana", "--config", path])
        except SystemExit as exc:  # argparse gives up with exit 2 on an argument it cannot read
            code = f"argparse exit {exc.code}"
        out = capsys.readouterr()
        if code != 0 or f"{draft_id}: posted to static:" not in out.out:
            misparsed.append((draft_id, token, code, out.err[-200:]))
    assert misparsed == []


def test_an_older_token_starting_with_a_dash_still_posts(tmp_path, capsys):
    from mcp_server.comms.tokens import token_hash
    from mcp_server.store import open_store
    from mcp_server.store.models import DraftIn
    from mcp_server.store.settings import StoreConfig

    path, incident = config_file(tmp_path), declare(tmp_path)
    old = "-Qx_9vZb3LmKa"  # the shape secrets.token_urlsafe(9) gave before
    fields = {"incident_id": incident, "audience": "status_page", "body": "We are investigating checkout errors."}
    with open_store(StoreConfig()) as store:
        draft = store.save_draft(
            DraftIn(**fields, public_state="investigating", token_hash=token_hash(old), created_by="t")
        )
    assert main(["comms", "post", draft.id, f"--token={old}", "--confirmed-by", "d", "--config", path]) == 0
    assert "posted to static:" in capsys.readouterr().out
