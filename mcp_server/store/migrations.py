"""Versioned schema migrations for the incident store, one list for SQLite and PostgreSQL.

``MIGRATIONS`` is an ordered list of steps numbered 1, 2, 3...; each has one description and its SQL
per dialect (``sqlite_schema.py``, ``postgres_schema.py``). A step is never edited once released, a
change is always a new step at the end (see docs/incident-store.md). Each step runs in its own
transaction together with its bookkeeping (a ``schema_migrations`` row, and on SQLite ``PRAGMA
user_version``), so a crash or an error leaves the database at the previous version, never half-way.
DDL is transactional on both, which is what makes this work.

The version is re-read after the migration lock is taken (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL:
an advisory lock): when two processes open a fresh database at the same moment, the second one
finds the step already applied and skips it.

A database whose version is higher than the last step known here was written by a newer
firstfifteen; it is refused before anything is written to it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from adapters.models import utcnow
from mcp_server.store import postgres_schema, sqlite_schema
from mcp_server.store.errors import MigrationError, SchemaVersionError

Dialect = Literal["sqlite", "postgres"]
_BOOKKEEPING: dict[str, str] = {"sqlite": sqlite_schema.BOOKKEEPING, "postgres": postgres_schema.BOOKKEEPING}


@dataclass(frozen=True)
class Migration:
    """One schema step: its version, a one-line description, and its SQL (one or more statements).

    ``sql`` is SQLite's; ``postgres_sql`` is PostgreSQL's, or None when the same text serves both.
    """

    version: int
    description: str
    sql: str
    postgres_sql: str | None = None

    def sql_for(self, dialect: Dialect) -> str:
        """The step's SQL in ``dialect``."""
        if dialect == "postgres" and self.postgres_sql is not None:
            return self.postgres_sql
        return self.sql


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "incidents and timeline events", sqlite_schema.V1, postgres_schema.V1),
    Migration(2, "timeline sync: event revisions, sync cursors, alert inbox", sqlite_schema.V2, postgres_schema.V2),
    Migration(3, "communication drafts and remote ids", sqlite_schema.V3, postgres_schema.V3),
    Migration(4, "hypotheses", sqlite_schema.V4, postgres_schema.V4),
    Migration(5, "coordination: roles and work items", sqlite_schema.V5, postgres_schema.V5),
)


class SchemaTarget(Protocol):
    """One database as the migration runner drives it (one connection, transactions run by hand)."""

    dialect: Dialect
    where: str  # names the database in messages (a path, or a URL without its password)
    errors: tuple[type[BaseException], ...]  # the driver's errors that mean "this step's SQL failed"

    def version(self) -> int:
        """The schema version now (0 for an empty database)."""
        ...

    def begin_locked(self) -> None:
        """Start a transaction holding the migration lock."""
        ...

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        """Run one statement with ``?`` placeholders."""
        ...

    def set_version(self, version: int) -> None:
        """Record the version beside ``schema_migrations`` where the dialect keeps one (SQLite's user_version)."""
        ...

    def commit(self) -> None:
        """Commit the transaction."""
        ...

    def rollback(self) -> None:
        """Roll back the transaction if one is open."""
        ...


def to_db_time(value: datetime) -> str:
    """How every timestamp is sent: fixed-width ISO-8601 UTC with microseconds and ``Z``.

    Fixed width (``2026-03-14T03:07:00.000000Z``) makes text order equal time order, so SQLite's
    indexes and ``ORDER BY`` work on the column directly, and the file stays readable in the sqlite3
    shell; PostgreSQL parses the same text into its ``TIMESTAMPTZ`` columns.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamps must carry a timezone")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_db_time(value: str | datetime) -> datetime:
    """A stored timestamp (SQLite's text, or PostgreSQL's datetime) as an aware UTC datetime."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed.astimezone(UTC)


def latest_version(steps: Sequence[Migration] = MIGRATIONS) -> int:
    """The schema version a database has once every step has run."""
    return steps[-1].version if steps else 0


