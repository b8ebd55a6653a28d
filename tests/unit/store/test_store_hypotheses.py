"""Hypotheses in the store: ids and revisions, a stale update refused with the current state, the audit trail."""

from __future__ import annotations

import threading

import pytest
from store_backends import Database

from mcp_server.hypotheses.models import Evidence, Hypothesis
from mcp_server.store.base import IncidentStore
from mcp_server.store.errors import ConflictError, RecordNotFoundError
from mcp_server.store.models import IncidentDraft


def declare(store: IncidentStore) -> str:
    return store.declare_incident(IncidentDraft(title="Checkout errors", severity="SEV2", declared_by="alice")).id


def evidence(summary: str) -> Evidence:
    return Evidence(direction="for", summary=summary, source="query", reference="rate(errors[5m])")


def test_recorded_hypotheses_get_ids_revision_one_and_a_timeline_event(store, clock):
    inc = declare(store)
    first = store.record_hypothesis(inc, Hypothesis(statement="pool exhausted"), "alice")
    second = store.record_hypothesis(inc, Hypothesis(statement="bad deploy"), "bob")
    assert (first.id, first.revision, first.updated_at) == ("H-1", 1, clock.now)
    assert second.id == "H-2"
    assert store.list_hypotheses(inc) == [first, second]
    events = store.get_timeline(inc, kinds=["hypothesis_recorded"])[0]
    assert [(e.actor, e.details["hypothesis"]) for e in events] == [("alice", "H-1"), ("bob", "H-2")]


def test_an_update_bumps_the_revision_and_records_what_changed(store, clock):
    inc = declare(store)
    h = store.record_hypothesis(inc, Hypothesis(statement="pool exhausted"), "alice")
    clock.advance(minutes=3)
    changed = h.model_copy(update={"status": "investigating", "evidence": [evidence("waits rose")]})
    updated = store.update_hypothesis(inc, changed, expected_revision=1, actor="bob")
    assert (updated.revision, updated.updated_at) == (2, clock.now)
    assert store.get_hypothesis(inc, "h-1") == updated
    event = store.get_timeline(inc, kinds=["hypothesis_updated"])[0][0]
    assert event.text == "Hypothesis H-1 updated: status proposed -> investigating, evidence"
    assert event.details == {"hypothesis": "H-1", "revision": 2, "status": "investigating"}


def test_a_stale_revision_is_refused_with_the_current_state_and_nothing_is_written(store):
    inc = declare(store)
    h = store.record_hypothesis(inc, Hypothesis(statement="pool exhausted"), "alice")
    store.update_hypothesis(inc, h.model_copy(update={"owner": "bob"}), expected_revision=1, actor="bob")
    before = store.get_timeline(inc)[0]
    with pytest.raises(ConflictError) as info:
        store.update_hypothesis(inc, h.model_copy(update={"owner": "carol"}), expected_revision=1, actor="carol")
    assert "at revision 2, not 1" in info.value.message and '"owner":"bob"' in info.value.message
    assert store.get_hypothesis(inc, "H-1").owner == "bob"
    assert store.get_timeline(inc)[0] == before


def test_unknown_hypotheses_and_other_incidents_hypotheses_are_not_found(store):
    inc, other = declare(store), declare(store)
    store.record_hypothesis(other, Hypothesis(statement="elsewhere"), "alice")
    with pytest.raises(RecordNotFoundError, match="no hypothesis 'H-1'") as info:
        store.get_hypothesis(inc, "H-1")
    assert "none yet" in info.value.hint
    with pytest.raises(RecordNotFoundError, match="no hypothesis 'nonsense'"):
        store.update_hypothesis(other, Hypothesis(id="nonsense", statement="x"), expected_revision=1, actor="a")


def test_two_writers_at_one_revision_one_wins_one_is_refused(database: Database):
    with database.open() as setup:
        inc = declare(setup)
        base = setup.record_hypothesis(inc, Hypothesis(statement="pool exhausted"), "alice")
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def writer(name: str) -> None:
        with database.open() as own:
            barrier.wait()
            try:
                own.update_hypothesis(inc, base.model_copy(update={"owner": name}), expected_revision=1, actor=name)
                outcomes.append(name)
            except ConflictError:
                outcomes.append("refused")

    threads = [threading.Thread(target=writer, args=(f"r{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o != "refused"]
    with database.open() as check:
        final = check.get_hypothesis(inc, "H-1")
        updates = check.get_timeline(inc, kinds=["hypothesis_updated"])[0]
    assert len(winners) == 1 and outcomes.count("refused") == 7
    assert (final.owner, final.revision, len(updates)) == (winners[0], 2, 1)


def test_evidence_added_by_many_writers_at_once_all_lands_with_one_event_each(store):
    inc = declare(store)
    h = store.record_hypothesis(inc, Hypothesis(statement="pool exhausted"), "alice")
    writers = [
        threading.Thread(target=store.add_evidence, args=(inc, h.id, evidence(f"finding {n}"), f"r{n}"))
        for n in range(8)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    final = store.get_hypothesis(inc, h.id)
    assert sorted(e.summary for e in final.evidence) == sorted(f"finding {n}" for n in range(8))
    assert final.revision == 9
    assert {e.added_by for e in final.evidence} == {f"r{n}" for n in range(8)}
    events = store.get_timeline(inc, kinds=["evidence_added"])[0]
    assert len(events) == 8 and sorted(e.details["revision"] for e in events) == list(range(2, 10))


def test_evidence_for_a_hypothesis_that_does_not_exist_names_the_known_ids(store):
    inc = declare(store)
    store.record_hypothesis(inc, Hypothesis(statement="pool exhausted"), "alice")
    with pytest.raises(RecordNotFoundError) as caught:
        store.add_evidence(inc, "H-99", evidence("x"), "bob")
    assert "H-1" in caught.value.describe()
    assert store.get_timeline(inc, kinds=["evidence_added"])[0] == []


def test_record_if_new_keeps_one_hypothesis_per_statement_even_when_proposed_at_once(store):
    inc = declare(store)
    results: list[tuple[Hypothesis, bool]] = []
    writers = [
        threading.Thread(
            target=lambda n=n: results.append(
                store.record_if_new(inc, Hypothesis(statement="Pool  EXHAUSTED" if n % 2 else "pool exhausted"), "a")
            )
        )
        for n in range(6)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert len(store.list_hypotheses(inc)) == 1
    assert sorted(created for _, created in results) == [False] * 5 + [True]
    assert {h.id for h, _ in results} == {"H-1"}
    assert len(store.get_timeline(inc, kinds=["hypothesis_recorded"])[0]) == 1
