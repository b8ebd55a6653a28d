"""export_markdown: UTC days, runs of source and actor, highlights, edits and deletions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mcp_server.store.models import TimelineEvent
from mcp_server.timeline import export_markdown

T0 = datetime(2026, 3, 14, 23, 58, tzinfo=UTC)


def event(minutes: int, text: str, **extra: object) -> TimelineEvent:
    fields = {
        "id": minutes,
        "incident_id": "INC-1",
        "occurred_at": T0 + timedelta(minutes=minutes),
        "recorded_at": T0,
        "source": "slack",
        "kind": "message",
        "actor": "U1",
        "text": text,
    }
    return TimelineEvent.model_validate({**fields, **extra})


def test_days_groups_and_markers() -> None:
    events = [
        event(0, "checkout is throwing 500s"),
        event(1, "looking", link="https://acme.slack.com/archives/C042/p1"),
        event(2, "CheckoutHighErrorRate firing", source="alertmanager", actor="", kind="alert_fired"),
        event(3, "Decision: roll back", kind="highlight", edited_at=T0 + timedelta(minutes=4), revision_count=1),
        event(5, "typo\nsecond line", deleted_at=T0 + timedelta(minutes=9)),
    ]
    text = export_markdown(events, "Timeline of INC-1")
    assert text.startswith("# Timeline of INC-1\n\n## 2026-03-14 (UTC)\n\n**slack · U1**\n\n")
    assert "- `2026-03-14 23:58:00Z` checkout is throwing 500s\n" in text
    assert "- `2026-03-14 23:59:00Z` looking ([link](https://acme.slack.com/archives/C042/p1))" in text
    assert "## 2026-03-15 (UTC)\n\n**alertmanager**\n\n- `2026-03-15 00:00:00Z` [alert fired] Checkout" in text
    assert (
        "- `2026-03-15 00:01:00Z` **[highlight]** Decision: roll back "
        "_(edited 2026-03-15 00:02:00Z, 1 earlier version kept)_"
    ) in text
    assert "~~typo\n    second line~~ _(deleted at the source, noticed 2026-03-15 00:07:00Z)_" in text
    assert text.count("**slack · U1**") == 2  # a new run after the alert
    assert text.endswith("\n")


def test_empty_timeline() -> None:
    assert export_markdown([], "Timeline of INC-2") == "# Timeline of INC-2\n\n_No events recorded._\n"
