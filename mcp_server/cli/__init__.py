"""The ``firstfifteen`` command line: one module per command group, ``main`` the entry point.

Like the MCP server, the demo and the webhook receiver, the CLI is a face of the domain: it parses
arguments, calls plain domain functions and prints; it never imports the MCP tools or another face
beyond the one function that starts it (``tests/architecture/test_faces.py``).
"""

from __future__ import annotations

from mcp_server.cli.main import main

__all__ = ["main"]
