"""Adapters are found through the firstfifteen.adapters entry points, built-ins and third parties alike."""

from __future__ import annotations

import sys
import textwrap

import pytest
from pydantic import BaseModel

from adapters import registry
from adapters.base import CAPABILITIES
from adapters.errors import ConfigError

BUILT_INS = {"prometheus", "alertmanager", "http", "statuspage", "deploy_file", "replay", "loki"}
METHODS = {
    "metrics": ("instant", "range", "query_link"),
    "health": ("check_health",),
    "deploys": ("list_deploys",),
    "provider_events": ("list_events",),
    "alerts": ("list_alerts",),
    "logs": ("query_logs",),
    "changes": ("knows", "get_changes"),
}


@pytest.mark.parametrize("name", sorted(BUILT_INS))
def test_every_built_in_loads_and_offers_what_it_declares(name):
    cls = registry.load_adapter_class(name)
    assert issubclass(cls.config_model, BaseModel)
    assert cls.capabilities and set(cls.capabilities) <= set(CAPABILITIES)
    assert callable(getattr(cls, "check", None))
    for capability in cls.capabilities:
        for method in METHODS[capability]:
            assert callable(getattr(cls, method, None)), (name, method)


def test_unknown_name_lists_the_installed_adapters():
    with pytest.raises(ConfigError) as err:
        registry.load_adapter_class("victoriametricz")
    assert all(name in err.value.hint for name in BUILT_INS)


@pytest.fixture
def third_party(tmp_path, monkeypatch):
    """A real installed distribution (dist-info with entry_points.txt) that registers one adapter."""
    (tmp_path / "ff_thirdparty.py").write_text(
        textwrap.dedent("""
        from pydantic import BaseModel

        class Settings(BaseModel):
            greeting: str = "hi"

        class EchoAdapter:
            config_model = Settings
            capabilities = frozenset({"deploys"})

            def __init__(self, name, config, http, context):
                self.name, self.config = name, config

            async def check(self):
                return self.config.greeting

            async def list_deploys(self, window):
                return []
    """)
    )
    dist = tmp_path / "ff_thirdparty-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ff-thirdparty\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[firstfifteen.adapters]\necho = ff_thirdparty:EchoAdapter\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.refresh()
    yield
    registry.refresh()
    sys.modules.pop("ff_thirdparty", None)


def test_a_third_party_adapter_needs_no_core_change(third_party):
    assert "echo" in registry.installed_adapters()
    cls = registry.load_adapter_class("echo")
    assert cls.__name__ == "EchoAdapter" and cls.capabilities == {"deploys"}

    from pathlib import Path

    from mcp_server.config import parse_config

    config = parse_config(
        {"services": [{"name": "a"}], "adapters": {"echo": {"greeting": "hello"}}}, base_dir=Path(".")
    )
    assert config.adapters["echo"].settings() == {"greeting": "hello"}
    with pytest.raises(ConfigError, match="adapters.echo"):
        parse_config({"services": [{"name": "a"}], "adapters": {"echo": {"greeting": 5}}}, base_dir=Path("."))


@pytest.fixture
def half_done(tmp_path, monkeypatch):
    """A third-party health checker written before ``accepts`` joined the HealthChecker contract."""
    (tmp_path / "ff_halfdone.py").write_text(
        textwrap.dedent("""
        from pydantic import BaseModel

        class Settings(BaseModel):
            pass

        class OldChecker:
            config_model = Settings
            capabilities = frozenset({"health"})

            def __init__(self, name, config, http, context):
                self.name = name

            async def check(self):
                return "ok"

            async def check_health(self, targets, at):
                return []
    """)
    )
    dist = tmp_path / "ff_halfdone-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ff-halfdone\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[firstfifteen.adapters]\noldcheck = ff_halfdone:OldChecker\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.refresh()
    yield
    registry.refresh()
    sys.modules.pop("ff_halfdone", None)


def test_an_adapter_lacking_a_method_of_its_capability_is_refused_at_start(half_done, tmp_path):
    import anyio

    from mcp_server.config import parse_config
    from mcp_server.runtime import open_runtime

    config = parse_config({"services": [{"name": "api"}], "adapters": {"oldcheck": {}}}, base_dir=tmp_path)

    async def start():
        async with open_runtime(config):
            pass

    with pytest.raises(ConfigError) as err:
        anyio.run(start)
    assert "declares 'health' but lacks accepts" in str(err.value)
