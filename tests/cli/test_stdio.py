"""Real stdio round trips: `firstfifteen serve` in subprocesses, driven by the SDK client."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

pytestmark = pytest.mark.anyio


def server_command() -> tuple[str, list[str]]:
    script = shutil.which("firstfifteen") or str(Path(sys.executable).parent / "firstfifteen")
    assert Path(script).exists(), "the firstfifteen console script is not installed: pip install -e ."
    return script, ["serve"]


async def test_serve_over_stdio(tmp_path):
    command, args = server_command()
    env = {**os.environ, "FIRSTFIFTEEN_DB": str(tmp_path / "db.sqlite3")}
    env.pop("FIRSTFIFTEEN_CONFIG", None)
    params = StdioServerParameters(command=command, args=args, env=env)
    async with Client(params) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"triage", "list_deploys", "append_timeline"} <= names
        result = await client.call_tool("triage", {})
        assert not result.is_error
        assert result.structured_content["likely_roots"]
        declared = await client.call_tool("declare_incident", {"title": "stdio", "severity": "SEV3"})
        assert declared.structured_content["id"].startswith("INC-")
    assert (tmp_path / "db.sqlite3").exists()


async def test_two_responders_servers_in_their_own_processes_lose_nothing(tmp_path):
    """Each responder's client starts its own server process; both write one incident at once."""
    command, args = server_command()
    env = {**os.environ, "FIRSTFIFTEEN_DB": str(tmp_path / "shared.sqlite3")}
    env.pop("FIRSTFIFTEEN_CONFIG", None)
    params = StdioServerParameters(command=command, args=args, env=env)
    async with Client(params) as alice, Client(params) as bob:
        declared = await alice.call_tool("declare_incident", {"title": "shared", "severity": "SEV2"})
        incident = declared.structured_content["id"]

        async def work(client: Client, who: str) -> None:
            for n in range(5):
                arguments = {"incident_id": incident, "kind": "action", "text": f"{who} {n}", "actor": who}
                assert not (await client.call_tool("track_work", arguments)).is_error
                note = {"incident_id": incident, "text": f"{who} note {n}", "actor": who}
                assert not (await client.call_tool("append_timeline", note)).is_error

        async with anyio.create_task_group() as group:
            group.start_soon(work, alice, "alice")
            group.start_soon(work, bob, "bob")
        view = (await bob.call_tool("get_coordination", {"incident_id": incident})).structured_content
        timeline = (await alice.call_tool("get_timeline", {"incident_id": incident, "limit": 100})).structured_content
    items = {item["text"] for item in view["coordination"]["items"]}
    assert items == {f"{who} {n}" for who in ("alice", "bob") for n in range(5)}
    notes = [e["text"] for e in timeline["events"] if e["kind"] == "note"]
    assert sorted(notes) == sorted(f"{who} note {n}" for who in ("alice", "bob") for n in range(5))
