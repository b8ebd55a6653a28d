"""Markdown for a person: the ranked suspects with their reasons, and a rollback plan."""

from __future__ import annotations

from adapters.models import iso_utc
from mcp_server.deploys.models import Candidate, Ranking, RollbackPlan

SHOWN = 5


def _when(candidate: Candidate) -> str:
    if candidate.minutes_before_onset is None:
        return "still rolling out at the onset"
    return f"finished {candidate.minutes_before_onset:.0f} min before the onset"


def _candidate_lines(position: int, candidate: Candidate) -> list[str]:
    d = candidate.deploy
    previous = f" (from {d.previous_version})" if d.previous_version else ""
    lines = [
        f"{position}. **{d.id}** {d.service} {d.version}{previous} by {d.author or '?'}, {_when(candidate)}: "
        f"score {candidate.score:.2f} ({candidate.confidence})"
    ]
    for feature in candidate.features:
        if feature.score > 0:
            lines.append(f"   - {feature.name} {feature.score:.2f}: {feature.reason}")
    if candidate.changes is not None:
        c = candidate.changes
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(c.categories.items()))
        lines.append(f"   - changes: {c.commits} commits, {c.files} files (+{c.additions}/-{c.deletions}): {kinds}")
    elif candidate.changes_error:
        lines.append(f"   - changes unavailable: {candidate.changes_error[:160]}")
    return lines


def render_ranking(ranking: Ranking) -> str:
    """The ranked suspects, most likely first, each with the features that scored."""
    lines = [f"# Deploy suspects for an onset at {iso_utc(ranking.onset)} ({ranking.onset_source})"]
    if ranking.data_note:
        lines.append(f"> {ranking.data_note}")
    verdict = "A deploy is implicated" if ranking.verdict == "deploy_implicated" else "**No deploy implicated**"
    lines.append(f"{verdict}: {ranking.verdict_reason}. Affected: {', '.join(ranking.affected) or 'none'}.")
    lines.append(
        f"Deploys from {iso_utc(ranking.window.start)} to the onset; a lead, not a verdict: "
        "read the top diff before calling it the cause."
    )
    for position, candidate in enumerate(ranking.candidates[:SHOWN], start=1):
        lines += _candidate_lines(position, candidate)
    if len(ranking.candidates) > SHOWN:
        lines.append(f"… {len(ranking.candidates) - SHOWN} more candidates in `candidates`")
    after = [e for e in ranking.excluded if e.reason == "started after the onset"]
    if after:
        lines.append(f"Not causes (started after the onset): {', '.join(e.deploy_id for e in after[:8])}")
    failed = [s for s in ranking.sources if s.status != "ok"]
    for status in failed:
        lines.append(f"- source {status.source} ({status.capability}) {status.status}: {status.detail[:160]}")
    return "\n".join(lines) + "\n"


def render_plan(plan: RollbackPlan) -> str:
    """A rollback plan as a checklist for the responder to decide on."""
    d = plan.deploy
    lines = [
        f"# Rollback plan (draft) for {d.id}: {plan.service} {d.version} -> "
        f"{plan.target_version or plan.target_sha[:12]}",
        "Nothing has been executed. Run these yourself if you decide to roll back.",
        f"Risk **{plan.risk}**: " + "; ".join(plan.risk_reasons),
        f"Expected duration: {_minutes(plan.expected_duration_minutes)} ({plan.duration_basis}). "
        f"Downtime: {plan.expected_downtime}",
        "## Commands",
    ]
    lines += [f"{i}. `{c.command}`: {c.purpose}" for i, c in enumerate(plan.commands, start=1)]
    lines.append("## Verify")
    lines += [f"- {q.name}: `{q.promql}`, passes when {q.pass_when}" for q in plan.verification]
    lines.append("## Abort if")
    lines += [f"- {criterion}" for criterion in plan.abort_criteria]
    lines += [f"> {note}" for note in plan.notes]
    return "\n".join(lines) + "\n"


def _minutes(value: float | None) -> str:
    return "unknown" if value is None else f"about {value:.0f} min"
