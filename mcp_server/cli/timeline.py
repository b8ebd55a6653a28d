"""The timeline commands of the CLI: ``timeline`` (print, optionally sync first) and ``receive-alerts``."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import dataclass
from datetime import datetime

from adapters.errors import ConfigError
from mcp_server.cli.common import AddParser, Handler
from mcp_server.config import CONFIG_ENV, Config, load_config
from mcp_server.embedded import demo_settings
from mcp_server.runtime import open_runtime
from mcp_server.store.base import MAX_TIMELINE_LIMIT
from mcp_server.store.models import Incident, TimelineEvent
from mcp_server.store.settings import StoreConfig
from mcp_server.timeline import SyncResult, export_markdown, sync_timeline
from mcp_server.webhook import serve_webhook

TOKEN_ENV = "FIRSTFIFTEEN_WEBHOOK_TOKEN"
"""Where ``receive-alerts`` reads the bearer token senders must present, unless --token-env names another."""


@dataclass
class TimelineRead:
    """What ``timeline`` prints: the incident, its events, and whether more exist than were read."""

    incident: Incident
    events: list[TimelineEvent]
    truncated: bool


def add_parsers(add: AddParser) -> dict[str, Handler]:
    """Add ``timeline`` and ``receive-alerts`` to the command line."""
    timeline = add("timeline", help="print an incident's timeline; --sync pulls chat, alerts, deploys first")
    timeline.add_argument("incident", help="an incident id such as INC-3")
    timeline.add_argument("--sync", action="store_true", help="sync the timeline from its sources before printing")
    shape = timeline.add_mutually_exclusive_group()
    shape.add_argument("--markdown", action="store_true", help="Markdown, by UTC day (the default)")
    shape.add_argument("--json", action="store_true", help="the events (and the sync result) as JSON")
    receive = add("receive-alerts", help="receive Alertmanager webhook notifications into the alert inbox")
    receive.add_argument("--listen", default="127.0.0.1:9095", help="HOST:PORT to listen on (default 127.0.0.1:9095)")
    receive.add_argument(
        "--token-env",
        default=TOKEN_ENV,
        help=f"environment variable holding the bearer token senders must present (default {TOKEN_ENV}; unset: none)",
    )
    return {"timeline": run_timeline, "receive-alerts": run_receive_alerts}


def _chosen_config(args: argparse.Namespace) -> tuple[Config, str, datetime | None]:
    """The config file if one is named (--config or $FIRSTFIFTEEN_CONFIG), else the demo, as ``serve`` does;
    with the data note and the reference time to run it with."""
    chosen = args.config or os.environ.get(CONFIG_ENV)
    if chosen:
        return load_config(chosen, args.env), "", None
    return demo_settings()


async def _timeline(args: argparse.Namespace) -> tuple[SyncResult | None, TimelineRead]:
    config, note, reference = _chosen_config(args)
    async with open_runtime(config, data_note=note, reference=reference) as runtime:
        result = await sync_timeline(runtime, args.incident) if args.sync else None
        incident = runtime.store.get_incident(args.incident)
        events, truncated = runtime.store.get_timeline(incident.id, limit=MAX_TIMELINE_LIMIT)
    return result, TimelineRead(incident, events, truncated)


def _report(result: SyncResult) -> None:
    """One line per source on stderr, so stdout stays the timeline itself."""
    for s in result.sources:
        counts = f"+{s.created} ~{s.updated} ={s.unchanged} x{s.deleted}"
        print(f"sync {s.status:7} {s.capability}:{s.source} {counts} {s.detail}".rstrip(), file=sys.stderr)


def run_timeline(args: argparse.Namespace) -> int:
    """``firstfifteen timeline INC-3 [--sync] [--markdown|--json]``."""
    result, read = asyncio.run(_timeline(args))
    if result is not None:
        _report(result)
    if args.json:
        payload = {
            "sync": result.model_dump(mode="json") if result else None,
            "incident": read.incident.model_dump(mode="json"),
            "events": [e.model_dump(mode="json") for e in read.events],
            "truncated": read.truncated,
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        incident = read.incident
        print(export_markdown(read.events, f"Timeline of {incident.id}: {incident.title}"), end="")
        if read.truncated:
            print(f"\n_Only the first {MAX_TIMELINE_LIMIT} events are shown._")
    return 0


def run_receive_alerts(args: argparse.Namespace) -> int:
    """``firstfifteen receive-alerts --listen HOST:PORT``: serve until interrupted."""
    from mcp_server.store import describe_location, open_store

    try:
        host, port = parse_listen(args.listen)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    chosen = args.config or os.environ.get(CONFIG_ENV)
    config = load_config(chosen, args.env) if chosen else None
    store_config = config.store if config else StoreConfig()
    base_dir = config.base_dir if config else None
    token = os.environ.get(args.token_env) or None
    store = open_store(store_config, base_dir=base_dir)
    where = describe_location(store_config, base_dir=base_dir)
    auth = f"bearer token from ${args.token_env}" if token else "no token"
    print(f"receiving Alertmanager webhooks on http://{args.listen}/alerts ({auth}); inbox in {where}", file=sys.stderr)
    try:
        serve_webhook(store, host, port, token=token)
    finally:
        store.close()
    return 0


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9095`` for IPv6) as a host and a port; ValueError if it is not one."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--listen must be HOST:PORT such as 127.0.0.1:9095, got {value!r}")
    return host.strip("[]"), int(port)
