"""Score one deploy against one incident, feature by feature; each feature is shown on its own.

Features (weights in WEIGHTS; every score is 0..1 with a reason a person can check):
- service: the deploy is to a likely root (1.0) or another degraded service (0.8), or its files are
  owned by one (0.9, for monorepos).
- upstream: where the deployed service sits in the dependency chain: the likely root itself (1.0), a
  dependency of a likely root (1.0 direct, 0.6 two hops, 0.3 further; half that below a symptom,
  whose degradation its root already explains), or a symptom (0).
- routes: a changed file serves one of the failing routes (route globs in the config, else route
  segments matched to path parts).
- change_kind: config and feature flags weigh most, then dependencies, infrastructure, migrations, code;
  docs and tests nothing.
- timing: halves every ``half_life`` minutes between the deploy's finish and the onset; a deploy
  still rolling out at the onset scores 1.
- status: a failed, partial or rolled-back rollout.
- size: lines changed, on a log scale.
A change set of only docs and tests is gated: its total is multiplied by HARMLESS_FACTOR.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from adapters.models import ChangeSet, Deploy
from mcp_server.config import ServiceConfig
from mcp_server.deploys.models import Feature, FeatureName
from mcp_server.deploys.ownership import CodeOwnersRule, routes_touched, services_owning

WEIGHTS: dict[FeatureName, float] = {
    "service": 0.30,
    "upstream": 0.20,
    "routes": 0.20,
    "change_kind": 0.10,
    "timing": 0.15,
    "status": 0.05,
    "size": 0.05,
}
KIND_RISK = {
    "config": 1.0,
    "feature_flag": 1.0,
    "dependency": 0.9,
    "infrastructure": 0.8,
    "migration": 0.8,
    "code": 0.6,
    "tests": 0.0,
    "docs": 0.0,
}
UNKNOWN_KIND_SCORE = 0.4
HARMLESS_FACTOR = 0.25


@dataclass(frozen=True)
class RankContext:
    """What the incident looks like, for scoring deploys against it.

    The dependency distances from the roots and from the other degraded services are computed
    once here, so scoring thousands of deploys stays a dictionary lookup each.
    """

    onset: datetime
    affected: frozenset[str]
    roots: frozenset[str]
    services: Mapping[str, ServiceConfig]
    failing_routes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    codeowners: Mapping[str, Sequence[CodeOwnersRule]] = field(default_factory=dict)  # repo -> rules
    half_life_minutes: float = 30.0
    root_hops: dict[str, tuple[int, str]] = field(init=False, repr=False)
    symptom_hops: dict[str, tuple[int, str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "root_hops", _distances(self.roots, self.services))
        object.__setattr__(self, "symptom_hops", _distances(self.affected, self.services))

    @property
    def affected_repos(self) -> frozenset[str]:
        """Repositories holding the code of degraded services."""
        return frozenset(self.services[s].repo for s in self.affected if s in self.services)


def _distances(origins: frozenset[str], services: Mapping[str, ServiceConfig]) -> dict[str, tuple[int, str]]:
    """Breadth-first from ``origins`` along depends_on: service -> (fewest hops, the origin it is reached from)."""
    found: dict[str, tuple[int, str]] = {}
    frontier = [(name, name) for name in sorted(origins)]
    hops = 0
    while frontier:
        hops += 1
        following = []
        for origin, current in frontier:
            for dependency in services[current].depends_on if current in services else []:
                if dependency not in found and dependency not in origins:
                    found[dependency] = (hops, origin)
                    following.append((origin, dependency))
        frontier = following
    return found


def minutes_before_onset(deploy: Deploy, onset: datetime) -> float | None:
    """Minutes from the deploy's finish to the onset; None when it was still rolling out at the onset."""
    if deploy.finished_at is None or deploy.finished_at > onset:
        return None
    return (onset - deploy.finished_at).total_seconds() / 60


def score_features(deploy: Deploy, changes: ChangeSet | None, ctx: RankContext) -> list[Feature]:
    """Every feature of one deploy, in a fixed order."""
    return [
        _service(deploy, changes, ctx),
        _upstream(deploy, ctx),
        _routes(changes, ctx),
        _change_kind(changes),
        _timing(deploy, ctx),
        _status(deploy),
        _size(changes),
    ]


def total_score(features: Sequence[Feature], changes: ChangeSet | None) -> float:
    """The weighted mean of the features, gated down when only docs and tests changed."""
    weight = sum(f.weight for f in features)
    score = sum(f.score * f.weight for f in features) / weight if weight else 0.0
    return score * HARMLESS_FACTOR if changes is not None and _harmless(changes) else score


def _feature(name: FeatureName, score: float, reason: str) -> Feature:
    return Feature(name=name, score=round(max(0.0, min(1.0, score)), 4), weight=WEIGHTS[name], reason=reason)


def _service(deploy: Deploy, changes: ChangeSet | None, ctx: RankContext) -> Feature:
    if deploy.service in ctx.roots:
        return _feature("service", 1.0, f"deploys {deploy.service}, a likely root of the incident")
    if deploy.service in ctx.affected:
        return _feature("service", 0.8, f"deploys {deploy.service}, which is degraded")
    if changes is None:
        return _feature("service", 0.0, f"deploys {deploy.service}, which is not degraded")
    same_repo = _services_in_repo(changes, ctx)
    rules = ctx.codeowners.get(changes.repo, ())
    for changed in changes.files:
        owners = services_owning(changed.path, same_repo, rules) & ctx.affected
        if owners:
            return _feature("service", 0.9, f"{changed.path} belongs to degraded {', '.join(sorted(owners))}")
    return _feature("service", 0.0, f"deploys {deploy.service}, which is not degraded")


