"""``firstfifteen serve``: the MCP server over stdio (what the Claude Code plugin launches)."""

from __future__ import annotations

import argparse
import os

from mcp_server.cli.common import AddParser, Handler
from mcp_server.config import CONFIG_ENV, load_config


def add_parsers(add: AddParser) -> dict[str, Handler]:
    """Add ``serve``."""
    add("serve", help="run the MCP server over stdio")
    return {"serve": run_serve}


def run_serve(args: argparse.Namespace) -> int:
    """Serve the config named by --config or $FIRSTFIFTEEN_CONFIG, else the embedded demo default."""
    from mcp_server.server import create_server  # the MCP SDK is only loaded for this command

    chosen = args.config or os.environ.get(CONFIG_ENV)
    server = create_server(load_config(chosen, args.env)) if chosen else create_server()
    server.run()  # stdio; nothing may print to stdout from here on
    return 0
