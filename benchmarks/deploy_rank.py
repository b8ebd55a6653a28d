"""Deploy ranking at scale: 5,000 deploys of 1,000 services, change sets from a real git clone.

Run from the repository root::

    .venv/bin/python benchmarks/deploy_rank.py [--repeat 3]

1. Builds a monorepo of 20,000 commits (``services/svc-0001/`` .. ``services/svc-1000/``; each
   commit touches 1 to 5 files of one service: code, config YAML, requirements and lock files,
   migrations, docs, tests) with ``git fast-import`` fed as a stream by one process, then makes a
   real ``git clone`` of it: that clone is what the git adapter reads. Dates span the 30 days
   before the onset; the last 24 hours hold the commits of the 5,000 deploys. Everything is
   deterministic (SEED) and cached under ``benchmarks/.data/`` (git-ignored), keyed by the
   parameters and by the generator's source: a second run skips the build.
2. Writes the deploy log (JSON lines, read by the ``deploy_file`` adapter) and the config
   (1,000 services, each with ``repo: acme/mono`` and ``paths: [services/svc-NNNN/**]``, a
   layered depends_on graph; adapters ``deploy_file`` and ``git``). A deploy goes from the commit
   its service last ran (``previous_sha``) to the service's newest commit on main (``sha``), as a
   monorepo pipeline records them. A culprit is planted: the likely root's deploy that finished
   20 minutes before the onset changed ``config/pay.yaml``; it is neither the latest nor the
   largest deploy.
3. Times ``rank_incident`` as the product calls it (deploys from the file, candidate choice,
   change sets from git for the ``deploys.max_change_sets`` best upper bounds, scoring), each
   timed run on a fresh runtime (so the adapter's answer cache is cold and git really runs):
   median of ``--repeat`` after one warm-up; git processes and change sets counted, the planted
   culprit's rank, peak memory (``getrusage``; ``tracemalloc`` over one extra call) and the time
   split, by wrapping the functions ``rank_incident`` calls (correlate's module globals) with
   timers; then one call under cProfile.
4. Where the time goes: the cumulative time of the main product functions under cProfile, and git
   alone on the same pairs (whole ranges, the services' paths as ``:(glob)`` pathspecs or as
   plain prefixes, one process per pair), with recommendations drawn from those figures.
5. For comparison, fetches the change sets of every candidate (``fetch_changes`` on all of them,
   in calls of ``--all-chunk`` so the machine's memory is not at stake; ``--skip-all`` skips it).
6. Prints the figures and rewrites its own section of docs/performance.md (between
   ``<!-- deploy_rank:start -->`` and ``<!-- deploy_rank:end -->``; nothing else in the file).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import cProfile
import functools
import gc
import hashlib
import inspect
import io
import json
import os
import platform
import pstats
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from adapters.git.repo import GitRepoAdapter  # noqa: E402
from adapters.models import ChangeSet, Deploy, TimeWindow  # noqa: E402
from mcp_server.config import Config, load_config  # noqa: E402
from mcp_server.deploys import correlate  # noqa: E402
from mcp_server.deploys.correlate import Incident, fetch_changes, fetch_deploys  # noqa: E402
from mcp_server.deploys.features import optimistic_score  # noqa: E402
from mcp_server.deploys.models import Candidate, Ranking  # noqa: E402
from mcp_server.deploys.rank import split_candidates  # noqa: E402
from mcp_server.runtime import Runtime, open_runtime  # noqa: E402

DATA_DIR = REPO / "benchmarks" / ".data"
DOC = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- deploy_rank:start -->", "<!-- deploy_rank:end -->"
COMMAND = ".venv/bin/python benchmarks/deploy_rank.py"
CACHE_PREFIX = "deploy-rank-"

FORMAT_REVISION = 1
"""Bump to rebuild the cached repository when the data should change although the code did not."""
SEED = 20261021
SERVICES = 1000
COMMITS = 20_000
DEPLOYS = 5000
HISTORY_DAYS = 30
ONSET = datetime(2026, 10, 21, 14, 7, tzinfo=UTC)
"""When the root's errors left their baseline; the ranking runs RANK_AFTER later (the page, then triage)."""
RANK_AFTER = timedelta(minutes=8)
REPO_NAME = "acme/mono"
ROOT, SYMPTOM, OTHER_CALLER = 421, 733, 802
"""The likely root (its /pay route fails), a degraded service that calls it, and a healthy caller."""
BIG = 95
"""The service of the largest deploy (by the lines of its own commits)."""
IN_PROGRESS = (118, 512, 907)
"""Services whose deploy was still rolling out at the onset."""
FAILED_SHARE = 0.008
TARGET_SECONDS = 1.0
EARLIER = (
    "Commit `f0b9054`, before change sets were narrowed to the deployed service's paths: median 5.855 s "
    "(5.598-6.010), `fetch_changes` 4.12 s (one `git diff-tree` over whole-repository ranges: 3.32 s, 10.4 MB out), "
    "`rank` 1.44 s; the culprit ranked 11th: its `config/pay.yaml` change lay past the 1,000-file cap of a "
    "3,048-file range (routes 0), and 27 fetched deploys of other services scored 0.9 on the service feature for "
    "the root's commits merged in their ranges.",
    "Commit `cae1c5f` (change sets narrowed to the deployed service's paths), before only the listed candidates "
    "became full models: median 1.275 s (1.125-1.282), `fetch_changes` 0.706 s, `rank` 0.336 s; culprit rank 1.",
)
"""Figures of earlier runs of this benchmark on older product code (copied from their output), for comparison."""

MODULES = ("handlers", "models", "client", "views", "tasks", "storage", "api", "schema", "events", "cache")
WORDS = ("orders", "users", "retry", "limits", "audit", "index", "ledger", "quota", "token", "batch",
         "queue", "report", "search", "export", "notify", "session")  # fmt: skip
FIRST_NAMES = ("ana", "ben", "chen", "dev", "eli", "fay", "gus", "hana", "ivo", "jun",
               "kai", "lea", "max", "nia", "omar", "pia", "raj", "sam", "tess", "uma")  # fmt: skip
LAST_NAMES = ("berg", "costa", "diaz", "ito", "kim", "lund", "moss", "park", "rossi", "sato")
PEOPLE = tuple(f"{first}.{last}" for first in FIRST_NAMES for last in LAST_NAMES)
KINDS = (("code", 40), ("config", 14), ("dependency", 10), ("migration", 7), ("docs", 10), ("tests", 11), ("mixed", 8))


def svc(index: int) -> str:
    """The service's name (and directory under services/)."""
    return f"svc-{index:04d}"


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


# --------------------------------------------------------------------------- the plan: services, deploys, commits


@dataclass
class PlannedCommit:
    """One commit of main, before it has a SHA."""

    at: int
    service: int  # 0: the initial commit creating every service
    kind: str
    author: str
    deploy: int = -1  # the deploy shipping it, -1 for background history
    special: str = ""  # "culprit" or "big": content chosen by hand


@dataclass
class PlannedDeploy:
    """One deploy; commits are indices into the plan's commits (sorted by time)."""

    id: str
    service: int
    started: int
    finished: int | None
    status: str
    author: str
    commits: list[int] = field(default_factory=list)
    special: str = ""


@dataclass
class Plan:
    depends_on: dict[int, list[int]]
    commits: list[PlannedCommit]
    deploys: list[PlannedDeploy]


def dependencies(rng: random.Random) -> dict[int, list[int]]:
    """A layered graph: service ``i`` calls 1 to 4 services before it, biased towards the first ones.

    The root calls three services; the symptom and one healthy service call the root, nobody else does.
    """
    graph: dict[int, list[int]] = {}
    for i in range(1, SERVICES + 1):
        if i <= 10:
            graph[i] = []
            continue
        wanted = 3 if i == ROOT else rng.choice((1, 2, 2, 3, 3, 4))
        chosen = {ROOT} if i in (SYMPTOM, OTHER_CALLER) else set()
        while len(chosen) < wanted:
            j = 1 + int((i - 1) * rng.random() ** 2)
            if j != ROOT:
                chosen.add(j)
        graph[i] = sorted(chosen)
    return graph


def _kind(rng: random.Random) -> str:
    return rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]


def _deploy_start(rng: random.Random, onset: int) -> int:
    """A start in the 24 h before the onset, busier in working hours (UTC 07-19)."""
    while True:
        at = onset - rng.randrange(3 * 60, 24 * 3600 - 60)
        hour = datetime.fromtimestamp(at, UTC).hour
        if rng.random() < (1.0 if 7 <= hour < 19 else 0.35):
            return at


