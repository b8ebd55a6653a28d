"""Conformance cases of the vendor APIs with meanings of their own: GitHub, Argo CD, Slack, Statuspage writes.

Each gets the shipped suite's standard failures (``adapters.testing.HTTP_FAULTS``) and the failures its vendor answers
in its own way (GitHub's 403 rate limit, Slack's ``{"ok": false}``, Statuspage's 422), with
payloads from tests/unit/adapters.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
import test_argocd as argo_api
import test_github as github_api
import test_loki as loki_api
import test_slack as slack_api
import test_statuspage_write as statuspage_api

from adapters.errors import AuthError, BadResponseError, NotFoundError, QueryError, RateLimitedError
from adapters.loki import BUILDINFO_PATH, QUERY_PATH
from adapters.testing import UPDATE, ConformanceCase, Env, Fault, Limit, answer, json_route

# --- github -----------------------------------------------------------------------------------------

GH = github_api.API
SHA = github_api.SHA


def _github_backend(env: Env) -> None:
    # The first page holds deployment 6, created after the window: the window check sees it left out.
    env.data["routes"] = github_api.mock_deployments(env.router)
    compare = github_api.comparison("ahead", files=github_api.FILES)
    env.router.get(f"{GH}/repos/acme/shop/compare/{SHA[1]}...{SHA[3]}").respond(json=compare)
    env.router.get(f"{GH}/rate_limit").respond(json=github_api.RATE_LIMIT)
    env.router.get(f"{GH}/repos/acme/shop").respond(json={"id": 42, "full_name": "acme/shop"})


async def _github_max_pages(adapter: Any, env: Env) -> None:
    deploys = await adapter.list_deploys(env.window)
    routes = env.data["routes"]
    assert routes["page1"].called and not routes["page2"].called  # max_pages: 1
    assert "history cut at 1 pages" in deploys[0].detail  # the oldest says earlier ones may be missing


def _github_rate_limited() -> httpx.Response:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": github_api.RESET, "x-ratelimit-limit": "5000"}
    return httpx.Response(403, json={"message": "API rate limit exceeded for user ID 1."}, headers=headers)


GITHUB = ConformanceCase(
    entry_point="github",
    url_setting="api_url",
    deadline_setting="timeout_s",
    settings=lambda env: {"token": github_api.TOKEN, "repos": [{"repo": "acme/shop", "service": "checkout"}]},
    backend=_github_backend,
    faults=(
        Fault("403-rate-limit", answer(_github_rate_limited), RateLimitedError),
        Fault(
            "403-permission",
            answer(lambda: httpx.Response(403, json={"message": "Resource not accessible"})),
            AuthError,
        ),
        Fault("404", answer(lambda: httpx.Response(404, json={"message": "Not Found"})), NotFoundError),
    ),
    limits=(Limit("max-pages", _github_max_pages, {"max_pages": 1}),),
    args={"knows": lambda env: ("acme/shop",), "get_changes": lambda env: ("acme/shop", SHA[1], SHA[3])},
)

# --- argocd -------------------------------------------------------------------------------------------

ARGO = argo_api.URL


def _argocd_backend(env: Env) -> None:
    # HISTORY[0] synced the day before the window: the window check sees it left out.
    running = argo_api.operation_state("Running", argo_api.SHA[4])
    app = argo_api.application("checkout", history_=argo_api.HISTORY, operation=running)
    env.router.get(f"{ARGO}/api/v1/applications/checkout").respond(json=app)
    env.router.get(f"{ARGO}/api/version").respond(json=argo_api.VERSION)


ARGOCD = ConformanceCase(
    entry_point="argocd",
    url_setting="url",
    deadline_setting="timeout_s",
    settings=lambda env: {"url": ARGO, "token": argo_api.TOKEN, "applications": [{"name": "checkout"}]},
    backend=_argocd_backend,
    faults=(
        Fault("403", answer(lambda: httpx.Response(403, json={"error": "permission denied", "code": 7})), AuthError),
        Fault(
            "404-application",
            json_route(
                f"{ARGO}/api/v1/applications/checkout", {"error": 'applications "checkout" not found'}, status=404
            ),
            NotFoundError,
            methods=("list_deploys",),
        ),
    ),
)

# --- slack ----------------------------------------------------------------------------------------------

SLACK = slack_api.API
PARENT = slack_api.message("1773457260.000200", "errors up on checkout", thread_ts="1773457260.000200", reply_count=1)
REPLY = slack_api.message("1773457320.000400", "db connections maxed", user="U2", thread_ts=PARENT["ts"])
MESSAGES = [slack_api.message("1773457500.000300", "rolling back checkout v42"), PARENT]


def _slack_backend(env: Env) -> None:
    env.router.get(f"{SLACK}/conversations.history").respond(json=slack_api.page(MESSAGES))
    env.router.get(f"{SLACK}/conversations.replies").respond(json=slack_api.page([PARENT, REPLY]))
    env.router.post(f"{SLACK}/chat.postMessage").respond(json=slack_api.POSTED)
    env.router.post(f"{SLACK}/auth.test").respond(json=slack_api.AUTH_TEST)


def _slack_refuses(code: str) -> Any:
    return answer(lambda: httpx.Response(200, json={"ok": False, "error": code}))


def _slack_odd_ts(env: Env) -> None:
    env.router.get(f"{SLACK}/conversations.history").respond(json=slack_api.page([slack_api.message("1e9", "odd")]))
    env.router.post(f"{SLACK}/chat.postMessage").respond(json={**slack_api.POSTED, "ts": "soon"})


async def _slack_max_pages(adapter: Any, env: Env) -> None:
    route = env.router.get(f"{SLACK}/conversations.history").respond(json=slack_api.page(MESSAGES[:1], "bmV4dA=="))
    read = await adapter.history("C0INCIDENT", env.oldest, None)
    assert route.call_count == 1 and not read.complete and len(read.messages) == 1


SLACK_CASE = ConformanceCase(
    entry_point="slack",
    url_setting="api_url",
    deadline_setting="timeout_s",
    settings=lambda env: {"token": slack_api.TOKEN, "workspace_url": "https://acme.slack.com"},
    backend=_slack_backend,
    faults=(
        Fault("invalid_auth", _slack_refuses("invalid_auth"), AuthError),
        Fault(
            "channel_not_found", _slack_refuses("channel_not_found"), NotFoundError, methods=("history", "post_message")
        ),
        Fault("ratelimited", _slack_refuses("ratelimited"), RateLimitedError),
        Fault("ts-not-a-slack-ts", _slack_odd_ts, BadResponseError, methods=("history", "post_message")),
    ),
    limits=(Limit("max-pages", _slack_max_pages, {"max_pages": 1}),),
)

# --- statuspage_api ---------------------------------------------------------------------------------------

INCIDENTS = statuspage_api.INCIDENTS
PAGE_URL = f"{statuspage_api.API}/pages/{statuspage_api.PAGE}"


def _statuspage_api_backend(env: Env) -> None:
    created = statuspage_api.incident("p31zjtct2jer", "investigating", ("investigating", "2026-03-14T03:07:05.000Z"))
    env.data["create"] = env.router.post(INCIDENTS).respond(201, json=created)
    env.router.get(PAGE_URL).respond(json=statuspage_api.PAGE_INFO)


def _zoneless_time(env: Env) -> None:
    created = statuspage_api.incident("p31zjtct2jer", "investigating", ("investigating", "2026-03-14T03:07:05"))
    env.router.post(INCIDENTS).respond(201, json=created)


async def _no_notifications(adapter: Any, env: Env) -> None:
    await adapter.post_update(UPDATE)
    sent = json.loads(env.data["create"].calls.last.request.content)
    assert sent["incident"]["deliver_notifications"] is False  # the default: subscribers are not notified


async def _unknown_component(adapter: Any, env: Env) -> None:
    with pytest.raises(QueryError, match="Search"):
        await adapter.post_update(UPDATE.model_copy(update={"components": {"Search": "major_outage"}}))
    assert not env.router.calls  # refused before anything is sent


STATUSPAGE_API = ConformanceCase(
    entry_point="statuspage_api",
    url_setting="api_url",
    deadline_setting="timeout_s",
    settings=lambda env: {
        "page_id": statuspage_api.PAGE,
        "api_key": statuspage_api.KEY,
        "components": statuspage_api.COMPONENTS,
    },
    backend=_statuspage_api_backend,
    faults=(
        Fault("422", answer(lambda: httpx.Response(422, json={"error": ["Body can't be blank"]})), QueryError),
        Fault("404", answer(lambda: httpx.Response(404, json={"error": "Could not find record"})), NotFoundError),
        Fault("420", answer(lambda: httpx.Response(420, json={"error": "Enhance your calm"})), RateLimitedError),
        Fault(
            "update-time-without-zone",
            _zoneless_time,
            None,
            methods=("post_update",),
            expect=lambda result: result.remote_id == "p31zjtct2jer",
        ),
    ),
    limits=(
        Limit("no-notifications-by-default", _no_notifications),
        Limit("unknown-component-sends-nothing", _unknown_component),
    ),
)

# --- loki ------------------------------------------------------------------------------------------------

LOKI = loki_api.URL


def _loki_backend(env: Env) -> None:
    inside = env.window.end - timedelta(minutes=1)
    env.router.get(f"{LOKI}{QUERY_PATH}").respond(
        json=loki_api.streams(({"service": "checkout"}, [[loki_api.ns(inside), "error: pool timeout"]]))
    )
    env.router.get(f"{LOKI}{BUILDINFO_PATH}").respond(json={"version": "3.1.0"})


async def _loki_line_cap(adapter: Any, env: Env) -> None:
    page = [[loki_api.ns(env.window.end - timedelta(seconds=n)), f"error {n}"] for n in range(5)]
    route = env.router.get(f"{LOKI}{QUERY_PATH}").respond(json=loki_api.streams(({"service": "checkout"}, page)))
    result = await adapter.query_logs('{service="checkout"}', env.window, 1_000)
    assert route.calls.last.request.url.params["limit"] == "5" and len(result.lines) == 5 and not result.complete


LOKI_CASE = ConformanceCase(
    entry_point="loki",
    url_setting="url",
    deadline_setting="timeout_s",
    settings=lambda env: {"url": LOKI, "tenant_id": "team-a"},
    backend=_loki_backend,
    faults=(
        Fault(
            "metric-query",
            json_route(f"{LOKI}{QUERY_PATH}", {"status": "success", "data": {"resultType": "matrix", "result": []}}),
            QueryError,
            methods=("query_logs",),
        ),
        Fault("400-parse-error", answer(lambda: httpx.Response(400, text="parse error at line 1")), QueryError),
    ),
    limits=(Limit("max-lines", _loki_line_cap, {"max_lines": 5}),),
)
