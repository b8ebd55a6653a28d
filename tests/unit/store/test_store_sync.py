"""Timeline sync support in the store: upsert outcomes and revisions, deletions, cursors, alert inbox, upgrades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from store_backends import Database

from mcp_server.store.base import IncidentStore
from mcp_server.store.errors import InvalidRecordError, RecordNotFoundError
from mcp_server.store.migrations import MIGRATIONS
from mcp_server.store.models import InboxAlertIn, IncidentDraft, TimelineEntry

T0 = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)


def declare(store: IncidentStore) -> str:
    return store.declare_incident(IncidentDraft(title="Checkout 500s", severity="SEV2", declared_by="alice")).id


def message(text: str = "rolling back api", **overrides: object) -> TimelineEntry:
    fields: dict[str, object] = {
        "source": "slack",
        "kind": "message",
        "text": text,
        "actor": "bob",
        "occurred_at": T0,
        "source_id": "C042:1710385620.000100",
        "link": "https://x.slack.com/archives/C042/p1710385620000100",
    }
    return TimelineEntry.model_validate({**fields, **overrides})


def test_upsert_created_unchanged_updated_with_history(store: IncidentStore, clock) -> None:
    inc = declare(store)
    created, outcome = store.upsert_event(inc, message())
    assert outcome == "created" and created.revision_count == 0 and created.edited_at is None
    same, outcome = store.upsert_event(inc, message())
    assert outcome == "unchanged" and same == created
    clock.advance(minutes=5)
    edited_at = T0 + timedelta(minutes=2)
    updated, outcome = store.upsert_event(inc, message("rolling back api to v41"), changed_at=edited_at)
    assert outcome == "updated"
    assert (updated.id, updated.text, updated.occurred_at) == (created.id, "rolling back api to v41", T0)
    assert (updated.edited_at, updated.revision_count) == (edited_at, 1)
    [revision] = store.get_revisions(created.id)
    assert (revision.change, revision.text, revision.actor, revision.replaced_at) == (
        "updated",
        "rolling back api",
        "bob",
        edited_at,
    )
    events, _ = store.get_timeline(inc, sources=["slack"])
    assert events == [updated]


def test_a_kind_or_details_change_updates_without_moving_edited_at(store: IncidentStore) -> None:
    inc = declare(store)
    created, _ = store.upsert_event(inc, message())
    updated, outcome = store.upsert_event(inc, message(kind="highlight", details={"reactions": ["pushpin"]}))
    assert outcome == "updated" and updated.kind == "highlight" and updated.edited_at is None
    assert [r.kind for r in store.get_revisions(created.id)] == ["message"]


def test_upsert_needs_a_source_id(store: IncidentStore) -> None:
    with pytest.raises(InvalidRecordError, match="source_id"):
        store.upsert_event(declare(store), message(source_id=None))


def test_mark_deleted_keeps_the_event_and_its_text(store: IncidentStore) -> None:
    inc = declare(store)
    created, _ = store.upsert_event(inc, message())
    gone = T0 + timedelta(minutes=3)
    assert store.mark_deleted(inc, "slack", created.source_id or "", gone) is True
    assert store.mark_deleted(inc, "slack", created.source_id or "", gone) is False  # already flagged
    assert store.mark_deleted(inc, "slack", "C042:unknown", gone) is False
    [event], _ = store.get_timeline(inc, sources=["slack"])
    assert (event.text, event.deleted_at, event.revision_count) == ("rolling back api", gone, 1)
    assert [r.change for r in store.get_revisions(event.id)] == ["deleted"]
    back, outcome = store.upsert_event(inc, message())  # it reappeared: un-flagged, history kept
    assert outcome == "updated" and back.deleted_at is None and back.revision_count == 2


def test_get_revisions_of_an_unknown_event(store: IncidentStore) -> None:
    with pytest.raises(RecordNotFoundError, match="no timeline event 99"):
        store.get_revisions(99)


def test_cursors_per_incident_and_source(store: IncidentStore) -> None:
    one, two = declare(store), declare(store)
    assert store.get_cursor(one, "slack") is None
    store.set_cursor(one, "slack", "1710385620.000100")
    store.set_cursor(one, "slack", "1710385700.000200")
    store.set_cursor(two, "slack", "1")
    assert store.get_cursor(one, "slack") == "1710385700.000200"
    assert store.get_cursor(two, "slack") == "1"
    assert store.get_cursor(one, "alertmanager") is None
    with pytest.raises(InvalidRecordError, match="cursor"):
        store.set_cursor(one, "slack", "")
    with pytest.raises(RecordNotFoundError):
        store.get_cursor("INC-9", "slack")


def alert(status: str = "firing", ends_at: datetime | None = None, **overrides: object) -> InboxAlertIn:
    fields: dict[str, object] = {
        "fingerprint": "a1b2c3",
        "status": status,
        "name": "HighErrorRate",
        "labels": {"service": "checkout"},
        "starts_at": T0,
        "ends_at": ends_at,
    }
    return InboxAlertIn.model_validate({**fields, **overrides})


def test_inbox_records_each_notification_once_and_lists_by_overlap(store: IncidentStore) -> None:
    resolved = alert("resolved", T0 + timedelta(minutes=10))
    assert store.record_inbox_alerts([alert(), alert(), resolved]) == 2
    assert store.record_inbox_alerts([alert(), resolved]) == 0
    old = alert("resolved", T0 - timedelta(hours=1), fingerprint="old", starts_at=T0 - timedelta(hours=2))
    store.record_inbox_alerts([old])
    found = store.list_inbox_alerts(T0 - timedelta(minutes=30), T0 + timedelta(hours=1))
    assert [(a.fingerprint, a.status, a.ends_at) for a in found] == [
        ("a1b2c3", "firing", None),
        ("a1b2c3", "resolved", T0 + timedelta(minutes=10)),
    ]
    assert found[0].labels == {"service": "checkout"} and found[0].received_at == T0
    assert store.list_inbox_alerts(T0 - timedelta(hours=3), T0 - timedelta(hours=1, minutes=30))[0].fingerprint == "old"


def test_a_version_one_database_with_data_upgrades(database: Database) -> None:
    with database.open(migrations=MIGRATIONS[:1]) as old:
        inc = old.declare_incident(IncidentDraft(title="old", severity="SEV3", declared_by="a")).id
    database.execute(  # a row as version 1 wrote it
        "INSERT INTO timeline_events (incident, occurred_at, recorded_at, source, kind, actor, text, link, "
        "source_id) VALUES (1, '2026-03-14T03:00:00.000000Z', '2026-03-14T03:00:00.000000Z', 'slack', "
        "'message', 'bob', 'rolling back api', '', 'C042:1710385620.000100')"
    )
    with database.open() as upgraded:
        events, _ = upgraded.get_timeline(inc)
        assert sorted((e.kind, e.edited_at, e.deleted_at, e.revision_count) for e in events) == [
            ("declared", None, None, 0),
            ("message", None, None, 0),
        ]
        message_id = next(e.id for e in events if e.kind == "message")
        _, outcome = upgraded.upsert_event(inc, message("edited", link=""))
        assert outcome == "updated" and len(upgraded.get_revisions(message_id)) == 1
        assert upgraded.list_drafts(inc) == []
    assert database.rows("SELECT max(version) FROM schema_migrations") == [(len(MIGRATIONS),)]
    assert len(MIGRATIONS) == 5
    if database.backend == "sqlite":
        assert database.rows("PRAGMA user_version") == [(5,)]
