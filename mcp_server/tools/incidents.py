"""Incident record tools: declare, read and list incidents; append to and read their timelines.

These write only to the local incident record (SQLite by default), never to an outside system.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

import anyio
from mcp.server.mcpserver import Context
from pydantic import Field

from adapters.models import Model, TimeWindow
from mcp_server.runtime import Runtime
from mcp_server.store.models import Incident, IncidentDraft, TimelineEntry, TimelineEvent
from mcp_server.timeline.markdown import export_markdown
from mcp_server.tools.common import (
    IncidentId,
    LimitArg,
    ToolSet,
    check_services,
    read_only_tool,
    record_tool,
    resolve_at,
    resolve_span,
    runtime_of,
    tool_errors,
)

Severity = Literal["SEV1", "SEV2", "SEV3", "SEV4"]


class IncidentList(Model):
    """Incidents, most recently declared first."""

    incidents: list[Incident]
    truncated: bool
    hint: str = ""


class AppendResult(Model):
    """The recorded event, and whether it is new (False: the dedup_key was seen before)."""

    event: TimelineEvent
    created: bool


class Timeline(Model):
    """An incident's timeline, ordered by when things happened."""

    incident_id: str
    window: TimeWindow | None
    events: list[TimelineEvent]
    truncated: bool
    hint: str = ""
    markdown: str = Field(default="", description="With format='markdown' (events then empty)")


async def declare_incident(
    ctx: Context[Runtime],
    title: Annotated[str, Field(min_length=1, max_length=200)],
    severity: Severity,
    suspected_service: Annotated[str | None, Field(description="Best guess, or omit if unknown")] = None,
    started_at: Annotated[str, Field(description="When impact began, e.g. 'now-20m'")] = "now",
    declared_by: Annotated[str, Field(min_length=1, max_length=100)] = "responder",
) -> Incident:
    """Open an incident in the local record (no paging or status system) and start its timeline."""
    runtime = runtime_of(ctx)
    service = check_services(runtime, [suspected_service])[0] if suspected_service else ""
    with tool_errors("declaring the incident"):
        draft = IncidentDraft(
            title=title,
            severity=severity,
            suspected_service=service,
            started_at=resolve_at(runtime, started_at),
            declared_by=declared_by,
            declared_at=runtime.reference_time(),  # the scenario's moment in demo mode, so started_at fits
        )
        return await anyio.to_thread.run_sync(runtime.store.declare_incident, draft)


async def set_incident_status(
    ctx: Context[Runtime],
    incident_id: IncidentId,
    status: Literal["open", "mitigated", "resolved"],
    at: Annotated[str, Field(description="When it happened, e.g. 'now-5m'")] = "now",
    actor: Annotated[str, Field(min_length=1, max_length=100)] = "responder",
) -> Incident:
    """Mark the incident mitigated, resolved or open again; the response figures are measured from these."""
    runtime = runtime_of(ctx)
    moment = resolve_at(runtime, at)
    with tool_errors("changing the status"):
        return await anyio.to_thread.run_sync(runtime.store.set_status, incident_id, status, actor, moment)


async def get_incident(ctx: Context[Runtime], incident_id: IncidentId) -> Incident:
    """One incident from the local record."""
    with tool_errors("reading the incident"):
        return await anyio.to_thread.run_sync(runtime_of(ctx).store.get_incident, incident_id)


async def list_incidents(
    ctx: Context[Runtime], status: Literal["open", "mitigated", "resolved"] | None = None, limit: LimitArg = 20
) -> IncidentList:
    """Incidents in the local record, most recently declared first."""
    with tool_errors("listing incidents"):
        found, truncated = await anyio.to_thread.run_sync(runtime_of(ctx).store.list_incidents, status, limit)
    return IncidentList(
        incidents=found, truncated=truncated, hint="Raise limit or filter by status." if truncated else ""
    )


async def append_timeline(
    ctx: Context[Runtime],
    incident_id: IncidentId,
    text: Annotated[str, Field(min_length=1, max_length=10_000)],
    kind: Annotated[
        str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="e.g. note, finding, action, decision")
    ] = "note",
    occurred_at: Annotated[str, Field(description="When it happened, e.g. 'now-5m'")] = "now",
    actor: Annotated[str, Field(max_length=100)] = "",
    dedup_key: Annotated[str | None, Field(max_length=200, description="Same key again adds nothing")] = None,
) -> AppendResult:
    """Add a note, finding, action or decision to an incident's timeline."""
    runtime = runtime_of(ctx)
    with tool_errors("appending to the timeline"):
        entry = TimelineEntry(
            source="human",
            kind=kind,
            text=text,
            occurred_at=resolve_at(runtime, occurred_at),
            actor=actor,
            source_id=dedup_key,
        )
        event, created = await anyio.to_thread.run_sync(runtime.store.append_event, incident_id, entry)
    return AppendResult(event=event, created=created)


async def get_timeline(
    ctx: Context[Runtime],
    incident_id: IncidentId,
    kinds: Annotated[list[str] | None, Field(description="Only these kinds, e.g. ['note','triage']")] = None,
    sources: Annotated[list[str] | None, Field(description="Only these sources")] = None,
    since: Annotated[str | None, Field(description="Window start, e.g. 'now-2h'")] = None,
    until: Annotated[str | None, Field(description="Window end; default now")] = None,
    limit: LimitArg = 200,
    format: Annotated[Literal["json", "markdown"], Field(description="'markdown': one postmortem document")] = "json",
) -> Timeline:
    """An incident's timeline in time order, filtered by kind, source or window."""
    runtime = runtime_of(ctx)
    window = None
    if since or until:
        window = resolve_span(runtime, since or "now-365d", until or "now", timedelta(hours=1))
    with tool_errors("reading the timeline"):
        events, truncated = await anyio.to_thread.run_sync(
            lambda: runtime.store.get_timeline(
                incident_id, kinds, sources, window.start if window else None, window.end if window else None, limit
            )
        )
    return Timeline(
        incident_id=incident_id,
        window=window,
        events=[] if format == "markdown" else events,
        truncated=truncated,
        hint="More events exist: narrow since/until or kinds, or raise limit." if truncated else "",
        markdown=export_markdown(events, f"Timeline of {incident_id}") if format == "markdown" else "",
    )


def register(tools: ToolSet) -> None:
    """Add the incident record tools."""
    record_tool(tools, "Declare an incident", idempotent=False)(declare_incident)
    record_tool(tools, "Set the incident status", idempotent=True)(set_incident_status)
    read_only_tool(tools, "Get an incident", open_world=False)(get_incident)
    read_only_tool(tools, "List incidents", open_world=False)(list_incidents)
    record_tool(tools, "Add to the timeline", idempotent=True)(append_timeline)
    read_only_tool(tools, "Read the timeline", open_world=False)(get_timeline)
