"""The timeline as Markdown, for a postmortem or a handover.

Grouped by UTC day (a heading per day), then by runs of consecutive events from the same source and
actor (a bold line naming them); every event is a bullet starting with its UTC date and time.
Highlights are marked **[highlight]**, other kinds than messages are named (``[alert fired]``), an
edited event says when and how many earlier versions are kept, and a deleted one is struck through
with the text it had. Multi-line texts stay inside their bullet.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from mcp_server.store.models import TimelineEvent

_PLAIN_KINDS = frozenset({"message", "highlight", "note"})


def export_markdown(events: Iterable[TimelineEvent], title: str = "") -> str:
    """The events (already in time order) as one Markdown document; ``title`` becomes its heading."""
    out: list[str] = [f"# {title}"] if title else []
    day, group, count = "", ("", ""), 0
    for event in events:
        count += 1
        if event.occurred_at.strftime("%Y-%m-%d") != day:
            day, group = event.occurred_at.strftime("%Y-%m-%d"), ("", "")
            out += ["", f"## {day} (UTC)"]
        if (event.source, event.actor) != group:
            group = (event.source, event.actor)
            out += ["", f"**{event.source} · {event.actor}**" if event.actor else f"**{event.source}**", ""]
        out.append(_bullet(event))
    if not count:
        out += ["", "_No events recorded._"]
    return "\n".join(out).strip() + "\n"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def _bullet(event: TimelineEvent) -> str:
    """One event: time, markers, text, link, and notes about edits and deletion."""
    text_lines = event.text.splitlines() or [""]
    text = "\n    ".join(text_lines)
    if event.deleted_at is not None:
        text = f"~~{text}~~"
    markers = ""
    if event.kind == "highlight" or event.details.get("highlighted"):
        markers = "**[highlight]** "
    elif event.kind not in _PLAIN_KINDS:
        markers = f"[{event.kind.replace('_', ' ')}] "
    notes = []
    if event.edited_at is not None:
        kept = f", {event.revision_count} earlier version{'s' if event.revision_count != 1 else ''} kept"
        notes.append(f"edited {_stamp(event.edited_at)}{kept if event.revision_count else ''}")
    if event.deleted_at is not None:
        notes.append(f"deleted at the source, noticed {_stamp(event.deleted_at)}")
    link = f" ([link]({event.link}))" if event.link else ""
    note = f" _({'; '.join(notes)})_" if notes else ""
    return f"- `{_stamp(event.occurred_at)}` {markers}{text}{link}{note}"
