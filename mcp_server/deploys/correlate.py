"""Deploy correlation end to end: the incident from triage, deploys from every source, change sets, the ranking.

The onset is when the degraded signal first left its baseline (from triage), not when the page
fired; a caller who knows better passes ``onset`` and ``services``. Before a deploy is blamed, the
explanations of :mod:`mcp_server.deploys.alternatives` are weighed: a dependency's provider incident
at the onset, or the same symptom at the same time on previous days.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from adapters.base import ChangeSource, CodeOwnersSource
from adapters.errors import AdapterError, NotFoundError
from adapters.models import ChangeSet, Deploy, SourceStatus, TimeWindow
from mcp_server.clock import align_to_minute
from mcp_server.config import ServiceConfig
from mcp_server.deploys.evidence import Alternatives, weigh_alternatives
from mcp_server.deploys.features import RankContext, optimistic_score, score_features
from mcp_server.deploys.incident import Incident as Incident  # re-exported: callers import it from here
from mcp_server.deploys.incident import incident_from_triage as incident_from_triage
from mcp_server.deploys.models import Alternative, Candidate, Feature, Ranking, Verdict
from mcp_server.deploys.ownership import CodeOwnersRule, parse_codeowners, services_owning
from mcp_server.deploys.rank import rank, split_candidates
from mcp_server.deploys.summary import render_ranking
from mcp_server.runtime import Progress, Runtime, no_progress
from mcp_server.triage.collect import collect, make_plan
from mcp_server.triage.engine import run_triage

CHANGE_CONCURRENCY = 64  # bounded anyway by deploys.max_change_sets; the git adapter batches and caps its own processes


def choose_for_changes(
    candidates: list[Deploy], ctx: RankContext, limit: int
) -> tuple[list[Deploy], list[Deploy], dict[str, list[Feature]]]:
    """The deploys worth a change-set fetch (best upper bound first), the rest, and every deploy's
    change-free features (the ranking reuses them for the deploys whose diff is not fetched).

    Retrieve, then rank: with thousands of deploys a day, only those that could still reach the
    top once their diff is known are worth a git or API call.
    """
    change_free = {d.id: score_features(d, None, ctx) for d in candidates}
    ordered = sorted(candidates, key=lambda d: -optimistic_score(d, ctx, change_free[d.id]))
    return ordered[:limit], ordered[limit:], change_free


async def fetch_deploys(runtime: Runtime, window: TimeWindow) -> tuple[list[Deploy], list[SourceStatus]]:
    """Deploys overlapping ``window`` from every deploy source, deduplicated by id."""
    plan = make_plan(runtime, window.end)
    plan.deploys = window
    collected = await collect(runtime, plan, [], no_progress, signals=(), capabilities=("deploys",))
    unique = {d.id: d for d in collected.deploys}
    return sorted(unique.values(), key=lambda d: d.started_at, reverse=True), collected.statuses


def change_source_for(runtime: Runtime, repo: str) -> ChangeSource | None:
    """The first change source that knows ``repo``."""
    return next((s for s in runtime.change_sources() if repo and s.knows(repo)), None)


async def fetch_changes(
    runtime: Runtime, deploys: list[Deploy]
) -> tuple[dict[str, ChangeSet], dict[str, str], list[SourceStatus]]:
    """Change sets of the deploys that name a repo and both commits, concurrently, within the deadline."""
    gate = asyncio.Semaphore(CHANGE_CONCURRENCY)
    services = {s.name: s for s in runtime.config.services}
    deadline = time.monotonic() + runtime.config.triage.deadline_seconds
    changes: dict[str, ChangeSet] = {}
    errors: dict[str, str] = {}
    stats: dict[str, list[str]] = {}

    async def one(deploy: Deploy) -> None:
        source = change_source_for(runtime, deploy.repo)
        if source is None or not (deploy.sha and deploy.previous_sha):
            errors[deploy.id] = _why_no_changes(deploy, source)
            return
        async with gate:
            try:
                remaining = max(0.1, deadline - time.monotonic())
                found = await asyncio.wait_for(
                    source.get_changes(deploy.repo, deploy.previous_sha, deploy.sha, scope_of(deploy, services)),
                    remaining,
                )
                changes[deploy.id] = scope_changes(found, deploy, services)
                stats.setdefault(source.name, []).append("")
            except TimeoutError:
                errors[deploy.id] = f"{source.name}: no answer within the deadline"
                stats.setdefault(source.name, []).append(errors[deploy.id])
            except AdapterError as exc:
                errors[deploy.id] = exc.describe()
                stats.setdefault(source.name, []).append(errors[deploy.id])

    await asyncio.gather(*(one(d) for d in deploys))
    return changes, errors, [_change_status(name, outcomes) for name, outcomes in stats.items()]


def scope_of(deploy: Deploy, services: dict[str, ServiceConfig]) -> tuple[str, ...]:
    """The paths the deployed service owns, as a hint to the change source ('' when it owns none)."""
    service = services.get(deploy.service)
    return tuple(service.paths) if service is not None and service.repo == deploy.repo else ()


def scope_changes(changes: ChangeSet, deploy: Deploy, services: dict[str, ServiceConfig]) -> ChangeSet:
    """Leave out files that other services' ``paths`` own and the deployed service's do not.

    In a monorepo a deploy's range holds every commit merged since the service last shipped,
    most of them other services' work that this deploy does not ship. Files no service claims
    (shared libraries, the build) stay: they can change what the deploy runs.
    """
    same_repo = [s for s in services.values() if s.paths and s.repo == changes.repo]
    if deploy.service not in {s.name for s in same_repo}:
        return changes
    kept = [f for f in changes.files if _ships(f.path, deploy.service, same_repo)]
    if len(kept) == len(changes.files):
        return changes
    left_out = len(changes.files) - len(kept)
    note = f"{left_out} files of other services left out (monorepo range)"
    return changes.model_copy(update={"files": kept, "note": "; ".join(n for n in (changes.note, note) if n)})


def _ships(path: str, service: str, services: list[ServiceConfig]) -> bool:
    owners = services_owning(path, services)
    return not owners or service in owners


async def fetch_codeowners(runtime: Runtime, repos: set[str]) -> dict[str, list[CodeOwnersRule]]:
    """Parsed CODEOWNERS of each repo whose change source can read it; a failure only loses that repo's rules."""

    async def one(repo: str) -> tuple[str, list[CodeOwnersRule]]:
        source = change_source_for(runtime, repo)
        # None first: mypy cannot narrow ``ChangeSource | None`` to a Protocol intersection in one step.
        if source is None or not isinstance(source, CodeOwnersSource):
            return repo, []
        try:
            text = await asyncio.wait_for(source.codeowners(repo), runtime.config.triage.deadline_seconds)
        except (TimeoutError, AdapterError):
            return repo, []  # ownership then falls back to the services' path globs
        return repo, parse_codeowners(text) if text else []

    return {repo: rules for repo, rules in await asyncio.gather(*(one(r) for r in sorted(repos))) if rules}


