"""Several threads and processes writing one database, and a writer killed mid-way, on both backends."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import threading
import time

import incident_store_workers as workers
import pytest
from store_backends import Database

from mcp_server.store.migrations import MIGRATIONS
from mcp_server.store.models import IncidentDraft, TimelineEntry

SPAWN = multiprocessing.get_context("spawn")
JOIN_TIMEOUT = 120  # a safety net so a hung child fails the test instead of hanging it; not a measurement


def declare(database: Database) -> str:
    with database.open() as store:
        return store.declare_incident(IncidentDraft(title="load", severity="SEV2", declared_by="tester")).id


def run_all(processes: list) -> None:
    for process in processes:
        process.start()


def join_all(processes: list) -> None:
    for process in processes:
        process.join(JOIN_TIMEOUT)
    for process in processes:
        if process.is_alive():
            process.kill()
    assert [p.exitcode for p in processes] == [0] * len(processes), "a worker failed; its traceback is above"


def test_four_processes_appending_at_once_all_land(database: Database) -> None:
    incident_id = declare(database)
    per_worker = 200
    go = SPAWN.Event()
    processes = [
        SPAWN.Process(target=workers.append_many, args=(database.target, incident_id, w, per_worker, go))
        for w in range(4)
    ]
    run_all(processes)
    go.set()  # released together, so the appends really contend for the write lock
    join_all(processes)

    events = database.rows("SELECT id, source_id, details FROM timeline_events WHERE kind = 'note'")
    assert len(events) == 4 * per_worker
    assert len({event_id for event_id, _, _ in events}) == len(events)
    assert {source_id for _, source_id, _ in events} == {f"{w}-{s}" for w in range(4) for s in range(per_worker)}
    for _, source_id, details in events:
        parsed = json.loads(details) if isinstance(details, str) else details
        assert source_id == f"{parsed['worker']}-{parsed['seq']}"
    with database.open() as store:
        assert store.get_timeline(incident_id, limit=1000)[0][-1].kind == "note"


def test_processes_opening_a_fresh_database_together_migrate_once(database: Database) -> None:
    go = SPAWN.Event()
    processes = [SPAWN.Process(target=workers.open_fresh_and_declare, args=(database.target, w, go)) for w in range(4)]
    run_all(processes)
    go.set()
    join_all(processes)
    assert database.rows("SELECT version FROM schema_migrations ORDER BY version") == [(m.version,) for m in MIGRATIONS]
    assert database.rows("SELECT number FROM incidents ORDER BY number") == [(1,), (2,), (3,), (4,)]
    assert sorted(database.rows("SELECT title FROM incidents")) == [(f"from worker {w}",) for w in range(4)]


def test_threads_sharing_one_store_all_land(database: Database) -> None:
    store = database.open()
    incident_id = store.declare_incident(IncidentDraft(title="t", severity="SEV3", declared_by="a")).id
    errors: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            for seq in range(50):
                entry = TimelineEntry(source="slack", kind="message", text="m", source_id=f"{thread}-{seq}")
                store.append_event(incident_id, entry)
                # Every thread also re-sends one shared message: dedup must hold across threads.
                dup = TimelineEntry(source="slack", kind="message", text="m", source_id="dup")
                store.append_event(incident_id, dup)
                store.get_timeline(incident_id, limit=5)
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    events, truncated = store.get_timeline(incident_id, kinds=["message"], limit=1000)
    assert truncated is False
    assert len(events) == 8 * 50 + 1
    assert sum(1 for e in events if e.source_id == "dup") == 1


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_killed_writer_leaves_only_whole_events(database: Database) -> None:
    incident_id = declare(database)
    writer = SPAWN.Process(target=workers.append_forever, args=(database.target, incident_id))
    writer.start()
    try:
        _wait_for_events(database, writer, at_least=150)
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.join(JOIN_TIMEOUT)
    assert writer.exitcode == -signal.SIGKILL

    if database.backend == "sqlite":
        assert database.rows("PRAGMA integrity_check") == [("ok",)]
    events = database.rows("SELECT source_id, text, details FROM timeline_events WHERE kind = 'note'")
    seqs = sorted(int(source_id) for source_id, _, _ in events)
    # Appends are sequential, so the survivors are exactly 0..max: nothing lost before the last commit.
    assert seqs == list(range(len(events)))
    for source_id, text, details in events:
        parsed = json.loads(details) if isinstance(details, str) else details
        assert parsed == {"seq": int(source_id), "blob": workers.BLOB}
        assert text == f"event {source_id}"
    # And the database is fully usable afterwards.
    with database.open() as store:
        _, created = store.append_event(incident_id, TimelineEntry(source="human", kind="note", text="after the crash"))
        assert created is True
        assert store.get_incident(incident_id).id == incident_id


def _wait_for_events(database: Database, writer: multiprocessing.process.BaseProcess, at_least: int) -> None:
    """Poll until the writer has committed ``at_least`` events (and is still writing)."""
    deadline = time.monotonic() + JOIN_TIMEOUT  # safety net only
    while time.monotonic() < deadline:
        assert writer.is_alive(), "the writer died before it was killed"
        if database.count("timeline_events") > at_least:
            return
        time.sleep(0.01)
    pytest.fail(f"the writer did not commit {at_least} events in time")
