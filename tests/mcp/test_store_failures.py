"""A store that fails reaches the model (MCP tools) and the responder (CLI) as advice, never a traceback."""

from __future__ import annotations

import sqlite3

import pytest
from mcp import Client

from mcp_server.cli import main
from mcp_server.server import create_server
from mcp_server.store.migrations import latest_version

pytestmark = pytest.mark.anyio


@pytest.fixture
def junk_db(tmp_path, monkeypatch):
    path = tmp_path / "incidents.sqlite3"
    path.write_bytes(b"these are my incident notes, not a database" * 100)
    monkeypatch.setenv("FIRSTFIFTEEN_DB", str(path))
    return path


def text_of(result) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


async def test_a_tool_on_a_corrupt_store_says_what_to_do(junk_db):
    async with Client(create_server()) as client:
        result = await client.call_tool("list_incidents", {})
    text = text_of(result)
    assert result.is_error and "Traceback" not in text
    assert "listing incidents failed: store: " in text and "not a usable incident database" in text
    assert "next step: Point FIRSTFIFTEEN_DB (or store.path) at another file" in text


def test_the_cli_on_a_corrupt_store_exits_1_with_the_next_step(junk_db, capsys):
    assert main(["timeline", "INC-1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("firstfifteen: store: ") and "next step: Point FIRSTFIFTEEN_DB" in err
    assert "Traceback" not in err


def test_the_cli_on_a_newer_store_is_a_config_error(tmp_path, monkeypatch, capsys):
    path = tmp_path / "newer.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    monkeypatch.setenv("FIRSTFIFTEEN_DB", str(path))
    assert main(["timeline", "INC-1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("firstfifteen: config error: store: ") and "next step: Upgrade firstfifteen" in err
