"""Run a pytest suite in a subprocess against the installed firstfifteen, and read its JUnit report.

Used by the tests that run the example adapter's own suite and the broken adapters through the
shipped conformance plugin: a separate process, so the plugin is loaded the way a third party's
tests load it (their conftest.py), with nothing of this repository's tests/ on the path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Outcome:
    """One test of the run: its name (with parameters), its class, and whether it passed."""

    classname: str
    name: str
    passed: bool
    message: str


def run_pytest(cwd: Path, paths: list[Path], *args: str) -> tuple[subprocess.CompletedProcess[str], list[Outcome]]:
    """``python -m pytest`` in ``cwd`` with ``paths`` first on sys.path; the process and every test's outcome."""
    report = cwd / "report.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in paths)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *args]
    process = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    outcomes = []
    for case in ET.parse(report).getroot().iter("testcase"):
        problems = [child for child in case if child.tag in ("failure", "error", "skipped")]
        message = " ".join((p.get("message") or "") + (p.text or "") for p in problems)
        outcomes.append(Outcome(case.get("classname", ""), case.get("name", ""), not problems, message))
    return process, outcomes
