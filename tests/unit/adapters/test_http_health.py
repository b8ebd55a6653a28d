"""HttpHealthAdapter against respx: statuses, failures, past moments and concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from adapters.http_health import HttpHealthAdapter, HttpHealthConfig
from adapters.models import HealthTarget

pytestmark = pytest.mark.anyio


def make(http: httpx.AsyncClient, context, **settings: object) -> HttpHealthAdapter:
    return HttpHealthAdapter("health", HttpHealthConfig.model_validate(settings), http, context)


def now() -> datetime:
    return datetime.now(UTC)


async def test_status_decides_up_and_down(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get("http://cart.test/healthz").respond(200)
    respx_mock.get("http://checkout.test/healthz").respond(503)
    respx_mock.get("http://auth.test/ready").respond(204)
    targets = [
        HealthTarget(service="cart", url="http://cart.test/healthz"),
        HealthTarget(service="checkout", url="http://checkout.test/healthz"),
        HealthTarget(service="auth", url="http://auth.test/ready", expected_status=204),
    ]
    results = await make(http, context).check_health(targets, now())
    assert [(r.service, r.status, r.http_status) for r in results] == [
        ("cart", "up", 200),
        ("checkout", "down", 503),
        ("auth", "up", 204),
    ]
    assert results[1].detail == "HTTP 503, expected 200"
    assert all(r.latency_ms is not None and r.checked_at.tzinfo is not None for r in results)


async def test_refused_and_timeout_are_down_with_reason(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get("http://a.test/h").mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    respx_mock.get("http://b.test/h").mock(side_effect=httpx.ReadTimeout("read timed out"))
    targets = [HealthTarget(service="a", url="http://a.test/h"), HealthTarget(service="b", url="http://b.test/h")]
    refused, slow = await make(http, context).check_health(targets, now())
    assert refused.status == "down" and refused.detail.startswith("connection refused after ")
    assert refused.detail.endswith(" ms") and refused.http_status is None
    assert slow.status == "down" and slow.detail.startswith("timed out after ") and "limit 3s" in slow.detail


async def test_an_answer_that_cannot_be_decoded_is_down(respx_mock: respx.MockRouter, http, context) -> None:
    headers = {"Content-Encoding": "gzip"}
    respx_mock.get("http://a.test/h").mock(
        side_effect=lambda r: httpx.Response(200, stream=httpx.ByteStream(b"ok"), headers=headers)
    )
    (result,) = await make(http, context).check_health([HealthTarget(service="a", url="http://a.test/h")], now())
    assert result.status == "down" and result.detail.startswith("unreadable answer (DecodingError) after ")


async def test_invalid_url_is_unknown_and_not_requested(respx_mock: respx.MockRouter, http, context) -> None:
    targets = [
        HealthTarget(service="x", url="not a url"),
        HealthTarget(service="y", url="ftp://files.test/health"),
    ]
    results = await make(http, context).check_health(targets, now())
    assert [r.status for r in results] == ["unknown", "unknown"]
    assert all("invalid URL" in r.detail for r in results)
    assert not respx_mock.calls


async def test_past_moment_is_unknown_without_checking(respx_mock: respx.MockRouter, http, context) -> None:
    route = respx_mock.get("http://cart.test/healthz").respond(200)
    targets = [HealthTarget(service="cart", url="http://cart.test/healthz")]
    [result] = await make(http, context).check_health(targets, now() - timedelta(hours=1))
    assert result.status == "unknown"
    assert "only answer for the present" in result.detail
    assert not route.called


async def test_recent_moment_is_still_checked(respx_mock: respx.MockRouter, http, context) -> None:
    route = respx_mock.get("http://cart.test/healthz").respond(200)
    targets = [HealthTarget(service="cart", url="http://cart.test/healthz")]
    [result] = await make(http, context).check_health(targets, now() - timedelta(seconds=30))
    assert result.status == "up" and route.called


async def test_one_slow_target_does_not_block_the_others(respx_mock: respx.MockRouter, http, context) -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)  # far beyond the deadline; only the adapter's own timeout ends it
        return httpx.Response(200)

    respx_mock.get("http://slow.test/h").mock(side_effect=hang)
    for name in ("a", "b", "c"):
        respx_mock.get(f"http://{name}.test/h").respond(200)
    targets = [HealthTarget(service=n, url=f"http://{n}.test/h") for n in ("slow", "a", "b", "c")]
    results = await make(http, context, timeout_s=0.3).check_health(targets, now())
    # "timed out" (not an answer after 30 s) shows the adapter's own timeout ended the slow check,
    # and the others answered meanwhile; no wall time is asserted.
    assert {r.service: r.status for r in results} == {"slow": "down", "a": "up", "b": "up", "c": "up"}
    assert "timed out" in results[0].detail
    assert all(r.latency_ms is not None for r in results[1:])


async def test_concurrency_limit_still_checks_everything(respx_mock: respx.MockRouter, http, context) -> None:
    in_flight = 0
    peak = 0

    async def count(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200)

    respx_mock.get(url__regex=r"http://s\d\.test/h").mock(side_effect=count)
    targets = [HealthTarget(service=f"s{i}", url=f"http://s{i}.test/h") for i in range(6)]
    results = await make(http, context, max_concurrency=2).check_health(targets, now())
    assert [r.service for r in results] == [f"s{i}" for i in range(6)]
    assert all(r.status == "up" for r in results)
    assert peak == 2


async def test_headers_reach_the_request(respx_mock: respx.MockRouter, http, context) -> None:
    route = respx_mock.get("http://cart.test/healthz").respond(200)
    adapter = make(http, context, headers={"X-Health-Key": "hk-12345"})
    await adapter.check_health([HealthTarget(service="cart", url="http://cart.test/healthz")], now())
    assert route.calls.last.request.headers["X-Health-Key"] == "hk-12345"
    assert "hk-12345" not in repr(adapter) and "hk-12345" not in repr(adapter.config)


async def test_redirect_is_not_followed(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get("http://cart.test/healthz").respond(302, headers={"Location": "http://login.test/"})
    [result] = await make(http, context).check_health(
        [HealthTarget(service="cart", url="http://cart.test/healthz")], now()
    )
    assert result.status == "down" and result.http_status == 302


async def test_check_describes_settings(http, context) -> None:
    assert "timeout 3s" in await make(http, context).check()
