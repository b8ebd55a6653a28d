"""The PostgreSQL incident store: the same operations as SQLite's, on a server shared by a team.

Only the connections, transactions and errors are PostgreSQL's own here; every operation is the
shared code in ``records.py`` and the modules it combines, and the schema is the same list of
steps (``migrations.MIGRATIONS``, PostgreSQL text in ``postgres_schema.py``). Choices, and why:

- **Writes are serialised by one advisory lock** (``pg_advisory_xact_lock``, taken by the first
  statement of every write transaction and released at its end), as SQLite's ``BEGIN IMMEDIATE``
  serialises them: every check-then-write (dedup by source id, revision checks, one role holder,
  a draft claimed once, the next ``INC-<n>``) behaves exactly as on SQLite, across threads,
  processes and machines. Writes are short (a few statements), so the queue stays short at
  incident pace. Reads take no lock: each is one ``REPEATABLE READ READ ONLY`` snapshot.
- **A small bounded pool** (``postgres_pool.py``) rather than a connection per operation: opening
  a connection costs a server fork and authentication. ``store.pool_size`` bounds it (default 10).
- **Never a hang**: a connect timeout (``store.connect_timeout``, whole seconds, default 5), a
  statement timeout (``store.statement_timeout``, default 5 s, which also bounds waiting for the
  write lock), a TCP user timeout, and an idle-in-transaction timeout so a stuck client cannot
  hold the write lock. A server that is down or unreachable is StoreUnavailableError naming
  host:port, never the password.
- The driver is psycopg 3, imported only when this backend is chosen (``open_store`` imports
  this module lazily), so SQLite users never need it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import AdaptersMap
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg.types.string import TextLoader

from adapters.models import utcnow
from mcp_server.store.core import Cursor, Db, check_clock
from mcp_server.store.errors import (
    ConflictError,
    InvalidRecordError,
    StoreConfigError,
    StoreError,
    StoreUnavailableError,
)
from mcp_server.store.migrations import MIGRATIONS, Dialect, Migration, run_steps
from mcp_server.store.postgres_pool import ConnectionPool
from mcp_server.store.records import SYSTEM_SOURCE, IncidentRecords
from mcp_server.store.settings import redact_url

__all__ = ["SYSTEM_SOURCE", "PostgresIncidentStore"]

DEFAULT_CONNECT_TIMEOUT = 5
DEFAULT_STATEMENT_TIMEOUT = 5.0
DEFAULT_POOL_SIZE = 10
IDLE_IN_TRANSACTION_TIMEOUT = 60.0
# pg_advisory_xact_lock(class, object): the class is 'fift' in ASCII, so firstfifteen's locks are
# recognisable in pg_locks; object 1 is the write lock, 2 the migration lock.
LOCK_CLASS = 0x66696674
WRITE_LOCK = f"SELECT pg_advisory_xact_lock({LOCK_CLASS}, 1)"
MIGRATION_LOCK = f"SELECT pg_advisory_xact_lock({LOCK_CLASS}, 2)"
_READ = ("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",)
_WRITE = ("BEGIN ISOLATION LEVEL READ COMMITTED", WRITE_LOCK)
# JSON columns come back as their text, exactly as SQLite's do, so the shared code reads them alike.
_ADAPTERS = AdaptersMap(psycopg.adapters)
_ADAPTERS.register_loader("json", TextLoader)
_ADAPTERS.register_loader("jsonb", TextLoader)


@functools.lru_cache(maxsize=512)
def pg_sql(sql: str) -> str:
    """The shared SQL (``?`` placeholders) in psycopg's parameter style (``%s``, a literal % doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgDb:
    """A psycopg connection as the shared operations' ``Db``."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        """Run one statement with ``?`` placeholders."""
        if parameters:
            return self.conn.execute(pg_sql(sql), tuple(parameters))
        return self.conn.execute(sql)


class PostgresIncidentStore(IncidentRecords):
    """An ``IncidentStore`` in a PostgreSQL database; create it once and share it between threads."""

    NO_END = None
    STILL_FIRING = "ends_at IS NULL"

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] = utcnow,
        connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
        statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT,
        pool_size: int = DEFAULT_POOL_SIZE,
        migrations: tuple[Migration, ...] = MIGRATIONS,
    ) -> None:
        check_clock(clock)
        self.where = redact_url(url)
        self._server = ServerInfo.of(url)
        self._url = url
        self._clock = clock
        self._closed = False
        self._connect_timeout = max(2, int(connect_timeout))  # libpq counts whole seconds, at least 2
        self._statement_timeout = statement_timeout
        wait = self._connect_timeout + statement_timeout
        self._pool = ConnectionPool(self._connect, max_size=pool_size, wait_timeout=wait)
        try:
            self._initialise(migrations)
        except BaseException:
            self._pool.close()
            raise

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.where!r})"

    def close(self) -> None:
        """Close every pooled connection; later calls raise StoreUnavailableError."""
        self._closed = True
        self._pool.close()

    def _initialise(self, migrations: tuple[Migration, ...]) -> None:
        """Refuse a newer schema before writing anything, then apply the missing steps (once, under a lock)."""
        with self._translated(), self._pool.connection() as conn:
            run_steps(PgSchema(conn, self.where), migrations, self._now)

    def _connect(self) -> psycopg.Connection[Any]:
        """A new connection in autocommit mode (we send BEGIN/COMMIT), its session bounded in time."""
        timeout_ms = int(self._statement_timeout * 1000)
        conn = psycopg.connect(
            self._url,
            autocommit=True,
            context=_ADAPTERS,
            row_factory=dict_row,
            connect_timeout=str(self._connect_timeout),
            # Unacknowledged data (a server that vanished mid-query) fails the socket instead of waiting on.
            tcp_user_timeout=str((self._connect_timeout * 1000) + timeout_ms),
        )
        try:
            conn.execute(
                "SELECT set_config('statement_timeout', %s, false), set_config('TimeZone', 'UTC', false), "
                "set_config('idle_in_transaction_session_timeout', %s, false)",
                (f"{timeout_ms}ms", f"{int(IDLE_IN_TRANSACTION_TIMEOUT * 1000)}ms"),
            )
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """psycopg's errors as the store's, with advice and without the password."""
        if self._closed:
            raise StoreUnavailableError("the incident store is closed", hint="Open a new store.")
        try:
            yield
        except psycopg.Error as exc:
            raise translate(exc, self._server, self._statement_timeout) from exc

    @contextmanager
    def _transaction(self, begin: Sequence[str]) -> Iterator[Db]:
        with self._translated():
            conn = self._begun(begin)
            try:
                yield PgDb(conn)
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
            finally:
                self._pool.release(conn)

    def _begun(self, begin: Sequence[str]) -> psycopg.Connection[Any]:
        """A pooled connection inside a new transaction; a pooled connection found dead is replaced once."""
        for fresh in (False, True):
            conn = self._pool.acquire(fresh=fresh)
            try:
                for statement in begin:
                    conn.execute(statement)
                return conn
            except psycopg.Error:
                lost = conn.broken
                _rollback(conn)
                self._pool.release(conn)
                if not lost or fresh:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _write(self) -> AbstractContextManager[Db]:
        """One write transaction, holding the write lock from its first statement."""
        return self._transaction(_WRITE)

    def _read(self) -> AbstractContextManager[Db]:
        """One read-only snapshot."""
        return self._transaction(_READ)


def _rollback(conn: psycopg.Connection[Any]) -> None:
    """Roll back whatever is open; a connection that cannot is left for the pool to close."""
    if conn.broken or conn.closed or conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        return
    try:
        conn.execute("ROLLBACK")
    except psycopg.Error:
        pass  # the pool sees the unfinished transaction and closes the connection


class PgSchema:
    """A PostgreSQL connection (autocommit mode) as the migration runner's ``SchemaTarget``."""

    dialect: Dialect = "postgres"
    # The SQL of a step failed (connection failures and timeouts are not the step's fault: they stay
    # psycopg errors and become StoreUnavailableError).
    errors: tuple[type[BaseException], ...] = (
        psycopg.ProgrammingError,
        psycopg.DataError,
        psycopg.IntegrityError,
        psycopg.InternalError,
        psycopg.NotSupportedError,
    )

    def __init__(self, conn: psycopg.Connection[Any], where: str) -> None:
        self.db = PgDb(conn)
        self.where = where

    def version(self) -> int:
        """The highest step recorded in schema_migrations (0 before the first)."""
        # pg_class read with this statement's snapshot, not to_regclass: that goes through the
        # catalog cache, which can still say "no such table" after another session created it
        # while we waited for the migration lock.
        exists = self.db.execute(
            "SELECT count(*) AS n FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace "
            "WHERE c.relname = 'schema_migrations' AND s.nspname = current_schema()"
        ).fetchone()["n"]
        if not exists:
            return 0
        return int(self.db.execute("SELECT coalesce(max(version), 0) AS v FROM schema_migrations").fetchone()["v"])

    def begin_locked(self) -> None:
        self.db.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        self.db.execute(MIGRATION_LOCK)

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        self.db.execute(sql, parameters)

    def set_version(self, version: int) -> None:
        """Nothing beside the schema_migrations row: that row is PostgreSQL's version."""

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        _rollback(self.db.conn)


