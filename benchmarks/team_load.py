"""Load on a team's shared server: many responders' clients, one HTTP server, one PostgreSQL.

Run from the repository root (needs Debian's ``postgresql`` package, as the tests do)::

    .venv/bin/python benchmarks/team_load.py [--clients 20] [--seconds 300] [--json]

Starts a throwaway PostgreSQL with the tests' harness (tests/pg_server.py), then
``firstfifteen serve --transport http`` on loopback with one write token per client, backed by it
(tests/http_server.py). One client declares an incident; then every client, each with its own
token and its own MCP session, calls tools on that incident as fast as it can for ``--seconds``:

- ``append_timeline`` (half the calls), each with a unique ``dedup_key``; a failed call is retried
  once with the same key, as a careful client would, so a retry can never add a second event;
- ``get_timeline`` (the last 20 events), ``get_incident``, ``list_hypotheses`` and
  ``get_coordination`` (the other half): what a responder's client reads between writes.

It prints throughput, p50/p90/p99 latency per tool and overall, errors, and the audit: every
acknowledged append must be in the store exactly once, with the appending client's identity as its
actor, and nothing else may have appeared. Figures are recorded in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from http_server import connect, team_server  # noqa: E402
from pg_server import postgres_server  # noqa: E402

READS = ["get_timeline", "get_incident", "list_hypotheses", "get_coordination"]


@dataclass
class ClientLog:
    """What one client did: latencies per tool, errors, and the appends the server acknowledged."""

    subject: str
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    acknowledged: list[str] = field(default_factory=list)


def read_arguments(tool: str, incident_id: str) -> dict[str, Any]:
    """The arguments of one read call."""
    if tool == "get_timeline":
        return {"incident_id": incident_id, "limit": 20}
    return {"incident_id": incident_id}


async def timed_call(session: Any, log: ClientLog, tool: str, arguments: dict[str, Any]) -> bool:
    """Call ``tool``, record its latency (or its error), and say whether it succeeded."""
    started = time.perf_counter()
    try:
        result = await session.call_tool(tool, arguments)
    except Exception as exc:  # a transport failure counts as an error of this call, the run goes on
        log.errors[f"{tool}: {type(exc).__name__}"] += 1
        return False
    log.latencies[tool].append(time.perf_counter() - started)
    if result.is_error:
        log.errors[f"{tool}: is_error"] += 1
        return False
    return True


async def run_client(url: str, token: str, log: ClientLog, incident_id: str, until: float, seed: int) -> None:
    """One responder's client: its own session, writes and reads on the shared incident until ``until``."""
    rng = random.Random(seed)
    sequence = 0
    async with connect(url, token) as session:
        while time.perf_counter() < until:
            if rng.random() < 0.5:
                sequence += 1
                key = f"{log.subject}-{sequence}"
                arguments = {"incident_id": incident_id, "text": f"load note {key}", "dedup_key": key}
                if await timed_call(session, log, "append_timeline", arguments) or await timed_call(
                    session, log, "append_timeline", arguments
                ):
                    log.acknowledged.append(key)
            else:
                tool = rng.choice(READS)
                await timed_call(session, log, tool, read_arguments(tool, incident_id))


