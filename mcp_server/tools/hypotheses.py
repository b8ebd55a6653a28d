"""Hypothesis tools: propose candidates from triage and the deploy ranking, record, add evidence, update, list.

They write only to the local incident record, and every change lands on the incident's timeline.
A settled status needs evidence (the model refuses 'supported' without checked evidence for it);
an update names the revision it read, so a responder never overwrites another's change unseen.
"""

from __future__ import annotations

from typing import Annotated, Literal

import anyio
from mcp.server.mcpserver import Context
from pydantic import Field

from adapters.models import Model, SourceStatus, TimeWindow, UtcDatetime
from mcp_server.hypotheses.models import Confidence, Direction, Evidence, EvidenceSource, Hypothesis, Strength
from mcp_server.hypotheses.rank import RankedHypothesis, rank_hypotheses
from mcp_server.hypotheses.render import render_hypotheses
from mcp_server.hypotheses.workflow import propose_for
from mcp_server.runtime import Runtime
from mcp_server.tools.common import (
    Actor,
    IncidentId,
    ServicesArg,
    TimeArg,
    ToolSet,
    cap,
    check_services,
    read_only_tool,
    record_tool,
    resolve_at,
    runtime_of,
    tool_errors,
)

HypothesisId = Annotated[str, Field(description="e.g. 'H-2', from list_hypotheses")]
Text = Annotated[str, Field(max_length=2_000)]
Settable = Literal["proposed", "investigating", "supported", "refuted"]


class RankedHypotheses(Model):
    """Hypotheses best first, with the reason for each place."""

    incident_id: str
    hypotheses: list[RankedHypothesis]
    refuted: int = Field(description="How many are refuted (kept, ranked last)")
    truncated: bool
    hint: str = ""
    markdown: str = ""


class Proposals(Model):
    """Candidate causes from one triage and deploy ranking, ranked; which were recorded now."""

    at: UtcDatetime
    window: TimeWindow
    hypotheses: list[RankedHypothesis]
    recorded: list[str] = Field(description="Ids recorded by this call")
    already_recorded: list[str] = Field(description="Same statement was on the incident already")
    sources: list[SourceStatus]
    truncated: bool
    hint: str = ""
    data_note: str = ""


async def propose_hypotheses(
    ctx: Context[Runtime],
    incident_id: Annotated[str | None, Field(description="Record new ones on this incident")] = None,
    at: TimeArg = "now",
    services: ServicesArg = None,
    actor: Actor = "responder",
    limit: Annotated[int, Field(ge=1, le=20)] = 5,
) -> Proposals:
    """Candidate causes from triage and the deploy ranking, each with prediction, evidence, next step.
    Repeatable."""
    runtime = runtime_of(ctx)
    moment = resolve_at(runtime, at)
    names = check_services(runtime, services) or None
    with tool_errors("proposing hypotheses"):
        found = await propose_for(runtime, moment, names, incident_id, actor)
    shown, truncated = cap(rank_hypotheses(found.hypotheses), limit)
    return Proposals(
        at=found.triage.at,
        window=found.triage.window,
        hypotheses=shown,
        recorded=found.recorded,
        already_recorded=found.already_recorded,
        sources=found.triage.sources + found.ranking.sources,
        truncated=truncated,
        hint="Raise limit to see the rest." if truncated else _propose_hint(found.triage.degraded, incident_id),
        data_note=runtime.data_note,
    )


def _propose_hint(degraded: list[str], incident_id: str | None) -> str:
    if not degraded:
        return "Nothing is degraded, so nothing follows from triage: record_hypothesis from what the responder sees."
    return "" if incident_id else "Pass incident_id to record them on the incident."


async def record_hypothesis(
    ctx: Context[Runtime],
    incident_id: IncidentId,
    statement: Annotated[str, Field(min_length=1, max_length=500)],
    predicts: Annotated[Text, Field(description="What the symptoms show if true")] = "",
    confidence: Confidence = "low",
    owner: Annotated[str, Field(max_length=100)] = "",
    next_step: Text = "",
    confirm_query: Annotated[Text, Field(description="Dashboard or query that settles it")] = "",
    actor: Actor = "responder",
) -> Hypothesis:
    """Record a hypothesis (status proposed). The same statement again returns the one recorded."""
    runtime = runtime_of(ctx)
    with tool_errors("recording the hypothesis"):
        hypothesis = Hypothesis(
            statement=statement,
            predicts=predicts,
            confidence=confidence,
            owner=owner,
            next_step=next_step,
            confirm_query=confirm_query,
        )
        stored, _ = await anyio.to_thread.run_sync(runtime.store.record_if_new, incident_id, hypothesis, actor)
    return stored


