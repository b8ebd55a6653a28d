"""Versioned schema migrations for the SQLite incident store.

``MIGRATIONS`` is an ordered list of steps numbered 1, 2, 3...; a step is never edited once
released, a change is always a new step at the end (see docs/incident-store.md). Each step runs in
its own ``BEGIN IMMEDIATE`` transaction together with its bookkeeping (a ``schema_migrations`` row
and ``PRAGMA user_version``), so a crash or an error leaves the database at the previous version,
never half-way. SQLite DDL is transactional, which is what makes this work.

The version is re-read after the write lock is taken: when two processes open a fresh database at
the same moment, the second one finds the step already applied and skips it.

A database whose ``user_version`` is higher than the last step known here was written by a newer
firstfifteen; it is refused before anything is written to it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.models import utcnow
from mcp_server.store.errors import MigrationError, SchemaVersionError


@dataclass(frozen=True)
class Migration:
    """One schema step: its version, a one-line description, and its SQL (one or more statements)."""

    version: int
    description: str
    sql: str


_V1_SQL = """
CREATE TABLE incidents (
    number            INTEGER PRIMARY KEY AUTOINCREMENT,  -- INC-<number>; AUTOINCREMENT never reuses one
    title             TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    severity          TEXT NOT NULL CHECK (severity IN ('SEV1', 'SEV2', 'SEV3', 'SEV4')),
    status            TEXT NOT NULL CHECK (status IN ('open', 'mitigated', 'resolved')),
    suspected_service TEXT NOT NULL DEFAULT '',
    started_at        TEXT NOT NULL,
    declared_at       TEXT NOT NULL,
    declared_by       TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX incidents_by_status ON incidents (status, number);
CREATE TABLE timeline_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident    INTEGER NOT NULL REFERENCES incidents (number),
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    source      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 10000),
    link        TEXT NOT NULL DEFAULT '',
    source_id   TEXT,
    details     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);
CREATE UNIQUE INDEX timeline_events_dedup
    ON timeline_events (incident, source, source_id) WHERE source_id IS NOT NULL;
CREATE INDEX timeline_events_by_time ON timeline_events (incident, occurred_at, id);
"""

# Timeline sync: edits and deletions keep history, cursors per (incident, source), the alert inbox.
_V2_SQL = """
ALTER TABLE timeline_events ADD COLUMN edited_at TEXT;
ALTER TABLE timeline_events ADD COLUMN deleted_at TEXT;
CREATE TABLE event_revisions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    INTEGER NOT NULL REFERENCES timeline_events (id),
    change      TEXT NOT NULL CHECK (change IN ('updated', 'deleted')),
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    actor       TEXT NOT NULL DEFAULT '',
    link        TEXT NOT NULL DEFAULT '',
    details     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
    replaced_at TEXT NOT NULL
);
CREATE INDEX event_revisions_by_event ON event_revisions (event_id, id);
CREATE TABLE sync_cursors (
    incident   INTEGER NOT NULL REFERENCES incidents (number),
    source     TEXT NOT NULL,
    cursor     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (incident, source)
);
CREATE TABLE alert_inbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint   TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    name          TEXT NOT NULL DEFAULT '',
    labels        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(labels)),
    annotations   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(annotations)),
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL DEFAULT '',  -- '' while firing: NULLs would never collide in the unique index
    generator_url TEXT NOT NULL DEFAULT '',
    receiver      TEXT NOT NULL DEFAULT '',
    group_key     TEXT NOT NULL DEFAULT '',
    external_url  TEXT NOT NULL DEFAULT '',
    received_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX alert_inbox_dedup ON alert_inbox (fingerprint, status, starts_at, ends_at);
