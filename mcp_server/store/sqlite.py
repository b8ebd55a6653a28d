"""The SQLite incident store: one file, safe for many threads and several processes at once.

Choices, and why:

- **A connection per operation.** Every call opens its own connection, does its work in one
  transaction and closes it. The MCP server calls the store from a pool of worker threads, and the
  CLI, the demo and a second Claude Code session may write the same file from other processes;
  per-operation connections are never shared between threads, never inherited across ``fork``,
  and leave nothing to clean up in other threads when ``close()`` runs. Opening a SQLite
  connection costs well under a millisecond, negligible at incident pace (a few writes a second).
- **WAL journal mode** (set once; it is stored in the file): readers never block the writer and
  the writer never blocks readers, so a long timeline read cannot stall a Slack import.
- **synchronous=FULL**: in WAL mode, NORMAL already survives a killed process, but may lose the
  last commits on power loss or an OS crash. The record is what people reconstruct the incident
  from, writes are rare, and one fsync per commit is cheap at that rate, so we keep every
  acknowledged write.
- **The switch to WAL is retried** until the busy timeout: SQLite answers "database is locked" at
  once, without its busy handler, when another connection holds a lock during the journal-mode
  change, as happens when several processes open a fresh file together.
- **busy_timeout** (10 s by default) and **BEGIN IMMEDIATE** for every write: the write lock is
  taken at the start of the transaction, so two writers queue on the busy handler instead of one
  failing with "database is locked" when it upgrades a read lock half-way.
- **Timestamps** are fixed-width ISO-8601 UTC text (``migrations.to_db_time``): sortable as text,
  readable in the sqlite3 shell.
- **Nothing half-written**: each operation is one transaction; any exception rolls it back, so an
  incident never exists without its ``declared`` event and a failed append leaves no row.

The operations themselves are shared with PostgreSQL (``records.py`` and the modules it combines);
this module is only the file, its pragmas, its transactions and its errors.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from adapters.models import utcnow
from mcp_server.store.core import check_clock
from mcp_server.store.errors import (
    ConflictError,
    StoreConfigError,
    StoreCorruptError,
    StoreError,
    StoreUnavailableError,
)
from mcp_server.store.migrations import MIGRATIONS, Migration, migrate, refuse_newer
from mcp_server.store.records import SYSTEM_SOURCE, IncidentRecords

__all__ = ["DEFAULT_BUSY_TIMEOUT", "SYSTEM_SOURCE", "SqliteIncidentStore"]

DEFAULT_BUSY_TIMEOUT = 10.0
WAL_RETRY_PAUSE = 0.02  # seconds between tries of the journal-mode switch; short, as the lock is brief


class SqliteIncidentStore(IncidentRecords):
    """An ``IncidentStore`` in one SQLite file; create it once and share it between threads."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], datetime] = utcnow,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        migrations: tuple[Migration, ...] = MIGRATIONS,
    ) -> None:
        if str(path).strip() in ("", ":memory:"):
            raise StoreConfigError(
                f"incident store path {str(path)!r} is not a file path",
                hint="Use a file path: each operation opens its own connection, so ':memory:' would start empty.",
            )
        check_clock(clock)
        self.path = Path(path)
        self._clock = clock
        self._busy_timeout = busy_timeout
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreConfigError(f"cannot create the directory of {self.path}: {exc}") from exc
        self._initialise(migrations)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def _initialise(self, migrations: tuple[Migration, ...]) -> None:
        """Check the schema version before writing anything, then switch to WAL and migrate."""
        with self._connection() as conn:
            refuse_newer(conn, str(self.path), migrations)
            mode = self._switch_to_wal(conn)
            if mode.lower() != "wal":
                raise StoreConfigError(
                    f"{self.path}: SQLite could not switch to WAL journal mode (got {mode!r})",
                    hint="Put the incident database on a local disk; network file systems do not support WAL.",
                )
            migrate(conn, str(self.path), migrations, self._now)

    def _switch_to_wal(self, conn: sqlite3.Connection) -> str:
        """Set WAL journal mode, retrying while locked until the busy timeout; return the mode set."""
        deadline = time.monotonic() + self._busy_timeout
        while True:
            try:
                return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if not _is_lock_error(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(WAL_RETRY_PAUSE)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A fresh, configured connection in autocommit mode; SQLite errors become store errors."""
        if self._closed:
            raise StoreUnavailableError("the incident store is closed", hint="Open a new store.")
        conn: sqlite3.Connection | None = None
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves instead of Python's implicit ones.
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = FULL")
            yield conn
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from exc
        finally:
            if conn is not None:
                conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; the write lock is taken up front (BEGIN IMMEDIATE)."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            with _rollback_on_error(conn):
                yield conn
                conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction, so every query of an operation sees the same snapshot."""
        with self._connection() as conn:
            conn.execute("BEGIN")
            with _rollback_on_error(conn):
                yield conn
                conn.execute("COMMIT")


@contextmanager
def _rollback_on_error(conn: sqlite3.Connection) -> Iterator[None]:
    try:
        yield
    except BaseException:
        # Some errors (disk full, I/O) already rolled back; a second ROLLBACK would raise and hide them.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _is_lock_error(exc: sqlite3.Error) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


def translate(exc: sqlite3.Error, path: Path) -> StoreError:
    """A SQLite error as one of the store's errors, with advice."""
    text = str(exc)
    if _is_lock_error(exc):
        return StoreUnavailableError(
            f"incident database {path} stayed locked by another writer",
            upstream=text,
            hint="Another process held the write lock longer than the busy timeout; retry in a moment.",
        )
    if isinstance(exc, sqlite3.IntegrityError):
        return ConflictError(f"the incident database refused the record: {text}", upstream=text)
    if "not a database" in text or "malformed" in text:
        return StoreCorruptError(
            f"{path} is not a usable incident database",
            upstream=text,
            hint="Point FIRSTFIFTEEN_DB (or store.path) at another file; keep this one for inspection.",
        )
    return StoreUnavailableError(f"incident database {path}: {text}", upstream=text)