def _why_no_changes(deploy: Deploy, source: ChangeSource | None) -> str:
    if not (deploy.sha and deploy.previous_sha):
        return "the deploy source gave no previous and deployed commit"
    return f"no change source knows repo {deploy.repo!r}" if deploy.repo else "the deploy names no repo"


def _change_status(name: str, outcomes: list[str]) -> SourceStatus:
    failures = [o for o in outcomes if o]
    return SourceStatus(
        source=name,
        capability="changes",
        status="error" if failures else "ok",
        detail=failures[0] if failures else "",
        queries=len(outcomes),
    )


async def correlate(
    runtime: Runtime,
    at: datetime,
    services: list[str] | None = None,
    onset: datetime | None = None,
    progress: Progress = no_progress,
) -> Ranking:
    """Rank the deploys before the incident's onset by how likely each caused it."""
    config = runtime.config
    names = [config.service(s).name for s in services] if services else None
    at = align_to_minute(at)
    if onset is not None and names:
        incident = Incident(onset=onset, onset_source="given", affected=names, roots=names)
    else:
        incident = incident_from_triage(await run_triage(runtime, at, None, progress), names, onset)
    return await rank_incident(runtime, at, incident)


async def rank_incident(runtime: Runtime, at: datetime, incident: Incident) -> Ranking:
    """Fetch deploys and changes around ``incident`` and rank them."""
    settings = runtime.config.deploys
    lookback = timedelta(hours=settings.lookback_hours)
    window = TimeWindow(start=incident.onset - lookback, end=max(at, incident.onset + timedelta(minutes=1)))
    (deploys, deploy_statuses), (alternatives, alternative_statuses) = await asyncio.gather(
        fetch_deploys(runtime, window), weigh_alternatives(runtime, incident)
    )
    candidates, excluded = split_candidates(deploys, incident.onset, lookback, settings.environments)
    ctx = RankContext(
        onset=incident.onset,
        affected=frozenset(incident.affected),
        roots=frozenset(incident.roots),
        services={s.name: s for s in runtime.config.services},
        failing_routes=incident.failing_routes,
        half_life_minutes=settings.time_half_life_minutes,
    )
    shown, change_statuses = await _rank_candidates(runtime, candidates, ctx)
    verdict, reason = decide_verdict(shown, incident, settings.threshold, alternatives)
    better = _explanation_for(incident, alternatives)
    if better is not None:  # a better explanation leaves every deploy a low-confidence lead at most
        shown = [c.model_copy(update={"confidence": "low"}) for c in shown]
    result = Ranking(
        verdict=verdict,
        verdict_reason=reason,
        alternative=better,
        onset=incident.onset,
        onset_source=incident.onset_source,
        affected=incident.affected,
        likely_roots=incident.roots,
        window=TimeWindow(start=window.start, end=incident.onset),
        candidates=shown,
        excluded=excluded,
        threshold=settings.threshold,
        sources=incident.statuses + deploy_statuses + change_statuses + alternative_statuses,
        truncated=len(candidates) > len(shown),
        hint=f"{len(candidates)} candidates; only the top {len(shown)} are listed"
        if len(candidates) > len(shown)
        else "",
        data_note=runtime.data_note,
    )
    return result.model_copy(update={"summary_markdown": render_ranking(result)})


