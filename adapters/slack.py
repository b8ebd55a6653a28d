"""The incident chat channel in Slack: reads its history (capability "chat") and posts to it ("chat_post").

Reads with the Web API's ``conversations.history`` and, for every message that has a thread,
``conversations.replies``; posts with ``chat.postMessage`` (a bot token), or with an incoming
webhook when no token is configured. Shapes follow https://docs.slack.dev/reference/methods.

Slack answers most failures with HTTP 200 and ``{"ok": false, "error": "<code>"}``; each code
becomes the matching :mod:`adapters.errors` class with what to do (invite the bot, add the scope
named in ``needed``). A rate limit (HTTP 429 with ``Retry-After``) is retried once when the wait
is short, because an incident sync that fails for two seconds of back-off helps nobody.

The cursor of our incremental sync is not Slack's paging cursor: it is the ts of the newest
top-level message seen, so the next sync asks ``oldest=<that ts>`` (Slack's ``oldest`` is
exclusive) and gets only what is newer. Thread replies to a parent older than that are not seen
by an incremental sync; a full sync (no cursor) picks them up.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import ClassVar

import anyio
import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from adapters.base import AdapterContext
from adapters.errors import (
    AdapterError,
    AuthError,
    BadResponseError,
    ConfigError,
    NotFoundError,
    QueryError,
    RateLimitedError,
)
from adapters.http import (
    BaseUrl,
    Credentials,
    Method,
    check_base_url,
    decode_json,
    refuse_url_credentials,
    retry_after_seconds,
    send,
)
from adapters.models import ChatHistory, ChatMessage, PostResult, utcnow

log = logging.getLogger(__name__)

PAGE_LIMIT = 200  # Slack's documented maximum for conversations.history and .replies
READ_SCOPES = "channels:history (public channels), groups:history (private channels)"
_NOT_FOUND = frozenset({"not_in_channel", "channel_not_found", "thread_not_found", "message_not_found"})
_AUTH = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "no_permission"})
_TS = re.compile(r"[0-9]{1,11}\.[0-9]{1,6}")  # Slack's ts: Unix seconds, a dot, a per-second sequence
_NOISE = frozenset({"channel_join", "channel_leave"})  # membership churn, not incident content
# Incoming-webhook answers (text/plain), https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks
_WEBHOOK_AUTH = frozenset(
    {"invalid_token", "no_service", "no_service_id", "no_team", "team_disabled", "action_prohibited"}
)
_WEBHOOK_GONE = frozenset({"channel_not_found", "channel_is_archived"})


class SlackConfig(BaseModel):
    """Settings of the Slack adapter: a bot token, an incoming webhook, or both."""

    # hide_input_in_errors: a validation error must not print the token or the webhook URL.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    token: SecretStr | None = Field(default=None, description="Bot token (xoxb-...); use ${SLACK_BOT_TOKEN}")
    api_url: BaseUrl = Field(default="https://slack.com/api", description="Base of the Web API methods")
    webhook_url: SecretStr | None = Field(default=None, description="Incoming webhook, for posting without a token")
    workspace_url: str = Field(default="", description="Base of permalinks, e.g. https://acme.slack.com")
    timeout_s: float = Field(default=10.0, gt=0, le=120, description="Per-request timeout in seconds")
    max_retry_wait_s: float = Field(default=5.0, ge=0, le=60, description="Retry a 429 once if it asks this little")
    max_pages: int = Field(default=20, ge=1, le=500, description="Pages of 200 read per history or thread")

    @field_validator("workspace_url")
    @classmethod
    def _workspace_url(cls, value: str) -> str:
        return check_base_url(value) if value else ""

    @field_validator("webhook_url")
    @classmethod
    def _webhook(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_base_url(value.get_secret_value())  # its messages never include the URL
        return value

    @model_validator(mode="before")
    @classmethod
    def _no_url_credentials(cls, data: object) -> object:
        return refuse_url_credentials(data, "api_url", "workspace_url")

    @model_validator(mode="after")
    def _one_way_in(self) -> SlackConfig:
        if self.token is None and self.webhook_url is None:
            raise ValueError("set token (a bot token, ${SLACK_BOT_TOKEN}) or webhook_url (posting only)")
        return self


def ts_time(ts: str) -> datetime:
    """The UTC moment of a Slack ts (``"1710385620.000100"``: seconds and a per-second sequence).

    Raises:
        ValueError: ``ts`` is not in that form (``float()`` alone would take ``1e9`` or ``inf``).
    """
    if not _TS.fullmatch(ts):
        raise ValueError(f"{ts[:40]!r} is not a Slack ts (seconds.sequence)")
    return datetime.fromtimestamp(float(ts), UTC)


def ts_of(moment: datetime) -> str:
    """A Slack ts for ``moment``, as ``oldest`` takes it (``1710385620.000000``)."""
    return f"{moment.timestamp():.6f}"


def _ts_key(ts: str) -> tuple[int, int]:
    # Compare as integers: float() loses the sequence part of two messages in the same second.
    whole, _, frac = ts.partition(".")
    return int(whole), int(frac.ljust(6, "0")[:6] or 0)


def permalink(workspace_url: str, channel: str, ts: str, thread_ts: str = "") -> str:
    """Slack's message link, ``{workspace}/archives/{channel}/p{ts without the dot}``; '' without a workspace."""
    if not workspace_url:
        return ""
    link = f"{workspace_url}/archives/{channel}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel}"
    return link


