"""MCP tool modules, one per concern; each exposes ``register(mcp)``."""
