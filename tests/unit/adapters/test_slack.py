"""SlackAdapter against respx, with payloads shaped as Slack's Web API documents them (docs.slack.dev)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
import respx
from pydantic import ValidationError

from adapters.base import ChatSink, ChatSource
from adapters.errors import (
    AuthError,
    BackendTimeoutError,
    BadResponseError,
    ConfigError,
    NotFoundError,
    QueryError,
    RateLimitedError,
    UnavailableError,
)
from adapters.slack import SlackAdapter, SlackConfig, permalink, ts_of, ts_time

pytestmark = pytest.mark.anyio

API = "https://slack.com/api"
TOKEN = "xoxb-1234567890-secret-token-value"
HOOK = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXXhook"
CHANNEL = "C0INCIDENT"
OLDEST = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)


def make(http: httpx.AsyncClient, context, **settings: object) -> SlackAdapter:
    config = SlackConfig.model_validate({"token": TOKEN, "workspace_url": "https://acme.slack.com", **settings})
    adapter = SlackAdapter("slack", config, http, context)
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    adapter._sleep = no_sleep
    adapter.waits = waits  # type: ignore[attr-defined]
    return adapter


def message(ts: str, text: str, user: str = "U061F7AUR", **extra: object) -> dict[str, object]:
    return {"type": "message", "user": user, "text": text, "ts": ts, **extra}


def page(messages: list[dict[str, object]], next_cursor: str = "") -> dict[str, object]:
    body: dict[str, object] = {
        "ok": True,
        "messages": messages,
        "has_more": bool(next_cursor),
        "pin_count": 0,
        "response_metadata": {"next_cursor": next_cursor},
    }
    return body


def error(code: str, **extra: object) -> httpx.Response:
    return httpx.Response(200, json={"ok": False, "error": code, **extra})


# --- Settings ------------------------------------------------------------------------------------


def test_needs_a_token_or_a_webhook():
    with pytest.raises(ValidationError, match="token"):
        SlackConfig.model_validate({})


def test_settings_errors_never_echo_the_webhook():
    with pytest.raises(ValidationError) as info:
        SlackConfig.model_validate({"webhook_url": "ftp://hooks.example/secretpart", "token": TOKEN})
    assert "secretpart" not in str(info.value) and TOKEN not in str(info.value)


def test_repr_hides_the_token(http, context):
    assert TOKEN not in repr(make(http, context)) and TOKEN not in repr(make(http, context).config)


def test_the_adapter_meets_both_protocols(http, context):
    source: ChatSource = make(http, context)
    sink: ChatSink = make(http, context)
    assert callable(source.history) and callable(sink.post_message)
    assert SlackAdapter.capabilities == {"chat", "chat_post"}


def test_ts_helpers():
    assert ts_of(datetime(2024, 3, 14, 3, 7, tzinfo=UTC)) == "1710385620.000000"
    assert ts_time("1710385620.000100") == datetime(2024, 3, 14, 3, 7, 0, 100, tzinfo=UTC)
    assert permalink("https://acme.slack.com", "C1", "1710385620.000100") == (
        "https://acme.slack.com/archives/C1/p1710385620000100"
    )
    assert permalink("", "C1", "1.2") == ""


# --- History -------------------------------------------------------------------------------------


@respx.mock
async def test_history_pages_threads_edits_and_reactions(http, context):
    newest = message(
        "1773457500.000300",
        "rolling back checkout v42",
        edited={"user": "U061F7AUR", "ts": "1773457560.000000"},
        reactions=[{"name": "pushpin", "users": ["U1"], "count": 1}, {"name": "eyes", "users": ["U2"], "count": 1}],
    )
    parent = message(
        "1773457260.000200",
        "errors up on checkout",
        thread_ts="1773457260.000200",
        reply_count=2,
        reply_users=["U2"],
        latest_reply="1773457380.000500",
    )
    older = message("1773457230.000100", "paging the on-call", user="U2")
    join = message("1773457200.000050", "<@U3> has joined the channel", user="U3", subtype="channel_join")
    history = respx.get(f"{API}/conversations.history").mock(
        side_effect=[
            httpx.Response(200, json=page([newest, parent], next_cursor="bmV4dF90czoxNzcz")),
            httpx.Response(200, json=page([older, join])),
        ]
    )
    in_thread = {"user": "U2", "thread_ts": parent["ts"], "parent_user_id": "U061F7AUR"}
    reply1 = message("1773457320.000400", "db connections maxed", **in_thread)
    reply2 = message("1773457380.000500", "confirmed", **in_thread)
    replies = respx.get(f"{API}/conversations.replies").mock(
        side_effect=[
            httpx.Response(200, json=page([parent, reply1], next_cursor="cmVwbHlfY3Vyc29y")),
            httpx.Response(200, json=page([reply2])),
        ]
    )

    read = await make(http, context).history(CHANNEL, OLDEST, None)

    got, cursor = read.messages, read.cursor

    assert [m.text for m in got] == [
        "paging the on-call",
        "errors up on checkout",
        "db connections maxed",
        "confirmed",
        "rolling back checkout v42",
    ]
    assert cursor == "1773457500.000300"  # the newest top-level message: the next sync asks oldest=that
    first = history.calls[0].request
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"
    assert dict(first.url.params) == {"channel": CHANNEL, "oldest": "1773457200.000000", "limit": "200"}
    assert history.calls[1].request.url.params["cursor"] == "bmV4dF90czoxNzcz"
    assert replies.calls[0].request.url.params["ts"] == "1773457260.000200"
    assert replies.calls[1].request.url.params["cursor"] == "cmVwbHlfY3Vyc29y"
    edited = got[-1]
    assert edited.edited_at == datetime(2026, 3, 14, 3, 6, tzinfo=UTC)
    assert edited.reactions == ["pushpin", "eyes"]
    assert edited.posted_at == datetime(2026, 3, 14, 3, 5, 0, 300, tzinfo=UTC)
    assert edited.link == "https://acme.slack.com/archives/C0INCIDENT/p1773457500000300"
    reply = got[2]
    assert reply.thread_ts == "1773457260.000200" and reply.user == "U2"
    assert reply.link.endswith("p1773457320000400?thread_ts=1773457260.000200&cid=C0INCIDENT")


@respx.mock
async def test_incremental_sync_asks_after_the_cursor(http, context):
    route = respx.get(f"{API}/conversations.history").mock(return_value=httpx.Response(200, json=page([])))
    read = await make(http, context).history(CHANNEL, OLDEST, "1773457500.000300")
    got, cursor = read.messages, read.cursor
    assert got == [] and cursor == "1773457500.000300"  # nothing new: the same cursor
    assert route.calls[0].request.url.params["oldest"] == "1773457500.000300"


@respx.mock
async def test_a_broadcast_reply_is_kept_once(http, context):
    parent = message("1773457260.000200", "parent", thread_ts="1773457260.000200", reply_count=1)
    broadcast = message(
        "1773457300.000300", "also in channel", thread_ts="1773457260.000200", subtype="thread_broadcast"
    )
    respx.get(f"{API}/conversations.history").mock(return_value=httpx.Response(200, json=page([broadcast, parent])))
    respx.get(f"{API}/conversations.replies").mock(return_value=httpx.Response(200, json=page([parent, broadcast])))
    got = (await make(http, context).history(CHANNEL, OLDEST, None)).messages
    assert [m.ts for m in got] == ["1773457260.000200", "1773457300.000300"]


async def test_history_needs_a_token(http, context):
    adapter = SlackAdapter("slack", SlackConfig(webhook_url=HOOK), http, context)
    with pytest.raises(ConfigError, match="bot token"):
        await adapter.history(CHANNEL, OLDEST, None)


# --- ok: false and rate limits -------------------------------------------------------------------


@pytest.mark.parametrize("code", ["not_in_channel", "channel_not_found"])
@respx.mock
async def test_missing_channel_says_to_invite_the_bot(http, context, code):
    respx.get(f"{API}/conversations.history").mock(return_value=error(code))
    with pytest.raises(NotFoundError) as info:
        await make(http, context).history(CHANNEL, OLDEST, None)
    assert code in str(info.value) and "/invite" in info.value.hint and "C0123" in info.value.hint


@pytest.mark.parametrize("code", ["invalid_auth", "not_authed", "token_revoked"])
@respx.mock
async def test_refused_tokens_are_auth_errors(http, context, code):
    respx.get(f"{API}/conversations.history").mock(return_value=error(code))
    with pytest.raises(AuthError) as info:
        await make(http, context).history(CHANNEL, OLDEST, None)
    assert code in str(info.value) and TOKEN not in str(info.value)


@respx.mock
async def test_missing_scope_names_the_scope(http, context):
    respx.get(f"{API}/conversations.history").mock(
        return_value=error("missing_scope", needed="groups:history", provided="channels:history,chat:write")
    )
    with pytest.raises(AuthError) as info:
        await make(http, context).history(CHANNEL, OLDEST, None)
    assert "groups:history" in info.value.message and "chat:write" in info.value.hint


@respx.mock
async def test_a_short_429_is_retried_once(http, context):
    route = respx.get(f"{API}/conversations.history").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}, json={"ok": False, "error": "ratelimited"}),
            httpx.Response(200, json=page([message("1773457230.000100", "hello")])),
        ]
    )
    adapter = make(http, context)
    got = (await adapter.history(CHANNEL, OLDEST, None)).messages
    assert [m.text for m in got] == ["hello"] and route.call_count == 2
    assert adapter.waits == [2.0]


@respx.mock
async def test_a_second_429_is_raised(http, context):
    limited = httpx.Response(429, headers={"Retry-After": "1"}, json={"ok": False, "error": "ratelimited"})
    route = respx.get(f"{API}/conversations.history").mock(side_effect=[limited, limited])
    with pytest.raises(RateLimitedError) as info:
        await make(http, context).history(CHANNEL, OLDEST, None)
    assert info.value.retry_after == 1.0 and route.call_count == 2


@respx.mock
async def test_a_long_429_is_raised_at_once(http, context):
    route = respx.get(f"{API}/conversations.history").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "30"}, json={"ok": False, "error": "ratelimited"})
    )
    adapter = make(http, context)
    with pytest.raises(RateLimitedError) as info:
        await adapter.history(CHANNEL, OLDEST, None)
    assert info.value.retry_after == 30.0 and route.call_count == 1 and adapter.waits == []


@respx.mock
async def test_ratelimited_in_a_200_is_a_rate_limit(http, context):
    respx.post(f"{API}/chat.postMessage").mock(
        return_value=httpx.Response(200, headers={"Retry-After": "45"}, json={"ok": False, "error": "ratelimited"})
    )
    with pytest.raises(RateLimitedError) as info:
        await make(http, context).post_message(CHANNEL, "update")
    assert info.value.retry_after == 45.0


@respx.mock
async def test_an_answer_without_ok_is_a_bad_response(http, context):
    respx.get(f"{API}/conversations.history").mock(return_value=httpx.Response(200, json={"messages": []}))
    with pytest.raises(BadResponseError, match="ok field"):
        await make(http, context).history(CHANNEL, OLDEST, None)


@respx.mock
async def test_timeout(http, context):
    respx.get(f"{API}/conversations.history").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(BackendTimeoutError):
        await make(http, context, timeout_s=1).history(CHANNEL, OLDEST, None)


# --- Posting -------------------------------------------------------------------------------------

POSTED = {
    "ok": True,
    "channel": "C0INCIDENT",
    "ts": "1773457800.000700",
    "message": message("1773457800.000700", "Update: rolled back", user="U0BOT", bot_id="B0BOT"),
}


@respx.mock
async def test_post_message(http, context):
    route = respx.post(f"{API}/chat.postMessage").mock(return_value=httpx.Response(200, json=POSTED))
    result = await make(http, context).post_message("#inc-checkout", "Update: rolled back")
    request = route.calls[0].request
    assert json.loads(request.content) == {"channel": "#inc-checkout", "text": "Update: rolled back"}
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"].startswith("application/json")
    assert result.target == "slack:#inc-checkout" and result.remote_id == "1773457800.000700"
    assert result.link == "https://acme.slack.com/archives/C0INCIDENT/p1773457800000700"
    assert result.posted_at == datetime(2026, 3, 14, 3, 10, 0, 700, tzinfo=UTC)


@respx.mock
async def test_post_without_chat_write(http, context):
    respx.post(f"{API}/chat.postMessage").mock(return_value=error("missing_scope", needed="chat:write"))
    with pytest.raises(AuthError, match="chat:write"):
        await make(http, context).post_message(CHANNEL, "x")


@respx.mock
async def test_webhook_post(http, context):
    route = respx.post(HOOK).mock(return_value=httpx.Response(200, text="ok"))
    adapter = SlackAdapter("slack", SlackConfig(webhook_url=HOOK), http, context)
    result = await adapter.post_message("#inc-checkout", "Update")
    assert json.loads(route.calls[0].request.content) == {"text": "Update"}
    assert "Authorization" not in route.calls[0].request.headers
    assert result.remote_id == "webhook" and result.target == "slack:#inc-checkout"


@pytest.mark.parametrize(
    ("status", "answer", "kind"),
    [(400, "invalid_payload", QueryError), (404, "no_service", AuthError), (403, "invalid_token", AuthError),
     (410, "channel_is_archived", NotFoundError)],
)  # fmt: skip
@respx.mock
async def test_webhook_errors(http, context, status, answer, kind):
    respx.post(HOOK).mock(return_value=httpx.Response(status, text=answer))
    adapter = SlackAdapter("slack", SlackConfig(webhook_url=HOOK), http, context)
    with pytest.raises(kind) as info:
        await adapter.post_message(CHANNEL, "Update")
    text = str(info.value)
    assert answer in text and HOOK not in text and "XXXXsecretXXXXhook" not in text


@respx.mock
async def test_webhook_unreachable_never_shows_the_url(http, context):
    respx.post(HOOK).mock(side_effect=httpx.ConnectError(f"connection refused to {HOOK}"))
    adapter = SlackAdapter("slack", SlackConfig(webhook_url=HOOK), http, context)
    with pytest.raises(UnavailableError) as info:
        await adapter.post_message(CHANNEL, "Update")
    assert "XXXXsecretXXXXhook" not in str(info.value)


# --- check ---------------------------------------------------------------------------------------

AUTH_TEST = {
    "ok": True,
    "url": "https://acme.slack.com/",
    "team": "Acme",
    "user": "firstfifteen",
    "team_id": "T12345",
    "user_id": "U0BOT",
    "bot_id": "B0BOT",
}


@respx.mock
async def test_check_runs_auth_test(http, context):
    respx.post(f"{API}/auth.test").mock(return_value=httpx.Response(200, json=AUTH_TEST))
    assert await make(http, context).check() == "Slack workspace Acme as firstfifteen (https://acme.slack.com/)"


@respx.mock
async def test_check_with_a_bad_token(http, context):
    respx.post(f"{API}/auth.test").mock(return_value=error("invalid_auth"))
    with pytest.raises(AuthError) as info:
        await make(http, context).check()
    assert TOKEN not in str(info.value)


async def test_check_with_only_a_webhook_sends_nothing(http, context):
    adapter = SlackAdapter("slack", SlackConfig(webhook_url=HOOK), http, context)
    assert "not probed" in await adapter.check()
