"""What git prints, read back; and the commit-graph walk that answers many change sets at once.

Pure functions, no processes: :mod:`adapters.git.repo` runs git and hands the output here.

Many change sets of one repository are answered from one ``git log`` of the history they span
(the "span"): every commit reachable from any of their commits but not from the oldest of them,
``floor``. When ``floor`` is an ancestor of every commit asked about (checked on the span itself),
anything outside the span is an ancestor of all of them, so each pair's commits are found by
painting the span in topological order, as ``git merge-base`` does, at a cost proportional to the
pair's own range. One ``git diff-tree --stdin`` then gives every pair's files.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Literal

from adapters.changes import classify
from adapters.models import ChangedFile, ChangeKind, ChangeSet, Commit

Relation = Literal["same", "ahead", "rollback", "rewritten", "unrelated"]
LOG_FORMAT = "--format=%H%x1f%P%x1f%an%x1f%aI%x1f%s"
_KINDS: dict[str, ChangeKind] = {
    "A": "added",
    "C": "added",
    "M": "modified",
    "T": "modified",
    "D": "deleted",
    "R": "renamed",
}
_HEAD, _BASE, _BOTH = 1, 2, 3
# classify() tries dozens of globs per path; the same paths recur across the change sets of a batch.
_classify = lru_cache(maxsize=65_536)(classify)


@dataclass(frozen=True)
class LoggedCommit:
    """One line of ``git log`` in :data:`LOG_FORMAT`."""

    sha: str
    parents: tuple[str, ...]
    author: str
    date: str
    subject: str

    def model(self) -> Commit:
        """As the project's Commit model."""
        # A stdlib datetime validates several times faster than the ISO string would.
        when = datetime.fromisoformat(self.date) if self.date else None
        return Commit(sha=self.sha, author=self.author, message=self.subject, committed_at=when)


def parse_log(text: str) -> list[LoggedCommit]:
    """Commits of ``git log`` output in :data:`LOG_FORMAT`, in git's order."""
    commits = []
    for line in text.splitlines():
        sha, parents, author, date, subject = (line.split("\x1f", 4) + ["", "", "", ""])[:5]
        commits.append(LoggedCommit(sha, tuple(parents.split()), author, date, subject))
    return commits


def parse_cat_file(data: bytes) -> list[tuple[str, str, int]]:
    """``git cat-file --batch`` answers, one per asked name: (full SHA or the name, status, commit time).

    Status is ``commit`` when found, else git's word (``missing``, ``ambiguous``).
    """
    answers = []
    position = 0
    while position < len(data):
        end = data.index(b"\n", position)
        header = data[position:end].decode(errors="replace").split()
        position = end + 1
        if len(header) == 3 and header[2].isdigit():
            size = int(header[2])
            body = data[position : position + size]
            position += size + 1  # the object, then a newline
            answers.append((header[0], header[1], _commit_time(body)))
        else:
            answers.append((header[0] if header else "", header[-1] if len(header) > 1 else "missing", 0))
    return answers


def _commit_time(body: bytes) -> int:
    for line in body.split(b"\n\n", 1)[0].split(b"\n"):
        if line.startswith(b"committer "):
            parts = line.split()
            return int(parts[-2]) if len(parts) >= 2 and parts[-2].isdigit() else 0
    return 0


def parse_diff(text: str) -> list[ChangedFile]:
    """Files from ``git diff --raw --numstat -z`` (one diff): raw records carry the kind, numstat the counts."""
    return _files(text.split("\0"))


def split_diff_tree(text: str) -> list[list[ChangedFile]]:
    """Files of each diff of ``git diff-tree --stdin --always --raw --numstat -z``, in input order.

    Each diff starts with a header token, the commit id git echoes: the only token that is neither
    a raw record (``:...``), a numstat record (tabs) nor a path consumed by one of them.
    """
    blocks: list[list[str]] = []
    tokens = text.split("\0")
    i = 0
    while i < len(tokens):
        token = tokens[i]
        width = _record_width(token)
        if width == 0:
            if token:
                blocks.append([])
            i += 1
            continue
        if blocks:
            blocks[-1].extend(tokens[i : i + width])
        i += width
    return [_files(block) for block in blocks]


def _record_width(token: str) -> int:
    """How many tokens the record starting at ``token`` spans (0: not a record)."""
    if token.startswith(":"):
        return 3 if token.split()[-1][:1] in ("R", "C") else 2
    if token.count("\t") >= 2:
        return 3 if token.endswith("\t") else 1  # a rename's numstat: both paths follow
    return 0


def _files(tokens: list[str]) -> list[ChangedFile]:
    raw: list[tuple[str, str, str]] = []  # (status letter, path, previous path)
    counts: dict[str, tuple[int, int]] = {}
    i = 0
    while i < len(tokens):
        token, width = tokens[i], _record_width(tokens[i])
        if token.startswith(":"):
            status = token.split()[-1][:1]
            raw.append((status, tokens[i + 2], tokens[i + 1]) if width == 3 else (status, tokens[i + 1], ""))
        elif width:
            added, deleted, path = token.split("\t", 2)
            counts[path or tokens[i + 2]] = (_count(added), _count(deleted))
        i += max(width, 1)
    return [
        ChangedFile(
            path=path,
            change=_KINDS.get(status, "modified"),
            category=_classify(path),
            additions=counts.get(path, (0, 0))[0],
            deletions=counts.get(path, (0, 0))[1],
            previous_path=previous if status == "R" else "",
        )
        for status, path, previous in raw
    ]


