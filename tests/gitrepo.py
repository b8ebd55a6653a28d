"""Build real git repositories for tests and benchmarks: no mocks, deterministic SHAs.

Commits are written with ``git fast-import`` (one process for any number of commits, so a
20,000-commit history takes a second or two), with fixed authors and dates, so the same specs give
the same SHAs on every machine. A commit spec is a dict::

    {
        "message": "Add submit",                 # required
        "write": {"src/app.py": "print(1)\\n"},   # create or overwrite (str or bytes)
        "delete": ["old.txt"],
        "rename": {"a.py": "b.py"},               # applied before "write", so a file can move and change
        "author": "Alice <alice@example.com>",    # default: Test Author <author@example.com>
        "at": "2026-03-14T02:00:00Z",             # default: EPOCH + one minute per commit
        "merge": ["<sha>"],                       # extra parents: a merge commit
    }

``build_repo`` starts a repository, ``append_commits`` continues a branch, ``rewrite_history``
moves a branch onto an older commit with new commits (what a force push leaves behind) and
``forget_unreachable`` expires the reflog and prunes, so the dropped commits are really gone;
``create_branch`` starts another branch, for merges.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EPOCH = datetime(2026, 3, 1, tzinfo=UTC)
DEFAULT_AUTHOR = "Test Author <author@example.com>"
# No user or system config: a developer's hooks, signing or default branch must not change a test.
_ENV = {**os.environ, "LC_ALL": "C", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
for _name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"):
    _ENV.pop(_name, None)


def git(path: str | Path, *args: str, stdin: bytes | None = None) -> str:
    """Run git in ``path`` (no user or system config) and return its stdout; raise on failure."""
    result = subprocess.run(["git", "-C", str(path), *args], input=stdin, capture_output=True, env=_ENV, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout.decode(errors="replace")


def init_repo(path: str | Path, branch: str = "main") -> Path:
    """An empty repository on ``branch`` with a local user name and email."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "--quiet", "-b", branch)
    git(path, "config", "user.name", "Test Author")
    git(path, "config", "user.email", "author@example.com")
    git(path, "config", "commit.gpgsign", "false")
    return path


def build_repo(path: str | Path, commits: Sequence[dict[str, Any]], branch: str = "main") -> list[str]:
    """Create a repository at ``path`` with ``commits`` on ``branch``; return their SHAs, oldest first."""
    init_repo(path, branch)
    return _import(Path(path), commits, branch, parent=None, first_index=0) if commits else []


def append_commits(path: str | Path, commits: Sequence[dict[str, Any]], branch: str = "main") -> list[str]:
    """Add ``commits`` on top of ``branch``; return their SHAs, oldest first."""
    tip = git(path, "rev-parse", f"refs/heads/{branch}").strip()
    return _import(Path(path), commits, branch, parent=tip, first_index=_count(path, tip))


def rewrite_history(path: str | Path, onto: str, commits: Sequence[dict[str, Any]], branch: str = "main") -> list[str]:
    """Point ``branch`` at ``onto`` plus new ``commits``, as after ``git reset --hard onto`` and a force push.

    The commits that were after ``onto`` are no longer on the branch (they stay in the object store
    until :func:`forget_unreachable`). Returns the new SHAs, oldest first.
    """
    onto_sha = git(path, "rev-parse", f"{onto}^{{commit}}").strip()
    # Dates continue after the old tip's, so the new commits never share a SHA with the dropped ones.
    old_tip = git(path, "rev-parse", f"refs/heads/{branch}").strip()
    return _import(Path(path), commits, branch, parent=onto_sha, first_index=_count(path, old_tip), force=True)


def create_branch(path: str | Path, name: str, at: str) -> None:
    """A new branch ``name`` at commit ``at`` (the work tree stays on its branch)."""
    git(path, "branch", name, at)


def forget_unreachable(path: str | Path) -> None:
    """Expire the reflog and prune: commits no branch or tag reaches are removed from the clone."""
    git(path, "reflog", "expire", "--expire=now", "--expire-unreachable=now", "--all")
    git(path, "gc", "--quiet", "--prune=now")


def clone(source: str | Path, destination: str | Path) -> Path:
    """A plain local clone of ``source`` (its own object store, ``origin`` pointing at ``source``)."""
    subprocess.run(
        ["git", "clone", "--quiet", "--no-local", str(source), str(destination)],
        capture_output=True,
        env=_ENV,
        check=True,
    )
    return Path(destination)


def linear_history(count: int, files: int = 50) -> list[dict[str, Any]]:
    """``count`` commit specs touching one of ``files`` source files each: a long history, cheaply."""
    return [{"message": f"change {i}", "write": {f"src/module_{i % files}.py": f"VALUE = {i}\n"}} for i in range(count)]


def _count(path: str | Path, rev: str) -> int:
    return int(git(path, "rev-list", "--count", rev).strip())


def _import(
    path: Path,
    commits: Sequence[dict[str, Any]],
    branch: str,
    *,
    parent: str | None,
    first_index: int,
    force: bool = False,
) -> list[str]:
    marks = path / ".git" / "test-marks"
    stream = b"".join(
        _commit_stream(spec, branch, mark, parent if mark == 1 else None, first_index + mark - 1)
        for mark, spec in enumerate(commits, start=1)
    )
    flags = ["--quiet", "--done", f"--export-marks={marks}"] + (["--force"] if force else [])
    git(path, "fast-import", *flags, stdin=stream + b"done\n")
    by_mark = dict(line.split(" ", 1) for line in marks.read_text().splitlines())
    marks.unlink()
    checked_out = git(path, "symbolic-ref", "--quiet", "HEAD").strip() == f"refs/heads/{branch}"
    if checked_out and git(path, "rev-parse", "--is-bare-repository").strip() == "false":
        git(path, "reset", "--hard", "--quiet", f"refs/heads/{branch}")  # keep the work tree in step
    return [by_mark[f":{mark}"].strip() for mark in range(1, len(commits) + 1)]


def _commit_stream(spec: dict[str, Any], branch: str, mark: int, parent: str | None, index: int) -> bytes:
    at = spec.get("at") or EPOCH + timedelta(minutes=index)
    when = at if isinstance(at, datetime) else datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    stamp = f"{int(when.timestamp())} +0000"
    author = spec.get("author", DEFAULT_AUTHOR)
    message = spec["message"].encode()
    parts = [
        f"commit refs/heads/{branch}\nmark :{mark}\n".encode(),
        f"author {author} {stamp}\ncommitter {author} {stamp}\n".encode(),
        b"data %d\n%s\n" % (len(message), message),
    ]
    if parent is not None:
        parts.append(f"from {parent}\n".encode())
    parts.extend(f"merge {sha}\n".encode() for sha in spec.get("merge", []))
    for old, new in spec.get("rename", {}).items():
        parts.append(f'R "{_quoted(old)}" "{_quoted(new)}"\n'.encode())
    for name in spec.get("delete", []):
        parts.append(f'D "{_quoted(name)}"\n'.encode())
    for name, content in spec.get("write", {}).items():
        data = content if isinstance(content, bytes) else str(content).encode()
        parts.append(f'M 100644 inline "{_quoted(name)}"\n'.encode() + b"data %d\n%s\n" % (len(data), data))
    return b"".join(parts)


def _quoted(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')
