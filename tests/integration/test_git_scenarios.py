"""Real git and the replay agree: every scenario's repositories, built with git, give the replay's change sets.

For each bundled scenario whose deploys carry commits, tests/scenario_repo.py builds each
repository for real; the git adapter (adapters.git.repo) answers each deploy's change set from it,
and the replay adapter answers from the scenario. The SHAs differ (the replay's are fake), so the
two are compared deploy by deploy: the same files, change kinds, categories and line counts, and
the same commits (author, subject, date) in the same order. Ranges spanning several deploys and
rollbacks (head older than base) are compared too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from gitrepo import git
from scenario_repo import build_scenario_repo

from adapters.base import AdapterContext
from adapters.git.repo import GitRepoAdapter, GitRepoConfig
from adapters.models import ChangeSet
from adapters.replay.adapter import ReplayAdapter, ReplaySettings
from adapters.replay.scenario import list_scenarios, load_scenario

pytestmark = [pytest.mark.integration, pytest.mark.anyio]
WITH_COMMITS = [n for n in list_scenarios() if any(d.changes for d in load_scenario(n).deploys)]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def files_of(changes: ChangeSet) -> list[tuple[str, str, str, int, int, str]]:
    """What must agree about the files: everything but the SHAs."""
    return sorted((f.path, f.change, f.category, f.additions, f.deletions, f.previous_path) for f in changes.files)


def commits_of(changes: ChangeSet) -> list[tuple[str, str, object]]:
    """What must agree about the commits, newest first."""
    return [(c.author, c.message, c.committed_at) for c in changes.commits]


def test_deploy_scenarios_have_commits() -> None:
    assert len(WITH_COMMITS) >= 7, WITH_COMMITS


@pytest.mark.parametrize("name", WITH_COMMITS)
async def test_real_git_gives_the_replays_change_sets(name: str, tmp_path: Path, http: httpx.AsyncClient) -> None:
    scenario = load_scenario(name)
    replay = ReplayAdapter("replay", ReplaySettings(scenario=name), http, AdapterContext(base_dir=tmp_path))
    compared = 0
    for repo, history in scenario.repos.repos.items():
        clone = tmp_path / repo.replace("/", "__")
        real = build_scenario_repo(scenario, repo, clone)
        settings = GitRepoConfig(repos={repo: str(clone)})
        git_adapter = GitRepoAdapter("git", settings, http, AdapterContext(base_dir=tmp_path))
        assert git_adapter.knows(repo) and replay.knows(repo)
        for deploy_id, (base, head) in real.items():
            ref = scenario.repos.deploys[deploy_id]
            await same_changes(replay, git_adapter, repo, (ref.previous_sha, ref.sha), (base, head))
            compared += 1
        # The whole trunk at once (net counts, not sums, of files changed twice), and back again (a rollback).
        trunk = git(clone, "rev-list", "--reverse", "main").split()
        assert len(trunk) == len(history.commits)
        first, last = history.commits[0].sha, history.commits[-1].sha
        await same_changes(replay, git_adapter, repo, (first, last), (trunk[0], trunk[-1]))
        await same_changes(replay, git_adapter, repo, (last, first), (trunk[-1], trunk[0]))
    assert compared == len(scenario.repos.deploys) > 0


async def same_changes(
    replay: ReplayAdapter, git_adapter: GitRepoAdapter, repo: str, fake: tuple[str, str], real: tuple[str, str]
) -> None:
    """The replay's change set for the fake SHAs equals git's for the real ones, SHAs aside."""
    replayed = await replay.get_changes(repo, *fake)
    actual = await git_adapter.get_changes(repo, *real)
    assert files_of(actual) == files_of(replayed), (repo, fake)
    assert commits_of(actual) == commits_of(replayed), (repo, fake)
    assert bool(actual.note) == bool(replayed.note), (actual.note, replayed.note)
