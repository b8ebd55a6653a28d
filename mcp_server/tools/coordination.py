"""Coordination tools: roles, the work of the response, the live document, and the handoff.

They write only to the local incident record, each change on the incident's timeline. Several
responders, each in their own client, never lose or overwrite each other's updates: additions are
atomic, an update names the revision it read, and a role held by someone is taken only by naming them.
The same document is the resource ``incident://{id}/coordination``.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from adapters.models import Model
from mcp_server.coordination.handoff import Handoff, build_handoff, read_handoff_record
from mcp_server.coordination.models import (
    STATUSES,
    ActionKind,
    Coordination,
    ItemKind,
    RoleAssignment,
    RoleName,
    WorkItem,
    build_item,
)
from mcp_server.coordination.render import MAX_ITEMS_PER_SECTION, render_coordination
from mcp_server.hypotheses.rank import rank_hypotheses
from mcp_server.hypotheses.render import render_hypotheses
from mcp_server.runtime import Runtime
from mcp_server.store.base import IncidentStore
from mcp_server.store.errors import InvalidRecordError
from mcp_server.store.models import TimelineEntry
from mcp_server.tools.common import (
    Actor,
    IncidentId,
    ToolSet,
    read_only_tool,
    record_tool,
    resolve_at,
    runtime_of,
    tool_errors,
)

Short = Annotated[str, Field(max_length=1_000)]
LEADING_HYPOTHESES = 3
STATUS_HELP = "; ".join(f"{kind} {'|'.join(accepted)}" for kind, accepted in STATUSES.items())


class CoordinationView(Model):
    """The coordination record as data and as the live markdown document."""

    coordination: Coordination
    markdown: str
    truncated: bool = Field(description="A section of the markdown was cut at the limit; the data is whole")


async def assign_role(
    ctx: Context[Runtime],
    incident_id: IncidentId,
    role: RoleName,
    person: Annotated[str, Field(min_length=1, max_length=100)],
    expected_holder: Annotated[str | None, Field(max_length=100, description="Current holder, to hand over")] = None,
    actor: Actor = "responder",
) -> RoleAssignment:
    """Give a role to a person. A role someone holds is handed over only when expected_holder names them."""
    store = runtime_of(ctx).store
    with tool_errors("assigning the role"):
        return await anyio.to_thread.run_sync(store.assign_role, incident_id, role, person, actor, expected_holder)


async def track_work(
    ctx: Context[Runtime],
    incident_id: IncidentId,
    item_id: Annotated[str | None, Field(description="W-/R-/Q-/A-n to update; omit to add")] = None,
    kind: Annotated[ItemKind | None, Field(description="To add: workstream, ruled_out, question, action")] = None,
    text: Short | None = None,
    owner: Annotated[str | None, Field(max_length=100)] = None,
    status: Annotated[str | None, Field(description=STATUS_HELP)] = None,
    action_kind: ActionKind | None = None,
    note: Annotated[str | None, Field(max_length=2_000, description="Reason, answer, or why cancelled")] = None,
    evidence: Annotated[str | None, Field(max_length=2_000, description="Query, tool call or event")] = None,
    hypothesis_id: Annotated[str | None, Field(max_length=20)] = None,
    due: Annotated[str | None, Field(description="Actions: 'now+30m' or RFC3339")] = None,
    expected_revision: Annotated[int | None, Field(ge=1, description="Needed to update: the revision read")] = None,
    actor: Actor = "responder",
) -> WorkItem:
    """Add or update a workstream, ruled-out item (with reason), open question or action (with owner)."""
    fields = {"text": text, "owner": owner, "status": status, "action_kind": action_kind, "note": note}
    fields |= {"evidence": evidence, "hypothesis_id": hypothesis_id}
    given: dict[str, Any] = {name: value for name, value in fields.items() if value is not None}
    runtime = runtime_of(ctx)
    if due is not None:
        given["due"] = resolve_at(runtime, due)
    store = runtime.store
    with tool_errors("tracking the work"):
        if item_id is None:
            item = new_item(kind, given)
            return await anyio.to_thread.run_sync(store.add_item, incident_id, item, actor)
        if expected_revision is None:
            raise InvalidRecordError(
                f"updating {item_id} needs expected_revision", hint="Read get_coordination and pass its revision."
            )
        return await anyio.to_thread.run_sync(store.update_item, incident_id, item_id, given, expected_revision, actor)


def new_item(kind: ItemKind | None, given: dict[str, Any]) -> WorkItem:
    """A new item from the tool's arguments, or a clear error saying what an addition needs."""
    if kind is None or not given.get("text"):
        raise InvalidRecordError(
            "adding an item needs kind and text",
            hint="kind: workstream, ruled_out, question or action; to update instead, pass item_id.",
        )
    try:
        return build_item({"kind": kind, **given})
    except ValueError as exc:
        raise InvalidRecordError(f"the item is not valid: {exc}") from exc


