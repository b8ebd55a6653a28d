"""Communication drafts, for every backend: saved once, posted at most once, and the outside systems' ids.

Posting is two-phase so that confirming the same draft twice posts once, even from two processes:

1. ``claim_post`` sets ``claimed_at`` only where it is still NULL and nothing was posted, under the
   write lock; exactly one caller gets True, whichever process or backend it runs on.
2. The winner posts, then ``complete_post`` records the ``PostResult`` (or, when the post failed,
   ``release_claim`` clears the claim so the draft can be retried).

``remote_ids`` maps (incident, target) to the outside system's id, e.g. the Statuspage incident
that mirrors our incident, so later updates go to the same place.
"""

from __future__ import annotations

from typing import Any

from adapters.models import PostResult
from mcp_server.store.base import RECENT_IDS_IN_HINT, check_actor
from mcp_server.store.core import (
    Db,
    StoreBase,
    dumps,
    load_json,
    next_number,
    optional_time,
    read_keyed,
    require_incident,
    returning,
    write_keyed,
)
from mcp_server.store.errors import ConflictError, InvalidRecordError, RecordNotFoundError
from mcp_server.store.migrations import from_db_time, to_db_time
from mcp_server.store.models import (
    AUDIENCES,
    Audience,
    Draft,
    DraftIn,
    format_draft_id,
    format_incident_id,
    parse_draft_id,
)

_DRAFT_COLUMNS = (
    "number, incident, audience, channel, subject, body, public_state, components, facts, findings, "
    "token_hash, created_at, created_by, claimed_at, confirmed_by, posted_at, post"
)


class DraftOps(StoreBase):
    """Drafts and remote ids (mixed into ``IncidentRecords``)."""

    def save_draft(self, draft_in: DraftIn) -> Draft:
        """Store a new draft; it gets the next ``D-<n>`` id and ``created_at`` now."""
        now = self._now()
        with self._write() as conn:
            number = require_incident(conn, draft_in.incident_id)
            created = returning(
                conn,
                f"INSERT INTO drafts ({_DRAFT_COLUMNS}) "
                f"VALUES ({next_number('drafts')}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', NULL, NULL)",
                (
                    number,
                    draft_in.audience,
                    draft_in.channel,
                    draft_in.subject,
                    draft_in.body,
                    draft_in.public_state,
                    dumps(draft_in.components),
                    dumps(draft_in.facts),
                    dumps(draft_in.findings),
                    draft_in.token_hash,
                    to_db_time(now),
                    draft_in.created_by,
                ),
                "number",
            )
            return _fetch(conn, created)

    def get_draft(self, draft_id: str, incident_id: str | None = None) -> Draft:
        """The draft; unknown (or of another incident, when ``incident_id`` is given): RecordNotFoundError."""
        with self._read() as conn:
            number = _require_draft(conn, draft_id, incident_id)
            return _fetch(conn, number)

    def list_drafts(self, incident_id: str, audience: Audience | None = None) -> list[Draft]:
        """The incident's drafts, oldest first, optionally of one audience."""
        if audience is not None and audience not in AUDIENCES:
            raise InvalidRecordError(f"unknown audience {audience!r}", hint=f"Use one of: {', '.join(AUDIENCES)}.")
        where, params = (" AND audience = ?", [audience]) if audience else ("", [])
        with self._read() as conn:
            number = require_incident(conn, incident_id)
            rows = conn.execute(
                f"SELECT {_DRAFT_COLUMNS} FROM drafts WHERE incident = ?{where} ORDER BY number", [number, *params]
            ).fetchall()
        return [_draft(row) for row in rows]

    def claim_post(self, draft_id: str, confirmed_by: str) -> bool:
        """Mark the draft as being posted by ``confirmed_by``; False when it was already claimed or posted."""
        check_actor(confirmed_by)
        now = self._now()
        with self._write() as conn:
            number = _require_draft(conn, draft_id)
            cursor = conn.execute(
                "UPDATE drafts SET claimed_at = ?, confirmed_by = ? "
                "WHERE number = ? AND claimed_at IS NULL AND posted_at IS NULL",
                (to_db_time(now), confirmed_by, number),
            )
            return cursor.rowcount == 1

    def complete_post(self, draft_id: str, result: PostResult) -> Draft:
        """Record where the draft was posted; ConflictError if it was already recorded as posted."""
        now = self._now()
        with self._write() as conn:
            number = _require_draft(conn, draft_id)
            current = _fetch(conn, number)
            if current.post is not None:
                raise ConflictError(
                    f"draft {current.id} was already posted to {current.post.target} ({current.post.remote_id})",
                    hint="A draft is posted once; save a new draft for a further update.",
                )
            conn.execute(
                "UPDATE drafts SET posted_at = ?, post = ?, claimed_at = coalesce(claimed_at, ?) WHERE number = ?",
                (to_db_time(result.posted_at), result.model_dump_json(), to_db_time(now), number),
            )
            return _fetch(conn, number)

    def release_claim(self, draft_id: str) -> None:
        """Drop the claim of a draft whose post failed, so it can be confirmed again; posted drafts stay."""
        with self._write() as conn:
            number = _require_draft(conn, draft_id)
            conn.execute(
                "UPDATE drafts SET claimed_at = NULL, confirmed_by = '' WHERE number = ? AND posted_at IS NULL",
                (number,),
            )

    def get_remote_id(self, incident_id: str, target: str) -> str | None:
        """The outside system's id for this incident at ``target`` (e.g. "statuspage"), or None."""
        with self._read() as conn:
            return read_keyed(conn, "remote_ids", "target", "remote_id", require_incident(conn, incident_id), target)

    def set_remote_id(self, incident_id: str, target: str, remote_id: str) -> None:
        """Remember (or replace) the outside system's id for this incident at ``target``."""
        for label, value in (("target", target), ("remote_id", remote_id)):
            if not isinstance(value, str) or not value.strip() or len(value) > 500 or "\n" in value:
                raise InvalidRecordError(f"{label} must be one line of 1-500 characters, got {value!r}")
        now = self._now()
        with self._write() as conn:
            number = require_incident(conn, incident_id)
            write_keyed(conn, "remote_ids", "target", "remote_id", number, target, remote_id, to_db_time(now))


