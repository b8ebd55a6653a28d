"""Build a real git repository from a scenario: the same history the replay adapter answers from.

:func:`build_scenario_repo` writes the base commit (every file the scenario's commits change before
creating it) and then, in deploy order, each deploy's commits, with the same file contents, authors
and dates as :mod:`adapters.replay.scenario_history` simulates, through tests/gitrepo.py (git fast-import).
The SHAs are real, so they differ from the scenario's fake ones; the returned map says which real
commits each deploy ran before and deployed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitrepo import build_repo

from adapters.replay.scenario import Scenario
from adapters.replay.scenario_history import RepoHistory, Tree, TrunkCommit


def build_scenario_repo(scenario: Scenario, repo: str, path: str | Path) -> dict[str, tuple[str, str]]:
    """Create the git repository of ``repo`` at ``path``; map each deploy id to its real (previous, deployed) SHAs."""
    history = scenario.repos.repos[repo]
    specs = commit_specs(history)
    real = dict(zip((c.sha for c in history.commits), build_repo(path, specs), strict=True))
    return {
        deploy_id: (real[ref.previous_sha], real[ref.sha])
        for deploy_id, ref in scenario.repos.deploys.items()
        if ref.repo == repo
    }


def commit_specs(history: RepoHistory) -> list[dict[str, Any]]:
    """gitrepo commit specs for every commit of the trunk, base first."""
    base = history.commits[0]
    specs = [_spec(base, {path: _content(lines) for path, lines in base.tree.items()}, [], {})]
    for previous, commit in zip(history.commits, history.commits[1:]):
        specs.append(_commit_spec(previous.tree, commit))
    return specs


def _commit_spec(before: Tree, commit: TrunkCommit) -> dict[str, Any]:
    write: dict[str, str] = {}
    delete: list[str] = []
    rename: dict[str, str] = {}
    for change in commit.files:
        if change.change == "deleted":
            delete.append(change.path)
            continue
        if change.change == "renamed":
            rename[change.previous_path] = change.path
        if commit.tree[change.path] != before.get(change.previous_path or change.path):
            write[change.path] = _content(commit.tree[change.path])
    return _spec(commit, write, delete, rename)


def _spec(commit: TrunkCommit, write: dict[str, str], delete: list[str], rename: dict[str, str]) -> dict[str, Any]:
    return {
        "message": commit.message,
        "author": f"{commit.author} <{commit.author.replace(' ', '.')}@example.com>",
        "at": commit.at,
        "write": write,
        "delete": delete,
        "rename": rename,
    }


def _content(lines: tuple[str, ...]) -> str:
    return "".join(f"{line}\n" for line in lines)
