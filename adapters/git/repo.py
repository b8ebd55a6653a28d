"""Changes from local git clones: the commits and files a deploy changed, answered by real git.

Every question runs ``git`` as a subprocess (never through a shell) in a configured clone, so
triage needs no network and no API token. Starting a process costs milliseconds, so the
``get_changes`` calls made at the same moment for one repository (``asyncio.gather`` over many
deploys) are answered together, by three git processes whatever their number: ``cat-file
--batch`` (resolves every commit, names the missing ones), then concurrently one ``log`` of the
history they span and one ``diff-tree --stdin`` (every pair's files); the graph walk is done in
Python (:mod:`adapters.git.history`), and pairs whose history was rewritten take one more
``diff-tree``. A lone call takes three: ``merge-base``, then ``log`` and ``diff`` concurrently.
Git processes are capped by a semaphore, and answers for two full SHAs are cached.

Commit names are checked against a strict pattern before git sees them, revisions on a command
line follow ``--end-of-options``, and batches pass them on stdin: a "SHA" such as
``--output=/tmp/x`` is refused, never obeyed.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from typing import ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from adapters.base import CODEOWNERS_PATHS, AdapterContext
from adapters.errors import AdapterError, NotFoundError, UnavailableError
from adapters.git import history as gh
from adapters.git.process import (
    FULL_SHA,
    LoopState,
    checked_revision,
    clone_path,
    existing_clone,
    fetch_clone,
    git_env,
    git_failed,
    lookup_problem,
    pathspec,
    run_git,
)
from adapters.models import ChangedFile, ChangeSet

_DIFF_FLAGS = ("-r", "-M", "--raw", "--numstat", "-z", "--no-color", "--no-ext-diff", "--no-textconv")
_CACHE_SIZE = 2048


SPAN_LIMIT = 200_000
_BATCH_REACH_S = 2 * 86400  # pairs whose base is older than this before the newest head go alone
"""A batch whose history spans more commits than this is answered pair by pair instead."""


class GitRepoConfig(BaseModel):
    """Settings of the local-clone change source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    repos: dict[str, str] = Field(min_length=1, description="Repo name (as services and deploys name it) -> clone path")
    fetch: bool = Field(default=False, description="git fetch when a commit is missing or a ref is asked for")
    timeout_s: float = Field(default=10.0, gt=0, le=300, description="Per git command, in seconds")
    max_commits: int = Field(default=500, ge=1, le=100_000)
    max_files: int = Field(default=1000, ge=1, le=100_000)
    max_concurrency: int = Field(default=8, ge=1, le=64, description="Git processes running at once")

    @field_validator("repos")
    @classmethod
    def _non_empty(cls, value: dict[str, str]) -> dict[str, str]:
        for name, path in value.items():
            if not name.strip() or not path.strip():
                raise ValueError("repo names and clone paths must not be empty")
        return value


