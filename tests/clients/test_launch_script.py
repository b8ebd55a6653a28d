"""scripts/launch, the plugin's server launcher, on a PATH holding only what each case allows.

Each case runs the real script with sh. The choice of uvx is seen through a stand-in uvx that
prints how it was called (the server itself is started for real in the PyPI case, here and under
Claude Code in tests/plugin/test_claude_code.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = ROOT / "scripts" / "launch"
# What the script calls, and what the console script uvx writes calls (dirname, realpath: uv's
# cached environments start their scripts through a relocatable sh trampoline). Every POSIX
# machine has them; the point is that there is no uv, and in most cases no python3.
BASICS = ("sh", "mkdir", "mv", "rm", "dirname", "realpath")
PYTHON = Path(sys.base_prefix) / "bin" / "python3"  # the interpreter under the venv: a user's python3
UV_VERSION = "0.13.9"


def bin_dir(tmp_path: Path, *extra: str) -> Path:
    """A folder of symlinks to the basics and to ``extra`` commands: the whole PATH of a case."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name in (*BASICS, *extra):
        target = PYTHON if name == "python3" else shutil.which(name)
        assert target, f"{name} is not installed here"
        (folder / name).symlink_to(target)
    return folder


def stand_in_uvx(path: Path, label: str) -> Path:
    """An executable uvx that prints ``label`` and its arguments, one a line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\nprintf '%s\\n' {label} \"$@\"\n")
    path.chmod(0o755)
    return path


# Dropped: anything naming a uv, a plugin or a config of the test run. Kept: the machine's own settings
# (its TLS trust store, for one), as a user's machine has them.
_DROP_PREFIXES = ("ANTHROPIC_", "CLAUDE", "FIRSTFIFTEEN_", "UV_", "VIRTUAL_ENV")


def launch_env(tmp_path: Path, path: Path) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(_DROP_PREFIXES)}
    return {
        **kept,
        "PATH": str(path),
        "HOME": str(tmp_path / "home"),
        "CLAUDE_PLUGIN_ROOT": str(ROOT),
        "CLAUDE_PLUGIN_DATA": str(tmp_path / "data"),
        "UV_CACHE_DIR": str(ROOT / ".cache" / "uv"),
        "FIRSTFIFTEEN_DB": str(tmp_path / "incidents.sqlite3"),
    }


def launch(tmp_path: Path, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/sh", str(LAUNCH)],
        env=launch_env(tmp_path, path),
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def called_as(label: str) -> str:
    return "\n".join([label, "--from", str(ROOT), "firstfifteen", "serve"]) + "\n"


def test_uvx_on_path_is_used_and_nothing_is_installed(tmp_path):
    path = bin_dir(tmp_path)
    stand_in_uvx(path / "uvx", "from-path")
    proc = launch(tmp_path, path)
    assert proc.returncode == 0 and proc.stdout == called_as("from-path"), proc.stderr
    assert "starting the server" in proc.stderr and not (tmp_path / "data").exists()


@pytest.mark.parametrize("layout", ["pypi/bin", "bin"], ids=["pip-target", "astral-installer"])
def test_a_uv_installed_before_is_reused_without_python_or_network(tmp_path, layout):
    path = bin_dir(tmp_path)  # no python3, no curl, no wget: an install could not even start
    stand_in_uvx(tmp_path / "data" / "uv" / layout / "uvx", "cached")
    proc = launch(tmp_path, path)
    assert proc.returncode == 0 and proc.stdout == called_as("cached"), proc.stderr
    assert "installing" not in proc.stderr


@pytest.mark.parametrize("python", ["none", "without-pip"])
def test_nothing_to_install_with_fails_naming_what_to_install(tmp_path, python):
    path = bin_dir(tmp_path)
    if python == "without-pip":  # -S: no site-packages, so `python3 -m pip` is not there
        (path / "python3").write_text(f'#!/bin/sh\nexec {PYTHON} -S "$@"\n')
        (path / "python3").chmod(0o755)
    proc = launch(tmp_path, path)
    assert proc.returncode == 127 and proc.stdout == ""
    for advice in ("Install uv", "python3 with pip", "curl or wget", "/reload-plugins"):
        assert advice in proc.stderr, proc.stderr
    assert list((tmp_path / "data" / "uv").iterdir()) == []  # no half-installed uv left behind


@pytest.mark.anyio
async def test_with_only_python3_it_installs_uv_from_pypi_and_the_server_answers(tmp_path):
    path = bin_dir(tmp_path, "python3")
    params = StdioServerParameters(command="/bin/sh", args=[str(LAUNCH)], env=launch_env(tmp_path, path))
    async with Client(params) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert {"triage", "rank_deploys", "declare_incident"} <= names
    uvx = tmp_path / "data" / "uv" / "pypi" / "bin" / "uvx"
    version = subprocess.run([str(uvx.with_name("uv")), "--version"], capture_output=True, text=True, check=True)
    assert uvx.is_file() and version.stdout.startswith(f"uv {UV_VERSION}")
    assert not list((tmp_path / "data" / "uv").glob("*.partial.*"))
    # The next start finds that uv and installs nothing (stdin closed: the server ends at once).
    again = launch(tmp_path, path)
    assert f"starting the server with {uvx}" in again.stderr and "installing" not in again.stderr, again.stderr
    assert again.stdout == ""  # nothing but MCP on stdout, and no request came


def test_the_script_is_posix_sh():
    dash = shutil.which("dash") or shutil.which("sh")
    assert dash, "no sh"
    proc = subprocess.run([dash, "-n", str(LAUNCH)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert LAUNCH.read_text().startswith("#!/bin/sh\n") and os.access(LAUNCH, os.X_OK)
