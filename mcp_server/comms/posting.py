"""Post a confirmed draft once: check it may go out, claim it, send it, record it on the timeline.

The rules, in order: the draft exists and is for this channel; a draft already posted returns its
first result (posting twice posts once); writes to this channel are enabled in the config; the
draft has no findings; the responder confirmed (a form answer, or the draft's token with a name).
"""

from __future__ import annotations

from typing import Literal

import anyio
from pydantic import Field

from adapters.errors import ConfigError, QueryError
from adapters.models import EmailMessage, Model, PostResult, StatusUpdate
from mcp_server.comms.drafting import token_hash
from mcp_server.runtime import Runtime
from mcp_server.store.models import Draft, TimelineEntry

Channel = Literal["status_page", "chat", "exec_email"]
CAPABILITY = {"status_page": "status_post", "chat": "chat_post", "exec_email": "email"}
TOOL = {"status_page": "post_status", "chat": "post_chat", "exec_email": "send_email"}


class PostOutcome(Model):
    """What happened to one draft."""

    draft_id: str
    audience: str
    posted: bool
    already_posted: bool = Field(description="True when the draft went out before: nothing was sent again")
    result: PostResult | None
    confirmed_by: str
    via: str = Field(description="How the responder confirmed: form or token")


def check_postable(runtime: Runtime, draft: Draft, channel: Channel) -> None:
    """Refuse, with the fix, a draft that may not go out on this channel."""
    if draft.audience != channel:
        raise QueryError(
            f"draft {draft.id} is a {draft.audience} draft, not {channel}",
            hint=f"Post it with {TOOL.get(draft.audience, 'no tool (support briefs are handed over)')}.",
        )
    if not getattr(runtime.config.comms.writes, channel if channel != "exec_email" else "email"):
        key = "comms.writes." + ("email" if channel == "exec_email" else channel)
        raise ConfigError(
            f"writes to {channel.replace('_', ' ')} are disabled",
            hint=f"Set {key}: true in firstfifteen.yaml to allow it; until then, post it by hand.",
        )
    if draft.findings:
        listed = "; ".join(f"{f['rule']}: {f['text']!r}" for f in draft.findings[:5])
        raise QueryError(
            f"draft {draft.id} has findings and cannot be posted: {listed}",
            hint="Fix the facts (public names, no hosts, IPs, secrets, blame or unfounded times), then draft again.",
        )


def check_token(draft: Draft, token: str, confirmed_by: str) -> None:
    """A token confirmation needs the draft's own token and a person's name."""
    if token_hash(token) != draft.token_hash:
        raise QueryError(
            f"the confirmation token does not match draft {draft.id}",
            hint="Use the confirmation_token returned with this very draft.",
        )
    if not confirmed_by.strip():
        raise QueryError("confirmed_by is empty", hint="Pass the name of the responder who approved the post.")


async def send(runtime: Runtime, draft: Draft) -> PostResult:
    """Hand the draft to the first sink of its channel."""
    capability = CAPABILITY[draft.audience]
    sinks = runtime.sources(capability)
    if not sinks:
        raise ConfigError(
            f"no adapter posts {draft.audience.replace('_', ' ')}s",
            hint=f"Configure an adapter with the {capability} capability (see docs/adapters.md).",
        )
    sink, store = sinks[0], runtime.store
    if draft.audience == "status_page":
        target = f"{sink.name}"
        remote = await anyio.to_thread.run_sync(store.get_remote_id, draft.incident_id, target) or ""
        facts = draft.facts
        update = StatusUpdate(
            incident_key=draft.incident_id,
            title=str(facts.get("title", draft.incident_id)),
            status=draft.public_state,
            body=draft.body,
            components=draft.components,  # type: ignore[arg-type]
            remote_id=remote,
        )
        result = await sink.post_update(update)
        await anyio.to_thread.run_sync(store.set_remote_id, draft.incident_id, target, result.remote_id)
        return result
    if draft.audience == "chat":
        return await sink.post_message(runtime.config.comms.chat_channel, draft.body)
    email = runtime.config.comms.exec_email
    return await sink.send(EmailMessage(to=email.to, subject=draft.subject, body=draft.body, sender=email.sender))


async def post_draft(runtime: Runtime, draft_id: str, channel: Channel, confirmed_by: str, via: str) -> PostOutcome:
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


def _timeline_entry(draft: Draft, confirmed_by: str, via: str) -> TimelineEntry:
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


def _outcome(draft: Draft, *, already: bool, via: str) -> PostOutcome:
    return PostOutcome(
        draft_id=draft.id,
        audience=draft.audience,
        posted=draft.post is not None,
        already_posted=already,
        result=draft.post,
        confirmed_by=draft.confirmed_by,
        via=via,
    )
