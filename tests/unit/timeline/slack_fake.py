"""A Slack channel in memory, served through respx the way the Web API documents it.

``conversations.history`` returns top-level messages newer than ``oldest`` (exclusive), newest
first, ``page_size`` per page with ``has_more`` and ``response_metadata.next_cursor``;
``conversations.replies`` returns a thread's parent first, then its replies. Messages can be
posted, edited (``edited.ts``), reacted to and deleted; a page can be made to fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import httpx
import respx

API = "https://slack.test/api"
WORKSPACE = "https://acme.slack.com"
CHANNEL = "C042"


def ts(moment: datetime, seq: int = 0) -> str:
    """A Slack ts for ``moment`` (whole seconds) with a per-second sequence number."""
    return f"{int(moment.timestamp())}.{seq:06d}"


@dataclass
class FakeSlack:
    """One channel's messages and threads; ``install(router)`` mocks the two read methods."""

    page_size: int = 3
    messages: dict[str, dict] = field(default_factory=dict)  # ts -> Slack message object
    fail_history_page: int | None = None  # 1-based page of conversations.history that fails
    calls: list[str] = field(default_factory=list)

    def post(self, ts_: str, user: str, text: str, thread_ts: str = "", reactions: tuple[str, ...] = ()) -> None:
        """Add a message (a reply when ``thread_ts`` names its parent)."""
        message: dict = {"type": "message", "ts": ts_, "user": user, "text": text}
        if thread_ts:
            message["thread_ts"] = thread_ts
            parent = self.messages[thread_ts]
            parent["thread_ts"] = thread_ts
            parent["reply_count"] = parent.get("reply_count", 0) + 1
        if reactions:
            message["reactions"] = [{"name": r, "count": 1, "users": ["U1"]} for r in reactions]
        self.messages[ts_] = message

    def edit(self, ts_: str, text: str, edited_ts: str) -> None:
        """Change a message's text as an edit does."""
        self.messages[ts_]["text"] = text
        self.messages[ts_]["edited"] = {"user": self.messages[ts_]["user"], "ts": edited_ts}

    def react(self, ts_: str, name: str) -> None:
        """Add a reaction."""
        self.messages[ts_].setdefault("reactions", []).append({"name": name, "count": 1, "users": ["U9"]})

    def delete(self, ts_: str) -> None:
        """Remove a message (a reply also lowers its parent's reply_count)."""
        message = self.messages.pop(ts_)
        thread = message.get("thread_ts")
        if thread and thread != ts_ and thread in self.messages:
            self.messages[thread]["reply_count"] -= 1

    def install(self, router: respx.Router | None = None) -> None:
        """Mock conversations.history and conversations.replies on ``router`` (default: the global one)."""
        target = router or respx
        target.get(f"{API}/conversations.history").mock(side_effect=self._history)
        target.get(f"{API}/conversations.replies").mock(side_effect=self._replies)

    def _is_top(self, message: dict) -> bool:
        return message.get("thread_ts", message["ts"]) == message["ts"]

    def _history(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert params["channel"] == CHANNEL
        oldest = Decimal(params.get("oldest", "0"))
        tops = sorted(
            (m for m in self.messages.values() if self._is_top(m) and Decimal(m["ts"]) > oldest),
            key=lambda m: Decimal(m["ts"]),
            reverse=True,
        )
        start = int(params.get("cursor") or 0)
        page = start // self.page_size + 1
        self.calls.append(f"history oldest={params.get('oldest')} page={page}")
        if self.fail_history_page == page:
            raise httpx.ConnectError("connection reset by peer")
        batch = tops[start : start + self.page_size]
        more = start + self.page_size < len(tops)
        body = {
            "ok": True,
            "messages": [dict(m) for m in batch],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + self.page_size) if more else ""},
        }
        return httpx.Response(200, json=body)

    def _replies(self, request: httpx.Request) -> httpx.Response:
        parent = request.url.params["ts"]
        self.calls.append(f"replies ts={parent}")
        if parent not in self.messages:
            return httpx.Response(200, json={"ok": False, "error": "thread_not_found"})
        replies = sorted(
            (m for m in self.messages.values() if m.get("thread_ts") == parent and m["ts"] != parent),
            key=lambda m: Decimal(m["ts"]),
        )
        body = {"ok": True, "messages": [dict(self.messages[parent]), *[dict(r) for r in replies]], "has_more": False}
        return httpx.Response(200, json=body)


def slack_adapter_settings() -> dict:
    """The adapters: entry of a config reading the fake workspace."""
    return {"type": "slack", "token": "xoxb-test-token", "api_url": API, "workspace_url": WORKSPACE}
