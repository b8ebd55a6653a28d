"""The bundled scenarios on the command line: ``firstfifteen demo`` runs one, ``scenarios`` lists them."""

from __future__ import annotations

import argparse
import asyncio

from mcp_server.cli.common import AddParser, Handler, print_result, progress
from mcp_server.demo import demo_report
from mcp_server.embedded import DEFAULT_SCENARIO, scenario_config


def add_parsers(add: AddParser) -> dict[str, Handler]:
    """Add ``demo`` and ``scenarios``."""
    demo = add("demo", help="triage a bundled scenario end to end, no network")
    demo.add_argument("--scenario", default=None, help="a bundled scenario name (see `firstfifteen scenarios`)")
    demo.add_argument("--json", action="store_true", help="print the typed result as JSON")
    add("scenarios", help="list the bundled scenarios")
    return {"demo": run_demo_command, "scenarios": run_scenarios}


def run_demo_command(args: argparse.Namespace) -> int:
    """``firstfifteen demo [--scenario NAME] [--json]``, on a throwaway incident record."""
    config, note, anchor = scenario_config(args.scenario or DEFAULT_SCENARIO)
    report = asyncio.run(demo_report(config, progress, as_json=args.json, data_note=note, reference=anchor))
    print_result(report)
    return 0


def run_scenarios(args: argparse.Namespace) -> int:
    """``firstfifteen scenarios``: one line per bundled scenario."""
    from adapters.replay.scenario import list_scenarios, load_scenario  # loads YAML fixtures; only needed here

    for name in list_scenarios():
        print(f"{name}: {load_scenario(name).title}")
    return 0
