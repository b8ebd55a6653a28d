"""Timeline entries for runs of firstfifteen itself: a triage, a deploy ranking, a drafted rollback plan.

The MCP tools (with ``incident_id``) and the demo record these on an incident's timeline, so the
record shows what the tools concluded and when, whoever ran them.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import JsonValue

from mcp_server.deploys.models import Ranking, RollbackPlan
from mcp_server.store.models import TimelineEntry
from mcp_server.triage.models import TriageResult

ACTOR = "firstfifteen"


def triage_entry(result: TriageResult, occurred_at: datetime | None = None) -> TimelineEntry:
    """The timeline record of a triage run; ``occurred_at`` is the run's 'now' (the scenario's moment in demo mode)."""
    verdict = (
        f"triage: {len(result.degraded)} degraded; likely roots {', '.join(result.likely_roots) or 'none'}; "
        f"symptoms {', '.join(result.symptoms) or 'none'}"
        if result.degraded
        else "triage: nothing degraded"
    )
    details: dict[str, JsonValue] = {
        "as_of": result.window.label().split("..")[1],
        "window": result.window.label(),
        "degraded": [*result.degraded],
        "likely_roots": [*result.likely_roots],
        "symptoms": [*result.symptoms],
        "unknown": [*result.unknown],
        "sources_not_ok": [f"{s.source}/{s.capability}: {s.status}" for s in result.sources if s.status != "ok"],
        # The numbers a post-mortem quotes for impact, kept with the run that measured them.
        "error_ratios": {
            v.service: {"now": v.error_ratio.now, "baseline": v.error_ratio.baseline}
            for v in result.services
            if v.status == "degraded"
        },
    }
    return TimelineEntry(
        source=ACTOR, kind="triage", text=verdict, actor=ACTOR, occurred_at=occurred_at, details=details
    )


def ranking_entry(ranking: Ranking, occurred_at: datetime | None = None) -> TimelineEntry:
    """The timeline record of a deploy ranking; ``occurred_at`` is the run's 'now'."""
    top = ranking.candidates[0] if ranking.candidates else None
    text = (
        f"deploy ranking: top suspect {top.deploy.id} ({top.deploy.service}) score {top.score:.2f}"
        if ranking.verdict == "deploy_implicated" and top
        else f"deploy ranking: no deploy implicated ({ranking.verdict_reason})"
    )
    details: dict[str, JsonValue] = {
        "onset": ranking.onset.isoformat(),
        "verdict": ranking.verdict,
        "top": [{"id": c.deploy.id, "score": c.score} for c in ranking.candidates[:5]],
    }
    return TimelineEntry(
        source=ACTOR, kind="deploy_ranking", actor=ACTOR, text=text, occurred_at=occurred_at, details=details
    )


def rollback_plan_entry(plan: RollbackPlan) -> TimelineEntry:
    """The timeline record of a drafted rollback plan (a draft: nothing was rolled back)."""
    return TimelineEntry(
        source=ACTOR,
        kind="rollback_plan",
        actor=ACTOR,
        text=f"rollback plan drafted for {plan.deploy.id} ({plan.service} -> {plan.target_version}), risk {plan.risk}",
        details={"deploy_id": plan.deploy.id, "risk": plan.risk, "target": plan.target_version},
    )
