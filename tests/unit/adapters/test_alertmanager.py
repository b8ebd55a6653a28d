"""AlertmanagerAdapter against respx, with payloads shaped as Alertmanager's v2 OpenAPI ``gettableAlerts``."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import pytest
import respx

from adapters.alertmanager import AlertmanagerAdapter, AlertmanagerConfig
from adapters.errors import (
    AdapterError,
    AuthError,
    BackendTimeoutError,
    BadResponseError,
    RateLimitedError,
    UnavailableError,
)

pytestmark = pytest.mark.anyio

URL = "http://am.test:9093"
TOKEN = "am-secret-token-1"
AT = datetime(2026, 3, 14, 3, 7, tzinfo=UTC)


def gettable_alert(name: str, starts: str, state: str = "active", **labels: str) -> dict[str, object]:
    return {
        "annotations": {"summary": f"{name} summary", "runbook_url": "https://runbooks.example/x"},
        "endsAt": "2026-03-14T03:30:00.000Z",
        "fingerprint": f"fp-{name}",
        "receivers": [{"name": "pager"}],
        "startsAt": starts,
        "status": {"inhibitedBy": [], "silencedBy": ["a1b2"] if state == "suppressed" else [], "state": state},
        "updatedAt": "2026-03-14T03:06:30.123456789Z",
        "generatorURL": f"http://prometheus:9090/graph?g0.expr={name}&g0.tab=1",
        "labels": {"alertname": name, **labels},
    }


PAYLOAD = [
    gettable_alert("HighErrorRate", "2026-03-14T03:01:00.000Z", service="checkout", severity="page"),
    {
        **gettable_alert("DiskFilling", "2026-03-14T02:00:00Z", "suppressed", severity="warning", instance="db-1"),
        "annotations": {"description": "Disk on db-1 fills in 4h"},
    },
    gettable_alert("LateOne", "2026-03-14T03:10:00Z", "unprocessed", service="cart"),
]

STATUS = {  # GET /api/v2/status (alertmanagerStatus)
    "cluster": {"name": "01HX", "peers": [], "status": "disabled"},
    "config": {"original": "route:\n  receiver: null\n"},
    "uptime": "2026-03-14T01:00:00.000Z",
    "versionInfo": {
        "branch": "HEAD",
        "buildDate": "20230313-11:21:56",
        "buildUser": "root@abc",
        "goVersion": "go1.20.2",
        "revision": "258fab7cdd551f2cf251ed0348f0ad7289aee789",
        "version": "0.25.0",
    },
}


def make(http: httpx.AsyncClient, context, **settings: object) -> AlertmanagerAdapter:
    config = AlertmanagerConfig.model_validate({"url": URL, "bearer_token": TOKEN, **settings})
    return AlertmanagerAdapter("am", config, http, context)


async def test_list_alerts_maps_v2_alerts(respx_mock: respx.MockRouter, http, context) -> None:
    route = respx_mock.get(f"{URL}/api/v2/alerts").respond(json=PAYLOAD)
    alerts = await make(http, context).list_alerts(AT)
    assert [a.name for a in alerts] == ["DiskFilling", "HighErrorRate"]  # LateOne starts after AT; oldest first
    disk, high = alerts
    assert high.state == "firing" and high.severity == "page" and high.service == "checkout"
    assert high.summary == "HighErrorRate summary"
    assert high.starts_at == datetime(2026, 3, 14, 3, 1, tzinfo=UTC)
    assert high.ends_at == datetime(2026, 3, 14, 3, 30, tzinfo=UTC)
    assert high.fingerprint == "fp-HighErrorRate"
    assert high.link.startswith("http://prometheus:9090/graph")
    assert high.labels["alertname"] == "HighErrorRate"
    assert disk.state == "suppressed" and disk.summary == "Disk on db-1 fills in 4h" and disk.service == ""
    params = route.calls.last.request.url.params
    assert (params["active"], params["silenced"], params["inhibited"]) == ("true", "true", "true")


async def test_unprocessed_alert_is_firing_and_kept_when_started(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{URL}/api/v2/alerts").respond(json=PAYLOAD)
    alerts = await make(http, context).list_alerts(datetime(2026, 3, 14, 3, 15, tzinfo=UTC))
    late = next(a for a in alerts if a.name == "LateOne")
    assert late.state == "firing" and late.service == "cart"


async def test_custom_service_label(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{URL}/api/v2/alerts").respond(json=PAYLOAD)
    alerts = await make(http, context, service_label="instance").list_alerts(AT)
    assert {a.name: a.service for a in alerts} == {"DiskFilling": "db-1", "HighErrorRate": ""}


async def test_unknown_state_is_a_bad_response(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{URL}/api/v2/alerts").respond(json=[gettable_alert("X", "2026-03-14T03:00:00Z", "weird")])
    with pytest.raises(BadResponseError, match="alert #0") as info:
        await make(http, context).list_alerts(AT)
    assert "GET /api/v2/alerts" in str(info.value)


async def test_object_instead_of_list_is_a_bad_response(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{URL}/api/v2/alerts").respond(json={"status": "success", "data": []})  # the removed v1 API
    with pytest.raises(BadResponseError, match="list of alerts"):
        await make(http, context).list_alerts(AT)


FAULTS = [
    pytest.param(
        httpx.ConnectError("[Errno 111] Connection refused"), UnavailableError, "connection refused", id="down"
    ),
    pytest.param(httpx.ReadTimeout("timed out"), BackendTimeoutError, "ReadTimeout", id="timeout"),
    pytest.param(httpx.Response(500, text="boom"), UnavailableError, "HTTP 500", id="500"),
    pytest.param(
        httpx.Response(200, text="<!doctype html><title>Sign in</title>"), BadResponseError, "Sign in", id="html"
    ),
    pytest.param(httpx.Response(401, json={"message": "invalid token"}), AuthError, "invalid token", id="401"),
    pytest.param(httpx.Response(429, headers={"Retry-After": "30"}), RateLimitedError, "HTTP 429", id="429"),
]


@pytest.mark.parametrize(("effect", "error", "upstream"), FAULTS)
async def test_list_alerts_faults(
    respx_mock: respx.MockRouter, http, context, effect: object, error: type[AdapterError], upstream: str
) -> None:
    respx_mock.get(f"{URL}/api/v2/alerts").mock(side_effect=[effect])
    with pytest.raises(error) as info:
        await make(http, context).list_alerts(AT)
    text = str(info.value)
    assert type(info.value) is error
    assert "GET /api/v2/alerts" in text and "at=2026-03-14T03:07:00Z" in text
    assert upstream in text
    assert TOKEN not in text
    if isinstance(info.value, RateLimitedError):
        assert info.value.retry_after == 30.0


async def test_basic_auth_and_tenant_reach_the_request(respx_mock: respx.MockRouter, http, context) -> None:
    route = respx_mock.get(f"{URL}/api/v2/alerts").respond(json=[])
    config = AlertmanagerConfig(url=URL, username="am", password="pw-123456", tenant_id="tenant-7")
    assert await AlertmanagerAdapter("am", config, http, context).list_alerts(AT) == []
    headers = route.calls.last.request.headers
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"am:pw-123456").decode()
    assert headers["X-Scope-OrgID"] == "tenant-7"


async def test_bearer_reaches_the_request(respx_mock: respx.MockRouter, http, context) -> None:
    route = respx_mock.get(f"{URL}/api/v2/alerts").respond(json=[])
    await make(http, context).list_alerts(AT)
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_check_reports_version(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{URL}/api/v2/status").respond(json=STATUS)
    assert (await make(http, context).check()).startswith("Alertmanager 0.25.0")


async def test_check_without_version_is_a_bad_response(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{URL}/api/v2/status").respond(json={"uptime": "x"})
    with pytest.raises(BadResponseError, match="versionInfo"):
        await make(http, context).check()