async def get_coordination(
    ctx: Context[Runtime],
    incident_id: IncidentId,
    limit: Annotated[int, Field(ge=1, le=200, description="Items per markdown section")] = MAX_ITEMS_PER_SECTION,
) -> CoordinationView:
    """Who holds which role, who is on what, what is ruled out, open questions, actions pending and done."""
    store = runtime_of(ctx).store
    with tool_errors("reading the coordination"):
        coordination = await anyio.to_thread.run_sync(store.get_coordination, incident_id)
    markdown, cut = render_coordination(coordination, limit)
    return CoordinationView(coordination=coordination, markdown=markdown, truncated=cut)


async def handoff(
    ctx: Context[Runtime],
    incident_id: IncidentId,
    author: Actor,
    to: Annotated[str, Field(max_length=100, description="The next responder, if known")] = "",
) -> Handoff:
    """Write the handoff the next responder reads in two minutes; recorded on the timeline."""
    runtime = runtime_of(ctx)
    now = runtime.reference_time()
    every = runtime.config.comms.update_every_minutes
    with tool_errors("writing the handoff"):
        record = await anyio.to_thread.run_sync(read_handoff_record, runtime.store, incident_id, every, now)
        document = build_handoff(record, now, author, to)
        event = TimelineEntry(
            source="firstfifteen",
            kind="handoff",
            text=f"Handoff from {author}" + (f" to {to}" if to else ""),
            actor=author,
            occurred_at=now,
            details={"risks": [*document.risks]},
        )
        stored, _ = await anyio.to_thread.run_sync(runtime.store.append_event, record.incident.id, event)
    return document.model_copy(update={"event_id": stored.id})


def coordination_document(store: IncidentStore, incident_id: str) -> str:
    """The live document of the resource: the coordination record, then the leading hypotheses."""
    coordination = store.get_coordination(incident_id)
    markdown, _ = render_coordination(coordination)
    leading = rank_hypotheses(store.list_hypotheses(incident_id))
    live = [r for r in leading if r.hypothesis.status != "refuted"][:LEADING_HYPOTHESES]
    return markdown + "\n" + render_hypotheses(live, "Leading hypotheses")


def add_resources(server: MCPServer) -> None:
    """The ``incident://{incident_id}/coordination`` resource: the live document any client can read."""

    @server.resource(
        "incident://{incident_id}/coordination",
        name="coordination",
        title="Incident coordination",
        description="Roles, workstreams, ruled out, questions, actions and leading hypotheses of one incident",
        mime_type="text/markdown",
    )
    async def coordination_resource(incident_id: str, ctx: Context[Runtime]) -> str:
        with tool_errors("reading the coordination"):
            return await anyio.to_thread.run_sync(coordination_document, runtime_of(ctx).store, incident_id)


def register(tools: ToolSet) -> None:
    """Add the coordination tools."""
    record_tool(tools, "Assign a role", idempotent=True)(assign_role)
    record_tool(tools, "Track the work", idempotent=False)(track_work)
    read_only_tool(tools, "Get the coordination", open_world=False)(get_coordination)
    record_tool(tools, "Write the handoff", idempotent=False)(handoff)
