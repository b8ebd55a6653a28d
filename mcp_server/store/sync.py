"""Timeline sync support, for every backend: edits and deletions that keep history, sync cursors, the alert inbox.

- ``upsert_event`` records an event once per (incident, source, source_id) like ``append_event``,
  but a later version with different content updates the event in place and keeps the previous
  version in ``event_revisions``; ``mark_deleted`` flags an event (its text stays) and keeps a
  revision too. History is never rewritten: a revision row is only ever inserted.
- ``get_cursor`` / ``set_cursor`` remember how far a sync read each source, per incident.
- ``record_inbox_alerts`` / ``list_inbox_alerts`` are the webhook receiver's inbox: alert
  notifications not yet tied to an incident, recorded once per (fingerprint, status, starts, ends).

Every write is one write transaction, like the rest of the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from mcp_server.store.base import MAX_TIMELINE_LIMIT, check_limit, check_window
from mcp_server.store.core import (
    EVENT_COLUMNS,
    Db,
    StoreBase,
    dumps,
    fetch_event,
    insert_event,
    load_json,
    optional_time,
    read_keyed,
    require_incident,
    touch,
    write_keyed,
)
from mcp_server.store.errors import InvalidRecordError, RecordNotFoundError
from mcp_server.store.migrations import from_db_time, to_db_time
from mcp_server.store.models import (
    EventRevision,
    InboxAlert,
    InboxAlertIn,
    TimelineEntry,
    TimelineEvent,
    UpsertOutcome,
)

MAX_CURSOR_LENGTH = 1_000
_REVISION_INSERT = "event_id, change, kind, text, actor, link, details, replaced_at"
_REVISION_COLUMNS = f"id, {_REVISION_INSERT}"
_INBOX_INSERT = (
    "fingerprint, status, name, labels, annotations, starts_at, ends_at, generator_url, receiver, "
    "group_key, external_url, received_at"
)
_INBOX_COLUMNS = f"id, {_INBOX_INSERT}"


class SyncOps(StoreBase):
    """Edits, deletions, cursors and the alert inbox (mixed into ``IncidentRecords``)."""

    def upsert_event(
        self, incident_id: str, entry: TimelineEntry, *, changed_at: datetime | None = None
    ) -> tuple[TimelineEvent, UpsertOutcome]:
        """Record or update the event keyed by (source, source_id); "created", "updated" or "unchanged".

        A changed kind, text, actor, link or details updates the event in place (``occurred_at`` is
        kept) and stores the previous version as a revision replaced at ``changed_at`` (default now);
        ``edited_at`` moves only when the text, actor or link changed. An event flagged deleted that
        comes back is un-flagged the same way.
        """
        if entry.source_id is None:
            raise InvalidRecordError("upsert_event needs a source_id to recognise the event")
        now = self._now()
        when = now if changed_at is None else _aware(changed_at, "changed_at")
        with self._write() as conn:
            number = require_incident(conn, incident_id)
            row = _find(conn, number, entry.source, entry.source_id)
            if row is None:
                event_id = insert_event(conn, number, entry, now)
                touch(conn, number, now)
                return fetch_event(conn, event_id), "created"
            if not _differs(row, entry):
                return fetch_event(conn, row["id"]), "unchanged"
            _keep_revision(conn, row, "updated", when)
            edited = (row["text"], row["actor"], row["link"]) != (entry.text, entry.actor, entry.link)
            conn.execute(
                "UPDATE timeline_events SET kind = ?, text = ?, actor = ?, link = ?, details = ?, deleted_at = NULL, "
                "edited_at = ? WHERE id = ?",
                (
                    entry.kind,
                    entry.text,
                    entry.actor,
                    entry.link,
                    dumps(entry.details),
                    to_db_time(when) if edited else row["edited_at"],
                    row["id"],
                ),
            )
            touch(conn, number, now)
            return fetch_event(conn, row["id"]), "updated"

    def mark_deleted(self, incident_id: str, source: str, source_id: str, deleted_at: datetime) -> bool:
        """Flag the event deleted at ``deleted_at`` (text kept, a revision recorded); False if unknown or already."""
        when = _aware(deleted_at, "deleted_at")
        now = self._now()
        with self._write() as conn:
            number = require_incident(conn, incident_id)
            row = _find(conn, number, source, source_id)
            if row is None or row["deleted_at"] is not None:
                return False
            _keep_revision(conn, row, "deleted", when)
            conn.execute("UPDATE timeline_events SET deleted_at = ? WHERE id = ?", (to_db_time(when), row["id"]))
            touch(conn, number, now)
            return True

    def get_revisions(self, event_id: int) -> list[EventRevision]:
        """Earlier versions of one event, oldest first; RecordNotFoundError for an unknown event."""
        if isinstance(event_id, bool) or not isinstance(event_id, int):
            raise InvalidRecordError(f"event_id must be an integer, got {event_id!r}")
        with self._read() as conn:
            if conn.execute("SELECT 1 AS found FROM timeline_events WHERE id = ?", (event_id,)).fetchone() is None:
                raise RecordNotFoundError(f"no timeline event {event_id}", hint="Event ids come from get_timeline.")
            rows = conn.execute(
                f"SELECT {_REVISION_COLUMNS} FROM event_revisions WHERE event_id = ? ORDER BY id", (event_id,)
            ).fetchall()
        return [_revision(row) for row in rows]

    def get_cursor(self, incident_id: str, source: str) -> str | None:
        """How far the last sync of ``source`` read for this incident, or None before the first."""
        with self._read() as conn:
            return read_keyed(conn, "sync_cursors", "source", "cursor", require_incident(conn, incident_id), source)

    def set_cursor(self, incident_id: str, source: str, cursor: str) -> None:
        """Remember ``cursor`` (opaque to the store: one line, 1-1000 characters) for (incident, source)."""
        if not isinstance(cursor, str) or not cursor or len(cursor) > MAX_CURSOR_LENGTH or "\n" in cursor:
            raise InvalidRecordError(f"cursor must be one line of 1-{MAX_CURSOR_LENGTH} characters, got {cursor!r}")
        if not isinstance(source, str) or not source.strip():
            raise InvalidRecordError(f"source must name the source, got {source!r}")
        now = self._now()
        with self._write() as conn:
            number = require_incident(conn, incident_id)
            write_keyed(conn, "sync_cursors", "source", "cursor", number, source, cursor, to_db_time(now))

    def record_inbox_alerts(self, alerts: Iterable[InboxAlertIn]) -> int:
        """Store alert notifications once per (fingerprint, status, starts_at, ends_at); return how many were new."""
        items = list(alerts)
        now = to_db_time(self._now())
        added = 0
        with self._write() as conn:
            for alert in items:
                cursor = conn.execute(
                    f"INSERT INTO alert_inbox ({_INBOX_INSERT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (fingerprint, status, starts_at, ends_at) DO NOTHING",
                    (
                        alert.fingerprint,
                        alert.status,
                        alert.name,
                        dumps(alert.labels),
                        dumps(alert.annotations),
                        to_db_time(alert.starts_at),
                        to_db_time(alert.ends_at) if alert.ends_at else self.NO_END,
                        alert.generator_url,
                        alert.receiver,
                        alert.group_key,
                        alert.external_url,
                        now,
                    ),
                )
                added += cursor.rowcount
        return added

    def list_inbox_alerts(self, start: datetime, end: datetime, limit: int = MAX_TIMELINE_LIMIT) -> list[InboxAlert]:
        """Inbox notifications whose [starts_at, ends_at] overlaps [start, end] (still firing: no end), by start."""
        check_window(start, end)
        check_limit(limit, MAX_TIMELINE_LIMIT)
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_INBOX_COLUMNS} FROM alert_inbox "
                f"WHERE starts_at <= ? AND ({self.STILL_FIRING} OR ends_at >= ?) ORDER BY starts_at, id LIMIT ?",
                (to_db_time(end), to_db_time(start), limit),
            ).fetchall()
        return [_inbox(row) for row in rows]


def _aware(value: datetime, label: str) -> datetime:
    # Checked at run time too: callers outside the type checker may pass a naive datetime or a string.
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidRecordError(f"{label} must be a timezone-aware datetime, got {value!r}")
    return value


def _find(conn: Db, number: int, source: str, source_id: str) -> Any:
    return conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM timeline_events WHERE incident = ? AND source = ? AND source_id = ?",
        (number, source, source_id),
    ).fetchone()


def _differs(row: Any, entry: TimelineEntry) -> bool:
    stored = (row["kind"], row["text"], row["actor"], row["link"], load_json(row["details"]))
    return stored != (entry.kind, entry.text, entry.actor, entry.link, entry.details) or row["deleted_at"] is not None


def _keep_revision(conn: Db, row: Any, change: str, when: datetime) -> None:
    conn.execute(
        f"INSERT INTO event_revisions ({_REVISION_INSERT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (row["id"], change, row["kind"], row["text"], row["actor"], row["link"], row["details"], to_db_time(when)),
    )


def _revision(row: Any) -> EventRevision:
    return EventRevision(
        id=row["id"],
        event_id=row["event_id"],
        change=row["change"],
        kind=row["kind"],
        text=row["text"],
        actor=row["actor"],
        link=row["link"],
        details=load_json(row["details"]),
        replaced_at=from_db_time(row["replaced_at"]),
    )


def _inbox(row: Any) -> InboxAlert:
    return InboxAlert(
        id=row["id"],
        fingerprint=row["fingerprint"],
        status=row["status"],
        name=row["name"],
        labels=load_json(row["labels"]),
        annotations=load_json(row["annotations"]),
        starts_at=from_db_time(row["starts_at"]),
        ends_at=optional_time(row["ends_at"]),
        generator_url=row["generator_url"],
        receiver=row["receiver"],
        group_key=row["group_key"],
        external_url=row["external_url"],
        received_at=from_db_time(row["received_at"]),
    )
