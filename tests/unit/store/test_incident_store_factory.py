"""open_store and where the database file lives."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from mcp_server.config import StoreConfig
from mcp_server.store import (
    DB_ENV,
    IncidentStore,
    SqliteIncidentStore,
    default_db_path,
    open_store,
    resolve_db_path,
)
from mcp_server.store.errors import StoreConfigError
from mcp_server.store.models import IncidentDraft


@pytest.fixture(autouse=True)
def no_db_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DB_ENV, raising=False)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point platformdirs' user data dir into the test's tmp dir."""
    home = tmp_path / "user-data"

    def fake_user_data_dir(appname: str | None = None, *args: object, **kwargs: object) -> str:
        return str(home / (appname or ""))

    monkeypatch.setattr(platformdirs, "user_data_dir", fake_user_data_dir)
    return home


def test_default_path_is_in_the_user_data_dir(data_dir: Path) -> None:
    assert default_db_path() == data_dir / "firstfifteen" / "incidents.sqlite3"
    assert resolve_db_path(StoreConfig(), environ={}) == data_dir / "firstfifteen" / "incidents.sqlite3"


def test_open_store_creates_the_default_file_and_its_directories(data_dir: Path) -> None:
    with open_store(StoreConfig()) as store:
        assert isinstance(store, IncidentStore)
        assert isinstance(store, SqliteIncidentStore)
        store.declare_incident(IncidentDraft(title="t", severity="SEV4", declared_by="a"))
    assert (data_dir / "firstfifteen" / "incidents.sqlite3").is_file()


def test_config_path_overrides_the_default(tmp_path: Path, data_dir: Path) -> None:
    chosen = tmp_path / "deep" / "er" / "mine.sqlite3"
    with open_store(StoreConfig(path=str(chosen))) as store:
        assert store.list_incidents() == ([], False)
    assert chosen.is_file()
    assert not data_dir.exists()


def test_env_overrides_the_config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DB_ENV, str(tmp_path / "from-env.sqlite3"))
    with open_store(StoreConfig(path=str(tmp_path / "from-config.sqlite3"))):
        pass
    assert (tmp_path / "from-env.sqlite3").is_file()
    assert not (tmp_path / "from-config.sqlite3").exists()


def test_relative_paths_resolve_against_base_dir(tmp_path: Path) -> None:
    config = StoreConfig(path="state/incidents.sqlite3")
    assert resolve_db_path(config, base_dir=tmp_path, environ={}) == tmp_path / "state" / "incidents.sqlite3"
    assert resolve_db_path(config, environ={}) == Path("state/incidents.sqlite3")


def test_home_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_db_path(StoreConfig(path="~/x.sqlite3"), environ={}) == tmp_path / "x.sqlite3"


def test_blank_env_falls_through_to_config(tmp_path: Path) -> None:
    config = StoreConfig(path=str(tmp_path / "c.sqlite3"))
    assert resolve_db_path(config, environ={DB_ENV: "  "}) == tmp_path / "c.sqlite3"


def test_memory_database_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(StoreConfigError, match=":memory:") as exc_info:
        open_store(StoreConfig(path=":memory:"))
    assert "file path" in exc_info.value.hint
    monkeypatch.setenv(DB_ENV, ":memory:")
    with pytest.raises(StoreConfigError, match=":memory:"):
        open_store(StoreConfig())
    with pytest.raises(StoreConfigError, match="not a file path"):
        SqliteIncidentStore(":memory:")


def test_unknown_backend_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreConfigError, match="'postgres' is not supported") as exc_info:
        open_store(StoreConfig(backend="postgres", path=str(tmp_path / "x.sqlite3")))
    assert "sqlite" in exc_info.value.hint
    assert not (tmp_path / "x.sqlite3").exists()


def test_backend_name_is_case_insensitive(tmp_path: Path) -> None:
    with open_store(StoreConfig(backend="SQLite", path=str(tmp_path / "x.sqlite3"))) as store:
        assert isinstance(store, SqliteIncidentStore)


def test_unwritable_parent_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreConfigError, match="cannot create the directory"):
        SqliteIncidentStore(blocker / "sub" / "incidents.sqlite3")
