"""PrometheusAdapter against respx, with payloads shaped as https://prometheus.io/docs/prometheus/latest/querying/api/."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from pydantic import ValidationError

from adapters.base import AdapterContext
from adapters.errors import (
    AdapterError,
    AuthError,
    BackendTimeoutError,
    BadResponseError,
    QueryError,
    RateLimitedError,
    UnavailableError,
)
from adapters.models import SignalQuery, TimeWindow
from adapters.prometheus import PrometheusAdapter, PrometheusConfig
from mcp_server.config import format_validation_error

pytestmark = pytest.mark.anyio

URL = "http://prom.test:9090"
TOKEN = "s3cret-bearer-token"
AT = datetime(2026, 3, 14, 3, 7, tzinfo=UTC)
PROMQL = 'sum by (service) (rate(http_requests_total{service=~"cart|checkout"}[15m]))'
QUERY = SignalQuery(signal="requests", promql=PROMQL, range_seconds=900, services=("cart", "checkout"))
WINDOW = TimeWindow(start=AT - timedelta(hours=1), end=AT)
# Answers as the HTTP API documents them (also served by tests/conformance).
VECTOR = {
    "status": "success",
    "data": {
        "resultType": "vector",
        "result": [
            {"metric": {"service": "checkout"}, "value": [1773457620, "12.5"]},
            {"metric": {"service": "cart"}, "value": [1773457620, "NaN"]},
            {"metric": {"service": "search"}, "value": [1773457620, "+Inf"]},
        ],
    },
}
MATRIX = {
    "status": "success",
    "data": {
        "resultType": "matrix",
        "result": [
            {
                "metric": {"service": "checkout"},
                "values": [[1773454020, "1"], [1773454080, "-Inf"], [1773454140.5, "2.25"]],
            }
        ],
    },
}
BUILDINFO = {
    "status": "success",
    "data": {
        "version": "2.42.0",
        "revision": "225c61122d88b01d1f0eaaee0e05b6f3e0567ac0",
        "branch": "HEAD",
        "buildUser": "root@c67d48967507",
        "buildDate": "20230201-07:53:32",
        "goVersion": "go1.19.5",
    },
}


def make(http: httpx.AsyncClient, context: AdapterContext, **settings: object) -> PrometheusAdapter:
    config = PrometheusConfig.model_validate({"url": URL, "bearer_token": TOKEN, **settings})
    return PrometheusAdapter("prom", config, http, context)


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


async def test_instant_posts_form_and_parses_vector(respx_mock: respx.MockRouter, http, context) -> None:
    route = respx_mock.post(f"{URL}/api/v1/query").respond(json=VECTOR)
    samples = await make(http, context).instant(QUERY, AT)
    assert [(s.labels, s.value) for s in samples] == [
        ({"service": "checkout"}, 12.5),
        ({"service": "cart"}, None),
        ({"service": "search"}, None),
    ]
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(request)["query"] == PROMQL
    assert form(request)["time"] == "2026-03-14T03:07:00Z"
    assert "query" not in request.url.params  # the PromQL travels in the body, not the URL


async def test_instant_parses_scalar(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.post(f"{URL}/api/v1/query").respond(
        json={"status": "success", "data": {"resultType": "scalar", "result": [1773457620, "3"]}}
    )
    [sample] = await make(http, context).instant(QUERY, AT)
    assert sample.labels == {} and sample.value == 3.0


async def test_instant_range_vector_is_a_query_error(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.post(f"{URL}/api/v1/query").respond(
        json={"status": "success", "data": {"resultType": "matrix", "result": []}}
    )
    with pytest.raises(QueryError, match="range vector") as info:
        await make(http, context).instant(QUERY, AT)
    assert "rate(" in info.value.hint


async def test_range_posts_window_and_parses_matrix(respx_mock: respx.MockRouter, http, context) -> None:
    route = respx_mock.post(f"{URL}/api/v1/query_range").respond(json=MATRIX)
    [series] = await make(http, context).range(QUERY, WINDOW, timedelta(minutes=1))
    assert series.labels == {"service": "checkout"}
    assert [p.v for p in series.points] == [1.0, None, 2.25]
    assert series.points[0].t == datetime(2026, 3, 14, 2, 7, tzinfo=UTC)
    assert all(p.t.tzinfo is not None for p in series.points)
    sent = form(route.calls.last.request)
    assert sent["start"] == "2026-03-14T02:07:00Z"
    assert sent["end"] == "2026-03-14T03:07:00Z"
    assert sent["step"] == "60"
    assert sent["query"] == PROMQL


async def test_range_refuses_too_many_points_before_asking(respx_mock: respx.MockRouter, http, context) -> None:
    route = respx_mock.post(f"{URL}/api/v1/query_range")
    week = TimeWindow(start=AT - timedelta(days=7), end=AT)
    with pytest.raises(QueryError, match="11000") as info:
        await make(http, context).range(QUERY, week, timedelta(seconds=15))
    assert "step of at least" in info.value.hint
    assert not route.called


FAULTS = [
    pytest.param(
        httpx.ConnectError("[Errno 111] Connection refused"), UnavailableError, "connection refused", id="down"
    ),
    pytest.param(httpx.ReadTimeout("timed out"), BackendTimeoutError, "ReadTimeout", id="timeout"),
    pytest.param(httpx.Response(500, text="internal error"), UnavailableError, "HTTP 500", id="500"),
    pytest.param(
        httpx.Response(200, text="<html><body>Please log in</body></html>", headers={"Content-Type": "text/html"}),
        BadResponseError,
        "Please log in",
        id="html",
    ),
    pytest.param(httpx.Response(401, text=f"bad token {TOKEN}"), AuthError, "HTTP 401", id="401"),
    pytest.param(
        httpx.Response(
            400,
            json={"status": "error", "errorType": "bad_data", "error": 'invalid parameter "query": 1:5: parse error'},
        ),
        QueryError,
        "bad_data: invalid parameter",
        id="400-bad-data",
    ),
    pytest.param(
        httpx.Response(
            422, json={"status": "error", "errorType": "execution", "error": "many-to-many matching not allowed"}
        ),
        QueryError,
        "execution: many-to-many",
        id="422-execution",
    ),
]


@pytest.mark.parametrize(("effect", "error", "upstream"), FAULTS)
async def test_instant_faults_name_request_and_upstream(
    respx_mock: respx.MockRouter, http, context, effect: object, error: type[AdapterError], upstream: str
) -> None:
    respx_mock.post(f"{URL}/api/v1/query").mock(side_effect=[effect])
    with pytest.raises(error) as info:
        await make(http, context).instant(QUERY, AT)
    text = str(info.value)
    assert type(info.value) is error
    assert info.value.adapter == "prom"
    assert "POST /api/v1/query" in text and PROMQL in text and "2026-03-14T03:07:00Z" in text
    assert upstream in text
    assert TOKEN not in text and TOKEN not in repr(info.value)


async def test_range_timeout_names_window(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.post(f"{URL}/api/v1/query_range").mock(side_effect=httpx.ConnectTimeout("slow"))
    with pytest.raises(BackendTimeoutError) as info:
        await make(http, context, timeout_s=0.5).range(QUERY, WINDOW, timedelta(minutes=1))
    text = str(info.value)
    assert "start=2026-03-14T02:07:00Z end=2026-03-14T03:07:00Z step=60s" in text
    assert "0.5s" in text


async def test_429_carries_retry_after(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.post(f"{URL}/api/v1/query").respond(429, headers={"Retry-After": "7"}, text="slow down")
    with pytest.raises(RateLimitedError) as info:
        await make(http, context).instant(QUERY, AT)
    assert info.value.retry_after == 7.0
    assert "slow down" in str(info.value) and PROMQL in str(info.value)


async def test_error_status_with_http_200_is_a_query_error(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.post(f"{URL}/api/v1/query").respond(
        json={"status": "error", "errorType": "timeout", "error": "query timed out in expression evaluation"}
    )
    with pytest.raises(QueryError) as info:
        await make(http, context).instant(QUERY, AT)
    assert "timeout: query timed out in expression evaluation" in str(info.value)


async def test_missing_result_is_a_bad_response(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.post(f"{URL}/api/v1/query").respond(json={"status": "success", "data": {"resultType": "vector"}})
    with pytest.raises(BadResponseError, match="data"):
        await make(http, context).instant(QUERY, AT)


async def test_non_string_sample_value_is_a_bad_response(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.post(f"{URL}/api/v1/query").respond(
        json={"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, 2]}]}}
    )
    with pytest.raises(BadResponseError):
        await make(http, context).instant(QUERY, AT)


async def test_bearer_and_tenant_headers_reach_the_request(respx_mock: respx.MockRouter, http, context) -> None:
    route = respx_mock.post(f"{URL}/api/v1/query").respond(
        json={"status": "success", "data": {"resultType": "vector", "result": []}}
    )
    adapter = make(http, context, tenant_id="team-a", headers={"X-Extra": "yes"})
    assert await adapter.instant(QUERY, AT) == []
    headers = route.calls.last.request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["X-Scope-OrgID"] == "team-a"
    assert headers["X-Extra"] == "yes"


async def test_basic_auth_reaches_the_request(respx_mock: respx.MockRouter, http, context) -> None:
    route = respx_mock.post(f"{URL}/api/v1/query").respond(
        json={"status": "success", "data": {"resultType": "vector", "result": []}}
    )
    config = PrometheusConfig(url=URL, username="grafana", password="p4ssw0rd!")
    await PrometheusAdapter("prom", config, http, context).instant(QUERY, AT)
    expected = base64.b64encode(b"grafana:p4ssw0rd!").decode()
    assert route.calls.last.request.headers["Authorization"] == f"Basic {expected}"


async def test_password_echoed_by_backend_is_masked(respx_mock: respx.MockRouter, http, context) -> None:
    encoded = base64.b64encode(b"grafana:p4ssw0rd!").decode()
    echo = f"user grafana with password p4ssw0rd! (Authorization: Basic {encoded}) lacks access"
    respx_mock.post(f"{URL}/api/v1/query").respond(403, text=echo)
    config = PrometheusConfig(url=URL, username="grafana", password="p4ssw0rd!")
    with pytest.raises(AuthError) as info:
        await PrometheusAdapter("prom", config, http, context).instant(QUERY, AT)
    assert "p4ssw0rd!" not in str(info.value) and encoded not in str(info.value)
    assert "lacks access" in str(info.value)


async def test_check_reports_buildinfo_version(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{URL}/api/v1/status/buildinfo").respond(json=BUILDINFO)
    assert "2.42.0" in await make(http, context).check()


async def test_check_fails_when_backend_is_down(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{URL}/api/v1/status/buildinfo").mock(side_effect=httpx.ConnectError("Connection refused"))
    with pytest.raises(UnavailableError, match="buildinfo"):
        await make(http, context).check()


def test_query_link_uses_classic_ui_params(http, context) -> None:
    adapter = make(http, context, ui_url="https://prom.example.com/")
    link = adapter.query_link(PROMQL, WINDOW)
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://prom.example.com/graph"
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert params == {
        "g0.expr": PROMQL,
        "g0.tab": "0",
        "g0.range_input": "1h",
        "g0.end_input": "2026-03-14 03:07:00",
    }
    assert " " not in link and '"' not in link


def test_query_link_defaults_to_url_and_odd_durations(http, context) -> None:
    window = TimeWindow(start=AT - timedelta(seconds=90), end=AT)
    link = make(http, context).query_link("up", window)
    assert link.startswith(f"{URL}/graph?g0.expr=up&")
    assert "g0.range_input=90s" in link


def test_config_hides_secrets_and_refuses_unknown_keys() -> None:
    config = PrometheusConfig(url=URL, bearer_token=TOKEN, headers={"X-Api-Key": "k3y-value"})
    assert TOKEN not in repr(config) and "k3y-value" not in repr(config)
    with pytest.raises(ValidationError, match="verify_tls"):
        PrometheusConfig.model_validate({"url": URL, "verify_tls": False})
    with pytest.raises(ValidationError, match="not both"):
        PrometheusConfig(url=URL, bearer_token=TOKEN, username="u", password="p")


@pytest.mark.parametrize(
    "settings",
    [
        {"url": "http://admin:hunter2-pw@prom.test:9090"},
        {"url": URL, "ui_url": "https://admin:hunter2-pw@ui.test"},
        {"url": URL, "bearer_token": "hunter2-pw", "username": "u", "password": "p"},
    ],
)
def test_config_errors_never_echo_secrets(settings: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as info:
        PrometheusConfig.model_validate(settings)
    assert "hunter2-pw" not in str(info.value)
    assert "hunter2-pw" not in format_validation_error(info.value)  # what firstfifteen.yaml errors print
