"""Communication tools: draft for every audience, then post a draft only after the responder confirms."""

from __future__ import annotations

from typing import Annotated, Literal

import anyio
from mcp.server.mcpserver import AcceptedElicitation, Context, Elicit, ElicitationResult, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from adapters.models import ComponentStatus, Model, UtcDatetime
from mcp_server.comms.drafting import DraftSet, draft_for_incident
from mcp_server.comms.posting import WRITE_KEY, Channel, PostOutcome, Via, check_token, post_draft, writes_on
from mcp_server.comms.schedule import due_updates
from mcp_server.runtime import Runtime
from mcp_server.tools.common import (
    AnyFunc,
    IncidentId,
    ToolSet,
    caller_subject,
    read_only_tool,
    record_tool,
    runtime_of,
    tool_errors,
)
from mcp_server.triage.engine import run_triage

DraftId = Annotated[str, Field(description="From draft_communications, e.g. 'D-4'")]
ConfirmedBy = Annotated[str, Field(max_length=100, description="Who approved the post")]
Token = Annotated[str | None, Field(description="The draft's token, when no form can be shown")]


class PostConfirmation(BaseModel):
    """The form a responder answers to let a draft go out."""

    confirm: bool = Field(description="Post this draft now?")
    confirmed_by: str = Field(default="", description="Your name, for the incident record")


async def ask_to_post(
    draft_id: str, ctx: Context[Runtime], confirmation_token: str | None = None
) -> Elicit[PostConfirmation] | PostConfirmation:
    """Ask the responder with a form, unless they already confirmed with the draft's token."""
    if confirmation_token:
        return PostConfirmation(confirm=True)
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.elicitation is None:
        return PostConfirmation(confirm=False)  # no form: the tool explains the token path
    draft = await anyio.to_thread.run_sync(runtime_of(ctx).store.get_draft, draft_id)
    preview = draft.body if len(draft.body) <= 1500 else draft.body[:1500] + "\n…"
    return Elicit(
        f"Post {draft.audience.replace('_', ' ')} draft {draft.id} to {draft.channel}?\n\n{preview}", PostConfirmation
    )


Confirmation = Annotated[ElicitationResult[PostConfirmation], Resolve(ask_to_post)]


class Schedule(Model):
    """When each audience last heard from us and when the next update is due."""

    incident_id: str
    now: UtcDatetime
    audiences: dict[str, dict[str, str | bool | None]]


async def draft_communications(
    ctx: Context[Runtime],
    incident_id: IncidentId,
    customer_impact: Annotated[
        str, Field(min_length=1, max_length=500, description="What customers notice, in plain words")
    ],
    state: Literal["investigating", "identified", "monitoring", "resolved"] = "investigating",
    components: Annotated[
        dict[str, ComponentStatus] | None, Field(description="Public component -> status; default from triage")
    ] = None,
    workaround: str = "",
    cause: Annotated[str, Field(description="Shown to customers only from 'identified' on")] = "",
    eta: Annotated[str, Field(description="A resolution time to announce; needs eta_basis")] = "",
    eta_basis: Annotated[str, Field(description="Why the ETA holds")] = "",
    investigating: list[str] | None = None,
    owners: Annotated[dict[str, str] | None, Field(description="Person -> what they are on")] = None,
    use_triage: Annotated[bool, Field(description="Fill known, ruled out and components from a fresh triage")] = True,
) -> DraftSet:
    """Draft the status page, internal chat, executive email (if the severity calls for it) and support
    updates from one set of facts; customer text is checked for leaks, blame and unfounded times. Posts
    nothing: show the drafts."""
    runtime = runtime_of(ctx)
    fields = {
        "state": state,
        "workaround": workaround,
        "cause": cause,
        "eta": eta,
        "eta_basis": eta_basis,
        "investigating": investigating or [],
        "owners": owners or {},
    }
    if components is not None:
        fields["components"] = components
    with tool_errors("drafting"):
        incident = await anyio.to_thread.run_sync(runtime.store.get_incident, incident_id)
        result = await run_triage(runtime, runtime.reference_time()) if use_triage else None
        return await draft_for_incident(runtime, incident, customer_impact, result, **fields)


