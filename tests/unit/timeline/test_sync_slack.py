"""sync_timeline against a Slack channel mocked with respx: idempotent, edits, deletions, highlights, failures."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import respx
from conftest import T0, make_config
from slack_fake import CHANNEL, FakeSlack, ts

from mcp_server.runtime import open_runtime
from mcp_server.store import IncidentStore
from mcp_server.timeline import SyncResult, sync_timeline

pytestmark = pytest.mark.anyio
NOW = T0 + timedelta(minutes=30)


async def sync(config, incident_id: str, now=NOW) -> SyncResult:
    async with open_runtime(config, reference=now) as runtime:
        return await sync_timeline(runtime, incident_id)


def chat_events(store: IncidentStore, incident_id: str):
    events, _ = store.get_timeline(incident_id, sources=["slack"], limit=500)
    return events


def slack_status(result: SyncResult):
    [status] = [s for s in result.sources if s.capability == "chat"]
    return status


def busy_channel(fake: FakeSlack) -> None:
    """Five top-level messages over twenty minutes, one of them with two thread replies."""
    fake.post(ts(T0 + timedelta(minutes=2)), "U1", "checkout is throwing 500s")
    fake.post(ts(T0 + timedelta(minutes=4)), "U2", "looking at the api logs")
    fake.post(ts(T0 + timedelta(minutes=6)), "U1", "deploy 8841 went out at 02:55?")
    fake.post(ts(T0 + timedelta(minutes=7)), "U3", "yes, v2.42.0", thread_ts=ts(T0 + timedelta(minutes=6)))
    fake.post(ts(T0 + timedelta(minutes=8)), "U1", "rolling it back", thread_ts=ts(T0 + timedelta(minutes=6)))
    fake.post(ts(T0 + timedelta(minutes=12)), "U2", "errors dropping")
    fake.post(ts(T0 + timedelta(minutes=20)), "U1", "back to normal")


@respx.mock
async def test_two_syncs_add_nothing_the_second_time(tmp_path: Path, store, incident_id) -> None:
    fake = FakeSlack()
    busy_channel(fake)
    fake.install()
    config = make_config(tmp_path)
    first = await sync(config, incident_id)
    assert (slack_status(first).status, first.created, first.partial) == ("ok", 7, False)
    assert slack_status(first).cursor == ts(T0 + timedelta(minutes=20))
    assert fake.calls[0] == f"history oldest={ts(T0 - timedelta(minutes=30))} page=1"  # the window's start
    second = await sync(config, incident_id)
    assert (second.created, second.updated, second.deleted) == (0, 0, 0)
    assert slack_status(second).read_from == T0 + timedelta(minutes=5)  # cursor (03:20) minus the 15-minute overlap
    events = chat_events(store, incident_id)
    assert [e.text for e in events] == [
        "checkout is throwing 500s",
        "looking at the api logs",
        "deploy 8841 went out at 02:55?",
        "yes, v2.42.0",
        "rolling it back",
        "errors dropping",
        "back to normal",
    ]
    assert len({e.source_id for e in events}) == 7
    reply = events[3]
    assert reply.source_id == f"{CHANNEL}:{ts(T0 + timedelta(minutes=7))}"
    assert reply.details["thread_ts"] == ts(T0 + timedelta(minutes=6)) and reply.actor == "U3"
    assert reply.link.startswith("https://acme.slack.com/archives/C042/p")


@respx.mock
async def test_an_edit_updates_the_event_and_keeps_history(tmp_path: Path, store, incident_id) -> None:
    fake = FakeSlack()
    busy_channel(fake)
    fake.install()
    config = make_config(tmp_path)
    await sync(config, incident_id)
    edited_ts = ts(T0 + timedelta(minutes=21))
    fake.edit(ts(T0 + timedelta(minutes=12)), "errors dropping after the rollback", edited_ts)
    result = await sync(config, incident_id, NOW + timedelta(minutes=1))
    assert (result.created, result.updated) == (0, 1)
    [event] = [
        e for e in chat_events(store, incident_id) if e.source_id == f"{CHANNEL}:{ts(T0 + timedelta(minutes=12))}"
    ]
    assert event.text == "errors dropping after the rollback"
    assert event.edited_at == T0 + timedelta(minutes=21) and event.revision_count == 1
    assert event.occurred_at == T0 + timedelta(minutes=12)
    [revision] = store.get_revisions(event.id)
    assert (revision.text, revision.change) == ("errors dropping", "updated")


@respx.mock
async def test_a_deleted_message_is_flagged_only_when_the_read_proves_it(tmp_path: Path, store, incident_id) -> None:
    fake = FakeSlack()
    busy_channel(fake)
    fake.install()
    config = make_config(tmp_path)
    await sync(config, incident_id)
    fake.delete(ts(T0 + timedelta(minutes=12)))  # inside the re-read overlap: provably gone
    fake.delete(ts(T0 + timedelta(minutes=8)))  # a reply whose parent (03:06) is re-read: provably gone
    fake.delete(ts(T0 + timedelta(minutes=2)))  # older than the re-read (from 03:05): cannot be judged
    later = NOW + timedelta(minutes=2)
    result = await sync(config, incident_id, later)
    assert (result.created, result.updated, result.deleted) == (0, 0, 2)
    events = {e.text: e for e in chat_events(store, incident_id)}
    assert events["errors dropping"].deleted_at == later  # when the sync noticed
    assert events["errors dropping"].revision_count == 1
    assert events["rolling it back"].deleted_at == later
    assert events["checkout is throwing 500s"].deleted_at is None  # kept: the read never covered it
    assert len(events) == 7  # flagged, never removed
    again = await sync(config, incident_id, later)
    assert again.deleted == 0  # flagged once


@respx.mock
async def test_replies_are_judged_only_when_their_parent_is_re_read(tmp_path: Path, store, incident_id) -> None:
    fake = FakeSlack()
    fake.post(ts(T0 + timedelta(minutes=2)), "U1", "old thread")
    fake.post(ts(T0 + timedelta(minutes=20)), "U1", "rollback started")
    fake.post(ts(T0 + timedelta(minutes=21)), "U2", "watching errors", thread_ts=ts(T0 + timedelta(minutes=20)))
    fake.post(ts(T0 + timedelta(minutes=22)), "U3", "typo, ignore", thread_ts=ts(T0 + timedelta(minutes=20)))
    fake.post(
        ts(T0 + timedelta(minutes=25)), "U4", "late reply to an old thread", thread_ts=ts(T0 + timedelta(minutes=2))
    )
    fake.install()
    config = make_config(tmp_path)
    assert (await sync(config, incident_id)).created == 5
    fake.delete(ts(T0 + timedelta(minutes=22)))
    result = await sync(config, incident_id)  # re-reads from 03:05: the 03:02 thread is not read again
    assert result.deleted == 1
    flagged = [e.text for e in chat_events(store, incident_id) if e.deleted_at]
    assert flagged == ["typo, ignore"]  # the late reply to the old thread is not taken for deleted


@respx.mock
async def test_highlights_by_emoji_and_keyword(tmp_path: Path, store, incident_id) -> None:
    fake = FakeSlack()
    fake.post(ts(T0 + timedelta(minutes=2)), "U1", "Decision: roll back checkout")
    fake.post(ts(T0 + timedelta(minutes=3)), "U2", "rollback done", reactions=("pushpin",))
    fake.post(ts(T0 + timedelta(minutes=20)), "U3", "errors at baseline")
    fake.install()
    config = make_config(tmp_path)
    await sync(config, incident_id)
    kinds = {e.text: (e.kind, e.details.get("highlighted")) for e in chat_events(store, incident_id)}
    assert kinds == {
        "Decision: roll back checkout": ("highlight", ["keyword:decision:"]),
        "rollback done": ("highlight", ["emoji:pushpin"]),
        "errors at baseline": ("message", None),
    }
    fake.react(ts(T0 + timedelta(minutes=20)), "stopwatch")
    result = await sync(config, incident_id)
    assert result.updated == 1
    [event] = [e for e in chat_events(store, incident_id) if e.text == "errors at baseline"]
    assert event.kind == "highlight" and event.edited_at is None  # a reaction is not an edit of the text


DEPLOY = {
    "id": "deploy-8841",
    "service": "checkout",
    "version": "v2.42.0",
    "started_at": "2026-03-14T02:55:00Z",
    "finished_at": "2026-03-14T02:58:00Z",
    "status": "succeeded",
    "author": "dana",
}


@respx.mock
async def test_slack_failing_on_page_two_keeps_everything_else_and_loses_nothing(
    tmp_path: Path, store, incident_id
) -> None:
    fake = FakeSlack(page_size=2)
    busy_channel(fake)
    fake.install()
    config = make_config(tmp_path, deploys=[DEPLOY])
    first = await sync(config, incident_id)
    assert first.created == 8  # 7 messages and the deploy
    cursor = slack_status(first).cursor
    for minute in range(21, 26):  # five more top-level messages: three pages of two
        fake.post(ts(T0 + timedelta(minutes=minute)), "U1", f"update {minute}")
    fake.fail_history_page = 2
    broken = await sync(config, incident_id, NOW + timedelta(minutes=1))
    status = slack_status(broken)
    assert (broken.partial, status.status, status.cursor, status.created) == (True, "error", cursor, 0)
    assert "connection reset by peer" in status.detail or "slack" in status.detail.lower()
    deploys = [s for s in broken.sources if s.capability == "deploys"]
    assert deploys[0].status == "ok" and deploys[0].unchanged == 1
    assert len(chat_events(store, incident_id)) == 7
    fake.fail_history_page = None
    healed = await sync(config, incident_id, NOW + timedelta(minutes=2))
    assert (healed.partial, healed.created, healed.deleted) == (False, 5, 0)
    assert slack_status(healed).cursor == ts(T0 + timedelta(minutes=25))
    again = await sync(config, incident_id, NOW + timedelta(minutes=3))
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
    events = chat_events(store, incident_id)
    assert len(events) == len({e.source_id for e in events}) == 12
    assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)


@respx.mock
async def test_failure_on_the_very_first_sync_stores_nothing_and_the_next_gets_all(
    tmp_path: Path, store, incident_id
) -> None:
    fake = FakeSlack(page_size=2, fail_history_page=2)
    busy_channel(fake)
    fake.install()
    config = make_config(tmp_path)
    broken = await sync(config, incident_id)
    assert broken.partial and slack_status(broken).cursor is None and chat_events(store, incident_id) == []
    assert store.get_cursor(incident_id, f"slack:{CHANNEL}") is None
    fake.fail_history_page = None
    assert (await sync(config, incident_id)).created == 7


async def test_chat_without_a_channel_is_skipped(tmp_path: Path, store, incident_id) -> None:
    config = make_config(tmp_path, timeline={"channel": ""})
    result = await sync(config, incident_id)
    [status] = result.sources[:1]
    assert (status.capability, status.status) == ("chat", "skipped")
    assert "timeline.channel" in status.detail and not result.partial
