"""firstfifteen's MCP server, triage engine, incident record and CLI.

The version lives in one place, ``pyproject.toml``; ``__version__`` reads it from the installed
distribution's metadata, or from the ``pyproject.toml`` beside the package in a checkout that was
never installed. The plugin manifests and skills carry no version of their own (Claude Code then
identifies a plugin by its git commit), so there is nothing to keep in step by hand.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DISTRIBUTION = "firstfifteen"


def _checkout_version() -> str:
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "0+unknown"
    return str(project["version"]) if project.get("name") == DISTRIBUTION else "0+unknown"


def package_version() -> str:
    """The installed distribution's version, else the one in the checkout's pyproject.toml."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a checkout (PYTHONPATH=.) without installing it
        return _checkout_version()


__version__ = package_version()
