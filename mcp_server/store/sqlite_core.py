"""What every part of the SQLite store shares: connections, transactions, errors, row mapping.

``SqliteBase`` owns the file: it checks the schema version, switches to WAL, migrates, and hands
out one configured connection per operation (``_read`` / ``_write``); the public operations live in
``sqlite.py`` (incidents and timeline), ``sqlite_sync.py`` (edits, cursors, alert inbox) and
``sqlite_drafts.py`` (communication drafts). The reasons for each choice are in ``sqlite.py``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from adapters.models import utcnow
from mcp_server.store.base import RECENT_IDS_IN_HINT
from mcp_server.store.errors import (
    ConflictError,
    RecordNotFoundError,
    StoreConfigError,
    StoreCorruptError,
    StoreError,
    StoreUnavailableError,
)
from mcp_server.store.migrations import MIGRATIONS, Migration, from_db_time, migrate, refuse_newer, to_db_time
from mcp_server.store.models import TimelineEntry, TimelineEvent, format_incident_id, parse_incident_id

DEFAULT_BUSY_TIMEOUT = 10.0
# Written by every version of the schema (v1 columns); the later columns keep their defaults on insert.
INSERT_COLUMNS = "id, incident, occurred_at, recorded_at, source, kind, actor, text, link, source_id, details"
EVENT_COLUMNS = (
    f"{INSERT_COLUMNS}, edited_at, deleted_at, "
    "(SELECT count(*) FROM event_revisions r WHERE r.event_id = timeline_events.id) AS revision_count"
)


class SqliteBase:
    """The file, its schema and its connections; the operations are added by subclasses."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], datetime] = utcnow,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        migrations: tuple[Migration, ...] = MIGRATIONS,
    ) -> None:
        if str(path).strip() in ("", ":memory:"):
            raise StoreConfigError(
                f"incident store path {str(path)!r} is not a file path",
                hint="Use a file path: each operation opens its own connection, so ':memory:' would start empty.",
            )
        self.path = Path(path)
        self._clock = clock
        self._busy_timeout = busy_timeout
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreConfigError(f"cannot create the directory of {self.path}: {exc}") from exc
        self._initialise(migrations)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def close(self) -> None:
        """Refuse further calls; there is no long-lived connection to release."""
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _initialise(self, migrations: tuple[Migration, ...]) -> None:
        """Check the schema version before writing anything, then switch to WAL and migrate."""
        with self._connection() as conn:
            refuse_newer(conn, str(self.path), migrations)
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreConfigError(
                    f"{self.path}: SQLite could not switch to WAL journal mode (got {mode!r})",
                    hint="Put the incident database on a local disk; network file systems do not support WAL.",
                )
            migrate(conn, str(self.path), migrations, self._now)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A fresh, configured connection in autocommit mode; SQLite errors become store errors."""
        if self._closed:
            raise StoreUnavailableError("the incident store is closed", hint="Open a new store.")
        conn: sqlite3.Connection | None = None
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves instead of Python's implicit ones.
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = FULL")
            yield conn
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from exc
        finally:
            if conn is not None:
                conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; the write lock is taken up front (BEGIN IMMEDIATE)."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            with _rollback_on_error(conn):
                yield conn
                conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction, so every query of an operation sees the same snapshot."""
        with self._connection() as conn:
            conn.execute("BEGIN")
            with _rollback_on_error(conn):
                yield conn
                conn.execute("COMMIT")

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the store's clock must return timezone-aware datetimes")
        return now


