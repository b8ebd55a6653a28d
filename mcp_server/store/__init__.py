"""The incident record: incidents, their timelines and communication drafts, in SQLite or PostgreSQL.

``open_store(config.store)`` is the one entry point; callers depend on the ``IncidentStore``
protocol, so either backend serves them unchanged.

Where the record lives, first match wins:
1. ``$FIRSTFIFTEEN_DB`` (so a demo, a test or a one-off run can redirect without editing the config):
   a ``postgresql://`` URL selects PostgreSQL at that URL, anything else is a SQLite file path;
2. ``store.backend: postgres`` with ``store.url``; or ``store.path`` for SQLite (relative paths are
   taken from the config file's directory);
3. ``<user data dir>/incidents.sqlite3``, e.g. ``~/.local/share/firstfifteen/incidents.sqlite3``.

PostgreSQL's driver (psycopg) is imported only when that backend is chosen.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

import platformdirs

from adapters.models import utcnow
from mcp_server.store.base import IncidentStore
from mcp_server.store.errors import StoreConfigError
from mcp_server.store.models import (
    AUDIENCES,
    Audience,
    Draft,
    DraftIn,
    EventRevision,
    InboxAlert,
    InboxAlertIn,
    Incident,
    IncidentDraft,
    Severity,
    Status,
    TimelineEntry,
    TimelineEvent,
    UpsertOutcome,
    format_draft_id,
    format_incident_id,
    parse_draft_id,
    parse_incident_id,
)
from mcp_server.store.settings import STORE_BACKENDS, StoreConfig, is_postgres_url, redact_url
from mcp_server.store.sqlite import SqliteIncidentStore

DB_ENV = "FIRSTFIFTEEN_DB"
DB_FILENAME = "incidents.sqlite3"
BACKENDS = STORE_BACKENDS
POSTGRES_EXTRA_HINT = "pip install 'firstfifteen[postgres]'"

__all__ = [
    "AUDIENCES",
    "Audience",
    "DB_ENV",
    "Draft",
    "DraftIn",
    "EventRevision",
    "InboxAlert",
    "InboxAlertIn",
    "Incident",
    "IncidentDraft",
    "IncidentStore",
    "Severity",
    "SqliteIncidentStore",
    "Status",
    "TimelineEntry",
    "TimelineEvent",
    "UpsertOutcome",
    "default_db_path",
    "describe_location",
    "format_draft_id",
    "format_incident_id",
    "open_store",
    "parse_draft_id",
    "parse_incident_id",
    "resolve_db_path",
    "resolve_location",
]


def default_db_path() -> Path:
    """``<user data dir>/incidents.sqlite3`` as platformdirs defines the user data dir."""
    # appauthor=False: on Windows, no extra "firstfifteen\\firstfifteen" level.
    return Path(platformdirs.user_data_dir("firstfifteen", appauthor=False)) / DB_FILENAME


def resolve_db_path(
    config: StoreConfig, *, base_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The SQLite file to use: $FIRSTFIFTEEN_DB (unless it is a PostgreSQL URL), else ``config.path``,
    else the default."""
    env = os.environ if environ is None else environ
    from_env = (env.get(DB_ENV) or "").strip()
    chosen = ("" if is_postgres_url(from_env) else from_env) or (config.path or "").strip()
    if not chosen:
        return default_db_path()
    if chosen == ":memory:":
        raise StoreConfigError(
            "store.path ':memory:' is not supported",
            hint="Use a file path; each operation opens its own connection, so an in-memory database would be empty.",
        )
    path = Path(chosen).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def resolve_location(
    config: StoreConfig, *, base_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> Path | str:
    """Where the record lives: a SQLite file's path, or a PostgreSQL URL (a ``str``)."""
    env = os.environ if environ is None else environ
    from_env = (env.get(DB_ENV) or "").strip()
    if is_postgres_url(from_env):
        return from_env
    if not from_env and config.backend.strip().lower() == "postgres":
        if not config.url:
            raise StoreConfigError(
                "store.backend postgres needs store.url",
                hint="Set store.url: postgresql://user:${PGPASSWORD}@host:5432/firstfifteen (or FIRSTFIFTEEN_DB).",
            )
        return config.url
    return resolve_db_path(config, base_dir=base_dir, environ=env)


def describe_location(config: StoreConfig, *, base_dir: Path | None = None) -> str:
    """Where the record lives, for messages: the SQLite path, or the PostgreSQL URL without its password."""
    location = resolve_location(config, base_dir=base_dir)
    return redact_url(location) if isinstance(location, str) else str(location)


def open_store(
    config: StoreConfig, *, base_dir: Path | None = None, clock: Callable[[], datetime] | None = None
) -> IncidentStore:
    """Open (creating and migrating as needed) the incident store the config (or $FIRSTFIFTEEN_DB) names;
    ``clock`` stamps what the store records itself (default: the wall clock)."""
    backend = config.backend.strip().lower()
    if backend not in BACKENDS:
        raise StoreConfigError(
            f"store.backend {config.backend!r} is not supported",
            hint=f"Use one of: {', '.join(BACKENDS)}.",
        )
    location = resolve_location(config, base_dir=base_dir)
    if isinstance(location, Path):
        return SqliteIncidentStore(location, clock=clock) if clock else SqliteIncidentStore(location)
    return _open_postgres(config, location, clock)


def _open_postgres(config: StoreConfig, url: str, clock: Callable[[], datetime] | None) -> IncidentStore:
    try:
        # Imported here: SQLite users never need the driver.
        from mcp_server.store.postgres import PostgresIncidentStore
    except ImportError as exc:
        raise StoreConfigError(
            f"store.backend postgres needs the psycopg driver, which is not installed ({exc})",
            hint=f"Install it with: {POSTGRES_EXTRA_HINT}",
        ) from exc
    return PostgresIncidentStore(
        url,
        clock=clock or utcnow,
        connect_timeout=config.connect_timeout,
        statement_timeout=config.statement_timeout,
        pool_size=config.pool_size,
    )
