"""AlertmanagerAdapter against a real Alertmanager: post alerts and a silence, read them back mapped."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/ has no packages; import the sibling helper

from alertmanager_server import AlertmanagerNotInstalled, find_binary, running_alertmanager

from adapters.alertmanager import AlertmanagerAdapter, AlertmanagerConfig
from adapters.base import AdapterContext

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@pytest.fixture(scope="module")
def alertmanager_url() -> Iterator[str]:
    missing = ""
    try:
        find_binary()
    except AlertmanagerNotInstalled as exc:
        missing = str(exc)
    if missing:
        pytest.fail(missing, pytrace=False)  # a missing binary is a broken setup, not a reason to skip
    with running_alertmanager() as url:
        yield url


@pytest.fixture
async def http(anyio_backend: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


async def test_list_alerts_maps_posted_alerts(alertmanager_url: str, http: httpx.AsyncClient, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    started = now - timedelta(minutes=5)
    posted = [
        {
            "labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": "page"},
            "annotations": {"summary": "checkout 5xx above 5%"},
            "startsAt": stamp(started),
            "endsAt": stamp(now + timedelta(hours=1)),
            "generatorURL": "http://prometheus.test:9090/graph?g0.expr=errors",
        },
        {
            "labels": {"alertname": "DiskFilling", "instance": "db-1", "severity": "warning"},
            "annotations": {"description": "db-1 disk fills within 4h"},
            "startsAt": stamp(started - timedelta(minutes=1)),
        },
    ]
    response = await http.post(f"{alertmanager_url}/api/v2/alerts", json=posted)
    assert response.status_code == 200, response.text

    config = AlertmanagerConfig(url=alertmanager_url)
    adapter = AlertmanagerAdapter("alertmanager", config, http, AdapterContext(base_dir=tmp_path))
    mine = {"DiskFilling", "HighErrorRate"}  # other tests share this Alertmanager
    alerts = [a for a in await adapter.list_alerts(datetime.now(UTC)) if a.name in mine]

    assert [a.name for a in alerts] == ["DiskFilling", "HighErrorRate"]
    disk, high = alerts
    assert high.state == "firing" and high.service == "checkout" and high.severity == "page"
    assert high.summary == "checkout 5xx above 5%"
    assert high.starts_at == started and high.ends_at == now + timedelta(hours=1)
    assert high.link == "http://prometheus.test:9090/graph?g0.expr=errors"
    assert len(high.fingerprint) == 16
    assert disk.service == "" and disk.severity == "warning" and disk.summary == "db-1 disk fills within 4h"
    assert disk.labels == {"alertname": "DiskFilling", "instance": "db-1", "severity": "warning"}

    # Before either alert started, Alertmanager's current alerts do not count.
    early = await adapter.list_alerts(started - timedelta(minutes=10))
    assert not [a for a in early if a.name in mine]


async def test_silenced_alert_is_suppressed(alertmanager_url: str, http: httpx.AsyncClient, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    alert = {"labels": {"alertname": "Flapping", "service": "search"}, "startsAt": stamp(now - timedelta(minutes=1))}
    assert (await http.post(f"{alertmanager_url}/api/v2/alerts", json=[alert])).status_code == 200
    silence = {
        "matchers": [{"name": "alertname", "value": "Flapping", "isRegex": False, "isEqual": True}],
        "startsAt": stamp(now - timedelta(minutes=1)),
        "endsAt": stamp(now + timedelta(hours=1)),
        "createdBy": "firstfifteen tests",
        "comment": "known flapping",
    }
    response = await http.post(f"{alertmanager_url}/api/v2/silences", json=silence)
    assert response.status_code == 200, response.text

    adapter = AlertmanagerAdapter(
        "alertmanager", AlertmanagerConfig(url=alertmanager_url), http, AdapterContext(base_dir=tmp_path)
    )
    alerts = {a.name: a for a in await adapter.list_alerts(datetime.now(UTC))}
    assert alerts["Flapping"].state == "suppressed"
    assert alerts["Flapping"].service == "search"


async def test_check_reports_the_real_version(alertmanager_url: str, http: httpx.AsyncClient, tmp_path: Path) -> None:
    adapter = AlertmanagerAdapter(
        "alertmanager", AlertmanagerConfig(url=alertmanager_url), http, AdapterContext(base_dir=tmp_path)
    )
    answer = await adapter.check()
    assert answer.startswith("Alertmanager 0.") and alertmanager_url in answer
