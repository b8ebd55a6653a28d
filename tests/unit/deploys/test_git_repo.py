"""GitRepoAdapter against real git repositories built by the test (tests/gitrepo.py): no mocks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from gitrepo import (
    append_commits,
    build_repo,
    create_branch,
    forget_unreachable,
    git,
    init_repo,
    rewrite_history,
)

from adapters.base import AdapterContext
from adapters.errors import BackendTimeoutError, ConfigError, NotFoundError, QueryError, UnavailableError
from adapters.git.repo import GitRepoAdapter, GitRepoConfig
from adapters.models import ChangeSet
from adapters.registry import load_adapter_class

pytestmark = pytest.mark.anyio

HISTORY = [
    {
        "message": "Initial shop",
        "write": {
            "src/checkout/submit.py": "def submit():\n    return 1\n",
            "src/cart.py": "ITEMS = []\n",
            "config/checkout.yaml": "timeout: 5\n",
            "docs/old.md": "old\n",
            "static/logo.png": b"\x89PNG\x00\x01\x02",
        },
        "author": "Alice <alice@example.com>",
        "at": "2026-03-14T01:00:00Z",
    },
    {
        "message": "Tune checkout timeout",
        "write": {"config/checkout.yaml": "timeout: 1\nretries: 3\n"},
        "author": "Bob <bob@example.com>",
        "at": "2026-03-14T02:00:00Z",
    },
    {
        "message": "Move cart, drop old docs, new migration and logo",
        "rename": {"src/cart.py": "src/basket.py"},
        "write": {
            "src/basket.py": "ITEMS = []\nLIMIT = 10\n",
            "db/migrations/0002_add_index.sql": "CREATE INDEX i ON t (c);\n",
            "static/logo.png": b"\x89PNG\x00\x03\x04\x05",
        },
        "delete": ["docs/old.md"],
        "author": "Carol <carol@example.com>",
        "at": "2026-03-14T02:30:00Z",
    },
]


@pytest.fixture
async def http(anyio_backend: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Path, list[str]]:
    path = tmp_path / "clones" / "shop"
    return path, build_repo(path, HISTORY)


def adapter(tmp_path: Path, http: httpx.AsyncClient, **settings: object) -> GitRepoAdapter:
    config = GitRepoConfig.model_validate({"repos": {"acme/shop": "clones/shop"}, **settings})
    return GitRepoAdapter("git", config, http, AdapterContext(base_dir=tmp_path))


@pytest.fixture(params=["single", "batch"])
def mode(request) -> str:
    return request.param


async def changes_of(source: GitRepoAdapter, base: str, head: str, mode: str, other: tuple[str, str]) -> ChangeSet:
    """One change set, asked alone (single path) or together with another pair (batch path)."""
    if mode == "single":
        return await source.get_changes("acme/shop", base, head)
    answers = await asyncio.gather(source.get_changes("acme/shop", base, head), source.get_changes("acme/shop", *other))
    return answers[0]


def test_registered_as_git_entry_point():
    assert load_adapter_class("git") is GitRepoAdapter


async def test_files_with_kinds_categories_and_line_counts(tmp_path, http, shop, mode):
    _, shas = shop
    changes = await changes_of(adapter(tmp_path, http), shas[0], shas[2], mode, (shas[0], shas[1]))
    files = {f.path: f for f in changes.files}
    assert set(files) == {
        "config/checkout.yaml",
        "src/basket.py",
        "db/migrations/0002_add_index.sql",
        "docs/old.md",
        "static/logo.png",
    }
    config = files["config/checkout.yaml"]
    assert (config.change, config.category, config.additions, config.deletions) == ("modified", "config", 2, 1)
    basket = files["src/basket.py"]
    assert (basket.change, basket.previous_path, basket.category) == ("renamed", "src/cart.py", "code")
    assert (basket.additions, basket.deletions) == (1, 0)
    migration = files["db/migrations/0002_add_index.sql"]
    assert (migration.change, migration.category, migration.additions) == ("added", "migration", 1)
    old = files["docs/old.md"]
    assert (old.change, old.category, old.deletions) == ("deleted", "docs", 1)
    logo = files["static/logo.png"]
    assert (logo.change, logo.additions, logo.deletions) == ("modified", 0, 0)  # binary: git counts no lines
    assert (changes.base, changes.head, changes.truncated, changes.note) == (shas[0], shas[2], False, "")
    assert changes.source == "git" and changes.repo == "acme/shop"


async def test_commits_newest_first_with_authors_dates_messages(tmp_path, http, shop, mode):
    _, shas = shop
    changes = await changes_of(adapter(tmp_path, http), shas[0], shas[2], mode, (shas[0], shas[1]))
    assert [c.sha for c in changes.commits] == [shas[2], shas[1]]
    assert [c.author for c in changes.commits] == ["Carol", "Bob"]
    assert changes.commits[0].message == "Move cart, drop old docs, new migration and logo"
    assert changes.commits[1].committed_at == datetime(2026, 3, 14, 2, 0, tzinfo=UTC)


async def test_short_sha_and_branch_names_resolve_to_full_shas(tmp_path, http, shop, mode):
    _, shas = shop
    changes = await changes_of(adapter(tmp_path, http), shas[1][:10], "main", mode, (shas[0], shas[1]))
    assert (changes.base, changes.head) == (shas[1], shas[2])
    assert [c.sha for c in changes.commits] == [shas[2]]


async def test_truncated_at_max_commits_and_max_files(tmp_path, http, shop, mode):
    path, shas = shop
    more = append_commits(path, [{"message": f"step {i}", "write": {f"src/m{i}.py": "x\n"}} for i in range(6)])
    capped = adapter(tmp_path, http, max_commits=4, max_files=3)
    changes = await changes_of(capped, shas[2], more[-1], mode, (shas[0], shas[1]))
    assert [c.sha for c in changes.commits] == list(reversed(more))[:4]
    assert len(changes.files) == 3 and changes.truncated
    whole = await changes_of(adapter(tmp_path, http, max_commits=6), shas[2], more[-1], mode, (shas[0], shas[1]))
    assert len(whole.commits) == 6 and not whole.truncated


async def test_missing_sha_is_not_found_naming_which_and_the_clone(tmp_path, http, shop, mode):
    _, shas = shop
    missing = "0123456789abcdef0123456789abcdef01234567"
    with pytest.raises(NotFoundError) as raised:
        await changes_of(adapter(tmp_path, http), missing, shas[2], mode, (shas[0], shas[1]))
    assert "base commit" in raised.value.message and missing in raised.value.message
    assert "clones/shop" in raised.value.message
    assert "fetch" in raised.value.hint and "force push" in raised.value.hint
    with pytest.raises(NotFoundError, match="head commit 'nosuchbranch'"):
        await changes_of(adapter(tmp_path, http), shas[0], "nosuchbranch", mode, (shas[0], shas[1]))


async def test_rewritten_history_uses_the_merge_base_and_says_so(tmp_path, http, shop, mode):
    path, shas = shop
    rewritten = rewrite_history(path, shas[1], [{"message": "Redo cart", "write": {"src/cart.py": "ITEMS = ()\n"}}])
    changes = await changes_of(adapter(tmp_path, http), shas[2], rewritten[0], mode, (shas[0], shas[1]))
    assert "history rewritten" in changes.note and shas[1][:12] in changes.note
    assert [c.sha for c in changes.commits] == [rewritten[0]]
    assert [(f.path, f.change) for f in changes.files] == [("src/cart.py", "modified")]


async def test_sha_dropped_by_a_force_push_and_pruned_is_not_found(tmp_path, http, shop, mode):
    path, shas = shop
    rewritten = rewrite_history(path, shas[1], [{"message": "Redo", "write": {"src/cart.py": "x\n"}}])
    forget_unreachable(path)
    with pytest.raises(NotFoundError, match=f"base commit '{shas[2]}'"):
        await changes_of(adapter(tmp_path, http), shas[2], rewritten[0], mode, (shas[0], shas[1]))


async def test_rollback_lists_the_commits_taken_out_and_the_change_as_deployed(tmp_path, http, shop, mode):
    _, shas = shop
    changes = await changes_of(adapter(tmp_path, http), shas[2], shas[0], mode, (shas[0], shas[1]))
    assert changes.note.startswith("rollback:")
    assert [c.sha for c in changes.commits] == [shas[2], shas[1]]
    files = {f.path: f.change for f in changes.files}
    assert files["db/migrations/0002_add_index.sql"] == "deleted"  # the rollback removes it
    assert files["docs/old.md"] == "added"
    assert files["src/cart.py"] == "renamed"


async def test_same_commit_is_an_empty_change_set(tmp_path, http, shop, mode):
    _, shas = shop
    changes = await changes_of(adapter(tmp_path, http), shas[1], shas[1], mode, (shas[0], shas[1]))
    assert (changes.commits, changes.files) == ([], [])
    assert "same commit" in changes.note


@pytest.mark.parametrize("bad", ["--output=OUT", "-n1", "HEAD..main", "main@{1}", "a b", "", "HEAD:src/cart.py"])
async def test_option_injection_and_ranges_are_refused(tmp_path, http, shop, bad):
    _, shas = shop
    bad = bad.replace("OUT", str(tmp_path / "written"))
    with pytest.raises(QueryError, match="not a commit SHA"):
        await adapter(tmp_path, http).get_changes("acme/shop", bad, shas[2])
    with pytest.raises(QueryError):
        await adapter(tmp_path, http).get_changes("acme/shop", shas[0], bad)
    assert not (tmp_path / "written").exists()


async def test_end_of_options_guards_git_even_past_validation(tmp_path, http, shop):
    # Defense in depth: were the pattern ever loosened, git still reads the value as a revision.
    _, shas = shop
    out = tmp_path / "written"
    with pytest.raises(NotFoundError):
        await adapter(tmp_path, http)._single("acme/shop", f"--output={out}", shas[2])
    with pytest.raises(UnavailableError):
        await adapter(tmp_path, http)._git("acme/shop", ["diff", "--end-of-options", f"--output={out}", shas[2]])
    assert not out.exists()


async def test_unknown_repo_is_not_found_and_knows_is_the_configured_set(tmp_path, http, shop):
    source = adapter(tmp_path, http)
    assert source.knows("acme/shop") and not source.knows("acme/other")
    with pytest.raises(NotFoundError, match="not configured"):
        await source.get_changes("acme/other", "a" * 40, "b" * 40)


async def test_missing_clone_is_a_config_error(tmp_path, http):
    with pytest.raises(ConfigError, match="does not exist"):
        await adapter(tmp_path, http).get_changes("acme/shop", "a" * 40, "b" * 40)
    with pytest.raises(ConfigError, match="does not exist"):
        await adapter(tmp_path, http).check()


async def test_a_directory_that_is_not_a_repo_is_a_config_error_even_inside_one(tmp_path, http, shop):
    path, _ = shop
    (path / "src" / "plain").mkdir()  # inside the shop repository: git must not answer for its parent
    source = GitRepoAdapter(
        "git", GitRepoConfig(repos={"plain": str(path / "src" / "plain")}), http, AdapterContext(base_dir=tmp_path)
    )
    with pytest.raises(ConfigError, match="not a git repository"):
        await source.check()
    with pytest.raises(ConfigError, match="not a git repository"):
        await source.get_changes("plain", "a" * 40, "b" * 40)


async def test_check_answers_each_clone_with_its_head(tmp_path, http, shop):
    _, shas = shop
    answer = await adapter(tmp_path, http).check()
    assert "acme/shop" in answer and shas[2][:12] in answer


async def test_concurrent_calls_on_one_repo_are_all_correct(tmp_path, http, shop):
    path, shas = shop
    more = append_commits(path, [{"message": f"c{i}", "write": {f"src/f{i}.py": "x\n" * (i + 1)}} for i in range(30)])
    every = shas + more
    source = adapter(tmp_path, http, max_concurrency=3)
    pairs = [(every[i], every[j]) for i in range(len(every)) for j in range(i + 1, min(i + 4, len(every)))]
    results = await asyncio.gather(*(source.get_changes("acme/shop", a, b) for a, b in pairs * 2))
    for (base, head), changes in zip(pairs * 2, results):
        expected = git(path, "rev-list", f"{base}..{head}").split()
        assert [c.sha for c in changes.commits] == expected
        assert (changes.base, changes.head) == (base, head)


async def test_fetch_brings_in_a_commit_pushed_after_the_clone(tmp_path, http):
    upstream = tmp_path / "upstream"
    shas = build_repo(upstream, HISTORY[:2])
    git(tmp_path, "clone", "--quiet", str(upstream), str(tmp_path / "clones" / "shop"))
    pushed = append_commits(upstream, HISTORY[2:])
    with pytest.raises(NotFoundError):
        await adapter(tmp_path, http).get_changes("acme/shop", shas[1], pushed[0])
    changes = await adapter(tmp_path, http, fetch=True).get_changes("acme/shop", shas[1], pushed[0])
    assert [c.sha for c in changes.commits] == [pushed[0]]


async def test_unrelated_histories_are_noted(tmp_path, http, shop, mode):
    path, shas = shop
    other = build_repo(tmp_path / "other", [{"message": "elsewhere", "write": {"x.txt": "x\n"}}])
    git(path, "fetch", "--quiet", str(tmp_path / "other"), "main:other")
    changes = await changes_of(adapter(tmp_path, http), shas[2], other[0], mode, (shas[0], shas[1]))
    assert "share no history" in changes.note
    assert [c.sha for c in changes.commits] == [other[0]]


def test_gitrepo_builds_deterministic_shas(tmp_path):
    first = build_repo(tmp_path / "a", HISTORY)
    second = build_repo(tmp_path / "b", HISTORY)
    assert first == second
    assert init_repo(tmp_path / "empty").is_dir()


def branchy_repo(path: Path) -> list[str]:
    """main c0..c5, a feature branch from c2 (f0, f1) merged into main (m), then c6; distinct dates."""

    def spec(name: str, minute: int, **extra: object) -> dict:
        return {
            "message": name,
            "write": {f"src/{name}.py": f"{name} = {minute}\n"},
            "at": f"2026-03-14T01:{minute:02d}:00Z",
            **extra,
        }

    main = build_repo(path, [spec(f"c{i}", i) for i in range(6)])
    create_branch(path, "feature", main[2])
    feature = append_commits(path, [spec("f0", 10), spec("f1", 11)], branch="feature")
    merged = append_commits(path, [spec("m", 20, merge=[feature[1]]), spec("c6", 21)])
    return main + feature + merged


async def test_a_batch_answers_like_single_calls_with_a_fixed_number_of_git_processes(tmp_path, http, monkeypatch):
    shas = branchy_repo(tmp_path / "clones" / "shop")
    pairs = [(a, b) for a in shas for b in shas]  # ahead, rollback, rewritten (feature vs main), same
    alone = [await adapter(tmp_path, http).get_changes("acme/shop", a, b) for a, b in pairs]
    source = adapter(tmp_path, http)
    commands: list[str] = []
    run = source._run

    async def recording(repo, args, stdin=None):
        commands.append(args[0])
        return await run(repo, args, stdin)

    monkeypatch.setattr(source, "_run", recording)
    together = await asyncio.gather(*(source.get_changes("acme/shop", a, b) for a, b in pairs))
    # log and diff-tree run concurrently; rewritten pairs need a second diff-tree from their merge base
    assert sorted(commands) == ["cat-file", "diff-tree", "diff-tree", "log"]
    for pair, single, batched in zip(pairs, alone, together):
        assert batched == single, pair
    notes = {c.note.split(":")[0] for c in together}
    assert {"", "rollback", "history rewritten (force push?)", "base and head are the same commit"} <= notes


async def test_a_batch_too_long_for_one_span_is_answered_pair_by_pair(tmp_path, http, monkeypatch):
    shas = branchy_repo(tmp_path / "clones" / "shop")
    pairs = [(shas[0], shas[-1]), (shas[-1], shas[3]), (shas[7], shas[4])]
    alone = [await adapter(tmp_path, http).get_changes("acme/shop", a, b) for a, b in pairs]
    monkeypatch.setattr("adapters.git.repo.SPAN_LIMIT", 2)
    together = await asyncio.gather(*(adapter(tmp_path, http).get_changes("acme/shop", a, b) for a, b in pairs))
    assert list(together) == alone


async def test_a_batch_keeps_each_pairs_error_to_itself(tmp_path, http, shop):
    _, shas = shop
    missing = "f" * 40
    source = adapter(tmp_path, http)
    answers = await asyncio.gather(
        source.get_changes("acme/shop", shas[0], shas[2]),
        source.get_changes("acme/shop", missing, shas[2]),
        source.get_changes("acme/shop", shas[0], "v9.9.9"),
        return_exceptions=True,
    )
    assert [c.sha for c in answers[0].commits] == [shas[2], shas[1]]
    assert isinstance(answers[1], NotFoundError) and "base commit" in answers[1].message
    assert isinstance(answers[2], NotFoundError) and "head commit 'v9.9.9'" in answers[2].message


async def test_git_over_the_timeout_is_a_timeout_error(tmp_path, http, shop):
    _, shas = shop
    with pytest.raises(BackendTimeoutError, match="took longer than"):
        await adapter(tmp_path, http, timeout_s=1e-6).get_changes("acme/shop", shas[0], shas[2])


async def test_a_failed_fetch_is_not_fatal_and_the_hint_says_it_ran(tmp_path, http):
    upstream = tmp_path / "upstream"
    shas = build_repo(upstream, HISTORY)
    git(tmp_path, "clone", "--quiet", str(upstream), str(tmp_path / "clones" / "shop"))
    git(tmp_path / "clones" / "shop", "remote", "set-url", "origin", str(tmp_path / "gone"))
    source = adapter(tmp_path, http, fetch=True)
    changes = await source.get_changes("acme/shop", shas[0], "main")  # a branch name: fetch is tried, fails
    assert changes.head == shas[2]
    with pytest.raises(NotFoundError) as raised:
        await source.get_changes("acme/shop", shas[0], "e" * 40)
    assert "fetch ran" in raised.value.hint


async def test_codeowners_is_read_where_github_looks(tmp_path: Path, http: httpx.AsyncClient) -> None:
    path = tmp_path / "clones" / "shop"
    build_repo(
        path,
        [
            {"message": "base", "write": {"CODEOWNERS": "* @acme/root\n", "src/a.py": "x\n"}},
            {"message": "owners", "write": {".github/CODEOWNERS": "services/pay/ @acme/payments\n"}},
        ],
    )
    assert await adapter(tmp_path, http).codeowners("acme/shop") == "services/pay/ @acme/payments\n"


async def test_codeowners_absent_is_none(tmp_path: Path, http: httpx.AsyncClient, shop) -> None:
    assert await adapter(tmp_path, http).codeowners("acme/shop") is None


async def test_paths_narrow_the_diff_to_the_deployed_service(tmp_path: Path, http: httpx.AsyncClient) -> None:
    path = tmp_path / "clones" / "shop"
    shas = build_repo(
        path,
        [
            {"message": "base", "write": {"services/pay/a.py": "1\n", "services/cart/b.py": "1\n"}},
            {"message": "both", "write": {"services/pay/a.py": "2\n", "services/cart/b.py": "2\n", "libs/c.py": "x\n"}},
        ],
    )
    source = adapter(tmp_path, http)
    whole = await source.get_changes("acme/shop", shas[0], shas[1])
    narrow = await source.get_changes("acme/shop", shas[0], shas[1], ("services/pay/**",))
    assert sorted(f.path for f in whole.files) == ["libs/c.py", "services/cart/b.py", "services/pay/a.py"]
    assert [f.path for f in narrow.files] == ["services/pay/a.py"]
    # Batched callers share one diff over the union of their paths.
    a, b = await asyncio.gather(
        source.get_changes("acme/shop", shas[0], shas[1], ("services/cart/**",)),
        source.get_changes("acme/shop", shas[1], shas[0], ("libs/**",)),
    )
    assert {f.path for f in a.files} <= {"services/cart/b.py", "libs/c.py"} and "services/cart/b.py" in {
        f.path for f in a.files
    }
    assert "libs/c.py" in {f.path for f in b.files}


async def test_a_pair_reaching_far_back_is_answered_alone_and_the_same(tmp_path: Path, http: httpx.AsyncClient) -> None:
    path = tmp_path / "clones" / "shop"
    days = [datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 11, tzinfo=UTC), datetime(2026, 3, 11, 1, tzinfo=UTC)]
    shas = build_repo(
        path,
        [
            {"message": "old", "write": {"a.py": "1\n"}, "at": days[0]},
            {"message": "mid", "write": {"a.py": "2\n", "b.py": "x\n"}, "at": days[1]},
            {"message": "new", "write": {"b.py": "y\n"}, "at": days[2]},
        ],
    )
    batched = adapter(tmp_path, http)
    far, near = await asyncio.gather(
        batched.get_changes("acme/shop", shas[0], shas[2]), batched.get_changes("acme/shop", shas[1], shas[2])
    )
    alone_far = await adapter(tmp_path, http).get_changes("acme/shop", shas[0], shas[2])
    assert [c.sha for c in far.commits] == [c.sha for c in alone_far.commits] == [shas[2], shas[1]]
    assert sorted((f.path, f.change) for f in far.files) == sorted((f.path, f.change) for f in alone_far.files)
    assert [c.sha for c in near.commits] == [shas[2]]