CREATE INDEX alert_inbox_by_start ON alert_inbox (starts_at);
"""

# Communication drafts (posted at most once: claimed under the write lock) and outside systems' ids.
_V3_SQL = """
CREATE TABLE drafts (
    number       INTEGER PRIMARY KEY AUTOINCREMENT,  -- D-<number>
    incident     INTEGER NOT NULL REFERENCES incidents (number),
    audience     TEXT NOT NULL CHECK (audience IN ('status_page', 'chat', 'exec_email', 'support')),
    channel      TEXT NOT NULL DEFAULT '',
    subject      TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL,
    public_state TEXT NOT NULL DEFAULT '',
    components   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(components)),
    facts        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(facts)),
    findings     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(findings)),
    token_hash   TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    claimed_at   TEXT,
    confirmed_by TEXT NOT NULL DEFAULT '',
    posted_at    TEXT,
    post         TEXT CHECK (post IS NULL OR json_valid(post))
);
CREATE INDEX drafts_by_incident ON drafts (incident, audience, number);
CREATE TABLE remote_ids (
    incident   INTEGER NOT NULL REFERENCES incidents (number),
    target     TEXT NOT NULL,
    remote_id  TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (incident, target)
);
"""

# A hypothesis is one JSON document with a revision: the whole object changes at once, and the
# revision is what refuses a responder's update based on a state another responder already changed.
_V4_SQL = """
CREATE TABLE hypotheses (
    number     INTEGER PRIMARY KEY AUTOINCREMENT,  -- H-<number>
    incident   INTEGER NOT NULL REFERENCES incidents (number),
    revision   INTEGER NOT NULL CHECK (revision >= 1),
    body       TEXT NOT NULL CHECK (json_valid(body)),
    updated_at TEXT NOT NULL
);
CREATE INDEX hypotheses_by_incident ON hypotheses (incident, number);
"""

# Coordination: a role's holders are rows with a span, and the partial unique index makes "one
# holder at a time" a rule of the file, not only of the code. Work items, like hypotheses, are JSON
# documents with a revision; ``seq`` numbers each kind per incident (W-1, R-1, Q-1, A-1).
_V5_SQL = """
CREATE TABLE roles (
    number      INTEGER PRIMARY KEY AUTOINCREMENT,
    incident    INTEGER NOT NULL REFERENCES incidents (number),
    role        TEXT NOT NULL,
    person      TEXT NOT NULL,
    since       TEXT NOT NULL,
    until       TEXT,
    assigned_by TEXT NOT NULL DEFAULT '',
    event_id    INTEGER
);
CREATE UNIQUE INDEX one_holder_per_role ON roles (incident, role) WHERE until IS NULL;
CREATE TABLE work_items (
    number     INTEGER PRIMARY KEY AUTOINCREMENT,
    incident   INTEGER NOT NULL REFERENCES incidents (number),
    kind       TEXT NOT NULL,
    seq        INTEGER NOT NULL CHECK (seq >= 1),
    revision   INTEGER NOT NULL CHECK (revision >= 1),
    body       TEXT NOT NULL CHECK (json_valid(body)),
    updated_at TEXT NOT NULL,
    UNIQUE (incident, kind, seq)
);
"""
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "incidents and timeline events", _V1_SQL),
    Migration(2, "timeline sync: event revisions, sync cursors, alert inbox", _V2_SQL),
    Migration(3, "communication drafts and remote ids", _V3_SQL),
    Migration(4, "hypotheses", _V4_SQL),
    Migration(5, "coordination: roles and work items", _V5_SQL),
)

_BOOKKEEPING_SQL = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at  TEXT NOT NULL
)
"""


def to_db_time(value: datetime) -> str:
    """How every timestamp is stored: fixed-width ISO-8601 UTC with microseconds and ``Z``.

    Fixed width (``2026-03-14T03:07:00.000000Z``) makes text order equal time order, so indexes
    and ``ORDER BY`` work on the column directly, and the file stays readable in the sqlite3 shell.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamps must carry a timezone")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_db_time(text: str) -> datetime:
    """Parse a stored timestamp back into an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)


def latest_version(steps: Sequence[Migration] = MIGRATIONS) -> int:
    """The schema version a database has once every step has run."""
    return steps[-1].version if steps else 0


def schema_version(conn: sqlite3.Connection) -> int:
    """The database's ``PRAGMA user_version`` (0 for a new, empty file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_steps(steps: Sequence[Migration]) -> None:
    """Refuse a step list that is not numbered 1, 2, 3... without gaps (a programming error)."""
    versions = [step.version for step in steps]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migration versions must be 1..n without gaps, got {versions}")


def refuse_newer(conn: sqlite3.Connection, where: str, steps: Sequence[Migration] = MIGRATIONS) -> int:
    """The current version, or SchemaVersionError if it is newer than the last known step."""
    version = schema_version(conn)
    known = latest_version(steps)
    if version > known:
        raise SchemaVersionError(
            f"incident database {where} has schema version {version}, but this firstfifteen knows "
            f"versions up to {known}",
        )
    return version


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


def migrate(
    conn: sqlite3.Connection,
    where: str,
    steps: Sequence[Migration] = MIGRATIONS,
    clock: Callable[[], datetime] = utcnow,
) -> list[int]:
    """Apply every step the database lacks, each in its own transaction; return the versions applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``): this function issues its own
    ``BEGIN IMMEDIATE``/``COMMIT``. ``where`` names the database in error messages.
    """
    check_steps(steps)
    refuse_newer(conn, where, steps)
    return [step.version for step in steps if _apply(conn, step, where, steps, clock)]


def _apply(
    conn: sqlite3.Connection,
    step: Migration,
    where: str,
    steps: Sequence[Migration],
    clock: Callable[[], datetime],
) -> bool:
    """Run one step unless it is already applied; True if it ran."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: another process may have migrated since we last looked.
        if refuse_newer(conn, where, steps) >= step.version:
            conn.execute("ROLLBACK")
            return False
        conn.execute(_BOOKKEEPING_SQL)
        for statement in split_statements(step.sql):
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
            (step.version, step.description, to_db_time(clock())),
        )
        # PRAGMA does not take parameters; the version is an int from our own list.
        conn.execute(f"PRAGMA user_version = {int(step.version)}")
        conn.execute("COMMIT")
        return True
    except BaseException as exc:
        # Some errors (disk full, I/O) already rolled back; a second ROLLBACK would raise and hide them.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise MigrationError(
                f"schema step {step.version} ({step.description}) failed on {where}: {exc}; "
                f"the database stays at version {step.version - 1}",
            ) from exc
        raise
