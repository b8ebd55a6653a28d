"""The PostgreSQL store under threads: pooled connections against a connection per operation, and SQLite.

Run from the repository root (needs Debian's ``postgresql`` package, as the tests do)::

    .venv/bin/python benchmarks/store_postgres.py [--seconds 3] [--threads 1,8]

Starts a throwaway PostgreSQL with the tests' harness (tests/pg_server.py: loopback, fsync off), then
for each thread count runs ``append_event`` (a write: the write lock, a dedup check, an insert and
the incident's updated_at) and ``get_incident`` (a read) as fast as the threads can for
``--seconds``, and prints operations per second for:

- ``postgres pool``: the store as shipped (a bounded pool of 10 connections);
- ``postgres per-op``: the same store made to close every connection after each operation, i.e. a
  new connection (fork + SCRAM authentication) per call: the alternative the pool was chosen over;
- ``sqlite``: the SQLite store on a temporary file (synchronous=FULL), for scale.

The figures depend on the machine; the ratio between the first two is the point.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from pg_server import postgres_server  # noqa: E402

from mcp_server.store.base import IncidentStore  # noqa: E402
from mcp_server.store.models import IncidentDraft, TimelineEntry  # noqa: E402
from mcp_server.store.postgres import PostgresIncidentStore  # noqa: E402
from mcp_server.store.postgres_pool import ConnectionPool  # noqa: E402
from mcp_server.store.sqlite import SqliteIncidentStore  # noqa: E402


class PerOperationPool(ConnectionPool):
    """A pool that never keeps a connection: every operation connects anew."""

    def release(self, conn: Any) -> None:
        super().release(conn)
        self.close_idle()

    def close_idle(self) -> None:
        with self._cond:
            idle, self._idle = self._idle, []
            self._size -= len(idle)
        for conn in idle:
            conn.close()


def per_operation(store: PostgresIncidentStore) -> PostgresIncidentStore:
    store._pool.close()
    store._pool = PerOperationPool(store._connect, max_size=100, wait_timeout=30)
    return store


def rate(store: IncidentStore, threads: int, seconds: float, op: str) -> float:
    """Operations per second of ``op`` over ``threads`` threads for ``seconds``."""
    incident = store.declare_incident(IncidentDraft(title="bench", severity="SEV3", declared_by="bench")).id
    counts = [0] * threads
    stop = time.monotonic() + seconds
    calls: dict[str, Callable[[int, int], object]] = {
        "append_event": lambda t, n: store.append_event(
            incident, TimelineEntry(source="bench", kind="note", text="x", source_id=f"{t}-{n}")
        ),
        "get_incident": lambda t, n: store.get_incident(incident),
    }
    call = calls[op]

    def work(t: int) -> None:
        while time.monotonic() < stop:
            call(t, counts[t])
            counts[t] += 1

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", default="1,8")
    args = parser.parse_args()
    thread_counts = [int(n) for n in args.threads.split(",")]
    with postgres_server() as server, tempfile.TemporaryDirectory() as scratch:
        stores: dict[str, Callable[[], IncidentStore]] = {
            "postgres pool": lambda: PostgresIncidentStore(server.new_database()),
            "postgres per-op": lambda: per_operation(PostgresIncidentStore(server.new_database())),
            "sqlite": lambda: SqliteIncidentStore(Path(scratch) / f"{time.monotonic_ns()}.sqlite3"),
        }
        print(f"{'store':<17}{'operation':<14}" + "".join(f"{f'{n} thread(s)':>14}" for n in thread_counts))
        for name, make in stores.items():
            for op in ("append_event", "get_incident"):
                figures = []
                for threads in thread_counts:
                    with make() as store:
                        figures.append(rate(store, threads, args.seconds, op))
                print(f"{name:<17}{op:<14}" + "".join(f"{f'{f:,.0f}/s':>14}" for f in figures))


if __name__ == "__main__":
    main()
