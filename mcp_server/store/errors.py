"""The incident store's errors: its own branch under ``FirstfifteenError``, beside the adapters'.

StoreError                  the incident store refused or failed an operation
├── StoreConfigError        the store cannot be opened as configured (path, backend, journal mode)
│   └── SchemaVersionError  the database was written by a newer firstfifteen
├── MigrationError          a schema step failed; the database stays at the previous version
├── RecordNotFoundError     no such incident, draft or timeline event (the hint lists recent ids)
├── InvalidRecordError      an argument or record the store does not accept (a limit, a status, a time)
├── ConflictError           the write contradicts what is stored (a draft posted twice, a constraint)
├── StoreUnavailableError   the store is closed, locked past the busy timeout, or the disk failed
└── StoreCorruptError       the file is not a usable incident database

Every one names the store as its source and says what to do next, as adapter errors do, so the
faces show ``describe()`` whichever branch an error comes from.
"""

from __future__ import annotations

from adapters.errors import FirstfifteenError

SOURCE = "store"


class StoreError(FirstfifteenError):
    """Base class of every error the incident store raises on purpose."""

    default_hint = "Check that the incident database (FIRSTFIFTEEN_DB or store.path) is a local, writable file."

    def __init__(self, message: str, *, upstream: str = "", hint: str = "") -> None:
        super().__init__(message, source=SOURCE, upstream=upstream, hint=hint)


class StoreConfigError(StoreError):
    """The store cannot be opened as configured: fix the setting, nothing is retried."""

    default_hint = "Fix store.path or store.backend in firstfifteen.yaml (or FIRSTFIFTEEN_DB) and start again."


class SchemaVersionError(StoreConfigError):
    """The database was written by a newer firstfifteen than this one."""

    default_hint = (
        "Upgrade firstfifteen to the version that wrote this database, or point FIRSTFIFTEEN_DB "
        "(or store.path) at another file; the database was not modified."
    )


class MigrationError(StoreError):
    """A schema step failed; the database stays at the previous version."""

    default_hint = "Check that the file is writable and the disk not full, then start again."


class RecordNotFoundError(StoreError):
    """The incident, draft or event asked for is not in the store."""

    default_hint = "List what exists first (list_incidents, or the incident's drafts), then ask for one of those."


class InvalidRecordError(StoreError):
    """An argument or record the store does not accept."""

    default_hint = "Fix the argument as the message says and call again."


class ConflictError(StoreError):
    """The write contradicts what is already stored."""

    default_hint = "Read the record again and act on what it holds now."


class StoreUnavailableError(StoreError):
    """The store cannot serve the call right now: closed, locked past the busy timeout, or an I/O failure."""

    default_hint = "Retry in a moment; if it persists, check the disk holding the incident database."


class StoreCorruptError(StoreError):
    """The file is not a usable SQLite incident database."""

    default_hint = "Point FIRSTFIFTEEN_DB (or store.path) at another file; keep this one for inspection."
