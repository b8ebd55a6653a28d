"""The store's own error branch: under FirstfifteenError beside AdapterError, and described alike."""

from __future__ import annotations

import inspect
from pathlib import Path
from types import ModuleType

import pytest

from adapters import errors as adapter_errors
from adapters.errors import AdapterError, ConfigError, FirstfifteenError, QueryError
from mcp_server.clock import InvalidTimeError
from mcp_server.store import errors as store_errors
from mcp_server.store.errors import RecordNotFoundError, StoreConfigError, StoreCorruptError, StoreError
from mcp_server.store.sqlite import SqliteIncidentStore


def classes(module: ModuleType) -> list[type[Exception]]:
    """The exception classes ``module`` defines (not those it imports)."""
    members = inspect.getmembers(module, inspect.isclass)
    return [c for _, c in members if issubclass(c, Exception) and c.__module__ == module.__name__]


def test_every_error_has_the_one_root():
    for cls in [*classes(adapter_errors), *classes(store_errors), InvalidTimeError]:
        assert issubclass(cls, FirstfifteenError), cls


def test_store_errors_are_not_adapter_errors_and_each_has_its_own_hint():
    store = classes(store_errors)
    assert len(store) == 9 and all(issubclass(c, StoreError) and not issubclass(c, AdapterError) for c in store)
    hints = [c.default_hint for c in store]
    assert len(set(hints)) == len(hints)
    assert issubclass(ConfigError, AdapterError) and issubclass(QueryError, AdapterError)


def test_a_store_error_describes_itself_as_an_adapter_error_does():
    error = RecordNotFoundError("no incident 'INC-9'", hint="Use one of the known incidents: INC-1.")
    like = AdapterError("no incident 'INC-9'", adapter="store", hint="Use one of the known incidents: INC-1.")
    assert error.describe() == like.describe() == str(error)
    assert error.describe() == "store: no incident 'INC-9'; next step: Use one of the known incidents: INC-1."
    assert StoreConfigError("bad path").hint == StoreConfigError.default_hint


def test_a_corrupt_file_is_a_store_error_naming_upstream_and_the_fix(tmp_path: Path):
    junk = tmp_path / "notes.sqlite3"
    junk.write_bytes(b"not a database at all" * 200)
    with pytest.raises(StoreCorruptError) as exc_info:
        SqliteIncidentStore(junk)
    text = exc_info.value.describe()
    assert text.startswith(f"store: {junk} is not a usable incident database; upstream said: ")
    assert text.endswith(f"next step: {StoreCorruptError.default_hint}")
