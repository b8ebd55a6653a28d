"""Running git for :mod:`adapters.git.repo`: the subprocess, its environment, and what a revision may be.

Git runs as a subprocess (never through a shell) in the configured clone, with an environment that
cannot point it at another repository and a timeout after which it is killed. Commit names are
checked against a strict pattern before git sees them, so a "SHA" such as ``--output=/tmp/x`` is
refused, never obeyed; one that is ambiguous or missing in the clone, like a failed command,
becomes the error that says what to fix. A fetch runs at most once per repository at a time and
per minute.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.errors import AdapterError, BackendTimeoutError, ConfigError, NotFoundError, QueryError, UnavailableError
from adapters.models import ChangeSet

FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# A SHA, a short SHA, a branch or a tag, optionally followed by ~N / ^N. Never starts with "-",
# never holds "..", "@{", ":" or whitespace: nothing git could read as an option or a range.
_REVISION = re.compile(r"(?!.*\.\.)(?!.*//)[A-Za-z0-9_][A-Za-z0-9._/+-]{0,199}(?:[~^][0-9]{0,4}){0,8}")
# Variables that would point git at another repository than the configured clone.
_REDIRECTING_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_COMMON_DIR",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
)
_FETCH_REUSE_S = 60.0
_FETCH_HINT = (
    "Run `git -C {} fetch` (or set fetch: true) if the commit is recent; if a force push dropped "
    "it, the deploy's SHA no longer exists upstream either."
)
_FETCHED_HINT = (
    "A fetch ran and the commit is still missing: it was never pushed, or a force push dropped it "
    "from the branch. Check the deploy's SHA."
)


@dataclass
class LoopState:
    """Asyncio objects belong to one event loop; the adapter keeps one set per loop it runs on."""

    gate: asyncio.Semaphore
    inflight: dict[tuple[str, str, str, tuple[str, ...]], asyncio.Future[ChangeSet]] = field(default_factory=dict)
    pending: dict[str, list[tuple[str, str, tuple[str, ...], asyncio.Future[ChangeSet]]]] = field(default_factory=dict)
    running: set[asyncio.Task[None]] = field(default_factory=set)
    fetches: dict[str, asyncio.Task[bytes]] = field(default_factory=dict)
    fetched_at: dict[str, float] = field(default_factory=dict)


async def run_git(
    repo: str,
    clone: Path,
    args: list[str],
    stdin: bytes | None,
    env: dict[str, str],
    gate: asyncio.Semaphore,
    timeout_s: float,
    adapter: str,
) -> tuple[int, bytes, bytes]:
    """Run one git command in ``clone`` (the clone of ``repo``) once ``gate`` allows: (exit code, stdout, stderr)."""
    command = ["git", "-c", "log.showSignature=false", "-C", str(clone), *args]
    async with gate:
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
            )
        except OSError as exc:
            raise ConfigError(
                f"cannot run git: {exc}", adapter=adapter, hint="Install git and make sure it is on PATH."
            ) from exc
        try:
            out, err = await asyncio.wait_for(process.communicate(stdin), timeout_s)
        except BaseException as exc:  # timeout or cancellation: never leave git running
            if process.returncode is None:
                process.kill()
                await asyncio.shield(process.wait())
            if isinstance(exc, TimeoutError):
                raise BackendTimeoutError(
                    f"git {args[0]} took longer than {timeout_s}s",
                    adapter=adapter,
                    request=_describe(repo, args),
                ) from None
            raise
    return process.returncode or 0, out, err


def git_failed(repo: str, path: Path, args: list[str], stderr: bytes, adapter: str) -> AdapterError:
    said = stderr.decode(errors="replace").strip()[:500]
    request = _describe(repo, args)
    if "not a git repository" in said:
        return ConfigError(
            f"{path} is not a git repository",
            adapter=adapter,
            request=request,
            upstream=said,
            hint=f"Point repos.{repo} at the top of a clone (the directory holding .git).",
        )
    if "dubious ownership" in said:
        return ConfigError(
            f"git refuses {path}: owned by another user",
            adapter=adapter,
            request=request,
            upstream=said,
            hint=f"git config --global --add safe.directory {path}",
        )
    return UnavailableError(f"git {args[0]} failed in {path}", adapter=adapter, request=request, upstream=said)


def _describe(repo: str, args: list[str]) -> str:
    return f"{repo}: git {' '.join(a for a in args if a != '--end-of-options')}"[:300]


async def fetch_clone(state: LoopState, repo: str, git: Callable[..., Coroutine[Any, Any, bytes]]) -> None:
    """At most one fetch per repo at a time and per minute; a failed fetch is not fatal."""
    loop = asyncio.get_running_loop()
    task = state.fetches.get(repo)
    if task is None:
        if loop.time() - state.fetched_at.get(repo, -_FETCH_REUSE_S) < _FETCH_REUSE_S:
            return
        task = state.fetches[repo] = asyncio.ensure_future(git(repo, ["fetch", "--quiet"]))

        def done(_: asyncio.Task[bytes]) -> None:
            state.fetches.pop(repo, None)
            state.fetched_at[repo] = loop.time()

        task.add_done_callback(done)
    try:
        await asyncio.shield(task)
    except AdapterError:
        pass  # offline or slow remote: answer from what the clone has; the hint says a fetch ran


def clone_path(base_dir: Path, path: str) -> Path:
    candidate = Path(path).expanduser()
    return (candidate if candidate.is_absolute() else base_dir / candidate).resolve()


def existing_clone(repo: str, path: Path, adapter: str) -> Path:
    if not path.is_dir():
        raise ConfigError(
            f"clone of {repo} not found: {path} does not exist",
            adapter=adapter,
            hint=f"Clone it there (git clone <url> {path}) or fix repos.{repo} "
            f"(relative paths start at the config file's directory).",
        )
    return path


def git_env(clone: Path) -> dict[str, str]:
    """The environment for git in ``clone``: English messages, no prompts, no walking up to a parent repo."""
    env = {k: v for k, v in os.environ.items() if k not in _REDIRECTING_ENV}
    # Without a ceiling, a plain directory inside some other repository would answer as that repository.
    env.update(
        LC_ALL="C",
        LANGUAGE="C",
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        GIT_CEILING_DIRECTORIES=str(clone.parent),
    )
    return env


def checked_revision(value: str, which: str, adapter: str) -> str:
    value = value.strip()
    if not _REVISION.fullmatch(value) or "@{" in value:
        raise QueryError(
            f"{which} {value[:80]!r} is not a commit SHA or a plain branch/tag name",
            adapter=adapter,
            hint="Give a hex SHA (or a branch or tag name); options and ranges are refused.",
        )
    return value


def lookup_problem(
    repo: str, clone: Path, base: str, head: str, found: dict[str, tuple[str, str, int]], adapter: str, fetch: bool
) -> AdapterError | None:
    """The error for ``base`` or ``head`` when ``cat-file`` found it ambiguous or missing in ``clone``, else None."""
    for which, asked in (("base", base), ("head", head)):
        status = found[asked][1]
        if status == "ambiguous":
            return QueryError(
                f"{which} {asked!r} is an ambiguous short SHA in {clone}",
                adapter=adapter,
                hint="Give more digits of the SHA, or the full SHA.",
            )
        if status != "commit":
            return NotFoundError(
                f"{which} commit {asked!r} is not in the clone {clone} of {repo}",
                adapter=adapter,
                request=f"get_changes {repo} {base}..{head}",
                hint=_FETCHED_HINT if fetch else _FETCH_HINT.format(clone),
            )
    return None


def pathspec(scope: tuple[str, ...]) -> list[str]:
    """``-- a/ :(glob)b/*.py ...`` for a non-empty scope: ``dir/**`` as a plain directory prefix (git
    prunes those trees fastest, about twice as fast as glob magic), other globs with glob magic so
    ``**`` means any depth, as in the config."""
    if not scope:
        return []
    specs = []
    for path in scope:
        prefix = path[: -len("**")] if path.endswith("/**") else None
        plain = prefix is not None and not any(ch in prefix for ch in "*?[")
        specs.append(f":(literal){prefix}" if plain else f":(glob){path}")
    return ["--", *specs]
