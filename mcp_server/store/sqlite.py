"""The SQLite incident store: one file, safe for many threads and several processes at once.

Choices, and why:

- **A connection per operation.** Every call opens its own connection, does its work in one
  transaction and closes it. The MCP server calls the store from a pool of worker threads, and the
  CLI, the demo and a second Claude Code session may write the same file from other processes;
  per-operation connections are never shared between threads, never inherited across ``fork``,
  and leave nothing to clean up in other threads when ``close()`` runs. Opening a SQLite
  connection costs well under a millisecond, negligible at incident pace (a few writes a second).
- **WAL journal mode** (set once; it is stored in the file): readers never block the writer and
  the writer never blocks readers, so a long timeline read cannot stall a Slack import.
- **synchronous=FULL**: in WAL mode, NORMAL already survives a killed process, but may lose the
  last commits on power loss or an OS crash. The record is what people reconstruct the incident
  from, writes are rare, and one fsync per commit is cheap at that rate, so we keep every
  acknowledged write.
- **busy_timeout** (10 s by default) and **BEGIN IMMEDIATE** for every write: the write lock is
  taken at the start of the transaction, so two writers queue on the busy handler instead of one
  failing with "database is locked" when it upgrades a read lock half-way.
- **Timestamps** are fixed-width ISO-8601 UTC text (``migrations.to_db_time``): sortable as text,
  readable in the sqlite3 shell.
- **Nothing half-written**: each operation is one transaction; any exception rolls it back, so an
  incident never exists without its ``declared`` event and a failed append leaves no row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from adapters.errors import ConfigError, NotFoundError, QueryError, UnavailableError
from adapters.models import iso_utc, utcnow
from mcp_server.store.base import (
    DEFAULT_INCIDENT_LIMIT,
    DEFAULT_TIMELINE_LIMIT,
    MAX_INCIDENT_LIMIT,
    MAX_TIMELINE_LIMIT,
    RECENT_IDS_IN_HINT,
    check_actor,
    check_limit,
    check_status,
    check_window,
    filter_names,
)
from mcp_server.store.migrations import MIGRATIONS, Migration, from_db_time, migrate, refuse_newer, to_db_time
from mcp_server.store.models import (
    Incident,
    IncidentDraft,
    Status,
    TimelineEntry,
    TimelineEvent,
    format_incident_id,
    parse_incident_id,
)

DEFAULT_BUSY_TIMEOUT = 10.0
SYSTEM_SOURCE = "firstfifteen"
_INCIDENT_COLUMNS = (
    "number, title, severity, status, suspected_service, started_at, declared_at, declared_by, updated_at"
)
_EVENT_COLUMNS = "id, incident, occurred_at, recorded_at, source, kind, actor, text, link, source_id, details"


class SqliteIncidentStore:
    """An ``IncidentStore`` in one SQLite file; create it once and share it between threads."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], datetime] = utcnow,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        migrations: tuple[Migration, ...] = MIGRATIONS,
    ) -> None:
        if str(path).strip() in ("", ":memory:"):
            raise ConfigError(
                f"incident store path {str(path)!r} is not a file path",
                adapter="store",
                hint="Use a file path: each operation opens its own connection, so ':memory:' would start empty.",
            )
        self.path = Path(path)
        self._clock = clock
        self._busy_timeout = busy_timeout
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the directory of {self.path}: {exc}", adapter="store") from exc
        self._initialise(migrations)

    def __repr__(self) -> str:
        return f"SqliteIncidentStore({str(self.path)!r})"

    # -- public API ---------------------------------------------------------------------------

    def declare_incident(self, draft: IncidentDraft) -> Incident:
        """Create an incident with the next ``INC-<n>`` id and its ``declared`` event, atomically."""
        now = self._now()
        details = {
            "severity": draft.severity,
            "suspected_service": draft.suspected_service,
            "started_at": iso_utc(draft.impact_started_at),
        }
        suspect = f" (suspected: {draft.suspected_service})" if draft.suspected_service else ""
        declared = TimelineEntry(
            source=SYSTEM_SOURCE,
            kind="declared",
            text=f"Declared {draft.severity}: {draft.title}{suspect}",
            occurred_at=draft.declared_at,
            actor=draft.declared_by,
            details=details,
        )
        with self._write() as conn:
            cursor = conn.execute(
                f"INSERT INTO incidents ({_INCIDENT_COLUMNS}) VALUES (NULL, ?, ?, 'open', ?, ?, ?, ?, ?)",
                (draft.title, draft.severity, draft.suspected_service, to_db_time(draft.impact_started_at),
                 to_db_time(draft.declared_at), draft.declared_by, to_db_time(now)),
            )
            number = int(cursor.lastrowid or 0)
            _insert_event(conn, number, declared, now)
            return _fetch_incident(conn, number)

    def get_incident(self, incident_id: str) -> Incident:
        """The incident, or NotFoundError whose hint lists the most recent ids."""
        with self._read() as conn:
            return _fetch_incident(conn, _require(conn, incident_id))

    def list_incidents(
        self, status: Status | None = None, limit: int = DEFAULT_INCIDENT_LIMIT
    ) -> tuple[list[Incident], bool]:
        """Most recently declared first; the flag says more matched than ``limit``."""
        check_limit(limit, MAX_INCIDENT_LIMIT)
        if status is not None:
            check_status(status)
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_INCIDENT_COLUMNS} FROM incidents {where} ORDER BY number DESC LIMIT ?",
                [*params, limit + 1],
            ).fetchall()
        return [_incident(row) for row in rows[:limit]], len(rows) > limit

    def append_event(self, incident_id: str, entry: TimelineEntry) -> tuple[TimelineEvent, bool]:
        """Record one event; with a ``source_id`` a repeat returns the existing event and False."""
        now = self._now()
        with self._write() as conn:
            number = _require(conn, incident_id)
            if entry.source_id is not None:
                # The write lock is held, so nobody can insert the same key between this read and the insert.
                existing = conn.execute(
                    f"SELECT {_EVENT_COLUMNS} FROM timeline_events WHERE incident = ? AND source = ? AND source_id = ?",
                    (number, entry.source, entry.source_id),
                ).fetchone()
                if existing is not None:
                    return _event(existing), False
            event_id = _insert_event(conn, number, entry, now)
            _touch(conn, number, now)
            row = conn.execute(f"SELECT {_EVENT_COLUMNS} FROM timeline_events WHERE id = ?", (event_id,)).fetchone()
            return _event(row), True

    def get_timeline(
        self,
        incident_id: str,
        kinds: Iterable[str] | None = None,
        sources: Iterable[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = DEFAULT_TIMELINE_LIMIT,
    ) -> tuple[list[TimelineEvent], bool]:
        """Events in [start, end] ordered by occurred_at then id; the flag says more matched than ``limit``.

        Empty or None ``kinds``/``sources`` do not filter. When truncated, the earliest events are
        returned; narrow the window with ``start`` to read on.
        """
        check_limit(limit, MAX_TIMELINE_LIMIT)
        check_window(start, end)
        clauses, params = _timeline_filters(filter_names("kinds", kinds), filter_names("sources", sources), start, end)
        with self._read() as conn:
            number = _require(conn, incident_id)
            rows = conn.execute(
                f"SELECT {_EVENT_COLUMNS} FROM timeline_events WHERE incident = ?{clauses} "
                "ORDER BY occurred_at, id LIMIT ?",
                [number, *params, limit + 1],
            ).fetchall()
        return [_event(row) for row in rows[:limit]], len(rows) > limit

    def set_status(self, incident_id: str, status: Status, actor: str) -> Incident:
        """Change the status and record a ``status_changed`` event; setting the current status is a no-op."""
        check_status(status)
        check_actor(actor)
        now = self._now()
        with self._write() as conn:
            number = _require(conn, incident_id)
            current = _fetch_incident(conn, number)
            if current.status == status:
                return current
            change = TimelineEntry(
                source=SYSTEM_SOURCE,
                kind="status_changed",
                text=f"Status changed from {current.status} to {status}",
                actor=actor,
                details={"from": current.status, "to": status},
            )
            conn.execute("UPDATE incidents SET status = ? WHERE number = ?", (status, number))
            _insert_event(conn, number, change, now)
            _touch(conn, number, now)
            return _fetch_incident(conn, number)

    def close(self) -> None:
        """Refuse further calls; there is no long-lived connection to release."""
        self._closed = True

    def __enter__(self) -> SqliteIncidentStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- connections and transactions ---------------------------------------------------------

    def _initialise(self, migrations: tuple[Migration, ...]) -> None:
        """Check the schema version before writing anything, then switch to WAL and migrate."""
        with self._connection() as conn:
            refuse_newer(conn, str(self.path), migrations)
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise ConfigError(
                    f"{self.path}: SQLite could not switch to WAL journal mode (got {mode!r})",
                    adapter="store",
                    hint="Put the incident database on a local disk; network file systems do not support WAL.",
                )
            migrate(conn, str(self.path), migrations, self._now)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A fresh, configured connection in autocommit mode; SQLite errors become store errors."""
        if self._closed:
            raise UnavailableError("the incident store is closed", adapter="store", hint="Open a new store.")
        conn: sqlite3.Connection | None = None
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves instead of Python's implicit ones.
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = FULL")
            yield conn
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from exc
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


def _translate(exc: sqlite3.Error, path: Path) -> Exception:
    """A SQLite error as the project's error hierarchy, with advice."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return UnavailableError(
            f"incident database {path} stayed locked by another writer",
            adapter="store",
            upstream=text,
            hint="Another process held the write lock longer than the busy timeout; retry in a moment.",
        )
    if isinstance(exc, sqlite3.IntegrityError):
        return QueryError(f"the incident database refused the record: {text}", adapter="store", upstream=text)
    if "not a database" in text or "malformed" in text:
        return ConfigError(
            f"{path} is not a usable incident database",
            adapter="store",
            upstream=text,
            hint="Point FIRSTFIFTEEN_DB (or store.path) at another file; keep this one for inspection.",
        )
    return UnavailableError(f"incident database {path}: {text}", adapter="store", upstream=text)


