"""Communication drafts: sequential ids, listing, posting exactly once (threads and processes), remote ids."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime

import incident_store_workers as workers
import pytest
from pydantic import ValidationError
from store_backends import Database

from adapters.models import PostResult
from mcp_server.store import IncidentStore
from mcp_server.store.errors import ConflictError, InvalidRecordError, RecordNotFoundError
from mcp_server.store.models import DraftIn, IncidentDraft

SPAWN = multiprocessing.get_context("spawn")
POSTED_AT = datetime(2026, 3, 14, 3, 10, tzinfo=UTC)


def declare(store: IncidentStore, title: str = "Checkout 500s") -> str:
    return store.declare_incident(IncidentDraft(title=title, severity="SEV2", declared_by="alice")).id


def draft_in(incident_id: str, audience: str = "chat", **overrides: object) -> DraftIn:
    fields: dict[str, object] = {
        "incident_id": incident_id,
        "audience": audience,
        "channel": "#inc-checkout",
        "subject": "Checkout errors",
        "body": "We are investigating elevated checkout errors.",
        "facts": {"severity": "SEV2", "services": ["checkout"]},
        "findings": [{"rule": "no_blame", "text": "bob broke it", "message": "Do not name people"}],
        "token_hash": "sha256:abc",
        "created_by": "alice",
    }
    return DraftIn.model_validate({**fields, **overrides})


def result(remote_id: str = "1710385800.000100") -> PostResult:
    return PostResult(
        target="slack:#inc-checkout", remote_id=remote_id, link="https://x.slack.com/p1", posted_at=POSTED_AT
    )


def test_the_store_still_fulfils_the_protocol(store: IncidentStore) -> None:
    assert isinstance(store, IncidentStore)


def test_save_assigns_sequential_ids_and_created_at(store: IncidentStore, clock) -> None:
    inc = declare(store)
    first = store.save_draft(draft_in(inc))
    clock.advance(minutes=1)
    second = store.save_draft(
        draft_in(inc, "status_page", public_state="investigating", components={"Checkout": "partial_outage"})
    )
    assert (first.id, second.id) == ("D-1", "D-2")
    assert first.created_at == datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
    assert second.created_at == datetime(2026, 3, 14, 3, 1, tzinfo=UTC)
    assert (first.incident_id, first.audience, first.created_by) == (inc, "chat", "alice")
    assert first.facts == {"severity": "SEV2", "services": ["checkout"]}
    assert first.findings[0]["rule"] == "no_blame"
    assert second.components == {"Checkout": "partial_outage"} and second.public_state == "investigating"
    assert (first.posted_at, first.post, first.confirmed_by) == (None, None, "")
    assert store.get_draft("D-2") == second
    assert store.get_draft("d2") == second


def test_list_drafts_by_incident_and_audience(store: IncidentStore) -> None:
    one, two = declare(store), declare(store, "other")
    store.save_draft(draft_in(one))
    store.save_draft(draft_in(two))
    store.save_draft(draft_in(one, "exec_email"))
    store.save_draft(draft_in(one))
    assert [d.id for d in store.list_drafts(one)] == ["D-1", "D-3", "D-4"]
    assert [d.id for d in store.list_drafts(one, audience="chat")] == ["D-1", "D-4"]
    assert store.list_drafts(two, audience="support") == []
    with pytest.raises(InvalidRecordError, match="unknown audience"):
        store.list_drafts(one, audience="twitter")  # type: ignore[arg-type]


def test_unknown_draft_lists_recent_drafts_of_the_incident(store: IncidentStore) -> None:
    one, two = declare(store), declare(store, "other")
    store.save_draft(draft_in(one))
    store.save_draft(draft_in(two, "support"))
    with pytest.raises(RecordNotFoundError) as exc_info:
        store.get_draft("D-9", incident_id=one)
    assert "D-1 (INC-1 chat)" in exc_info.value.hint and "D-2" not in exc_info.value.hint
    with pytest.raises(RecordNotFoundError, match="of INC-1"):
        store.get_draft("D-2", incident_id=one)  # exists, but belongs to another incident
    with pytest.raises(RecordNotFoundError) as exc_info:
        store.get_draft("nonsense")
    assert "look like D-3" in exc_info.value.message and "D-2 (INC-2 support)" in exc_info.value.hint
    with pytest.raises(RecordNotFoundError, match="no incident"):
        store.save_draft(draft_in("INC-42"))


def test_draft_input_is_validated() -> None:
    with pytest.raises(ValidationError, match="audience"):
        draft_in("INC-1", "pager")
    with pytest.raises(ValidationError, match="created_by"):
        draft_in("INC-1", created_by="  ")


def test_claim_complete_and_release(store: IncidentStore) -> None:
    draft = store.save_draft(draft_in(declare(store)))
    assert store.claim_post(draft.id, "alice") is True
    assert store.claim_post(draft.id, "bob") is False
    store.release_claim(draft.id)  # the post failed: retry allowed
    assert store.get_draft(draft.id).confirmed_by == ""
    assert store.claim_post(draft.id, "bob") is True
    posted = store.complete_post(draft.id, result())
    assert (posted.posted_at, posted.post, posted.confirmed_by) == (POSTED_AT, result(), "bob")
    assert store.claim_post(draft.id, "carol") is False
    store.release_claim(draft.id)  # a posted draft stays posted
    assert store.get_draft(draft.id).post == result()
    with pytest.raises(ConflictError, match="already posted"):
        store.complete_post(draft.id, result("other"))


def test_claim_from_eight_threads_exactly_one_wins(store: IncidentStore) -> None:
    draft = store.save_draft(draft_in(declare(store)))
    barrier = threading.Barrier(8)
    wins: list[bool] = []

    def claim(n: int) -> None:
        barrier.wait()
        wins.append(store.claim_post(draft.id, f"thread-{n}"))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(wins) == [False] * 7 + [True]
    assert store.get_draft(draft.id).confirmed_by.startswith("thread-")


def test_claim_from_four_processes_exactly_one_wins(database: Database) -> None:
    with database.open() as store:
        draft = store.save_draft(draft_in(declare(store)))
    go, results = SPAWN.Event(), SPAWN.Queue()
    processes = [
        SPAWN.Process(target=workers.claim_draft, args=(database.target, draft.id, w, go, results)) for w in range(4)
    ]
    for process in processes:
        process.start()
    go.set()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0] * 4
    winners = [worker for worker, won in outcomes if won]
    assert len(winners) == 1
    with database.open() as store:
        assert store.get_draft(draft.id).confirmed_by == f"worker-{winners[0]}"


def test_remote_ids_are_per_incident_and_target(store: IncidentStore) -> None:
    one, two = declare(store), declare(store, "other")
    assert store.get_remote_id(one, "statuspage") is None
    store.set_remote_id(one, "statuspage", "p0abc")
    store.set_remote_id(two, "statuspage", "p0def")
    store.set_remote_id(one, "statuspage", "p0xyz")  # replaced
    assert store.get_remote_id(one, "statuspage") == "p0xyz"
    assert store.get_remote_id(two, "statuspage") == "p0def"
    assert store.get_remote_id(one, "email") is None
    with pytest.raises(InvalidRecordError, match="remote_id"):
        store.set_remote_id(one, "statuspage", "")