@contextmanager
def _rollback_on_error(conn: sqlite3.Connection) -> Iterator[None]:
    try:
        yield
    except BaseException:
        # Some errors (disk full, I/O) already rolled back; a second ROLLBACK would raise and hide them.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def translate(exc: sqlite3.Error, path: Path) -> StoreError:
    """A SQLite error as one of the store's errors, with advice."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreUnavailableError(
            f"incident database {path} stayed locked by another writer",
            upstream=text,
            hint="Another process held the write lock longer than the busy timeout; retry in a moment.",
        )
    if isinstance(exc, sqlite3.IntegrityError):
        return ConflictError(f"the incident database refused the record: {text}", upstream=text)
    if "not a database" in text or "malformed" in text:
        return StoreCorruptError(
            f"{path} is not a usable incident database",
            upstream=text,
            hint="Point FIRSTFIFTEEN_DB (or store.path) at another file; keep this one for inspection.",
        )
    return StoreUnavailableError(f"incident database {path}: {text}", upstream=text)


def read_keyed(
    conn: sqlite3.Connection, table: str, key_column: str, value_column: str, incident: int, key: str
) -> str | None:
    """One value an incident keeps under ``key`` in a small keyed table (sync cursors, remote ids), or None.

    Table and column names come from this package's code, never from a caller.
    """
    row = conn.execute(
        f"SELECT {value_column} FROM {table} WHERE incident = ? AND {key_column} = ?", (incident, key)
    ).fetchone()
    return None if row is None else str(row[value_column])


def write_keyed(
    conn: sqlite3.Connection,
    table: str,
    key_column: str,
    value_column: str,
    incident: int,
    key: str,
    value: str,
    now: str,
) -> None:
    """Set (or replace) one keyed value of an incident, with the time it changed."""
    conn.execute(
        f"INSERT INTO {table} (incident, {key_column}, {value_column}, updated_at) VALUES (?, ?, ?, ?) "
        f"ON CONFLICT (incident, {key_column}) DO UPDATE SET "
        f"{value_column} = excluded.{value_column}, updated_at = excluded.updated_at",
        (incident, key, value, now),
    )


def require_incident(conn: sqlite3.Connection, incident_id: str) -> int:
    """The incident's number, or RecordNotFoundError listing the most recent ids."""
    number = parse_incident_id(incident_id)
    if number is not None and conn.execute("SELECT 1 FROM incidents WHERE number = ?", (number,)).fetchone():
        return number
    shape = "" if number is not None else " (ids look like INC-7)"
    raise RecordNotFoundError(f"no incident {incident_id!r}{shape}", hint=_recent_ids_hint(conn))


def _recent_ids_hint(conn: sqlite3.Connection) -> str:
    """Advice for an unknown id: the most recent incident ids, so the caller can pick the right one."""
    recent = conn.execute(
        "SELECT number FROM incidents ORDER BY number DESC LIMIT ?", (RECENT_IDS_IN_HINT + 1,)
    ).fetchall()
    ids = [format_incident_id(row[0]) for row in recent[:RECENT_IDS_IN_HINT]]
    if not ids:
        return "No incidents are recorded yet; declare one first."
    more = ", and older ones (list_incidents shows them)" if len(recent) > RECENT_IDS_IN_HINT else ""
    return f"Use one of the known incidents, most recent first: {', '.join(ids)}{more}."


def dumps(value: Any) -> str:
    """JSON as stored: compact enough, keys sorted so equal values compare equal as text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)


def insert_event(conn: sqlite3.Connection, number: int, entry: TimelineEntry, now: datetime) -> int:
    """Insert one event row and return its id (no dedup check: the caller holds the write lock)."""
    cursor = conn.execute(
        f"INSERT INTO timeline_events ({INSERT_COLUMNS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            number,
            to_db_time(entry.occurred_at or now),
            to_db_time(now),
            entry.source,
            entry.kind,
            entry.actor,
            entry.text,
            entry.link,
            entry.source_id,
            dumps(entry.details),
        ),
    )
    return int(cursor.lastrowid or 0)


def touch(conn: sqlite3.Connection, number: int, now: datetime) -> None:
    """Move the incident's ``updated_at`` forward to ``now`` (never backwards)."""
    # max(): fixed-width timestamps compare as text, and a clock stepping back never rewinds updated_at.
    conn.execute("UPDATE incidents SET updated_at = max(updated_at, ?) WHERE number = ?", (to_db_time(now), number))


def fetch_event(conn: sqlite3.Connection, event_id: int) -> TimelineEvent:
    """The stored event with this id (it must exist)."""
    return event_from_row(
        conn.execute(f"SELECT {EVENT_COLUMNS} FROM timeline_events WHERE id = ?", (event_id,)).fetchone()
    )


def optional_time(text: str | None) -> datetime | None:
    """A stored timestamp that may be missing ('' or NULL)."""
    return from_db_time(text) if text else None


def event_from_row(row: sqlite3.Row) -> TimelineEvent:
    """A ``timeline_events`` row (selected with ``EVENT_COLUMNS``) as the output model."""
    return TimelineEvent(
        id=row["id"],
        incident_id=format_incident_id(row["incident"]),
        occurred_at=from_db_time(row["occurred_at"]),
        recorded_at=from_db_time(row["recorded_at"]),
        source=row["source"],
        kind=row["kind"],
        actor=row["actor"],
        text=row["text"],
        link=row["link"],
        source_id=row["source_id"],
        details=json.loads(row["details"]),
        edited_at=optional_time(row["edited_at"]),
        deleted_at=optional_time(row["deleted_at"]),
        revision_count=row["revision_count"],
    )
