"""``firstfifteen init`` (write a starter config) and ``doctor`` (check a config against its systems)."""

from __future__ import annotations

import argparse
import asyncio
import json

from mcp_server.cli.common import AddParser, Handler
from mcp_server.clock import parse_time
from mcp_server.config import Config, config_file
from mcp_server.doctor import CheckRow, adapter_rows, env_rows, load_row, signal_rows, store_row
from mcp_server.runtime import open_runtime
from mcp_server.starter import STARTER_ENV, write_starter


def add_parsers(add: AddParser) -> dict[str, Handler]:
    """Add ``init`` and ``doctor``."""
    init = add("init", help="write a commented starter firstfifteen.yaml")
    init.add_argument("--path", default="firstfifteen.yaml", help="where to write it (default: ./firstfifteen.yaml)")
    init.add_argument("--force", action="store_true", help="replace the file if it exists")
    doctor = add("doctor", help="check the config, every adapter, the signal queries and the store")
    doctor.add_argument("--json", action="store_true", help="print the rows as JSON")
    doctor.add_argument("--at", default="now", help="check the signal queries as of this time (default: now)")
    return {"init": run_init, "doctor": run_doctor}


def run_init(args: argparse.Namespace) -> int:
    """``firstfifteen init [--path P] [--force]``."""
    path = write_starter(args.path, force=args.force)
    print(f"wrote {path}: edit the values marked EDIT, then export {', '.join(STARTER_ENV)}")
    print(f"and run: firstfifteen doctor --config {path}")
    return 0


def run_doctor(args: argparse.Namespace) -> int:
    """``firstfifteen doctor [--json]``: 0 when nothing failed, else 1."""
    rows = env_rows(config_file(args.config))
    row, config = load_row(args.config, args.env)
    rows.append(row)
    if config is not None:
        rows += asyncio.run(_live_rows(config, args.at))
    print(json.dumps([r.model_dump() for r in rows], indent=2) if args.json else table(rows))
    return 1 if any(r.status == "fail" for r in rows) else 0


async def _live_rows(config: Config, at: str) -> list[CheckRow]:
    deadline = config.triage.deadline_seconds
    async with open_runtime(config) as runtime:
        moment = parse_time(at, runtime.reference_time())
        adapters, signals = await asyncio.gather(
            adapter_rows(runtime, deadline), signal_rows(runtime, deadline, moment)
        )
    if not adapters:
        hint = "Add some under adapters: (see docs/configuration.md)."
        adapters = [CheckRow(source="adapters", status="warn", detail="none configured", next_step=hint)]
    return [*adapters, *signals, store_row(config)]


def table(rows: list[CheckRow]) -> str:
    """The rows as a plain table: source, ok/warn/FAIL, detail and next step."""
    width = max(len(r.source) for r in rows)
    lines = [f"{'source'.ljust(width)}  status  detail / next step"]
    for r in rows:
        status = "FAIL" if r.status == "fail" else r.status
        lines.append(f"{r.source.ljust(width)}  {status.ljust(6)}  {r.detail}")
        if r.next_step:
            lines.append(f"{''.ljust(width)}          next step: {r.next_step}")
    return "\n".join(lines)
