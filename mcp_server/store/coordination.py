"""Coordination in the incident store (mixed into ``IncidentRecords``): roles and work items.

Every change is one write transaction that also appends its timeline event, so the coordination
record and the timeline never disagree. Several responders write at once without losing anything:
adding is atomic; updating an item names the revision it was read at and a stale one is refused with
the current state; a role has one holder at a time (a partial unique index), and taking a role
someone holds needs their name as ``expected_holder``, so a handover is deliberate, never a race.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import JsonValue

from mcp_server.coordination.models import (
    ITEM_PREFIX,
    ROLES,
    Coordination,
    RoleAssignment,
    RoleName,
    WorkItem,
    build_item,
)
from mcp_server.store.core import Db, StoreBase, insert_event, require_incident, touch
from mcp_server.store.errors import ConflictError, InvalidRecordError, RecordNotFoundError
from mcp_server.store.migrations import from_db_time, to_db_time
from mcp_server.store.models import TimelineEntry

SYSTEM_SOURCE = "firstfifteen"
UPDATABLE = frozenset({"text", "owner", "status", "note", "evidence", "hypothesis_id", "due", "action_kind"})


class CoordinationOps(StoreBase):
    """Roles with their history, and the workstreams, ruled-out items, questions and actions."""

    def assign_role(
        self, incident_id: str, role: RoleName, person: str, actor: str, expected_holder: str | None = None
    ) -> RoleAssignment:
        """Give ``role`` to ``person``; taking it from someone else needs ``expected_holder`` naming them."""
        _check_role(role)
        now = self._now()
        with self._write() as conn:
            number = require_incident(conn, incident_id)
            current = _holder(conn, number, role)
            if current is not None and current.person == person:
                return current  # asking twice is harmless
            if current is not None and expected_holder != current.person:
                raise ConflictError(
                    f"{role} is held by {current.person} since {to_db_time(current.since)}; "
                    f"one role has one holder at a time",
                    hint=f"To hand it over, pass expected_holder={current.person!r}; else pick another role.",
                )
            if current is None and expected_holder:
                raise ConflictError(
                    f"{role} is not held by {expected_holder}: nobody holds it",
                    hint="Leave expected_holder empty to assign a role nobody holds.",
                )
            conn.execute(
                "UPDATE roles SET until = ? WHERE incident = ? AND role = ? AND until IS NULL",
                (to_db_time(now), number, role),
            )
            was = f" (was {current.person})" if current else ""
            details: dict[str, JsonValue] = {
                "role": role,
                "person": person,
                "previous": current.person if current else "",
            }
            event_id = _audit(conn, number, "role_assigned", f"{person} is now {role}{was}", actor, details, now)
            conn.execute(
                "INSERT INTO roles (incident, role, person, since, assigned_by, event_id) VALUES (?, ?, ?, ?, ?, ?)",
                (number, role, person, to_db_time(now), actor, event_id),
            )
            touch(conn, number, now)
            return RoleAssignment(role=role, person=person, since=now, assigned_by=actor, event_id=event_id)

    def add_item(self, incident_id: str, item: WorkItem, actor: str) -> WorkItem:
        """Store a new item with the next id of its kind (``W-3``), revision 1, and its timeline event."""
        now = self._now()
        with self._write() as conn:
            number = require_incident(conn, incident_id)
            row = conn.execute(
                "SELECT coalesce(max(seq), 0) + 1 AS next FROM work_items WHERE incident = ? AND kind = ?",
                (number, item.kind),
            ).fetchone()
            seq = int(row["next"])
            update: dict[str, Any] = {"id": f"{ITEM_PREFIX[item.kind]}{seq}", "revision": 1}
            update |= {"created_at": now, "updated_at": now}
            if item.kind == "question" and not item.asked_by:
                update["asked_by"] = actor  # who asked is who recorded it, unless said otherwise
            stored = item.model_copy(update=update)
            event_id = _audit(conn, number, f"{item.kind}_added", _describe(stored), actor, _details(stored), now)
            stored = stored.model_copy(update={"event_id": event_id})
            conn.execute(
                "INSERT INTO work_items (incident, kind, seq, revision, body, updated_at) VALUES (?, ?, ?, 1, ?, ?)",
                (number, item.kind, seq, stored.model_dump_json(), to_db_time(now)),
            )
            touch(conn, number, now)
            return stored

    def update_item(
        self, incident_id: str, item_id: str, changes: dict[str, Any], expected_revision: int, actor: str
    ) -> WorkItem:
        """Apply ``changes`` to an item still at ``expected_revision``; a stale one: ConflictError with its state."""
        unknown = sorted(set(changes) - UPDATABLE)
        if unknown:
            raise InvalidRecordError(f"cannot change {unknown}", hint=f"Changeable fields: {sorted(UPDATABLE)}.")
        now = self._now()
        with self._write() as conn:
            number = require_incident(conn, incident_id)
            current, row_number = _fetch_item(conn, number, item_id)
            if current.revision != expected_revision:
                raise ConflictError(
                    f"{current.id} is at revision {current.revision}, not {expected_revision}: someone changed it "
                    f"since you read it. Current state: {current.model_dump_json(exclude_none=True)}",
                    hint="Merge your change into the current state above and update with its revision.",
                )
            changed = _validated({**current.model_dump(), **changes, "revision": current.revision + 1})
            changed = changed.model_copy(update={"updated_at": now})
            text = f"{changed.id} updated: {_what_changed(current, changed)}"
            event_id = _audit(conn, number, f"{changed.kind}_updated", text, actor, _details(changed), now)
            stored = changed.model_copy(update={"event_id": event_id})
            conn.execute(
                "UPDATE work_items SET revision = ?, body = ?, updated_at = ? WHERE number = ?",
                (stored.revision, stored.model_dump_json(), to_db_time(now), row_number),
            )
            touch(conn, number, now)
            return stored

    def get_coordination(self, incident_id: str) -> Coordination:
        """The incident's roles (now and their history) and every work item, oldest first per kind, with the
        record's revision (one more with each change), all read from one snapshot."""
        with self._read() as conn:
            number = require_incident(conn, incident_id)
            history = [_assignment(row) for row in conn.execute(_ROLES_SQL, (number,))]
            rows = conn.execute("SELECT body FROM work_items WHERE incident = ? ORDER BY kind, seq", (number,))
            items = [WorkItem.model_validate_json(row["body"]) for row in rows]
        roles: dict[str, str] = {a.role: a.person for a in history if a.until is None}
        # Every change adds one assignment row or one item revision, so their sum counts the changes:
        # a revision of the whole record without a counter row that every writer would contend for.
        revision = len(history) + sum(item.revision for item in items)
        return Coordination(
            incident_id=incident_id.upper(), revision=revision, roles=roles, role_history=history, items=items
        )


