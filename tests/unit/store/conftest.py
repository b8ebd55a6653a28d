"""Fixtures for the incident store tests: every store test runs on SQLite and on a real PostgreSQL.

``database`` is one empty database on the backend the test is parametrised with (a temp file, or a
fresh database on the session's PostgreSQL); ``store`` is a store open on it with a fake clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_backends import Database

from mcp_server.store.base import IncidentStore

T0 = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
BACKENDS = ("sqlite", "postgres")


class FakeClock:
    """A clock the test moves by hand, so nothing depends on the wall clock."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        """Move forward by ``timedelta(**kwargs)`` and return the new time."""
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "incidents.sqlite3"


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, db_path: Path) -> Database:
    if request.param == "postgres":
        return Database("postgres", request.getfixturevalue("postgres_url"))
    return Database("sqlite", str(db_path))


@pytest.fixture
def store(database: Database, clock: FakeClock) -> Iterator[IncidentStore]:
    with database.open(clock=clock) as opened:
        yield opened
