"""The code history a scenario implies: one linear trunk per repository, built from its deploys' commits.

Each repository named by a service or deploy gets a base commit holding every file the scenario's
commits touch before creating it, then, in deploy order (``started``, then file order), each deploy's
commits. File contents are simulated line by line (unique lines; a change deletes lines from the
top of a file and appends new ones at its end), so the answer for any ``base..head`` is what
``git diff --numstat -M`` says between the two trees: the replay adapter serves it, and
tests/scenario_repo.py builds the same history as a real git repository.

SHAs are fake but stable: a hash of (scenario, repo, deploy id, commit number), or the ``sha`` a
deploy declares for its last commit. A deploy's ``previous_sha`` defaults to the trunk commit just
before its own commits, so its change set is exactly its commits; a deploy without commits
redeploys that commit. A story that needs a wider range (a monorepo service deploying everything
merged since its last deploy, a rollback) declares ``previous_sha`` and ``sha``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from hashlib import blake2b
from typing import TYPE_CHECKING

from adapters.changes import classify
from adapters.models import ChangedFile
from adapters.replay.scenario_models import FileChange, ScenarioDeploy

if TYPE_CHECKING:
    from adapters.replay.scenario import Scenario

BASE_MIN_LINES = 40
RENAME_SIMILARITY = 0.5
"""git's default: a deleted and an added file at least this similar are a rename."""
RENAME_MARGIN = 0.6
"""What a declared rename must keep, so that git surely sees it as one."""
COMMIT_SPACING = timedelta(minutes=2)
Tree = dict[str, tuple[str, ...]]


def fake_sha(*parts: str) -> str:
    """A stable 40-hex commit id for ``parts``."""
    return blake2b("\x1f".join(parts).encode(), digest_size=20).hexdigest()


@dataclass(frozen=True)
class TrunkCommit:
    """One commit of a repository's trunk, with the whole tree after it."""

    sha: str
    deploy: str
    author: str
    message: str
    at: datetime
    files: tuple[FileChange, ...]
    tree: Tree = field(repr=False)

    @property
    def title(self) -> str:
        """The subject, as ``git log --format=%s`` gives it: the first paragraph on one line."""
        paragraph = self.message.strip().split("\n\n")[0]
        return " ".join(line.strip() for line in paragraph.splitlines())


@dataclass(frozen=True)
class DeployRef:
    """Where a deploy's code is: its repository, the commit running before, and the one it deployed."""

    repo: str
    previous_sha: str
    sha: str


class RepoHistory:
    """One repository's linear trunk, oldest commit first (the base commit is index 0)."""

    def __init__(self, repo: str, commits: list[TrunkCommit]) -> None:
        """Hold ``commits``; ``commits[0]`` is the base commit."""
        self.repo = repo
        self.commits = commits
        self._index = {c.sha: i for i, c in enumerate(commits)}

    def index(self, ref: str) -> int:
        """The position of a full SHA or a unique prefix (4+ hex digits); LookupError says why not."""
        ref = ref.strip().lower()
        if ref in self._index:
            return self._index[ref]
        found = [i for sha, i in self._index.items() if len(ref) >= 4 and sha.startswith(ref)]
        if len(found) == 1:
            return found[0]
        raise LookupError(f"commit {ref!r} is {'ambiguous' if found else 'not'} in {self.repo}")

    def between(self, base: str, head: str) -> tuple[list[TrunkCommit], list[ChangedFile], str]:
        """Commits (newest first), changed files and a note for ``base..head``, as the git adapter answers.

        A ``head`` older than ``base`` is a rollback: the commits are the ones it takes out, the
        files the change as deployed (what those commits added shows as deleted).
        """
        b, h = self.index(base), self.index(head)
        old, new = self.commits[b], self.commits[h]
        if b == h:
            return [], [], "base and head are the same commit: nothing changed"
        if b < h:
            span = self.commits[b + 1 : h + 1]
            return list(reversed(span)), diff_trees(old.tree, new.tree, renames(span)), ""
        span = self.commits[h + 1 : b + 1]
        backwards = {before: after for after, before in renames(span).items()}
        note = (
            f"rollback: {new.sha[:12]} is an ancestor of {old.sha[:12]}; commits are the ones this deploy "
            "took out (newest first), files the change as deployed, so a file they added shows as deleted"
        )
        return list(reversed(span)), diff_trees(old.tree, new.tree, backwards), note


