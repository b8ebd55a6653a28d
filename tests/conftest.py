"""Shared fixtures: anyio on asyncio, and an incident store in a temp dir for every test."""

from __future__ import annotations

import pytest

# The adapter conformance suite, shipped in the package (tests/conformance/ runs the built-ins through it).
pytest_plugins = ["adapters.testing.plugin"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path, monkeypatch):
    # Never touch the user's real incident record from a test.
    monkeypatch.setenv("FIRSTFIFTEEN_DB", str(tmp_path / "incidents.sqlite3"))
    monkeypatch.delenv("FIRSTFIFTEEN_CONFIG", raising=False)
    monkeypatch.delenv("FIRSTFIFTEEN_SCENARIO", raising=False)
