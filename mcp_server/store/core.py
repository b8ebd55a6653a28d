"""What every backend of the incident store shares: the connection shape, the base class, row mapping.

The operations (``records.py``, ``sync.py``, ``drafts.py``, ``hypotheses.py``, ``coordination.py``)
are written once, against ``Db``: anything with ``execute(sql, params)`` returning a cursor whose
rows are read by column name. Their SQL is the common subset of SQLite and PostgreSQL, with ``?``
placeholders (the PostgreSQL connection turns them into ``%s``). A backend (``sqlite.py``,
``postgres.py``) supplies ``_read()`` / ``_write()`` — one transaction each, on its own
connections, with writes serialised the way SQLite's ``BEGIN IMMEDIATE`` serialises them — and its
error translation; what it stores differently (native times and JSON on PostgreSQL) is read back
through ``from_db_time`` and ``load_json``, which accept either form.

Numbers people read (``INC-<n>``, ``D-<n>``, ``H-<n>``) are allocated as ``max + 1`` inside the
write transaction, so a rolled-back write never leaves a gap on either backend.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from mcp_server.store.base import RECENT_IDS_IN_HINT
from mcp_server.store.errors import RecordNotFoundError
from mcp_server.store.migrations import from_db_time, to_db_time
from mcp_server.store.models import TimelineEntry, TimelineEvent, format_incident_id, parse_incident_id

# Written by every version of the schema (v1 columns); the later columns keep their defaults on insert.
INSERT_COLUMNS = "incident, occurred_at, recorded_at, source, kind, actor, text, link, source_id, details"
EVENT_COLUMNS = (
    f"id, {INSERT_COLUMNS}, edited_at, deleted_at, "
    "(SELECT count(*) FROM event_revisions r WHERE r.event_id = timeline_events.id) AS revision_count"
)


class Cursor(Protocol):
    """The part of a DB-API cursor the operations use; rows are read by column name."""

    @property
    def rowcount(self) -> int:
        """Rows changed by the last statement."""
        ...

    def fetchone(self) -> Any:
        """The next row, or None."""
        ...

    def fetchall(self) -> list[Any]:
        """Every remaining row."""
        ...

    def __iter__(self) -> Iterator[Any]:
        """The remaining rows, one by one."""
        ...


class Db(Protocol):
    """One connection inside one transaction, as the operations see it."""

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        """Run one statement with ``?`` placeholders."""
        ...


class StoreBase:
    """The clock, the closed flag and the context-manager protocol; backends add the connections."""

    _clock: Callable[[], datetime]  # set by each backend's __init__
    _closed = False
    # How the alert inbox says "still firing": SQLite stores '' (NULLs never collide in a unique
    # index there); PostgreSQL stores NULL under a NULLS NOT DISTINCT index.
    NO_END: str | None = ""
    STILL_FIRING = "ends_at = ''"

    def _read(self) -> AbstractContextManager[Db]:
        """One read transaction (every query of an operation sees the same snapshot)."""
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[Db]:
        """One write transaction, holding the store's write lock from its start."""
        raise NotImplementedError

    def close(self) -> None:
        """Refuse further calls."""
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the store's clock must return timezone-aware datetimes")
        return now


def check_clock(clock: Callable[[], datetime]) -> None:
    """Refuse a clock that returns naive datetimes, before anything is opened."""
    now = clock()
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the store's clock must return timezone-aware datetimes")


def returning(db: Db, sql: str, parameters: Sequence[Any], column: str) -> int:
    """Run an INSERT ... RETURNING ``column`` and give back that integer (both backends support RETURNING)."""
    rows = db.execute(f"{sql} RETURNING {column}", parameters).fetchall()  # fetchall: finish the statement
    return int(rows[0][column])


def next_number(table: str) -> str:
    """SQL for the next human-facing number of ``table`` (max + 1: the write lock is held, no gaps)."""
    return f"(SELECT coalesce(max(number), 0) + 1 FROM {table})"


def load_json(value: Any) -> Any:
    """A stored JSON column as Python values (stored as text on both backends)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def read_keyed(db: Db, table: str, key_column: str, value_column: str, incident: int, key: str) -> str | None:
    """One value an incident keeps under ``key`` in a small keyed table (sync cursors, remote ids), or None.

    Table and column names come from this package's code, never from a caller.
    """
    row = db.execute(
        f"SELECT {value_column} FROM {table} WHERE incident = ? AND {key_column} = ?", (incident, key)
    ).fetchone()
    return None if row is None else str(row[value_column])


def write_keyed(
    db: Db, table: str, key_column: str, value_column: str, incident: int, key: str, value: str, now: str
) -> None:
    """Set (or replace) one keyed value of an incident, with the time it changed."""
    db.execute(
        f"INSERT INTO {table} (incident, {key_column}, {value_column}, updated_at) VALUES (?, ?, ?, ?) "
        f"ON CONFLICT (incident, {key_column}) DO UPDATE SET "
        f"{value_column} = excluded.{value_column}, updated_at = excluded.updated_at",
        (incident, key, value, now),
    )


def require_incident(db: Db, incident_id: str) -> int:
    """The incident's number, or RecordNotFoundError listing the most recent ids."""
    number = parse_incident_id(incident_id)
    if number is not None and db.execute("SELECT 1 AS found FROM incidents WHERE number = ?", (number,)).fetchone():
        return number
    shape = "" if number is not None else " (ids look like INC-7)"
    raise RecordNotFoundError(f"no incident {incident_id!r}{shape}", hint=_recent_ids_hint(db))


def _recent_ids_hint(db: Db) -> str:
    """Advice for an unknown id: the most recent incident ids, so the caller can pick the right one."""
    recent = db.execute(
        "SELECT number FROM incidents ORDER BY number DESC LIMIT ?", (RECENT_IDS_IN_HINT + 1,)
    ).fetchall()
    ids = [format_incident_id(row["number"]) for row in recent[:RECENT_IDS_IN_HINT]]
    if not ids:
        return "No incidents are recorded yet; declare one first."
    more = ", and older ones (list_incidents shows them)" if len(recent) > RECENT_IDS_IN_HINT else ""
    return f"Use one of the known incidents, most recent first: {', '.join(ids)}{more}."


def dumps(value: Any) -> str:
    """JSON as stored: compact enough, keys sorted so equal values compare equal as text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)


def insert_event(db: Db, number: int, entry: TimelineEntry, now: datetime) -> int:
    """Insert one event row and return its id (no dedup check: the caller holds the write lock)."""
    return returning(
        db,
        f"INSERT INTO timeline_events ({INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        "id",
    )


def touch(db: Db, number: int, now: datetime) -> None:
    """Move the incident's ``updated_at`` forward to ``now`` (never backwards, even if the clock steps back)."""
    stamp = to_db_time(now)
    db.execute("UPDATE incidents SET updated_at = ? WHERE number = ? AND updated_at < ?", (stamp, number, stamp))


def fetch_event(db: Db, event_id: int) -> TimelineEvent:
    """The stored event with this id (it must exist)."""
    return event_from_row(
        db.execute(f"SELECT {EVENT_COLUMNS} FROM timeline_events WHERE id = ?", (event_id,)).fetchone()
    )


def optional_time(value: str | datetime | None) -> datetime | None:
    """A stored timestamp that may be missing ('' or NULL)."""
    return from_db_time(value) if value else None


def event_from_row(row: Any) -> TimelineEvent:
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
        details=load_json(row["details"]),
        edited_at=optional_time(row["edited_at"]),
        deleted_at=optional_time(row["deleted_at"]),
        revision_count=row["revision_count"],
    )
