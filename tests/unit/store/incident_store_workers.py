"""Code that runs in child processes for the store's concurrency tests (spawned, so importable by name).

``path`` is a SQLite file or a PostgreSQL URL: the same workers run against either backend.
"""

from __future__ import annotations

from multiprocessing.synchronize import Event

from store_backends import open_target

from mcp_server.store.models import IncidentDraft, TimelineEntry

BLOB = "x" * 4000  # large enough that a write spans several pages, so a kill can land mid-write


def append_many(path: str, incident_id: str, worker: int, count: int, go: Event) -> None:
    """Wait for the start signal, then append ``count`` events tagged with this worker's number."""
    store = open_target(path)
    go.wait()
    for seq in range(count):
        store.append_event(
            incident_id,
            TimelineEntry(
                source="human",
                kind="note",
                text=f"worker {worker} event {seq}",
                source_id=f"{worker}-{seq}",
                details={"worker": worker, "seq": seq},
            ),
        )
    store.close()


def append_forever(path: str, incident_id: str) -> None:
    """Append numbered events until killed; seq n is only written after seq n-1 has committed."""
    store = open_target(path)
    seq = 0
    while True:
        store.append_event(
            incident_id,
            TimelineEntry(
                source="human",
                kind="note",
                text=f"event {seq}",
                source_id=str(seq),
                details={"seq": seq, "blob": BLOB},
            ),
        )
        seq += 1


def open_fresh_and_declare(path: str, worker: int, go: Event) -> None:
    """Open a database that may not exist yet, at the same moment as other workers, and declare."""
    go.wait()
    store = open_target(path)
    store.declare_incident(IncidentDraft(title=f"from worker {worker}", severity="SEV3", declared_by=f"w{worker}"))
    store.close()


def claim_draft(path: str, draft_id: str, worker: int, go: Event, results: object) -> None:
    """Wait for the start signal, try to claim the draft, and report (worker, won) on the queue."""
    store = open_target(path)
    go.wait()
    won = store.claim_post(draft_id, confirmed_by=f"worker-{worker}")
    results.put((worker, won))  # type: ignore[attr-defined]
    store.close()
