"""Deploy correlation over the bundled deploy scenarios: the story's culprit ranks first, for the story's reasons.

Each scenario with ``expected.culprit`` is replayed (``scenario_config`` + ``open_runtime``) and
ranked as of its anchor. The culprit must come first with a verdict of "deploy implicated", and
the features the story turns on (the config change, the dependency bump, the upstream service,
the failing route's code, the migration, the rollout that just finished) must be among its
reasons; a story without a culprit must end in "no deploy implicated". A deploy that started
after the incident began is never a candidate.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from adapters.replay.scenario import Scenario, list_scenarios, load_scenario
from mcp_server.deploys.correlate import correlate
from mcp_server.embedded import scenario_config
from mcp_server.runtime import open_runtime

pytestmark = pytest.mark.anyio
DEPLOY_SCENARIOS = [n for n in list_scenarios() if load_scenario(n).expected.judges_deploys]
NEW_STORIES = (
    "config-pool-size",
    "dependency-bump",
    "upstream-deploy",
    "two-deploys",
    "slow-rollout",
    "risky-migration",
    "provider-outage",
    "provider-incident-at-onset",
    "daily-batch",
)
INTENDED: dict[str, list[tuple[str, str]]] = {
    # scenario -> (feature, word its reason must hold) the story turns on; each must score at least 0.5
    "bad-deploy": [("service", "checkout"), ("routes", "/checkout/")],
    "config-pool-size": [("service", "orders"), ("change_kind", "config")],
    "dependency-bump": [("service", "payments"), ("change_kind", "dependency")],
    "upstream-deploy": [("upstream", "address")],
    "two-deploys": [("service", "search"), ("routes", "/search")],
    "slow-rollout": [("service", "cart"), ("routes", "/cart/"), ("timing", "before the onset")],
    "risky-migration": [("service", "accounts"), ("change_kind", "migration"), ("routes", "/login")],
}
_RANKINGS: dict[str, object] = {}


async def ranking_of(name: str):  # noqa: ANN201 - the ranking model of mcp_server.deploys
    """The ranking of a scenario as of its anchor, computed once per test session."""
    if name not in _RANKINGS:
        config, note, anchor = scenario_config(name)
        async with open_runtime(config, data_note=note, reference=anchor) as runtime:
            _RANKINGS[name] = await correlate(runtime, anchor)
    return _RANKINGS[name]


def story_onset(scenario: Scenario) -> datetime:
    """When the story says the incident began: the first event of a root service still on at the anchor
    (a daily event's ``from`` is today's occurrence)."""
    starts = [e.start for e in scenario.events if e.service in scenario.expected.roots and e.end >= scenario.anchor]
    return min(starts)


def test_the_deploy_stories_are_bundled() -> None:
    assert set(NEW_STORIES) <= set(DEPLOY_SCENARIOS)
    assert set(INTENDED) <= set(DEPLOY_SCENARIOS)
    late = [n for n in NEW_STORIES if any(d.started > story_onset(load_scenario(n)) for d in load_scenario(n).deploys)]
    assert len(late) >= 3, late  # several stories hold a deploy after the onset, which must never rank


@pytest.mark.parametrize("name", NEW_STORIES)
def test_the_stories_blame_neither_simply_the_latest_nor_the_largest_deploy(name: str) -> None:
    scenario = load_scenario(name)
    assert 4 <= len(scenario.services) <= 6 and all(s.repo and s.paths for s in scenario.services)
    before = [d for d in scenario.deploys if d.started <= story_onset(scenario)]
    size = {d.id: sum(f.additions + f.deletions for c in d.changes for f in c.files) for d in before}
    latest = max(before, key=lambda d: d.finished or d.started).id
    largest = max(size, key=size.__getitem__)
    assert scenario.expected.culprit not in (latest, largest), (latest, largest)
    assert len(before) >= 3 and all(d.changes for d in scenario.deploys)


@pytest.mark.parametrize("name", DEPLOY_SCENARIOS)
async def test_the_culprit_ranks_first_or_no_deploy_is_implicated(name: str) -> None:
    scenario = load_scenario(name)
    ranking = await ranking_of(name)
    culprit = scenario.expected.culprit
    listing = [(c.deploy.id, c.score) for c in ranking.candidates]
    if culprit is None:
        assert ranking.verdict == "no_deploy_implicated", (ranking.verdict_reason, listing)
        return
    assert ranking.verdict == "deploy_implicated", (ranking.verdict_reason, listing)
    assert ranking.candidates[0].deploy.id == culprit, listing
    features = {f.name: f for f in ranking.candidates[0].features}
    for feature, word in INTENDED.get(name, []):
        assert features[feature].score >= 0.5 and word in features[feature].reason, (feature, features[feature])


@pytest.mark.parametrize("name", DEPLOY_SCENARIOS)
async def test_a_deploy_after_the_onset_is_never_a_candidate(name: str) -> None:
    scenario = load_scenario(name)
    ranking = await ranking_of(name)
    candidates = {c.deploy.id for c in ranking.candidates}
    assert all(c.deploy.started_at <= ranking.onset for c in ranking.candidates)
    if scenario.expected.roots:
        late = {d.id for d in scenario.deploys if d.started > story_onset(scenario)}
        assert not late & candidates, late & candidates
        assert late <= {e.deploy_id for e in ranking.excluded}


BETTER_EXPLAINED: dict[str, tuple[str, list[str]]] = {
    # scenario -> (kind of the better explanation, words the verdict's reason must hold)
    "provider-incident-at-onset": (
        "provider_incident",
        ["Shipfast", '"Elevated error rates on the Rates API"', "shipfast-20261203-rates", "2026-12-03T15:07:00Z"],
    ),
    "daily-batch": (
        "daily_recurrence",
        ["orders", "01:59-02:14 UTC", "3 of the last 3 days", "2026-12-04, 2026-12-05, 2026-12-06"],
    ),
    "provider-outage": ("provider_incident", ["cardpay", "cardpay-20261124-api", "2026-11-24T16:47:00Z"]),
}


@pytest.mark.parametrize("name", sorted(BETTER_EXPLAINED))
async def test_a_better_explanation_than_a_deploy_is_named(name: str) -> None:
    ranking = await ranking_of(name)
    kind, words = BETTER_EXPLAINED[name]
    assert ranking.verdict == "no_deploy_implicated"
    assert ranking.alternative is not None and ranking.alternative.kind == kind, ranking.verdict_reason
    assert ranking.verdict_reason.startswith("better explained by ")
    assert [w for w in words if w not in ranking.verdict_reason] == [], ranking.verdict_reason
    assert all(c.confidence == "low" for c in ranking.candidates)


@pytest.mark.parametrize("name", ["provider-incident-at-onset", "daily-batch"])
async def test_the_deploy_that_would_have_been_blamed_is_only_a_lead(name: str) -> None:
    """Without the better explanation, the root's own deploy just before the onset would be blamed."""
    ranking = await ranking_of(name)
    top = ranking.candidates[0]
    assert top.deploy.service in ranking.likely_roots and top.score >= ranking.threshold
    lead = f"{top.deploy.id} ({top.deploy.service}, {top.score:.2f}), is a low-confidence lead"
    assert lead in ranking.verdict_reason


