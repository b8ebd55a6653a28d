"""The Alertmanager webhook receiver, driven in-process through httpx.ASGITransport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from mcp_server.cli.timeline import parse_listen
from mcp_server.store import IncidentStore
from mcp_server.store.errors import StoreUnavailableError
from mcp_server.webhook import webhook_app

pytestmark = pytest.mark.anyio
T0 = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)


def payload(status: str = "firing", ends: str = "0001-01-01T00:00:00Z", **alert: object) -> dict:
    """A notification shaped as Alertmanager documents payload version 4."""
    item = {
        "status": status,
        "labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": "page"},
        "annotations": {"summary": "checkout 5xx above 5%"},
        "startsAt": "2026-03-14T03:02:00.123456789Z",
        "endsAt": ends,
        "generatorURL": "http://prometheus.test:9090/graph?g0.expr=errors",
        "fingerprint": "a1b2c3d4e5f60718",
        **alert,
    }
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HighErrorRate"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "firstfifteen",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": item["labels"],
        "commonAnnotations": item["annotations"],
        "externalURL": "http://alertmanager.test:9093",
        "alerts": [item],
    }


@pytest.fixture
async def client(store: IncidentStore) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=webhook_app(store))
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver.test") as c:
        yield c


async def test_notifications_land_in_the_inbox_once(client: httpx.AsyncClient, store: IncidentStore) -> None:
    first = await client.post("/alerts", json=payload())
    assert first.status_code == 200 and first.json() == {"received": 1, "new": 1}
    repeat = await client.post("/", json=payload())  # repeat_interval resends the same firing alert
    assert repeat.json() == {"received": 1, "new": 0}
    resolved = await client.post("/alerts", json=payload("resolved", "2026-03-14T03:20:00Z"))
    assert resolved.json() == {"received": 1, "new": 1}
    inbox = store.list_inbox_alerts(T0, datetime(2026, 3, 14, 4, 0, tzinfo=UTC))
    assert [(a.status, a.ends_at) for a in inbox] == [
        ("firing", None),
        ("resolved", datetime(2026, 3, 14, 3, 20, tzinfo=UTC)),
    ]
    firing = inbox[0]
    assert (firing.name, firing.receiver, firing.fingerprint) == ("HighErrorRate", "firstfifteen", "a1b2c3d4e5f60718")
    assert firing.starts_at == datetime(2026, 3, 14, 3, 2, 0, 123456, tzinfo=UTC)
    assert firing.annotations == {"summary": "checkout 5xx above 5%"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "not JSON"),
        (b'{"version": "3", "status": "firing", "alerts": []}', "version"),
        (b'{"version": "4", "status": "firing"}', "alerts: Field required"),
        (b'{"version": "4", "status": "firing", "alerts": [{"status": "firing", "labels": {}}]}', "alerts.0.startsAt"),
        (
            b'{"version": "4", "status": "firing", "alerts": [{"status": "burning", "labels": {}, '
            b'"startsAt": "2026-03-14T03:00:00Z"}]}',
            "alerts.0.status",
        ),
        (
            b'{"version": "4", "status": "firing", "alerts": [{"status": "firing", "labels": {}, '
            b'"startsAt": "2026-03-14T03:00:00"}]}',
            "timezone",
        ),
    ],
)
async def test_a_bad_body_is_a_400_saying_what_is_wrong(client: httpx.AsyncClient, body: bytes, expected: str) -> None:
    response = await client.post("/alerts", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert expected in response.json()["error"]


async def test_a_missing_fingerprint_is_made_from_the_labels(client: httpx.AsyncClient, store: IncidentStore) -> None:
    await client.post("/alerts", json=payload(fingerprint=""))
    [alert] = store.list_inbox_alerts(T0, T0.replace(hour=4))
    assert alert.fingerprint.startswith("labels-")


async def test_the_bearer_token_is_required_when_set(store: IncidentStore) -> None:
    transport = httpx.ASGITransport(app=webhook_app(store, token="s3cret-token"))
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver.test") as c:
        assert (await c.post("/alerts", json=payload())).status_code == 401
        wrong = await c.post("/alerts", json=payload(), headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and "s3cret" not in wrong.text
        ok = await c.post("/alerts", json=payload(), headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200
        assert (await c.get("/healthz")).json() == {"ok": True}


async def test_a_store_that_cannot_write_is_a_503_so_alertmanager_retries() -> None:
    class Locked:
        def record_inbox_alerts(self, alerts: object) -> int:
            raise StoreUnavailableError("incident database stayed locked")

    transport = httpx.ASGITransport(app=webhook_app(Locked()))
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver.test") as c:
        response = await c.post("/alerts", json=payload())
    error = response.json()["error"]
    assert response.status_code == 503 and "locked" in error and "next step: Retry in a moment" in error


def test_parse_listen() -> None:
    assert parse_listen("127.0.0.1:9095") == ("127.0.0.1", 9095)
    assert parse_listen("[::1]:9095") == ("::1", 9095)
    for bad in ("9095", "host:", "host:99999", ":80"):
        with pytest.raises(ValueError, match="HOST:PORT"):
            parse_listen(bad)