def schema_version(conn: sqlite3.Connection) -> int:
    """A SQLite database's ``PRAGMA user_version`` (0 for a new, empty file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_steps(steps: Sequence[Migration]) -> None:
    """Refuse a step list that is not numbered 1, 2, 3... without gaps (a programming error)."""
    versions = [step.version for step in steps]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migration versions must be 1..n without gaps, got {versions}")


def check_version(version: int, where: str, steps: Sequence[Migration] = MIGRATIONS) -> int:
    """``version``, or SchemaVersionError if it is newer than the last known step."""
    known = latest_version(steps)
    if version > known:
        raise SchemaVersionError(
            f"incident database {where} has schema version {version}, but this firstfifteen knows "
            f"versions up to {known}",
        )
    return version


def refuse_newer(conn: sqlite3.Connection, where: str, steps: Sequence[Migration] = MIGRATIONS) -> int:
    """A SQLite database's version, or SchemaVersionError if it is newer than the last known step."""
    return check_version(schema_version(conn), where, steps)


def split_statements(sql: str) -> list[str]:
    """Split a script into single statements; ``;`` inside strings or trigger bodies is respected."""
    statements: list[str] = []
    buffer = ""
    for piece in sql.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            body = buffer.strip().rstrip(";").strip()
            if body:
                statements.append(body)
            buffer = ""
    if buffer.rstrip(";").strip():
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buffer.strip()[:80]!r}")
    return statements


def run_steps(
    target: SchemaTarget, steps: Sequence[Migration] = MIGRATIONS, clock: Callable[[], datetime] = utcnow
) -> list[int]:
    """Apply every step the database lacks, each in its own transaction; return the versions applied."""
    check_steps(steps)
    check_version(target.version(), target.where, steps)
    return [step.version for step in steps if _apply(target, step, steps, clock)]


def _apply(target: SchemaTarget, step: Migration, steps: Sequence[Migration], clock: Callable[[], datetime]) -> bool:
    """Run one step unless it is already applied; True if it ran."""
    target.begin_locked()
    try:
        # Re-read under the lock: another process may have migrated since we last looked.
        if check_version(target.version(), target.where, steps) >= step.version:
            target.rollback()
            return False
        target.execute(_BOOKKEEPING[target.dialect])
        for statement in split_statements(step.sql_for(target.dialect)):
            target.execute(statement)
        target.execute(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
            (step.version, step.description, to_db_time(clock())),
        )
        target.set_version(step.version)
        target.commit()
        return True
    except BaseException as exc:
        target.rollback()
        if isinstance(exc, target.errors):
            raise MigrationError(
                f"schema step {step.version} ({step.description}) failed on {target.where}: {exc}; "
                f"the database stays at version {step.version - 1}",
            ) from exc
        raise


class _SqliteSchema:
    """A SQLite connection (autocommit mode) as a ``SchemaTarget``."""

    dialect: Dialect = "sqlite"
    errors: tuple[type[BaseException], ...] = (sqlite3.Error,)

    def __init__(self, conn: sqlite3.Connection, where: str) -> None:
        self.conn = conn
        self.where = where

    def version(self) -> int:
        return schema_version(self.conn)

    def begin_locked(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        self.conn.execute(sql, parameters)

    def set_version(self, version: int) -> None:
        # PRAGMA does not take parameters; the version is an int from our own list.
        self.conn.execute(f"PRAGMA user_version = {int(version)}")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        # Some errors (disk full, I/O) already rolled back; a second ROLLBACK would raise and hide them.
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


def migrate(
    conn: sqlite3.Connection,
    where: str,
    steps: Sequence[Migration] = MIGRATIONS,
    clock: Callable[[], datetime] = utcnow,
) -> list[int]:
    """Apply every step a SQLite database lacks, each in its own transaction; return the versions applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``): the steps issue their own
    ``BEGIN IMMEDIATE``/``COMMIT``. ``where`` names the database in error messages.
    """
    return run_steps(_SqliteSchema(conn, where), steps, clock)