async def _rank_candidates(
    runtime: Runtime, candidates: list[Deploy], ctx: RankContext
) -> tuple[list[Candidate], list[SourceStatus]]:
    """Fetch the change sets (and CODEOWNERS) worth fetching, then score and order every candidate."""
    settings = runtime.config.deploys
    chosen, skipped, change_free = choose_for_changes(candidates, ctx, settings.max_change_sets)
    (changes, errors, change_statuses), owners = await asyncio.gather(
        fetch_changes(runtime, chosen), fetch_codeowners(runtime, {d.repo for d in chosen if d.repo})
    )
    ctx = replace(ctx, codeowners=owners)
    errors |= {
        d.id: f"not fetched: outside the {settings.max_change_sets} deploys with the best possible score"
        for d in skipped
    }
    shown = rank(candidates, changes, errors, ctx, limit=settings.max_candidates, change_free=change_free)
    return shown, change_statuses


def _explanation_for(incident: Incident, alternatives: Alternatives | None) -> Alternative | None:
    """The better explanation the verdict uses: none when triage found nothing to explain."""
    if alternatives is None or (incident.nothing_degraded and incident.onset_source != "given"):
        return None
    return alternatives.better


def decide_verdict(
    ranked: Sequence[Candidate], incident: Incident, threshold: float, alternatives: Alternatives | None = None
) -> tuple[Verdict, str]:
    """The verdict and its reason: no deploy when nothing is degraded, something explains it better,
    none ranked, or the best scores too low; a recurrence that could not be checked is said."""
    if incident.nothing_degraded and incident.onset_source != "given":
        return "no_deploy_implicated", "triage found nothing degraded, so no deploy can be tied to an incident"
    better = _explanation_for(incident, alternatives)
    if better is not None:
        return "no_deploy_implicated", f"better explained by {_explanation(better)}; {_lead(ranked, threshold)}"
    verdict, reason = _by_score(ranked, threshold)
    if alternatives is not None and alternatives.recurrence.state == "unknown":
        reason += f"; whether it recurs at this time of day could not be checked ({alternatives.recurrence.detail})"
    return verdict, reason


def _by_score(ranked: Sequence[Candidate], threshold: float) -> tuple[Verdict, str]:
    if not ranked:
        return "no_deploy_implicated", "no deploy started before the onset within the lookback"
    top = ranked[0]
    if top.score < threshold:
        return "no_deploy_implicated", f"the best candidate scores {top.score:.2f}, under the {threshold:.2f} threshold"
    return (
        "deploy_implicated",
        f"{top.deploy.id} ({top.deploy.service}) scores {top.score:.2f}, {top.confidence} confidence",
    )


def _explanation(better: Alternative) -> str:
    kind = "an open provider incident" if better.kind == "provider_incident" else "a daily recurrence"
    return f"{kind}: {better.reason}"


def _lead(ranked: Sequence[Candidate], threshold: float) -> str:
    if not ranked:
        return "no deploy started before the onset within the lookback"
    top = ranked[0]
    named = f"the best deploy, {top.deploy.id} ({top.deploy.service}, {top.score:.2f})"
    if top.score < threshold:
        return f"{named}, is under the {threshold:.2f} threshold anyway"
    return f"{named}, is a low-confidence lead at most"


async def find_deploy(runtime: Runtime, deploy_id: str, at: datetime) -> tuple[Deploy, list[Deploy]]:
    """The deploy with ``deploy_id`` within the lookback before ``at``, and every deploy of that window."""
    lookback = timedelta(hours=runtime.config.deploys.lookback_hours)
    deploys, statuses = await fetch_deploys(runtime, TimeWindow.ending_at(at, lookback * 2))
    for deploy in deploys:
        if deploy.id == deploy_id:
            return deploy, deploys
    failed = [s.detail for s in statuses if s.status != "ok"]
    recent = ", ".join(d.id for d in deploys[:10]) or "none"
    raise NotFoundError(
        f"no deploy {deploy_id!r} in the {lookback * 2} before {at.isoformat()}",
        hint=f"Use a deploy id from list_deploys (recent: {recent})."
        + (f" Some deploy sources failed: {failed[0][:200]}" if failed else ""),
    )
