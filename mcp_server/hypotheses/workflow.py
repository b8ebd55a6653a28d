"""Propose hypotheses for an incident: triage, rank the deploys, derive the candidates, record the new ones.

The two runs land on the incident's timeline first, so every proposed hypothesis cites the event
that holds its evidence; recording skips a statement already on the incident, so proposing twice
(or by two responders at once) adds nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import anyio

from mcp_server.deploys.correlate import incident_from_triage, rank_incident
from mcp_server.deploys.models import Ranking
from mcp_server.hypotheses.models import Hypothesis
from mcp_server.hypotheses.propose import Sources, propose
from mcp_server.runtime import Runtime
from mcp_server.timeline.runs import ranking_entry, triage_entry
from mcp_server.triage.engine import run_triage
from mcp_server.triage.models import TriageResult


@dataclass
class Proposed:
    """The runs behind the proposals, the proposals themselves, and which of them were new."""

    triage: TriageResult
    ranking: Ranking
    hypotheses: list[Hypothesis]
    recorded: list[str] = field(default_factory=list)
    already_recorded: list[str] = field(default_factory=list)


async def propose_for(
    runtime: Runtime, at: datetime, services: list[str] | None, incident_id: str | None, actor: str
) -> Proposed:
    """Run triage and the deploy ranking at ``at``; with ``incident_id``, record both runs and the new proposals."""
    if incident_id:
        await anyio.to_thread.run_sync(runtime.store.get_incident, incident_id)  # a typo fails before any work
    triage = await run_triage(runtime, at, services)
    ranking = await rank_incident(runtime, at, incident_from_triage(triage, services, None))
    if not incident_id:
        return Proposed(triage, ranking, propose(triage, ranking))
    sources = await _record_runs(runtime, incident_id, triage, ranking)
    return await record_proposals(runtime, incident_id, Proposed(triage, ranking, []), sources, actor)


async def record_proposals(
    runtime: Runtime, incident_id: str, runs: Proposed, sources: Sources, actor: str
) -> Proposed:
    """Record the proposals that follow from ``runs`` (already on the timeline, cited by ``sources``)."""
    for candidate in propose(runs.triage, runs.ranking, sources):
        stored, created = await anyio.to_thread.run_sync(runtime.store.record_if_new, incident_id, candidate, actor)
        runs.hypotheses.append(stored)
        (runs.recorded if created else runs.already_recorded).append(stored.id)
    return runs


async def _record_runs(runtime: Runtime, incident_id: str, triage: TriageResult, ranking: Ranking) -> Sources:
    """Append both runs to the timeline; the proposals cite their events."""
    now = runtime.reference_time()
    store = runtime.store
    triage_event, _ = await anyio.to_thread.run_sync(store.append_event, incident_id, triage_entry(triage, now))
    ranking_event, _ = await anyio.to_thread.run_sync(store.append_event, incident_id, ranking_entry(ranking, now))
    return Sources(triage=f"event {triage_event.id}", ranking=f"event {ranking_event.id}")
