"""Incidents and their timelines, written once for every backend; ``IncidentRecords`` is all operations.

``IncidentRecords`` combines these with the sync, drafts, hypotheses and coordination operations;
a backend class adds only its connections (``SqliteIncidentStore``, ``PostgresIncidentStore``).
Each operation is one transaction: any exception rolls it back, so an incident never exists without
its ``declared`` event and a failed append leaves no row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import JsonValue

from adapters.models import iso_utc
from mcp_server.store.base import (
    DEFAULT_INCIDENT_LIMIT,
    DEFAULT_TIMELINE_LIMIT,
    MAX_INCIDENT_LIMIT,
    MAX_TIMELINE_LIMIT,
    check_actor,
    check_limit,
    check_status,
    check_window,
    filter_names,
)
from mcp_server.store.coordination import CoordinationOps
from mcp_server.store.core import (
    EVENT_COLUMNS,
    Db,
    event_from_row,
    fetch_event,
    insert_event,
    next_number,
    require_incident,
    returning,
    touch,
)
from mcp_server.store.drafts import DraftOps
from mcp_server.store.hypotheses import HypothesisOps
from mcp_server.store.migrations import from_db_time, to_db_time
from mcp_server.store.models import (
    Incident,
    IncidentDraft,
    Status,
    TimelineEntry,
    TimelineEvent,
    format_incident_id,
)
from mcp_server.store.sync import SyncOps

__all__ = ["SYSTEM_SOURCE", "IncidentRecords"]

SYSTEM_SOURCE = "firstfifteen"
_INCIDENT_COLUMNS = (
    "number, title, severity, status, suspected_service, started_at, declared_at, declared_by, updated_at"
)
# Module-level names so a test can inject a failure (monkeypatch records._insert_event).
_insert_event = insert_event
_require = require_incident
_touch = touch


class IncidentRecords(SyncOps, DraftOps, HypothesisOps, CoordinationOps):
    """Every ``IncidentStore`` operation over a backend's ``_read()`` / ``_write()`` transactions."""

    # -- incidents and their timelines ----------------------------------------------------------

    def declare_incident(self, draft: IncidentDraft) -> Incident:
        """Create an incident with the next ``INC-<n>`` id and its ``declared`` event, atomically."""
        now = self._now()
        details: dict[str, JsonValue] = {
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
            number = returning(
                conn,
                f"INSERT INTO incidents ({_INCIDENT_COLUMNS}) "
                f"VALUES ({next_number('incidents')}, ?, ?, 'open', ?, ?, ?, ?, ?)",
                (
                    draft.title,
                    draft.severity,
                    draft.suspected_service,
                    to_db_time(draft.impact_started_at),
                    to_db_time(draft.declared_at),
                    draft.declared_by,
                    to_db_time(now),
                ),
                "number",
            )
            _insert_event(conn, number, declared, now)
            return _fetch_incident(conn, number)

    def get_incident(self, incident_id: str) -> Incident:
        """The incident, or RecordNotFoundError whose hint lists the most recent ids."""
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
                    f"SELECT {EVENT_COLUMNS} FROM timeline_events WHERE incident = ? AND source = ? AND source_id = ?",
                    (number, entry.source, entry.source_id),
                ).fetchone()
                if existing is not None:
                    return event_from_row(existing), False
            event_id = _insert_event(conn, number, entry, now)
            _touch(conn, number, now)
            return fetch_event(conn, event_id), True

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
                f"SELECT {EVENT_COLUMNS} FROM timeline_events WHERE incident = ?{clauses} "
                "ORDER BY occurred_at, id LIMIT ?",
                [number, *params, limit + 1],
            ).fetchall()
        return [event_from_row(row) for row in rows[:limit]], len(rows) > limit

    def set_status(self, incident_id: str, status: Status, actor: str, occurred_at: datetime | None = None) -> Incident:
        """Change the status and record a ``status_changed`` event (at ``occurred_at``, default now);
        setting the current status is a no-op."""
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
                occurred_at=occurred_at,
            )
            conn.execute("UPDATE incidents SET status = ? WHERE number = ?", (status, number))
            _insert_event(conn, number, change, now)
            _touch(conn, number, now)
            return _fetch_incident(conn, number)


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


def _fetch_incident(conn: Db, number: int) -> Incident:
    row = conn.execute(f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE number = ?", (number,)).fetchone()
    return _incident(row)


def _incident(row: Any) -> Incident:
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
