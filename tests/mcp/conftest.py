"""The MCP tests' shared client: the embedded default server, through the SDK's in-memory transport."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client

from mcp_server.server import create_server


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    """A client of a fresh embedded-default server; a test module may define its own instead."""
    async with Client(create_server(), raise_exceptions=True) as c:
        yield c
