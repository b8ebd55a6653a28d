"""GitHubAdapter against respx, with payloads shaped as the GitHub REST API (2022-11-28) documents them."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import httpx
import pytest
import respx
from pydantic import ValidationError

from adapters.errors import (
    AdapterError,
    AuthError,
    BackendTimeoutError,
    BadResponseError,
    NotFoundError,
    QueryError,
    RateLimitedError,
    UnavailableError,
)
from adapters.github.adapter import GitHubAdapter, GitHubConfig, deployment_state
from adapters.models import TimeWindow

pytestmark = pytest.mark.anyio

API = "https://api.github.com"
TOKEN = "ghp_secretTOKEN123456"
WINDOW = TimeWindow(start=datetime(2026, 3, 14, 2, 0, tzinfo=UTC), end=datetime(2026, 3, 14, 3, 7, tzinfo=UTC))
SHA = {n: f"{n:x}" * 40 for n in range(8)}  # 1111..., 2222..., one 40-hex sha per deployment


def user(login: str) -> dict[str, object]:
    return {
        "login": login,
        "id": 1,
        "node_id": "MDQ6VXNlcjE=",
        "type": "User",
        "site_admin": False,
        "url": f"{API}/users/{login}",
        "html_url": f"https://github.com/{login}",
    }


def deployment(num: int, created: str, *, env: str = "production", payload: object = None) -> dict[str, object]:
    return {
        "url": f"{API}/repos/acme/shop/deployments/{100 + num}",
        "id": 100 + num,
        "node_id": "MDEwOkRlcGxveW1lbnQx",
        "sha": SHA[num],
        "ref": "main",
        "task": "deploy",
        "payload": {} if payload is None else payload,
        "original_environment": env,
        "environment": env,
        "description": "Deploy request from hubot",
        "creator": user("alice"),
        "created_at": created,
        "updated_at": created,
        "statuses_url": f"{API}/repos/acme/shop/deployments/{100 + num}/statuses",
        "repository_url": f"{API}/repos/acme/shop",
        "transient_environment": False,
        "production_environment": True,
    }


def status(sid: int, state: str, created: str, **urls: str) -> dict[str, object]:
    return {
        "url": f"{API}/repos/acme/shop/deployments/1/statuses/{sid}",
        "id": sid,
        "node_id": "MDE2OkRlcGxveW1lbnRTdGF0dXMx",
        "state": state,
        "creator": user("deploy-bot"),
        "description": "health check failed" if state == "failure" else "",
        "environment": "production",
        "target_url": urls.get("target_url", ""),
        "created_at": created,
        "updated_at": created,
        "deployment_url": f"{API}/repos/acme/shop/deployments/1",
        "repository_url": f"{API}/repos/acme/shop",
        "environment_url": urls.get("environment_url", ""),
        "log_url": urls.get("log_url", ""),
    }


# Newest first, as GitHub lists them. 6 is after the window; 2 started before it and finished inside.
PAGE_1 = [
    deployment(6, "2026-03-14T03:30:00Z"),
    deployment(5, "2026-03-14T03:00:00Z"),
    deployment(4, "2026-03-14T02:40:00Z"),
    deployment(3, "2026-03-14T02:20:00Z"),
]
PAGE_2 = [deployment(2, "2026-03-14T01:50:00Z"), deployment(1, "2026-03-14T01:00:00Z")]
STATUSES = {
    5: [
        status(52, "in_progress", "2026-03-14T03:01:00Z", environment_url="https://shop.example"),
        status(51, "queued", "2026-03-14T03:00:05Z"),
    ],
    4: [
        status(42, "failure", "2026-03-14T02:45:00Z", log_url="https://ci.example/4"),
        status(41, "in_progress", "2026-03-14T02:41:00Z"),
    ],
    3: [
        status(33, "inactive", "2026-03-14T02:50:00Z"),
        status(32, "success", "2026-03-14T02:25:00Z", target_url="https://ci.example/3"),
        status(31, "in_progress", "2026-03-14T02:21:00Z"),
    ],
    2: [status(22, "success", "2026-03-14T02:05:00Z"), status(21, "in_progress", "2026-03-14T01:50:30Z")],
    1: [status(11, "success", "2026-03-14T01:10:00Z")],
}
NEXT_2 = (
    f'<{API}/repositories/42/deployments?environment=production&per_page=100&page=2>; rel="next", '
    f'<{API}/repositories/42/deployments?environment=production&per_page=100&page=2>; rel="last"'
)
NEXT_3 = f'<{API}/repositories/42/deployments?environment=production&per_page=100&page=3>; rel="next"'


def make(http: httpx.AsyncClient, context, **repo: object) -> GitHubAdapter:
    settings = {"token": TOKEN, "repos": [{"repo": "acme/shop", "service": "checkout", **repo}]}
    return GitHubAdapter("github", GitHubConfig.model_validate(settings), http, context)


def mock_deployments(respx_mock: respx.MockRouter) -> dict[str, respx.Route]:
    routes = {
        "page1": respx_mock.get(f"{API}/repos/acme/shop/deployments").respond(json=PAGE_1, headers={"Link": NEXT_2}),
        "page2": respx_mock.get(f"{API}/repositories/42/deployments", params={"page": "2"}).respond(
            json=PAGE_2, headers={"Link": NEXT_3}
        ),
        "page3": respx_mock.get(f"{API}/repositories/42/deployments", params={"page": "3"}).respond(json=[]),
    }
    for num in range(1, 7):
        path = f"{API}/repos/acme/shop/deployments/{100 + num}/statuses"
        routes[f"s{num}"] = respx_mock.get(path).respond(json=STATUSES.get(num, []))
    return routes


async def test_deployments_pages_maps_statuses_and_previous_sha(respx_mock: respx.MockRouter, http, context) -> None:
    routes = mock_deployments(respx_mock)
    deploys = await make(http, context).list_deploys(WINDOW)
    assert [d.id for d in deploys] == [f"acme/shop/deployments/{n}" for n in (102, 103, 104, 105)]
    two, three, four, five = deploys
    assert (two.status, two.sha, two.previous_sha, two.previous_version) == ("succeeded", SHA[2], SHA[1], SHA[1][:7])
    assert two.started_at == datetime(2026, 3, 14, 1, 50, 30, tzinfo=UTC)  # first in_progress status
    assert two.finished_at == datetime(2026, 3, 14, 2, 5, tzinfo=UTC)
    assert three.status == "succeeded" and three.previous_sha == SHA[2]  # inactive later: only superseded
    assert three.link == "https://ci.example/3" and three.version == SHA[3][:7]
    assert four.status == "failed" and four.previous_sha == SHA[3] and four.link == "https://ci.example/4"
    assert four.detail == "deployment failure: health check failed"
    assert five.status == "in_progress" and five.finished_at is None and five.previous_sha == SHA[3]
    assert five.link == "https://shop.example"
    assert all(d.service == "checkout" and d.environment == "production" and d.repo == "acme/shop" for d in deploys)
    assert (five.author, five.source) == ("alice", "github")
    request = routes["page1"].calls.last.request
    assert request.url.params["environment"] == "production" and request.url.params["per_page"] == "100"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert request.headers["Accept"] == "application/vnd.github+json"
    # Page 2 reached the window's start: no page 3; deployment 6 is after the window: no statuses read.
    assert routes["page2"].called and not routes["page3"].called and not routes["s6"].called


async def test_window_cut_off_stops_paging_and_lookback(respx_mock: respx.MockRouter, http, context) -> None:
    routes = mock_deployments(respx_mock)
    late = TimeWindow(start=datetime(2026, 3, 14, 2, 30, tzinfo=UTC), end=WINDOW.end)
    deploys = await make(http, context).list_deploys(late)
    assert [d.id[-3:] for d in deploys] == ["104", "105"]
    assert deploys[0].previous_sha == SHA[3]
    # Page 1 already holds deployments older than 02:30; deployment 3 succeeded before it, so 2 is not read.
    assert not routes["page2"].called and not routes["s2"].called and routes["s3"].called


async def test_service_from_payload_and_environment_services(respx_mock: respx.MockRouter, http, context) -> None:
    items = [
        deployment(3, "2026-03-14T02:30:00Z", env="prod-eu", payload=json.dumps({"service": "cart"})),
        deployment(2, "2026-03-14T02:20:00Z", env="prod-eu", payload={"other": 1}),
        deployment(1, "2026-03-14T02:10:00Z", env="prod-us", payload={}),
    ]
    route = respx_mock.get(f"{API}/repos/acme/shop/deployments").respond(json=items)
    for num in (1, 2, 3):
        respx_mock.get(f"{API}/repos/acme/shop/deployments/{100 + num}/statuses").respond(
            json=[status(num, "success", "2026-03-14T02:35:00Z")]
        )
    config = {
        "token": TOKEN,
        "repos": [
            {
                "repo": "acme/shop",
                "payload_field": "service",
                "environment_services": {"prod-eu": "search"},
                "environments": [],
            }
        ],
    }
    deploys = await GitHubAdapter("gh", GitHubConfig.model_validate(config), http, context).list_deploys(WINDOW)
    assert {(d.id[-3:], d.service) for d in deploys} == {("103", "cart"), ("102", "search")}  # prod-us: unmapped
    assert "environment" not in route.calls.last.request.url.params  # environments: [] lists them all


def test_statuses_fold_into_one_state() -> None:
    assert deployment_state([]).status == "in_progress"
    superseded = deployment_state(
        [status(1, "queued", "2026-03-14T02:00:00Z"), status(2, "inactive", "2026-03-14T02:10:00Z")]
    )
    assert superseded.status == "failed" and "superseded" in superseded.detail
    errored = deployment_state([status(1, "error", "2026-03-14T02:00:00Z")])
    assert errored.status == "failed" and errored.detail == "deployment error"
    with pytest.raises(ValueError, match="unknown deployment state"):
        deployment_state([status(1, "exploded", "2026-03-14T02:00:00Z")])


def run(num: int, created: str, state: str, conclusion: str | None, updated: str) -> dict[str, object]:
    return {
        "id": 900 + num,
        "name": "Deploy",
        "node_id": "MDEyOldvcmtmbG93IFJ1bjI2OTI4OQ==",
        "head_branch": "main",
        "head_sha": SHA[num],
        "path": ".github/workflows/deploy.yml",
        "run_number": num,
        "event": "push",
        "status": state,
        "conclusion": conclusion,
        "workflow_id": 159038,
        "url": f"{API}/repos/acme/shop/actions/runs/{900 + num}",
        "html_url": f"https://github.com/acme/shop/actions/runs/{900 + num}",
        "created_at": created,
        "updated_at": updated,
        "actor": user("bob"),
        "triggering_actor": user("bob"),
        "run_attempt": 1,
        "run_started_at": created,
        "head_commit": {"id": SHA[num], "message": "Ship it", "timestamp": created},
    }


RUNS = [
    run(6, "2026-03-14T03:00:00Z", "in_progress", None, "2026-03-14T03:02:00Z"),
    run(5, "2026-03-14T02:30:00Z", "completed", "cancelled", "2026-03-14T02:33:00Z"),
    run(4, "2026-03-14T02:10:00Z", "completed", "success", "2026-03-14T02:20:00Z"),
    run(3, "2026-03-14T02:05:00Z", "completed", "skipped", "2026-03-14T02:05:01Z"),
]
OLDER_RUNS = [run(2, "2026-03-14T01:00:00Z", "completed", "success", "2026-03-14T01:10:00Z")]


async def test_actions_mode_maps_runs(respx_mock: respx.MockRouter, http, context) -> None:
    path = f"{API}/repos/acme/shop/actions/workflows/deploy.yml/runs"
    next_link = f'<{API}/repositories/42/actions/workflows/159038/runs?page=2>; rel="next"'
    first = respx_mock.get(path).respond(json={"total_count": 5, "workflow_runs": RUNS}, headers={"Link": next_link})
    respx_mock.get(f"{API}/repositories/42/actions/workflows/159038/runs").respond(
        json={"total_count": 5, "workflow_runs": OLDER_RUNS}
    )
    adapter = make(http, context, mode="actions", workflow="deploy.yml", branch="main", environments=["production"])
    deploys = await adapter.list_deploys(WINDOW)
    assert [d.id for d in deploys] == [f"acme/shop/actions/runs/{n}" for n in (904, 905, 906)]  # skipped run: none
    ok, cancelled, running = deploys
    assert (ok.status, ok.previous_sha) == ("succeeded", SHA[2])
    assert ok.finished_at == datetime(2026, 3, 14, 2, 20, tzinfo=UTC)
    assert (cancelled.status, cancelled.detail, cancelled.previous_sha) == ("failed", "run cancelled", SHA[4])
    assert running.status == "in_progress" and running.finished_at is None and running.previous_sha == SHA[4]
    assert ok.author == "bob" and ok.link.endswith("/runs/904") and ok.environment == "production"
    params = first.calls.last.request.url.params
    assert (params["created"], params["branch"], params["per_page"]) == ("<=2026-03-14", "main", "100")


def comparison(status_: str, *, files: list[dict[str, object]], total: int = 2, behind: int = 0) -> dict[str, object]:
    def commit(sha: str, message: str, date: str) -> dict[str, object]:
        return {
            "url": f"{API}/repos/acme/shop/commits/{sha}",
            "sha": sha,
            "node_id": "C_1",
            "html_url": f"https://github.com/acme/shop/commit/{sha}",
            "commit": {
                "url": f"{API}/repos/acme/shop/git/commits/{sha}",
                "author": {"name": "Alice", "email": "alice@example.com", "date": "2026-03-13T10:00:00Z"},
                "committer": {"name": "GitHub", "email": "noreply@github.com", "date": date},
                "message": message,
                "tree": {"url": "", "sha": "f" * 40},
                "comment_count": 0,
            },
            "author": user("alice"),
            "committer": user("web-flow"),
            "parents": [{"url": "", "sha": "e" * 40}],
        }

    commits = [
        commit(SHA[2], "Add retry to payments client\n\nLong body", "2026-03-14T01:00:00Z"),
        commit(SHA[3], "Bump timeout", "2026-03-14T01:30:00Z"),
    ]
    return {
        "url": "",
        "html_url": "",
        "permalink_url": "",
        "diff_url": "",
        "patch_url": "",
        "base_commit": commit(SHA[1], "base", "2026-03-13T00:00:00Z"),
        "merge_base_commit": commit("abcdef1" + "0" * 33, "merge base", "2026-03-13T00:00:00Z"),
        "status": status_,
        "ahead_by": 2,
        "behind_by": behind,
        "total_commits": total,
        "commits": commits,
        "files": files,
    }


def diff_entry(name: str, state: str, **extra: object) -> dict[str, object]:
    return {
        "sha": "b" * 40,
        "filename": name,
        "status": state,
        "additions": 3,
        "deletions": 1,
        "changes": 4,
        "blob_url": "",
        "raw_url": "",
        "contents_url": "",
        "patch": "@@ -1 +1 @@",
        **extra,
    }


FILES = [
    diff_entry("src/payments/client.py", "modified"),
    diff_entry("src/payments/retry.py", "renamed", previous_filename="src/payments/backoff.py"),
    diff_entry("db/migrations/0042_add_index.sql", "added"),
    diff_entry("config/old.yaml", "removed"),
    diff_entry("requirements.txt", "changed"),
]


async def test_compare_maps_commits_and_files(respx_mock: respx.MockRouter, http, context) -> None:
    route = respx_mock.get(f"{API}/repos/acme/shop/compare/{SHA[1]}...{SHA[3]}").respond(
        json=comparison("ahead", files=FILES)
    )
    adapter = make(http, context)
    assert adapter.knows("Acme/Shop") and not adapter.knows("acme/other")
    changes = await adapter.get_changes("acme/shop", SHA[1], SHA[3])
    assert [(c.sha, c.message, c.author) for c in changes.commits] == [
        (SHA[2], "Add retry to payments client", "Alice"),
        (SHA[3], "Bump timeout", "Alice"),
    ]
    assert changes.commits[0].committed_at == datetime(2026, 3, 14, 1, 0, tzinfo=UTC)
    assert [(f.path, f.change, f.category) for f in changes.files] == [
        ("src/payments/client.py", "modified", "code"),
        ("src/payments/retry.py", "renamed", "code"),
        ("db/migrations/0042_add_index.sql", "added", "migration"),
        ("config/old.yaml", "deleted", "config"),
        ("requirements.txt", "modified", "dependency"),
    ]
    assert changes.files[1].previous_path == "src/payments/backoff.py" and changes.files[0].additions == 3
    assert not changes.truncated and changes.note == "" and changes.source == "github"
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_compare_truncated_diverged_and_behind(respx_mock: respx.MockRouter, http, context) -> None:
    many = [diff_entry(f"src/f{i}.py", "modified") for i in range(300)]
    route = respx_mock.get(f"{API}/repos/acme/shop/compare/{SHA[1]}...{SHA[3]}")
    route.respond(json=comparison("ahead", files=FILES[:1], total=260))
    assert (await make(http, context).get_changes("acme/shop", SHA[1], SHA[3])).truncated  # 260 > 2 commits
    route.respond(json=comparison("ahead", files=many))
    assert (await make(http, context).get_changes("acme/shop", SHA[1], SHA[3])).truncated  # 300 files: capped
    route.respond(json=comparison("diverged", files=FILES, behind=3))
    diverged = await make(http, context).get_changes("acme/shop", SHA[1], SHA[3])
    assert "diverged" in diverged.note and "abcdef1" in diverged.note and "3 commits" in diverged.note
    route.respond(json={**comparison("behind", files=[], total=0, behind=4), "commits": [], "ahead_by": 0})
    behind = await make(http, context).get_changes("acme/shop", SHA[1], SHA[3])
    assert behind.note.startswith("rollback") and "4 commits older" in behind.note and behind.commits == []


async def test_compare_unknown_sha_is_not_found(respx_mock: respx.MockRouter, http, context) -> None:
    route = respx_mock.get(f"{API}/repos/acme/shop/compare/{SHA[1]}...{SHA[7]}")
    route.respond(404, json={"message": f"No commit found for SHA: {SHA[7]}", "documentation_url": "https://docs"})
    with pytest.raises(NotFoundError) as info:
        await make(http, context).get_changes("acme/shop", SHA[1], SHA[7])
    assert f"no commit {SHA[7][:12]}" in info.value.message and SHA[1][:12] not in info.value.message
    assert "force push" in info.value.hint and TOKEN not in str(info.value)
    route.respond(404, json={"message": "Not Found", "documentation_url": "https://docs", "status": "404"})
    with pytest.raises(NotFoundError, match=f"{SHA[1][:12]} or {SHA[7][:12]}"):
        await make(http, context).get_changes("acme/shop", SHA[1], SHA[7])


async def test_compare_of_unconfigured_repo(http, context) -> None:
    with pytest.raises(NotFoundError, match="not configured"):
        await make(http, context).get_changes("acme/other", SHA[1], SHA[2])


# An hour ahead, read back against the clock when the test runs (collection may be minutes earlier).
RESET = str(int(time.time()) + 3600)
FAULTS = [
    pytest.param(
        httpx.ConnectError("[Errno 111] Connection refused"), UnavailableError, "connection refused", "down", id="down"
    ),
    pytest.param(httpx.ReadTimeout("timed out"), BackendTimeoutError, "ReadTimeout", "slow", id="timeout"),
    pytest.param(httpx.Response(502, text="<html>Bad gateway</html>"), UnavailableError, "HTTP 502", "down", id="502"),
    pytest.param(
        httpx.Response(200, text="<!doctype html><title>Sign in</title>"),
        BadResponseError,
        "Sign in",
        "login page",
        id="html",
    ),
    pytest.param(
        httpx.Response(401, json={"message": "Bad credentials", "documentation_url": "https://docs"}),
        AuthError,
        "Bad credentials",
        "expired or revoked",
        id="401",
    ),
    pytest.param(
        httpx.Response(
            403,
            json={"message": "API rate limit exceeded for user ID 1."},
            headers={
                "x-ratelimit-limit": "5000",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": RESET,
                "x-ratelimit-resource": "core",
            },
        ),
        RateLimitedError,
        "rate limit exceeded",
        "Wait",
        id="403-rate-limit",
    ),
    pytest.param(
        httpx.Response(429, json={"message": "Too many requests"}, headers={"retry-after": "30"}),
        RateLimitedError,
        "HTTP 429",
        "Wait",
        id="429",
    ),
    pytest.param(
        httpx.Response(403, json={"message": "Resource not accessible by personal access token"}),
        AuthError,
        "not accessible",
        "'Deployments' repository permission",
        id="403-permission",
    ),
    pytest.param(
        httpx.Response(
            403,
            json={"message": "Resource protected by organization SAML enforcement."},
            headers={"x-github-sso": "required; url=https://github.com/orgs/acme/sso"},
        ),
        AuthError,
        "SAML",
        "single sign-on",
        id="403-sso",
    ),
    pytest.param(
        httpx.Response(404, json={"message": "Not Found", "documentation_url": "https://docs"}),
        NotFoundError,
        "Not Found",
        "private repository",
        id="404-repo",
    ),
    pytest.param(
        httpx.Response(200, json={"message": "not a list"}), BadResponseError, "JSON list", "api_url", id="wrong-shape"
    ),
]


@pytest.mark.parametrize(("effect", "error", "upstream", "hint"), FAULTS)
async def test_list_deploys_faults(
    respx_mock: respx.MockRouter, http, context, effect: object, error: type[AdapterError], upstream: str, hint: str
) -> None:
    respx_mock.get(f"{API}/repos/acme/shop/deployments").mock(side_effect=[effect])
    with pytest.raises(error) as info:
        await make(http, context).list_deploys(WINDOW)
    text = str(info.value)
    assert type(info.value) is error
    assert "GET /repos/acme/shop/deployments environment=production page=1" in text
    assert upstream in text and hint in info.value.hint
    assert TOKEN not in text
    if isinstance(info.value, RateLimitedError):
        assert info.value.retry_after == pytest.approx(expected_wait(effect), abs=2)


def expected_wait(response: object) -> float:
    """The seconds a rate-limited response tells a caller to wait: the reset time, else retry-after."""
    assert isinstance(response, httpx.Response)
    reset = response.headers.get("x-ratelimit-reset")
    return float(reset) - time.time() if reset else float(response.headers["retry-after"])


async def test_actions_permission_hint_names_actions(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{API}/repos/acme/shop/actions/workflows/deploy.yml/runs").respond(
        403, json={"message": "Resource not accessible by personal access token"}
    )
    with pytest.raises(AuthError) as info:
        await make(http, context, mode="actions", workflow="deploy.yml").list_deploys(WINDOW)
    assert "'Actions' repository permission" in info.value.hint


async def test_echoed_token_is_masked(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{API}/repos/acme/shop/deployments").respond(401, json={"message": f"bad token {TOKEN}"})
    with pytest.raises(AuthError) as info:
        await make(http, context).list_deploys(WINDOW)
    assert TOKEN not in str(info.value) and "***" in str(info.value)


async def test_next_link_to_another_host_is_refused(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{API}/repos/acme/shop/deployments").respond(
        json=PAGE_1[:1], headers={"Link": '<https://evil.example/steal?page=2>; rel="next"'}
    )
    elsewhere = respx_mock.get("https://evil.example/steal")
    with pytest.raises(BadResponseError, match="leaves https://api.github.com"):
        await make(http, context).list_deploys(WINDOW)
    assert not elsewhere.called


async def test_page_cap_notes_truncation(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{API}/repos/acme/shop/deployments").respond(json=PAGE_1[1:2], headers={"Link": NEXT_2})
    page_2 = respx_mock.get(f"{API}/repositories/42/deployments")
    respx_mock.get(f"{API}/repos/acme/shop/deployments/105/statuses").respond(json=STATUSES[5])
    config = {"token": TOKEN, "max_pages": 1, "repos": [{"repo": "acme/shop", "service": "checkout"}]}
    deploys = await GitHubAdapter("gh", GitHubConfig.model_validate(config), http, context).list_deploys(WINDOW)
    assert [d.id[-3:] for d in deploys] == ["105"] and "history cut at 1 pages" in deploys[0].detail
    assert not page_2.called


async def test_page_cap_without_any_deploy_fails(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{API}/repos/acme/shop/deployments").respond(json=PAGE_1[:1], headers={"Link": NEXT_2})
    config = {"token": TOKEN, "max_pages": 1, "repos": [{"repo": "acme/shop", "service": "checkout"}]}
    with pytest.raises(QueryError, match="more than 1 pages") as info:
        await GitHubAdapter("gh", GitHubConfig.model_validate(config), http, context).list_deploys(WINDOW)
    assert "max_pages" in info.value.hint  # never a silent "no deploys"


async def test_stale_pending_deployment_and_duplicates(respx_mock: respx.MockRouter, http, context) -> None:
    # 5 appears on both pages (a new deployment pushed it down); 1 never reported anything.
    respx_mock.get(f"{API}/repos/acme/shop/deployments").respond(json=PAGE_1[1:2], headers={"Link": NEXT_2})
    respx_mock.get(f"{API}/repositories/42/deployments").respond(
        json=[PAGE_1[1], deployment(1, "2026-03-14T01:00:00Z"), deployment(0, "2026-03-13T23:00:00Z")]
    )
    statuses = {5: STATUSES[5], 1: [], 0: [status(1, "success", "2026-03-13T23:05:00Z")]}
    routes = {
        n: respx_mock.get(f"{API}/repos/acme/shop/deployments/{100 + n}/statuses").respond(json=body)
        for n, body in statuses.items()
    }
    deploys = await make(http, context).list_deploys(WINDOW)
    assert [d.id[-3:] for d in deploys] == ["105"]  # 101 is pending for ever: left out
    assert deploys[0].previous_sha == SHA[0] and routes[5].call_count == 1


async def test_unknown_workflow_is_not_found(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{API}/repos/acme/shop/actions/workflows/deploy.yml/runs").respond(
        404, json={"message": "Not Found", "documentation_url": "https://docs"}
    )
    with pytest.raises(NotFoundError, match="no workflow deploy.yml of acme/shop") as info:
        await make(http, context, mode="actions", workflow="deploy.yml").list_deploys(WINDOW)
    assert "private repository" in info.value.hint


async def test_enterprise_urls(respx_mock: respx.MockRouter, http, context) -> None:
    ghes = "https://github.acme.internal/api/v3"
    respx_mock.get(f"{ghes}/repos/acme/shop/deployments").respond(json=[deployment(5, "2026-03-14T03:00:00Z")])
    respx_mock.get(f"{ghes}/repos/acme/shop/deployments/105/statuses").respond(
        json=[status(1, "success", "2026-03-14T03:05:00Z")]
    )
    config = {"api_url": ghes, "token": TOKEN, "repos": [{"repo": "acme/shop", "service": "checkout"}]}
    (deploy,) = await GitHubAdapter("ghes", GitHubConfig.model_validate(config), http, context).list_deploys(WINDOW)
    assert deploy.link == f"https://github.acme.internal/acme/shop/commit/{SHA[5]}"  # no status link: the commit


RATE_LIMIT = {  # GET /rate_limit
    "resources": {
        "core": {"limit": 5000, "used": 13, "remaining": 4987, "reset": 1773457200},
        "search": {"limit": 30, "used": 0, "remaining": 30, "reset": 1773457200},
    },
    "rate": {"limit": 5000, "used": 13, "remaining": 4987, "reset": 1773457200},
}


async def test_check_reports_rate_limit_and_repos(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{API}/rate_limit").respond(json=RATE_LIMIT)
    repo = respx_mock.get(f"{API}/repos/acme/shop").respond(json={"id": 42, "full_name": "acme/shop"})
    answer = await make(http, context).check()
    assert "4,987 of 5,000 requests left" in answer and "1 repos readable" in answer and repo.called
    repo.respond(404, json={"message": "Not Found"})
    with pytest.raises(NotFoundError, match="acme/shop"):
        await make(http, context).check()


@pytest.mark.parametrize(
    ("repo", "problem"),
    [
        pytest.param({"repo": "shop", "service": "x"}, "owner/name", id="repo-format"),
        pytest.param({"repo": "acme/shop"}, "which service", id="no-service"),
        pytest.param({"repo": "acme/shop", "mode": "actions", "service": "x"}, "workflow", id="actions-no-workflow"),
        pytest.param({"repo": "acme/shop", "service": "x", "workflow": "d.yml"}, "actions only", id="workflow-mode"),
    ],
)
def test_config_errors(repo: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem) as info:
        GitHubConfig.model_validate({"token": TOKEN, "repos": [repo]})
    assert TOKEN not in str(info.value)


def test_config_refuses_credentials_in_url() -> None:
    with pytest.raises(ValidationError, match="must not contain credentials") as info:
        GitHubConfig.model_validate(
            {"api_url": f"https://x:{TOKEN}@api.github.com", "repos": [{"repo": "acme/shop", "service": "x"}]}
        )
    assert TOKEN not in str(info.value)


async def test_codeowners_from_the_contents_api(respx_mock: respx.MockRouter, http, context) -> None:
    import base64

    respx_mock.get(f"{API}/repos/acme/shop/contents/.github/CODEOWNERS").mock(
        return_value=httpx.Response(404, json={"message": "Not Found", "documentation_url": "https://docs.github.com"})
    )
    text = "services/pay/ @acme/payments\n"
    respx_mock.get(f"{API}/repos/acme/shop/contents/CODEOWNERS").mock(
        return_value=httpx.Response(
            200,
            json={
                "type": "file",
                "encoding": "base64",
                "size": len(text),
                "name": "CODEOWNERS",
                "path": "CODEOWNERS",
                "content": base64.b64encode(text.encode()).decode() + "\n",
                "sha": "3d21ec53a331a6f037a91c368710b99387d012c1",
            },
        )
    )
    assert await make(http, context).codeowners("acme/shop") == text
