"""The deploy commands of the CLI: ``deploys`` (list or rank) and ``rollback-plan``."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import timedelta

from adapters.models import TimeWindow
from mcp_server.cli.common import AddParser, Handler, config_of
from mcp_server.clock import parse_time
from mcp_server.config import Config
from mcp_server.deploys.correlate import correlate, fetch_deploys
from mcp_server.deploys.models import Ranking, RollbackPlan
from mcp_server.deploys.plan import plan_rollback
from mcp_server.runtime import open_runtime

JsonObject = dict[str, object]


def add_parsers(add: AddParser) -> dict[str, Handler]:
    """Add ``deploys`` and ``rollback-plan`` to the command line."""
    deploys = add("deploys", help="list recent deploys, or rank them as suspects with --rank")
    deploys.add_argument("--rank", action="store_true", help="rank deploys by how likely each caused the incident")
    deploys.add_argument("--incident", default=None, help="an incident id: its services and start shape the ranking")
    deploys.add_argument("--onset", default=None, help="when the incident began (default: from triage)")
    deploys.add_argument("--service", action="append", default=None, help="an affected service (repeatable)")
    deploys.add_argument("--at", default="now", help="as of this time")
    deploys.add_argument("--json", action="store_true")
    plan = add("rollback-plan", help="draft (never run) a rollback plan for one deploy")
    plan.add_argument("deploy", help="a deploy id from `firstfifteen deploys`")
    plan.add_argument("--at", default="now")
    plan.add_argument("--json", action="store_true")
    return {
        "deploys": lambda args: run_deploys(config_of(args), args),
        "rollback-plan": lambda args: run_rollback_plan(config_of(args), args),
    }


async def _ranking(config: Config, args: argparse.Namespace) -> Ranking:
    async with open_runtime(config) as runtime:
        at = parse_time(args.at, runtime.reference_time())
        # A relative onset ("now-20m") counts back from --at, like every other time of this run.
        services, onset = args.service, parse_time(args.onset, at) if args.onset else None
        if args.incident:
            incident = runtime.store.get_incident(args.incident)
            services = services or ([incident.suspected_service] if incident.suspected_service else None)
            onset = onset or (incident.started_at if services else None)
        return await correlate(runtime, at, services, onset)


async def _listing(config: Config, at: str) -> list[JsonObject]:
    async with open_runtime(config) as runtime:
        moment = parse_time(at, runtime.reference_time())
        window = TimeWindow.ending_at(moment, timedelta(hours=config.deploys.lookback_hours))
        deploys, _ = await fetch_deploys(runtime, window)
        return [d.model_dump(mode="json") for d in deploys]


def run_deploys(config: Config, args: argparse.Namespace) -> int:
    """``firstfifteen deploys [--rank]``."""
    if args.rank:
        ranking = asyncio.run(_ranking(config, args))
        print(ranking.model_dump_json(indent=2) if args.json else ranking.summary_markdown)
        return 0
    listing = asyncio.run(_listing(config, args.at))
    if args.json:
        print(json.dumps(listing, indent=2))
    for d in [] if args.json else listing:
        print(f"{d['id']}  {d['service']}  {d['version']}  {d['status']}  started {d['started_at']}")
    return 0


async def _plan(config: Config, deploy_id: str, at: str) -> RollbackPlan:
    async with open_runtime(config) as runtime:
        return await plan_rollback(runtime, deploy_id, parse_time(at, runtime.reference_time()))


def run_rollback_plan(config: Config, args: argparse.Namespace) -> int:
    """``firstfifteen rollback-plan DEPLOY``."""
    plan = asyncio.run(_plan(config, args.deploy, args.at))
    print(plan.model_dump_json(indent=2) if args.json else plan.summary_markdown)
    return 0
