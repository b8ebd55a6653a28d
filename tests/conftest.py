"""Shared fixtures: anyio on asyncio, an incident store in a temp dir for every test, a real PostgreSQL on demand."""

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


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL for the whole session (tests/pg_server.py); a missing binary fails with the install hint."""
    from pg_server import PostgresMissing, postgres_server

    try:
        server = postgres_server()
        running = server.__enter__()
    except PostgresMissing as exc:
        pytest.fail(str(exc))
    try:
        yield running
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def postgres_url(postgres):
    """An empty PostgreSQL database for one test (a schema of its own, dropped after): its URL, password included."""
    url = postgres.new_schema()
    yield url
    postgres.drop_schema(url)
