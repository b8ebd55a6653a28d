"""``firstfifteen demo``: an incident run end to end on a bundled scenario, through to the post-mortem draft.

The demo always works on a throwaway incident record, never the responder's own. ``demo_report`` is
the one entry the command line calls; the scenario's config comes from ``mcp_server.embedded``.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mcp_server.comms.drafting import DraftSet, draft_for_incident, triage_facts
from mcp_server.config import Config
from mcp_server.coordination.handoff import Handoff
from mcp_server.coordination.render import render_coordination
from mcp_server.demo_response import ScenarioClock, respond
from mcp_server.deploys.correlate import incident_from_triage, rank_incident
from mcp_server.deploys.models import Ranking, RollbackPlan
from mcp_server.deploys.plan import plan_rollback
from mcp_server.hypotheses.models import Hypothesis
from mcp_server.hypotheses.propose import Sources
from mcp_server.hypotheses.rank import rank_hypotheses
from mcp_server.hypotheses.render import render_hypotheses
from mcp_server.postmortem.draft import assemble, read_record, render, templates_dir
from mcp_server.postmortem.models import Postmortem
from mcp_server.runtime import Progress, Runtime, open_runtime
from mcp_server.store.base import MAX_TIMELINE_LIMIT
from mcp_server.store.models import IncidentDraft, TimelineEvent
from mcp_server.store.sqlite import SqliteIncidentStore
from mcp_server.timeline.markdown import export_markdown
from mcp_server.timeline.runs import ranking_entry, triage_entry
from mcp_server.timeline.sync import sync_timeline
from mcp_server.triage.engine import run_triage
from mcp_server.triage.models import TriageResult


@dataclass
class DemoRun:
    """Everything the demo shows, in the order a responder meets it."""

    triage: TriageResult
    ranking: Ranking
    plan: RollbackPlan | None
    drafts: DraftSet
    timeline: list[TimelineEvent]
    hypotheses: list[Hypothesis]
    coordination: str
    handoff: Handoff
    postmortem: Postmortem


async def run_demo(runtime: Runtime, progress: Progress, clock: ScenarioClock) -> DemoRun:
    """The whole incident on a scenario: the first fifteen minutes, the scripted response, the post-mortem.

    Uses a throwaway incident record, so the demo never writes to the responder's own.
    """
    at = runtime.reference_time()
    result = await run_triage(runtime, at, None, progress)
    incident = runtime.store.declare_incident(_demo_incident(result, at))
    triage_event, _ = runtime.store.append_event(incident.id, triage_entry(result, at))
    ranking = await rank_incident(runtime, at, incident_from_triage(result, None, None))
    ranking_event, _ = runtime.store.append_event(incident.id, ranking_entry(ranking, at))
    top = ranking.candidates[0].deploy.id if ranking.verdict == "deploy_implicated" else None
    plan = await plan_rollback(runtime, top, at) if top else None
    await sync_timeline(runtime, incident.id)
    components = sorted(triage_facts(result)["components"]) or ["our service"]
    impact = f"Some customers see errors or slow responses in {', '.join(components)}."
    drafts = await draft_for_incident(runtime, incident, impact, result)
    sources = Sources(triage=f"event {triage_event.id}", ranking=f"event {ranking_event.id}")
    response = await respond(runtime, clock, incident, (result, ranking, sources), plan)
    record = read_record(runtime.store, incident.id)
    postmortem = assemble(record, clock.now)
    postmortem = postmortem.model_copy(update={"markdown": render(postmortem, templates_dir(runtime.config))})
    events, _ = runtime.store.get_timeline(incident.id, limit=MAX_TIMELINE_LIMIT)
    coordination, _ = render_coordination(runtime.store.get_coordination(incident.id))
    return DemoRun(
        result, ranking, plan, drafts, events, response.hypotheses, coordination, response.handoff, postmortem
    )


def _demo_incident(result: TriageResult, at: datetime) -> IncidentDraft:
    roots = result.likely_roots or result.degraded
    onsets = [v.onset for v in result.services if v.service in roots and v.onset is not None]
    title = f"{', '.join(roots)} degraded" if roots else "Page under investigation"
    return IncidentDraft(
        title=title,
        severity="SEV2",
        declared_by="demo",
        suspected_service=roots[0] if roots else "",
        started_at=min(onsets) if onsets else result.window.start,
        declared_at=at,
    )


def render_demo(run: DemoRun) -> str:
    """The demo as one markdown document."""
    pages = [run.triage.summary_markdown, run.ranking.summary_markdown]
    pages += [run.plan.summary_markdown] if run.plan else []
    drafts = ["# Drafts (nothing is posted)"]
    for draft in run.drafts.drafts:
        flag = (
            " **blocked: " + "; ".join(f"{f.rule} {f.text!r}" for f in draft.findings) + "**" if draft.blocked else ""
        )
        subject = f"Subject: {draft.subject}\n" if draft.subject else ""
        drafts.append(
            f"## {draft.id} {draft.audience} -> {draft.channel}{flag}\n```\n{subject}{draft.body.strip()}\n```"
        )
    drafts += [f"- {audience}: not drafted, {why}" for audience, why in run.drafts.skipped.items()]
    pages.append("\n".join(drafts) + "\n")
    pages.append(render_hypotheses(rank_hypotheses(run.hypotheses)))
    pages.append(run.coordination)
    pages.append(run.handoff.markdown)
    pages.append(export_markdown(run.timeline, title="Timeline"))
    pages.append(run.postmortem.markdown)
    return "\n".join(pages)


async def demo_report(
    config: Config, progress: Progress, *, as_json: bool, data_note: str = "", reference: datetime | None = None
) -> str:
    """Run the demo on ``config`` with a throwaway incident record; the report as Markdown or JSON."""
    with tempfile.TemporaryDirectory(prefix="firstfifteen-demo-") as scratch:
        async with open_runtime(config, data_note=data_note, reference=reference) as runtime:
            clock = ScenarioClock(runtime.reference_time())
            runtime.use_store(SqliteIncidentStore(Path(scratch) / "demo.sqlite3", clock=clock))
            run = await run_demo(runtime, progress, clock)
    return demo_json(run) if as_json else render_demo(run)


def demo_json(run: DemoRun) -> str:
    """The demo's typed results as one JSON document."""
    parts = {"triage": run.triage, "deploy_ranking": run.ranking, "rollback_plan": run.plan, "drafts": run.drafts}
    body: dict[str, object] = {k: v.model_dump(mode="json") if v else None for k, v in parts.items()}
    body["timeline"] = [e.model_dump(mode="json") for e in run.timeline]
    body["hypotheses"] = [r.model_dump(mode="json") for r in rank_hypotheses(run.hypotheses)]
    body["coordination"] = run.coordination
    body["handoff"] = run.handoff.model_dump(mode="json")
    body["postmortem"] = run.postmortem.model_dump(mode="json")
    return json.dumps(body, indent=2)
