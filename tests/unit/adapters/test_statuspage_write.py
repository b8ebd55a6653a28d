"""StatuspageApiAdapter against respx, with payloads shaped as the Statuspage REST API documents them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
import respx
from pydantic import ValidationError

from adapters.errors import AuthError, BadResponseError, NotFoundError, QueryError, RateLimitedError, UnavailableError
from adapters.models import StatusUpdate
from adapters.statuspage_write import StatuspageApiAdapter, StatuspageApiConfig

pytestmark = pytest.mark.anyio

API = "https://api.statuspage.io/v1"
PAGE = "kctbh9vrtdwd"
KEY = "a1b2c3d4-e5f6-secret-api-key"
COMPONENTS = {"Checkout": "b13yz5g2cw10", "API": "8kbf7d35c070"}
INCIDENTS = f"{API}/pages/{PAGE}/incidents"

PAGE_INFO = {"id": PAGE, "name": "Acme Status", "subdomain": "acme", "url": "https://status.acme.com"}


def make(http: httpx.AsyncClient, context, **settings: object) -> StatuspageApiAdapter:
    config = StatuspageApiConfig.model_validate({"page_id": PAGE, "api_key": KEY, "components": COMPONENTS, **settings})
    return StatuspageApiAdapter("statuspage_api", config, http, context)


def update(**fields: object) -> StatusUpdate:
    base = {
        "incident_key": "inc-42",
        "title": "Elevated checkout errors",
        "status": "investigating",
        "body": "We are investigating failed checkouts.",
        "components": {"Checkout": "partial_outage"},
    }
    return StatusUpdate.model_validate({**base, **fields})


def incident(iid: str, status: str, *updates: tuple[str, str]) -> dict[str, object]:
    """An incident as the API answers it (create and update both return the full incident)."""
    return {
        "id": iid,
        "components": [{"id": "b13yz5g2cw10", "page_id": PAGE, "name": "Checkout", "status": "partial_outage"}],
        "created_at": "2026-03-14T03:07:00.000Z",
        "impact": "major",
        "impact_override": None,
        "incident_updates": [
            {
                "id": f"u{n}{iid}",
                "incident_id": iid,
                "status": s,
                "body": "text",
                "created_at": at,
                "display_at": at,
                "deliver_notifications": False,
                "affected_components": [],
            }
            for n, (s, at) in enumerate(updates)
        ],
        "monitoring_at": None,
        "name": "Elevated checkout errors",
        "page_id": PAGE,
        "resolved_at": None,
        "shortlink": f"https://stspg.io/{iid[:5]}",
        "started_at": "2026-03-14T03:07:00.000Z",
        "status": status,
        "updated_at": updates[0][1] if updates else "2026-03-14T03:07:00.000Z",
    }


def test_settings_refuse_odd_ids_and_hide_the_key():
    with pytest.raises(ValidationError) as info:
        StatuspageApiConfig.model_validate({"page_id": "../admin", "api_key": KEY})
    assert KEY not in str(info.value)
    with pytest.raises(ValidationError, match="Checkout"):
        StatuspageApiConfig.model_validate({"page_id": PAGE, "api_key": KEY, "components": {"Checkout": "a/b"}})
    assert StatuspageApiConfig(page_id=PAGE, api_key=KEY).deliver_notifications is False


@respx.mock
async def test_create_then_update(http, context):
    created = incident("p31zjtct2jer", "investigating", ("investigating", "2026-03-14T03:07:05.000Z"))
    updated = incident(
        "p31zjtct2jer",
        "identified",
        ("identified", "2026-03-14T03:20:00.000Z"),
        ("investigating", "2026-03-14T03:07:05.000Z"),
    )
    create = respx.post(INCIDENTS).mock(return_value=httpx.Response(201, json=created))
    patch = respx.patch(f"{INCIDENTS}/p31zjtct2jer").mock(return_value=httpx.Response(200, json=updated))
    adapter = make(http, context)

    first = await adapter.post_update(update(components={"Checkout": "partial_outage", "api": "degraded_performance"}))
    second = await adapter.post_update(
        update(status="identified", body="A bad deploy; rolling back.", remote_id=first.remote_id)
    )

    sent = json.loads(create.calls[0].request.content)
    assert sent == {
        "incident": {
            "name": "Elevated checkout errors",
            "status": "investigating",
            "body": "We are investigating failed checkouts.",
            "components": {"b13yz5g2cw10": "partial_outage", "8kbf7d35c070": "degraded_performance"},
            "component_ids": ["b13yz5g2cw10", "8kbf7d35c070"],
            "deliver_notifications": False,
        }
    }
    assert create.calls[0].request.headers["Authorization"] == f"OAuth {KEY}"
    assert first.target == f"statuspage:{PAGE}" and first.remote_id == "p31zjtct2jer"
    assert first.link == "https://stspg.io/p31zj"
    assert first.posted_at == datetime(2026, 3, 14, 3, 7, 5, tzinfo=UTC)
    assert json.loads(patch.calls[0].request.content) == {
        "incident": {
            "status": "identified",
            "body": "A bad deploy; rolling back.",
            "components": {"b13yz5g2cw10": "partial_outage"},
            "deliver_notifications": False,
        }
    }
    assert second.remote_id == "p31zjtct2jer" and second.posted_at == datetime(2026, 3, 14, 3, 20, tzinfo=UTC)


@respx.mock
async def test_notifications_only_when_configured(http, context):
    route = respx.post(INCIDENTS).mock(return_value=httpx.Response(201, json=incident("abc123", "investigating")))
    await make(http, context, deliver_notifications=True).post_update(update())
    assert json.loads(route.calls[0].request.content)["incident"]["deliver_notifications"] is True


@respx.mock
async def test_unknown_component_is_refused_before_any_request(http, context):
    route = respx.post(INCIDENTS).mock(return_value=httpx.Response(201, json=incident("abc123", "investigating")))
    with pytest.raises(QueryError) as info:
        await make(http, context).post_update(update(components={"Checkout": "major_outage", "Search": "major_outage"}))
    assert "Search" in info.value.message and "API, Checkout" in info.value.hint
    assert route.call_count == 0 and not respx.calls


async def test_a_remote_id_that_is_not_an_id_is_refused(http, context):
    with pytest.raises(QueryError, match="not a Statuspage incident id"):
        await make(http, context).post_update(update(remote_id="../../pages"))


@pytest.mark.parametrize(
    ("status", "body", "kind", "words"),
    [
        (401, {"error": "Could not authenticate"}, AuthError, "Could not authenticate"),
        (403, {"error": "You do not have access"}, AuthError, "Incident Manager"),
        (404, {"error": "Could not find record"}, NotFoundError, "incident p31zjtct2jer"),
        (422, {"error": ["Name can't be blank", "Status is not included"]}, QueryError, "Name can't be blank"),
        (420, {"error": "Rate limit exceeded"}, RateLimitedError, "retry after 60s"),
        (429, {"error": "Rate limit exceeded"}, RateLimitedError, "retry after 60s"),
        (503, {"error": "Service Unavailable"}, UnavailableError, "HTTP 503"),
    ],
)
@respx.mock
async def test_errors(http, context, status, body, kind, words):
    headers = {"Retry-After": "60"} if status in (420, 429) else {}
    respx.patch(f"{INCIDENTS}/p31zjtct2jer").mock(return_value=httpx.Response(status, json=body, headers=headers))
    with pytest.raises(kind) as info:
        await make(http, context).post_update(update(remote_id="p31zjtct2jer"))
    text = str(info.value)
    assert words in text and KEY not in text
    if kind is RateLimitedError:
        assert info.value.retry_after == 60.0


@respx.mock
async def test_an_echoed_key_is_masked(http, context):
    respx.post(INCIDENTS).mock(return_value=httpx.Response(422, json={"error": f"bad key OAuth {KEY}"}))
    with pytest.raises(QueryError) as info:
        await make(http, context).post_update(update())
    assert KEY not in str(info.value) and "***" in str(info.value)


@respx.mock
async def test_an_answer_without_an_id_is_a_bad_response(http, context):
    respx.post(INCIDENTS).mock(return_value=httpx.Response(201, json={"name": "x"}))
    with pytest.raises(BadResponseError):
        await make(http, context).post_update(update())


@respx.mock
async def test_check_reads_the_page(http, context):
    route = respx.get(f"{API}/pages/{PAGE}").mock(return_value=httpx.Response(200, json=PAGE_INFO))
    assert await make(http, context).check() == f"Statuspage page 'Acme Status' ({PAGE}); 2 components mapped"
    assert route.calls[0].request.headers["Authorization"] == f"OAuth {KEY}"


@respx.mock
async def test_check_with_a_wrong_page(http, context):
    respx.get(f"{API}/pages/{PAGE}").mock(return_value=httpx.Response(404, json={"error": "Could not find record"}))
    with pytest.raises(NotFoundError, match=f"page {PAGE}"):
        await make(http, context).check()
