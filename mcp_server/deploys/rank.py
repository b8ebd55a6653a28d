"""Pick the candidate deploys and rank them: plain functions over deploys, change sets and the incident.

A deploy is a candidate when it started before the onset and either finished before it or was
still rolling out at it; a deploy that started after the onset is not a cause, and is listed as
excluded with that reason. When no candidate scores above the threshold the verdict is "no deploy
implicated": a third to a half of incidents have no culprit change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from adapters.models import ChangeSet, Deploy
from mcp_server.deploys.features import RankContext, minutes_before_onset, score_features, total_score
from mcp_server.deploys.models import Candidate, ChangeSummary, Confidence, Excluded, Feature

SAMPLE_FILES = 15


def split_candidates(
    deploys: Sequence[Deploy], onset: datetime, lookback: timedelta, environments: Sequence[str] = ()
) -> tuple[list[Deploy], list[Excluded]]:
    """Deploys that could have caused an incident starting at the onset, and the others with why not."""
    candidates, excluded = [], []
    for deploy in deploys:
        if environments and deploy.environment and deploy.environment not in environments:
            reason = f"deployed to {deploy.environment}, not {', '.join(environments)}"
            excluded.append(Excluded(deploy_id=deploy.id, service=deploy.service, reason=reason))
        elif deploy.started_at > onset:
            excluded.append(Excluded(deploy_id=deploy.id, service=deploy.service, reason="started after the onset"))
        elif (deploy.finished_at or deploy.started_at) < onset - lookback:
            excluded.append(Excluded(deploy_id=deploy.id, service=deploy.service, reason="older than the lookback"))
        else:
            candidates.append(deploy)
    return candidates, excluded


def summarize_changes(changes: ChangeSet) -> ChangeSummary:
    """Counts by category and the first files, riskiest first."""
    categories: dict[str, int] = {}
    for changed in changes.files:
        categories[changed.category] = categories.get(changed.category, 0) + 1
    order = {"migration": 0, "config": 1, "feature_flag": 1, "dependency": 2, "infrastructure": 3, "code": 4}
    riskiest = sorted(changes.files, key=lambda f: (order.get(f.category, 9), f.path))
    return ChangeSummary(
        commits=len(changes.commits),
        files=len(changes.files),
        additions=sum(f.additions for f in changes.files),
        deletions=sum(f.deletions for f in changes.files),
        categories=categories,
        files_sample=riskiest[:SAMPLE_FILES],
        truncated=changes.truncated or len(changes.files) > SAMPLE_FILES,
        note=changes.note,
    )


def rank(
    candidates: Sequence[Deploy],
    changes: Mapping[str, ChangeSet],
    change_errors: Mapping[str, str],
    ctx: RankContext,
    limit: int | None = None,
    change_free: Mapping[str, list[Feature]] | None = None,
) -> list[Candidate]:
    """Score every candidate and order them, best first; ties go to the deploy closest to the onset.

    Only the first ``limit`` become full Candidates (with their change summaries): with thousands
    of deploys a day, building the rest would cost more than scoring them. ``change_free`` holds
    features already scored without a diff, reused for the deploys that have none.
    """
    scored = []
    for deploy in candidates:
        change_set = changes.get(deploy.id)
        reused = change_free.get(deploy.id) if change_set is None and change_free is not None else None
        features = reused if reused is not None else score_features(deploy, change_set, ctx)
        scored.append((total_score(features, change_set), deploy, features, change_set))
    scored.sort(key=lambda item: (-item[0], minutes_before_onset(item[1], ctx.onset) or 0.0, item[1].id))
    result = []
    for index, (score, deploy, features, change_set) in enumerate(scored[:limit]):
        runner_up = scored[index + 1][0] if index + 1 < len(scored) else 0.0
        result.append(
            Candidate(
                deploy=deploy,
                score=round(score, 4),
                confidence=confidence(score, score - runner_up),
                features=features,
                minutes_before_onset=minutes_before_onset(deploy, ctx.onset),
                changes=summarize_changes(change_set) if change_set else None,
                changes_error=change_errors.get(deploy.id, ""),
            )
        )
    return result


def confidence(score: float, lead: float) -> Confidence:
    """High when the score is high and clearly ahead of the next; low when either is small."""
    if score >= 0.6 and lead >= 0.15:
        return "high"
    if score >= 0.45 or (lead >= 0.1 and score >= 0.35):  # a clear lead among weak scores is still weak
        return "medium"
    return "low"
