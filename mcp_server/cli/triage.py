"""``firstfifteen triage`` (the one-page triage of the configured services) and ``doctor``."""

from __future__ import annotations

import argparse
import asyncio

from adapters.base import Adapter
from adapters.errors import AdapterError
from mcp_server.cli.common import AddParser, Handler, config_of, print_result, progress
from mcp_server.clock import parse_time
from mcp_server.config import Config
from mcp_server.runtime import Runtime, open_runtime
from mcp_server.triage.engine import run_triage


def add_parsers(add: AddParser) -> dict[str, Handler]:
    """Add ``triage`` and ``doctor``."""
    triage = add("triage", help="triage the configured services")
    triage.add_argument("--at", default="now", help="as of this time: now, now-30m, or RFC3339")
    triage.add_argument("--services", default=None, help="comma-separated service names (default: all)")
    triage.add_argument("--json", action="store_true", help="print the typed result as JSON")
    add("doctor", help="check every configured adapter")
    return {"triage": run_triage_command, "doctor": run_doctor}


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


async def check_all(runtime: Runtime) -> list[tuple[str, bool, str]]:
    """Every adapter's cheap probe, concurrently, each bounded by the triage deadline."""

    async def one(name: str, adapter: Adapter) -> tuple[str, bool, str]:
        try:
            detail = await asyncio.wait_for(adapter.check(), timeout=runtime.config.triage.deadline_seconds)
            return name, True, detail
        except TimeoutError:
            return name, False, "no answer within the deadline"
        except AdapterError as exc:
            return name, False, exc.describe()

    return list(await asyncio.gather(*(one(n, a) for n, a in runtime.adapters.items())))


def run_doctor(args: argparse.Namespace) -> int:
    """``firstfifteen doctor``: 0 when every adapter answers, else 1."""
    config = config_of(args)

    async def run() -> list[tuple[str, bool, str]]:
        async with open_runtime(config) as runtime:
            return await check_all(runtime)

    results = asyncio.run(run())
    print(f"config: ok ({len(config.services)} services, environment {config.environment})")
    for name, ok, detail in results:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not results:
        print("no adapters configured: add some under adapters: (see docs/configuration.md)")
    return 0 if results and all(ok for _, ok, _ in results) else 1