class GitRepoAdapter:
    """Answers ``get_changes`` from local git clones."""

    config_model: ClassVar[type[GitRepoConfig]] = GitRepoConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"changes"})

    def __init__(self, name: str, config: GitRepoConfig, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Resolve each clone path against the config's directory; nothing is read until a call."""
        self.name = name
        self.config = config
        self.clones = {repo: clone_path(context.base_dir, path) for repo, path in config.repos.items()}
        self._envs = {repo: git_env(path) for repo, path in self.clones.items()}
        self._cache: OrderedDict[tuple[str, str, str, tuple[str, ...]], ChangeSet] = OrderedDict()
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopState] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"GitRepoAdapter(name={self.name!r}, repos={sorted(self.clones)!r})"

    def knows(self, repo: str) -> bool:
        """Whether ``repo`` is one of the configured clones."""
        return repo in self.clones

    async def check(self) -> str:
        """Every clone exists and is a git repository; answer each one's HEAD commit."""
        results = await asyncio.gather(*(self._head(repo) for repo in self.clones), return_exceptions=True)
        heads = [r for r in results if isinstance(r, str)]
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            first = errors[0]
            if len(errors) == 1 or not isinstance(first, AdapterError):
                raise first
            raise type(first)("; ".join(str(getattr(e, "message", e)) for e in errors), adapter=self.name)
        return "; ".join(f"{repo}: {self.clones[repo]} at {sha[:12]}" for repo, sha in zip(self.clones, heads))

    async def _head(self, repo: str) -> str:
        existing_clone(repo, self.clones[repo], self.name)
        out = await self._git(repo, ["rev-parse", "--verify", "--end-of-options", "HEAD^{commit}"])
        return out.decode().strip()

    async def codeowners(self, repo: str) -> str | None:
        """The clone's CODEOWNERS at HEAD, from the first place GitHub looks that has one, or None."""
        if repo not in self.clones:
            return None
        existing_clone(repo, self.clones[repo], self.name)
        for path in CODEOWNERS_PATHS:
            code, out, _ = await self._run(repo, ["show", f"HEAD:{path}"])
            if code == 0:
                return out.decode(errors="replace")
        return None

    async def get_changes(self, repo: str, base: str, head: str, paths: tuple[str, ...] = ()) -> ChangeSet:
        """Commits (newest first) and files between ``base`` and ``head`` in the clone of ``repo``.

        ``paths`` (globs) narrow the diff to where the deployed service lives: in a monorepo a
        deploy's range also holds every other service's commits, and diffing them all is the slow
        part. Files outside ``paths`` may still appear (calls batched together share one diff).

        When ``base`` is not an ancestor of ``head`` the change set says so in ``note``: a rollback
        (``head`` is an ancestor of ``base``) lists the commits taken out, a rewritten history
        (force push) is measured from the merge base. Concurrent calls are answered in one batch.
        """
        if repo not in self.clones:
            raise NotFoundError(
                f"repo {repo!r} is not configured",
                adapter=self.name,
                hint=f"Configured repos: {', '.join(sorted(self.clones))}.",
            )
        base, head = checked_revision(base, "base", self.name), checked_revision(head, "head", self.name)
        key = (repo, base, head, tuple(sorted(set(paths))))
        cacheable = bool(FULL_SHA.fullmatch(base) and FULL_SHA.fullmatch(head))  # a ref can move
        if cacheable and key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        state = self._state()
        future = state.inflight.get(key)
        if future is None:  # callers asking for the same pair at once share one answer
            future = state.inflight[key] = self._enqueue(state, repo, base, head, key[3])
            future.add_done_callback(lambda done: self._settle(key, done, state, cacheable))
        return await asyncio.shield(future)

    def _settle(
        self,
        key: tuple[str, str, str, tuple[str, ...]],
        future: asyncio.Future[ChangeSet],
        state: LoopState,
        cacheable: bool,
    ) -> None:
        state.inflight.pop(key, None)
        if future.cancelled() or future.exception() is not None:  # exception() also marks it retrieved
            return
        if cacheable:
            self._cache[key] = future.result()
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)

    def _enqueue(
        self, state: LoopState, repo: str, base: str, head: str, paths: tuple[str, ...]
    ) -> asyncio.Future[ChangeSet]:
        """Queue one pair; the calls of this loop iteration are answered together right after it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ChangeSet] = loop.create_future()
        queue = state.pending.setdefault(repo, [])
        if not queue:
            loop.call_soon(self._flush, state, repo)
        queue.append((base, head, paths, future))
        return future

    def _flush(self, state: LoopState, repo: str) -> None:
        items = state.pending.pop(repo, [])
        task = asyncio.ensure_future(self._answer(repo, items))
        state.running.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(state.running.discard)

    async def _answer(
        self, repo: str, items: list[tuple[str, str, tuple[str, ...], asyncio.Future[ChangeSet]]]
    ) -> None:
        pairs = [(base, head) for base, head, _, _ in items]
        # One diff for the batch: narrowed to the union of every caller's paths, unless one wants all.
        scope = (
            () if any(not paths for _, _, paths, _ in items) else tuple(sorted({p for *_, ps, _ in items for p in ps}))
        )
        results: list[ChangeSet | AdapterError]
        try:
            existing_clone(repo, self.clones[repo], self.name)
            results = (
                [await self._single(repo, *pairs[0], scope)]
                if len(pairs) == 1
                else await self._batch(repo, pairs, scope)
            )
        except AdapterError as exc:
            results = [exc] * len(pairs)
        except Exception as exc:  # noqa: BLE001 - a waiting caller must never hang on a bug
            failure = UnavailableError(f"git change source failed: {exc!r}", adapter=self.name)
            failure.__cause__ = exc
            results = [failure] * len(pairs)
        for (_, _, _, future), result in zip(items, results):
            if future.done():
                continue  # every caller of this pair gave up
            if isinstance(result, ChangeSet):
                future.set_result(result)
            else:
                future.set_exception(result)

    async def _batch(
        self, repo: str, pairs: list[tuple[str, str]], scope: tuple[str, ...] = ()
    ) -> list[ChangeSet | AdapterError]:
        """Many pairs of one repository with three git processes, or pair by pair if their span does not fit."""
        found = await self._lookup(repo, list(dict.fromkeys(name for pair in pairs for name in pair)))
        results: list[ChangeSet | AdapterError | None] = [
            lookup_problem(repo, self.clones[repo], b, h, found, self.name, self.config.fetch) for b, h in pairs
        ]
        todo = {i: (found[b][0], found[h][0]) for i, (b, h) in enumerate(pairs) if results[i] is None}
        times = {sha: when for sha, _, when in found.values()}
        # A pair reaching far back (a service that had not shipped for weeks) would make the shared
        # history span everything; it is answered on its own, where `git log -n` stops early.
        newest = max((times.get(h, 0) for _, h in todo.values()), default=0)
        near = {i: p for i, p in todo.items() if newest - times.get(p[0], newest) <= _BATCH_REACH_S}
        far = [i for i in todo if i not in near]
        batched, alone = await asyncio.gather(
            self._span_answers(repo, list(near.values()), times, scope),
            asyncio.gather(*(self._single(repo, *todo[i], scope) for i in far), return_exceptions=True),
        )
        for i, answer in (dict(zip(near, batched)) | dict(zip(far, alone))).items():
            if not isinstance(answer, ChangeSet | AdapterError):
                raise answer if isinstance(answer, BaseException) else TypeError(answer)
            results[i] = answer
        return [r for r in results if r is not None]

    async def _span_answers(
        self, repo: str, pairs: list[tuple[str, str]], times: dict[str, int], scope: tuple[str, ...]
    ) -> list[object]:
        """The pairs answered from one shared history, or pair by pair if that history does not fit."""
        if not pairs:
            return []
        tips = {sha for pair in pairs for sha in pair}
        # Fast-forwards and rollbacks, nearly every pair, diff base -> head: diff while the span loads.
        span, diffs = await asyncio.gather(
            self._span(repo, tips, times), self._diff_tree(repo, [p for p in pairs if p[0] != p[1]], scope)
        )
        if span is not None:
            return list(await self._from_span(repo, span, pairs, diffs, scope))
        # History too long, or not exact (clock skew, unrelated histories): one pair at a time.
        return list(await asyncio.gather(*(self._single(repo, *pair, scope) for pair in pairs), return_exceptions=True))

    async def _span(self, repo: str, tips: set[str], times: dict[str, int]) -> gh.Span | None:
        """The history every pair lies in, from the oldest asked commit (by commit time) up; None if unusable."""
        floor = min(tips, key=lambda sha: (times.get(sha, 0), sha))
        stdin = "".join(f"{tip}\n" for tip in sorted(tips)) + f"^{floor}\n"
        out = await self._git(
            repo, ["log", "--no-color", gh.LOG_FORMAT, f"-n{SPAN_LIMIT + 1}", "--stdin"], stdin=stdin.encode()
        )
        commits = gh.parse_log(out.decode(errors="replace"))
        if len(commits) > SPAN_LIMIT:
            return None
        span = gh.Span(commits, floor)
        return span if span.covers(tips) else None

    async def _diff_tree(
        self, repo: str, pairs: list[tuple[str, str]], scope: tuple[str, ...] = ()
    ) -> dict[tuple[str, str], list[ChangedFile]]:
        """Files of every ``(from, to)`` pair with one ``git diff-tree --stdin``, within ``scope`` if given."""
        pairs = list(dict.fromkeys(pairs))
        if not pairs:
            return {}
        # diff-tree reads "<commit> <parent>" and diffs parent -> commit.
        stdin = "".join(f"{to} {since}\n" for since, to in pairs).encode()
        out = await self._git(repo, ["diff-tree", "--stdin", "--always", *_DIFF_FLAGS, *pathspec(scope)], stdin=stdin)
        blocks = gh.split_diff_tree(out.decode(errors="replace"))
        if len(blocks) != len(pairs):
            raise UnavailableError(
                f"git diff-tree gave {len(blocks)} diffs for {len(pairs)} pairs",
                adapter=self.name,
                request=f"{repo}: git diff-tree --stdin",
            )
        return dict(zip(pairs, blocks))

    async def _from_span(
        self,
        repo: str,
        span: gh.Span,
        pairs: list[tuple[str, str]],
        diffs: dict[tuple[str, str], list[ChangedFile]],
        scope: tuple[str, ...] = (),
    ) -> list[ChangeSet]:
        walks = [span.walk(base, head) for base, head in pairs]
        relations = [gh.relation(walk, base, head) for walk, (base, head) in zip(walks, pairs)]
        # A rewritten history is measured from the merge base: those few pairs need a second diff.
        since = [
            (walk.merge_base or base if rel == "rewritten" else base, head)
            for (base, head), walk, rel in zip(pairs, walks, relations)
        ]
        diffs.update(await self._diff_tree(repo, [p for p, rel in zip(since, relations) if rel == "rewritten"], scope))
        limit = self.config.max_commits + 1
        return [
            gh.change_set(
                repo,
                base,
                head,
                rel,
                walk.merge_base,
                [
                    span.commits[sha].model()
                    for sha in (walk.base_only if rel == "rollback" else walk.head_only)[:limit]
                ],
                diffs.get(pair, []),
                max_commits=self.config.max_commits,
                max_files=self.config.max_files,
            )
            for (base, head), walk, rel, pair in zip(pairs, walks, relations, since)
        ]

    async def _single(self, repo: str, base: str, head: str, scope: tuple[str, ...] = ()) -> ChangeSet:
        """One pair with three git processes: merge-base, then log and diff concurrently."""
        base_sha, head_sha, merge_base = await self._relate(repo, base, head)
        relation = gh.relation_of(base_sha, head_sha, merge_base)
        limits = {"max_commits": self.config.max_commits, "max_files": self.config.max_files}
        if relation == "same":
            return gh.change_set(repo, base_sha, head_sha, relation, merge_base, [], [], **limits)
        log_range = f"{head_sha}..{base_sha}" if relation == "rollback" else f"{base_sha}..{head_sha}"
        diff_from = merge_base if relation == "rewritten" and merge_base else base_sha
        log, diff = await asyncio.gather(
            self._git(
                repo,
                [
                    "log",
                    "--no-color",
                    gh.LOG_FORMAT,
                    f"-n{self.config.max_commits + 1}",
                    "--end-of-options",
                    log_range,
                    "--",
                ],
            ),
            self._git(
                repo, ["diff", *_DIFF_FLAGS, "--end-of-options", diff_from, head_sha, *(pathspec(scope) or ["--"])]
            ),
        )
        commits = [c.model() for c in gh.parse_log(log.decode(errors="replace"))]
        files = gh.parse_diff(diff.decode(errors="replace"))
        return gh.change_set(repo, base_sha, head_sha, relation, merge_base, commits, files, **limits)

    async def _relate(self, repo: str, base: str, head: str) -> tuple[str, str, str | None]:
        """Full SHAs of both commits and their merge base (None: no common history)."""
        if FULL_SHA.fullmatch(base) and FULL_SHA.fullmatch(head):
            # The common case, deploys name full SHAs: merge-base alone proves both exist.
            code, out, err = await self._run(repo, ["merge-base", "--end-of-options", base, head])
            if code == 0 or (code == 1 and not out.strip() and not err.strip()):
                return base, head, out.decode().strip() or None  # exit 1, silent: no common history
        found = await self._lookup(repo, [base, head])
        problem = lookup_problem(repo, self.clones[repo], base, head, found, self.name, self.config.fetch)
        if problem is not None:
            raise problem
        base_sha, head_sha = found[base][0], found[head][0]
        args = ["merge-base", "--end-of-options", base_sha, head_sha]
        code, out, err = await self._run(repo, args)
        if code not in (0, 1) or (code == 1 and err.strip()):
            raise git_failed(repo, self.clones[repo], args, err, self.name)
        return base_sha, head_sha, out.decode().strip() or None

    async def _lookup(self, repo: str, names: list[str]) -> dict[str, tuple[str, str, int]]:
        """Every name resolved by one ``cat-file --batch``: name -> (full SHA, status, commit time)."""

        async def once() -> dict[str, tuple[str, str, int]]:
            stdin = "".join(f"{name}^{{commit}}\n" for name in names).encode()
            answers = gh.parse_cat_file(await self._git(repo, ["cat-file", "--batch"], stdin=stdin))
            return dict(zip(names, answers))

        found = await once()
        missing = any(status != "commit" for _, status, _ in found.values())
        if self.config.fetch and (missing or not all(FULL_SHA.fullmatch(n) for n in names)):
            # a commit pushed since the clone, or a branch that moved upstream
            await fetch_clone(self._state(), repo, self._git)
            found = await once()
        return found

    def _state(self) -> LoopState:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            state = self._states[loop] = LoopState(gate=asyncio.Semaphore(self.config.max_concurrency))
        return state

    async def _git(self, repo: str, args: list[str], stdin: bytes | None = None) -> bytes:
        code, out, err = await self._run(repo, args, stdin)
        if code != 0:
            raise git_failed(repo, self.clones[repo], args, err, self.name)
        return out

    async def _run(self, repo: str, args: list[str], stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
        """Run one git command in the clone of ``repo``: (exit code, stdout, stderr)."""
        return await run_git(
            repo, self.clones[repo], args, stdin, self._envs[repo], self._state().gate, self.config.timeout_s, self.name
        )
