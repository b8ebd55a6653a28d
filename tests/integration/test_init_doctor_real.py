"""From `firstfifteen init` to a clean `firstfifteen doctor`, as a new user would go: the starter,
untouched but for its ${VAR}s, checked against a real Prometheus and a real Alertmanager on
loopback, the hosted APIs (GitHub, Slack, Statuspage) through respx with their documented answers.
Then each part broken on its own is one failing row with its next step, and exit code 1."""

from __future__ import annotations

import json

import pytest
import respx
from alertmanager_server import running_alertmanager
from processes import free_port

from mcp_server.cli import main

pytestmark = pytest.mark.integration
PAGE = "kctbh9vrtdwd"
GITHUB = "https://api.github.com"


@pytest.fixture(scope="module")
def alertmanager():
    with running_alertmanager() as url:
        yield url


@pytest.fixture
def starter(tmp_path, monkeypatch, prometheus_for, alertmanager):
    """The file `init` wrote, with its variables pointing at the real servers."""
    prometheus = prometheus_for("bad-deploy")
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    env = {
        "PROMETHEUS_URL": prometheus.url,
        "ALERTMANAGER_URL": alertmanager,
        "GITHUB_TOKEN": "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
        "SLACK_BOT_TOKEN": "xoxb-1234-5678-abcdefghijkl",
        "STATUSPAGE_PAGE_ID": PAGE,
        "STATUSPAGE_API_KEY": "0123456789abcdef0123456789abcdef",
        "FIRSTFIFTEEN_DB": str(tmp_path / "incidents.sqlite3"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return tmp_path / "firstfifteen.yaml", prometheus.scenario.anchor


def hosted_apis(mock: respx.MockRouter) -> None:
    """GitHub, Slack and Statuspage answering as their API references document; loopback passes."""
    mock.route(host="127.0.0.1").pass_through()
    core = {"limit": 5000, "used": 1, "remaining": 4999, "reset": 1760450000}
    mock.get(f"{GITHUB}/rate_limit").respond(200, json={"resources": {"core": core}, "rate": core})
    for repo in ("frontend", "checkout"):
        mock.get(f"{GITHUB}/repos/example-org/{repo}").respond(
            200, json={"id": 1296269, "name": repo, "full_name": f"example-org/{repo}", "private": True}
        )
    mock.post("https://slack.com/api/auth.test").respond(
        200,
        json={"ok": True, "url": "https://example.slack.com/", "team": "Example", "user": "firstfifteen",
              "team_id": "T12345", "user_id": "U12345", "bot_id": "B12345"},
    )  # fmt: skip
    mock.get(f"https://api.statuspage.io/v1/pages/{PAGE}").respond(
        200, json={"id": PAGE, "name": "Example Status", "subdomain": "example", "time_zone": "Etc/UTC"}
    )


def doctor(capsys, path, at) -> tuple[int, dict[str, dict]]:
    code = main(["doctor", "--config", str(path), "--at", at.isoformat(), "--json"])
    rows = json.loads(capsys.readouterr().out)
    return code, {row["source"]: row for row in rows}


def test_the_starter_passes_doctor_against_the_real_stack(starter, capsys):
    path, anchor = starter
    with respx.mock(assert_all_called=True) as mock:
        hosted_apis(mock)
        code, rows = doctor(capsys, path, anchor)
    failed = {s: r for s, r in rows.items() if r["status"] == "fail"}
    assert code == 0 and not failed, failed
    assert {"prometheus", "alertmanager", "github", "slack", "statuspage_api", "store"} <= set(rows)
    assert "frontend" in rows["signal requests"]["detail"] and "checkout" in rows["signal latency"]["detail"]


def test_each_broken_part_is_one_failing_row_with_its_next_step(starter, capsys, monkeypatch):
    path, anchor = starter
    monkeypatch.setenv("ALERTMANAGER_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with respx.mock(assert_all_called=False) as mock:
        hosted_apis(mock)
        mock.post("https://slack.com/api/auth.test").respond(200, json={"ok": False, "error": "invalid_auth"})
        code, rows = doctor(capsys, path, anchor)
    failed = sorted(s for s, r in rows.items() if r["status"] == "fail")
    assert code == 1 and failed == ["alertmanager", "slack"], rows
    assert "invalid_auth" in rows["slack"]["detail"] and rows["slack"]["next_step"]
    assert rows["alertmanager"]["next_step"] and rows["prometheus"]["status"] == "ok"


def test_a_wrong_metric_convention_is_caught_before_the_first_incident(starter, capsys):
    path, anchor = starter
    path.write_text(path.read_text().replace("preset: classic", "preset: istio"), encoding="utf-8")
    with respx.mock(assert_all_called=False) as mock:
        hosted_apis(mock)
        code, rows = doctor(capsys, path, anchor)
    assert code == 1 and rows["signal requests"]["status"] == "fail"
    assert "signals.preset (istio)" in rows["signal requests"]["next_step"]


def test_an_unset_variable_fails_before_anything_is_asked(starter, capsys, monkeypatch):
    path, anchor = starter
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    with respx.mock(assert_all_called=False) as mock:
        hosted_apis(mock)
        code, rows = doctor(capsys, path, anchor)
    assert code == 1 and rows["config"]["status"] == "fail"
    assert any("SLACK_BOT_TOKEN" in s or "SLACK_BOT_TOKEN" in r["detail"] for s, r in rows.items())
    assert not mock.calls  # a config that does not load asks no system anything
