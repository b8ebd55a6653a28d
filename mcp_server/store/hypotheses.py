"""Hypotheses in the incident store (mixed into ``IncidentRecords``): recorded, updated by revision, listed.

Each change is one write transaction that also appends the timeline event saying what changed, so
the record and its audit trail never disagree. An update names the revision it was based on; when
another responder changed the hypothesis since, the update is refused with the current state,
never silently overwritten.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import JsonValue

from mcp_server.hypotheses.models import Evidence, Hypothesis, same_statement_key
from mcp_server.store.core import Db, StoreBase, insert_event, next_number, require_incident, returning, touch
from mcp_server.store.errors import ConflictError, RecordNotFoundError
from mcp_server.store.migrations import to_db_time
from mcp_server.store.models import TimelineEntry

HYPOTHESIS_PREFIX = "H-"
SYSTEM_SOURCE = "firstfifteen"


class HypothesisOps(StoreBase):
    """Hypotheses of an incident, each a JSON document with a revision."""

    def record_hypothesis(self, incident_id: str, hypothesis: Hypothesis, actor: str) -> Hypothesis:
        """Store a new hypothesis (revision 1, the next ``H-<n>`` id) and its ``hypothesis_recorded`` event."""
        now = self._now()
        with self._write() as conn:
            return _insert(conn, require_incident(conn, incident_id), hypothesis, actor, now)

    def record_if_new(self, incident_id: str, hypothesis: Hypothesis, actor: str) -> tuple[Hypothesis, bool]:
        """Record ``hypothesis`` unless one with the same statement exists; that one and False if so.

        The check runs under the write lock, so two responders proposing at once record it once.
        """
        with self._write() as conn:
            number = require_incident(conn, incident_id)
            key = same_statement_key(hypothesis.statement)
            rows = conn.execute("SELECT body FROM hypotheses WHERE incident = ? ORDER BY number", (number,))
            for row in rows:
                found = Hypothesis.model_validate_json(row["body"])
                if same_statement_key(found.statement) == key:
                    return found, False
            return _insert(conn, number, hypothesis, actor, self._now()), True

    def update_hypothesis(
        self, incident_id: str, hypothesis: Hypothesis, expected_revision: int, actor: str
    ) -> Hypothesis:
        """Replace hypothesis ``hypothesis.id`` if it is still at ``expected_revision``; else ConflictError."""
        now = self._now()
        with self._write() as conn:
            number = require_incident(conn, incident_id)
            current = _fetch(conn, number, hypothesis.id)
            if current.revision != expected_revision:
                raise ConflictError(
                    f"hypothesis {current.id} is at revision {current.revision}, not {expected_revision}: "
                    f"someone changed it since you read it. Current state: {_body(current)}",
                    hint="Read the current state above, merge your change into it, and update with its revision.",
                )
            stored = hypothesis.model_copy(update={"revision": current.revision + 1, "updated_at": now})
            _save(conn, stored)
            text = f"Hypothesis {stored.id} updated: {describe_changes(current, stored)}"
            _audit(conn, number, "hypothesis_updated", text, actor, stored, now)
            touch(conn, number, now)
            return stored

    def add_evidence(self, incident_id: str, hypothesis_id: str, evidence: Evidence, actor: str) -> Hypothesis:
        """Append ``evidence`` inside one write transaction, so two responders adding at once both land."""
        now = self._now()
        with self._write() as conn:
            number = require_incident(conn, incident_id)
            current = _fetch(conn, number, hypothesis_id)
            item = evidence.model_copy(update={"added_by": evidence.added_by or actor, "added_at": now})
            stored = current.model_copy(
                update={"evidence": [*current.evidence, item], "revision": current.revision + 1, "updated_at": now}
            )
            _save(conn, stored)
            text = f"Evidence {item.direction} {stored.id} ({item.source}): {item.summary}"
            _audit(conn, number, "evidence_added", text, actor, stored, now)
            touch(conn, number, now)
            return stored

    def get_hypothesis(self, incident_id: str, hypothesis_id: str) -> Hypothesis:
        """One hypothesis of the incident; unknown: RecordNotFoundError naming the ids that exist."""
        with self._read() as conn:
            return _fetch(conn, require_incident(conn, incident_id), hypothesis_id)

    def list_hypotheses(self, incident_id: str) -> list[Hypothesis]:
        """Every hypothesis of the incident, oldest first."""
        with self._read() as conn:
            number = require_incident(conn, incident_id)
            rows = conn.execute("SELECT body FROM hypotheses WHERE incident = ? ORDER BY number", (number,))
            return [Hypothesis.model_validate_json(row["body"]) for row in rows]


def changed_fields(before: Hypothesis, after: Hypothesis) -> list[str]:
    """The names of the fields a responder changed (bookkeeping fields left out)."""
    ignored = {"revision", "updated_at"}
    old, new = before.model_dump(), after.model_dump()
    return [name for name in new if name not in ignored and old.get(name) != new[name]]


def describe_changes(before: Hypothesis, after: Hypothesis) -> str:
    """The changed fields for the timeline, with the new status spelled out (a reader scans for it)."""
    fields = changed_fields(before, after)
    named = [f"status {before.status} -> {after.status}" if name == "status" else name for name in fields]
    return ", ".join(named) or "no change"


def _audit(conn: Db, number: int, kind: str, text: str, actor: str, stored: Hypothesis, now: datetime) -> None:
    """The timeline event of one change, in the same transaction as the change itself."""
    details: dict[str, JsonValue] = {"hypothesis": stored.id, "revision": stored.revision, "status": stored.status}
    entry = TimelineEntry(source=SYSTEM_SOURCE, kind=kind, text=text[:10_000], actor=actor, details=details)
    insert_event(conn, number, entry, now)


def _insert(conn: Db, number: int, hypothesis: Hypothesis, actor: str, now: datetime) -> Hypothesis:
    """Insert a hypothesis with the next id and revision 1, and its timeline event."""
    created = returning(
        conn,
        f"INSERT INTO hypotheses (number, incident, revision, body, updated_at) "
        f"VALUES ({next_number('hypotheses')}, ?, 1, '{{}}', ?)",
        (number, to_db_time(now)),
        "number",
    )
    stored = hypothesis.model_copy(update={"id": f"{HYPOTHESIS_PREFIX}{created}", "revision": 1, "updated_at": now})
    conn.execute("UPDATE hypotheses SET body = ? WHERE number = ?", (_body(stored), created))
    _audit(conn, number, "hypothesis_recorded", f"Hypothesis {stored.id}: {stored.statement}", actor, stored, now)
    touch(conn, number, now)
    return stored


def _save(conn: Db, stored: Hypothesis) -> None:
    """Write the new revision of a hypothesis already read under this transaction's write lock."""
    assert stored.updated_at is not None  # set by every caller to the transaction's clock
    conn.execute(
        "UPDATE hypotheses SET revision = ?, body = ?, updated_at = ? WHERE number = ?",
        (stored.revision, _body(stored), to_db_time(stored.updated_at), _number(stored.id)),
    )


def _fetch(conn: Db, incident: int, hypothesis_id: str) -> Hypothesis:
    row = conn.execute(
        "SELECT body FROM hypotheses WHERE incident = ? AND number = ?", (incident, _number(hypothesis_id))
    ).fetchone()
    if row is None:
        known = [
            f"{HYPOTHESIS_PREFIX}{r['number']}"
            for r in conn.execute(
                "SELECT number FROM hypotheses WHERE incident = ? ORDER BY number DESC LIMIT 10", (incident,)
            )
        ]
        raise RecordNotFoundError(
            f"no hypothesis {hypothesis_id!r} on this incident",
            hint=f"Use an id from list_hypotheses (recent: {', '.join(known) or 'none yet'}).",
        )
    return Hypothesis.model_validate_json(row["body"])


def _number(hypothesis_id: str) -> int:
    digits = hypothesis_id.strip().upper().removeprefix(HYPOTHESIS_PREFIX)
    return int(digits) if digits.isdigit() else -1


def _body(hypothesis: Hypothesis) -> str:
    return hypothesis.model_dump_json()