def renames(span: Iterable[TrunkCommit]) -> dict[str, str]:
    """Where each file renamed across ``span`` was before it: path after -> path before."""
    origin: dict[str, str] = {}
    for commit in span:
        for change in commit.files:
            if change.change == "renamed":
                origin[change.path] = origin.pop(change.previous_path, change.previous_path)
            elif change.change in ("deleted", "added"):
                origin.pop(change.path, None)
    return origin


def diff_trees(old: Tree, new: Tree, origin: dict[str, str]) -> list[ChangedFile]:
    """What ``git diff --numstat -M`` reports from ``old`` to ``new``; ``origin`` maps renamed paths back."""
    files, renamed_from = [], set()
    for path in sorted(new):
        before = origin.get(path, "")
        if path in old:
            if new[path] != old[path]:
                files.append(_changed(path, "modified", old[path], new[path]))
        elif before in old and before not in new and _similarity(old[before], new[path]) >= RENAME_SIMILARITY:
            files.append(_changed(path, "renamed", old[before], new[path], before))
            renamed_from.add(before)
        else:
            files.append(_changed(path, "added", (), new[path]))
    files += [_changed(p, "deleted", old[p], ()) for p in old if p not in new and p not in renamed_from]
    return sorted(files, key=lambda f: f.path)


def _changed(path: str, kind: str, old: tuple[str, ...], new: tuple[str, ...], previous: str = "") -> ChangedFile:
    kept = set(old) & set(new)
    return ChangedFile(
        path=path,
        change=kind,  # type: ignore[arg-type]
        category=classify(path),
        additions=len(new) - len(kept),
        deletions=len(old) - len(kept),
        previous_path=previous,
    )


def _similarity(old: tuple[str, ...], new: tuple[str, ...]) -> float:
    if not old and not new:
        return 1.0
    return len(set(old) & set(new)) / max(len(old), len(new))


@dataclass
class ScenarioRepos:
    """Every repository of a scenario and where each deploy's code is."""

    repos: dict[str, RepoHistory]
    deploys: dict[str, DeployRef]


def build_repos(scenario: Scenario) -> ScenarioRepos:
    """The trunks of every repository the scenario names; ValueError names the deploy field at fault."""
    repo_of = {s.name: s.repo for s in scenario.services}
    by_repo: dict[str, list[tuple[int, ScenarioDeploy]]] = {}
    for i, deploy in enumerate(scenario.deploys):
        repo = deploy.repo or repo_of.get(deploy.service, "")
        if not repo:
            if deploy.changes or deploy.sha or deploy.previous_sha:
                raise ValueError(
                    f"deploys[{i}]: {deploy.id} has commits or SHAs but no repo: "
                    f"set repo on the deploy or on service {deploy.service}"
                )
            continue
        by_repo.setdefault(repo, []).append((i, deploy))
    repos, refs = {}, {}
    for repo, deploys in sorted(by_repo.items()):
        ordered = sorted(deploys, key=lambda item: (item[1].started, item[0]))
        repos[repo], found = _TrunkBuilder(scenario.name, repo, ordered).build()
        refs.update(found)
    return ScenarioRepos(repos=repos, deploys=refs)


