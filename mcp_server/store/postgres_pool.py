"""A small bounded pool of PostgreSQL connections, shared by the threads that call the store.

Why a pool of our own: a new PostgreSQL connection costs a server process fork and an
authentication round trip (milliseconds, see docs/incident-store.md for the figures), against a
fraction of a millisecond to reuse one; the MCP server calls the store from many worker threads.
The pool is deliberately plain — no background threads, no health-check queries:

- at most ``max_size`` connections; they are opened lazily, and a caller that finds all of them
  busy waits up to ``wait_timeout`` seconds, then gets StoreUnavailableError (never a hang);
- a connection comes back only if it is idle and healthy (no open transaction, not broken);
  anything else is closed and its slot freed;
- after ``fork`` the child never touches the parent's connections (they share its sockets): it
  forgets them and opens its own;
- ``close()`` closes the idle connections at once and the busy ones as they come back; later
  calls raise StoreUnavailableError.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from mcp_server.store.errors import StoreUnavailableError


class ConnectionPool:
    """Up to ``max_size`` connections from ``connect``, lent one at a time to callers in any thread."""

    def __init__(self, connect: Callable[[], psycopg.Connection[Any]], *, max_size: int, wait_timeout: float) -> None:
        if max_size < 1:
            raise ValueError("a pool needs room for at least one connection")
        self._connect = connect
        self._max_size = max_size
        self._wait_timeout = wait_timeout
        self._idle: list[psycopg.Connection[Any]] = []
        self._size = 0  # connections open now, idle or lent
        self._closed = False
        self._pid = os.getpid()
        self._inherited: list[psycopg.Connection[Any]] = []  # a parent's, kept so they are never finalised here
        self._cond = threading.Condition()

    @property
    def size(self) -> int:
        """How many connections are open (idle or lent)."""
        return self._size

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """Lend a connection for the block; it goes back, or is closed if unhealthy."""
        conn = self.acquire()
        try:
            yield conn
        finally:
            self.release(conn)

    def close(self) -> None:
        """Close the idle connections now and the lent ones when they return; refuse later calls."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._size -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            conn.close()

    def acquire(self, *, fresh: bool = False) -> psycopg.Connection[Any]:
        """A connection of one's own until ``release``: an idle one, else a new one (always new when ``fresh``)."""
        deadline = time.monotonic() + self._wait_timeout
        with self._cond:
            while True:
                self._forget_after_fork()
                if self._closed:
                    raise StoreUnavailableError("the incident store is closed", hint="Open a new store.")
                if self._idle and not fresh:
                    return self._idle.pop()
                if self._idle and fresh:
                    self._discard_locked(self._idle.pop(0))
                if self._size < self._max_size:
                    self._size += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreUnavailableError(
                        f"all {self._max_size} connections to the incident database stayed busy for "
                        f"{self._wait_timeout:g} s",
                        hint="Retry in a moment; if it persists, raise store.pool_size or look for slow statements.",
                    )
                self._cond.wait(left)
        try:
            return self._connect()  # outside the lock: connecting may take up to the connect timeout
        except BaseException:
            with self._cond:
                self._size -= 1
                self._cond.notify()
            raise

    def release(self, conn: psycopg.Connection[Any]) -> None:
        """Give a connection back: kept if idle and healthy, closed otherwise."""
        healthy = (
            not conn.closed and not conn.broken and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        )
        with self._cond:
            if os.getpid() != self._pid:
                return  # lent before a fork; the parent still owns it
            if healthy and not self._closed:
                self._idle.append(conn)
                self._cond.notify()
                return
            self._size -= 1
            self._cond.notify()
        conn.close()

    def _discard_locked(self, conn: psycopg.Connection[Any]) -> None:
        self._size -= 1
        conn.close()

    def _forget_after_fork(self) -> None:
        if os.getpid() == self._pid:
            return
        self._inherited.extend(self._idle)
        self._idle, self._size, self._pid = [], 0, os.getpid()
