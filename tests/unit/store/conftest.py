"""Fixtures for the incident store tests: a store in a temporary file, driven by a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mcp_server.store.sqlite import SqliteIncidentStore

T0 = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)


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


@pytest.fixture
def store(db_path: Path, clock: FakeClock) -> Iterator[SqliteIncidentStore]:
    with SqliteIncidentStore(db_path, clock=clock) as opened:
        yield opened