def make_plan() -> Plan:
    """Every commit and deploy, fully determined by SEED and the parameters."""
    rng = random.Random(SEED)
    onset = _epoch(ONSET)
    graph = dependencies(rng)
    root_deps = set(graph[ROOT])
    weights = [rng.lognormvariate(0, 0.9) for _ in range(SERVICES)]
    people = {i: [rng.choice(PEOPLE) for _ in range(3)] for i in range(1, SERVICES + 1)}
    deploys: list[PlannedDeploy] = []

    def add(service: int, started: int, minutes: float, status: str = "succeeded", special: str = "") -> None:
        finished = None if status == "in_progress" else started + int(minutes * 60)
        deploys.append(
            PlannedDeploy("", service, started, finished, status, rng.choice(people[service]), special=special)
        )

    # Planted deploys: the root's (the last is the culprit), the largest, three still rolling out.
    for hours in (21.3, 14.8, 9.1, 5.2):
        add(ROOT, onset - int(hours * 3600), 6)
    add(ROOT, onset - 26 * 60, 6, special="culprit")
    add(BIG, onset - 95 * 60, 9, special="big")
    for service, minutes in zip(IN_PROGRESS, (9, 6, 2), strict=True):
        add(service, onset - minutes * 60, 0, status="in_progress")
    planted = {ROOT, BIG, *IN_PROGRESS}
    while len(deploys) < DEPLOYS:
        service = 1 + rng.choices(range(SERVICES), weights)[0]
        started = _deploy_start(rng, onset)
        duration = rng.uniform(2, 12)
        if service == ROOT or (service in planted and started > onset - 3 * 3600):
            continue  # the planted deploys are each service's last
        if service in root_deps and started > onset - 45 * 60:
            continue  # a dependency of the root deployed minutes before the onset would be a real suspect too
        if started + duration * 60 > onset - 60:
            continue
        add(service, started, duration, "failed" if rng.random() < FAILED_SHARE else "succeeded")
    deploys.sort(key=lambda d: (d.started, d.service))
    for number, deploy in enumerate(deploys, start=1):
        deploy.id = f"dep-{number:05d}"

    commits = [PlannedCommit(onset - HISTORY_DAYS * 86400, 0, "initial", "platform.bot")]
    last_start: dict[int, int] = {}
    for index, deploy in enumerate(deploys):
        since = max(last_start.get(deploy.service, 0), deploy.started - 4 * 3600)
        last_start[deploy.service] = deploy.started
        if deploy.special == "culprit":
            times, kinds = [onset - 41 * 60], ["config"]
        else:
            count = 5 if deploy.special == "big" else rng.choices((1, 2, 3, 4, 5), (70, 20, 7, 2, 1))[0]
            times = sorted(rng.randrange(since, max(since + 1, deploy.started - 59)) for _ in range(count))
            kinds = ["code"] * 5 if deploy.special == "big" else [_kind(rng) for _ in times]
        for at, kind in zip(times, kinds, strict=True):
            commits.append(
                PlannedCommit(
                    at,
                    deploy.service,
                    kind,
                    deploy.author if rng.random() < 0.6 else rng.choice(people[deploy.service]),
                    index,
                    deploy.special,
                )
            )
    background_end = onset - 28 * 3600
    while len(commits) < COMMITS:
        service = 1 + rng.choices(range(SERVICES), weights)[0]
        at = rng.randrange(commits[0].at + 3600, background_end)
        commits.append(PlannedCommit(at, service, _kind(rng), rng.choice(people[service])))
    commits = sorted(commits, key=lambda c: c.at)  # stable: a deploy's commits stay in their order
    for index, commit in enumerate(commits):
        if commit.deploy >= 0:
            deploys[commit.deploy].commits.append(index)
    return Plan(graph, commits, deploys)


# --------------------------------------------------------------------------- file contents


class Tree:
    """The files of the monorepo as lists of lines; every edit is deterministic."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.files: dict[str, list[str]] = {}
        self.modules: dict[int, list[str]] = {}
        self.migrations: dict[int, int] = {}
        self.counter = 0

    def line(self, path: str) -> str:
        self.counter += 1
        n, v = self.counter, self.rng.randrange(1_000_000)
        word = WORDS[v % len(WORDS)]
        if path.endswith((".yaml", ".yml")):
            return f"{word}_{n}: {v}"
        if path.endswith(".lock"):
            return f'{word}-lib-{n % 97} = "{v % 9}.{v % 31}.{v % 17}"'
        if path.endswith(".txt"):
            return f"{word}-lib-{n % 97}=={v % 9}.{v % 31}.{v % 17}"
        if path.endswith(".md"):
            return f"- {word} {n}: see the {WORDS[(v // 7) % len(WORDS)]} runbook ({v})"
        if path.endswith(".sql"):
            return f"ALTER TABLE {word} ADD COLUMN c{n} bigint DEFAULT {v % 1000};"
        return f"    {word}_{n} = compute({v}, {WORDS[(v // 3) % len(WORDS)]!r})"

    def create(self, path: str, lines: int) -> None:
        self.files[path] = [self.line(path) for _ in range(lines)]

    def edit(self, path: str, changed: int, inserted: int = 0, removed: int = 0) -> None:
        lines = self.files[path]
        for _ in range(changed):
            lines[self.rng.randrange(len(lines))] = self.line(path)
        for _ in range(inserted):
            lines.insert(self.rng.randrange(len(lines) + 1), self.line(path))
        for _ in range(min(removed, len(lines) - 5)):
            del lines[self.rng.randrange(len(lines))]

    def initial(self) -> list[str]:
        """Create every service's files; the paths written."""
        for i in range(1, SERVICES + 1):
            base = f"services/{svc(i)}"
            self.modules[i] = sorted(self.rng.sample(MODULES, self.rng.randint(2, 4)))
            for module in self.modules[i]:
                self.create(f"{base}/src/{module}.py", self.rng.randint(40, 160))
            self.create(f"{base}/tests/test_{self.modules[i][0]}.py", self.rng.randint(30, 80))
            self.create(f"{base}/config/app.yaml", self.rng.randint(15, 40))
            self.create(f"{base}/requirements.txt", self.rng.randint(8, 25))
            self.create(f"{base}/poetry.lock", self.rng.randint(60, 180))
            self.create(f"{base}/docs/README.md", self.rng.randint(15, 50))
            self.create(f"{base}/migrations/0001_initial.sql", self.rng.randint(8, 30))
            self.migrations[i] = 1
        base = f"services/{svc(ROOT)}"
        self.create(f"{base}/src/pay/handler.py", 140)
        self.create(f"{base}/src/pay/provider.py", 90)
        self.files[f"{base}/config/pay.yaml"] = [
            "provider: stripe-like",
            "pool_size: 50",
            "timeout_ms: 2000",
            "retries: 3",
            "circuit_breaker: true",
            *(self.line(f"{base}/config/pay.yaml") for _ in range(12)),
        ]
        return list(self.files)

    def commit(self, commit: PlannedCommit) -> list[str]:
        """Apply one planned commit; the paths it wrote (1 to 5, all of one service)."""
        i, rng = commit.service, self.rng
        base = f"services/{svc(i)}"
        src = [f"{base}/src/{m}.py" for m in self.modules[i]]
        if i == ROOT:
            src += [f"{base}/src/pay/handler.py", f"{base}/src/pay/provider.py"]
        small = lambda: rng.choice((1, 1, 2, 3, 5, 8, 13))  # noqa: E731
        if commit.special == "culprit":
            pay = self.files[f"{base}/config/pay.yaml"]
            pay[1], pay[2] = "pool_size: 5", "timeout_ms: 200"
            return [f"{base}/config/pay.yaml"]
        if commit.special == "big":
            module = rng.choice(src)
            self.edit(module, 60, 220, 40)
            test = f"{base}/tests/test_{self.modules[i][0]}.py"
            self.edit(test, 10, 90)
            return [module, test]
        written: list[str] = []
        kind = commit.kind
        if kind in ("code", "mixed"):
            for path in rng.sample(src, min(len(src), rng.choice((1, 1, 2)))):
                self.edit(path, small(), rng.choice((0, 0, 2, 6, 20)), rng.choice((0, 0, 1, 4)))
                written.append(path)
            if rng.random() < 0.4 or kind == "mixed":
                written.append(self._touch(f"{base}/tests/test_{self.modules[i][0]}.py", small()))
        if kind in ("config", "mixed"):
            written.append(self._touch(f"{base}/config/app.yaml", rng.choice((1, 1, 2, 3))))
            if rng.random() < 0.3 or kind == "mixed":
                written.append(self._touch(f"{base}/docs/README.md", small()))
        if kind == "dependency":
            written.append(self._touch(f"{base}/requirements.txt", rng.choice((1, 1, 2))))
            written.append(self._touch(f"{base}/poetry.lock", rng.choice((3, 6, 12, 30))))
        if kind == "migration":
            self.migrations[i] += 1
            path = f"{base}/migrations/{self.migrations[i]:04d}_{rng.choice(WORDS)}.sql"
            self.create(path, rng.randint(3, 25))
            written.append(path)
            model = f"{base}/src/models.py" if f"{base}/src/models.py" in self.files else src[0]
            written.append(self._touch(model, small()))
        if kind == "docs":
            written.append(self._touch(f"{base}/docs/README.md", small() + 2))
        if kind == "tests":
            written.append(self._touch(f"{base}/tests/test_{self.modules[i][0]}.py", small() + 1))
        return list(dict.fromkeys(written))[:5]

    def _touch(self, path: str, changed: int) -> str:
        self.edit(path, changed, self.rng.choice((0, 0, 1, 3)))
        return path

    def content(self, path: str) -> bytes:
        return ("\n".join(self.files[path]) + "\n").encode()


