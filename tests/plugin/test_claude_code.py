"""The plugin as the real Claude Code CLI sees it: manifests validate, and the server connects.

Needs ``FIRSTFIFTEEN_CLAUDE``, the path of the Claude Code CLI (``scripts/test`` installs
@anthropic-ai/claude-code into ``.cache/claude-code`` and exports it). The plugin starts its server
with ``scripts/launch``: one connection check has ``uvx`` on PATH, the other a PATH with no uv at all,
so the launcher installs uv from PyPI into the plugin's data folder first. No API key and no model
call: ``claude mcp list`` only starts and health-checks servers. Every run uses a throwaway HOME,
so the user's ``~/.claude`` is never read or written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.claude

ROOT = Path(__file__).resolve().parents[2]
SERVER = "plugin:firstfifteen:firstfifteen"
PLUGIN_ID = "firstfifteen@firstfifteen-tools"
CONNECT_DEADLINE_S = 240  # the first uvx build installs ~30 packages
# Directory-catalog findings accepted on purpose: ICON_MISSING (no placeholder icon; see docs/claude-code.md).
ACCEPTED_FINDINGS = {"ICON_MISSING"}
# Variables that would point the CLI at a real account or config, or the server at a user's config.
_DROP_PREFIXES = ("ANTHROPIC_", "CLAUDE", "FIRSTFIFTEEN_")


@pytest.fixture(scope="module")
def claude() -> Path:
    """The Claude Code CLI under test; a missing one fails the run rather than skipping it."""
    value = os.environ.get("FIRSTFIFTEEN_CLAUDE")
    hint = "Run scripts/test, which installs @anthropic-ai/claude-code@2.1.332 and exports it."
    if not value:
        pytest.fail(f"FIRSTFIFTEEN_CLAUDE is not set: it must be the path of the Claude Code CLI. {hint}")
    path = Path(value)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"FIRSTFIFTEEN_CLAUDE={value} is not an executable file. {hint}")
    return path


def cli_env(home: Path, path: str | None = None) -> dict[str, str]:
    """Environment for the CLI: a scratch HOME, no account or user config, PATH kept for uvx (or ``path``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP_PREFIXES)}
    env.update(
        HOME=str(home),
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        DISABLE_AUTOUPDATER="1",
        UV_CACHE_DIR=str(ROOT / ".cache" / "uv"),  # shared across runs so rebuilds are incremental
    )
    if path is not None:
        env["PATH"] = path
    return env


