"""Every tool that writes answers to the caller's bearer token: refused without the write scope,
and the arguments naming who acts are the token's subject. Over stdio (no token) nothing changes."""

from __future__ import annotations

import pytest
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver.exceptions import ToolError

from adapters.replay.scenario import load_scenario
from mcp_server.config import parse_config
from mcp_server.server import build_tools
from mcp_server.tools.common import guard_writes

pytestmark = pytest.mark.anyio


def every_tool(tmp_path):
    """Every tool with every write switched on, so the posting tools are built too."""
    raw = {
        "services": load_scenario("bad-deploy").services_config(),
        "adapters": {"replay": {"scenario": "bad-deploy"}, "static_status": {"directory": "status"}},
        "comms": {"writes": {"status_page": True, "chat": True, "email": True}},
    }
    config = parse_config(raw, base_dir=tmp_path)
    return [tool for _, tools in build_tools(config) for tool in tools.tools]


def as_caller(scopes: list[str]):
    token = AccessToken(token="h", client_id="carol", subject="carol", scopes=scopes)
    return auth_context_var.set(AuthenticatedUser(token))


async def test_every_write_tool_refuses_a_read_only_token_before_it_runs(tmp_path):
    writes = [t for t in every_tool(tmp_path) if not t.annotations.read_only_hint]
    assert {"append_timeline", "declare_incident", "post_status", "send_email", "post_chat"} <= {t.name for t in writes}
    reset = as_caller(["read"])
    try:
        for tool in writes:
            with pytest.raises(ToolError, match="write scope"):
                await tool.fn()  # no arguments at all: the refusal comes before the tool's own code
    finally:
        auth_context_var.reset(reset)


async def test_the_identity_arguments_become_the_token_subject(tmp_path):
    seen = {}
    tool = next(t for t in every_tool(tmp_path) if t.name == "append_timeline")

    async def original(**arguments):
        seen.update(arguments)
        return "ran"

    probe = tool.model_copy(update={"fn": original})  # the real tool's metadata around a probe
    guard_writes(probe)
    reset = as_caller(["read", "write"])
    try:
        assert await probe.fn(incident_id="INC-1", text="x", actor="mallory") == "ran"
    finally:
        auth_context_var.reset(reset)
    assert seen == {"incident_id": "INC-1", "text": "x", "actor": "carol"}
    assert await probe.fn(incident_id="INC-1", text="y", actor="mallory") == "ran"  # stdio: no token
    assert seen["actor"] == "mallory"