_SUBJECTS = {
    "initial": "Import every service into the monorepo",
    "code": "{s}: {w} handling in {m}",
    "config": "{s}: tune {w} settings",
    "dependency": "{s}: bump {w}-lib and refresh the lock file",
    "migration": "{s}: migration for {w}",
    "docs": "{s}: document the {w} runbook",
    "tests": "{s}: cover {w} edge cases",
    "mixed": "{s}: {w} rework (code, config, docs)",
}


def _subject(commit: PlannedCommit, rng: random.Random) -> str:
    if commit.special == "culprit":
        return f"{svc(ROOT)}: lower the payment provider pool size and timeout"
    if commit.special == "big":
        return f"{svc(BIG)}: rewrite the batch scheduler"
    return _SUBJECTS[commit.kind].format(s=svc(commit.service), w=rng.choice(WORDS), m=rng.choice(MODULES))


def write_history(plan: Plan, out: IO[bytes]) -> dict[str, int]:
    """Stream every commit to ``git fast-import`` (marks :1.. in plan order); counts of what was written."""
    rng = random.Random(SEED + 1)
    tree = Tree(rng)
    stats = {"files_written": 0, "bytes": 0}
    for mark, commit in enumerate(plan.commits, start=1):
        paths = tree.initial() if commit.service == 0 else tree.commit(commit)
        message = _subject(commit, rng).encode()
        person = f"{commit.author.replace('.', ' ').title()} <{commit.author}@acme.test>"
        header = (
            f"commit refs/heads/main\nmark :{mark}\n"
            f"author {person} {commit.at} +0000\ncommitter {person} {commit.at} +0000\n"
        ).encode()
        parts = [header, b"data %d\n%s\n" % (len(message), message)]
        if mark > 1:
            parts.append(b"from :%d\n" % (mark - 1))
        for path in paths:
            data = tree.content(path)
            parts.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
            stats["bytes"] += len(data)
        stats["files_written"] += len(paths)
        out.write(b"".join(parts))
    out.write(b"done\n")
    stats["files_in_tree"] = len(tree.files)
    return stats


# --------------------------------------------------------------------------- building and caching the data


_GIT_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "LC_ALL": "C",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(*args: str, cwd: Path | None = None) -> str:
    """Run git without user or system config; stdout, or exit with its stderr."""
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=_GIT_ENV, check=False)
    if result.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout.decode(errors="replace")


@dataclass
class DataStats:
    """What the data is and what it took to make; kept next to it so a cached run can report it."""

    key: str
    commits: int
    commits_last_24h: int
    files_in_tree: int
    files_written: int
    content_mb: float
    deploys: int
    failed: int
    in_progress: int
    services_deployed: int
    plan_seconds: float
    import_seconds: float
    clone_seconds: float
    clone_mb: float
    built_at: str
    culprit: str
    root: str
    symptom: str
    latest: str
    largest: str
    largest_own_lines: int
    culprit_own_lines: int


def data_key() -> str:
    """Changes when the data would: the parameters and the code (its syntax tree) of everything that makes it."""
    parts = [
        json.dumps(
            {
                "revision": FORMAT_REVISION,
                "seed": SEED,
                "services": SERVICES,
                "commits": COMMITS,
                "deploys": DEPLOYS,
                "days": HISTORY_DAYS,
                "onset": ONSET.isoformat(),
                "repo": REPO_NAME,
                "planted": [ROOT, SYMPTOM, OTHER_CALLER, BIG, IN_PROGRESS, FAILED_SHARE],
            }
        )
    ]
    for thing in (
        dependencies,
        _kind,
        _deploy_start,
        make_plan,
        Tree,
        _subject,
        write_history,
        deploy_records,
        raw_config,
    ):
        parts.append(ast.dump(ast.parse(textwrap.dedent(inspect.getsource(thing)))))  # code, not its layout
    parts.append(repr((MODULES, WORDS, PEOPLE, KINDS, _SUBJECTS)))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _own_lines(clone: Path, plan: Plan, deploy: PlannedDeploy, shas: list[str]) -> int:
    """Lines the deploy's own commits changed (what it shipped of its service)."""
    total = 0
    for index in deploy.commits:
        out = git("-C", str(clone), "show", "--numstat", "--format=", shas[index])
        total += sum(int(a) + int(d) for a, d, _ in (line.split("\t", 2) for line in out.splitlines() if line))
    return total


