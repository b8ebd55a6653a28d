"""What only the PostgreSQL store has: its migrations, timeouts, a server down or refusing, the pool."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from processes import free_port
from psycopg.rows import dict_row
from store_backends import Database

from adapters.testing import silent_port
from mcp_server.store.errors import (
    MigrationError,
    SchemaVersionError,
    StoreConfigError,
    StoreUnavailableError,
)
from mcp_server.store.migrations import MIGRATIONS, Migration, latest_version, run_steps
from mcp_server.store.models import IncidentDraft, TimelineEntry
from mcp_server.store.postgres import LOCK_CLASS, PgSchema, PostgresIncidentStore

# Far above what each case needs (connect refused: at once; connect timeout: 2 s; statement
# timeout: 0.5 s), yet far below a hang: a safety bound, not a measurement.
DEADLINE = 15.0
EXTRA_STEP = Migration(
    len(MIGRATIONS) + 1,
    "timeline pins (synthetic step for the test)",
    "ALTER TABLE timeline_events ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE timeline_events ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT false;"
    "CREATE INDEX timeline_events_pinned ON timeline_events (incident) WHERE pinned",
)


@pytest.fixture
def pg(postgres_url: str) -> Database:
    return Database("postgres", postgres_url)


def draft(title: str = "Checkout 500s") -> IncidentDraft:
    return IncidentDraft(title=title, severity="SEV2", declared_by="alice")


@contextmanager
def took_at_most(seconds: float) -> Iterator[None]:
    started = time.monotonic()
    yield
    assert time.monotonic() - started < seconds


def test_a_fresh_database_gets_the_same_steps_as_sqlite_with_native_types(pg: Database, clock) -> None:
    PostgresIncidentStore(pg.target, clock=clock).close()
    assert pg.rows("SELECT version, description FROM schema_migrations ORDER BY version") == [
        (m.version, m.description) for m in MIGRATIONS
    ]
    assert {row[0] for row in pg.rows("SELECT applied_at FROM schema_migrations")} == {clock.now}
    assert all(m.postgres_sql for m in MIGRATIONS)  # each step spelled out for PostgreSQL, not borrowed
    types = dict(
        pg.rows(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'timeline_events'"
        )
    )
    assert types["occurred_at"] == "timestamp with time zone"
    assert types["details"] == "json"


def test_opening_again_applies_nothing(pg: Database) -> None:
    PostgresIncidentStore(pg.target).close()
    with psycopg.connect(pg.target, autocommit=True, row_factory=dict_row) as conn:
        assert run_steps(PgSchema(conn, "test")) == []
    with PostgresIncidentStore(pg.target) as again:
        assert again.list_incidents() == ([], False)
    assert pg.count("schema_migrations") == len(MIGRATIONS)


def test_a_database_at_version_one_upgrades_through_a_later_step(pg: Database) -> None:
    with PostgresIncidentStore(pg.target, migrations=MIGRATIONS[:1]) as old:
        incident = old.declare_incident(draft("old"))
    steps = (*MIGRATIONS, EXTRA_STEP)
    with PostgresIncidentStore(pg.target, migrations=steps) as upgraded:
        assert upgraded.get_incident(incident.id).title == "old"
        _, created = upgraded.append_event(incident.id, TimelineEntry(source="human", kind="note", text="after"))
        assert created is True
    assert pg.rows("SELECT max(version) FROM schema_migrations") == [(EXTRA_STEP.version,)]
    assert pg.rows("SELECT DISTINCT pinned FROM timeline_events") == [(False,)]


def test_a_failing_step_leaves_the_previous_version(pg: Database) -> None:
    PostgresIncidentStore(pg.target).close()
    broken = Migration(
        EXTRA_STEP.version,
        "half a step",
        "SELECT 1",
        "CREATE TABLE half_done (x INTEGER); INSERT INTO nowhere VALUES (1)",
    )
    with pytest.raises(MigrationError, match=f"stays at version {len(MIGRATIONS)}") as exc_info:
        PostgresIncidentStore(pg.target, migrations=(*MIGRATIONS, broken))
    assert "nowhere" in str(exc_info.value)
    assert pg.rows("SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'") == [(0,)]
    assert pg.count("schema_migrations") == len(MIGRATIONS)


def test_a_newer_schema_is_refused_and_left_alone(pg: Database) -> None:
    PostgresIncidentStore(pg.target).close()
    newer = latest_version() + 1
    pg.execute(f"INSERT INTO schema_migrations VALUES ({newer}, 'from the future', now())")
    with pytest.raises(SchemaVersionError, match=f"schema version {newer}") as exc_info:
        PostgresIncidentStore(pg.target)
    assert "Upgrade firstfifteen" in exc_info.value.hint
    assert pg.count("schema_migrations") == len(MIGRATIONS) + 1
    assert "hunter" not in str(exc_info.value) and pg.target.split(":")[2].split("@")[0] not in str(exc_info.value)


def test_a_server_that_is_down_is_unavailable_at_once_naming_host_and_port() -> None:
    port = free_port()
    url = f"postgresql://ff:hunter2-secret@127.0.0.1:{port}/ff"
    with took_at_most(DEADLINE), pytest.raises(StoreUnavailableError) as exc_info:
        PostgresIncidentStore(url, connect_timeout=2)
    error = exc_info.value
    assert f"127.0.0.1:{port}" in error.message and f"127.0.0.1:{port}" in error.hint
    assert "hunter2-secret" not in error.describe() and "hunter2-secret" not in repr(error.__cause__.__cause__)


def test_a_server_that_never_answers_is_unavailable_after_the_connect_timeout() -> None:
    with silent_port() as port:  # the kernel completes the handshake; nobody answers the startup packet
        with took_at_most(DEADLINE), pytest.raises(StoreUnavailableError, match=f"127.0.0.1:{port}"):
            PostgresIncidentStore(f"postgresql://ff:pw@127.0.0.1:{port}/ff", connect_timeout=2)


def test_a_wrong_password_or_database_is_a_config_error_without_the_password(postgres, pg: Database) -> None:
    wrong = f"postgresql://{postgres.user}:not-the-password-42@127.0.0.1:{postgres.port}/tests"
    with pytest.raises(StoreConfigError, match="refused the credentials") as exc_info:
        PostgresIncidentStore(wrong)
    assert "not-the-password-42" not in exc_info.value.describe()
    with pytest.raises(StoreConfigError, match="does not exist"):
        PostgresIncidentStore(postgres.url_for("no_such_db"))
    with PostgresIncidentStore(pg.target) as store:
        assert postgres.password not in repr(store) and "***" in repr(store)


def test_waiting_for_the_write_lock_ends_at_the_statement_timeout(pg: Database) -> None:
    store = PostgresIncidentStore(pg.target, statement_timeout=0.5)
    incident = store.declare_incident(draft())
    with psycopg.connect(pg.target, autocommit=True) as holder:
        holder.execute(f"SELECT pg_advisory_lock({LOCK_CLASS}, 1)".encode())  # another writer, stuck
        with took_at_most(DEADLINE), pytest.raises(StoreUnavailableError, match=r"statement timeout \(0.5 s\)"):
            store.append_event(incident.id, TimelineEntry(source="human", kind="note", text="blocked"))
        assert store.get_incident(incident.id).title == "Checkout 500s"  # reads take no lock
    _, created = store.append_event(incident.id, TimelineEntry(source="human", kind="note", text="after"))
    assert created is True
    assert [e.text for e in store.get_timeline(incident.id, kinds=["note"])[0]] == ["after"]
    store.close()


def test_the_pool_stays_within_its_size_under_many_threads(pg: Database) -> None:
    store = PostgresIncidentStore(pg.target, pool_size=3)
    incident = store.declare_incident(draft())
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for seq in range(20):
                store.append_event(
                    incident.id, TimelineEntry(source="slack", kind="note", text="m", source_id=f"{n}-{seq}")
                )
                store.get_timeline(incident.id, limit=3)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert 1 <= store._pool.size <= 3
    assert len(store.get_timeline(incident.id, kinds=["note"], limit=1000)[0]) == 12 * 20
    store.close()


def backend_pids(store: PostgresIncidentStore) -> set[int]:
    return {conn.info.backend_pid for conn in store._pool._idle}


def test_connections_killed_under_the_pool_are_replaced(pg: Database) -> None:
    store = PostgresIncidentStore(pg.target)
    incident = store.declare_incident(draft())
    pids = backend_pids(store)
    assert pids
    for pid in pids:  # as a server restart or a network cut would leave them
        pg.rows(f"SELECT pg_terminate_backend({pid}, 5000)")
    assert store.get_incident(incident.id).id == incident.id
    assert not backend_pids(store) & pids
    store.close()


def test_close_ends_every_session_and_later_calls_raise(pg: Database) -> None:
    store = PostgresIncidentStore(pg.target)
    incident = store.declare_incident(draft())
    pids = backend_pids(store)
    store.close()
    listed = ",".join(str(pid) for pid in pids)
    deadline = time.monotonic() + DEADLINE
    while pg.rows(f"SELECT count(*) FROM pg_stat_activity WHERE pid IN ({listed})") != [(0,)]:
        assert time.monotonic() < deadline, "the store's sessions outlived close()"
        time.sleep(0.02)
    with pytest.raises(StoreUnavailableError, match="closed"):
        store.get_incident(incident.id)
