"""What the PagerDuty adapter asks, and how PagerDuty's incidents and change events become firstfifteen's models."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from conftest import RECORDED, SETTINGS, TOKEN
from firstfifteen_pagerduty import PagerDutyAdapter, PagerDutyConfig
from pydantic import ValidationError

from adapters.base import AdapterContext
from adapters.errors import BackendTimeoutError
from adapters.models import TimeWindow
from adapters.testing import Env, recorded

AT = datetime(2026, 3, 14, 3, 7, tzinfo=UTC)
WINDOW = TimeWindow(start=datetime(2026, 3, 14, 2, 0, tzinfo=UTC), end=AT)
pytestmark = pytest.mark.anyio


@pytest.fixture
async def http(anyio_backend: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def router() -> Any:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        yield mock


def adapter(http: httpx.AsyncClient, tmp_path: Any, **settings: Any) -> PagerDutyAdapter:
    config = PagerDutyConfig.model_validate({**SETTINGS, **settings})
    return PagerDutyAdapter("pagerduty", config, http, AdapterContext(base_dir=tmp_path))


async def test_incidents_open_at_the_moment_become_alerts(http, router, tmp_path):
    recorded(RECORDED / "routes.json")(_env(router, tmp_path))
    alerts = await adapter(http, tmp_path).list_alerts(AT)
    # Q2H6YF0C9ZKX1A was resolved at 01:40, before 03:07: not open then, so left out.
    assert [a.fingerprint for a in alerts] == ["Q3VU2DQ8L1MEWY", "Q0RQ8TS5BUZ4YM", "Q1NXZ4G7KPRAQ2"]
    acked, resolved_later, triggered = alerts
    assert (triggered.name, triggered.service, triggered.severity) == ("Checkout error rate above 5%", "checkout", "P1")
    assert triggered.summary == "[#1204] Checkout error rate above 5%" and triggered.state == "firing"
    assert triggered.labels == {
        "service": "checkout",
        "pagerduty_service": "Checkout API",
        "status": "triggered",
        "urgency": "high",
        "incident_number": "1204",
        "priority": "P1",
    }
    assert triggered.link == "https://acme.pagerduty.com/incidents/Q1NXZ4G7KPRAQ2" and triggered.ends_at is None
    assert (acked.service, acked.state, acked.labels["status"], acked.severity) == (
        "payments",
        "firing",
        "acknowledged",
        "high",
    )
    # Resolved at 03:20, after the moment asked: it was firing at 03:07, and says when it ended.
    assert resolved_later.state == "firing" and resolved_later.ends_at == datetime(2026, 3, 14, 3, 20, tzinfo=UTC)


async def test_incidents_are_asked_as_pagerduty_documents_it(http, router, tmp_path):
    recorded(RECORDED / "routes.json")(_env(router, tmp_path))
    await adapter(http, tmp_path).list_alerts(AT)
    first, second = (call.request for call in router.calls)
    assert first.url.path == "/incidents" and first.url.params["offset"] == "0" and second.url.params["offset"] == "2"
    params = first.url.params
    assert params.get_list("service_ids[]") == ["PIJ90N7", "P5RJ4MV"]
    assert params.get_list("statuses[]") == ["triggered", "acknowledged", "resolved"]
    assert (params["since"], params["until"]) == ("2026-03-13T03:07:00Z", "2026-03-14T03:07:00Z")  # 24 h lookback
    assert (params["time_zone"], params["sort_by"], params["limit"]) == ("UTC", "created_at:desc", "2")
    assert first.headers["Authorization"] == f"Token token={TOKEN}"
    assert first.headers["Accept"] == "application/vnd.pagerduty+json;version=2"


async def test_change_events_of_the_configured_services_become_deploys(http, router, tmp_path):
    recorded(RECORDED / "routes.json")(_env(router, tmp_path))
    deploys = await adapter(http, tmp_path, environment="prod-eu").list_deploys(WINDOW)
    # The Search service's credential rotation is not one of the configured services: left out.
    assert [(d.service, d.id) for d in deploys] == [
        ("payments", "01DEN90AB7H3N2VW9KQ5ZRT8LE"),
        ("checkout", "01DEN8X3Q0AZ4TFFB2UT6VJ3HM"),
    ]
    pool, checkout = deploys
    assert (checkout.version, checkout.repo, checkout.author) == ("v2026.03.14-1", "acme/checkout", "ci-bot")
    assert checkout.sha == "9f1c2ab7d4e5f60718293a4b5c6d7e8f90a1b2c3" and checkout.environment == "production"
    assert checkout.link == "https://github.com/acme/checkout/actions/runs/8123456789"
    assert checkout.detail.startswith("PagerDuty change event from github-actions: Deploy checkout")
    assert checkout.status == "succeeded" and checkout.finished_at is None and checkout.source == "pagerduty"
    # No custom details: the configured environment, and no version or commit invented.
    assert (pool.environment, pool.version, pool.sha) == ("prod-eu", "", "")
    since_until = [(c.request.url.params["since"], c.request.url.params["until"]) for c in router.calls]
    assert since_until == [("2026-03-14T02:00:00Z", "2026-03-14T03:07:00Z")] * 2


async def test_the_page_cap_stops_reading_and_says_so(http, router, tmp_path):
    recorded(RECORDED / "routes.json")(_env(router, tmp_path))
    deploys = await adapter(http, tmp_path, max_pages=1).list_deploys(WINDOW)
    assert len(router.calls) == 1 and router.calls.last.request.url.params["offset"] == "0"
    assert [d.service for d in deploys] == ["checkout"]
    assert deploys[0].detail.endswith("; list cut at 1 pages: older change events may be missing")


async def test_without_the_cap_a_list_that_ends_says_nothing(http, router, tmp_path):
    recorded(RECORDED / "routes.json")(_env(router, tmp_path))
    deploys = await adapter(http, tmp_path).list_deploys(WINDOW)
    assert not any("cut" in d.detail for d in deploys)


async def test_times_in_another_zone_come_back_in_utc(http, router, tmp_path):
    page = json.loads((RECORDED / "incidents-page-1.json").read_text())
    page["incidents"][0]["created_at"] = "2026-03-13T18:58:00-08:00"  # 02:58Z, rendered in the account's zone
    router.get("https://api.pagerduty.com/incidents").respond(json={**page, "more": False})
    alerts = await adapter(http, tmp_path).list_alerts(AT)
    started = next(a.starts_at for a in alerts if a.fingerprint == "Q1NXZ4G7KPRAQ2")
    assert started == datetime(2026, 3, 14, 2, 58, tzinfo=UTC) and started.utcoffset() == timedelta(0)


async def test_the_deadline_covers_every_page(http, router, tmp_path):
    page = json.loads((RECORDED / "change-events-page-1.json").read_text())

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.3)  # each page answers, but the two together outlast the deadline
        return httpx.Response(200, json=page)

    router.get("https://api.pagerduty.com/change_events").mock(side_effect=slow)
    with pytest.raises(BackendTimeoutError, match="0.2s"):
        await adapter(http, tmp_path, deadline_s=0.2).list_deploys(WINDOW)
    assert len(router.calls) == 1  # the second page was never asked for


def test_settings_refuse_bad_service_ids_and_never_print_the_token():
    with pytest.raises(ValidationError) as info:
        PagerDutyConfig.model_validate({**SETTINGS, "services": {"checkout": "checkout"}})
    assert "is not a PagerDuty service id" in str(info.value) and TOKEN not in str(info.value)
    with pytest.raises(ValidationError) as info:
        PagerDutyConfig.model_validate({**SETTINGS, "services": {}})
    assert TOKEN not in str(info.value)
    assert TOKEN not in repr(PagerDutyConfig.model_validate(SETTINGS))


def _env(router: Any, tmp_path: Any) -> Env:
    return Env(tmp=tmp_path, router=router, stack=ExitStack())
