"""One real stdio round trip: `firstfifteen serve` in a subprocess, driven by the SDK client."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

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
