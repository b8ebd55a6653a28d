"""A store that fails reaches the model (MCP tools) and the responder (CLI) as advice, never a traceback;
the tools record in PostgreSQL when FIRSTFIFTEEN_DB names one."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
from mcp import Client

sys.path.insert(0, str(Path(__file__).parents[1] / "unit" / "store"))  # store_backends

from store_backends import raw_rows

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


async def test_the_tools_record_in_postgres_when_firstfifteen_db_names_it(postgres_url, monkeypatch):
    monkeypatch.setenv("FIRSTFIFTEEN_DB", postgres_url)
    async with Client(create_server(), raise_exceptions=True) as client:
        incident = (await client.call_tool("declare_incident", {"title": "5xx", "severity": "SEV2"})).structured_content
        listed = (await client.call_tool("list_incidents", {})).structured_content
    assert incident["id"] == "INC-1" and [i["id"] for i in listed["incidents"]] == ["INC-1"]
    assert raw_rows(postgres_url, "SELECT title FROM incidents") == [("5xx",)]


async def test_a_tool_with_postgres_down_names_the_server_not_the_password(monkeypatch):
    from pg_server import free_port

    port = free_port()
    monkeypatch.setenv("FIRSTFIFTEEN_DB", f"postgresql://ff:hunter2-secret@127.0.0.1:{port}/ff")
    async with Client(create_server()) as client:
        result = await client.call_tool("list_incidents", {})
    text = text_of(result)
    assert result.is_error and "Traceback" not in text
    assert (
        f"cannot reach the incident database at 127.0.0.1:{port}" in text and "next step: Check that PostgreSQL" in text
    )
    assert "hunter2-secret" not in text
