"""The pure rules of the timeline: message entries, highlights, read plans, deletions, alerts, deploys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.models import Alert, ChatMessage, Deploy
from mcp_server.config import TimelineConfig
from mcp_server.store.models import InboxAlert, TimelineEvent
from mcp_server.timeline.alerts import alert_matches, inbox_entry, polled_entry
from mcp_server.timeline.chat import (
    CHAT_OVERLAP,
    highlight_reasons,
    later_cursor,
    message_entry,
    read_plan,
    source_name,
    vanished,
)
from mcp_server.timeline.deploys import deploy_entry, wanted

T0 = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
SETTINGS = TimelineConfig()


def msg(seconds: int, text: str = "hello", thread: int | None = None, **extra: object) -> ChatMessage:
    ts = f"{int(T0.timestamp()) + seconds}.000100"
    thread_ts = f"{int(T0.timestamp()) + thread}.000100" if thread is not None else ""
    return ChatMessage(
        channel="C042",
        ts=ts,
        thread_ts=thread_ts,
        user="U1",
        text=text,
        posted_at=T0 + timedelta(seconds=seconds),
        **extra,
    )


def stored(message: ChatMessage, deleted: bool = False) -> TimelineEvent:
    entry = message_entry("slack", message, SETTINGS)
    return TimelineEvent(
        id=1,
        incident_id="INC-1",
        occurred_at=message.posted_at,
        recorded_at=T0,
        source="slack",
        kind=entry.kind,
        text=entry.text,
        source_id=entry.source_id,
        details=entry.details,
        deleted_at=T0 if deleted else None,
    )


def test_message_entry_fields() -> None:
    reply = msg(60, "on it\x07", thread=0, link="https://acme.slack.com/archives/C042/p1")
    entry = message_entry("slack", reply, SETTINGS)
    assert (entry.kind, entry.text, entry.actor, entry.occurred_at) == (
        "message",
        "on it",
        "U1",
        T0 + timedelta(minutes=1),
    )
    assert entry.source_id == f"C042:{reply.ts}"
    assert entry.details == {"channel": "C042", "ts": reply.ts, "thread_ts": reply.thread_ts}
    assert message_entry("slack", msg(1, "  "), SETTINGS).text == "(message without text)"
    assert len(message_entry("slack", msg(1, "x" * 20_000), SETTINGS).text) == 10_000


@pytest.mark.parametrize(
    ("text", "reactions", "expected"),
    [
        ("ACTION: page the db team", [], ["keyword:action:"]),
        ("see :pushpin: above", [], ["emoji:pushpin"]),
        ("rolled back", ["stopwatch", "+1"], ["emoji:stopwatch"]),
        (
            "#timeline decision: freeze deploys",
            ["pushpin"],
            ["emoji:pushpin", "keyword:#timeline", "keyword:decision:"],
        ),
        ("just chatting", ["+1"], []),
    ],
)
def test_highlight_reasons(text: str, reactions: list[str], expected: list[str]) -> None:
    assert highlight_reasons(msg(0, text, reactions=reactions), SETTINGS) == expected


def test_source_names_follow_the_timeline_rules() -> None:
    assert source_name("slack") == "slack"
    assert source_name("Slack Prod") == "slack-prod"
    assert source_name("2nd") == "s-2nd"


def test_read_plan_and_cursor_order() -> None:
    start = T0 - timedelta(minutes=30)
    assert read_plan(None, start) == (start, None)
    cursor = f"{int((T0 + timedelta(minutes=20)).timestamp())}.000100"
    assert read_plan(cursor, start) == (T0 + timedelta(minutes=20, microseconds=100) - CHAT_OVERLAP, None)
    early = f"{int((T0 - timedelta(minutes=29)).timestamp())}.000000"
    assert read_plan(early, start) == (start, None)  # never before the window
    assert read_plan("opaque-cursor", start) == (start, "opaque-cursor")  # not a ts: passed through
    assert later_cursor("1710385620.000200", "1710385620.000100") == "1710385620.000200"
    assert later_cursor("1710385620.000100", "1710385700.000000") == "1710385700.000000"
    assert later_cursor("1710385620.000100", None) == "1710385620.000100"
    assert later_cursor(None, "abc") == "abc"


def test_vanished_judges_only_what_the_read_covered() -> None:
    read_from = T0 + timedelta(minutes=5)
    old, parent, reply, top, other_reply = msg(60), msg(600), msg(660, thread=600), msg(900), msg(960, thread=60)
    events = [stored(m) for m in (old, parent, reply, top, other_reply)]
    # The read returned only the parent: the reply of a re-read parent and a newer top are gone;
    # the old message and the reply of an unread parent cannot be judged.
    gone = vanished(events, [parent], "C042", read_from, complete=True)
    assert gone == [f"C042:{reply.ts}", f"C042:{top.ts}"]
    assert vanished(events, [parent, reply, top], "C042", read_from, complete=True) == []
    assert vanished(events, [], "C042", read_from, complete=True) == [f"C042:{parent.ts}", f"C042:{top.ts}"]
    assert vanished([stored(top, deleted=True)], [], "C042", read_from, complete=True) == []  # flagged once
    assert vanished(events, [], "C099", read_from, complete=True) == []  # another channel's events


def test_vanished_after_a_capped_read_judges_only_from_the_oldest_returned() -> None:
    read_from = T0
    first, second, third = msg(60), msg(120), msg(180)
    events = [stored(m) for m in (first, second, third)]
    # The adapter may have stopped before the oldest pages: 'first' might just not have been read.
    assert vanished(events, [third], "C042", read_from, complete=False) == []
    assert vanished(events, [second], "C042", read_from, complete=False) == [f"C042:{third.ts}"]


def inbox(status: str, **extra: object) -> InboxAlert:
    fields = {
        "id": 1,
        "fingerprint": "fp1",
        "status": status,
        "name": "HighErrorRate",
        "labels": {"alertname": "HighErrorRate", "service": "checkout"},
        "annotations": {"description": "5xx above 5%"},
        "starts_at": T0,
        "received_at": T0,
        "generator_url": "http://prom.test/graph",
    }
    return InboxAlert.model_validate({**fields, **extra})


def test_alert_entries_share_ids_between_the_webhook_and_polling() -> None:
    fired = inbox_entry(inbox("firing"))
    polled = polled_entry(
        Alert(
            name="HighErrorRate",
            service="checkout",
            summary="5xx above 5%",
            labels={"alertname": "HighErrorRate", "service": "checkout"},
            starts_at=T0,
            fingerprint="fp1",
            link="http://prom.test/graph",
        )
    )
    assert fired == polled
    assert (fired.kind, fired.source, fired.source_id) == ("alert_fired", "alertmanager", "fp1:2026-03-14T03:00:00Z")
    assert fired.text == "HighErrorRate firing on checkout: 5xx above 5%"
    resolved = inbox_entry(inbox("resolved", ends_at=T0 + timedelta(minutes=75)))
    assert (resolved.kind, resolved.occurred_at) == ("alert_resolved", T0 + timedelta(minutes=75))
    assert resolved.source_id == "fp1:2026-03-14T03:00:00Z:resolved"
    assert resolved.text == "HighErrorRate resolved on checkout after 1h15m"


@pytest.mark.parametrize(
    ("labels", "service", "expected"),
    [
        ({"service": "checkout"}, "checkout", True),
        ({"service": "payments", "job": "checkout"}, "checkout", False),  # the service label decides
        ({"job": "checkout"}, "checkout", True),  # no service label: any label value
        ({"job": "api"}, "checkout", False),
        ({"job": "api"}, "", True),  # no suspected service: every alert
    ],
)
def test_alert_matching(labels: dict[str, str], service: str, expected: bool) -> None:
    assert alert_matches(labels, service) is expected


def test_deploy_entries_one_per_status() -> None:
    base = {
        "id": "d-1",
        "service": "checkout",
        "version": "v42",
        "previous_version": "v41",
        "environment": "prod",
        "started_at": T0,
        "author": "dana",
        "link": "https://ci.test/d-1",
    }
    started = deploy_entry("ci", Deploy(**base, status="in_progress"))
    done = deploy_entry("ci", Deploy(**base, status="succeeded", finished_at=T0 + timedelta(minutes=4)))
    back = deploy_entry("ci", Deploy(**base, status="rolled_back", finished_at=T0 + timedelta(minutes=9)))
    assert [(e.kind, e.source_id, e.occurred_at) for e in (started, done, back)] == [
        ("deploy", "d-1:in_progress", T0),
        ("deploy", "d-1:succeeded", T0 + timedelta(minutes=4)),
        ("rollback", "d-1:rolled_back", T0 + timedelta(minutes=9)),
    ]
    assert back.text == "Deploy of checkout v42 to prod rolled back (back to v41)"
    assert done.actor == "dana" and done.details["environment"] == "prod"
    assert wanted(Deploy(**base), []) and not wanted(Deploy(**base), ["staging"])
