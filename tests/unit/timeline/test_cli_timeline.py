"""`firstfifteen timeline INC-n [--sync] [--markdown|--json]` and the argument checks of `receive-alerts`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import respx
import yaml
from conftest import T0
from slack_fake import CHANNEL, FakeSlack, slack_adapter_settings, ts

from mcp_server.cli import main


def config_file(tmp_path: Path) -> str:
    raw = {
        "services": [{"name": "checkout"}],
        "timeline": {"channel": CHANNEL},
        "adapters": {"slack": slack_adapter_settings()},
    }
    path = tmp_path / "ff.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


@respx.mock
def test_timeline_sync_then_markdown_and_json(tmp_path: Path, store, incident_id, capsys) -> None:
    fake = FakeSlack()
    fake.post(ts(T0 + timedelta(minutes=2)), "U1", "checkout is throwing 500s")
    fake.post(ts(T0 + timedelta(minutes=3)), "U2", "action: roll back", reactions=("pushpin",))
    fake.install()
    path = config_file(tmp_path)
    assert main(["timeline", incident_id, "--sync", "--config", path]) == 0
    captured = capsys.readouterr()
    assert "sync ok      chat:slack +2" in captured.err
    assert captured.out.startswith(f"# Timeline of {incident_id}: Checkout 500s\n\n## 2026-03-14 (UTC)")
    assert "**[highlight]** action: roll back" in captured.out
    assert main(["timeline", incident_id.lower(), "--json", "--sync", "--config", path]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sync"]["created"] == 0 and data["incident"]["id"] == incident_id
    assert [e["kind"] for e in data["events"]] == ["message", "highlight", "declared"]


def test_timeline_of_an_unknown_incident_is_an_error(tmp_path: Path, store, capsys) -> None:
    assert main(["timeline", "INC-7", "--config", config_file(tmp_path)]) == 1
    assert "no incident 'INC-7'" in capsys.readouterr().err


def test_receive_alerts_refuses_a_bad_listen_address(capsys) -> None:
    assert main(["receive-alerts", "--listen", "9095"]) == 2
    assert "HOST:PORT" in capsys.readouterr().err