def run(
    claude: Path, *args: str, home: Path, cwd: Path, timeout: float = 120, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one CLI command and return it with its output captured."""
    return subprocess.run(
        [str(claude), *args],
        cwd=cwd,
        env=cli_env(home, path),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def output(proc: subprocess.CompletedProcess[str]) -> str:
    """Both streams of a finished command, for assertion messages."""
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def test_cli_is_the_pinned_version(claude: Path, tmp_path: Path) -> None:
    proc = run(claude, "--version", home=tmp_path, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("2.1.332"), output(proc)


def test_validate_strict_passes(claude: Path, tmp_path: Path) -> None:
    proc = run(claude, "plugin", "validate", "--strict", ".", home=tmp_path, cwd=ROOT)
    assert proc.returncode == 0 and "Validation passed" in proc.stdout, output(proc)


def test_validate_strict_json_report(claude: Path, tmp_path: Path) -> None:
    """The marketplace, the plugin it lists, its MCP server and skills, with no warnings."""
    proc = run(claude, "plugin", "validate", "--strict", "--json", ".", home=tmp_path, cwd=ROOT)
    assert proc.returncode == 0, output(proc)
    report = json.loads(proc.stdout)
    assert report["success"] and report["strict"], report
    assert report["manifest"]["type"] == "marketplace"
    assert report["manifest"]["errors"] == [] and report["manifest"]["warnings"] == []
    servers = {s["name"]: s for s in report["provides"]["mcpServers"]}
    assert servers["firstfifteen"]["target"] == "sh"
    assert servers["firstfifteen"]["args"] == ["${CLAUDE_PLUGIN_ROOT}/scripts/launch"]
    assert "firstfifteen:triage" in report["provides"]["skills"]
    findings = {f["code"] for f in report["directory"]["findings"]}
    assert findings <= ACCEPTED_FINDINGS, report["directory"]["findings"]


def test_validate_plugin_manifest_alone(claude: Path, tmp_path: Path) -> None:
    proc = run(claude, "plugin", "validate", "--strict", ".claude-plugin/plugin.json", home=tmp_path, cwd=ROOT)
    assert proc.returncode == 0 and "Validating plugin manifest" in proc.stdout, output(proc)


def server_line(listing: str) -> str:
    """The ``claude mcp list`` line of our plugin server, or an empty string."""
    return next((line for line in listing.splitlines() if line.startswith(f"{SERVER}:")), "")


def wait_for_connection(claude: Path, home: Path, cwd: Path, path: str | None = None) -> str:
    """Poll ``claude mcp list`` until the server is Connected or the deadline passes; return its last line."""
    deadline = time.monotonic() + CONNECT_DEADLINE_S
    line = ""
    while time.monotonic() < deadline:
        proc = run(claude, "mcp", "list", home=home, cwd=cwd, timeout=180, path=path)
        line = server_line(proc.stdout) or output(proc)
        if "Connected" in line:
            return line
        time.sleep(5)
    return line


def install_plugin(claude: Path, tmp_path: Path, path: str | None = None) -> tuple[Path, Path]:
    """Add the repo as a marketplace and install the plugin in a scratch HOME; (home, cwd)."""
    home, work = tmp_path / "home", tmp_path / "work"  # cwd outside the repo: its .mcp.json is no project server
    home.mkdir()
    work.mkdir()
    added = run(claude, "plugin", "marketplace", "add", str(ROOT), home=home, cwd=work, path=path)
    assert added.returncode == 0 and "firstfifteen-tools" in added.stdout, output(added)
    installed = run(claude, "plugin", "install", PLUGIN_ID, home=home, cwd=work, path=path)
    assert installed.returncode == 0 and "Successfully installed" in installed.stdout, output(installed)
    listed = run(claude, "plugin", "list", home=home, cwd=work, path=path)
    assert PLUGIN_ID in listed.stdout, output(listed)
    return home, work


def test_server_connects_under_claude_code(claude: Path, tmp_path: Path) -> None:
    """Add the repo as a marketplace, install the plugin, and see its server connect (no API key)."""
    assert shutil.which("uvx", path=cli_env(tmp_path)["PATH"]), "uvx is not on PATH (pip install uv into .venv)"
    home, work = install_plugin(claude, tmp_path)
    line = wait_for_connection(claude, home, work)
    assert "Connected" in line and "scripts/launch" in line, f"{SERVER} did not connect:\n{line}"
    assert not list(home.glob(".claude/plugins/data/*/uv")), "uvx was on PATH: the launcher must not install uv"


# A user's machine with no uv: the basics only (the launcher's, and the dirname/realpath that uv's
# console scripts call), and python3 with pip. Nothing else of this machine's PATH.
NO_UV_BASICS = ("sh", "mkdir", "mv", "rm", "dirname", "realpath")


def test_server_connects_with_no_uv_installed(claude: Path, tmp_path: Path) -> None:
    """The launcher installs uv from PyPI into the plugin's data folder, and the server connects."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in NO_UV_BASICS:
        (folder / name).symlink_to(shutil.which(name) or pytest.fail(f"{name} is not installed here"))
    (folder / "python3").symlink_to(Path(sys.base_prefix) / "bin" / "python3")
    path = str(folder)
    assert shutil.which("uvx", path=path) is None and shutil.which("uv", path=path) is None
    home, work = install_plugin(claude, tmp_path, path=path)
    line = wait_for_connection(claude, home, work, path=path)
    assert "Connected" in line, f"{SERVER} did not connect with no uv on PATH:\n{line}"
    [uvx] = home.glob(".claude/plugins/data/*/uv/pypi/bin/uvx")
    assert uvx.parent.parent.parent.parent.name.startswith("firstfifteen"), uvx  # the plugin's own data folder
