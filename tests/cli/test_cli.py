"""The firstfifteen command: demo, triage, doctor, scenarios, and its exit codes."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from adapters.replay.scenario import list_scenarios, load_scenario
from adapters.testing import silent_port
from mcp_server.cli import main


def write_config(tmp_path, **extra):
    raw = {"services": [{"name": "checkout"}, {"name": "frontend", "depends_on": ["checkout"]}], **extra}
    path = tmp_path / "firstfifteen.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_demo_prints_the_one_page_triage(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    expected = load_scenario("bad-deploy").expected
    for root in expected.roots:
        assert f"### Likely root: {root}" in out
    assert "Demo data" in out and "## Ruled out" in out


@pytest.mark.parametrize("name", list_scenarios())
def test_demo_json_matches_each_scenarios_expectations(capsys, name):
    assert main(["demo", "--scenario", name, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)["triage"]
    expected = load_scenario(name).expected
    assert sorted(result["degraded"]) == sorted(expected.degraded)
    assert sorted(result["likely_roots"]) == sorted(expected.roots)
    assert sorted(result["symptoms"]) == sorted(expected.symptoms)


def test_triage_with_a_replay_config_and_at(tmp_path, capsys):
    scenario = load_scenario("bad-deploy")
    raw = {
        "services": scenario.services_config(),
        "adapters": {"replay": {"scenario": "bad-deploy"}},
    }
    path = tmp_path / "ff.yaml"
    path.write_text(yaml.safe_dump(raw))
    at = "2000-01-01T00:00:00Z"  # far before the scenario: refused by the clock, exit 2
    assert main(["triage", "--config", str(path), "--at", at]) == 2
    assert "more than 400 days" in capsys.readouterr().err
    anchor = scenario.anchor.isoformat().replace("+00:00", "Z")
    assert main(["triage", "--config", str(path), "--at", anchor, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["at"] == anchor and sorted(result["likely_roots"]) == sorted(scenario.expected.roots)


def test_bad_config_is_refused_with_key_and_problem(tmp_path, capsys):
    path = write_config(tmp_path, triage={"window_minutes": "soon"})
    assert main(["triage", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "config error" in err and "triage.window_minutes" in err


def test_invalid_at_exits_2_with_accepted_forms(tmp_path, capsys):
    path = write_config(tmp_path)
    assert main(["triage", "--config", str(path), "--at", "noonish"]) == 2
    assert "now-15m" in capsys.readouterr().err


def test_doctor_reports_each_adapter(tmp_path, capsys):
    ok = write_config(tmp_path, adapters={"replay": {"scenario": "bad-deploy"}})
    anchor = load_scenario("bad-deploy").anchor.isoformat()
    assert main(["doctor", "--config", str(ok), "--at", anchor]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^replay +ok ", out, re.M) and re.search(
        r"^signal latency +ok +data for checkout, frontend", out, re.M
    )
    down = write_config(tmp_path, adapters={"prometheus": {"url": "http://127.0.0.1:9", "timeout_s": 2}})
    assert main(["doctor", "--config", str(down)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^prometheus +FAIL ", out, re.M) and "next step" in out


def test_doctor_gives_up_on_a_silent_server_at_the_deadline(tmp_path, capsys):
    with silent_port() as port:
        url = f"http://127.0.0.1:{port}"
        # The adapter's own timeout is far longer than the deadline: the deadline must be what stops it.
        path = write_config(
            tmp_path, adapters={"prometheus": {"url": url, "timeout_s": 60}}, triage={"deadline_seconds": 1}
        )
        assert main(["doctor", "--config", str(path)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^prometheus +FAIL +no answer within 1s", out, re.M)
    assert re.search(r"^signal requests +FAIL +no answer within 1s", out, re.M)


def test_scenarios_lists_the_bundled_ones(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert len(list_scenarios()) >= 3 and all(name in out for name in list_scenarios())


def test_version_prints_the_package_version_and_exits_0(capsys):
    from mcp_server import __version__

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"firstfifteen {__version__}\n"


def test_version_from_the_console_script():
    import subprocess
    import sys
    from pathlib import Path

    from mcp_server import __version__

    script = Path(sys.executable).with_name("firstfifteen")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "mcp_server.cli"]
    done = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"firstfifteen {__version__}\n", "")
