"""The incident record: incidents, their timelines and communication drafts, in SQLite by default.

``open_store(config.store)`` is the one entry point; callers depend on the ``IncidentStore``
protocol, so a PostgreSQL backend can stand beside SQLite later without touching them.

Where the SQLite file lives, first match wins:
1. ``$FIRSTFIFTEEN_DB`` (so a demo, a test or a one-off run can redirect without editing the config);
2. ``store.path`` in firstfifteen.yaml (relative paths are taken from the config file's directory);
3. ``<user data dir>/incidents.sqlite3``, e.g. ``~/.local/share/firstfifteen/incidents.sqlite3``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

import platformdirs

from mcp_server.config import StoreConfig
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
from mcp_server.store.sqlite import SqliteIncidentStore

DB_ENV = "FIRSTFIFTEEN_DB"
DB_FILENAME = "incidents.sqlite3"
BACKENDS = ("sqlite",)

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
    "format_draft_id",
    "format_incident_id",
    "open_store",
    "parse_draft_id",
    "parse_incident_id",
    "resolve_db_path",
]


def default_db_path() -> Path:
    """``<user data dir>/incidents.sqlite3`` as platformdirs defines the user data dir."""
    # appauthor=False: on Windows, no extra "firstfifteen\\firstfifteen" level.
    return Path(platformdirs.user_data_dir("firstfifteen", appauthor=False)) / DB_FILENAME


def resolve_db_path(
    config: StoreConfig, *, base_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The SQLite file to use: $FIRSTFIFTEEN_DB, else ``config.path``, else the default."""
    env = os.environ if environ is None else environ
    chosen = (env.get(DB_ENV) or "").strip() or (config.path or "").strip()
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


def open_store(
    config: StoreConfig, *, base_dir: Path | None = None, clock: Callable[[], datetime] | None = None
) -> IncidentStore:
    """Open (creating and migrating as needed) the incident store the config names; ``clock`` stamps
    what the store records itself (default: the wall clock)."""
    backend = config.backend.strip().lower()
    if backend == "sqlite":
        path = resolve_db_path(config, base_dir=base_dir)
        return SqliteIncidentStore(path, clock=clock) if clock else SqliteIncidentStore(path)
    raise StoreConfigError(
        f"store.backend {config.backend!r} is not supported",
        hint=f"Use one of: {', '.join(BACKENDS)}.",
    )