def _upstream(deploy: Deploy, ctx: RankContext) -> Feature:
    """A dependency of a likely root weighs fully; of a symptom, half: its root already explains it."""
    if deploy.service in ctx.roots:
        return _feature("upstream", 1.0, "deploys the likely root itself: nothing degraded below it")
    if deploy.service in ctx.affected:
        return _feature("upstream", 0.0, "deploys a symptom: its degradation comes from below it")
    for distances, factor, role in ((ctx.root_hops, 1.0, "likely root"), (ctx.symptom_hops, 0.5, "symptom")):
        if deploy.service in distances:
            hops, origin = distances[deploy.service]
            score = {1: 1.0, 2: 0.6}.get(hops, 0.3) * factor
            plural = "s" if hops > 1 else ""
            return _feature("upstream", score, f"{role} {origin} depends on {deploy.service} ({hops} hop{plural})")
    return _feature("upstream", 0.0, f"no degraded service depends on {deploy.service}")


def optimistic_score(deploy: Deploy, ctx: RankContext, change_free: Sequence[Feature] | None = None) -> float:
    """The best score the deploy could reach once its change set is known (an upper bound).

    Used to choose whose change sets to fetch: the features that need the changes count as
    fully met, except where the repository rules them out (code in another repository cannot
    belong to a degraded service or serve its routes).
    """
    features = {f.name: f.score for f in (change_free or score_features(deploy, None, ctx))}
    # Same rule as _services_in_repo: a degraded service without a configured repo may hold any file.
    shared_repo = not deploy.repo or any(not repo or repo == deploy.repo for repo in ctx.affected_repos)
    features["service"] = max(features["service"], 0.9 if shared_repo else 0.0)
    features["routes"] = 1.0 if shared_repo and any(ctx.failing_routes.values()) else 0.0
    features["change_kind"] = features["size"] = 1.0
    return sum(WEIGHTS[name] * score for name, score in features.items()) / sum(WEIGHTS.values())


def _services_in_repo(changes: ChangeSet, ctx: RankContext) -> list[ServiceConfig]:
    """Services whose code can be in this change set: same repository, or no repository configured.

    A file of one repository never belongs to a service that lives in another, whatever its globs say.
    """
    return [s for s in ctx.services.values() if not s.repo or not changes.repo or s.repo == changes.repo]


def _routes(changes: ChangeSet | None, ctx: RankContext) -> Feature:
    if not any(ctx.failing_routes.values()):
        return _feature("routes", 0.0, "no failing routes known to match against")
    if changes is None:
        return _feature("routes", 0.0, "changes unavailable: cannot match files to the failing routes")
    in_repo = {s.name for s in _services_in_repo(changes, ctx)}
    for changed in changes.files:
        for service, failing in ctx.failing_routes.items():
            config = ctx.services.get(service) if service in in_repo else None
            # Passing the failing routes lets a service without a route map match by route segments.
            touched = set(routes_touched(changed.path, config, failing)) & set(failing) if config else set()
            if touched:
                return _feature("routes", 1.0, f"{changed.path} serves failing {service} {', '.join(sorted(touched))}")
    return _feature("routes", 0.0, "no changed file serves a failing route")


def _change_kind(changes: ChangeSet | None) -> Feature:
    if changes is None:
        return _feature("change_kind", UNKNOWN_KIND_SCORE, "changes unavailable: kind unknown")
    counts: dict[str, int] = {}
    for changed in changes.files:
        counts[changed.category] = counts.get(changed.category, 0) + 1
    if not counts:
        return _feature("change_kind", 0.0, "no files changed")
    riskiest = max(counts, key=lambda c: KIND_RISK[c])
    listing = ", ".join(f"{n} {c}" for c, n in sorted(counts.items(), key=lambda kv: -KIND_RISK[kv[0]]))
    return _feature("change_kind", KIND_RISK[riskiest], f"changes {listing}")


def _timing(deploy: Deploy, ctx: RankContext) -> Feature:
    minutes = minutes_before_onset(deploy, ctx.onset)
    if minutes is None:
        return _feature("timing", 1.0, "still rolling out at the onset")
    score = 0.5 ** (minutes / ctx.half_life_minutes)
    return _feature("timing", score, f"finished {minutes:.0f} min before the onset")


def _status(deploy: Deploy) -> Feature:
    scores = {"failed": 1.0, "in_progress": 0.8, "rolled_back": 0.5, "succeeded": 0.0}
    reasons = {
        "failed": "the rollout failed: a partly applied change",
        "in_progress": "a partial rollout",
        "rolled_back": "it was rolled back: the change was live for a while",
        "succeeded": "the rollout succeeded",
    }
    return _feature("status", scores[deploy.status], reasons[deploy.status])


def _size(changes: ChangeSet | None) -> Feature:
    if changes is None:
        return _feature("size", 0.0, "changes unavailable: size unknown")
    lines = sum(f.additions + f.deletions for f in changes.files)
    return _feature("size", math.log10(1 + lines) / 4, f"{lines} lines in {len(changes.files)} files")


def _harmless(changes: ChangeSet) -> bool:
    return bool(changes.files) and all(f.category in ("docs", "tests") for f in changes.files)
