#!/usr/bin/env python3
"""Write pyproject.toml's version into .claude-plugin/plugin.json (``--check``: only say if it differs).

pyproject.toml is the one place a release's version is set. plugin.json has to carry a copy,
because ``claude plugin validate --strict`` refuses a plugin manifest without one; this script is
how that copy is made, and the test suite runs it with ``--check``. Run it after a version bump.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
MANIFEST = ROOT / ".claude-plugin" / "plugin.json"
# Only the manifest's top-level "version" line is rewritten, so its hand formatting stays as it is.
VERSION_LINE = re.compile(r'^(  "version": )"[^"]*"(,?)$', re.MULTILINE)


def project_version(pyproject: Path = PYPROJECT) -> str:
    """The ``[project] version`` of ``pyproject``."""
    return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])


def synced(manifest_text: str, version: str) -> str:
    """``manifest_text`` with its version set to ``version``; ValueError if it has no version line."""
    if len(VERSION_LINE.findall(manifest_text)) != 1:
        raise ValueError(f'{MANIFEST.name} needs exactly one top-level line `  "version": "...",`')
    return VERSION_LINE.sub(lambda m: f'{m.group(1)}"{version}"{m.group(2)}', manifest_text)


def main(argv: list[str] | None = None) -> int:
    """Sync (or with --check, compare) the manifest; exit 1 when --check finds it out of date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if the copy differs")
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--pyproject", type=Path, default=PYPROJECT)
    args = parser.parse_args(argv)
    current = args.manifest.read_text(encoding="utf-8")
    wanted = synced(current, project_version(args.pyproject))
    if wanted == current:
        return 0
    if args.check:
        print(f"{args.manifest} does not carry the version of {args.pyproject}: run scripts/sync_version.py")
        return 1
    args.manifest.write_text(wanted, encoding="utf-8")
    print(f"{args.manifest}: version {project_version(args.pyproject)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
