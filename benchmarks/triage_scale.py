"""Triage at scale against a real Prometheus: 50, 200 and 500 services over 8 days of one-minute data.

Run from the repository root (Debian's ``prometheus`` and ``promtool`` must be installed)::

    .venv/bin/python benchmarks/triage_scale.py [--sizes 50,200,500] [--repeat 3]

1. Builds a synthetic scenario of 500 services in a layered dependency graph (service ``i`` calls
   1 to 4 services before it, so the first 50 or 200 form a closed graph of their own), 2 routes
   each; three are degraded: a root whose bad deploy makes one route answer 500s, and its two
   callers, whose errors rise as a symptom.
2. Exports the whole history (8 days and 30 minutes, every minute) as OpenMetrics, in parallel
   worker processes whose parts are merged family by family, backfills it with promtool and
   serves it from a real Prometheus on 127.0.0.1. The TSDB stays under ``benchmarks/.data/``
   (git-ignored), keyed by a digest of the scenario and of sample values: a second run with
   nothing changed skips the export and the backfill.
3. For each size: ``run_triage`` with the first N services configured, metrics from Prometheus
   and deploys, alerts and health from the scenario's replay adapter, at the scenario's anchor;
   wall time (median of ``--repeat`` runs after one warm-up), CPU (this process, Prometheus,
   everything else), HTTP requests (by path), the size of ``summary_markdown``, and whether the
   three degraded services were found. Then "the per-service way": one instant query per
   service, signal and moment, with ``service="<name>"``.
4. Prints a table and rewrites the results part of docs/performance.md (between its markers;
   the prose around them is left alone). Also reports peak RSS and the data's size and cost.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import multiprocessing
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from string import Template
from typing import Any, BinaryIO

import httpx
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "integration")]

from prometheus_server import _CONFIG, _stop, find_binary, free_port, wait_ready  # noqa: E402

from adapters.models import SignalQuery, TimeWindow  # noqa: E402
from adapters.replay.openmetrics import promtool_command, write_openmetrics  # noqa: E402
from adapters.replay.scenario import Scenario  # noqa: E402
from adapters.replay.synthetic import LE_LABELS, SyntheticMetrics, epoch_minute  # noqa: E402
from mcp_server.clock import align_to_minute  # noqa: E402
from mcp_server.config import SignalsConfig, parse_config  # noqa: E402
from mcp_server.runtime import Runtime, open_runtime  # noqa: E402
from mcp_server.signals import promql_string, render_range  # noqa: E402
from mcp_server.triage.assess import MOMENTS, QUANTILES  # noqa: E402
from mcp_server.triage.collect import make_plan  # noqa: E402
from mcp_server.triage.engine import run_triage  # noqa: E402
from mcp_server.triage.models import TriageResult  # noqa: E402

DATA_DIR = REPO / "benchmarks" / ".data"
DOC = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
COMMAND = ".venv/bin/python benchmarks/triage_scale.py"

FORMAT_REVISION = 1
"""Bump to rebuild the cached TSDB when this file changes how the data is made."""
SCENARIO_NAME = "scale-500"
MAX_SERVICES = 500
ANCHOR = "2026-10-21T14:07:00Z"
"""A Wednesday near the daily peak. The 8 days before it fall inside one of promtool's 486h block
ranges, so promtool reads the input twice (bounds, then the one block) instead of three times."""
SEED = 20261021
ROOT, CALLERS = 7, (12, 23)
"""Indices of the bad deploy's service and of the two services that call it (all in the first 50)."""
TARGET_SECONDS, TARGET_CHARS = 2.0, 8000
QUIET_CPU = 0.25
"""Before timing, wait (up to --quiet-wait seconds) until other processes use less than this share of a CPU."""
DEFAULT_SIZES = (50, 200, 500)
DOMAINS = (
    "accounts", "auth", "billing", "cart", "catalog", "checkout", "coupons", "delivery",
    "email", "fraud", "gateway", "geo", "inventory", "invoices", "ledger", "loyalty",
    "media", "notify", "orders", "payments", "pricing", "profile", "ranking", "recs",
    "refunds", "reviews", "search", "sessions", "shipping", "stock", "tax", "wallet",
)  # fmt: skip
ROLES = (
    "api", "svc", "worker", "store", "gateway", "reader", "writer", "indexer",
    "scheduler", "cache", "sync", "events", "admin", "export", "import", "rules",
)  # fmt: skip


# --------------------------------------------------------------------------- the scenario


def _dependencies(rng: random.Random, index: int) -> list[int]:
    """1 to 4 services before ``index``, biased towards the first ones (the shared foundations).

    Only the two callers may call the root, so the incident has exactly one root and two symptoms.
    """
    if index < 5:
        return []
    candidates = [j for j in range(index) if j != ROOT or index in CALLERS]
    wanted = min(rng.choice((1, 2, 2, 3, 3, 4)), len(candidates))
    chosen = {ROOT} if index in CALLERS else set()
    while len(chosen) < wanted:
        chosen.add(candidates[int(len(candidates) * rng.random() ** 2)])
    return sorted(chosen)


