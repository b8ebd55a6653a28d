"""One version string: pyproject.toml holds it; the package reads it, the plugin manifest gets a
generated copy (``claude plugin validate --strict`` refuses a manifest without one), the rest has none."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import mcp_server
from mcp_server import __version__

ROOT = Path(__file__).resolve().parents[3]
SOURCE = "pyproject.toml"
MANIFEST = ".claude-plugin/plugin.json"
SYNC = ROOT / "scripts" / "sync_version.py"
# Files that may repeat a release's version by nature: lock files and a changelog's history.
EXEMPT = re.compile(r"(^|/)(CHANGELOG[^/]*|[^/]*\.lock|package-lock\.json)$", re.IGNORECASE)


def project_version() -> str:
    return tomllib.loads((ROOT / SOURCE).read_text())["project"]["version"]


def tracked_files() -> list[str]:
    try:
        done = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"not a git checkout, so no list of tracked files: {exc}")
    return [name for name in done.stdout.split("\0") if name]


def test_the_package_reports_the_pyproject_version():
    assert __version__ == project_version(), "the installed metadata is stale: reinstall (pip install -e .)"


def test_a_checkout_that_was_never_installed_reads_pyproject(monkeypatch):
    def not_installed(name: str) -> str:
        raise mcp_server.PackageNotFoundError(name)

    monkeypatch.setattr(mcp_server, "version", not_installed)
    assert mcp_server.package_version() == project_version()


def test_the_version_string_is_in_no_other_tracked_file():
    pattern = re.compile(rf"(?<![\w.]){re.escape(project_version())}(?![\w.])")
    found = []
    for name in tracked_files():
        path = ROOT / name
        if name in (SOURCE, MANIFEST) or EXEMPT.search(name) or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary
        found += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if pattern.search(line)]
    assert found == [], f"the version is copied by hand; read it from {SOURCE} instead"


def sync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SYNC), *args], capture_output=True, text=True, timeout=60)


def test_the_plugin_manifest_carries_the_generated_copy():
    done = sync("--check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((ROOT / MANIFEST).read_text())["version"] == project_version()
    lines = [line for line in (ROOT / MANIFEST).read_text().splitlines() if project_version() in line]
    assert lines == [f'  "version": "{project_version()}",'], "only the version field may hold it"


def test_the_sync_script_rewrites_only_the_version_line(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "firstfifteen"\nversion = "9.8.7"\n')
    manifest = tmp_path / "plugin.json"
    original = (ROOT / MANIFEST).read_text()
    manifest.write_text(original)
    paths = ("--manifest", str(manifest), "--pyproject", str(tmp_path / "pyproject.toml"))
    stale = sync("--check", *paths)
    assert stale.returncode == 1 and "sync_version.py" in stale.stdout
    assert manifest.read_text() == original
    assert sync(*paths).returncode == 0
    assert manifest.read_text() == original.replace(f'"version": "{project_version()}"', '"version": "9.8.7"')
    assert sync("--check", *paths).returncode == 0


def test_the_marketplace_and_skills_carry_no_version():
    market = json.loads((ROOT / ".claude-plugin" / "marketplace.json").read_text())
    assert "version" not in market.get("metadata", {})
    assert all("version" not in entry for entry in market["plugins"])
    for skill in sorted((ROOT / "skills").glob("*/SKILL.md")):
        front = yaml.safe_load(skill.read_text().split("---")[1])
        assert "version" not in front.get("metadata", {}), skill