def prepare_data(rebuild: bool) -> tuple[Path, DataStats, bool]:
    """The data folder for this key (clone, deploy log, config), built unless cached; True if built now."""
    key = data_key()
    root = DATA_DIR / f"{CACHE_PREFIX}{key}"
    stats_file = root / "data.json"
    if stats_file.is_file() and not rebuild:
        return root, DataStats(**json.loads(stats_file.read_text(encoding="utf-8"))), False
    for old in DATA_DIR.glob(f"{CACHE_PREFIX}*"):  # only our own caches; one at a time bounds the disk
        shutil.rmtree(old)
    root.mkdir(parents=True)
    print(f"planning {COMMITS:,} commits and {DEPLOYS:,} deploys ...", flush=True)
    started = time.monotonic()
    plan = make_plan()
    plan_seconds = time.monotonic() - started
    origin = root / "origin.git"
    git("init", "--quiet", "--bare", "-b", "main", str(origin))
    print("streaming them into git fast-import ...", flush=True)
    started = time.monotonic()
    marks = root / "marks"
    process = subprocess.Popen(  # noqa: S603
        ["git", "-C", str(origin), "fast-import", "--quiet", "--done", f"--export-marks={marks}"],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_GIT_ENV,
    )
    assert process.stdin is not None and process.stderr is not None
    with io.BufferedWriter(process.stdin, buffer_size=1 << 20) as stdin:
        written = write_history(plan, stdin)
    error = process.stderr.read()
    if process.wait() != 0:
        raise SystemExit(f"git fast-import failed: {error.decode(errors='replace')}")
    import_seconds = time.monotonic() - started
    by_mark = dict(line.split(" ", 1) for line in marks.read_text().splitlines())
    marks.unlink()
    shas = [by_mark[f":{mark}"].strip() for mark in range(1, len(plan.commits) + 1)]
    print(f"  {len(shas):,} commits, {written['bytes'] / 1e6:.0f} MB of file contents in {import_seconds:.1f} s")
    print("cloning it (the clone is what the git adapter reads) ...", flush=True)
    started = time.monotonic()
    clone = root / "mono"
    git("clone", "--quiet", "--no-local", str(origin), str(clone))
    clone_seconds = time.monotonic() - started
    print(f"  {clone_seconds:.1f} s")
    records = deploy_records(plan, shas)
    (root / "deploys.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    (root / "firstfifteen.yaml").write_text(yaml.safe_dump(raw_config(plan), sort_keys=False), encoding="utf-8")
    culprit = next(d for d in plan.deploys if d.special == "culprit")
    big = next(d for d in plan.deploys if d.special == "big")
    onset = _epoch(ONSET)
    stats = DataStats(
        key=key,
        commits=len(shas),
        commits_last_24h=sum(1 for c in plan.commits if c.at >= onset - 86400),
        files_in_tree=written["files_in_tree"],
        files_written=written["files_written"],
        content_mb=round(written["bytes"] / 1e6, 1),
        deploys=len(plan.deploys),
        failed=sum(1 for d in plan.deploys if d.status == "failed"),
        in_progress=sum(1 for d in plan.deploys if d.status == "in_progress"),
        services_deployed=len({d.service for d in plan.deploys}),
        plan_seconds=round(plan_seconds, 1),
        import_seconds=round(import_seconds, 1),
        clone_seconds=round(clone_seconds, 1),
        clone_mb=round(_du(clone / ".git") / 1e6, 1),
        built_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        culprit=culprit.id,
        root=svc(ROOT),
        symptom=svc(SYMPTOM),
        latest=max(plan.deploys, key=lambda d: (d.started, d.id)).id,
        largest=big.id,
        largest_own_lines=_own_lines(clone, plan, big, shas),
        culprit_own_lines=_own_lines(clone, plan, culprit, shas),
    )
    stats_file.write_text(json.dumps(asdict(stats), indent=2), encoding="utf-8")
    return root, stats, True


def _iso(epoch: int | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def deploy_records(plan: Plan, shas: list[str]) -> list[dict[str, Any]]:
    """The deploy log: each deploy goes from what its service ran (its last successful deploy's commit,
    else the service's last commit before) to its newest commit on main."""
    touching: dict[int, list[int]] = {}
    for index, commit in enumerate(plan.commits):
        for service in range(1, SERVICES + 1) if commit.service == 0 else (commit.service,):
            touching.setdefault(service, []).append(index)
    running: dict[int, tuple[int, int]] = {}  # service -> (commit index, version number)
    records = []
    for deploy in plan.deploys:
        head = deploy.commits[-1]
        if deploy.service in running:
            base, number = running[deploy.service]
        else:
            history = touching[deploy.service]
            base = max(i for i in history if i < deploy.commits[0])
            number = 100 + deploy.service % 37
        if deploy.status == "succeeded":
            running[deploy.service] = (head, number + 1)
        records.append(
            {
                "id": deploy.id,
                "service": svc(deploy.service),
                "environment": "production",
                "version": f"v{(number + 1) // 100}.{(number + 1) % 100}.0",
                "previous_version": f"v{number // 100}.{number % 100}.0",
                "started_at": _iso(deploy.started),
                "finished_at": _iso(deploy.finished),
                "status": deploy.status,
                "author": deploy.author,
                "link": f"https://ci.acme.test/deploys/{deploy.id}",
                "repo": REPO_NAME,
                "sha": shas[head],
                "previous_sha": shas[base],
            }
        )
    return records


def raw_config(plan: Plan) -> dict[str, Any]:
    """1,000 services in one monorepo, deploys from the log, change sets from the clone."""
    services = []
    for i in range(1, SERVICES + 1):
        base = f"services/{svc(i)}"
        routes = {f"/v1/{WORDS[i % len(WORDS)]}": [f"{base}/src/**"]}
        if i == ROOT:
            routes = {"/pay": [f"{base}/src/pay/**", f"{base}/config/pay.yaml"], "/refund": [f"{base}/src/handlers.py"]}
        services.append(
            {
                "name": svc(i),
                "depends_on": [svc(j) for j in plan.depends_on[i]],
                "team": f"team-{(i - 1) // 25 + 1:02d}",
                "repo": REPO_NAME,
                "paths": [f"{base}/**"],
                "routes": routes,
            }
        )
    return {
        "environment": "benchmark",
        "services": services,
        "adapters": {"deploy_file": {"path": "deploys.jsonl"}, "git": {"repos": {REPO_NAME: "mono"}}},
    }


# --------------------------------------------------------------------------- measuring


STEPS = (
    "fetch_deploys",
    "split_candidates",
    "choose_for_changes",
    "fetch_changes",
    "fetch_codeowners",
    "rank",
    "render_ranking",
)
"""The functions rank_incident calls through correlate's module globals: each is wrapped with a timer."""


def incident(stats: DataStats) -> Incident:
    """What triage would hand the ranking: the root with its failing route, and one symptom."""
    return Incident(
        onset=ONSET,
        onset_source="given",
        affected=[stats.root, stats.symptom],
        roots=[stats.root],
        failing_routes={stats.root: ("/pay",)},
    )


@dataclass
class GitCall:
    command: str
    started: float
    seconds: float
    output_bytes: int


class GitCounter:
    """The git processes and get_changes calls of one runtime: the adapter's own methods, wrapped."""

    def __init__(self, runtime: Runtime) -> None:
        self.calls: list[GitCall] = []
        self.change_sets = 0
        for adapter in runtime.adapters.values():
            if isinstance(adapter, GitRepoAdapter):
                self._wrap(adapter)

    def _wrap(self, adapter: GitRepoAdapter) -> None:
        run, get_changes = adapter._run, adapter.get_changes

        async def counted_run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            result = await run(*args, **kwargs)
            out = result[1] if isinstance(result, tuple) and len(result) > 1 else b""
            self.calls.append(GitCall(str(args[1][0]), started, time.perf_counter() - started, len(out)))
            return result

        async def counted_changes(*args: Any, **kwargs: Any) -> ChangeSet:
            self.change_sets += 1
            return await get_changes(*args, **kwargs)

        adapter._run = counted_run  # type: ignore[method-assign]
        adapter.get_changes = counted_changes  # type: ignore[method-assign]

    def wall(self) -> float:
        """Seconds during which at least one git process ran (processes overlap)."""
        total, reach = 0.0, float("-inf")
        for call in sorted(self.calls, key=lambda c: c.started):
            end = call.started + call.seconds
            if end > reach:
                total += end - max(call.started, reach)
                reach = end
        return total

    def summary(self) -> str:
        by_command: dict[str, list[GitCall]] = {}
        for call in self.calls:
            by_command.setdefault(call.command, []).append(call)
        return ", ".join(
            f"`git {name}` x{len(calls)} ({sum(c.seconds for c in calls):.2f} s, "
            f"{sum(c.output_bytes for c in calls) / 1e6:.1f} MB out)"
            for name, calls in sorted(by_command.items())
        )


@contextmanager
def instrumented() -> Iterator[dict[str, Any]]:
    """Time each step rank_incident calls (wrapping correlate's globals) and keep each one's arguments and result."""
    record: dict[str, Any] = {"times": {}, "results": {}}
    originals = {name: getattr(correlate, name) for name in STEPS if hasattr(correlate, name)}

    def timed(name: str, function: Any) -> Any:
        def note(started: float, args: tuple[Any, ...], result: Any) -> Any:
            record["times"][name] = record["times"].get(name, 0.0) + time.perf_counter() - started
            record["results"][name] = (args, result)
            return result

        if inspect.iscoroutinefunction(function):

            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                return note(started, args, await function(*args, **kwargs))
        else:

            def wrapper(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                return note(started, args, function(*args, **kwargs))

        return wrapper

    for name, function in originals.items():
        setattr(correlate, name, timed(name, function))
    try:
        yield record
    finally:
        for name, function in originals.items():
            setattr(correlate, name, function)


@dataclass(repr=False)  # its fields hold thousands of models: a repr (asyncio makes some) would cost seconds
class Run:
    """One rank_incident call."""

    seconds: float
    steps: dict[str, float]
    git: GitCounter
    rank_inputs: tuple[Any, ...]  # what rank() was given, to rank every candidate again when asked
    candidates: list[Deploy]
    chosen: list[Deploy]
    skipped: list[Deploy]
    changes: dict[str, ChangeSet]
    ranking: Ranking
    ctx: Any  # the RankContext choose_for_changes was given

    @functools.cached_property
    def ranked(self) -> list[Candidate]:
        """Every candidate in order (rank may build only the listed ones): ranked again from the same inputs."""
        return correlate.rank(*self.rank_inputs[:4])

    def rank_of(self, deploy_id: str) -> int:
        listed = next((i for i, c in enumerate(self.ranking.candidates, start=1) if c.deploy.id == deploy_id), 0)
        return listed or next((i for i, c in enumerate(self.ranked, start=1) if c.deploy.id == deploy_id), 0)

    @property
    def fetched(self) -> int:
        return len(self.changes)


async def one_ranking(
    config: Config, stats: DataStats, runtime: Runtime | None = None, profile: cProfile.Profile | None = None
) -> Run:
    """rank_incident as the product calls it; on a fresh runtime (cold adapter cache) unless one is given."""
    if runtime is None:
        async with open_runtime(config) as fresh:
            return await one_ranking(config, stats, fresh, profile)
    counter = GitCounter(runtime)
    with instrumented() as record:
        if profile is not None:
            profile.enable()
        started = time.perf_counter()
        ranking = await correlate.rank_incident(runtime, ONSET + RANK_AFTER, incident(stats))
        seconds = time.perf_counter() - started
        if profile is not None:
            profile.disable()
    results = record["results"]
    candidates, _ = results["split_candidates"][1]
    choice_args, (chosen, skipped, *_) = results["choose_for_changes"]
    changes = results["fetch_changes"][1][0]
    return Run(
        seconds,
        record["times"],
        counter,
        results["rank"][0],
        candidates,
        chosen,
        skipped,
        changes,
        ranking,
        choice_args[1],
    )


def vm_rss_mb() -> float:
    found = re.search(r"^VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    return int(found.group(1)) / 1024 if found else float("nan")


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


async def traced_peak_mb(config: Config, stats: DataStats) -> tuple[float, float]:
    """tracemalloc's peak over one ranking (fresh runtime), and that run's time under tracing."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        run = await one_ranking(config, stats)
        return tracemalloc.get_traced_memory()[1] / 1e6, run.seconds
    finally:
        tracemalloc.stop()


BREAKDOWN = {
    "`score_features`: 7 `Feature` models per deploy, in `optimistic_score` and again in `rank`": (
        "deploys/features.py",
        "score_features",
    ),
    "&nbsp;&nbsp;of which `_feature` (one validated model)": ("deploys/features.py", "_feature"),
    "`rank` (every score, the order, the listed `Candidate` models)": ("deploys/rank.py", "rank"),
    "`Span.walk`: each pair's commits in the span": ("adapters/git/history.py", "walk"),
    "`LoggedCommit.model`: `Commit` models": ("adapters/git/history.py", "model"),
    "`parse_log`: the span's `git log`": ("adapters/git/history.py", "parse_log"),
    "`split_diff_tree`: the files, as `ChangedFile` models": ("adapters/git/history.py", "split_diff_tree"),
    "`scope_changes`: other services' files left out": ("deploys/correlate.py", "scope_changes"),
    "`services_owning` (every caller)": ("deploys/ownership.py", "services_owning"),
}
"""Product functions whose cumulative time under cProfile is reported (synchronous ones: cProfile's cumulative
time of a coroutine counts only its own slices). A function renamed in the product simply drops out."""


def profiled(
    config: Config, stats: DataStats, top: int
) -> tuple[float, list[tuple[str, str, float, float]], dict[str, tuple[int, float]]]:
    """cProfile over one ranking: its time under the profiler, the top functions by own time, and a few totals."""
    profile = cProfile.Profile()
    run = asyncio.run(one_ranking(config, stats, profile=profile))
    table = pstats.Stats(profile).stats  # type: ignore[attr-defined]  # (file, line, name) -> (cc, nc, tt, ct, callers)
    rows = []
    for (filename, line, name), (primitive, calls, own, cumulative, _) in sorted(
        table.items(), key=lambda item: -item[1][2]
    )[:top]:
        where = filename.replace(str(REPO) + "/", "").replace(sys.prefix + "/", "")
        where = re.sub(r"^/.*/lib/python3\.\d+/", "", where)
        where = f"{where}:{line}({name})" if line else name
        rows.append((where, f"{calls}" if calls == primitive else f"{calls}/{primitive}", own, cumulative))
    totals: dict[str, tuple[int, float]] = {}  # label -> (calls, cumulative seconds)
    for (filename, _, name), (_, calls, _, cumulative, _) in table.items():
        for label, (module, function) in BREAKDOWN.items():
            if name == function and filename.endswith(module):
                before = totals.get(label, (0, 0.0))
                totals[label] = (before[0] + calls, before[1] + cumulative)
    return run.seconds, rows, totals


# --------------------------------------------------------------------------- experiments (the product is unchanged)


DIFF_FLAGS = ("-r", "-M", "--raw", "--numstat", "-z", "--no-color", "--no-ext-diff", "--no-textconv")
"""The flags the git adapter diffs with (adapters/git/repo.py), for the git-only experiment."""


async def _git_seconds(clone: Path, args: list[str], stdin: bytes | None = None) -> tuple[float, int]:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        "git",
        "-C",
        str(clone),
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else None,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_GIT_ENV,
    )
    out, err = await process.communicate(stdin)
    if process.returncode != 0:
        raise SystemExit(f"git {args[0]} failed: {err.decode(errors='replace')}")
    return time.perf_counter() - started, len(out)


async def diff_variants(clone: Path, run: Run, config: Config) -> list[tuple[str, float, int]]:
    """git alone on the chosen pairs: one ``diff-tree --stdin`` with no pathspec, with every chosen service's
    paths as ``:(glob)`` pathspecs, with plain directory prefixes, and one process per pair (8 at a time)."""
    services = {s.name: s for s in config.services}
    pairs = [(d.previous_sha, d.sha, d.service) for d in run.chosen if d.sha and d.previous_sha]
    stdin = "".join(f"{head} {base}\n" for base, head, _ in pairs).encode()
    globs = sorted({path for *_, name in pairs for path in services[name].paths})
    prefixes = sorted({path.removesuffix("**").rstrip("/") + "/" for path in globs})
    batch = ["diff-tree", "--stdin", "--always", *DIFF_FLAGS]
    variants = [
        ("one `diff-tree --stdin`, whole ranges (no pathspec)", batch),
        (
            f"one `diff-tree --stdin`, the {len(globs)} services' `paths` as `:(glob)` pathspecs",
            [*batch, "--", *(f":(glob){g}" for g in globs)],
        ),
        ("one `diff-tree --stdin`, the same as plain directory prefixes", [*batch, "--", *prefixes]),
    ]
    results = []
    for label, args in variants:
        seconds, size = await _git_seconds(clone, args, stdin)
        results.append((label, seconds, size))
    gate = asyncio.Semaphore(8)

    async def one(base: str, head: str, name: str) -> tuple[float, int]:
        own = [path.removesuffix("**").rstrip("/") + "/" for path in services[name].paths]
        async with gate:
            return await _git_seconds(clone, ["diff-tree", *DIFF_FLAGS, base, head, "--", *own])

    started = time.perf_counter()
    each = await asyncio.gather(*(one(*pair) for pair in pairs))
    results.append(
        (
            "one `diff-tree` per pair, its own service's directory, 8 at a time",
            time.perf_counter() - started,
            sum(size for _, size in each),
        )
    )
    return results


@dataclass
class AllFetch:
    """fetch_changes on every candidate, in chunks (each on a fresh runtime, results dropped in between)."""

    seconds: float
    chunks: int
    candidates: int
    change_sets: int
    errors: int
    git_processes: int
    files: int
    commits: int
    git_detail: str
    rss_growth_mb: float
    first_error: str = ""


async def fetch_all(config: Config, stats: DataStats, chunk: int) -> AllFetch:
    """Change sets of every candidate, as if there were no cut-off; the deadlines are lifted so git can finish.

    ``model_copy(update=...)`` does not validate, which is what lets the deadline go past the config's cap.
    """
    roomy = config.model_copy(update={"triage": config.triage.model_copy(update={"deadline_seconds": 3600.0})})
    lookback = timedelta(hours=config.deploys.lookback_hours)
    async with open_runtime(roomy) as runtime:
        deploys, _ = await fetch_deploys(runtime, TimeWindow(start=ONSET - lookback, end=ONSET + RANK_AFTER))
    candidates, _ = split_candidates(deploys, ONSET, lookback)
    total = AllFetch(0.0, 0, len(candidates), 0, 0, 0, 0, 0, "", 0.0)
    before = vm_rss_mb()
    details: list[str] = []
    for start in range(0, len(candidates), chunk):
        part = candidates[start : start + chunk]
        async with open_runtime(roomy) as runtime:
            for adapter in runtime.adapters.values():
                if isinstance(adapter, GitRepoAdapter):
                    adapter.config = adapter.config.model_copy(update={"timeout_s": 3600.0})
            counter = GitCounter(runtime)
            started = time.perf_counter()
            changes, errors, _ = await fetch_changes(runtime, part)
            total.seconds += time.perf_counter() - started
        total.chunks += 1
        total.change_sets += len(changes)
        total.errors += len(errors)
        total.git_processes += len(counter.calls)
        total.files += sum(len(c.files) for c in changes.values())
        total.commits += sum(len(c.commits) for c in changes.values())
        total.first_error = total.first_error or next(iter(errors.values()), "")
        total.rss_growth_mb = max(total.rss_growth_mb, vm_rss_mb() - before)
        details.append(counter.summary())
        print(f"  chunk {total.chunks}: {len(part)} candidates, {time.perf_counter() - started:.1f} s", flush=True)
        del changes, errors
        gc.collect()
    total.git_detail = details[0] if details else ""
    return total


# --------------------------------------------------------------------------- reporting


def machine() -> dict[str, str]:
    """nproc, CPU model, RAM, OS, Python and git of this machine."""
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
        "git": git("--version").strip().removeprefix("git version "),
    }


def code_fingerprint() -> str:
    """A digest of every product source file as it is on disk: differs whenever the measured code would."""
    digest = hashlib.sha256()
    for path in sorted(p for top in ("adapters", "mcp_server") for p in (REPO / top).rglob("*.py")):
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def code_state() -> str:
    """The commit measured, and the product files that differed from it."""
    head = git("-C", str(REPO), "rev-parse", "--short", "HEAD").strip()
    dirty = [
        line[3:]
        for line in git("-C", str(REPO), "status", "--porcelain", "--", "adapters", "mcp_server").splitlines()
        if line.strip()
    ]
    return f"commit `{head}`" + (f" with uncommitted changes in {', '.join(f'`{d}`' for d in dirty)}" if dirty else "")


@dataclass
class Results:
    runs: list[Run]
    baseline_rss_mb: float
    peak_rss_mb: float
    git_peak_rss_mb: float
    traced_mb: float
    traced_seconds: float
    warm_cache: Run
    profile_seconds: float
    profile_rows: list[tuple[str, str, float, float]]
    profile_totals: dict[str, tuple[int, float]]
    diffs: list[tuple[str, float, int]]
    everything: AllFetch | None

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    def step(self, name: str) -> float:
        return statistics.median(r.steps.get(name, 0.0) for r in self.runs)

    def git_seconds(self) -> float:
        """Wall time during which git processes ran in the median run (``show``, for CODEOWNERS, included)."""
        return self.last.git.wall()

    def profile_own(self, fragment: str) -> float:
        """Own time of the profiled functions whose location holds ``fragment``."""
        return sum(own for where, _, own, _ in self.profile_rows if fragment in where)

    @property
    def last(self) -> Run:
        """The run whose time is the median (the upper one of two): its details go with the median figures."""
        return sorted(self.runs, key=lambda r: r.seconds)[len(self.runs) // 2]


def _s(value: float) -> str:
    return f"{value:.3f} s"


def split_rows(res: Results) -> list[str]:
    """The time split: each step rank_incident calls, median over the timed runs."""
    total = res.median
    fetch = max(res.step("fetch_changes"), res.step("fetch_codeowners"))
    other = (
        total
        - sum(
            res.step(n) for n in ("fetch_deploys", "split_candidates", "choose_for_changes", "rank", "render_ranking")
        )
        - fetch
    )
    run = res.last
    git_only = res.git_seconds()
    rows = [
        "| step (the function rank_incident calls) | median | share |",
        "|---|---:|---:|",
        f"| deploy file read: `fetch_deploys` ({len(run.candidates):,} deploys, JSON lines to models) "
        f"| {_s(res.step('fetch_deploys'))} | {res.step('fetch_deploys') / total:.0%} |",
        f"| candidate choice: `split_candidates` + `choose_for_changes` (upper bound of every candidate, sort) "
        f"| {_s(res.step('split_candidates') + res.step('choose_for_changes'))} "
        f"| {(res.step('split_candidates') + res.step('choose_for_changes')) / total:.0%} |",
        f"| git: `fetch_changes` for {run.fetched} deploys ({run.git.change_sets} `get_changes` calls) "
        f"| {_s(res.step('fetch_changes'))} | {res.step('fetch_changes') / total:.0%} |",
        f"| &nbsp;&nbsp;of which git processes running (wall time; they overlap; in the median run: "
        f"{run.git.summary()}) "
        f"| {_s(git_only)} "
        f"| {git_only / total:.0%} |",
        f"| &nbsp;&nbsp;`fetch_codeowners` (concurrent with `fetch_changes`) | {_s(res.step('fetch_codeowners'))} | |",
        f"| scoring: `rank` ({len(run.candidates):,} candidates) | {_s(res.step('rank'))} "
        f"| {res.step('rank') / total:.0%} |",
        f"| `render_ranking` (the summary) | {_s(res.step('render_ranking'))} "
        f"| {res.step('render_ranking') / total:.0%} |",
        f"| the rest (RankContext, the Ranking model; by difference) | {_s(max(0.0, other))} "
        f"| {max(0.0, other) / total:.0%} |",
        f"| **total** `rank_incident` | **{_s(total)}** | |",
    ]
    return rows


def culprit_facts(run: Run, stats: DataStats, clone: Path, config: Config) -> dict[str, Any]:
    """The planted culprit as the ranking saw it, the fetched change sets, and who was scored for the root's
    files without deploying it."""
    culprit = next(c for c in run.ranked if c.deploy.id == stats.culprit)
    entry = next(e for name, e in config.adapters.items() if (e.type or name) == "git")
    git_settings = GitRepoAdapter.config_model.model_validate(entry.settings())
    max_files, max_commits = git_settings.max_files, git_settings.max_commits
    pay = f"services/{stats.root}/config/pay.yaml"
    names = git(
        "-C",
        str(clone),
        "diff-tree",
        "-r",
        "--name-only",
        "--no-commit-id",
        culprit.deploy.previous_sha,
        culprit.deploy.sha,
    ).splitlines()
    fetched = list(run.changes.values())
    own = run.changes.get(stats.culprit)
    borrowed = [
        c
        for c in run.ranked
        if c.changes is not None
        and c.deploy.service not in (stats.root, stats.symptom)
        and any(f.name == "service" and f.score >= 0.9 for f in c.features)
    ]
    return {
        "rank": run.rank_of(stats.culprit),
        "score": culprit.score,
        "features": "; ".join(f"{f.name} {f.score:.2f} ({f.reason})" for f in culprit.features),
        "files": len(own.files) if own else 0,
        "commits": len(own.commits) if own else 0,
        "truncated": bool(own and own.truncated),
        "routes": next((f.score for f in culprit.features if f.name == "routes"), 0.0),
        "pay_position": names.index(pay) + 1 if pay in names else 0,
        "diff_files": len(names),
        "borrowed": len(borrowed),
        "fetched": len(fetched),
        "mean_files": statistics.mean(len(c.files) for c in fetched) if fetched else 0,
        "total_files": sum(len(c.files) for c in fetched),
        "total_commits": sum(len(c.commits) for c in fetched),
        "files_capped": sum(1 for c in fetched if len(c.files) >= max_files),
        "commits_capped": sum(1 for c in fetched if len(c.commits) >= max_commits),
        "max_files": max_files,
        "max_commits": max_commits,
        "truncated_sets": sum(1 for c in fetched if c.truncated),
        "above": run.ranked[: max(0, run.rank_of(stats.culprit) - 1)][:5],
    }


def span_facts(run: Run, clone: Path) -> dict[str, float]:
    """The history the batch's ``git log`` reads: every commit above the oldest commit asked about."""
    shas = sorted({sha for d in run.chosen for sha in (d.sha, d.previous_sha) if sha})
    if not shas:
        return {"commits": 0, "days": 0.0}
    times = dict(
        line.split() for line in git("-C", str(clone), "show", "-s", "--format=%H %ct", *shas).splitlines() if line
    )
    floor = min(shas, key=lambda sha: (int(times[sha]), sha))
    count = git("-C", str(clone), "rev-list", "--count", *shas, f"^{floor}")
    return {"commits": int(count), "days": (ONSET.timestamp() - int(times[floor])) / 86400}


def cutoff_lines(run: Run, config: Config) -> list[str]:
    """What max_change_sets means for this ranking, with its numbers."""
    limit = config.deploys.max_change_sets
    top = run.ranked[0].score if run.ranked else 0.0
    bound = optimistic_score(run.skipped[0], run.ctx) if run.skipped else 0.0
    shown = run.ranking.candidates
    bare = sum(1 for c in shown if c.changes is None)
    safe = top >= bound
    certified = next((i for i, c in enumerate(run.ranked) if c.score < bound), len(run.ranked))
    return [
        f"- Only the {limit} candidates with the best *possible* score (`optimistic_score`: the features that need "
        f"the diff counted as fully met) had their change sets fetched; the other {len(run.skipped):,} of "
        f"{len(run.candidates):,} are ranked on the change-free features alone: service, upstream, timing and status, "
        "with the change kind counted as unknown (0.4), routes and size as 0, and no monorepo ownership "
        "(a file of a degraded service in their diff cannot be seen). Their scores are what the ranking knows, "
        "not what their diffs would give, and the listing says so (`changes_error`: not fetched).",
        f"- This run: the best upper bound left outside the fetched set is {bound:.3f}; the top candidate scored "
        f"{top:.3f}. "
        + (
            "The top score is at least every skipped deploy's upper bound, so no deploy outside the set could "
            "have outranked the top one with its diff known: the cut-off did not change the winner."
            if safe
            else "A skipped deploy's upper bound is above the top score, so a deploy outside the set *could* have "
            "outranked the top one had its diff been fetched: the cut-off cannot prove the winner here."
        ),
        (
            f"- The same holds for the first {certified} positions (each scores at least that bound): no deploy "
            "outside the set could enter above them. Below them it could, had its diff been fetched; "
            if certified
            else "- No position is certified: "
        )
        + f"{bare} of the {len(shown)} listed candidates have no change set. The guarantee rests on "
        "`optimistic_score` staying an upper bound: a new feature that needs the diff must be counted there "
        "as fully met too.",
    ]


def results_markdown(
    res: Results,
    stats: DataStats,
    config: Config,
    args: argparse.Namespace,
    command: str,
    built: bool,
    total_seconds: float,
    measured: str,
) -> str:
    box = machine()
    run = res.last
    facts = culprit_facts(run, stats, DATA_DIR / f"{CACHE_PREFIX}{stats.key}" / "mono", config)
    fast = res.median < TARGET_SECONDS
    found = facts["rank"] == 1
    cache = "built in this run" if built else f"reused from benchmarks/.data/ (built {stats.built_at})"
    lines = [
        "## Deploy ranking: 5,000 deploys, change sets from a real git clone",
        "",
        f"Generated by `{command}` on {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, measuring "
        f"{measured}; the whole run took **{total_seconds / 60:.1f} min** (data {cache}).",
        "",
        f"- Machine: {box['nproc']} CPUs ({box['cpu']}), {box['ram']} RAM, {box['os']}, Python {box['python']}, "
        f"git {box['git']}.",
        f"- Repository: a monorepo of {stats.commits:,} commits on `main` ({stats.commits_last_24h:,} of them in the "
        f"24 h before the onset, the rest over the {HISTORY_DAYS} days before), {SERVICES:,} service directories "
        f"(`services/svc-0001/` ..), {stats.files_in_tree:,} files at the tip; each commit touches 1 to 5 files of "
        "one service (code, config YAML, requirements and lock files, migrations, docs, tests). Written with one "
        f"streamed `git fast-import` in {stats.import_seconds:.0f} s ({stats.content_mb:.0f} MB of file contents), "
        f"then `git clone --no-local` ({stats.clone_seconds:.0f} s, {stats.clone_mb:.0f} MB `.git`): the clone is "
        "what the `git` adapter reads.",
        f"- Deploys: {stats.deploys:,} in the 24 h before the onset ({stats.services_deployed} services deployed; "
        f"{stats.failed} failed, {stats.in_progress} still rolling out), read by the `deploy_file` adapter from "
        "JSON lines. Each goes from the commit its service last ran (`previous_sha`) to the service's newest commit "
        "on `main` (`sha`), as a monorepo pipeline records them, so its git range also holds the other services' "
        "commits merged in between.",
        f"- Config: {SERVICES:,} services, each `repo: {REPO_NAME}`, `paths: [services/svc-NNNN/**]`, a route "
        "map and a layered `depends_on` graph (1 to 4 services each); `deploys:` at its defaults "
        f"(`max_change_sets: {config.deploys.max_change_sets}`, `lookback_hours: {config.deploys.lookback_hours:g}`).",
        f"- Incident: `rank_incident(runtime, onset + {int(RANK_AFTER.total_seconds() // 60)} min, Incident(onset, "
        f'onset_source="given", affected=[{stats.root}, {stats.symptom}], roots=[{stats.root}], '
        f'failing_routes={{{stats.root}: ("/pay",)}}))`. Planted culprit: {stats.culprit}, the root\'s deploy that '
        f"finished 20 min before the onset, whose own commit changes `config/pay.yaml` ({stats.culprit_own_lines} "
        f"lines); not the latest deploy ({stats.latest}, still rolling out at the onset) nor the largest "
        f"({stats.largest}, {stats.largest_own_lines:,} lines of its own commits). No direct dependency of the root "
        "deployed in the 45 min before the onset.",
        f"- Method: one warm-up, then {args.repeat} timed calls (`--repeat`), each on a fresh runtime, so the git "
        "adapter's answer cache is cold and git really runs; the steps are timed by wrapping the functions "
        "`rank_incident` calls (module globals of `mcp_server.deploys.correlate`), git processes by wrapping the "
        "adapter's `_run`. No product code is changed.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| `rank_incident` wall time, median of {len(res.runs)} (min-max) | **{_s(res.median)}** "
        f"({min(r.seconds for r in res.runs):.3f}-{max(r.seconds for r in res.runs):.3f}) |",
        f"| change sets fetched / git processes | {run.fetched} of {len(run.candidates):,} candidates / "
        f"{len(run.git.calls)} ({run.git.summary()}) |",
        f"| rank of the planted culprit | **{facts['rank']}**{'' if found else ' (expected 1)'} |",
        f"| peak RSS (`getrusage` `ru_maxrss` of a process of its own: imports, config, a warm-up ranking and one "
        f"on a fresh runtime) | {res.peak_rss_mb:,.0f} MB (after imports and config: {res.baseline_rss_mb:,.0f} MB); "
        f"its largest git child: {res.git_peak_rss_mb:,.0f} MB |",
        f"| `tracemalloc` peak over one `rank_incident` | {res.traced_mb:,.0f} MB (that call took "
        f"{res.traced_seconds:.1f} s under tracing) |",
        f"| the same runtime a second time (answers cached by the adapter, no git) | {_s(res.warm_cache.seconds)} |",
        "",
        "### Time split",
        "",
        *split_rows(res),
        "",
    ]
    if res.everything is not None:
        every = res.everything
        fetch = res.step("fetch_changes")
        lines += [
            "### Retrieve, then rank: against fetching every candidate's change set",
            "",
            "| | change sets | git processes | files | time | ratio |",
            "|---|---:|---:|---:|---:|---:|",
            f"| `fetch_changes` on the {run.fetched} chosen (inside `rank_incident`) | {run.fetched} "
            f"| {len([c for c in run.git.calls if c.command != 'show'])} "
            f"| {sum(len(c.files) for c in run.changes.values()):,} "
            f"| {_s(fetch)} | 1x |",
            f"| `fetch_changes` on all {every.candidates:,} candidates | {every.change_sets:,} "
            f"({every.errors} errors) | {every.git_processes} | {every.files:,} | {every.seconds:.1f} s "
            f"| **{every.seconds / fetch:,.0f}x** |",
            "",
            f"Fetching everything was run in {every.chunks} calls of {args.all_chunk} candidates (`--all-chunk`), "
            "each on a fresh runtime, its results dropped before the next (one call over all of them would hold "
            "every change set at once), with `triage.deadline_seconds` and the adapter's `timeout_s` raised to "
            f"3,600 s: a call took {every.seconds / every.chunks:.0f} s on average, past the configured deadline "
            f"of {config.triage.deadline_seconds:g} s, which would have cut it short. Peak growth of the process's "
            f"RSS during a call: {every.rss_growth_mb:,.0f} MB. The first call: {every.git_detail}. "
            f"Against the whole `rank_incident` ({_s(res.median)}), fetching everything is "
            f"{every.seconds / res.median:,.0f}x slower.",
            "",
        ]
    lines += [
        "### Target",
        "",
        f"- Rank {len(run.candidates):,} deploys in under {TARGET_SECONDS:g} s, git included: "
        f"**{'met' if fast else 'MISSED'}** (median {_s(res.median)} over {len(res.runs)} runs, slowest "
        f"{max(r.seconds for r in res.runs):.3f} s; git processes running {_s(res.git_seconds())} of it).",
        f"- The planted culprit ranks first: **{'yes' if found else 'NO'}** (rank {facts['rank']}, score "
        f"{facts['score']:.3f}).",
        f"- Peak memory: {res.peak_rss_mb:,.0f} MB RSS for a process that ranks; {res.traced_mb:,.0f} MB allocated by "
        "Python at the peak of one ranking (`tracemalloc`).",
        "",
        "### What the `max_change_sets` cut-off means for correctness",
        "",
        *cutoff_lines(run, config),
        "",
    ]
    lines += findings(res, stats, facts, config)
    return "\n".join(lines) + "\n"


def findings(res: Results, stats: DataStats, facts: dict[str, Any], config: Config) -> list[str]:
    """Where the time goes and why the culprit lands where it does, with the experiments' numbers."""
    run = res.last
    clone = DATA_DIR / f"{CACHE_PREFIX}{stats.key}" / "mono"
    span = span_facts(run, clone)
    totals = res.profile_totals
    fetch, git_only = res.step("fetch_changes"), res.git_seconds()
    by_command: dict[str, list[GitCall]] = {}
    for call in run.git.calls:
        by_command.setdefault(call.command, []).append(call)
    processes = ", ".join(
        f"`git {name}` {sum(c.seconds for c in calls):.2f} s ({sum(c.output_bytes for c in calls) / 1e6:.1f} MB out)"
        for name, calls in sorted(by_command.items(), key=lambda kv: -sum(c.seconds for c in kv[1]))
        if name != "show"
    )
    whole_ranges = facts["mean_files"] > 20 or facts["borrowed"] > 0
    lines = ["### Where the time goes, and why", ""]
    if res.median >= TARGET_SECONDS:
        lines += [f"The target is missed by {res.median - TARGET_SECONDS:.2f} s.", ""]
    lines.append(
        f"- Git, {_s(fetch)} in `fetch_changes`: git processes are running for {_s(git_only)} of it "
        f"({processes}; they overlap); the rest is "
        f"Python: parsing, the commit-graph walks and the models of {facts['total_files']:,} files and "
        f"{facts['total_commits']:,} commits for {facts['fetched']} change sets. The batch's `git log` reads "
        f"{span['commits']:,} commits: the oldest commit asked about, a `previous_sha`, is from {span['days']:.1f} "
        "days before the onset (its service had not changed since then)."
    )
    if whole_ranges:
        lines.append(
            "- The change sets are whole-repository diffs: a monorepo deploy's range holds every commit merged since "
            f"the service last deployed, so a change set averages {facts['mean_files']:,.0f} files "
            f"({facts['files_capped']} of {facts['fetched']} at the adapter's `max_files`, {facts['max_files']:,}), "
            "and git computes `--numstat` line counts for every file pair of every range."
        )
    if facts["commits_capped"]:
        lines.append(
            f"- The commit lists are not narrowed to the deployed service{'' if whole_ranges else ' (the files are)'}: "
            f"{facts['total_commits']:,} commits for {facts['fetched']} deploys that each shipped 1 to 5 commits of "
            f"their own; {facts['commits_capped']} lists stop at `max_commits` ({facts['max_commits']}). The "
            f"culprit's change set lists {facts['commits']:,} commits"
            f"{', truncated,' if facts['truncated'] else ''} for a deploy that shipped one."
        )
    limit = config.deploys.max_candidates
    lines.append(
        f"- Scoring: `choose_for_changes` {_s(res.step('choose_for_changes'))} and `rank` {_s(res.step('rank'))}, "
        f"both over all {len(run.candidates):,} candidates, of which {limit} are listed."
    )
    lines.append(
        f"- Without git (the same runtime a second time, the adapter's answers cached): {_s(res.warm_cache.seconds)}, "
        f"the Python floor of ranking {len(run.candidates):,} deploys."
    )
    culprit = f"- The culprit ranks {facts['rank']}; its features: {facts['features']}."
    if facts["routes"] == 0 and facts["pay_position"] > facts["files"]:
        culprit += (
            f" Git lists `config/pay.yaml` as file {facts['pay_position']:,} of {facts['diff_files']:,} of its range "
            f"(path order), past the cap of {facts['files']:,}: the routes feature never sees the change that broke "
            "/pay, and its kind and size come from other services' files."
        )
    lines.append(culprit)
    if facts["borrowed"]:
        lines.append(
            f"- {facts['borrowed']} fetched deploys of *other* services score the service feature 0.9 ('belongs to "
            f"degraded {stats.root}' or '{stats.symptom}') because the degraded services' commits sit in their git "
            "ranges: they did not deploy that code."
        )
    if facts["above"]:
        lines.append(
            "- Ranked above the culprit: "
            + "; ".join(
                f"{c.deploy.id} ({c.deploy.service}, {c.score:.3f}: "
                + ", ".join(f"{f.name} {f.score:.2f}" for f in c.features if f.score > 0)
                + ")"
                for c in facts["above"]
            )
            + "."
        )
    totals = res.profile_totals
    if totals:
        lines += [
            "",
            f"The Python side, from one `rank_incident` under cProfile ({res.profile_seconds:.2f} s there against "
            f"{_s(res.median)} without; each figure is inflated by the profiler, so compare them with each other):",
            "",
            "| product function | calls | cumulative under cProfile |",
            "|---|---:|---:|",
            *(
                f"| {label} | {totals[label][0]:,} | {totals[label][1]:.3f} s |"
                for label in BREAKDOWN
                if label in totals
            ),
            "",
        ]
    if res.diffs:
        lines += [
            f"Git alone on the same {len(run.chosen)} pairs (the adapter's diff flags; run by this benchmark, not the "
            "adapter):",
            "",
            "| variant | time | output |",
            "|---|---:|---:|",
            *(f"| {label} | {seconds:.3f} s | {size / 1e6:.2f} MB |" for label, seconds, size in res.diffs),
            "",
        ]

    def cost(fragment: str) -> float:
        return sum(seconds for label, (_, seconds) in totals.items() if fragment in label)

    recommendations = []
    if whole_ranges:
        recommendations.append(
            "Scope a deploy's change set to what the deploy ships when several services share a repository: the "
            "deployed service's `paths` (plus files no service owns), as a git pathspec on `diff-tree` and `log`. "
            "It is the correctness fix (the culprit's own change is no longer lost past the cap, other deploys no "
            "longer inherit the root's files) and it removes most of the git time."
        )
    if cost("`score_features`") > 0.1:
        recommendations.append(
            f"Score with plain numbers, and build `Feature` / `Candidate` models only for the {limit} candidates "
            f"listed: today every one of the {len(run.candidates):,} candidates gets 7 `Feature` models in "
            "`optimistic_score` and 7 more in `rank` (the largest Python cost in the table)."
        )
    if facts["commits_capped"] and cost("`Span.walk`") + cost("`LoggedCommit.model`") > 0.05:
        recommendations.append(
            "Narrow the commit lists like the files, to the commits that touch the deployed service's paths, and "
            "build `Commit` models for those only. It also makes the summary true: the culprit is listed with "
            f"{facts['commits']:,} commits for a one-commit deploy."
        )
    if span["days"] > 2 and span["commits"] > 4 * max(1, facts["total_commits"] / max(1, facts["fetched"])):
        recommendations.append(
            f"Keep the span short: one chosen deploy's `previous_sha` is {span['days']:.0f} days old, so the batch's "
            f"`git log` reads and indexes {span['commits']:,} commits. Answering such a pair on its own (as the "
            "adapter already does when a span is too long) would bound the shared log to the recent history."
        )
    if cost("`services_owning`") > 0.05:
        recommendations.append(
            "Build the ownership index once per ranking (per repository) and look paths up in it directly: "
            "`services_owning` is called once per file and each call makes its cache key from the ids of all "
            f"{SERVICES:,} services."
        )
    prefix = next((t for label, t, _ in res.diffs if "plain directory" in label), None)
    globbed = next((t for label, t, _ in res.diffs if ":(glob)" in label), None)
    if prefix is not None and globbed is not None and globbed - prefix > 0.05:
        recommendations.append(
            f"Pass directory globs (`dir/**`) to git as plain prefixes (`dir/`): {globbed:.2f} s against "
            f"{prefix:.2f} s for the same diff here; `:(glob)` magic is only needed for real wildcards."
        )
    lines += ["Recommendations (not done here: product code is not this benchmark's to change):", ""]
    lines += [f"{i}. {text}" for i, text in enumerate(recommendations, start=1)] or ["- None."]
    lines.append("")
    lines += ["### Earlier runs", "", *(f"- {line}" for line in EARLIER), ""]
    if res.profile_rows:
        lines += [
            f"<details><summary>cProfile of one `rank_incident` ({res.profile_seconds:.1f} s under the profiler), "
            "top functions by own time</summary>",
            "",
            "| function | calls | own time | cumulative |",
            "|---|---:|---:|---:|",
            *(
                f"| `{where}` | {calls} | {own:.3f} s | {cumulative:.3f} s |"
                for where, calls, own, cumulative in res.profile_rows
            ),
            "",
            "`select.epoll.poll` is the event loop waiting, mostly for git.",
            "",
            "</details>",
            "",
        ]
    return lines


def update_doc(generated: str) -> None:
    """Replace what is between this benchmark's markers in docs/performance.md; append them if missing."""
    block = f"{BEGIN}\n{generated}{END}"
    if not DOC.is_file():
        DOC.write_text(f"# Performance\n\n{block}\n", encoding="utf-8")
        return
    text = DOC.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if 0 <= start < end:
        DOC.write_text(text[:start] + block + text[end + len(END) :], encoding="utf-8")
    else:
        DOC.write_text(text.rstrip("\n") + "\n\n" + block + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed rankings after one warm-up")
    parser.add_argument(
        "--all-chunk", type=int, default=500, help="candidates per fetch_changes call when fetching all"
    )
    parser.add_argument("--skip-all", action="store_true", help="skip fetching every candidate's change set")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the repository even if cached")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rss-probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/performance.md")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.all_chunk < 1:
        parser.error("--repeat and --all-chunk must be at least 1")
    return args


def rss_probe() -> dict[str, float]:
    """Peak RSS of a process that loads the config and ranks twice (a warm-up, then one on a fresh runtime)."""
    root, stats, _ = prepare_data(False)
    config = load_config(root / "firstfifteen.yaml")
    baseline = vm_rss_mb()
    for _ in range(2):
        asyncio.run(one_ranking(config, stats))
    return {"baseline": baseline, "peak": peak_rss_mb(), "git_peak": peak_rss_mb(resource.RUSAGE_CHILDREN)}


def measure(config: Config, stats: DataStats, args: argparse.Namespace) -> Results:
    print("peak memory, in a process of its own ...", flush=True)
    probe = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--rss-probe"], capture_output=True, text=True, check=True
    )
    memory = json.loads(probe.stdout.strip().splitlines()[-1])
    print("warm-up ranking ...", flush=True)
    asyncio.run(one_ranking(config, stats))
    runs = []
    for number in range(1, args.repeat + 1):
        run = asyncio.run(one_ranking(config, stats))
        runs.append(run)
        print(
            f"  run {number}: {run.seconds:.3f} s, {run.fetched} change sets, {len(run.git.calls)} git processes, "
            f"culprit rank {run.rank_of(stats.culprit)}",
            flush=True,
        )

    async def twice() -> Run:
        async with open_runtime(config) as runtime:
            await one_ranking(config, stats, runtime)
            return await one_ranking(config, stats, runtime)

    warm = asyncio.run(twice())
    print(f"  same runtime again: {warm.seconds:.3f} s", flush=True)
    traced, traced_seconds = asyncio.run(traced_peak_mb(config, stats))
    print(f"  tracemalloc peak {traced:,.0f} MB", flush=True)
    profile_seconds, rows, totals = profiled(config, stats, 15)
    diffs = asyncio.run(diff_variants(DATA_DIR / f"{CACHE_PREFIX}{stats.key}" / "mono", runs[-1], config))
    everything = None
    if not args.skip_all:
        print(f"fetching the change sets of all candidates, {args.all_chunk} per call ...", flush=True)
        everything = asyncio.run(fetch_all(config, stats, args.all_chunk))
    return Results(
        runs,
        memory["baseline"],
        memory["peak"],
        memory["git_peak"],
        traced,
        traced_seconds,
        warm,
        profile_seconds,
        rows,
        totals,
        diffs,
        everything,
    )


def main(argv: Sequence[str] | None = None) -> int:
    started = time.monotonic()
    args = parse_args(argv)
    if args.build_only:
        prepare_data(args.rebuild)
        return 0
    if args.rss_probe:
        print(json.dumps(rss_probe()))
        return 0
    measured, fingerprint = code_state(), code_fingerprint()  # the product code this process imports
    command = COMMAND + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    key = data_key()
    built = args.rebuild or not (DATA_DIR / f"{CACHE_PREFIX}{key}" / "data.json").is_file()
    if built:  # in a child process, so the build's memory does not count in this process's peak RSS
        flags = ["--build-only"] + (["--rebuild"] if args.rebuild else [])
        subprocess.run([sys.executable, __file__, *flags], check=True)  # noqa: S603
    root, stats, _ = prepare_data(False)
    print(
        f"data {stats.key}: {stats.commits:,} commits, {stats.deploys:,} deploys "
        f"({'built now' if built else 'cached'})",
        flush=True,
    )
    config = load_config(root / "firstfifteen.yaml")
    results = measure(config, stats, args)
    total = time.monotonic() - started
    if code_fingerprint() != fingerprint:
        measured += " (product files changed during the run: figures may mix versions)"
    generated = results_markdown(results, stats, config, args, command, built, total, measured)
    print()
    print(generated)
    if not args.no_doc:
        update_doc(generated)
        print(f"wrote {DOC.relative_to(REPO)}")
    return 0 if results.last.rank_of(stats.culprit) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