def build_raw_scenario() -> dict[str, Any]:
    """The scenario as YAML-ready data (times relative to the anchor), fully determined by SEED."""
    rng = random.Random(SEED)
    names = [f"{domain}-{role}" for domain in DOMAINS for role in ROLES]
    rng.shuffle(names)
    names = names[:MAX_SERVICES]
    services = []
    for i, name in enumerate(names):
        domain = name.split("-")[0]
        p50 = rng.randint(8, 120)
        services.append(
            {
                "name": name,
                "depends_on": [names[j] for j in _dependencies(rng, i)],
                "team": domain,
                "traffic": {
                    "rps": round(max(4.0, 600.0 / (1 + i / 10) * rng.uniform(0.5, 1.5)), 1),
                    "daily_amplitude": round(rng.uniform(0.45, 0.65), 2),
                    "weekly_amplitude": 0.2,
                    "peak_hour_utc": rng.choice((14, 15, 16)),
                },
                "error_ratio": round(rng.uniform(0.0005, 0.003), 4),
                "latency_ms": {"p50": p50, "p99": round(p50 * rng.uniform(5, 12))},
                "routes": {f"/v1/{domain}/query": 0.7, f"/v1/{domain}/update": 0.3},
            }
        )
    root, first, second = names[ROOT], names[CALLERS[0]], names[CALLERS[1]]

    def update(service: str) -> str:
        return f"/v1/{service.split('-')[0]}/update"

    distractors = [names[3], names[41]]
    return {
        "format": 1,
        "name": SCENARIO_NAME,
        "title": f"{root} 5xx after a bad deploy, {MAX_SERVICES} services",
        "description": f"Benchmark scenario made by benchmarks/triage_scale.py (revision {FORMAT_REVISION}).",
        "anchor": ANCHOR,
        "page": {"service": root, "summary": f"HighErrorRate: {root} 5xx ratio above 5% for 5 minutes"},
        "services": services,
        "events": [
            {
                "service": root,
                "from": "-22m",
                "to": "+30m",
                "error_ratio": 0.25,
                "error_routes": [update(root)],
                "latency_factor": 1.2,
            },
            {"service": first, "from": "-21m", "to": "+30m", "error_ratio": 0.08, "error_routes": [update(first)]},
            {"service": second, "from": "-21m", "to": "+30m", "error_ratio": 0.06, "error_routes": [update(second)]},
        ],  # fmt: skip
        "deploys": [
            {
                "id": "deploy-9120",
                "service": root,
                "version": "v3.18.0",
                "previous_version": "v3.17.4",
                "started": "-25m",
                "finished": "-22m",
                "author": "rin.sato",
            },
            {
                "id": "deploy-9114",
                "service": distractors[0],
                "version": "v12.4.1",
                "previous_version": "v12.4.0",
                "started": "-2h40m",
                "finished": "-2h33m",
                "author": "max.berg",
            },
            {
                "id": "deploy-9117",
                "service": distractors[1],
                "environment": "staging",
                "version": "v0.9.0-rc.1",
                "started": "-48m",
                "finished": "-45m",
                "author": "ana.silva",
            },
        ],  # fmt: skip
        "alerts": [
            {
                "name": "HighErrorRate",
                "service": root,
                "severity": "page",
                "starts": "-17m",
                "summary": f"{root} 5xx ratio above 5% for 5 minutes",
            },
            {
                "name": "RouteErrors",
                "service": first,
                "severity": "warning",
                "starts": "-12m",
                "summary": f"{first} {update(first)} 5xx ratio above 5%",
            },
        ],  # fmt: skip
        "expected": {"degraded": [root, first, second], "roots": [root], "symptoms": [first, second]},
    }