def to_message(item: dict[str, object], channel: str, workspace_url: str) -> ChatMessage:
    """Map one Slack message object to our ChatMessage."""
    ts = item["ts"]
    if not isinstance(ts, str):
        raise ValueError(f"ts must be a string, got {ts!r}")
    thread_ts = str(item.get("thread_ts") or "")
    edited = item.get("edited")
    edited_ts = edited.get("ts") if isinstance(edited, dict) else None
    reactions = item.get("reactions")
    if not isinstance(reactions, list):
        reactions = []
    names = [str(r["name"]) for r in reactions if isinstance(r, dict) and r.get("name")]
    return ChatMessage(
        channel=channel,
        ts=ts,
        thread_ts=thread_ts,
        user=str(item.get("user") or item.get("bot_id") or item.get("username") or ""),
        text=str(item.get("text") or ""),
        posted_at=ts_time(ts),
        edited_at=ts_time(edited_ts) if isinstance(edited_ts, str) else None,
        reactions=names,
        link=permalink(workspace_url, channel, ts, thread_ts),
    )


class SlackAdapter:
    """Reads an incident channel with its threads, and posts updates to it."""

    config_model: ClassVar[type[SlackConfig]] = SlackConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"chat", "chat_post"})

    def __init__(self, name: str, config: SlackConfig, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Keep the settings and the shared client; nothing is sent until asked."""
        self.name = name
        self.config = config
        self._http = http
        self._context = context
        secrets = [s.get_secret_value() for s in (config.token, config.webhook_url) if s is not None]
        if config.webhook_url is not None:
            # The last path segment is the webhook's secret; mask it even if a message shows it alone.
            secrets.append(config.webhook_url.get_secret_value().rsplit("/", 1)[-1])
        headers = {"Authorization": f"Bearer {config.token.get_secret_value()}"} if config.token else {}
        self._credentials = Credentials(headers=headers, secrets=tuple(s for s in secrets if len(s) >= 4))
        self._sleep: Callable[[float], Awaitable[None]] = anyio.sleep  # tests replace it

    def __repr__(self) -> str:
        mode = "token" if self.config.token else "webhook"
        return f"SlackAdapter(name={self.name!r}, api_url={self.config.api_url!r}, auth={mode})"

    async def check(self) -> str:
        """auth.test with the token (team and bot user); with only a webhook, report it unprobed."""
        if self.config.token is None:
            return "Slack incoming webhook configured (not probed: probing would post a message)"
        body = await self._call("POST", "auth.test", "POST auth.test", need="")
        where = f" ({body['url']})" if body.get("url") else ""
        return f"Slack workspace {body.get('team', '?')} as {body.get('user', '?')}{where}"

    async def history(self, channel: str, oldest: datetime, cursor: str | None) -> ChatHistory:
        """Messages and thread replies after ``cursor`` (a ts) or else since ``oldest``, oldest first.

        The next cursor is the ts of the newest top-level message seen (the given cursor when
        nothing new arrived), so the next call asks only for what is newer. ``complete`` is False
        when a method stopped at ``max_pages``.
        """
        self._need_token("reading the channel history")
        since = cursor or ts_of(oldest)
        parents, complete = await self._paged(
            "conversations.history", {"channel": channel, "oldest": since}, f"channel={channel} oldest={since}"
        )
        messages: list[ChatMessage] = []
        for item in parents:
            messages.append(self._message(item, channel, "conversations.history"))
            reply_count = item.get("reply_count")
            if isinstance(reply_count, int) and reply_count > 0:
                replies, whole_thread = await self._replies(channel, str(item["ts"]))
                messages += replies
                complete = complete and whole_thread
        newest = max((str(p["ts"]) for p in parents), key=_ts_key, default=cursor)
        # A reply also sent to the channel (thread_broadcast) comes back from both methods: keep one.
        unique = {m.ts: m for m in reversed(messages)}
        ordered = sorted(unique.values(), key=lambda m: _ts_key(m.ts))
        return ChatHistory(messages=ordered, cursor=newest, complete=complete)

    async def post_message(self, channel: str, text: str) -> PostResult:
        """chat.postMessage with the token, else the incoming webhook (which ignores ``channel``)."""
        if self.config.token is None:
            return await self._post_webhook(channel, text)
        summary = f"POST chat.postMessage channel={channel} ({len(text)} chars)"
        payload = {"channel": channel, "text": text}
        body = await self._call("POST", "chat.postMessage", summary, need="chat:write", json=payload)
        ts = body.get("ts")
        if not isinstance(ts, str) or not _TS.fullmatch(ts):
            raise self._bad_shape(summary, "ts is missing from the chat.postMessage answer, or not a Slack ts")
        posted_in = str(body.get("channel") or channel)
        return PostResult(
            target=f"slack:{channel}",
            remote_id=ts,
            link=permalink(self.config.workspace_url, posted_in, ts),
            posted_at=ts_time(ts),
        )

    # --- Reading -------------------------------------------------------------------------------

    async def _replies(self, channel: str, parent_ts: str) -> tuple[list[ChatMessage], bool]:
        """Every reply of one thread, without the parent (which conversations.replies repeats first)."""
        params = {"channel": channel, "ts": parent_ts}
        items, complete = await self._paged("conversations.replies", params, f"channel={channel} ts={parent_ts}")
        return [self._message(i, channel, "conversations.replies") for i in items if i.get("ts") != parent_ts], complete

    async def _paged(self, method: str, params: dict[str, str], what: str) -> tuple[list[dict[str, object]], bool]:
        """All messages of a cursor-paged method, up to ``max_pages`` pages, and whether that was all."""
        items: list[dict[str, object]] = []
        page_cursor = ""
        for page in range(self.config.max_pages):
            query = {**params, "limit": str(PAGE_LIMIT)} | ({"cursor": page_cursor} if page_cursor else {})
            summary = f"GET {method} {what}" + (f" page={page + 1}" if page else "")
            body = await self._call("GET", method, summary, need=READ_SCOPES, params=query)
            batch = body.get("messages")
            if not isinstance(batch, list):
                raise self._bad_shape(summary, "messages is missing or not a list")
            items += [m for m in batch if isinstance(m, dict) and m.get("subtype") not in _NOISE]
            meta = body.get("response_metadata")
            page_cursor = str(meta.get("next_cursor") or "") if isinstance(meta, dict) else ""
            if not (body.get("has_more") and page_cursor):
                return items, True
        pages = self.config.max_pages
        log.warning("%s: %s %s has more than %d pages; the oldest are skipped", self.name, method, what, pages)
        return items, False

    def _message(self, item: dict[str, object], channel: str, method: str) -> ChatMessage:
        try:
            return to_message(item, channel, self.config.workspace_url)
        except (KeyError, TypeError, ValueError) as exc:
            raise self._bad_shape(f"GET {method} channel={channel}", f"a message: {exc}") from exc

    # --- Sending -------------------------------------------------------------------------------

    async def _call(
        self,
        method: Method,
        api_method: str,
        summary: str,
        *,
        need: str,
        params: dict[str, str] | None = None,
        json: object | None = None,
    ) -> dict[str, object]:
        """One Web API call, retried once after a short rate-limit wait; ``ok: false`` becomes an error."""
        for attempt in (1, 2):
            try:
                return await self._call_once(method, api_method, summary, need=need, params=params, json=json)
            except RateLimitedError as exc:
                wait = exc.retry_after
                if attempt == 2 or wait is None or wait > self.config.max_retry_wait_s:
                    raise
                log.info("%s: %s rate limited; retrying once after %gs", self.name, api_method, wait)
                await self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def _call_once(
        self,
        method: Method,
        api_method: str,
        summary: str,
        *,
        need: str,
        params: dict[str, str] | None,
        json: object | None,
    ) -> dict[str, object]:
        url = f"{self.config.api_url}/{api_method}"
        response = await send(
            self._http, method, url, adapter=self.name, request_summary=summary, timeout=self.config.timeout_s,
            params=params, json=json, credentials=self._credentials,
        )  # fmt: skip
        body = decode_json(response, adapter=self.name, request_summary=summary, credentials=self._credentials)
        if not isinstance(body, dict) or not isinstance(body.get("ok"), bool):
            raise self._bad_shape(summary, "the answer has no ok field: is api_url Slack's Web API?")
        if not body["ok"]:
            raise self._refused(body, response, summary, need)
        return body

    def _refused(self, body: dict[str, object], response: httpx.Response, summary: str, need: str) -> AdapterError:
        """The error for an ``{"ok": false}`` answer, with what to do about it."""
        code = str(body.get("error") or "unknown_error")
        needed = f" needed={body['needed']}" if body.get("needed") else ""
        upstream = self._credentials.mask(f"ok=false error={code}{needed}")
        where = {"adapter": self.name, "request": summary, "upstream": upstream}
        if code in _NOT_FOUND:
            hint = "Invite the bot to the channel (/invite @<bot> in it), and use the channel id (C0123...), not #name."
            return NotFoundError(f"Slack: {code}", **where, hint=hint)
        if code == "missing_scope":
            scope = str(body.get("needed") or need or "the scope the method documents")
            hint = (
                f"Add the bot token scope {scope} to the Slack app "
                f"(reading: {READ_SCOPES}; posting: chat:write), then reinstall the app."
            )
            return AuthError(f"the Slack token lacks the scope {scope}", **where, hint=hint)
        if code in _AUTH:
            hint = "The bot token is wrong, revoked or expired: set SLACK_BOT_TOKEN (xoxb-...) anew."
            return AuthError(f"Slack refused the token: {code}", **where, hint=hint)
        if code == "ratelimited":
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            return RateLimitedError(f"Slack: ratelimited{_after(wait)}", retry_after=wait, **where)
        return QueryError(f"Slack refused the call: {code}", **where)

    async def _post_webhook(self, channel: str, text: str) -> PostResult:
        """POST {"text": ...} to the incoming webhook, which answers ``ok`` as plain text."""
        assert self.config.webhook_url is not None  # the config refuses neither token nor webhook
        summary = f"POST <incoming webhook> ({len(text)} chars)"
        statuses = frozenset({400, 403, 404, 410})
        response = await send(
            self._http, "POST", self.config.webhook_url.get_secret_value(), adapter=self.name, request_summary=summary,
            timeout=self.config.timeout_s, json={"text": text}, credentials=self._credentials, passthrough=statuses,
        )  # fmt: skip
        answer = self._credentials.mask(response.text.strip())[:200]
        if response.status_code in statuses or answer != "ok":
            raise self._webhook_refused(response.status_code, answer, summary)
        return PostResult(target=f"slack:{channel}", remote_id="webhook", posted_at=utcnow())

    def _webhook_refused(self, status: int, answer: str, summary: str) -> AdapterError:
        where = {"adapter": self.name, "request": summary, "upstream": f"HTTP {status}: {answer}"}
        if answer in _WEBHOOK_AUTH:
            hint = "The webhook was removed or disabled: create a new incoming webhook and set webhook_url to it."
            return AuthError(f"Slack refused the webhook: {answer}", **where, hint=hint)
        if answer in _WEBHOOK_GONE:
            hint = "Create a webhook for a live channel and set webhook_url to it."
            return NotFoundError(f"the webhook's channel is gone: {answer}", **where, hint=hint)
        return QueryError(f"Slack refused the webhook post: {answer or 'empty answer'}", **where)

    # --- Helpers -------------------------------------------------------------------------------

    def _need_token(self, what: str) -> None:
        if self.config.token is None:
            raise ConfigError(
                f"{what} needs a bot token; only webhook_url is set",
                adapter=self.name,
                hint=f"Set token: ${{SLACK_BOT_TOKEN}} under adapters.{self.name} (scopes {READ_SCOPES}).",
            )

    def _bad_shape(self, summary: str, what: str) -> BadResponseError:
        return BadResponseError(
            f"the answer is not a Slack Web API response: {what}",
            adapter=self.name,
            request=summary,
            upstream=what[:300],
            hint="Check that api_url is https://slack.com/api (or the proxy in front of it).",
        )


def _after(wait: float | None) -> str:
    return f"; retry after {wait:g}s" if wait is not None else ""