def _require_draft(conn: Db, draft_id: str, incident_id: str | None = None) -> int:
    """The draft's number, or RecordNotFoundError whose hint lists recent drafts (of the incident, if given)."""
    incident = require_incident(conn, incident_id) if incident_id is not None else None
    number = parse_draft_id(draft_id)
    if number is not None:
        row = conn.execute("SELECT incident FROM drafts WHERE number = ?", (number,)).fetchone()
        if row is not None and (incident is None or row["incident"] == incident):
            return number
    shape = "" if number is not None else " (draft ids look like D-3)"
    of = f" of {format_incident_id(incident)}" if incident is not None else ""
    raise RecordNotFoundError(f"no draft {draft_id!r}{of}{shape}", hint=_recent_drafts_hint(conn, incident))


def _recent_drafts_hint(conn: Db, incident: int | None) -> str:
    where, params = ("WHERE incident = ?", [incident]) if incident is not None else ("", [])
    rows = conn.execute(
        f"SELECT number, incident, audience FROM drafts {where} ORDER BY number DESC LIMIT ?",
        [*params, RECENT_IDS_IN_HINT],
    ).fetchall()
    if not rows:
        scope = f"{format_incident_id(incident)} has" if incident is not None else "there are"
        return f"{scope} no drafts yet; draft one first."
    listed = ", ".join(
        f"{format_draft_id(r['number'])} ({format_incident_id(r['incident'])} {r['audience']})" for r in rows
    )
    return f"Recent drafts, newest first: {listed}."


def _fetch(conn: Db, number: int) -> Draft:
    return _draft(conn.execute(f"SELECT {_DRAFT_COLUMNS} FROM drafts WHERE number = ?", (number,)).fetchone())


def _draft(row: Any) -> Draft:
    return Draft(
        id=format_draft_id(row["number"]),
        incident_id=format_incident_id(row["incident"]),
        audience=row["audience"],
        channel=row["channel"],
        subject=row["subject"],
        body=row["body"],
        public_state=row["public_state"],
        components=load_json(row["components"]),
        facts=load_json(row["facts"]),
        findings=load_json(row["findings"]),
        token_hash=row["token_hash"],
        created_at=from_db_time(row["created_at"]),  # NOT NULL in the schema
        created_by=row["created_by"],
        posted_at=optional_time(row["posted_at"]),
        post=PostResult.model_validate_json(row["post"]) if row["post"] else None,
        confirmed_by=row["confirmed_by"],
    )