def _part(raw: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The same scenario restricted to ``names``: same name and events, so the same samples for them."""
    keep = set(names)
    return {
        **raw,
        "page": {"service": names[0], "summary": "part"},
        "services": [{**s, "depends_on": []} for s in raw["services"] if s["name"] in keep],
        "events": [e for e in raw["events"] if e["service"] in keep],
        "deploys": [],
        "alerts": [],
        "expected": {},
    }


# --------------------------------------------------------------------------- data: export, backfill, cache


class _WholeHistory(SyntheticMetrics):
    """The generator as a whole-history export uses it: every minute is asked once, in order.

    ``counters`` at the series start is zero by definition, without the checkpoint pass over all
    8 days that the base class would make first; ``increments`` skips the per-minute cache, which
    only helps when minutes are asked again.
    """

    def counters(self, service: str, minute: int) -> tuple[int, ...]:
        if minute <= self.first_minute:
            return (0,) * self.layouts[service].width
        return super().counters(service, minute)

    def increments(self, service: str, minute: int) -> tuple[int, ...]:
        return self._compute(service, minute)


def _export_part(raw: dict[str, Any], path: str) -> int:
    """Worker process: write the OpenMetrics of one part of the services; returns its sample count."""
    scenario = Scenario.model_validate(raw)
    with open(path, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        return write_openmetrics(scenario, out, metrics=_WholeHistory(scenario))


_EOF = b"# EOF\n"
_CHUNK = 1 << 24


def _comment_lines(file: BinaryIO, end: int) -> list[tuple[int, int]]:
    """(start, stop) of every line before ``end`` that starts with ``#``, read in chunks (no mmap: RSS stays small)."""
    starts, offset, last = [], 0, b"\n"
    file.seek(0)
    while offset < end:
        chunk = file.read(min(_CHUNK, end - offset))
        data = last + chunk  # data[j] is the byte at offset - 1 + j
        hit = data.find(b"\n#")
        while hit >= 0:
            starts.append(offset + hit)
            hit = data.find(b"\n#", hit + 1)
        offset, last = offset + len(chunk), chunk[-1:]
    lines = []
    for start in starts:
        file.seek(start)
        lines.append((start, start + len(file.readline())))
    return lines


def _families(file: BinaryIO) -> list[tuple[int, int, int]]:
    """(header start, body start, body end) of each metric family of one OpenMetrics text."""
    end = file.seek(0, os.SEEK_END) - len(_EOF)
    file.seek(end)
    if file.read() != _EOF:
        raise RuntimeError("an OpenMetrics part does not end with # EOF")
    headers: list[list[int]] = []
    for start, stop in _comment_lines(file, end):
        if headers and headers[-1][1] == start:
            headers[-1][1] = stop  # the next line of the same header
        else:
            headers.append([start, stop])
    bounds = [start for start, _ in headers[1:]] + [end]
    return [(start, body, stop) for (start, body), stop in zip(headers, bounds, strict=True)]


def _copy(source: int, target: int, start: int, stop: int) -> None:
    while start < stop:
        start += os.copy_file_range(source, target, stop - start, start)


def merge_parts(parts: Sequence[Path], out: Path) -> None:
    """One OpenMetrics text from parts over disjoint services: each family once, its parts' bodies in turn.

    OpenMetrics forbids interleaving families; every series stays in time order, as promtool needs.
    The bodies are copied by the kernel (copy_file_range), never through this process's memory.
    """
    files = [part.open("rb") for part in parts]
    try:
        layouts = [_families(f) for f in files]
        headers = []
        for f, layout in zip(files, layouts, strict=True):
            found = []
            for start, body, _ in layout:
                f.seek(start)
                found.append(f.read(body - start))
            headers.append(found)
        if any(h != headers[0] for h in headers):
            raise RuntimeError("the OpenMetrics parts disagree on their metric families")
        with out.open("wb", buffering=0) as target:  # unbuffered: writes and copies share the file offset
            for k, header in enumerate(headers[0]):
                target.write(header)
                for f, layout in zip(files, layouts, strict=True):
                    _copy(f.fileno(), target.fileno(), layout[k][1], layout[k][2])
            target.write(_EOF)
    finally:
        for f in files:
            f.close()


@dataclass
class DataStats:
    """What the data took to make; kept next to the TSDB so a cached run can still report it."""

    key: str
    services: int
    series: int
    minutes: int
    samples: int
    openmetrics_bytes: int
    export_seconds: float
    merge_seconds: float
    backfill_seconds: float
    tsdb_bytes: int
    workers: int
    built_at: str
    build_peak_rss_mb: float = 0.0
    first_run_seconds: float | None = None


def data_key(raw: dict[str, Any], scenario: Scenario) -> str:
    """Changes whenever the samples would: a digest of the scenario and of samples themselves.

    Samples, not source files: the first minutes of the export (the exporter's format) and every
    service's increments now, a day and a week ago (the generator around the incident). A refactor
    that moves code without changing a sample keeps the cache; a change to the numbers drops it.
    """
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True).encode() + f"/{FORMAT_REVISION}".encode())
    metrics = _WholeHistory(scenario)
    start = TimeWindow(start=scenario.series_start, end=scenario.series_start + timedelta(minutes=5))
    text = io.StringIO()
    write_openmetrics(scenario, text, segments=[start], metrics=metrics)
    digest.update(text.getvalue().encode())
    for days in (0, 1, 7):
        minute = epoch_minute(scenario.anchor - timedelta(days=days))
        for name in scenario.names():
            digest.update(repr(metrics.increments(name, minute)).encode())
    return digest.hexdigest()[:12]


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def prepare_data(raw: dict[str, Any], scenario: Scenario, workers: int, rebuild: bool) -> tuple[Path, DataStats, bool]:
    """The scenario folder (scenario.yaml, tsdb/) for this data key, built unless cached; True if built now."""
    key = data_key(raw, scenario)
    root = DATA_DIR / f"{SCENARIO_NAME}-{key}"
    stats_file = root / "data.json"
    if stats_file.is_file() and (root / "tsdb").is_dir() and not rebuild:
        return root, DataStats(**json.loads(stats_file.read_text(encoding="utf-8"))), False
    for old in DATA_DIR.glob(f"{SCENARIO_NAME}-*"):  # only our own caches; one at a time bounds the disk
        shutil.rmtree(old)
    build = root / "build"
    build.mkdir(parents=True)
    (root / SCENARIO_NAME).mkdir()
    (root / SCENARIO_NAME / "scenario.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    names = scenario.names()
    chunks = [names[i * len(names) // workers : (i + 1) * len(names) // workers] for i in range(workers)]
    parts = [build / f"part-{i}.om" for i in range(workers)]
    print(f"exporting {len(names)} services x {_minutes(scenario)} minutes with {workers} worker(s) ...", flush=True)
    started = time.monotonic()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_export_part, _part(raw, c), str(p)) for c, p in zip(chunks, parts, strict=True)]
        samples = sum(f.result() for f in futures)
    export_seconds = time.monotonic() - started
    started, merged = time.monotonic(), build / "samples.om"
    merge_parts(parts, merged)
    for part in parts:
        part.unlink()
    merge_seconds = time.monotonic() - started
    size = merged.stat().st_size
    print(f"  {samples:,} samples, {size / 1e9:.2f} GB in {export_seconds:.0f} s (+{merge_seconds:.0f} s merge)")
    print("backfilling with promtool ...", flush=True)
    started, tsdb = time.monotonic(), build / "tsdb"
    result = subprocess.run(
        promtool_command(find_binary("promtool"), merged, tsdb), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"promtool failed ({result.returncode}): {result.stderr[-2000:]}")
    backfill_seconds = time.monotonic() - started
    merged.unlink()
    tsdb.rename(root / "tsdb")
    build.rmdir()
    print(f"  {backfill_seconds:.0f} s")
    stats = DataStats(
        key=key,
        services=len(names),
        series=sum(2 * len(s.routes) + len(LE_LABELS) for s in scenario.services),
        minutes=_minutes(scenario),
        samples=samples,
        openmetrics_bytes=size,
        export_seconds=round(export_seconds, 1),
        merge_seconds=round(merge_seconds, 1),
        backfill_seconds=round(backfill_seconds, 1),
        tsdb_bytes=_du(root / "tsdb"),
        workers=workers,
        built_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        build_peak_rss_mb=round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    )
    stats_file.write_text(json.dumps(asdict(stats), indent=2), encoding="utf-8")
    return root, stats, True


def _minutes(scenario: Scenario) -> int:
    return int((scenario.series_end - scenario.series_start).total_seconds()) // 60 + 1


# --------------------------------------------------------------------------- Prometheus


@dataclass
class Served:
    """A running Prometheus and what we learn from it."""

    url: str
    process: subprocess.Popen[bytes]
    version: str = ""
    start_seconds: float = 0.0

    def cpu_seconds(self) -> float:
        """CPU time Prometheus has used so far (user + system)."""
        return process_cpu_seconds(self.process.pid)

    def peak_rss_mb(self) -> float:
        """Prometheus' own peak resident memory so far (VmHWM), in MB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="utf-8")
        found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        return int(found.group(1)) / 1024 if found else float("nan")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    """CPU time the whole machine has spent busy since boot (every CPU, from /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text(encoding="utf-8").split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU used between start() and stop(): by this process, by Prometheus, and by everything else."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.start()

    def start(self) -> None:
        self._at = (time.process_time(), self.served.cpu_seconds(), busy_seconds())

    def stop(self) -> tuple[float, float, float]:
        own, prometheus, busy = (
            time.process_time() - self._at[0],
            self.served.cpu_seconds() - self._at[1],
            busy_seconds() - self._at[2],
        )
        return own, prometheus, max(0.0, busy - own - prometheus)


async def wait_for_quiet(served: Served, limit: float) -> float:
    """Wait up to ``limit`` seconds until other processes use under QUIET_CPU of a CPU; their last 1-s share."""
    deadline = time.monotonic() + limit
    while True:
        meter = CpuMeter(served)
        await asyncio.sleep(1.0)
        others = meter.stop()[2]
        if others < QUIET_CPU or time.monotonic() >= deadline:
            return others


@contextmanager
def serve(root: Path) -> Iterator[Served]:
    """Prometheus on 127.0.0.1 over ``root/tsdb`` (the same flags as tests/integration's harness)."""
    (root / "prometheus.yml").write_text(_CONFIG, encoding="utf-8")
    port, log = free_port(), root / "prometheus.log"
    command = [
        find_binary("prometheus"),
        f"--config.file={root / 'prometheus.yml'}",
        f"--storage.tsdb.path={root / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--storage.tsdb.retention.time=3650d",
    ]
    with log.open("wb") as log_file:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, process, log, timeout=120)
            served = Served(url=url, process=process, start_seconds=time.monotonic() - started)
            served.version = httpx.get(f"{url}/api/v1/status/buildinfo").json()["data"]["version"]
            yield served
        finally:
            _stop(process)


def check_served(url: str, scenario: Scenario, stats: DataStats) -> None:
    """The server holds every series of every service at the anchor; refuse to measure otherwise."""
    at = scenario.anchor.timestamp()
    query = "count(http_requests_total) + count(http_request_duration_seconds_bucket)"
    body = httpx.post(f"{url}/api/v1/query", data={"query": query, "time": at}, timeout=60).json()
    series = int(float(body["data"]["result"][0]["value"][1]))
    if series != stats.series:
        raise SystemExit(f"Prometheus holds {series} series at the anchor, expected {stats.series}")


# --------------------------------------------------------------------------- measuring


def raw_config(scenario: Scenario, size: int, url: str, scenario_dir: Path) -> dict[str, Any]:
    """The first ``size`` services; metrics from Prometheus only, the rest from the scenario's replay."""
    services = scenario.services_config()[:size]
    chosen = {s["name"] for s in services}
    for service in services:
        service["depends_on"] = [d for d in service["depends_on"] if d in chosen]
    return {
        "environment": f"benchmark-{size}",
        "services": services,
        "adapters": {"prometheus": {"url": url}, "replay": {"scenario": str(scenario_dir)}},
        "sources": {"metrics": ["prometheus"]},
    }


def single_service_query(
    signals: SignalsConfig, kind: str, service: str, seconds: int, quantile: float | None
) -> SignalQuery:
    """What a per-service tool asks: the engine's template, with ``service="<name>"`` as the only matcher."""
    matchers = [f"{signals.service_label}={promql_string(service)}"]
    if signals.selector.strip():
        matchers.append(signals.selector.strip().strip(","))
    promql = Template(getattr(signals, kind)).substitute(
        selector=",".join(matchers),
        range=render_range(seconds),
        quantile=repr(quantile if quantile is not None else 0.99),
        service_label=signals.service_label,
        route_label=signals.route_label,
    )
    return SignalQuery(
        signal=kind,  # type: ignore[arg-type]
        promql=promql,
        range_seconds=seconds,
        quantile=quantile,
        services=(service,),
    )


@dataclass
class PerService:
    """One run of the per-service way: wall time, requests, answers without a series, CPU of both sides."""

    seconds: float
    requests: int
    empty_answers: int
    cpu_self: float = 0.0
    cpu_prometheus: float = 0.0
    cpu_others: float = 0.0


async def per_service_way(runtime: Runtime, at: datetime, concurrency: int) -> PerService:
    """One instant query per service, signal and moment the engine asks, ``concurrency`` at a time."""
    source = runtime.metrics()
    plan = make_plan(runtime, align_to_minute(at))
    signals = runtime.config.signals
    specs = [("requests", None), ("errors", None), *(("latency", q) for q in QUANTILES.values())]
    gate = asyncio.Semaphore(concurrency)

    async def ask(query: SignalQuery, when: datetime) -> int:
        async with gate:
            return len(await source.instant(query, when))

    jobs = []
    for service in runtime.config.services:
        for kind, quantile in specs:
            for moment in MOMENTS:
                when, seconds = plan.moments[moment]
                jobs.append((single_service_query(signals, kind, service.name, seconds, quantile), when))
    before = len(runtime.http_requests)
    started = time.perf_counter()
    counts = await asyncio.gather(*(ask(q, w) for q, w in jobs))
    elapsed = time.perf_counter() - started
    return PerService(elapsed, len(runtime.http_requests) - before, sum(1 for c in counts if c == 0))


@dataclass
class SizeResult:
    """Everything measured for one number of services."""

    size: int
    seconds: list[float]
    requests: int
    by_path: dict[str, int]
    queries_made: int
    summary_chars: int
    degraded: list[str]
    roots: list[str]
    symptoms: list[str]
    expected: list[str]
    metrics_wait_ms: float
    sources_ok: bool
    link_chars: int
    cpu_self: list[float]
    cpu_prometheus: list[float]
    cpu_others: list[float]
    others_before: float
    per_service: list[PerService] = field(default_factory=list)
    peak_rss_mb: float = 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def per_service_seconds(self) -> float:
        return statistics.median(p.seconds for p in self.per_service)

    @property
    def per_service_requests(self) -> int:
        return self.per_service[0].requests

    @property
    def found(self) -> bool:
        return set(self.expected) <= set(self.degraded)

    @property
    def extra(self) -> list[str]:
        return sorted(set(self.degraded) - set(self.expected))


async def measure(
    scenario: Scenario, size: int, served: Served, scenario_dir: Path, args: argparse.Namespace
) -> tuple[SizeResult, TriageResult]:
    """Triage the first ``size`` services: one warm-up, ``repeat`` timed runs, then the per-service way."""
    config = parse_config(raw_config(scenario, size, served.url, scenario_dir), base_dir=DATA_DIR)
    at = scenario.anchor
    async with open_runtime(config) as runtime:
        await run_triage(runtime, at)  # warm-up: Prometheus' page cache, Python's imports, the connections
        others_before = await wait_for_quiet(served, args.quiet_wait)
        seconds: list[float] = []
        cpu: list[tuple[float, float, float]] = []
        requests: list[list[str]] = []
        result = None
        for _ in range(args.repeat):
            before = len(runtime.http_requests)
            meter = CpuMeter(served)
            started = time.perf_counter()
            result = await run_triage(runtime, at)
            seconds.append(time.perf_counter() - started)
            cpu.append(meter.stop())
            requests.append(runtime.http_requests[before:])
        assert result is not None
        if len({len(r) for r in requests}) != 1:
            print(f"  note: the request count varied between runs: {[len(r) for r in requests]}")
        metrics = [s for s in result.sources if s.capability == "metrics"]
        chosen = {s.name for s in config.services}
        outcome = SizeResult(
            size=size,
            seconds=seconds,
            requests=len(requests[-1]),
            by_path=dict(sorted(Counter(requests[-1]).items())),
            queries_made=result.queries_made,
            summary_chars=len(result.summary_markdown),
            degraded=result.degraded,
            roots=result.likely_roots,
            symptoms=result.symptoms,
            expected=[n for n in scenario.expected.degraded if n in chosen],
            metrics_wait_ms=max((s.elapsed_ms for s in metrics), default=0.0),
            sources_ok=all(s.status == "ok" for s in result.sources),
            link_chars=sum(len(line) + 1 for line in result.summary_markdown.splitlines() if "/graph?" in line),
            cpu_self=[c[0] for c in cpu],
            cpu_prometheus=[c[1] for c in cpu],
            cpu_others=[c[2] for c in cpu],
            others_before=others_before,
        )
        for _ in range(args.per_service_repeat):
            meter = CpuMeter(served)
            run = await per_service_way(runtime, at, args.concurrency)
            run.cpu_self, run.cpu_prometheus, run.cpu_others = meter.stop()
            outcome.per_service.append(run)
    outcome.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return outcome, result


# --------------------------------------------------------------------------- reporting


def machine() -> dict[str, str]:
    """nproc, CPU model, RAM, OS and Python of this machine."""
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
    ram = re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.MULTILINE)
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": model.group(1).strip() if model else platform.processor() or "unknown",
        "ram": f"{int(ram.group(1)) / 1024 / 1024:.1f} GiB" if ram else "unknown",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def code_version() -> str:
    """The commit measured, and whether the engine or adapters had uncommitted changes (the checkout is shared)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "mcp_server", "adapters")
    return f"commit {commit}" + (" plus uncommitted changes in mcp_server/ or adapters/" if dirty else "")


def _mb(value: float) -> str:
    return f"{value:,.0f} MB"


_CPU_FIELDS = ("cpu_self", "cpu_prometheus", "cpu_others")


def table(results: Sequence[SizeResult]) -> list[str]:
    """The per-size figures as Markdown tables: the batched triage, then the per-service way beside it."""
    lines = [
        "| services | triage wall time, median (min-max) | CPU per triage: benchmark / Prometheus / others "
        "| HTTP requests | summary chars (of which query links) | degraded found | peak RSS |",
        "|---:|---|---|---:|---:|---|---|---:|",
    ]
    for r in results:
        found = "yes, all 3" if r.found else "**NO**"
        if r.extra:
            found += f" (+{len(r.extra)} not expected: {', '.join(r.extra)})"
        lines.append(
            f"| {r.size} | {r.median:.3f} s ({min(r.seconds):.3f}-{max(r.seconds):.3f}) "
            f"| {statistics.median(r.cpu_self):.2f} s / {statistics.median(r.cpu_prometheus):.2f} s "
            f"/ {statistics.median(r.cpu_others):.2f} s "
            f"| {r.requests} | {r.summary_chars:,} ({r.link_chars:,}) | {found} | {_mb(r.peak_rss_mb)} |"
        )
    lines += [
        "",
        "| services | per-service requests | per-service wall time | CPU: benchmark / Prometheus / others "
        "| ratio requests | ratio time |",
        "|---:|---:|---:|---|---:|---:|",
    ]
    for r in results:
        own, prometheus, others = (statistics.median(getattr(p, k) for p in r.per_service) for k in _CPU_FIELDS)
        lines.append(
            f"| {r.size} | {r.per_service_requests:,} | {r.per_service_seconds:.2f} s "
            f"| {own:.2f} s / {prometheus:.2f} s / {others:.2f} s "
            f"| {r.per_service_requests / r.requests:,.0f}x | {r.per_service_seconds / r.median:,.1f}x |"
        )
    return lines


def targets(results: Sequence[SizeResult]) -> list[str]:
    """Each target from the issue, met or not, with the figure that decides it."""
    counts = sorted({(r.requests, r.queries_made) for r in results})
    big = max(results, key=lambda r: r.size)
    constant = len(counts) == 1
    sizes = ", ".join(str(r.size) for r in results)
    lines = [
        f"- (a) the query count does not grow with the number of services: **{'met' if constant else 'MISSED'}** "
        f"({', '.join(f'{r.size}: {r.requests} requests / {r.queries_made} queries' for r in results)}).",
    ]
    if big.size < MAX_SERVICES:
        lines.append(f"- (b), (c): not measured in this run (sizes {sizes}; the targets are for {MAX_SERVICES}).")
        return lines
    fast = big.median < TARGET_SECONDS
    short = big.summary_chars < TARGET_CHARS
    others = statistics.median(big.cpu_others)
    contended = (
        f" Other processes used {others:.2f} CPU-seconds per triage ({others / big.median:.1f} of the "
        f"{machine()['nproc']} CPUs) during these runs, so this wall time is inflated by the shared machine."
        if others / big.median > QUIET_CPU
        else ""
    )
    lines += [
        f"- (b) {big.size} services triaged in under {TARGET_SECONDS:g} s: **{'met' if fast else 'MISSED'}** "
        f"(median {big.median:.3f} s over {len(big.seconds)} runs, slowest {max(big.seconds):.3f} s).{contended}",
        f"- (c) the summary for {big.size} services with 3 degraded stays under {TARGET_CHARS:,} characters: "
        f"**{'met' if short else 'MISSED'}** ({big.summary_chars:,} characters, of which {big.link_chars:,} in the "
        f"lines holding Prometheus query links; {big.summary_chars - big.link_chars:,} without them).",
        f"- The per-service way at {big.size} services: {big.per_service_requests:,} requests against "
        f"{big.requests} (**{big.per_service_requests / big.requests:,.0f}x**), "
        f"{big.per_service_seconds:.2f} s against {big.median:.3f} s "
        f"(**{big.per_service_seconds / big.median:,.1f}x**).",
    ]
    return lines


def results_markdown(
    results: Sequence[SizeResult],
    stats: DataStats,
    served: Served,
    command: str,
    built: bool,
    total_seconds: float,
    prometheus_rss: float,
    big_summary: str,
    args: argparse.Namespace,
) -> str:
    """The generated part of docs/performance.md."""
    box = machine()
    first = results[0]
    paths = ", ".join(f"`{p}` x{n}" for p, n in first.by_path.items())
    cache = (
        "built in this run"
        if built
        else f"reused from the cache in benchmarks/.data/, built {stats.built_at}"
        + (f" by a first run that took {stats.first_run_seconds / 60:.1f} min" if stats.first_run_seconds else "")
    )
    lines = [
        f"Generated by `{command}` on {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} at {code_version()}; "
        f"the whole run took **{total_seconds / 60:.1f} min** (data {cache}).",
        "",
        f"- Machine: {box['nproc']} CPUs ({box['cpu']}), {box['ram']} RAM, {box['os']}, Python {box['python']}.",
        f"- Prometheus {served.version} (Debian's package), on 127.0.0.1, default flags but "
        "`--storage.tsdb.retention.time=3650d`; ready "
        f"{served.start_seconds:.1f} s after start; its peak RSS over the run: {_mb(prometheus_rss)}.",
        f"- Data: {stats.services} services, {stats.series:,} series (per service: 2 routes x 2 codes of "
        f"`http_requests_total` + {len(LE_LABELS)} `le` buckets), {stats.minutes:,} minutes "
        f"(8 days and 30 minutes, one sample a minute), **{stats.samples:,} samples**; OpenMetrics "
        f"{stats.openmetrics_bytes / 1e9:.2f} GB, exported in {stats.export_seconds:.0f} s by {stats.workers} "
        f"worker processes (+{stats.merge_seconds:.0f} s to merge the parts); promtool backfill "
        f"{stats.backfill_seconds:.0f} s; TSDB {stats.tsdb_bytes / 1e6:,.0f} MB on disk; "
        f"peak RSS of the largest child process of the build (an export worker or promtool) "
        f"{_mb(stats.build_peak_rss_mb)}.",
        f"- Each size: one warm-up triage, then the median of {args.repeat} (`--repeat`); the per-service way "
        f"{args.per_service_repeat} time(s) (`--per-service-repeat`), {args.concurrency} queries in flight "
        f"(`--concurrency`). Before each size's timed runs, up to {args.quiet_wait:g} s (`--quiet-wait`) of waiting "
        f"for other processes to use under {QUIET_CPU:g} CPU (they used "
        + ", ".join(f"{r.others_before:.2f}" for r in results)
        + " CPU in the last second before the runs).",
        "",
        *table(results),
        "",
        f"HTTP requests of one triage, by path: {paths} (the same at every size). "
        f"Slowest metrics request of the last {max(r.size for r in results)}-service triage (wall time, queueing "
        f"included): {max(results, key=lambda r: r.size).metrics_wait_ms:.0f} ms. CPU is per timed triage (median): "
        "the benchmark process (the engine, the HTTP client, JSON and pydantic, the replay adapter) and "
        "Prometheus (from /proc), and every other process on the machine (busy time in /proc/stat minus those two: "
        "other work sharing the CPUs, which slows the wall time). Peak RSS is "
        "the benchmark process's own (`getrusage`, cumulative: the last row covers the whole run).",
        "",
        "### Targets",
        "",
        *targets(results),
    ]
    problems = [r for r in results if not r.found or r.extra or not r.sources_ok]
    for r in problems:
        lines.append(
            f"- At {r.size} services: expected degraded {r.expected}, found {r.degraded} "
            f"(roots {r.roots}, symptoms {r.symptoms}); all sources ok: {r.sources_ok}."
        )
    if big_summary:
        lines += [
            "",
            f"<details><summary>The summary for {max(r.size for r in results)} services, as the responder reads it"
            "</summary>",
            "",
            "```markdown",
            *(_clip_line(line) for line in big_summary.rstrip().splitlines()),
            "```",
            "",
            "</details>",
        ]
    return "\n".join(lines) + "\n"


def _clip_line(line: str, keep: int = 160) -> str:
    """A summary line as shown in the doc: a query-link line (it holds every service name) is shortened."""
    if "/graph?" not in line or len(line) <= keep + 40:
        return line
    return f"{line[:keep]}... [{len(line):,} characters in all]"


def update_doc(generated: str) -> None:
    """Replace what is between the markers in docs/performance.md (create it around them if missing)."""
    block = f"{BEGIN}\n{generated}{END}"
    if DOC.is_file() and BEGIN in (text := DOC.read_text(encoding="utf-8")) and END in text:
        head, rest = text.split(BEGIN, 1)
        DOC.write_text(head + block + rest.split(END, 1)[1], encoding="utf-8")
    elif DOC.is_file():  # keep what other benchmarks wrote; add this section at the end
        DOC.write_text(DOC.read_text(encoding="utf-8").rstrip("\n") + f"\n\n## Results\n\n{block}\n", encoding="utf-8")
    else:
        DOC.write_text(f"# Performance\n\n## Results\n\n{block}\n", encoding="utf-8")


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="numbers of services to triage")
    parser.add_argument("--repeat", type=int, default=3, help="timed triage runs per size, after one warm-up")
    parser.add_argument("--per-service-repeat", type=int, default=1, help="runs of the per-service way per size")
    parser.add_argument("--concurrency", type=int, default=20, help="per-service queries in flight at once")
    parser.add_argument(
        "--quiet-wait", type=float, default=60, help="seconds to wait, per size, for other processes to calm down"
    )
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="export processes")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data even if cached")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/performance.md")
    args = parser.parse_args(argv)
    try:
        args.size_list = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes: comma-separated whole numbers, e.g. 50,200,500")
    smallest = max(ROOT, *CALLERS) + 1
    if not args.size_list or args.size_list[0] < smallest or args.size_list[-1] > MAX_SERVICES:
        parser.error(f"--sizes: each between {smallest} (to hold the 3 degraded services) and {MAX_SERVICES}")
    if min(args.repeat, args.per_service_repeat, args.concurrency, args.workers) < 1:
        parser.error("--repeat, --per-service-repeat, --concurrency and --workers must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    started = time.monotonic()
    args = parse_args(argv)
    command = COMMAND + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    raw = build_raw_scenario()
    scenario = Scenario.model_validate(raw)
    root, stats, built = prepare_data(raw, scenario, args.workers, args.rebuild)
    print(f"data {stats.key}: {stats.samples:,} samples ({'built now' if built else 'cached'})", flush=True)
    results: list[SizeResult] = []
    summary = ""
    with serve(root) as served:
        print(f"Prometheus {served.version} at {served.url}, ready in {served.start_seconds:.1f} s", flush=True)
        check_served(served.url, scenario, stats)
        for size in args.size_list:
            print(f"triaging {size} services ...", flush=True)
            outcome, result = asyncio.run(measure(scenario, size, served, root / SCENARIO_NAME, args))
            results.append(outcome)
            summary = result.summary_markdown
            print(
                f"  median {outcome.median:.3f} s, {outcome.requests} requests, {outcome.summary_chars} chars; "
                f"per-service {outcome.per_service_requests} requests in {outcome.per_service_seconds:.2f} s",
                flush=True,
            )
            if not outcome.found or outcome.extra or not outcome.sources_ok:
                print(
                    f"\n  !!!!! WARNING at {size} services: expected degraded {outcome.expected}, "
                    f"triage found {outcome.degraded} (sources ok: {outcome.sources_ok}) !!!!!\n",
                    flush=True,
                )
            if any(p.empty_answers for p in outcome.per_service):
                print(f"  note: {outcome.per_service[0].empty_answers} per-service answers were empty")
        prometheus_rss = served.peak_rss_mb()
    total = time.monotonic() - started
    if built:
        stats.first_run_seconds = round(total, 1)
        (root / "data.json").write_text(json.dumps(asdict(stats), indent=2), encoding="utf-8")
    generated = results_markdown(results, stats, served, command, built, total, prometheus_rss, summary, args)
    print()
    print("\n".join(table(results)))
    print()
    print("\n".join(targets(results)))
    print(f"\nwhole run: {total / 60:.1f} min")
    if not args.no_doc:
        update_doc(generated)
        print(f"wrote {DOC.relative_to(REPO)}")
    return 0 if all(r.found and r.sources_ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
