"""StatuspageAdapter against respx, with payloads shaped as the public Statuspage v2 JSON (githubstatus.com/api)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from pydantic import ValidationError

from adapters.errors import (
    AdapterError,
    AuthError,
    BackendTimeoutError,
    BadResponseError,
    RateLimitedError,
    UnavailableError,
)
from adapters.models import TimeWindow
from adapters.statuspage import StatuspageAdapter, StatuspageConfig

pytestmark = pytest.mark.anyio

GH = "https://www.githubstatus.com"
CF = "https://www.cloudflarestatus.com"
PAST = TimeWindow(start=datetime(2026, 3, 14, 2, 0, tzinfo=UTC), end=datetime(2026, 3, 14, 3, 0, tzinfo=UTC))
PAGE = {"id": "kctbh9vrtdwd", "name": "GitHub", "url": GH, "time_zone": "Etc/UTC", "updated_at": "2026-03-14T03:00:00Z"}


def component(cid: str, name: str, status: str = "operational", group: bool = False) -> dict[str, object]:
    return {
        "id": cid,
        "name": name,
        "status": status,
        "created_at": "2017-01-31T20:05:05.370Z",
        "updated_at": "2026-03-14T02:55:00.000Z",
        "position": 1,
        "description": None,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": PAGE["id"],
        "group": group,
        "only_show_if_degraded": False,
    }


def incident(iid: str, name: str, created: str, resolved: str | None, *components: str, **extra: object) -> dict:
    status = "resolved" if resolved else "investigating"
    return {
        "id": iid,
        "name": name,
        "status": status,
        "created_at": created,
        "updated_at": resolved or created,
        "monitoring_at": None,
        "resolved_at": resolved,
        "impact": "major",
        "shortlink": f"https://stspg.io/{iid}",
        "started_at": created,
        "page_id": PAGE["id"],
        "incident_updates": [
            {
                "id": f"u-{iid}",
                "status": status,
                "body": "We are investigating reports of degraded performance.",
                "incident_id": iid,
                "created_at": created,
                "updated_at": created,
                "display_at": created,
                "affected_components": None,
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
        ],
        "components": [component(f"c-{c}", c, "partial_outage") for c in components],
        "reminder_intervals": None,
        **extra,
    }


INCIDENTS = {
    "page": PAGE,
    "incidents": [
        incident("inc-open", "Actions delayed", "2026-03-14T02:30:00.000Z", None, "Actions"),
        incident("inc-old", "Pages down", "2026-03-13T10:00:00Z", "2026-03-13T11:00:00Z", "Pages"),
        incident("inc-overlap", "API errors", "2026-03-14T01:00:00Z", "2026-03-14T02:10:00Z", "API Requests"),
        incident("inc-later", "Git slow", "2026-03-14T03:30:00Z", None, "Git Operations"),
        incident("inc-nocomp", "Degraded service", "2026-03-14T02:45:00Z", None),
    ],
}


def make(http: httpx.AsyncClient, context, *providers: dict[str, object], **settings: object) -> StatuspageAdapter:
    config = StatuspageConfig.model_validate(
        {"providers": list(providers) or [{"name": "github", "url": GH}], **settings}
    )
    return StatuspageAdapter("status", config, http, context)


async def test_incidents_open_during_window(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{GH}/api/v2/incidents.json").respond(json=INCIDENTS)
    events = await make(http, context).list_events(PAST)  # in the past: components.json is not asked for
    assert {e.id for e in events} == {"inc-open", "inc-overlap", "inc-nocomp"}
    api = next(e for e in events if e.id == "inc-overlap")
    assert api.provider == "github" and api.title == "API errors" and api.status == "resolved"
    assert api.impact == "major" and api.components == ["API Requests"]
    assert api.started_at == datetime(2026, 3, 14, 1, 0, tzinfo=UTC)
    assert api.resolved_at == datetime(2026, 3, 14, 2, 10, tzinfo=UTC)
    assert api.link == "https://stspg.io/inc-overlap"


async def test_component_filter_keeps_matching_and_componentless(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{GH}/api/v2/incidents.json").respond(json=INCIDENTS)
    adapter = make(http, context, {"name": "github", "url": GH, "components": ["actions"]})
    events = await adapter.list_events(PAST)
    assert {e.id for e in events} == {"inc-open", "inc-nocomp"}


async def test_resolved_without_resolved_at_uses_updated_at(respx_mock: respx.MockRouter, http, context) -> None:
    closed = incident("inc-x", "Old", "2026-03-13T01:00:00Z", None, **{"status": "postmortem"})
    closed["updated_at"] = "2026-03-13T02:00:00Z"
    respx_mock.get(f"{GH}/api/v2/incidents.json").respond(json={"page": PAGE, "incidents": [closed]})
    assert await make(http, context).list_events(PAST) == []


async def test_live_window_adds_degraded_components(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{GH}/api/v2/incidents.json").respond(json={"page": PAGE, "incidents": []})
    respx_mock.get(f"{GH}/api/v2/components.json").respond(
        json={
            "page": PAGE,
            "components": [
                component("c1", "Git Operations"),
                component("c2", "Actions", "major_outage"),
                component("c3", "Webhooks", "degraded_performance"),
                component("g1", "Core", "partial_outage", group=True),
            ],
        }
    )
    live = TimeWindow.ending_at(datetime.now(UTC), timedelta(minutes=15))
    events = await make(http, context).list_events(live)
    assert {(e.id, e.status, e.impact) for e in events} == {
        ("component:c2", "major_outage", "critical"),
        ("component:c3", "degraded_performance", "minor"),
    }
    filtered = make(http, context, {"name": "github", "url": GH, "components": ["Webhooks", "Core"]})
    assert {e.id for e in await filtered.list_events(live)} == {"component:c3", "component:g1"}


async def test_one_failing_provider_does_not_hide_the_others(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{GH}/api/v2/incidents.json").respond(json=INCIDENTS)
    respx_mock.get(f"{CF}/api/v2/incidents.json").mock(side_effect=httpx.ConnectError("Connection refused"))
    adapter = make(http, context, {"name": "github", "url": GH}, {"name": "cloudflare", "url": CF})
    events = await adapter.list_events(PAST)
    assert {e.id for e in events if e.provider == "github"} == {"inc-open", "inc-overlap", "inc-nocomp"}
    [lost] = [e for e in events if e.provider == "cloudflare"]
    assert lost.status == "unknown"
    assert lost.title == "status page unreachable: cannot reach the backend: connection refused"


async def test_every_provider_failing_raises(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{GH}/api/v2/incidents.json").mock(side_effect=httpx.ConnectError("Connection refused"))
    respx_mock.get(f"{CF}/api/v2/incidents.json").respond(503)
    adapter = make(http, context, {"name": "github", "url": GH}, {"name": "cloudflare", "url": CF})
    with pytest.raises(UnavailableError) as info:
        await adapter.list_events(PAST)
    text = str(info.value)
    assert "githubstatus.com/api/v2/incidents.json" in text and "cloudflarestatus.com" in text
    assert PAST.label() in text and "HTTP 503" in text


async def test_failing_components_feed_keeps_incidents(respx_mock: respx.MockRouter, http, context) -> None:
    live = TimeWindow.ending_at(datetime.now(UTC), timedelta(hours=1))
    started = (live.end - timedelta(minutes=30)).isoformat()
    current = {"page": PAGE, "incidents": [incident("inc-now", "Actions delayed", started, None, "Actions")]}
    respx_mock.get(f"{GH}/api/v2/incidents.json").respond(json=current)
    respx_mock.get(f"{GH}/api/v2/components.json").respond(502)
    events = await make(http, context).list_events(live)
    assert {e.id for e in events} == {"inc-now", "unreachable:components"}
    [lost] = [e for e in events if e.status == "unknown"]
    assert lost.title.startswith("status page unreachable: components:") and "HTTP 502" in lost.title


FAULTS = [
    pytest.param(
        httpx.ConnectError("[Errno 111] Connection refused"), UnavailableError, "connection refused", id="down"
    ),
    pytest.param(httpx.ReadTimeout("timed out"), BackendTimeoutError, "ReadTimeout", id="timeout"),
    pytest.param(httpx.Response(500, text="oops"), UnavailableError, "HTTP 500", id="500"),
    pytest.param(httpx.Response(200, text="<html>maintenance</html>"), BadResponseError, "maintenance", id="html"),
    pytest.param(httpx.Response(401, text="unauthorized"), AuthError, "HTTP 401", id="401"),
    pytest.param(httpx.Response(429, headers={"Retry-After": "12"}), RateLimitedError, "HTTP 429", id="429"),
]


@pytest.mark.parametrize(("effect", "error", "upstream"), FAULTS)
async def test_single_provider_faults(
    respx_mock: respx.MockRouter, http, context, effect: object, error: type[AdapterError], upstream: str
) -> None:
    respx_mock.get(f"{GH}/api/v2/incidents.json").mock(side_effect=[effect])
    with pytest.raises(error) as info:
        await make(http, context).list_events(PAST)
    text = str(info.value)
    assert type(info.value) is error
    assert f"GET {GH}/api/v2/incidents.json" in text and PAST.label() in text
    assert upstream in text


async def test_wrong_shape_is_a_bad_response(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{GH}/api/v2/incidents.json").respond(json={"page": PAGE})
    with pytest.raises(BadResponseError, match="incidents"):
        await make(http, context).list_events(PAST)


async def test_check_counts_answering_pages(respx_mock: respx.MockRouter, http, context) -> None:
    respx_mock.get(f"{GH}/api/v2/incidents.json").respond(json=INCIDENTS)
    respx_mock.get(f"{CF}/api/v2/incidents.json").respond(500)
    adapter = make(http, context, {"name": "github", "url": GH}, {"name": "cloudflare", "url": CF})
    assert await adapter.check() == "1 of 2 status pages answer (failing: cloudflare)"


def test_config_refuses_duplicates_and_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="duplicate"):
        StatuspageConfig.model_validate({"providers": [{"name": "a", "url": GH}, {"name": "a", "url": CF}]})
    with pytest.raises(ValidationError, match="api_key"):
        StatuspageConfig.model_validate({"providers": [{"name": "a", "url": GH, "api_key": "x"}]})
