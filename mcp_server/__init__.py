"""firstfifteen's MCP server, triage engine, incident record and CLI."""

__version__ = "0.1.0"
