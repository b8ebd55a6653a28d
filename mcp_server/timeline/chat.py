"""The incident chat channel as timeline events: every message and thread reply, edits and deletions kept.

Rules (docs/timeline.md has the long form):

- Every message becomes one event: kind ``message`` (``highlight`` when it carries one of the
  ``timeline.highlight_emoji`` as a reaction or as ``:name:`` in its text, or contains one of the
  ``timeline.highlight_keywords``, case-insensitive), source the adapter's name, actor the user,
  ``source_id`` ``<channel>:<ts>``, occurred at the message's time. Thread replies too.
- Reading is incremental: from the cursor stored per (incident, ``<adapter>:<channel>``) minus
  ``CHAT_OVERLAP``, or from the incident window's start on the first sync. The overlap is read
  again on purpose: an edit there updates its event (previous version kept as a revision), and a
  message missing from it is flagged deleted.
- A stored message is flagged deleted only when the read proves it is gone: a top-level message
  newer than where the read started that did not come back, or a reply whose parent came back
  without it. When the read may have been cut short by the adapter's page cap, only top-level
  messages newer than the oldest one returned are judged. Anything older is never judged.
- The cursor moves only after every message of the read is stored.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from adapters.models import ChatMessage
from mcp_server.config import Config, TimelineConfig
from mcp_server.store.models import TimelineEntry, TimelineEvent
from mcp_server.timeline.text import clean_text, one_line, safe_link

CHAT_OVERLAP = timedelta(minutes=15)
_SOURCE_CHARS = re.compile(r"[^a-z0-9_.-]")


def chat_channel(config: Config) -> str:
    """The channel to read: ``timeline.channel``, else ``comms.chat_channel`` ('' when neither is set)."""
    return (config.timeline.channel or config.comms.chat_channel).strip()


def source_name(adapter_name: str) -> str:
    """An adapter name as a timeline source (lowercase, ``[a-z0-9_.-]``, starting with a letter)."""
    name = _SOURCE_CHARS.sub("-", adapter_name.lower())[:64]
    return name if name[:1].isalpha() else f"s-{name}"[:64]


def cursor_key(adapter_name: str, channel: str) -> str:
    """The cursor's name in the store: one per adapter and channel."""
    return f"{adapter_name}:{channel}"


def ts_value(ts: str | None) -> Decimal | None:
    """A Slack-style ts (``"1710385620.000100"``) as an exact number, or None if it is not one."""
    if not ts or not re.fullmatch(r"\d{1,12}(\.\d{1,9})?", ts):
        return None
    try:
        return Decimal(ts)
    except InvalidOperation:  # pragma: no cover - the pattern already guarantees a number
        return None


def ts_of(moment: datetime) -> Decimal:
    """A moment as a ts number (seconds since the epoch, microseconds)."""
    return Decimal(f"{moment.timestamp():.6f}")


def is_reply(message: ChatMessage) -> bool:
    """A thread reply (its parent's ts differs from its own)."""
    return bool(message.thread_ts) and message.thread_ts != message.ts


def highlight_reasons(message: ChatMessage, settings: TimelineConfig) -> list[str]:
    """Why a message is a highlight: ``emoji:<name>`` and ``keyword:<word>`` entries (empty: not one)."""
    reasons: list[str] = []
    text = message.text.lower()
    for emoji in settings.highlight_emoji:
        name = emoji.strip(":").lower()
        if name and (name in (r.lower() for r in message.reactions) or f":{name}:" in text):
            reasons.append(f"emoji:{name}")
    reasons += [f"keyword:{k}" for k in settings.highlight_keywords if k.strip() and k.lower() in text]
    return reasons


def message_entry(source: str, message: ChatMessage, settings: TimelineConfig) -> TimelineEntry:
    """One chat message as a timeline entry (see the module rules)."""
    reasons = highlight_reasons(message, settings)
    details: dict[str, object] = {"channel": message.channel, "ts": message.ts}
    if is_reply(message):
        details["thread_ts"] = message.thread_ts
    if reasons:
        details["highlighted"] = reasons
    return TimelineEntry.model_validate(
        {
            "source": source,
            "kind": "highlight" if reasons else "message",
            "text": clean_text(message.text, "(message without text)"),
            "occurred_at": message.posted_at,
            "actor": one_line(message.user),
            "link": safe_link(message.link),
            "source_id": f"{message.channel}:{message.ts}",
            "details": details,
        }
    )


def read_plan(cursor: str | None, window_start: datetime) -> tuple[datetime, str | None]:
    """Where to read from and which cursor to hand the adapter.

    A ts cursor (Slack's) is read again from ``CHAT_OVERLAP`` before it, never before the window,
    with no adapter cursor; any other cursor is passed through as is, from the window's start.
    """
    value = ts_value(cursor)
    if cursor is None:
        return window_start, None
    if value is None:
        return window_start, cursor
    resume = datetime.fromtimestamp(float(value), window_start.tzinfo) - CHAT_OVERLAP
    return max(window_start, resume), None


def later_cursor(stored: str | None, returned: str | None) -> str | None:
    """The cursor to keep: the newer of the two ts cursors; otherwise the adapter's, else the old one."""
    old, new = ts_value(stored), ts_value(returned)
    if old is not None and new is not None:
        return stored if old > new else returned
    return returned or stored


def vanished(
    stored: list[TimelineEvent], messages: list[ChatMessage], channel: str, read_from: datetime, complete: bool
) -> list[str]:
    """The ``source_id`` of every stored message the read proves deleted (see the module rules)."""
    returned = {m.ts for m in messages}
    parents = {m.ts for m in messages if not is_reply(m)}
    floor = ts_of(read_from)
    tops = [value for value in (ts_value(ts) for ts in parents) if value is not None]
    judge_from_oldest = not complete and tops
    gone: list[str] = []
    for event in stored:
        ts, thread = str(event.details.get("ts") or ""), str(event.details.get("thread_ts") or "")
        value = ts_value(ts)
        if event.deleted_at is not None or event.details.get("channel") != channel or value is None or ts in returned:
            continue
        if thread:
            proven = thread in parents
        else:
            proven = value > floor and (not judge_from_oldest or value >= min(tops))
        if proven and event.source_id:
            gone.append(event.source_id)
    return gone