def _count(value: str) -> int:
    return int(value) if value.isdigit() else 0  # "-" for binary files: git counts no lines


@dataclass
class PairWalk:
    """One pair's place in the span: commits only ``head`` has, only ``base`` has, their merge base."""

    head_only: list[str] = field(default_factory=list)
    base_only: list[str] = field(default_factory=list)
    merge_base: str | None = None


class Span:
    """The commits of one ``git log <tips> ^floor``, ready for many pair walks."""

    def __init__(self, commits: list[LoggedCommit], floor: str) -> None:
        """Index the span; ``floor`` is the oldest commit asked about, excluded from the log."""
        self.floor = floor
        self.commits = {c.sha: c for c in commits}
        self.log_order = {c.sha: i for i, c in enumerate(commits)}
        self.topo = _topological(self.commits)

    def covers(self, tips: set[str]) -> bool:
        """Whether ``floor`` is an ancestor of every tip, which makes every walk in the span exact.

        Commits outside the span are ancestors of ``floor``; they are common to any two tips only
        if ``floor`` is an ancestor of both. Clock skew or unrelated histories break this.
        """
        above: dict[str, bool] = {}
        for sha in sorted(self.commits, key=self.topo.__getitem__, reverse=True):  # oldest first
            above[sha] = any(p == self.floor or above.get(p, False) for p in self.commits[sha].parents)
        return all(t == self.floor or above.get(t, False) for t in tips)

    def walk(self, base: str, head: str) -> PairWalk:
        """Paint from both commits, newest first, until no commit reachable from only one is left."""
        result = PairWalk()
        flags: dict[str, int] = {}
        heap: list[tuple[int, str]] = []
        singles = 0

        def mark(sha: str, flag: int) -> None:
            nonlocal singles
            if sha not in self.commits:
                return  # below the span: an ancestor of the floor, so of both commits
            old = flags.get(sha, 0)
            new = old | flag
            if new == old:
                return
            flags[sha] = new
            if old == 0:
                heapq.heappush(heap, (self.topo[sha], sha))
            singles += (new != _BOTH) - (old in (_HEAD, _BASE))  # commits queued and reachable from one side

        mark(head, _HEAD)
        mark(base, _BASE)
        while heap and singles:
            _, sha = heapq.heappop(heap)
            flag = flags[sha]
            if flag == _BOTH:
                result.merge_base = result.merge_base or sha
            else:
                singles -= 1
                (result.head_only if flag == _HEAD else result.base_only).append(sha)
            for parent in self.commits[sha].parents:
                mark(parent, flag)
        if result.merge_base is None:
            result.merge_base = heap[0][1] if heap else self.floor
        result.head_only.sort(key=self.log_order.__getitem__)
        result.base_only.sort(key=self.log_order.__getitem__)
        return result


def _topological(commits: dict[str, LoggedCommit]) -> dict[str, int]:
    """Index of every commit, children before parents (0 is a tip)."""
    children = dict.fromkeys(commits, 0)
    for commit in commits.values():
        for parent in commit.parents:
            if parent in children:
                children[parent] += 1
    ready = [sha for sha, count in children.items() if count == 0]
    order: dict[str, int] = {}
    while ready:
        sha = ready.pop()
        order[sha] = len(order)
        for parent in commits[sha].parents:
            if parent in children:
                children[parent] -= 1
                if children[parent] == 0:
                    ready.append(parent)
    return order


def relation(walk: PairWalk, base: str, head: str) -> Relation:
    """How ``base`` and ``head`` relate, from their walk."""
    if base == head:
        return "same"
    if not walk.base_only:
        return "ahead"
    if not walk.head_only:
        return "rollback"
    return "rewritten" if walk.merge_base else "unrelated"


def relation_of(base: str, head: str, merge_base: str | None) -> Relation:
    """How ``base`` and ``head`` relate, from their merge base alone (a single pair, no walk)."""
    if base == head:
        return "same"
    if merge_base == head:
        return "rollback"
    if merge_base is None:
        return "unrelated"
    return "ahead" if merge_base == base else "rewritten"


def note_for(relation: Relation, base: str, head: str, merge_base: str | None) -> str:
    """The ChangeSet note explaining a pair that is not a plain fast-forward."""
    b, h = base[:12], head[:12]
    if relation == "same":
        return "base and head are the same commit: nothing changed"
    if relation == "rollback":
        return (
            f"rollback: {h} is an ancestor of {b}; commits are the ones this deploy took out (newest "
            f"first), files the change as deployed, so a file they added shows as deleted"
        )
    if relation == "unrelated":
        return f"{b} and {h} share no history; commits are all of {h}'s (capped), files compare the two trees"
    if relation == "rewritten":
        m = (merge_base or "")[:12]
        return (
            f"history rewritten (force push?): {b} is not an ancestor of {h}; commits and files are "
            f"counted from their merge base {m}, so changes only in {b}'s history are not shown"
        )
    return ""


def change_set(
    repo: str,
    base: str,
    head: str,
    relation: Relation,
    merge_base: str | None,
    commits: list[Commit],
    files: list[ChangedFile],
    *,
    max_commits: int,
    max_files: int,
) -> ChangeSet:
    """The ChangeSet of one pair, capped, with its note; ``truncated`` when either list was cut."""
    return ChangeSet(
        repo=repo,
        base=base,
        head=head,
        commits=commits[:max_commits],
        files=files[:max_files],
        truncated=len(commits) > max_commits or len(files) > max_files,
        note=note_for(relation, base, head, merge_base),
        source="git",
    )