def audit(store_url: str, incident_id: str, logs: list[ClientLog]) -> dict[str, int]:
    """Compare the acknowledged appends with the rows in PostgreSQL, read with SQL rather than through
    the store's own code: lost, duplicated (by text, so the unique key cannot hide it), unexpected,
    and under the wrong actor."""
    import psycopg

    number = int(incident_id.removeprefix("INC-"))
    with psycopg.connect(store_url) as conn:
        rows = conn.execute(
            "SELECT text, actor FROM timeline_events WHERE incident = %s AND kind = 'note'", (number,)
        ).fetchall()
    seen = Counter(text.removeprefix("load note ") for text, _ in rows)
    actors: dict[str, set[str]] = defaultdict(set)
    for text, actor in rows:
        actors[text.removeprefix("load note ")].add(actor)
    expected = {key: log.subject for log in logs for key in log.acknowledged}
    return {
        "acknowledged": len(expected),
        "stored": len(rows),
        "lost": sum(1 for key in expected if key not in seen),
        "duplicated": sum(count - 1 for count in seen.values() if count > 1),
        "unexpected": sum(1 for key in seen if key not in expected),
        "wrong_actor": sum(1 for key, subject in expected.items() if key in seen and actors[key] != {subject}),
    }


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile of ``values`` (nearest rank), in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summarize(logs: list[ClientLog], seconds: float) -> dict[str, Any]:
    """Calls per second and latency percentiles per tool and overall."""
    by_tool: dict[str, list[float]] = defaultdict(list)
    for log in logs:
        for tool, values in log.latencies.items():
            by_tool[tool].extend(values)
    every = [v for values in by_tool.values() for v in values]
    rows = {
        tool: {
            "calls": len(v),
            "p50_ms": percentile(v, 0.5),
            "p90_ms": percentile(v, 0.9),
            "p99_ms": percentile(v, 0.99),
        }
        for tool, v in sorted(by_tool.items())
    }
    errors: Counter[str] = Counter()
    for log in logs:
        errors.update(log.errors)
    return {
        "calls": len(every),
        "calls_per_second": len(every) / seconds,
        "p50_ms": percentile(every, 0.5),
        "p99_ms": percentile(every, 0.99),
        "mean_ms": 1000 * statistics.fmean(every),
        "tools": rows,
        "errors": dict(errors),
    }


async def run(clients: int, seconds: float) -> dict[str, Any]:
    """Start PostgreSQL and the server, run the clients, audit the record."""
    os.environ.pop("FIRSTFIFTEEN_DB", None)  # the audit must read the benchmark's database, not a redirect
    subjects = [f"responder-{n:02d}" for n in range(1, clients + 1)]
    with postgres_server() as pg:
        store_url = pg.new_database()
        with team_server(store_url, {s: "write" for s in subjects}) as served:
            async with connect(served.url, served.tokens[subjects[0]]) as session:
                declared = await session.call_tool(
                    "declare_incident", {"title": "Load test: checkout 500s", "severity": "SEV2"}
                )
                incident_id = declared.structured_content["id"]
            logs = [ClientLog(subject) for subject in subjects]
            started = time.perf_counter()
            async with anyio.create_task_group() as group:
                for n, log in enumerate(logs):
                    group.start_soon(
                        run_client, served.url, served.tokens[log.subject], log, incident_id, started + seconds, n
                    )
            elapsed = time.perf_counter() - started
        report = summarize(logs, elapsed)
        report.update(clients=clients, seconds=round(elapsed, 1), audit=audit(store_url, incident_id, logs))
    return report


def print_report(report: dict[str, Any]) -> None:
    """The report as markdown, for docs/performance.md."""
    print(
        f"{report['clients']} clients, {report['seconds']} s: {report['calls']} calls, "
        f"{report['calls_per_second']:.0f} calls/s, p50 {report['p50_ms']:.1f} ms, p99 {report['p99_ms']:.1f} ms"
    )
    print("\n| tool | calls | p50 ms | p90 ms | p99 ms |\n|---|---:|---:|---:|---:|")
    for tool, row in report["tools"].items():
        print(f"| `{tool}` | {row['calls']:,} | {row['p50_ms']:.1f} | {row['p90_ms']:.1f} | {row['p99_ms']:.1f} |")
    print(f"\nerrors: {report['errors'] or 'none'}")
    print("audit: " + ", ".join(f"{k} {v:,}" for k, v in report["audit"].items()))


def main() -> None:
    """Parse the options, run, print; exit 1 when the audit found a lost, duplicated or misattributed event."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    report = anyio.run(run, options.clients, options.seconds)
    print(json.dumps(report, indent=2)) if options.json else print_report(report)
    bad = {k: v for k, v in report["audit"].items() if k in {"lost", "duplicated", "unexpected", "wrong_actor"} and v}
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
