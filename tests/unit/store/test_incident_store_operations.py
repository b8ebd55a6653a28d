"""Every operation of the incident store, on SQLite and PostgreSQL, with a fake clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from store_backends import Database

from mcp_server.store import IncidentStore
from mcp_server.store import records as records_module
from mcp_server.store.errors import InvalidRecordError, RecordNotFoundError, StoreUnavailableError
from mcp_server.store.models import IncidentDraft, TimelineEntry


def draft(title: str = "Checkout 500s", **overrides: object) -> IncidentDraft:
    fields: dict[str, object] = {"title": title, "severity": "SEV2", "declared_by": "alice"}
    return IncidentDraft(**{**fields, **overrides})


def note(text: str, **overrides: object) -> TimelineEntry:
    fields: dict[str, object] = {"source": "human", "kind": "note", "text": text}
    return TimelineEntry(**{**fields, **overrides})


def test_store_satisfies_the_protocol(store: IncidentStore) -> None:
    assert isinstance(store, IncidentStore)


def test_declare_assigns_sequential_ids_and_defaults(store: IncidentStore, clock) -> None:
    declared_at = clock.now - timedelta(minutes=2)
    first = store.declare_incident(
        draft(declared_at=declared_at, started_at=declared_at - timedelta(minutes=10), suspected_service="checkout")
    )
    second = store.declare_incident(draft("Search slow", severity="SEV3", declared_at=declared_at))
    assert (first.id, second.id) == ("INC-1", "INC-2")
    assert first.status == "open"
    assert first.suspected_service == "checkout"
    assert first.started_at == declared_at - timedelta(minutes=10)
    assert first.declared_at == declared_at
    assert first.updated_at == clock.now
    assert second.started_at == second.declared_at == declared_at
    assert second.severity == "SEV3"


def test_declare_records_a_declared_event(store: IncidentStore, clock) -> None:
    incident = store.declare_incident(draft(suspected_service="checkout", declared_at=clock.now))
    events, truncated = store.get_timeline(incident.id)
    assert truncated is False
    assert len(events) == 1
    declared = events[0]
    assert (declared.kind, declared.source, declared.actor) == ("declared", "firstfifteen", "alice")
    assert declared.incident_id == "INC-1"
    assert declared.occurred_at == incident.declared_at
    assert "SEV2" in declared.text and "Checkout 500s" in declared.text
    assert declared.details == {
        "severity": "SEV2",
        "suspected_service": "checkout",
        "started_at": "2026-03-14T03:00:00Z",
    }


def test_declare_is_atomic_when_the_event_insert_fails(
    store: IncidentStore, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_insert(*args: object) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(records_module, "_insert_event", broken_insert)
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.declare_incident(draft())
    assert database.count("incidents") == 0
    monkeypatch.undo()
    # The failed declaration must not have consumed or corrupted anything: the next one works.
    assert store.declare_incident(draft()).id == "INC-1"  # the rolled-back insert did not consume a number
    assert database.count("incidents") == 1


def test_get_incident_accepts_human_forms(store: IncidentStore) -> None:
    store.declare_incident(draft())
    created = store.declare_incident(draft("Second"))
    assert store.get_incident("INC-2") == created
    assert store.get_incident("inc-2") == created
    assert store.get_incident("2") == created


def test_unknown_incident_hint_lists_recent_ids(store: IncidentStore) -> None:
    for n in range(12):
        store.declare_incident(draft(f"incident {n}"))
    with pytest.raises(RecordNotFoundError) as exc_info:
        store.get_incident("INC-99")
    error = exc_info.value
    assert "INC-99" in error.message
    assert error.hint.startswith("Use one of the known incidents, most recent first: INC-12, INC-11, INC-10")
    assert "INC-3" in error.hint and "INC-2," not in error.hint  # ten most recent only
    assert "list_incidents" in error.hint


def test_unknown_incident_in_empty_store_says_so(store: IncidentStore) -> None:
    with pytest.raises(RecordNotFoundError) as exc_info:
        store.get_incident("INC-1")
    assert "No incidents are recorded yet" in exc_info.value.hint


def test_malformed_id_is_not_found_with_the_id_shape(store: IncidentStore) -> None:
    store.declare_incident(draft())
    with pytest.raises(RecordNotFoundError, match="ids look like INC-7") as exc_info:
        store.get_incident("checkout")
    assert "INC-1" in exc_info.value.hint


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.append_event("INC-5", note("x")),
        lambda s: s.get_timeline("INC-5"),
        lambda s: s.set_status("INC-5", "resolved", "bob"),
    ],
)
def test_every_operation_refuses_unknown_incidents(store: IncidentStore, call) -> None:
    store.declare_incident(draft())
    with pytest.raises(RecordNotFoundError, match="INC-5"):
        call(store)


def test_list_incidents_newest_first_with_status_filter_and_truncation(store: IncidentStore) -> None:
    for n in range(5):
        store.declare_incident(draft(f"incident {n}"))
    store.set_status("INC-2", "resolved", "bob")
    store.set_status("INC-4", "mitigated", "bob")

    everything, truncated = store.list_incidents()
    assert [i.id for i in everything] == ["INC-5", "INC-4", "INC-3", "INC-2", "INC-1"]
    assert truncated is False

    first_two, truncated = store.list_incidents(limit=2)
    assert [i.id for i in first_two] == ["INC-5", "INC-4"]
    assert truncated is True

    exact, truncated = store.list_incidents(limit=5)
    assert len(exact) == 5 and truncated is False

    open_ones, _ = store.list_incidents(status="open")
    assert [i.id for i in open_ones] == ["INC-5", "INC-3", "INC-1"]
    resolved, _ = store.list_incidents(status="resolved")
    assert [i.id for i in resolved] == ["INC-2"]


@pytest.mark.parametrize("limit", [0, -1, 501, 2.5, True, "5"])
def test_list_incidents_refuses_bad_limits(store: IncidentStore, limit: object) -> None:
    with pytest.raises(InvalidRecordError, match="limit must be an integer from 1 to 500"):
        store.list_incidents(limit=limit)  # type: ignore[arg-type]


def test_list_incidents_refuses_unknown_status(store: IncidentStore) -> None:
    with pytest.raises(InvalidRecordError) as exc_info:
        store.list_incidents(status="closed")  # type: ignore[arg-type]
    assert "open, mitigated, resolved" in exc_info.value.hint


def test_append_event_records_every_field(store: IncidentStore, clock) -> None:
    incident = store.declare_incident(draft())
    happened = clock.now - timedelta(minutes=3)
    clock.advance(minutes=1)
    event, created = store.append_event(
        incident.id,
        note(
            "api rolled back to v41",
            kind="deploy",
            source="deploys",
            occurred_at=happened,
            actor="ci-bot",
            link="https://ci.example/run/9",
            source_id="deploy-9",
            details={"service": "api", "version": "v41", "ok": True},
        ),
    )
    assert created is True
    assert event.incident_id == "INC-1"
    assert (event.occurred_at, event.recorded_at) == (happened, clock.now)
    assert (event.kind, event.source, event.actor) == ("deploy", "deploys", "ci-bot")
    assert event.link == "https://ci.example/run/9"
    assert event.source_id == "deploy-9"
    assert event.details == {"service": "api", "version": "v41", "ok": True}
    assert store.get_timeline(incident.id, kinds=["deploy"])[0] == [event]


def test_append_event_defaults_occurred_at_to_now_and_touches_the_incident(store: IncidentStore, clock) -> None:
    incident = store.declare_incident(draft())
    later = clock.advance(minutes=5)
    event, _ = store.append_event(incident.id, note("looking at api logs"))
    assert event.occurred_at == event.recorded_at == later
    assert store.get_incident(incident.id).updated_at == later


def test_updated_at_never_moves_back_when_the_clock_does(store: IncidentStore, clock) -> None:
    incident = store.declare_incident(draft())
    clock.advance(minutes=-10)
    store.append_event(incident.id, note("clock stepped back"))
    assert store.get_incident(incident.id).updated_at == incident.updated_at


def test_append_with_source_id_is_idempotent(store: IncidentStore, database: Database, clock) -> None:
    incident = store.declare_incident(draft())
    first, created_first = store.append_event(incident.id, note("alert fired", source="alertmanager", source_id="fp-1"))
    clock.advance(minutes=1)
    again, created_again = store.append_event(
        incident.id, note("alert fired (re-import, new text)", source="alertmanager", source_id="fp-1")
    )
    assert (created_first, created_again) == (True, False)
    assert again == first  # the stored event, not the new text
    assert database.count("timeline_events") == 2  # declared + one alert


def test_dedup_key_is_per_incident_and_per_source(store: IncidentStore) -> None:
    one = store.declare_incident(draft())
    two = store.declare_incident(draft("other"))
    _, created_a = store.append_event(one.id, note("m", source="slack", source_id="p123"))
    _, created_b = store.append_event(two.id, note("m", source="slack", source_id="p123"))
    _, created_c = store.append_event(one.id, note("m", source="alertmanager", source_id="p123"))
    assert (created_a, created_b, created_c) == (True, True, True)


def test_events_without_source_id_are_never_deduplicated(store: IncidentStore) -> None:
    incident = store.declare_incident(draft())
    first, _ = store.append_event(incident.id, note("same words"))
    second, created = store.append_event(incident.id, note("same words"))
    assert created is True
    assert second.id != first.id


def test_a_failing_append_leaves_no_partial_rows(
    store: IncidentStore, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = store.declare_incident(draft())

    def broken_touch(*args: object) -> None:
        raise RuntimeError("crash after the event row was inserted")

    monkeypatch.setattr(records_module, "_touch", broken_touch)
    with pytest.raises(RuntimeError, match="crash after"):
        store.append_event(incident.id, note("half", source_id="h-1"))
    monkeypatch.undo()
    assert database.count("timeline_events") == 1  # only the declared event
    # The dedup key was not taken by the rolled-back row.
    _, created = store.append_event(incident.id, note("whole", source_id="h-1"))
    assert created is True


def test_timeline_is_ordered_by_occurred_at_then_id(store: IncidentStore, clock) -> None:
    incident = store.declare_incident(draft(declared_at=clock.now))
    at = clock.now
    store.append_event(incident.id, note("third", occurred_at=at + timedelta(minutes=2)))
    store.append_event(incident.id, note("first (backfilled)", occurred_at=at - timedelta(minutes=5)))
    store.append_event(incident.id, note("tie a", occurred_at=at + timedelta(minutes=1)))
    store.append_event(incident.id, note("tie b", occurred_at=at + timedelta(minutes=1)))
    events, _ = store.get_timeline(incident.id)
    assert [e.text for e in events][0] == "first (backfilled)"
    assert [e.kind for e in events][1] == "declared"
    assert [e.text for e in events][2:] == ["tie a", "tie b", "third"]
    assert len({e.id for e in events}) == len(events)


def test_timeline_orders_sub_second_times_correctly(store: IncidentStore, clock) -> None:
    incident = store.declare_incident(draft(declared_at=clock.now))
    base = clock.now + timedelta(minutes=1)
    store.append_event(incident.id, note("later", occurred_at=base + timedelta(microseconds=900_000)))
    store.append_event(incident.id, note("earlier", occurred_at=base + timedelta(microseconds=5)))
    store.append_event(incident.id, note("whole second", occurred_at=base))
    events, _ = store.get_timeline(incident.id, kinds=["note"])
    assert [e.text for e in events] == ["whole second", "earlier", "later"]
    assert events[1].occurred_at == base + timedelta(microseconds=5)


def _seed_mixed_timeline(store: IncidentStore, at: datetime) -> str:
    """Declared at ``at``, then one event a minute: alert, deploy, chat, alert resolved, human note."""
    incident = store.declare_incident(draft(declared_at=at))
    seeds = [
        ("alert", "alert_fired", "alertmanager"),
        ("deploy", "deploy", "deploys"),
        ("chat", "message", "slack"),
        ("resolved", "alert_resolved", "alertmanager"),
        ("human note", "note", "human"),
    ]
    for minute, (text, kind, source) in enumerate(seeds, start=1):
        entry = note(text, kind=kind, source=source, occurred_at=at + timedelta(minutes=minute))
        store.append_event(incident.id, entry)
    return incident.id


def test_timeline_filters_by_kind_source_and_window(store: IncidentStore, clock) -> None:
    at = clock.now
    incident_id = _seed_mixed_timeline(store, at)

    def texts(**filters: object) -> list[str]:
        events, _ = store.get_timeline(incident_id, **filters)
        return [e.text for e in events]

    assert texts(kinds=["alert_fired", "alert_resolved"]) == ["alert", "resolved"]
    assert texts(kinds="deploy") == ["deploy"]  # a bare string is one kind, not its letters
    assert texts(sources=["alertmanager"]) == ["alert", "resolved"]
    assert texts(sources=["alertmanager"], kinds=["alert_resolved"]) == ["resolved"]
    assert texts(kinds=["nothing_like_this"]) == []
    assert texts(kinds=[]) == texts()  # empty means no filter
    # Window bounds are inclusive at both ends.
    assert texts(start=at + timedelta(minutes=2), end=at + timedelta(minutes=4)) == ["deploy", "chat", "resolved"]
    assert texts(start=at + timedelta(minutes=4, seconds=1)) == ["human note"]
    assert texts(end=at) == [store.get_timeline(incident_id, limit=1)[0][0].text]


def test_timeline_truncation_keeps_the_earliest(store: IncidentStore, clock) -> None:
    incident_id = _seed_mixed_timeline(store, clock.now)
    events, truncated = store.get_timeline(incident_id, limit=2)
    assert [e.kind for e in events] == ["declared", "alert_fired"]
    assert truncated is True
    all_six, truncated = store.get_timeline(incident_id, limit=6)
    assert len(all_six) == 6 and truncated is False
    filtered, truncated = store.get_timeline(incident_id, sources=["alertmanager"], limit=1)
    assert [e.text for e in filtered] == ["alert"] and truncated is True


def test_timeline_argument_errors(store: IncidentStore, clock) -> None:
    incident = store.declare_incident(draft())
    with pytest.raises(InvalidRecordError, match="is after end"):
        store.get_timeline(incident.id, start=clock.now, end=clock.now - timedelta(seconds=1))
    with pytest.raises(InvalidRecordError, match="timezone-aware"):
        store.get_timeline(incident.id, start=datetime(2026, 3, 14, 3, 0))
    with pytest.raises(InvalidRecordError, match="from 1 to 5000"):
        store.get_timeline(incident.id, limit=0)
    with pytest.raises(InvalidRecordError, match="list of names"):
        store.get_timeline(incident.id, kinds=[1])  # type: ignore[list-item]


def test_set_status_updates_and_records_the_change(store: IncidentStore, clock) -> None:
    incident = store.declare_incident(draft())
    later = clock.advance(minutes=7)
    mitigated = store.set_status(incident.id, "mitigated", "bob")
    assert mitigated.status == "mitigated"
    assert mitigated.updated_at == later
    assert store.get_incident(incident.id).status == "mitigated"
    changes, _ = store.get_timeline(incident.id, kinds=["status_changed"])
    assert len(changes) == 1
    change = changes[0]
    assert (change.actor, change.source, change.occurred_at) == ("bob", "firstfifteen", later)
    assert change.details == {"from": "open", "to": "mitigated"}
    assert "open" in change.text and "mitigated" in change.text


def test_set_status_to_the_current_status_records_nothing(store: IncidentStore) -> None:
    incident = store.declare_incident(draft())
    assert store.set_status(incident.id, "open", "bob") == incident
    assert store.get_timeline(incident.id, kinds=["status_changed"])[0] == []


def test_set_status_allows_reopening(store: IncidentStore) -> None:
    incident = store.declare_incident(draft())
    store.set_status(incident.id, "resolved", "bob")
    assert store.set_status(incident.id, "open", "carol").status == "open"
    changes, _ = store.get_timeline(incident.id, kinds=["status_changed"])
    assert [c.details["to"] for c in changes] == ["resolved", "open"]


@pytest.mark.parametrize(
    ("status", "actor", "message"),
    [
        ("closed", "bob", "unknown status"),
        ("resolved", "", "actor must name who acted"),
        ("resolved", "two\nlines", "actor must name who acted"),
    ],
)
def test_set_status_argument_errors(store: IncidentStore, status: str, actor: str, message: str) -> None:
    incident = store.declare_incident(draft())
    with pytest.raises(InvalidRecordError, match=message):
        store.set_status(incident.id, status, actor)  # type: ignore[arg-type]
    assert store.get_incident(incident.id).status == "open"


def test_closed_store_refuses_calls(database: Database) -> None:
    store = database.open()
    store.declare_incident(draft())
    store.close()
    with pytest.raises(StoreUnavailableError, match="closed"):
        store.get_incident("INC-1")
    with database.open() as reopened:
        assert reopened.get_incident("INC-1").title == "Checkout 500s"


def test_data_survives_reopening(database: Database, clock) -> None:
    with database.open(clock=clock) as first:
        incident = first.declare_incident(draft())
        event, _ = first.append_event(incident.id, note("persisted", details={"k": [1, 2]}))
    with database.open(clock=clock) as second:
        assert second.get_incident(incident.id) == incident
        assert event in second.get_timeline(incident.id)[0]


def test_times_are_stored_as_utc(store: IncidentStore, database: Database, clock) -> None:
    store.declare_incident(draft(declared_at=clock.now))
    ((declared_at, occurred_at),) = database.rows(
        "SELECT i.declared_at, e.occurred_at FROM incidents i JOIN timeline_events e ON e.incident = i.number"
    )
    if database.backend == "sqlite":  # sortable fixed-width text
        assert declared_at == occurred_at == "2026-03-14T03:00:00.000000Z"
    else:  # TIMESTAMPTZ, read back in UTC
        assert declared_at == occurred_at == clock.now
        assert declared_at.utcoffset() == timedelta(0)


def test_clock_must_be_timezone_aware(database: Database) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        database.open(clock=lambda: datetime(2026, 3, 14))