async def add_evidence(
    ctx: Context[Runtime],
    incident_id: IncidentId,
    hypothesis_id: HypothesisId,
    direction: Direction,
    summary: Annotated[str, Field(min_length=1, max_length=2_000)],
    source: Annotated[EvidenceSource, Field(description="'observation' is a person's word")],
    reference: Annotated[Text, Field(description="Tool call, PromQL/LogQL, or 'event 12'")] = "",
    link: Annotated[str, Field(max_length=2_000)] = "",
    strength: Strength = "weak",
    actor: Actor = "responder",
) -> Hypothesis:
    """Add evidence for or against a hypothesis, citing its source. Needs no revision."""
    runtime = runtime_of(ctx)
    with tool_errors("adding evidence"):
        item = Evidence(
            direction=direction, summary=summary, source=source, reference=reference, link=link, strength=strength
        )
        return await anyio.to_thread.run_sync(runtime.store.add_evidence, incident_id, hypothesis_id, item, actor)


async def update_hypothesis(
    ctx: Context[Runtime],
    incident_id: IncidentId,
    hypothesis_id: HypothesisId,
    expected_revision: Annotated[int, Field(ge=1, description="The revision you read")],
    status: Settable | None = None,
    confidence: Confidence | None = None,
    owner: Annotated[str | None, Field(max_length=100)] = None,
    next_step: Annotated[str | None, Field(max_length=2_000)] = None,
    predicts: Annotated[str | None, Field(max_length=2_000)] = None,
    confirm_query: Annotated[str | None, Field(max_length=2_000)] = None,
    actor: Actor = "responder",
) -> Hypothesis:
    """Change status, confidence, owner or next step. 'supported' needs checked evidence for it;
    'refuted' evidence against."""
    runtime = runtime_of(ctx)
    given = {"status": status, "confidence": confidence, "owner": owner, "next_step": next_step}
    given |= {"predicts": predicts, "confirm_query": confirm_query}
    changes = {name: value for name, value in given.items() if value is not None}
    with tool_errors("updating the hypothesis"):
        current = await anyio.to_thread.run_sync(runtime.store.get_hypothesis, incident_id, hypothesis_id)
        changed = Hypothesis.model_validate(current.model_dump() | changes)  # validated: a status needs evidence
        return await anyio.to_thread.run_sync(
            runtime.store.update_hypothesis, incident_id, changed, expected_revision, actor
        )


async def list_hypotheses(
    ctx: Context[Runtime],
    incident_id: IncidentId,
    include_refuted: bool = True,
    limit: Annotated[int, Field(ge=1, le=100)] = 10,
    format: Literal["json", "markdown"] = "json",
) -> RankedHypotheses:
    """An incident's hypotheses ranked by status, evidence and confidence, with the reason for each."""
    with tool_errors("listing hypotheses"):
        found = await anyio.to_thread.run_sync(runtime_of(ctx).store.list_hypotheses, incident_id)
    ranked = [r for r in rank_hypotheses(found) if include_refuted or r.hypothesis.status != "refuted"]
    shown, truncated = cap(ranked, limit)
    return RankedHypotheses(
        incident_id=incident_id,
        hypotheses=[] if format == "markdown" else shown,
        refuted=sum(1 for h in found if h.status == "refuted"),
        truncated=truncated,
        hint=f"{len(ranked)} hypotheses; raise limit for the rest." if truncated else "",
        markdown=render_hypotheses(shown, f"Hypotheses of {incident_id}") if format == "markdown" else "",
    )


def register(tools: ToolSet) -> None:
    """Add the hypothesis tools."""
    record_tool(tools, "Propose hypotheses", idempotent=True, open_world=True)(propose_hypotheses)
    record_tool(tools, "Record a hypothesis", idempotent=True)(record_hypothesis)
    record_tool(tools, "Add evidence", idempotent=False)(add_evidence)
    record_tool(tools, "Update a hypothesis", idempotent=False)(update_hypothesis)
    read_only_tool(tools, "List hypotheses", open_world=False)(list_hypotheses)
