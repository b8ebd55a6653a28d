"""The schema migration runner: fresh databases, upgrades, failures, and newer databases refused."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mcp_server.store.errors import MigrationError, SchemaVersionError, StoreConfigError, StoreCorruptError, StoreError
from mcp_server.store.migrations import (
    MIGRATIONS,
    Migration,
    check_steps,
    latest_version,
    migrate,
    schema_version,
    split_statements,
)
from mcp_server.store.models import IncidentDraft, TimelineEntry
from mcp_server.store.sqlite import SqliteIncidentStore

EXTRA_STEP = Migration(
    len(MIGRATIONS) + 1,
    "timeline pins (synthetic step for the test)",
    "ALTER TABLE timeline_events ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX timeline_events_pinned ON timeline_events (incident) WHERE pinned = 1;",
)


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def applied_rows(path: Path) -> list[tuple[int, str]]:
    with connect(path) as conn:
        query = "SELECT version, description FROM schema_migrations ORDER BY version"
        return [tuple(row) for row in conn.execute(query)]


def tables(path: Path) -> set[str]:
    with connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_fresh_database_gets_every_version(db_path: Path, clock) -> None:
    SqliteIncidentStore(db_path, clock=clock).close()
    with connect(db_path) as conn:
        assert schema_version(conn) == latest_version() == len(MIGRATIONS)
        applied_at = conn.execute("SELECT applied_at FROM schema_migrations").fetchall()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert applied_rows(db_path) == [(m.version, m.description) for m in MIGRATIONS]
    assert {row[0] for row in applied_at} == {"2026-03-14T03:00:00.000000Z"}
    assert {"incidents", "timeline_events", "schema_migrations"} <= tables(db_path)


def test_opening_a_fresh_file_waits_out_a_lock_held_during_the_switch_to_wal(db_path: Path) -> None:
    # SQLite refuses a journal-mode change at once, without its busy handler, while another
    # connection holds the write lock: the store must wait like any other writer does.
    db_path.parent.mkdir(parents=True, exist_ok=True)
    holder = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, holder.execute, args=("COMMIT",))
    release.start()
    try:
        store = SqliteIncidentStore(db_path, busy_timeout=30)
    finally:
        release.join()
        holder.close()
    assert store.declare_incident(IncidentDraft(title="t", severity="SEV3", declared_by="a")).id == "INC-1"
    with connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_lock_held_past_the_busy_timeout_during_the_switch_to_wal_is_a_store_error(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="stayed locked"):
            SqliteIncidentStore(db_path, busy_timeout=0.1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_reopening_applies_nothing_again(db_path: Path) -> None:
    SqliteIncidentStore(db_path).close()
    with connect(db_path) as conn:
        assert migrate(conn, str(db_path)) == []
    assert len(applied_rows(db_path)) == len(MIGRATIONS)


def test_database_at_version_one_upgrades_when_a_later_step_exists(db_path: Path) -> None:
    with SqliteIncidentStore(db_path, migrations=MIGRATIONS[:1]) as old:
        incident = old.declare_incident(IncidentDraft(title="old", severity="SEV4", declared_by="a"))
    steps = (*MIGRATIONS, EXTRA_STEP)
    with connect(db_path) as conn:
        assert schema_version(conn) == 1
        assert migrate(conn, str(db_path), steps) == [m.version for m in steps[1:]]
        assert schema_version(conn) == EXTRA_STEP.version
        pinned = conn.execute("SELECT pinned FROM timeline_events").fetchall()
    assert pinned == [(0,)]  # the old row got the new column's default
    assert applied_rows(db_path)[-1] == (EXTRA_STEP.version, EXTRA_STEP.description)
    # The store keeps working on the upgraded schema when it knows the new step.
    with SqliteIncidentStore(db_path, migrations=steps) as upgraded:
        assert upgraded.get_incident(incident.id).title == "old"
        _, created = upgraded.append_event(incident.id, TimelineEntry(source="human", kind="note", text="after"))
        assert created is True


def test_a_failing_step_leaves_the_previous_version_intact(db_path: Path) -> None:
    SqliteIncidentStore(db_path).close()
    broken = Migration(
        EXTRA_STEP.version,
        "half a step",
        "CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);",
    )
    with connect(db_path) as conn:
        with pytest.raises(MigrationError, match=f"stays at version {EXTRA_STEP.version - 1}") as exc_info:
            migrate(conn, str(db_path), (*MIGRATIONS, broken))
        assert schema_version(conn) == len(MIGRATIONS)
        assert conn.in_transaction is False
    assert "no_such_table" in str(exc_info.value)
    assert "half_done" not in tables(db_path)
    assert len(applied_rows(db_path)) == len(MIGRATIONS)


def test_newer_database_is_refused_and_not_touched(db_path: Path) -> None:
    SqliteIncidentStore(db_path).close()
    with connect(db_path) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")  # so every byte of state is in the main file
        conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    before = db_path.read_bytes()
    with pytest.raises(SchemaVersionError) as exc_info:
        SqliteIncidentStore(db_path)
    error = exc_info.value
    assert isinstance(error, StoreConfigError) and isinstance(error, StoreError)
    assert f"schema version {latest_version() + 1}" in error.message
    assert "Upgrade firstfifteen" in error.hint
    assert db_path.read_bytes() == before  # not even switched to WAL
    assert not Path(f"{db_path}-wal").exists()


def test_newer_version_found_under_the_lock_is_refused(tmp_path: Path) -> None:
    db_path = tmp_path / "raw.sqlite3"
    with connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 3}")
        with pytest.raises(SchemaVersionError):
            migrate(conn, str(db_path))
        assert schema_version(conn) == latest_version() + 3


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_bytes(b"these are my incident notes, not a database" * 100)
    with pytest.raises(StoreCorruptError, match="not a usable incident database"):
        SqliteIncidentStore(junk)
    assert junk.read_bytes().startswith(b"these are my incident notes")


@pytest.mark.parametrize("versions", [[2], [1, 3], [1, 1], [2, 1]])
def test_step_numbers_must_run_from_one_without_gaps(versions: list[int]) -> None:
    with pytest.raises(ValueError, match="1..n without gaps"):
        check_steps([Migration(v, "x", "SELECT 1") for v in versions])


def test_released_steps_are_numbered_correctly() -> None:
    check_steps(MIGRATIONS)


def test_split_statements_respects_strings_comments_and_triggers() -> None:
    script = """
    CREATE TABLE a (x TEXT); -- a comment; with a semicolon
    CREATE TRIGGER t AFTER INSERT ON a BEGIN
        UPDATE a SET x = 'semi;colon' WHERE rowid = new.rowid;
    END;
    INSERT INTO a VALUES ('one;two');
    """
    statements = split_statements(script)
    assert len(statements) == 3
    assert statements[1].startswith("-- a comment; with a semicolon")  # the comment rides on the trigger
    assert "END" in statements[1]
    with connect(Path(":memory:")) as conn:
        for statement in statements:
            conn.execute(statement)
        assert conn.execute("SELECT x FROM a").fetchall() == [("semi;colon",)]


def test_split_statements_refuses_an_unfinished_statement() -> None:
    with pytest.raises(ValueError, match="incomplete SQL statement"):
        split_statements("CREATE TABLE a (x TEXT); CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1;")
    with pytest.raises(ValueError, match="incomplete SQL statement"):
        split_statements("INSERT INTO a VALUES ('never closed;")
