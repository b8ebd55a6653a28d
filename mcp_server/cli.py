"""The ``firstfifteen`` command: demo, triage, serve, doctor, scenarios.

Exit codes: 0 done; 1 a check failed (doctor) or the run failed; 2 bad config or arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from adapters.errors import AdapterError, ConfigError
from mcp_server import cli_comms, cli_deploys, cli_timeline
from mcp_server.clock import InvalidTimeError, parse_time
from mcp_server.config import CONFIG_ENV, Config, load_config
from mcp_server.runtime import Runtime, open_runtime
from mcp_server.triage.engine import run_triage


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="firstfifteen", description="The first fifteen minutes of an incident.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="triage a bundled scenario end to end, no network")
    demo.add_argument("--scenario", default=None, help="a bundled scenario name (see `firstfifteen scenarios`)")
    demo.add_argument("--json", action="store_true", help="print the typed result as JSON")
    triage = sub.add_parser("triage", help="triage the configured services")
    triage.add_argument("--at", default="now", help="as of this time: now, now-30m, or RFC3339")
    triage.add_argument("--services", default=None, help="comma-separated service names (default: all)")
    triage.add_argument("--json", action="store_true", help="print the typed result as JSON")
    for name, text in (("serve", "run the MCP server over stdio"), ("doctor", "check every configured adapter")):
        sub.add_parser(name, help=text)
    sub.add_parser("scenarios", help="list the bundled scenarios")
    cli_deploys.add_parsers(sub)
    cli_comms.add_parsers(sub)
    cli_timeline.add_parsers(sub)
    for command in sub.choices.values():
        command.add_argument(
            "--config", default=None, help=f"config file (default: ${CONFIG_ENV} or ./firstfifteen.yaml)"
        )
        command.add_argument("--env", default=None, help="named environment in the config")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used as the console-script entry point)."""
    args = _parser().parse_args(argv)
    try:
        handler = {
            "demo": _demo,
            "triage": _triage,
            "serve": _serve,
            "doctor": _doctor,
            "scenarios": _scenarios,
            "deploys": lambda a: cli_deploys.run_deploys(_config(a), a),
            "rollback-plan": lambda a: cli_deploys.run_rollback_plan(_config(a), a),
            "comms": lambda a: cli_comms.run_comms(_config(a), a),
            "timeline": cli_timeline.run_timeline,
            "receive-alerts": cli_timeline.run_receive_alerts,
        }
        code = handler[args.command](args)
    except ConfigError as exc:
        print(f"firstfifteen: config error: {exc.describe()}", file=sys.stderr)
        code = 2
    except InvalidTimeError as exc:
        print(f"firstfifteen: {exc.describe()}", file=sys.stderr)
        code = 2
    except AdapterError as exc:
        print(f"firstfifteen: {exc.describe()}", file=sys.stderr)
        code = 1
    return code


def _config(args: argparse.Namespace) -> Config:
    return load_config(args.config, args.env)


async def _progress(done: float, total: float, message: str) -> None:
    # A live progress line only on a terminal; pipes and CI logs stay clean.
    if sys.stderr.isatty():
        print(f"\r\033[K[{done:.0f}/{total:.0f}] {message}", end="", file=sys.stderr, flush=True)


def _print_triage(result_json: str, summary: str, as_json: bool) -> None:
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)
    print(result_json if as_json else summary)


async def _run_triage(config: Config, at: str, services: list[str] | None, as_json: bool, **runtime_args) -> int:  # noqa: ANN003
    async with open_runtime(config, **runtime_args) as runtime:
        moment = parse_time(at, runtime.reference_time())
        result = await run_triage(runtime, moment, services, _progress)
    _print_triage(result.model_dump_json(indent=2), result.summary_markdown, as_json)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from mcp_server.demo import DEFAULT_SCENARIO, scenario_config

    config, note, anchor = scenario_config(args.scenario or DEFAULT_SCENARIO)
    return asyncio.run(_run_demo(config, args.json, data_note=note, reference=anchor))


async def _run_demo(config: Config, as_json: bool, **runtime_args) -> int:  # noqa: ANN003
    """The demo on a throwaway incident record (never the responder's own)."""
    from mcp_server.demo import render_demo, run_demo
    from mcp_server.store.sqlite import SqliteIncidentStore

    with tempfile.TemporaryDirectory(prefix="firstfifteen-demo-") as scratch:
        async with open_runtime(config, **runtime_args) as runtime:
            runtime.use_store(SqliteIncidentStore(Path(scratch) / "demo.sqlite3"))
            run = await run_demo(runtime, _progress)
    if as_json:
        parts = {"triage": run.triage, "deploy_ranking": run.ranking, "rollback_plan": run.plan, "drafts": run.drafts}
        body = {k: v.model_dump(mode="json") if v else None for k, v in parts.items()}
        body["timeline"] = [e.model_dump(mode="json") for e in run.timeline]
        _print_triage(json.dumps(body, indent=2), "", True)
    else:
        _print_triage("", render_demo(run), False)
    return 0


def _triage(args: argparse.Namespace) -> int:
    config = _config(args)
    services = [s.strip() for s in args.services.split(",") if s.strip()] if args.services else None
    return asyncio.run(_run_triage(config, args.at, services, args.json))


def _serve(args: argparse.Namespace) -> int:
    from mcp_server.server import create_server

    chosen = args.config or os.environ.get(CONFIG_ENV)
    server = create_server(load_config(chosen, args.env)) if chosen else create_server()
    server.run()  # stdio; nothing may print to stdout from here on
    return 0


async def _check_all(runtime: Runtime) -> list[tuple[str, bool, str]]:
    async def one(name: str, adapter: object) -> tuple[str, bool, str]:
        try:
            detail = await asyncio.wait_for(adapter.check(), timeout=runtime.config.triage.deadline_seconds)  # type: ignore[attr-defined]
            return name, True, detail
        except TimeoutError:
            return name, False, "no answer within the deadline"
        except AdapterError as exc:
            return name, False, exc.describe()

    return list(await asyncio.gather(*(one(n, a) for n, a in runtime.adapters.items())))


def _doctor(args: argparse.Namespace) -> int:
    config = _config(args)

    async def run() -> list[tuple[str, bool, str]]:
        async with open_runtime(config) as runtime:
            return await _check_all(runtime)

    results = asyncio.run(run())
    print(f"config: ok ({len(config.services)} services, environment {config.environment})")
    for name, ok, detail in results:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not results:
        print("no adapters configured: add some under adapters: (see docs/configuration.md)")
    return 0 if results and all(ok for _, ok, _ in results) else 1


def _scenarios(args: argparse.Namespace) -> int:
    from adapters.replay.scenario import list_scenarios, load_scenario

    for name in list_scenarios():
        print(f"{name}: {load_scenario(name).title}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
