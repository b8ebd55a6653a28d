"""Coordination in the store: roles with one holder at a time, work items by revision, nothing lost at once."""

from __future__ import annotations

import threading

import pytest
from store_backends import Database

from mcp_server.coordination.models import WorkItem
from mcp_server.store.base import IncidentStore
from mcp_server.store.errors import ConflictError, InvalidRecordError, RecordNotFoundError
from mcp_server.store.models import IncidentDraft


def declare(store: IncidentStore) -> str:
    return store.declare_incident(IncidentDraft(title="Checkout errors", severity="SEV2", declared_by="alice")).id


def run_at_once(count: int, work) -> None:
    barrier = threading.Barrier(count)

    def start(n: int) -> None:
        barrier.wait()
        work(n)

    threads = [threading.Thread(target=start, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_a_role_has_one_holder_and_a_handover_keeps_the_history(store, clock):
    inc = declare(store)
    first = store.assign_role(inc, "incident_commander", "alice", "alice")
    assert store.assign_role(inc, "incident_commander", "alice", "alice") == first  # asking twice is harmless
    with pytest.raises(ConflictError, match="held by alice") as refused:
        store.assign_role(inc, "incident_commander", "bob", "bob")
    assert "expected_holder='alice'" in refused.value.hint
    clock.advance(minutes=30)
    store.assign_role(inc, "incident_commander", "bob", "alice", expected_holder="alice")
    coordination = store.get_coordination(inc)
    assert coordination.roles == {"incident_commander": "bob"}
    history = [(a.person, a.since, a.until) for a in coordination.role_history]
    assert history == [("alice", first.since, clock.now), ("bob", clock.now, None)]
    events = store.get_timeline(inc, kinds=["role_assigned"])[0]
    assert [e.text for e in events] == ["alice is now incident_commander", "bob is now incident_commander (was alice)"]


def test_an_unknown_role_or_a_wrong_expected_holder_is_refused(store):
    inc = declare(store)
    with pytest.raises(InvalidRecordError, match="unknown role"):
        store.assign_role(inc, "chief", "alice", "alice")  # type: ignore[arg-type]
    with pytest.raises(ConflictError, match="nobody holds it"):
        store.assign_role(inc, "scribe", "bob", "bob", expected_holder="alice")
    assert store.get_coordination(inc).role_history == []


def test_items_get_ids_per_kind_and_their_event(store):
    inc = declare(store)
    w = store.add_item(inc, WorkItem(kind="workstream", text="check the pool", owner="bob"), "alice")
    a1 = store.add_item(inc, WorkItem(kind="action", text="roll back", action_kind="mitigation"), "alice")
    a2 = store.add_item(inc, WorkItem(kind="action", text="add a pool alert", action_kind="follow_up"), "alice")
    assert (w.id, w.status, a1.id, a2.id, a2.status) == ("W-1", "active", "A-1", "A-2", "pending")
    events = store.get_timeline(inc, kinds=["action_added"])[0]
    assert [e.id for e in events] == [a1.event_id, a2.event_id]
    assert events[1].text == "Follow-up action A-2: add a pool alert"
    assert [i.id for i in store.get_coordination(inc).of_kind("action")] == ["A-1", "A-2"]


def test_a_stale_update_is_refused_with_the_current_state(store):
    inc = declare(store)
    q = store.add_item(inc, WorkItem(kind="question", text="did the pool size change?"), "alice")
    answered = store.update_item(inc, q.id, {"status": "answered", "note": "yes, 50 to 5"}, 1, "bob")
    assert (answered.revision, answered.status) == (2, "answered")
    with pytest.raises(ConflictError, match="revision 2, not 1") as stale:
        store.update_item(inc, q.id, {"note": "no"}, 1, "carol")
    assert "yes, 50 to 5" in stale.value.message
    assert store.get_coordination(inc).of_kind("question")[0].note == "yes, 50 to 5"


@pytest.mark.parametrize(
    ("item_id", "changes", "error", "text"),
    [
        ("A-9", {"status": "done"}, RecordNotFoundError, "no item A-9"),
        ("X-1", {"status": "done"}, InvalidRecordError, "not an item id"),
        ("A-1", {"status": "finished"}, InvalidRecordError, "not one of a action's"),
        ("A-1", {"kind": "question"}, InvalidRecordError, "cannot change"),
    ],
)
def test_bad_updates_say_what_is_accepted_and_change_nothing(store, item_id, changes, error, text):
    inc = declare(store)
    store.add_item(inc, WorkItem(kind="action", text="roll back"), "alice")
    with pytest.raises(error, match=text):
        store.update_item(inc, item_id, changes, 1, "bob")
    assert store.get_coordination(inc).of_kind("action")[0].revision == 1


def test_eight_responders_adding_at_once_lose_nothing(database: Database):
    with database.open() as setup:
        inc = declare(setup)

    def add(n: int) -> None:
        with database.open() as own:
            own.add_item(inc, WorkItem(kind="ruled_out", text=f"suspect {n}", note="flat"), f"r{n}")
            own.add_item(inc, WorkItem(kind="action", text=f"step {n}"), f"r{n}")

    run_at_once(8, add)
    with database.open() as check:
        coordination = check.get_coordination(inc)
        added = check.get_timeline(inc, kinds=["ruled_out_added", "action_added"])[0]
    assert sorted(i.id for i in coordination.of_kind("ruled_out")) == sorted(f"R-{n}" for n in range(1, 9))
    assert {i.text for i in coordination.of_kind("action")} == {f"step {n}" for n in range(8)}
    assert len(added) == 16


def test_eight_responders_taking_one_free_role_at_once_leave_one_holder(database: Database):
    with database.open() as setup:
        inc = declare(setup)
    refused: list[str] = []

    def take(n: int) -> None:
        with database.open() as own:
            try:
                own.assign_role(inc, "incident_commander", f"r{n}", f"r{n}")
            except ConflictError:
                refused.append(f"r{n}")

    run_at_once(8, take)
    with database.open() as check:
        coordination = check.get_coordination(inc)
    assert len(coordination.role_history) == 1 and len(refused) == 7
    assert coordination.roles["incident_commander"] not in refused


def test_the_record_revision_counts_every_change_and_only_changes(store):
    inc = declare(store)
    assert store.get_coordination(inc).revision == 0
    store.assign_role(inc, "scribe", "carol", "carol")
    store.assign_role(inc, "scribe", "carol", "carol")  # no change, no new revision
    q = store.add_item(inc, WorkItem(kind="question", text="is EU affected?"), "bob")
    store.update_item(inc, q.id, {"status": "answered", "note": "no"}, 1, "carol")
    store.assign_role(inc, "scribe", "dan", "carol", expected_holder="carol")
    with pytest.raises(ConflictError):
        store.update_item(inc, q.id, {"note": "yes"}, 1, "erin")  # refused: no new revision
    assert store.get_coordination(inc).revision == 4


def test_a_question_remembers_who_asked_it(store):
    inc = declare(store)
    asked = store.add_item(inc, WorkItem(kind="question", text="did the pool size change?"), "bob")
    relayed = store.add_item(inc, WorkItem(kind="question", text="ETA?", asked_by="support"), "alice")
    action = store.add_item(inc, WorkItem(kind="action", text="roll back"), "alice")
    assert (asked.asked_by, relayed.asked_by, action.asked_by) == ("bob", "support", "")
    answered = store.update_item(inc, asked.id, {"status": "answered", "note": "yes"}, 1, "carol")
    assert answered.asked_by == "bob"
    with pytest.raises(InvalidRecordError, match="cannot change"):  # who asked is history, not a field to edit
        store.update_item(inc, asked.id, {"asked_by": "dan"}, 2, "carol")
