"""The root of the ``firstfifteen`` command: the parser, one table of command groups, the exit codes.

Exit codes: 0 done; 1 a check failed (doctor) or the run failed; 2 bad config or arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from adapters.errors import ConfigError, FirstfifteenError
from mcp_server import __version__
from mcp_server.cli import comms, deploys, scenarios, serve, setup, timeline, tokens, triage
from mcp_server.cli.common import AddParser, Handler
from mcp_server.clock import InvalidTimeError
from mcp_server.config import CONFIG_ENV
from mcp_server.store.errors import StoreConfigError

GROUPS: tuple[Callable[[AddParser], dict[str, Handler]], ...] = (
    setup.add_parsers,
    scenarios.add_parsers,
    triage.add_parsers,
    serve.add_parsers,
    tokens.add_parsers,
    deploys.add_parsers,
    comms.add_parsers,
    timeline.add_parsers,
)
"""Each adds its commands and returns their handlers; the order is the order of ``--help``."""


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    """The whole command line and the handler of each command."""
    parser = argparse.ArgumentParser(prog="firstfifteen", description="The first fifteen minutes of an incident.")
    parser.add_argument("--version", action="version", version=f"firstfifteen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    handlers: dict[str, Handler] = {}
    for add_group in GROUPS:
        handlers.update(add_group(sub.add_parser))
    for command in sub.choices.values():
        command.add_argument(
            "--config", default=None, help=f"config file (default: ${CONFIG_ENV} or ./firstfifteen.yaml)"
        )
        command.add_argument("--env", default=None, help="named environment in the config")
    return parser, handlers


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used as the console-script entry point)."""
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    try:
        return handlers[args.command](args)
    except (ConfigError, StoreConfigError) as exc:
        print(f"firstfifteen: config error: {exc.describe()}", file=sys.stderr)
        return 2
    except InvalidTimeError as exc:
        print(f"firstfifteen: {exc.describe()}", file=sys.stderr)
        return 2
    except FirstfifteenError as exc:  # any other adapter or store failure: what failed and what to do next
        print(f"firstfifteen: {exc.describe()}", file=sys.stderr)
        return 1