@pytest.mark.parametrize("name", [n for n in DEPLOY_SCENARIOS if n not in BETTER_EXPLAINED])
async def test_the_other_stories_have_no_better_explanation(name: str) -> None:
    ranking = await ranking_of(name)
    assert ranking.alternative is None and "better explained" not in ranking.verdict_reason


async def test_the_recurrence_check_is_reported_in_the_sources() -> None:
    ranking = await ranking_of("daily-batch")
    checks = [s for s in ranking.sources if s.detail.startswith("recurrence:")]
    assert [(s.capability, s.status, s.queries) for s in checks] == [("metrics", "ok", 3)]  # errors, requests, p99


async def test_the_migration_shows_in_the_culprits_changes() -> None:
    ranking = await ranking_of("risky-migration")
    top = ranking.candidates[0]
    assert top.changes is not None and top.changes.categories.get("migration") == 1
    assert top.changes.files_sample[0].category == "migration"  # riskiest first


@pytest.mark.parametrize("name", DEPLOY_SCENARIOS)
async def test_a_deploy_in_another_repository_does_not_touch_a_degraded_service(name: str) -> None:
    """Service path globs are relative to the service's own repository: ``**`` in acme/payments owns
    nothing in acme/accounts. A deploy of a healthy service from a repository no degraded service
    lives in must not be said to touch a degraded one."""
    scenario = load_scenario(name)
    ranking = await ranking_of(name)
    degraded_repos = {scenario.service(s).repo for s in ranking.affected}
    for candidate in ranking.candidates:
        deploy = candidate.deploy
        if deploy.service in ranking.affected or deploy.repo in degraded_repos:
            continue
        service = next(f for f in candidate.features if f.name == "service")
        assert service.score == 0, (deploy.id, deploy.repo, service.reason)