def _require(conn: sqlite3.Connection, incident_id: str) -> int:
    """The incident's number, or NotFoundError listing the most recent ids."""
    number = parse_incident_id(incident_id)
    if number is not None and conn.execute("SELECT 1 FROM incidents WHERE number = ?", (number,)).fetchone():
        return number
    shape = "" if number is not None else " (ids look like INC-7)"
    raise NotFoundError(f"no incident {incident_id!r}{shape}", adapter="store", hint=_recent_ids_hint(conn))


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


def _timeline_filters(
    kinds: list[str], sources: list[str], start: datetime | None, end: datetime | None
) -> tuple[str, list[Any]]:
    """Extra ``AND ...`` clauses and their parameters for get_timeline (arguments already checked)."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, names in (("kind", kinds), ("source", sources)):
        if names:
            clauses.append(f" AND {column} IN ({', '.join('?' * len(names))})")
            params.extend(names)
    for value, operator in ((start, ">="), (end, "<=")):
        if value is not None:
            clauses.append(f" AND occurred_at {operator} ?")
            params.append(to_db_time(value))
    return "".join(clauses), params


def _insert_event(conn: sqlite3.Connection, number: int, entry: TimelineEntry, now: datetime) -> int:
    cursor = conn.execute(
        f"INSERT INTO timeline_events ({_EVENT_COLUMNS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (number, to_db_time(entry.occurred_at or now), to_db_time(now), entry.source, entry.kind, entry.actor,
         entry.text, entry.link, entry.source_id, json.dumps(entry.details, ensure_ascii=False, sort_keys=True)),
    )
    return int(cursor.lastrowid or 0)


def _touch(conn: sqlite3.Connection, number: int, now: datetime) -> None:
    # max(): fixed-width timestamps compare as text, and a clock stepping back never rewinds updated_at.
    conn.execute("UPDATE incidents SET updated_at = max(updated_at, ?) WHERE number = ?", (to_db_time(now), number))


def _fetch_incident(conn: sqlite3.Connection, number: int) -> Incident:
    row = conn.execute(f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE number = ?", (number,)).fetchone()
    return _incident(row)


def _incident(row: sqlite3.Row) -> Incident:
    return Incident(
        id=format_incident_id(row["number"]),
        title=row["title"],
        severity=row["severity"],
        status=row["status"],
        suspected_service=row["suspected_service"],
        started_at=from_db_time(row["started_at"]),
        declared_at=from_db_time(row["declared_at"]),
        declared_by=row["declared_by"],
        updated_at=from_db_time(row["updated_at"]),
    )


def _event(row: sqlite3.Row) -> TimelineEvent:
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
    )