class ServerInfo:
    """Where the server is (for hints) and the secrets to keep out of any message."""

    def __init__(self, location: str, secrets: list[str]) -> None:
        self.location = location
        self.secrets = secrets

    @classmethod
    def of(cls, url: str) -> ServerInfo:
        """Host:port and password(s) of a ``postgresql://`` URL; StoreConfigError if it cannot be parsed."""
        try:
            params = conninfo_to_dict(url)
        except psycopg.ProgrammingError:
            # from None: the parser's message may quote the URL, password and all.
            raise StoreConfigError(
                f"store URL {redact_url(url)} is not a valid PostgreSQL URL",
                hint="Use postgresql://user:password@host:5432/database (see docs/incident-store.md).",
            ) from None
        host = str(params.get("host") or params.get("hostaddr") or "localhost")
        port = str(params.get("port") or "5432")
        location = host if host.startswith("/") else f"{host}:{port}"
        secrets = [str(params["password"])] if params.get("password") else []
        return cls(location, secrets)

    def scrub(self, text: str) -> str:
        """``text`` with every password replaced by ***."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def translate(exc: psycopg.Error, server: ServerInfo, statement_timeout: float) -> StoreError:
    """A psycopg error as one of the store's errors, with advice and without the password."""
    text = server.scrub(str(exc).strip())
    if isinstance(exc, pg_errors.QueryCanceled):
        return StoreUnavailableError(
            f"the incident database at {server.location} did not answer within the statement timeout "
            f"({statement_timeout:g} s)",
            upstream=text,
            hint="Another writer held the write lock or the server is overloaded; retry in a moment.",
        )
    if isinstance(exc, psycopg.IntegrityError):
        return ConflictError(f"the incident database refused the record: {text}", upstream=text)
    if isinstance(exc, psycopg.DataError):
        return InvalidRecordError(f"the incident database refused a value: {text}", upstream=text)
    if "password authentication failed" in text or "no password supplied" in text:
        return StoreConfigError(
            f"the PostgreSQL server at {server.location} refused the credentials",
            upstream=text,
            hint="Check the user and password in store.url (or FIRSTFIFTEEN_DB).",
        )
    if isinstance(exc, pg_errors.InvalidCatalogName) or ("database" in text and "does not exist" in text):
        return StoreConfigError(
            f"the database in the store URL does not exist on {server.location}",
            upstream=text,
            hint="Create it (createdb firstfifteen) or fix the database name in store.url.",
        )
    if isinstance(exc, psycopg.OperationalError):
        return StoreUnavailableError(
            f"cannot reach the incident database at {server.location}",
            upstream=text,
            hint=f"Check that PostgreSQL is running and accepts connections at {server.location}, "
            "and that store.url (or FIRSTFIFTEEN_DB) names it; retry once it is back.",
        )
    return StoreUnavailableError(f"incident database at {server.location}: {text}", upstream=text)
