"""``firstfifteen triage``: the one-page triage of the configured services."""

from __future__ import annotations

import argparse
import asyncio

from mcp_server.cli.common import AddParser, Handler, config_of, print_result, progress
from mcp_server.clock import parse_time
from mcp_server.config import Config
from mcp_server.runtime import open_runtime
from mcp_server.triage.engine import run_triage


def add_parsers(add: AddParser) -> dict[str, Handler]:
    """Add ``triage``."""
    triage = add("triage", help="triage the configured services")
    triage.add_argument("--at", default="now", help="as of this time: now, now-30m, or RFC3339")
    triage.add_argument("--services", default=None, help="comma-separated service names (default: all)")
    triage.add_argument("--json", action="store_true", help="print the typed result as JSON")
    return {"triage": run_triage_command}


def run_triage_command(args: argparse.Namespace) -> int:
    """``firstfifteen triage [--at T] [--services a,b] [--json]``."""
    config = config_of(args)
    services = [s.strip() for s in args.services.split(",") if s.strip()] if args.services else None
    return asyncio.run(_triage(config, args.at, services, args.json))


async def _triage(config: Config, at: str, services: list[str] | None, as_json: bool) -> int:
    async with open_runtime(config) as runtime:
        moment = parse_time(at, runtime.reference_time())
        result = await run_triage(runtime, moment, services, progress)
    print_result(result.model_dump_json(indent=2) if as_json else result.summary_markdown)
    return 0
