"""The records of a long incident: log patterns, the handoff and the post-mortem draft at scale.

Run from the repository root::

    .venv/bin/python benchmarks/response_records.py [--repeat 5]

1. Groups 5,000 log lines (the most ``query_logs`` reads from one source) of 40 error templates with
   varying ids, durations, UUIDs and IPs into patterns.
2. Builds an incident in a temporary SQLite store with 5,000 timeline events (the store's maximum
   read), 30 hypotheses with 5 pieces of evidence each, 200 coordination items and 20 role
   handovers, written by the real store (every change with its timeline event).
3. Times reading the record and assembling and rendering the post-mortem draft (what
   ``draft_postmortem`` does, without the file), and the handoff (what ``handoff`` computes).

Each figure is the median of ``--repeat`` runs after one warm-up; peak memory is measured with
``tracemalloc`` over one extra run. The figures are printed and written into docs/performance.md
between ``<!-- response_records:start -->`` and ``<!-- response_records:end -->``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.models import LogLine  # noqa: E402
from mcp_server.coordination.handoff import build_handoff, read_handoff_record  # noqa: E402
from mcp_server.coordination.models import ROLES, WorkItem  # noqa: E402
from mcp_server.evidence.patterns import group_patterns  # noqa: E402
from mcp_server.hypotheses.models import Evidence, Hypothesis  # noqa: E402
from mcp_server.postmortem.draft import assemble, read_record, render  # noqa: E402
from mcp_server.store.models import IncidentDraft, TimelineEntry  # noqa: E402
from mcp_server.store.sqlite import SqliteIncidentStore  # noqa: E402

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
START = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
LINES, EVENTS, HYPOTHESES, ITEMS, HANDOVERS = 5_000, 5_000, 30, 200, 20


def log_lines() -> list[LogLine]:
    """5,000 lines of 40 templates, each with variable parts."""
    return [
        LogLine(
            t=START + timedelta(seconds=n),
            line=f"POST /api/route{n % 40} 500: Timeout{n % 40} after {n % 997} ms "
            f"id={n * 7919} req={n:08x}-aaaa-bbbb-cccc-{n:012x} peer=10.0.{n % 250}.{n % 200}:5432",
            labels={"service": f"svc-{n % 40}"},
        )
        for n in range(LINES)
    ]


def build_store(path: Path) -> str:
    """An incident with the record sizes above, written through the real store."""
    store = SqliteIncidentStore(path)
    incident = store.declare_incident(
        IncidentDraft(title="Checkout errors", severity="SEV2", declared_by="alice", started_at=START)
    ).id
    for n in range(EVENTS - 1):
        entry = TimelineEntry(
            source="slack", kind="message", text=f"message {n}", actor="bob", occurred_at=START + timedelta(seconds=n)
        )
        store.append_event(incident, entry)
    for n in range(HYPOTHESES):
        evidence = [
            Evidence(direction="for" if k % 2 else "against", summary=f"finding {n}.{k}", source="query")
            for k in range(5)
        ]
        store.record_hypothesis(incident, Hypothesis(statement=f"cause {n}", evidence=evidence), "alice")
    kinds = ("workstream", "ruled_out", "question", "action")
    for n in range(ITEMS):
        store.add_item(incident, WorkItem(kind=kinds[n % 4], text=f"item {n}", owner="bob"), "alice")  # type: ignore[arg-type]
    for n in range(HANDOVERS):
        role = ROLES[n % len(ROLES)]
        current = store.get_coordination(incident).roles.get(role)
        store.assign_role(incident, role, f"person-{n}", "alice", expected_holder=current)
    store.close()
    return incident


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median seconds over ``repeat`` runs after a warm-up, and peak MiB of one traced run."""
    work()
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        runs.append(time.perf_counter() - began)
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(runs), peak


def main() -> None:
    """Measure, print, and write the figures into docs/performance.md."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    lines = log_lines()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "bench.sqlite3"
        incident = build_store(path)
        store = SqliteIncidentStore(path)
        now = START + timedelta(hours=3)

        def draft() -> object:
            return render(assemble(read_record(store, incident), now))

        def handoff() -> object:
            return build_handoff(read_handoff_record(store, incident, {"status_page": 30}, now), now, "alice")

        figures = {
            f"group {LINES:,} log lines into patterns": timed(lambda: group_patterns(lines), repeat),
            f"post-mortem draft ({EVENTS:,} events, {HYPOTHESES} hypotheses, {ITEMS} items)": timed(draft, repeat),
            "handoff, same record": timed(handoff, repeat),
        }
        store.close()
    table = ["| step | median | peak memory |", "|---|---:|---:|"]
    table += [f"| {name} | {seconds * 1000:.0f} ms | {peak:.1f} MiB |" for name, (seconds, peak) in figures.items()]
    body = "\n".join(
        [
            "Measured with `.venv/bin/python benchmarks/response_records.py` (median of "
            f"{repeat} runs after a warm-up; peak memory by tracemalloc over one more run).",
            "",
            *table,
        ]
    )
    print(body)
    text = DOC.read_text(encoding="utf-8")
    section = f"<!-- response_records:start -->\n{body}\n<!-- response_records:end -->"
    pattern = re.compile(r"<!-- response_records:start -->.*?<!-- response_records:end -->", re.S)
    DOC.write_text(pattern.sub(lambda _: section, text) if pattern.search(text) else text + "\n" + section + "\n")


if __name__ == "__main__":
    main()
