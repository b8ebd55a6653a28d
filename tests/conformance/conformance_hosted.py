"""Conformance cases of the adapters over hosted HTTP APIs, served by respx.

Payloads are the ones tests/unit/adapters builds as each vendor documents them. Every case also
gets the shipped suite's standard failures (``adapters.testing.HTTP_FAULTS``: 5xx, an HTML login
page, JSON of another shape, a body that cannot be decoded, a timeout, a refused connection, 401,
403, 429) and, where the base URL is one setting, the real loopback ones (a refused port, a
server that never answers).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import test_alertmanager as am_api
import test_prometheus as prom_api
import test_statuspage as status_api

from adapters.errors import BadResponseError, QueryError
from adapters.models import HealthTarget, TimeWindow
from adapters.testing import HTTP_FAULTS, QUERY, ConformanceCase, Env, Fault, Limit, answer, every, json_route

# --- prometheus -----------------------------------------------------------------------------------


async def _too_many_points(adapter: Any, env: Env) -> None:
    week = TimeWindow(start=env.at - timedelta(days=7), end=env.at)
    with pytest.raises(QueryError, match="11000"):
        await adapter.range(QUERY, week, timedelta(seconds=15))
    assert not env.router.calls, "a range over the point limit must be refused before it is sent"


PROMETHEUS = ConformanceCase(
    entry_point="prometheus",
    url_setting="url",
    deadline_setting="timeout_s",
    settings=lambda env: {"url": prom_api.URL, "bearer_token": prom_api.TOKEN},
    backend=every(
        json_route(f"{prom_api.URL}/api/v1/query", prom_api.VECTOR, "POST"),
        json_route(f"{prom_api.URL}/api/v1/query_range", prom_api.MATRIX, "POST"),
        json_route(f"{prom_api.URL}/api/v1/status/buildinfo", prom_api.BUILDINFO),
    ),
    faults=(
        Fault(
            "bad-promql",
            answer(lambda: httpx.Response(400, json={"status": "error", "errorType": "bad_data", "error": "parse"})),
            QueryError,
        ),
        Fault(
            "error-in-200",
            answer(lambda: httpx.Response(200, json={"status": "error", "errorType": "timeout", "error": "slow"})),
            QueryError,
        ),
    ),
    limits=(Limit("max-points-per-series", _too_many_points),),
)

# --- alertmanager ---------------------------------------------------------------------------------

ALERTMANAGER = ConformanceCase(
    entry_point="alertmanager",
    url_setting="url",
    deadline_setting="timeout_s",
    # PAYLOAD holds LateOne, starting after the asked moment: the window check sees it left out.
    settings=lambda env: {"url": am_api.URL, "bearer_token": am_api.TOKEN},
    backend=every(
        json_route(f"{am_api.URL}/api/v2/alerts", am_api.PAYLOAD),
        json_route(f"{am_api.URL}/api/v2/status", am_api.STATUS),
    ),
    faults=(
        Fault(
            "undocumented-state",
            json_route(f"{am_api.URL}/api/v2/alerts", [am_api.gettable_alert("X", "2026-03-14T03:00:00Z", "exploded")]),
            BadResponseError,
            methods=("list_alerts",),
        ),
    ),
)

# --- http (health checks) -------------------------------------------------------------------------

_TARGETS = [
    HealthTarget(service="cart", url="http://cart.test/healthz"),
    HealthTarget(service="auth", url="http://auth.test/ready", expected_status=204),
]


def _health_targets(env: Env) -> None:
    env.at = datetime.now(UTC)  # live checks answer only for the present
    env.data["targets"] = _TARGETS


def _health_backend(env: Env) -> None:
    _health_targets(env)
    env.router.get("http://cart.test/healthz").respond(200)
    env.router.get("http://auth.test/ready").respond(204)


def _all_down(results: list[Any]) -> bool:
    return bool(results) and all(r.status == "down" and r.detail for r in results)


def _down(fault: Fault) -> Fault:
    """A backend failure is a health answer: the target is down, with the reason."""
    return Fault(fault.id, every(_health_targets, fault.install), None, methods=("check_health",), expect=_all_down)


async def _concurrency(adapter: Any, env: Env) -> None:
    in_flight, most = 0, 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return httpx.Response(200)

    env.router.route().mock(side_effect=slow)
    targets = [HealthTarget(service=f"s{n}", url=f"http://s{n}.test/h") for n in range(6)]
    results = await adapter.check_health(targets, datetime.now(UTC))
    assert [r.status for r in results] == ["up"] * 6 and most == 2  # max_concurrency: 2, and used


async def _deadline(adapter: Any, env: Env) -> None:
    async def hangs(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200)

    env.router.get("http://slow.test/h").mock(side_effect=hangs)
    env.router.get("http://fast.test/h").respond(200)
    targets = [
        HealthTarget(service="slow", url="http://slow.test/h"),
        HealthTarget(service="fast", url="http://fast.test/h"),
    ]
    slow, fast = await adapter.check_health(targets, datetime.now(UTC))
    assert slow.status == "down" and "timed out" in slow.detail and fast.status == "up"


async def _past(adapter: Any, env: Env) -> None:
    results = await adapter.check_health(_TARGETS, datetime.now(UTC) - timedelta(hours=1))
    assert [r.status for r in results] == ["unknown", "unknown"] and not env.router.calls


_HEALTH_FAULTS = ("500", "503", "body-not-decodable", "timeout", "refused", "401")

HTTP_HEALTH = ConformanceCase(
    entry_point="http",
    settings=lambda env: {"timeout_s": 3},
    backend=_health_backend,
    # A failing target is a health answer (down, with the reason), not an error.
    standard_faults=(),
    faults=tuple(
        _down(f) for f in HTTP_FAULTS if f.id in ("500", "503", "body-not-decodable", "timeout", "refused", "401")
    ),
    limits=(
        Limit("max-concurrency", _concurrency, {"max_concurrency": 2}),
        Limit("timeout-per-check", _deadline, {"timeout_s": 0.2}),
        Limit("only-the-present", _past),
    ),
)

# --- statuspage (providers' public pages) ---------------------------------------------------------


def _statuspage_backend(env: Env) -> None:
    # INCIDENTS holds incidents before and after the window: the window check sees them left out.
    env.router.get(f"{status_api.GH}/api/v2/incidents.json").respond(json=status_api.INCIDENTS)
    components = [status_api.component("c-1", "Actions", "partial_outage"), status_api.component("c-2", "API")]
    env.router.get(f"{status_api.GH}/api/v2/components.json").respond(json={"components": components})


def _live(env: Env) -> None:
    env.window = TimeWindow(start=datetime.now(UTC) - timedelta(hours=1), end=datetime.now(UTC))


def _components_naive(env: Env) -> None:
    _live(env)
    env.router.get(f"{status_api.GH}/api/v2/incidents.json").respond(json={"incidents": []})
    naive = {**status_api.component("c-1", "Actions", "major_outage"), "updated_at": "2026-03-14T02:55:00"}
    env.router.get(f"{status_api.GH}/api/v2/components.json").respond(json={"components": [naive]})


async def _watched_components(adapter: Any, env: Env) -> None:
    _live(env)  # reaching the present, components.json is read too: API is degraded, but not watched
    env.router.get(f"{status_api.GH}/api/v2/components.json").respond(
        json={
            "components": [
                status_api.component("c-1", "Actions", "partial_outage"),
                status_api.component("c-2", "API", "major_outage"),
            ]
        }
    )
    events = await adapter.list_events(env.window)
    assert "component:c-1" in [e.id for e in events] and "component:c-2" not in [e.id for e in events]
    assert all(not e.components or "Actions" in e.components for e in events)  # incidents: Actions, or none named


STATUSPAGE = ConformanceCase(
    entry_point="statuspage",
    settings=lambda env: {"providers": [{"name": "github", "url": status_api.GH}]},
    backend=_statuspage_backend,
    faults=(
        Fault(
            "component-time-without-zone",
            _components_naive,
            None,
            methods=("list_events",),
            expect=lambda events: [e.id for e in events] == ["unreachable:components"],
        ),
    ),
    limits=(
        Limit(
            "components-filter",
            _watched_components,
            {"providers": [{"name": "github", "url": status_api.GH, "components": ["Actions"]}]},
        ),
    ),
)
