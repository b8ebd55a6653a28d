"""Post a confirmed draft once: check it may go out, claim it, send it, record it on the timeline.

The rules, in order: the draft exists and is for this channel; a draft already posted returns its
first result (posting twice posts once); writes to this channel are enabled in the config; the
draft has no findings; the responder confirmed (a form answer, or the draft's token with a name).
"""

from __future__ import annotations

from typing import Literal, TypeVar

import anyio
from pydantic import Field

from adapters.base import Capability, ChatSink, EmailSink, StatusPageSink
from adapters.errors import ConfigError, QueryError
from adapters.models import EmailMessage, Model, PostResult, StatusUpdate
from mcp_server.comms.tokens import token_matches
from mcp_server.config import WritesConfig
from mcp_server.runtime import Runtime
from mcp_server.store.models import Draft, TimelineEntry

Channel = Literal["status_page", "chat", "exec_email"]
Via = Literal["form", "token"]
CHANNELS: tuple[Channel, ...] = ("status_page", "chat", "exec_email")
CAPABILITY: dict[str, Capability] = {"status_page": "status_post", "chat": "chat_post", "exec_email": "email"}
TOOL: dict[str, str] = {"status_page": "post_status", "chat": "post_chat", "exec_email": "send_email"}
WRITE_KEY: dict[Channel, str] = {"status_page": "status_page", "chat": "chat", "exec_email": "email"}
"""The ``comms.writes`` key of each channel."""
SinkT = TypeVar("SinkT", StatusPageSink, ChatSink, EmailSink)


def writes_on(writes: WritesConfig, channel: Channel) -> bool:
    """Whether the config allows posting to ``channel`` (every channel is off unless turned on)."""
    allowed = {"status_page": writes.status_page, "chat": writes.chat, "exec_email": writes.email}
    return allowed[channel]


class PostOutcome(Model):
    """What happened to one draft."""

    draft_id: str
    audience: str
    posted: bool
    already_posted: bool = Field(description="It went out before; nothing was sent again")
    result: PostResult | None
    confirmed_by: str
    via: Via = Field(description="How the responder confirmed")


def check_postable(runtime: Runtime, draft: Draft, channel: Channel) -> None:
    """Refuse, with the fix, a draft that may not go out on this channel."""
    if draft.audience != channel:
        raise QueryError(
            f"draft {draft.id} is a {draft.audience} draft, not {channel}",
            hint=f"Post it with {TOOL.get(draft.audience, 'no tool (support briefs are handed over)')}.",
        )
    if not writes_on(runtime.config.comms.writes, channel):
        raise ConfigError(
            f"writes to {channel.replace('_', ' ')} are disabled",
            hint=f"Set comms.writes.{WRITE_KEY[channel]}: true in firstfifteen.yaml to allow it; "
            "until then, post it by hand.",
        )
    if draft.findings:
        listed = "; ".join(f"{f['rule']}: {f['text']!r}" for f in draft.findings[:5])
        raise QueryError(
            f"draft {draft.id} has findings and cannot be posted: {listed}",
            hint="Fix the facts (public names, no hosts, IPs, secrets, blame or unfounded times), then draft again.",
        )


def check_token(draft: Draft, token: str, confirmed_by: str) -> None:
    """A token confirmation needs the draft's own token and a person's name."""
    if not token_matches(token, draft.token_hash):
        raise QueryError(
            f"the confirmation token does not match draft {draft.id}",
            hint="Use the confirmation_token returned with this very draft.",
        )
    if not confirmed_by.strip():
        raise QueryError("confirmed_by is empty", hint="Pass the name of the responder who approved the post.")


def first_sink(sinks: list[SinkT], draft: Draft) -> SinkT:
    """The sink a draft goes to: the first adapter of its channel's capability."""
    if not sinks:
        capability = CAPABILITY[draft.audience]
        raise ConfigError(
            f"no adapter posts {draft.audience.replace('_', ' ')}s",
            hint=f"Configure an adapter with the {capability} capability (see docs/adapters.md).",
        )
    return sinks[0]


