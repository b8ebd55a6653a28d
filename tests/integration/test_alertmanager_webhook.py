"""A real Alertmanager notifies the webhook receiver (``firstfifteen receive-alerts``); sync turns it into events.

Alertmanager runs with group_wait and group_interval of one second and sends firing and resolved
notifications to the receiver, started as the real command on a free loopback port. The last test
is the acceptance: those notifications and a Slack channel (respx) become one ordered timeline,
without duplicates after two syncs. A missing Alertmanager binary fails these tests, never skips them.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import respx

sys.path.insert(0, str(Path(__file__).parent))  # tests/ has no packages; import the sibling helpers
sys.path.insert(0, str(Path(__file__).parents[1] / "unit" / "timeline"))

from alertmanager_server import AlertmanagerNotInstalled, find_binary, running_alertmanager, webhook_config
from processes import free_port
from slack_fake import CHANNEL, FakeSlack, slack_adapter_settings, ts

from mcp_server.config import parse_config
from mcp_server.runtime import open_runtime
from mcp_server.store import InboxAlert, IncidentDraft, open_store
from mcp_server.store.settings import StoreConfig
from mcp_server.timeline import SyncResult, sync_timeline

pytestmark = [pytest.mark.integration, pytest.mark.anyio]
WAIT_S = 30.0


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


@contextmanager
def running_receiver(tmp_path: Path) -> Iterator[str]:
    """``firstfifteen receive-alerts`` on a free loopback port, writing the test's store ($FIRSTFIFTEEN_DB)."""
    listen = f"127.0.0.1:{free_port()}"
    log = tmp_path / "receiver.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "mcp_server.cli", "receive-alerts", "--listen", listen],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + WAIT_S
            while True:
                assert process.poll() is None, f"receive-alerts exited:\n{log.read_text()}"
                try:
                    if httpx.get(f"http://{listen}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"receive-alerts not ready:\n{log.read_text()}"
                time.sleep(0.1)
            yield f"http://{listen}"
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    """A real Alertmanager whose only receiver is our webhook receiver; yields Alertmanager's URL."""
    missing = ""
    try:
        find_binary()
    except AlertmanagerNotInstalled as exc:
        missing = str(exc)
    if missing:
        pytest.fail(missing, pytrace=False)  # a missing binary is a broken setup, not a reason to skip
    with running_receiver(tmp_path) as receiver, running_alertmanager(webhook_config(f"{receiver}/alerts")) as url:
        yield url


def post_alert(url: str, starts: datetime, ends: datetime) -> None:
    alert = {
        "labels": {"alertname": "CheckoutHighErrorRate", "service": "checkout", "severity": "page"},
        "annotations": {"summary": "checkout 5xx ratio above 5%"},
        "startsAt": stamp(starts),
        "endsAt": stamp(ends),
        "generatorURL": "http://prometheus.test:9090/graph?g0.expr=checkout_errors",
    }
    httpx.post(f"{url}/api/v2/alerts", json=[alert], timeout=5).raise_for_status()


def wait_for_inbox(done: Callable[[list[InboxAlert]], bool], since: datetime) -> list[InboxAlert]:
    with open_store(StoreConfig()) as store:
        deadline = time.monotonic() + WAIT_S
        while True:
            inbox = store.list_inbox_alerts(since, datetime.now(UTC) + timedelta(hours=2))
            if done(inbox) or time.monotonic() > deadline:
                return inbox
            time.sleep(0.2)


def declare(started: datetime) -> str:
    with open_store(StoreConfig()) as store:
        draft = IncidentDraft(
            title="Checkout 500s",
            severity="SEV2",
            declared_by="alice",
            suspected_service="checkout",
            started_at=started,
            declared_at=started + timedelta(minutes=1),
        )
        return store.declare_incident(draft).id


async def sync(config, incident_id: str) -> SyncResult:
    async with open_runtime(config) as runtime:
        return await sync_timeline(runtime, incident_id)


def fire_and_resolve(url: str, now: datetime) -> tuple[datetime, datetime]:
    """Fire an alert, see the firing notification, resolve it, see the resolved one; return its start and end."""
    starts, ends = now - timedelta(minutes=3), now - timedelta(seconds=1)
    post_alert(url, starts, now + timedelta(hours=1))
    inbox = wait_for_inbox(lambda found: any(a.status == "firing" for a in found), now - timedelta(hours=1))
    assert [(a.status, a.name, a.starts_at) for a in inbox] == [("firing", "CheckoutHighErrorRate", starts)]
    assert inbox[0].ends_at is None and inbox[0].receiver == "webhook"
    post_alert(url, starts, ends)  # the same alert again with endsAt in the past resolves it
    inbox = wait_for_inbox(lambda found: any(a.status == "resolved" for a in found), now - timedelta(hours=1))
    assert sorted((a.status, a.ends_at) for a in inbox) == [("firing", None), ("resolved", ends)]
    return starts, ends


async def test_firing_and_resolved_notifications_become_two_ordered_events(alertmanager: str, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    incident_id = declare(now - timedelta(minutes=10))
    starts, ends = fire_and_resolve(alertmanager, now)
    config = parse_config(
        {"services": [{"name": "checkout"}], "adapters": {"alertmanager": {"url": alertmanager}}}, base_dir=tmp_path
    )
    first = await sync(config, incident_id)
    assert (first.created, first.partial) == (2, False)
    second = await sync(config, incident_id)
    assert (second.created, second.updated) == (0, 0)
    with open_store(StoreConfig()) as store:
        events, _ = store.get_timeline(incident_id, sources=["alertmanager"])
    assert [(e.kind, e.occurred_at) for e in events] == [("alert_fired", starts), ("alert_resolved", ends)]
    assert events[0].text == "CheckoutHighErrorRate firing on checkout: checkout 5xx ratio above 5%"
    assert events[1].source_id == f"{events[0].source_id}:resolved"


async def test_acceptance_alert_notifications_and_slack_make_one_timeline(alertmanager: str, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    incident_id = declare(now - timedelta(minutes=10))
    fake = FakeSlack(page_size=2)
    fake.post(ts(now - timedelta(minutes=8)), "U1", "checkout is throwing 500s")
    fake.post(ts(now - timedelta(minutes=4)), "U2", "Decision: roll back deploy 8841")
    fake.post(ts(now - timedelta(minutes=2)), "U1", "rollback running", thread_ts=ts(now - timedelta(minutes=4)))
    fake.post(ts(now - timedelta(seconds=30)), "U2", "errors back at baseline", reactions=("pushpin",))
    starts, ends = fire_and_resolve(alertmanager, now)
    config = parse_config(
        {
            "services": [{"name": "checkout"}],
            "timeline": {"channel": CHANNEL},
            "adapters": {"alertmanager": {"url": alertmanager}, "slack": slack_adapter_settings()},
        },
        base_dir=tmp_path,
    )
    with respx.mock(assert_all_called=False) as router:
        router.route(host="127.0.0.1").pass_through()  # the real Alertmanager
        fake.install(router)
        first = await sync(config, incident_id)
        second = await sync(config, incident_id)
    assert (first.created, first.partial) == (6, False)
    assert (second.created, second.updated, second.deleted) == (0, 0, 0)
    with open_store(StoreConfig()) as store:
        events, _ = store.get_timeline(incident_id)
    assert [(e.source, e.kind, e.occurred_at) for e in events] == [
        ("firstfifteen", "declared", now - timedelta(minutes=9)),
        ("slack", "message", now - timedelta(minutes=8)),
        ("slack", "highlight", now - timedelta(minutes=4)),
        ("alertmanager", "alert_fired", starts),
        ("slack", "message", now - timedelta(minutes=2)),
        ("slack", "highlight", now - timedelta(seconds=30)),
        ("alertmanager", "alert_resolved", ends),
    ]
    times = [e.occurred_at for e in events]
    assert times == sorted(times)
    assert len({(e.source, e.source_id) for e in events if e.source_id}) == len([e for e in events if e.source_id])
    assert [e.kind for e in events if e.source == "alertmanager"] == ["alert_fired", "alert_resolved"]
    assert [e.text for e in events if e.source == "slack"] == [
        "checkout is throwing 500s",
        "Decision: roll back deploy 8841",
        "rollback running",
        "errors back at baseline",
    ]
