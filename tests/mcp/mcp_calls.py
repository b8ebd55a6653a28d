"""Calling the server's tools from a test through the SDK's in-memory client: the helpers every MCP test shares."""

from __future__ import annotations

from typing import Any

from mcp import Client


def text_of(result: Any) -> str:
    """The text blocks of a tool result, joined (an error's message is there)."""
    return " ".join(getattr(block, "text", "") for block in result.content)


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    """Call ``tool`` and return its structured result; fail the test with the error's text if it errs."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    return result.structured_content


async def refused(client: Client, tool: str, **arguments: Any) -> str:
    """Call ``tool`` expecting an error; its text."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return text_of(result)


async def declare(client: Client, started_at: str = "now-15m") -> str:
    """Declare a SEV2 checkout incident; its id."""
    declared = await call(client, "declare_incident", title="checkout errors", severity="SEV2", started_at=started_at)
    return str(declared["id"])
