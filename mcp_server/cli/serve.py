"""``firstfifteen serve``: the MCP server over stdio (what the Claude Code plugin launches)."""

from __future__ import annotations

import argparse
import os

from mcp_server.cli.common import AddParser, Handler
from mcp_server.config import CONFIG_ENV, Config, load_config
from mcp_server.tool_groups import GROUPS_ENV, TOOL_GROUPS, parse_groups


def add_parsers(add: AddParser) -> dict[str, Handler]:
    """Add ``serve``."""
    serve = add("serve", help="run the MCP server over stdio")
    serve.add_argument(
        "--groups",
        default=None,
        help=f"offer only these tool groups, comma-separated (default: ${GROUPS_ENV}, else tools.groups "
        f"in the config, else all): {','.join(TOOL_GROUPS)}",
    )
    return {"serve": run_serve}


def chosen_groups(config: Config, flag: str | None) -> Config:
    """``config`` with the groups of ``--groups``, else of $FIRSTFIFTEEN_GROUPS, else its own."""
    if flag is not None:
        return config.with_groups(parse_groups(flag, "--groups"))
    if os.environ.get(GROUPS_ENV):
        return config.with_groups(parse_groups(os.environ[GROUPS_ENV], GROUPS_ENV))
    return config


def run_serve(args: argparse.Namespace) -> int:
    """Serve the config named by --config or $FIRSTFIFTEEN_CONFIG, else the embedded demo default."""
    from mcp_server.embedded import demo_settings
    from mcp_server.server import create_server  # the MCP SDK is only loaded for this command

    chosen = args.config or os.environ.get(CONFIG_ENV)
    if chosen:
        server = create_server(chosen_groups(load_config(chosen, args.env), args.groups))
    else:
        config, note, reference = demo_settings()
        server = create_server(chosen_groups(config, args.groups), data_note=note, reference=reference)
    server.run()  # stdio; nothing may print to stdout from here on
    return 0
