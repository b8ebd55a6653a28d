"""ArgoCDAdapter against respx, with payloads shaped as Argo CD's swagger ``v1alpha1Application``."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx
from pydantic import ValidationError

from adapters.argocd import ArgoCDAdapter, ArgoCDConfig, repo_name
from adapters.errors import (
    AdapterError,
    AuthError,
    BackendTimeoutError,
    BadResponseError,
    NotFoundError,
    UnavailableError,
)
from adapters.models import TimeWindow

pytestmark = pytest.mark.anyio

URL = "https://argocd.test"
TOKEN = "argocd-secret-token-1"
WINDOW = TimeWindow(start=datetime(2026, 3, 14, 2, 0, tzinfo=UTC), end=datetime(2026, 3, 14, 3, 7, tzinfo=UTC))
SHA = {n: f"{n:x}" * 40 for n in range(1, 6)}
SOURCE = {"repoURL": "https://github.com/acme/checkout-deploy.git", "path": "k8s/prod", "targetRevision": "main"}


def history(hid: int, sha: str, started: str, deployed: str, **initiated: object) -> dict[str, object]:
    return {
        "revision": sha,
        "deployedAt": deployed,
        "id": hid,
        "source": SOURCE,
        "deployStartedAt": started,
        "initiatedBy": initiated or {"automated": True},
    }


def application(
    name: str,
    *,
    history_: list[dict[str, object]],
    operation: dict[str, object] | None = None,
    health: str = "Healthy",
    sync: str = "Synced",
) -> dict[str, object]:
    status: dict[str, object] = {
        "resources": [
            {
                "group": "apps",
                "version": "v1",
                "kind": "Deployment",
                "namespace": "shop",
                "name": name,
                "status": sync,
                "health": {"status": health},
            }
        ],
        "sync": {
            "status": sync,
            "comparedTo": {"source": SOURCE, "destination": {"namespace": "shop"}},
            "revision": history_[-1]["revision"] if history_ else "",
        },
        "health": {"status": health},
        "history": history_,
        "reconciledAt": "2026-03-14T03:06:00Z",
        "sourceType": "Kustomize",
        "summary": {"images": [f"ghcr.io/acme/{name}:1.2.3"]},
    }
    if operation is not None:
        status["operationState"] = operation
    return {
        "metadata": {
            "name": name,
            "namespace": "argocd",
            "uid": "5d3c",
            "resourceVersion": "123",
            "creationTimestamp": "2025-01-01T00:00:00Z",
        },
        "spec": {
            "project": "shop",
            "source": SOURCE,
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "shop"},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
        "status": status,
    }


HISTORY = [
    history(11, SHA[1], "2026-03-13T20:00:00Z", "2026-03-13T20:02:00Z"),
    history(12, SHA[2], "2026-03-14T02:10:00Z", "2026-03-14T02:12:30Z", username="alice"),
    history(13, SHA[3], "2026-03-14T02:40:00Z", "2026-03-14T02:41:10Z"),
]


def operation_state(phase: str, revision: str, *, message: str = "", finished: str | None = None) -> dict[str, object]:
    state: dict[str, object] = {
        "operation": {
            "sync": {"revision": revision, "syncStrategy": {"hook": {}}},
            "initiatedBy": {"username": "bob"},
            "retry": {},
        },
        "phase": phase,
        "message": message,
        "syncResult": {"resources": [], "revision": revision, "source": SOURCE},
        "startedAt": "2026-03-14T03:00:00Z",
    }
    if finished:
        state["finishedAt"] = finished
    return state


def make(http: httpx.AsyncClient, context, *apps: dict[str, object]) -> ArgoCDAdapter:
    config = ArgoCDConfig.model_validate(
        {"url": URL, "token": TOKEN, "applications": list(apps) or [{"name": "checkout", "environment": "prod"}]}
    )
    return ArgoCDAdapter("argocd", config, http, context)


async def test_history_entries_are_succeeded_deploys(respx_mock: respx.MockRouter, http, context) -> None:
    app = application("checkout", history_=HISTORY)
    route = respx_mock.get(f"{URL}/api/v1/applications/checkout").respond(json=app)
    deploys = await make(http, context).list_deploys(WINDOW)
    assert [d.id for d in deploys] == ["checkout#12", "checkout#13"]  # #11 finished before the window
    twelve, thirteen = deploys
    assert (twelve.status, twelve.sha, twelve.previous_sha, twelve.version) == ("succeeded", SHA[2], SHA[1], SHA[2][:7])
    assert twelve.started_at == datetime(2026, 3, 14, 2, 10, tzinfo=UTC)
    assert twelve.finished_at == datetime(2026, 3, 14, 2, 12, 30, tzinfo=UTC)
    assert (twelve.author, thirteen.author) == ("alice", "automated sync")
    assert thirteen.previous_sha == SHA[2] and thirteen.previous_version == SHA[2][:7]
    assert {(d.repo, d.service, d.environment) for d in deploys} == {("acme/checkout-deploy", "checkout", "prod")}
    assert thirteen.link == f"{URL}/applications/checkout" and thirteen.source == "argocd" and thirteen.detail == ""
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_running_operation_is_in_progress(respx_mock: respx.MockRouter, http, context) -> None:
    running = operation_state("Running", SHA[4], message="waiting for healthy state of apps/Deployment/checkout")
    respx_mock.get(f"{URL}/api/v1/applications/checkout").respond(
        json=application("checkout", history_=HISTORY, operation=running, health="Progressing", sync="OutOfSync")
    )
    deploys = await make(http, context).list_deploys(WINDOW)
    op = deploys[-1]
    assert (op.id, op.status, op.sha, op.previous_sha) == (
        "checkout#op-2026-03-14T03:00:00Z",
        "in_progress",
        SHA[4],
        SHA[3],
    )
    assert op.finished_at is None and op.author == "bob"
    assert (
        op.detail == "sync running: waiting for healthy state of apps/Deployment/checkout; "
        "app now: health Progressing, sync OutOfSync"
    )
    assert deploys[-2].detail == ""  # the present state is noted on the newest deploy only


async def test_failed_operation_and_degraded_health(respx_mock: respx.MockRouter, http, context) -> None:
    failed = operation_state(
        "Failed", SHA[5], message="one or more objects failed to apply", finished="2026-03-14T03:01:30Z"
    )
    respx_mock.get(f"{URL}/api/v1/applications/checkout").respond(
        json=application("checkout", history_=HISTORY, operation=failed, health="Degraded")
    )
    op = (await make(http, context).list_deploys(WINDOW))[-1]
    assert (op.status, op.sha, op.previous_sha) == ("failed", SHA[5], SHA[3])
    assert op.finished_at == datetime(2026, 3, 14, 3, 1, 30, tzinfo=UTC)
    assert op.detail.startswith("sync failed: one or more objects") and op.detail.endswith("app now: health Degraded")


async def test_succeeded_operation_is_not_counted_twice(respx_mock: respx.MockRouter, http, context) -> None:
    done = operation_state("Succeeded", SHA[3], finished="2026-03-14T02:41:10Z")
    respx_mock.get(f"{URL}/api/v1/applications/checkout").respond(
        json=application("checkout", history_=HISTORY, operation=done, health="Degraded")
    )
    deploys = await make(http, context).list_deploys(WINDOW)
    assert [d.id for d in deploys] == ["checkout#12", "checkout#13"]
    assert deploys[-1].detail == "app now: health Degraded"


async def test_applications_read_concurrently_with_service_and_project(
    respx_mock: respx.MockRouter, http, context
) -> None:
    checkout = respx_mock.get(f"{URL}/api/v1/applications/checkout").respond(
        json=application("checkout", history_=HISTORY)
    )
    helm_source = {"repoURL": "https://charts.example.com", "chart": "cart", "targetRevision": "4.1.0"}
    cart_history = [{"revision": "4.1.0", "deployedAt": "2026-03-14T02:30:00Z", "id": 3, "source": helm_source}]
    cart = respx_mock.get(f"{URL}/api/v1/applications/cart-prod").respond(
        json=application("cart-prod", history_=cart_history)
    )
    adapter = make(
        http,
        context,
        {"name": "checkout"},
        {"name": "cart-prod", "service": "cart", "project": "shop", "namespace": "team-cart"},
    )
    deploys = await adapter.list_deploys(WINDOW)
    chart = next(d for d in deploys if d.service == "cart")
    # A Helm chart's revision is a version, not a commit: no sha, no repo, started when deployed.
    assert (chart.version, chart.sha, chart.repo, chart.started_at) == ("4.1.0", "", "", chart.finished_at)
    params = cart.calls.last.request.url.params
    assert (params["projects"], params["appNamespace"]) == ("shop", "team-cart")
    assert checkout.called and not checkout.calls.last.request.url.params


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/acme/shop.git", "acme/shop"),
        ("git@github.com:acme/shop.git", "acme/shop"),
        ("ssh://git@github.com/acme/shop", "acme/shop"),
        ("https://GitHub.com/acme/shop/", "acme/shop"),
        ("https://gitlab.example.com/group/sub/repo.git", "https://gitlab.example.com/group/sub/repo.git"),
        ("https://user:s3cret@git.example.com/a/b.git", "https://git.example.com/a/b.git"),
    ],
)
def test_repo_name(url: str, expected: str) -> None:
    assert repo_name(url, ["github.com"]) == expected


FAULTS = [
    pytest.param(
        httpx.ConnectError("[Errno 111] Connection refused"), UnavailableError, "connection refused", "down", id="down"
    ),
    pytest.param(httpx.ConnectTimeout("timed out"), BackendTimeoutError, "ConnectTimeout", "slow", id="timeout"),
    pytest.param(httpx.Response(503, text="upstream connect error"), UnavailableError, "HTTP 503", "down", id="503"),
    pytest.param(
        httpx.Response(200, text="<html><title>Argo CD</title></html>"),
        BadResponseError,
        "Argo CD",
        "login page",
        id="html",
    ),
    pytest.param(
        httpx.Response(
            404,
            json={
                "error": 'applications.argoproj.io "checkout" not found',
                "code": 5,
                "message": 'applications.argoproj.io "checkout" not found',
            },
        ),
        NotFoundError,
        'applications.argoproj.io "checkout" not found',
        "argocd app list",
        id="404",
    ),
    pytest.param(
        httpx.Response(403, json={"error": "permission denied", "code": 7, "message": "permission denied"}),
        AuthError,
        "permission denied",
        "applications, get, <project>/checkout",
        id="403",
    ),
    pytest.param(
        httpx.Response(401, json={"error": "invalid session: token has invalid claims: token is expired", "code": 16}),
        AuthError,
        "token is expired",
        "argocd account generate-token",
        id="401",
    ),
    pytest.param(
        httpx.Response(200, json={"metadata": {}, "status": "Synced"}),
        BadResponseError,
        "metadata, spec, status",
        "Argo CD server",
        id="wrong-shape",
    ),
]


@pytest.mark.parametrize(("effect", "error", "upstream", "hint"), FAULTS)
async def test_list_deploys_faults(
    respx_mock: respx.MockRouter, http, context, effect: object, error: type[AdapterError], upstream: str, hint: str
) -> None:
    respx_mock.get(f"{URL}/api/v1/applications/checkout").mock(side_effect=[effect])
    with pytest.raises(error) as info:
        await make(http, context).list_deploys(WINDOW)
    text = str(info.value)
    assert type(info.value) is error
    assert "GET /api/v1/applications/checkout" in text
    assert upstream in text and hint in info.value.hint
    assert TOKEN not in text


async def test_unknown_phase_is_a_bad_response(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{URL}/api/v1/applications/checkout").respond(
        json=application("checkout", history_=HISTORY, operation=operation_state("Exploded", SHA[4]))
    )
    with pytest.raises(BadResponseError, match="unknown operation phase"):
        await make(http, context).list_deploys(WINDOW)


VERSION = {  # GET /api/version
    "Version": "v2.10.4+f5d63a5",
    "BuildDate": "2024-03-18T13:46:16Z",
    "GitCommit": "f5d63a5",
    "GitTreeState": "clean",
    "GoVersion": "go1.21.3",
    "Compiler": "gc",
    "Platform": "linux/amd64",
}


async def test_check_reports_version_and_reads_apps(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{URL}/api/version").respond(json=VERSION)
    app = respx_mock.get(f"{URL}/api/v1/applications/checkout").respond(json=application("checkout", history_=[]))
    assert (await make(http, context).check()).startswith("Argo CD v2.10.4+f5d63a5 at https://argocd.test; 1 applic")
    app.respond(403, json={"error": "permission denied", "code": 7})
    with pytest.raises(AuthError, match="denied reading checkout"):
        await make(http, context).check()


async def test_check_against_a_wrong_url(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{URL}/api/version").respond(404, text="404 page not found")
    with pytest.raises(NotFoundError, match="no Argo CD API") as info:
        await make(http, context).check()
    assert "Argo CD server" in info.value.hint


def test_config_hides_token_and_refuses_url_credentials() -> None:
    with pytest.raises(ValidationError) as info:
        ArgoCDConfig.model_validate(
            {"url": f"https://admin:{TOKEN}@argocd.test", "token": TOKEN, "applications": [{"name": "x"}]}
        )
    assert TOKEN not in str(info.value)
    with pytest.raises(ValidationError, match="applications"):
        ArgoCDConfig.model_validate({"url": URL, "token": TOKEN, "applications": []})