async def _post(
    ctx: Context[Runtime],
    draft_id: str,
    channel: Channel,
    confirmed_by: str,
    token: str | None,
    answer: ElicitationResult[PostConfirmation],
) -> PostOutcome:
    runtime = runtime_of(ctx)
    via: Via = "token"
    with tool_errors(f"posting {draft_id}"):
        draft = await anyio.to_thread.run_sync(runtime.store.get_draft, draft_id)
        if draft.post is None and not token:
            if not isinstance(answer, AcceptedElicitation) or not answer.data.confirm:
                raise ToolError(_not_confirmed(answer.action, draft_id))
            if not caller_subject():  # over HTTP the token's subject confirmed it, whatever the form says
                confirmed_by = answer.data.confirmed_by or confirmed_by or "responder"
            via = "form"
        elif draft.post is None:
            check_token(draft, token or "", confirmed_by)
        return await post_draft(runtime, draft_id, channel, confirmed_by, via)


def _not_confirmed(action: str, draft_id: str) -> str:
    if action == "accept":
        return (
            f"{draft_id} was not posted: this client shows no confirmation form. Show the draft to the "
            "responder; if they approve, call again with its confirmation_token and confirmed_by."
        )
    return f"{draft_id} was not posted: the responder answered {action}."


async def post_status(
    ctx: Context[Runtime],
    draft_id: DraftId,
    answer: Confirmation,
    confirmed_by: ConfirmedBy = "",
    confirmation_token: Token = None,
) -> PostOutcome:
    """Post a status page draft once the responder confirmed (form, or the draft's token). Posts once."""
    return await _post(ctx, draft_id, "status_page", confirmed_by, confirmation_token, answer)


async def post_chat(
    ctx: Context[Runtime],
    draft_id: DraftId,
    answer: Confirmation,
    confirmed_by: ConfirmedBy = "",
    confirmation_token: Token = None,
) -> PostOutcome:
    """Post a chat draft to the incident channel once the responder confirmed. Posts once."""
    return await _post(ctx, draft_id, "chat", confirmed_by, confirmation_token, answer)


async def send_email(
    ctx: Context[Runtime],
    draft_id: DraftId,
    answer: Confirmation,
    confirmed_by: ConfirmedBy = "",
    confirmation_token: Token = None,
) -> PostOutcome:
    """Send the executive email draft once the responder confirmed. Sends once."""
    return await _post(ctx, draft_id, "exec_email", confirmed_by, confirmation_token, answer)


async def comms_schedule(ctx: Context[Runtime], incident_id: IncidentId) -> Schedule:
    """When each audience last got an update and when the next is due; overdue flagged."""
    runtime = runtime_of(ctx)
    with tool_errors("reading the schedule"):
        drafts = await anyio.to_thread.run_sync(runtime.store.list_drafts, incident_id)
    now = runtime.reference_time()
    return Schedule(
        incident_id=incident_id, now=now, audiences=due_updates(drafts, runtime.config.comms.update_every_minutes, now)
    )


POSTING: tuple[tuple[Channel, AnyFunc, str], ...] = (
    ("status_page", post_status, "Post to the status page"),
    ("chat", post_chat, "Post to the incident channel"),
    ("exec_email", send_email, "Send the executive email"),
)


def register(tools: ToolSet) -> None:
    """Add the communication tools; a posting tool only when its channel's writes are on.

    A read-only server then neither offers a tool that can only refuse nor spends the model's
    context on it; the posting itself still checks the switch at call time (``check_postable``).
    """
    record_tool(tools, "Draft communications", idempotent=False)(draft_communications)
    post = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True)
    for channel, fn, title in POSTING:
        if writes_on(tools.config.comms.writes, channel):
            tools.add(fn, title, post)
        else:
            tools.withhold(fn.__name__, f"comms.writes.{WRITE_KEY[channel]}")
    read_only_tool(tools, "Communication schedule", open_world=False)(comms_schedule)