async def send(runtime: Runtime, draft: Draft) -> PostResult:
    """Hand the draft to the first sink of its channel."""
    if draft.audience == "status_page":
        return await post_status_update(runtime, draft, first_sink(runtime.status_sinks(), draft))
    if draft.audience == "chat":
        chat = first_sink(runtime.chat_sinks(), draft)
        return await chat.post_message(runtime.config.comms.chat_channel, draft.body)
    mailer, email = first_sink(runtime.email_sinks(), draft), runtime.config.comms.exec_email
    return await mailer.send(EmailMessage(to=email.to, subject=draft.subject, body=draft.body, sender=email.sender))


async def post_status_update(runtime: Runtime, draft: Draft, sink: StatusPageSink) -> PostResult:
    """Create or update our incident on the status page; its remote id is kept for the next update."""
    store = runtime.store
    remote = await anyio.to_thread.run_sync(store.get_remote_id, draft.incident_id, sink.name) or ""
    # Validated here: the stored draft keeps state and components as plain strings.
    update = StatusUpdate.model_validate(
        {
            "incident_key": draft.incident_id,
            "title": str(draft.facts.get("title", draft.incident_id)),
            "status": draft.public_state,
            "body": draft.body,
            "components": draft.components,
            "remote_id": remote,
        }
    )
    result = await sink.post_update(update)
    await anyio.to_thread.run_sync(store.set_remote_id, draft.incident_id, sink.name, result.remote_id)
    return result


async def post_draft(runtime: Runtime, draft_id: str, channel: Channel, confirmed_by: str, via: Via) -> PostOutcome:
    """Post one draft at most once, and put the post on the incident's timeline."""
    store = runtime.store
    draft = await anyio.to_thread.run_sync(store.get_draft, draft_id)
    if draft.post is not None:
        return _outcome(draft, already=True, via=via)
    check_postable(runtime, draft, channel)
    if not await anyio.to_thread.run_sync(store.claim_post, draft.id, confirmed_by):
        draft = await anyio.to_thread.run_sync(store.get_draft, draft_id)
        if draft.post is not None:
            return _outcome(draft, already=True, via=via)
        raise QueryError(f"draft {draft.id} is being posted by another call", hint="Wait, then read it again.")
    try:
        result = await send(runtime, draft)
    except BaseException:
        await anyio.to_thread.run_sync(store.release_claim, draft.id)  # a failed post may be retried
        raise
    draft = await anyio.to_thread.run_sync(store.complete_post, draft.id, result)
    await anyio.to_thread.run_sync(store.append_event, draft.incident_id, _timeline_entry(draft, confirmed_by, via))
    return _outcome(draft, already=False, via=via)


def _timeline_entry(draft: Draft, confirmed_by: str, via: Via) -> TimelineEntry:
    result = draft.post
    assert result is not None
    return TimelineEntry(
        source="firstfifteen",
        kind="comms_posted",
        actor=confirmed_by,
        link=result.link,
        text=f"{draft.audience.replace('_', ' ')} update {draft.id} posted to {result.target}, "
        f"confirmed by {confirmed_by}" + (f" ({result.note})" if result.note else ""),
        source_id=f"post:{draft.id}",
        occurred_at=result.posted_at,
        details={
            "draft_id": draft.id,
            "audience": draft.audience,
            "target": result.target,
            "remote_id": result.remote_id,
            "confirmed_via": via,
            "note": result.note,
        },
    )


def _outcome(draft: Draft, *, already: bool, via: Via) -> PostOutcome:
    return PostOutcome(
        draft_id=draft.id,
        audience=draft.audience,
        posted=draft.post is not None,
        already_posted=already,
        result=draft.post,
        confirmed_by=draft.confirmed_by,
        via=via,
    )