_ROLES_SQL = "SELECT role, person, since, until, assigned_by, event_id FROM roles WHERE incident = ? ORDER BY number"


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidRecordError(f"unknown role {role!r}", hint=f"Roles: {', '.join(ROLES)}.")


def _holder(conn: Db, number: int, role: str) -> RoleAssignment | None:
    row = conn.execute(
        "SELECT role, person, since, until, assigned_by, event_id FROM roles "
        "WHERE incident = ? AND role = ? AND until IS NULL",
        (number, role),
    ).fetchone()
    return _assignment(row) if row else None


def _assignment(row: Any) -> RoleAssignment:
    until = row["until"]
    return RoleAssignment(
        role=row["role"],
        person=row["person"],
        since=from_db_time(row["since"]),
        until=from_db_time(until) if until else None,
        assigned_by=row["assigned_by"],
        event_id=row["event_id"],
    )


def _fetch_item(conn: Db, number: int, item_id: str) -> tuple[WorkItem, int]:
    """The item and its row number."""
    kind, seq = _parse_item_id(item_id)
    row = conn.execute(
        "SELECT number, body FROM work_items WHERE incident = ? AND kind = ? AND seq = ?", (number, kind, seq)
    ).fetchone()
    if row is None:
        raise RecordNotFoundError(
            f"no item {item_id} on this incident", hint="Read get_coordination for the ids that exist."
        )
    return WorkItem.model_validate_json(row["body"]), int(row["number"])


def _parse_item_id(item_id: str) -> tuple[str, int]:
    text = item_id.strip().upper()
    for kind, prefix in ITEM_PREFIX.items():
        if text.startswith(prefix) and text[len(prefix) :].isdigit():
            return kind, int(text[len(prefix) :])
    raise InvalidRecordError(
        f"{item_id!r} is not an item id", hint="Ids look like W-1 (workstream), R-1, Q-1 or A-1 (action)."
    )


def _validated(data: dict[str, Any]) -> WorkItem:
    try:
        return build_item(data)
    except ValueError as exc:
        raise InvalidRecordError(f"the change is not valid: {exc}") from exc


def _describe(item: WorkItem) -> str:
    owner = f" (owner {item.owner})" if item.owner else ""
    kind = f"{item.action_kind.replace('_', '-')} action" if item.action_kind else item.kind.replace("_", " ")
    note = f": {item.note}" if item.note else ""
    return f"{kind.capitalize()} {item.id}{owner}: {item.text}{note}"


def _what_changed(before: WorkItem, after: WorkItem) -> str:
    ignored = {"revision", "updated_at", "event_id"}
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    changed = [
        f"{name} {old[name] or '-'} -> {new[name]}" if name in ("status", "owner") else name
        for name in new
        if name not in ignored and old.get(name) != new[name]
    ]
    return ", ".join(changed) or "no change"


def _details(item: WorkItem) -> dict[str, JsonValue]:
    details: dict[str, JsonValue] = {
        "item": item.id,
        "kind": item.kind,
        "status": item.status,
        "revision": item.revision,
    }
    if item.action_kind:
        details["action_kind"] = item.action_kind
    return details


def _audit(
    conn: Db,
    number: int,
    kind: str,
    text: str,
    actor: str,
    details: dict[str, JsonValue],
    now: datetime,
) -> int:
    """The timeline event of one change, in the same transaction; its id."""
    entry = TimelineEntry(source=SYSTEM_SOURCE, kind=kind, text=text[:10_000], actor=actor, details=details)
    return insert_event(conn, number, entry, now)