class _TrunkBuilder:
    """Builds one repository's trunk from its deploys, in order."""

    def __init__(self, scenario: str, repo: str, deploys: list[tuple[int, ScenarioDeploy]]) -> None:
        self.scenario, self.repo, self.deploys = scenario, repo, deploys

    def build(self) -> tuple[RepoHistory, dict[str, DeployRef]]:
        """The trunk (base commit first) and each deploy's (previous, deployed) commits."""
        tree: Tree = {
            path: tuple(f"{path}: line {k + 1}" for k in range(size))
            for path, size in _base_sizes(self.deploys).items()
        }
        times = [self._commit_time(d, c) for _, d in self.deploys for c in range(len(d.changes))]
        base_at = min(times, default=min(d.started for _, d in self.deploys)) - timedelta(days=1)
        base = TrunkCommit(fake_sha(self.scenario, self.repo, "base"), "", "scenario", "Base", base_at, (), tree)
        commits, refs = [base], {}
        for i, deploy in self.deploys:
            before = commits[-1].sha
            commits += self._deploy_commits(i, deploy, commits[-1].tree)
            history = RepoHistory(self.repo, commits)
            previous = deploy.previous_sha or before
            sha = commits[-1].sha if deploy.changes else (deploy.sha or previous)
            _check_ref(history, previous, f"deploys[{i}].previous_sha", before if deploy.changes else None)
            _check_ref(history, sha, f"deploys[{i}].sha", None)
            refs[deploy.id] = DeployRef(self.repo, previous, sha)
        if len({c.sha for c in commits}) != len(commits):
            raise ValueError(f"deploys: two commits of {self.repo} have the same sha")
        return RepoHistory(self.repo, commits), refs

    def _deploy_commits(self, i: int, deploy: ScenarioDeploy, tree: Tree) -> list[TrunkCommit]:
        """One deploy's commits on top of ``tree``; the last takes the deploy's declared sha."""
        commits = []
        for c, commit in enumerate(deploy.changes):
            tree = self._apply(tree, commit.files, deploy.id, c, f"deploys[{i}].changes[{c}]")
            last = c == len(deploy.changes) - 1
            sha = deploy.sha if last and deploy.sha else fake_sha(self.scenario, self.repo, deploy.id, str(c))
            author = commit.author or deploy.author or "unknown"
            at = self._commit_time(deploy, c)
            commits.append(TrunkCommit(sha, deploy.id, author, commit.message, at, tuple(commit.files), tree))
        return commits

    def _commit_time(self, deploy: ScenarioDeploy, index: int) -> datetime:
        commit = deploy.changes[index]
        return commit.at or deploy.started - COMMIT_SPACING * (len(deploy.changes) - index)

    def _apply(self, tree: Tree, files: Sequence[FileChange], deploy: str, c: int, where: str) -> Tree:
        tree = dict(tree)
        for f, change in enumerate(files):
            at = f"{where}.files[{f}] ({change.path})"
            added = tuple(f"{change.path}: {deploy} commit {c + 1} line {j + 1}" for j in range(change.additions))
            if change.change == "added":
                if change.path in tree:
                    raise ValueError(f"{at}: added, but {self.repo} already has it")
                tree[change.path] = added
                continue
            source = change.previous_path or change.path
            if source not in tree:
                raise ValueError(
                    f"{at}: {change.change}, but {source} is no longer in {self.repo} (deleted or renamed)"
                )
            lines = tree.pop(source)
            if change.change == "deleted":
                if len(lines) != change.deletions:
                    raise ValueError(f"{at}: deleting it removes its {len(lines)} lines, not {change.deletions}")
                continue
            if change.deletions > len(lines):
                raise ValueError(f"{at}: deletes {change.deletions} lines of a {len(lines)}-line file")
            if change.change == "renamed" and change.path in tree:
                raise ValueError(f"{at}: renamed onto a file {self.repo} already has")
            result = lines[change.deletions :] + added
            if change.change == "renamed" and _similarity(lines, result) < RENAME_MARGIN:
                raise ValueError(f"{at}: changes too much of {source} for git to see a rename (keep 60%)")
            tree[change.path] = result
        return tree


def _check_ref(history: RepoHistory, sha: str, where: str, before: str | None) -> None:
    try:
        position = history.index(sha)
    except LookupError:
        raise ValueError(f"{where}: {sha} is not a commit of {history.repo} at that point") from None
    if before is not None and position > history.index(before):
        raise ValueError(f"{where}: {sha} comes after the deploy's first commit")


def _base_sizes(deploys: list[tuple[int, ScenarioDeploy]]) -> dict[str, int]:
    """How many lines each file the base commit must hold has, so every later change fits.

    A file first touched by a change other than ``added`` is in the base. A base file that is later
    deleted holds exactly what its deletion removes; any other is large enough for every deletion
    and for its renames to stay renames.
    """
    live: dict[str, str] = {}  # path now -> the base file it descends from ('' if added in the scenario)
    gone: set[str] = set()
    churn: dict[str, int] = {}
    offset: dict[str, int] = {}
    deleted_at: dict[str, int] = {}
    for change in (f for _, deploy in deploys for commit in deploy.changes for f in commit.files):
        if change.change == "added":
            live[change.path] = ""
            gone.discard(change.path)
            continue
        source = change.previous_path or change.path
        if source not in live and source not in gone:  # first seen being changed: it was in the base
            live[source], churn[source], offset[source] = source, 0, 0
        origin = live.pop(source, "")
        gone.add(source)
        if origin:
            if change.change == "deleted":
                deleted_at.setdefault(origin, change.deletions - offset[origin])
            churn[origin] += change.additions + change.deletions
            offset[origin] += change.additions - change.deletions
        if change.change != "deleted":
            live[change.path] = origin
            gone.discard(change.path)
    return {path: deleted_at.get(path, BASE_MIN_LINES + 4 * total) for path, total in churn.items()}
