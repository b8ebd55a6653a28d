"""open_store: which backend, where the record lives, and the store settings' checks."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
import pytest
from pydantic import ValidationError

from adapters.errors import ConfigError
from mcp_server.config import parse_config
from mcp_server.store import (
    DB_ENV,
    IncidentStore,
    SqliteIncidentStore,
    default_db_path,
    describe_location,
    open_store,
    resolve_db_path,
    resolve_location,
)
from mcp_server.store.errors import StoreConfigError
from mcp_server.store.models import IncidentDraft
from mcp_server.store.settings import StoreConfig


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


def test_unknown_backend_is_refused_saying_what_is_accepted(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"'mysql' is not supported \(accepted: sqlite, postgres\)"):
        StoreConfig(backend="mysql")
    # A config built around validation still meets open_store's own check, and nothing is created.
    unchecked = StoreConfig.model_construct(backend="mysql", path=str(tmp_path / "x.sqlite3"), url=None)
    with pytest.raises(StoreConfigError, match="'mysql' is not supported") as exc_info:
        open_store(unchecked)
    assert "sqlite, postgres" in exc_info.value.hint
    assert not (tmp_path / "x.sqlite3").exists()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"backend": "postgres"}, "store.backend postgres needs store.url"),
        ({"url": "postgresql://ff:hunter2@db:5432/ff"}, "store.url is for backend postgres"),
        ({"backend": "postgres", "url": "mysql://ff:hunter2@db/ff"}, "must be a postgresql://"),
        ({"backend": "postgres", "url": "postgresql://ff:hunter2@db/ff", "path": "x.db"}, "store.path is the SQLite"),
        ({"backend": "postgres", "url": "postgresql://db/ff", "statement_timeout": 0}, "greater than 0"),
        ({"backend": "postgres", "url": "postgresql://db/ff", "pool_size": 0}, "greater than or equal to 1"),
    ],
)
def test_store_settings_are_checked_and_never_echo_the_password(settings: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as exc_info:
        StoreConfig(**settings)
    assert "hunter2" not in str(exc_info.value)


def test_the_config_loader_names_the_store_problem_without_the_password(tmp_path: Path) -> None:
    raw = {"services": [{"name": "api"}], "store": {"url": "postgresql://ff:hunter2@db/ff"}}
    with pytest.raises(ConfigError, match="store: .*store.url is for backend postgres") as exc_info:
        parse_config(raw, base_dir=tmp_path)
    assert "hunter2" not in str(exc_info.value)


def test_repr_and_location_hide_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    config = StoreConfig(backend="postgres", url="postgresql://ff:hunter2@db:5432/ff?sslmode=require")
    assert "hunter2" not in repr(config) and "hunter2" not in str(config)
    assert "postgresql://ff:***@db:5432/ff?sslmode=require" in repr(config)
    assert describe_location(config) == "postgresql://ff:***@db:5432/ff?sslmode=require"
    assert resolve_location(config) == config.url
    monkeypatch.setenv(DB_ENV, "postgresql://ops@db2/ff?password=hunter2")
    assert describe_location(StoreConfig()) == "postgresql://ops@db2/ff?password=***"


def test_env_path_overrides_a_postgres_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DB_ENV, str(tmp_path / "one-off.sqlite3"))
    config = StoreConfig(backend="postgres", url="postgresql://ff@127.0.0.1:1/ff")
    with open_store(config) as store:
        assert isinstance(store, SqliteIncidentStore)
    assert (tmp_path / "one-off.sqlite3").is_file()


def test_env_postgres_url_selects_postgres(postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DB_ENV, postgres_url)
    config = StoreConfig(path=str(tmp_path / "ignored.sqlite3"))
    assert resolve_db_path(config) == tmp_path / "ignored.sqlite3"  # the SQLite file, were SQLite used
    with open_store(config) as store:
        assert type(store).__name__ == "PostgresIncidentStore"
        store.declare_incident(IncidentDraft(title="t", severity="SEV4", declared_by="a"))
    assert not (tmp_path / "ignored.sqlite3").exists()
    with open_store(StoreConfig(backend="postgres", url=postgres_url, statement_timeout=2, pool_size=2)) as again:
        assert [i.title for i in again.list_incidents()[0]] == ["t"]


def test_a_missing_driver_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now raises ImportError
    monkeypatch.delitem(sys.modules, "mcp_server.store.postgres", raising=False)
    with pytest.raises(StoreConfigError, match="needs the psycopg driver") as exc_info:
        open_store(StoreConfig(backend="postgres", url="postgresql://ff:hunter2@db/ff"))
    assert exc_info.value.hint == "Install it with: pip install 'firstfifteen[postgres]'"
    assert "hunter2" not in exc_info.value.describe()


def test_backend_name_is_case_insensitive(tmp_path: Path) -> None:
    with open_store(StoreConfig(backend="SQLite", path=str(tmp_path / "x.sqlite3"))) as store:
        assert isinstance(store, SqliteIncidentStore)


def test_unwritable_parent_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreConfigError, match="cannot create the directory"):
        SqliteIncidentStore(blocker / "sub" / "incidents.sqlite3")
