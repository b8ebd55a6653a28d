"""The walk-through of docs/writing-adapters.md, done for real: the example package is installed with
pip, found through its entry point, and checks real TCP ports during a triage, beside the built-ins."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from adapters import registry
from adapters.base import Adapter
from mcp_server.config import parse_config
from mcp_server.runtime import open_runtime
from mcp_server.triage.engine import run_triage

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "firstfifteen-tcp"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install`` the example into a private target directory (never into the test venv)."""
    target = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target)]
    subprocess.run([*command, str(EXAMPLE)], check=True, capture_output=True, text=True, timeout=300)
    return target


@pytest.fixture
def tcp_adapter(installed: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(installed))
    registry.refresh()
    yield
    registry.refresh()
    sys.modules.pop("firstfifteen_tcp", None)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_installed_package_is_found_by_its_entry_point(tcp_adapter):
    assert "tcp" in registry.installed_adapters()
    cls = registry.load_adapter_class("tcp")
    assert cls.capabilities == frozenset({"health"})
    adapter = cls("tcp", cls.config_model(), None, None)  # type: ignore[arg-type]  # neither is used by TCP
    assert isinstance(adapter, Adapter)
    assert adapter.accepts("tcp://db:5432") and not adapter.accepts("https://api/healthz")


def test_a_triage_routes_tcp_targets_to_it_and_reads_real_ports(tcp_adapter, tmp_path):
    async def main() -> dict[str, tuple[str, str]]:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        raw = {
            "services": [
                {"name": "db", "health_url": f"tcp://127.0.0.1:{port}"},
                {"name": "cache", "health_url": f"tcp://127.0.0.1:{_closed_port()}"},
            ],
            "adapters": {"tcp": {"timeout_s": 2}, "http": {}},
            "store": {"path": str(tmp_path / "record.sqlite3")},
        }
        async with server, open_runtime(parse_config(raw, base_dir=tmp_path)) as runtime:
            result = await run_triage(runtime, datetime.now(UTC))
        return {v.service: (v.health.status, v.health.detail) for v in result.services if v.health}

    health = anyio.run(main)
    assert health["db"][0] == "up"
    assert health["cache"][0] == "down" and "connection failed" in health["cache"][1]
