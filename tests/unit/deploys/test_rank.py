"""Ranking deploys against an incident: each feature on its own, candidates, order and verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.models import ChangedFile, ChangeSet, Deploy
from mcp_server.config import ServiceConfig
from mcp_server.deploys.correlate import Incident, decide_verdict
from mcp_server.deploys.features import HARMLESS_FACTOR, WEIGHTS, RankContext, score_features, total_score
from mcp_server.deploys.rank import confidence, rank, split_candidates

ONSET = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
SERVICES = {
    "frontend": ServiceConfig(name="frontend", depends_on=["checkout", "search"]),
    "checkout": ServiceConfig(
        name="checkout",
        depends_on=["payments"],
        paths=["services/checkout/**"],
        routes={"/pay": ["services/checkout/pay/**"]},
    ),
    "payments": ServiceConfig(name="payments", depends_on=["ledger"]),
    "ledger": ServiceConfig(name="ledger"),
    "search": ServiceConfig(name="search", depends_on=["index"]),
    "index": ServiceConfig(name="index"),
}


def ctx(**changes) -> RankContext:
    base = dict(
        onset=ONSET,
        affected=frozenset({"checkout", "frontend"}),
        roots=frozenset({"checkout"}),
        services=SERVICES,
        failing_routes={"checkout": ("/pay",)},
        half_life_minutes=30.0,
    )
    base.update(changes)
    return RankContext(**base)


def deploy(
    id_: str, service: str, finished_before: float | None, started_before: float = 60, status: str = "succeeded"
) -> Deploy:
    started = ONSET - timedelta(minutes=started_before)
    finished = None if finished_before is None else ONSET - timedelta(minutes=finished_before)
    return Deploy(id=id_, service=service, started_at=started, finished_at=finished, status=status)  # type: ignore[arg-type]


def changes(*files: tuple[str, str, int]) -> ChangeSet:
    return ChangeSet(
        repo="acme/shop",
        base="a",
        head="b",
        commits=[],
        files=[
            ChangedFile(path=p, change="modified", category=c, additions=n, deletions=0)
            for p, c, n in files  # type: ignore[arg-type]
        ],
    )


def feature(deploy_: Deploy, change_set: ChangeSet | None, name: str, context: RankContext | None = None):
    return next(f for f in score_features(deploy_, change_set, context or ctx()) if f.name == name)


def test_candidates_exclude_deploys_after_the_onset_and_keep_rollouts_in_flight():
    after = deploy("after", "checkout", None, started_before=-5)
    rolling = deploy("rolling", "checkout", None, started_before=40)
    finished_later = deploy("straddle", "checkout", -3, started_before=10)  # finished after the onset
    old = deploy("old", "checkout", 60 * 30, started_before=60 * 30 + 5)
    done = deploy("done", "checkout", 5)
    chosen, excluded = split_candidates([after, rolling, finished_later, old, done], ONSET, timedelta(hours=24))
    assert [d.id for d in chosen] == ["rolling", "straddle", "done"]
    assert {e.deploy_id: e.reason for e in excluded} == {
        "after": "started after the onset",
        "old": "older than the lookback",
    }


@pytest.mark.parametrize(("minutes", "score"), [(0, 1.0), (30, 0.5), (60, 0.25), (None, 1.0)])
def test_timing_halves_every_half_life(minutes, score):
    f = feature(deploy("d", "ledger", minutes), None, "timing")
    assert f.score == pytest.approx(score, abs=1e-3)
    assert ("still rolling out" in f.reason) == (minutes is None)


@pytest.mark.parametrize(("service", "score"), [("checkout", 1.0), ("frontend", 0.8), ("ledger", 0.0)])
def test_service_feature(service, score):
    assert feature(deploy("d", service, 5), None, "service").score == score


def test_service_feature_sees_monorepo_paths_owned_by_an_affected_service():
    monorepo = changes(("services/checkout/pay/handler.py", "code", 10))
    f = feature(deploy("d", "platform", 5), monorepo, "service")
    assert f.score == 0.9 and "services/checkout/pay/handler.py" in f.reason


@pytest.mark.parametrize(
    ("service", "score", "fragment"),
    [
        ("payments", 1.0, "likely root checkout"),
        ("ledger", 0.6, "2 hops"),
        ("search", 0.5, "symptom frontend"),
        ("index", 0.3, "symptom frontend"),
        ("checkout", 1.0, "the likely root itself"),
        ("frontend", 0.0, "a symptom"),
    ],
)
def test_upstream_feature_weighs_dependencies_of_roots_over_those_of_symptoms(service, score, fragment):
    f = feature(deploy("d", service, 5), None, "upstream")
    assert f.score == pytest.approx(score) and fragment in f.reason


def test_routes_feature_matches_changed_files_to_failing_routes():
    hit = feature(deploy("d", "checkout", 5), changes(("services/checkout/pay/api.py", "code", 5)), "routes")
    miss = feature(deploy("d", "checkout", 5), changes(("services/checkout/cart/api.py", "code", 5)), "routes")
    blind = feature(deploy("d", "checkout", 5), changes(("x.py", "code", 5)), "routes", ctx(failing_routes={}))
    assert (hit.score, miss.score, blind.score) == (1.0, 0.0, 0.0)
    assert "/pay" in hit.reason and "no failing routes known" in blind.reason


@pytest.mark.parametrize(
    ("files", "score"),
    [
        ((("config/pool.yaml", "config", 1),), 1.0),
        ((("requirements.txt", "dependency", 1),), 0.9),
        ((("src/a.py", "code", 1), ("docs/a.md", "docs", 1)), 0.6),
        ((("docs/a.md", "docs", 1),), 0.0),
    ],
)
def test_change_kind_feature(files, score):
    assert feature(deploy("d", "checkout", 5), changes(*files), "change_kind").score == score


def test_unknown_changes_are_neutral_not_innocent():
    d = deploy("d", "checkout", 5)
    assert feature(d, None, "change_kind").score == 0.4
    assert "unavailable" in feature(d, None, "routes").reason


def test_docs_and_tests_only_changes_are_gated_down():
    d = deploy("d", "checkout", 5)
    docs = changes(("docs/runbook.md", "docs", 40), ("tests/test_pay.py", "tests", 20))
    code = changes(("src/pay.py", "code", 40), ("tests/test_pay.py", "tests", 20))
    features_docs = score_features(d, docs, ctx())
    plain = sum(f.score * f.weight for f in features_docs) / sum(WEIGHTS.values())
    assert total_score(features_docs, docs) == pytest.approx(plain * HARMLESS_FACTOR)
    assert total_score(score_features(d, code, ctx()), code) > 2 * total_score(features_docs, docs)


@pytest.mark.parametrize(
    ("status", "score"), [("failed", 1.0), ("in_progress", 0.8), ("rolled_back", 0.5), ("succeeded", 0.0)]
)
def test_status_feature(status, score):
    assert feature(deploy("d", "ledger", 5, status=status), None, "status").score == score


def test_culprit_is_neither_the_latest_nor_the_largest():
    culprit = deploy("config-change", "checkout", 25)
    latest_and_largest = deploy("big-refactor", "index", 2)
    sets = {
        "config-change": changes(("services/checkout/config/pool.yaml", "config", 2)),
        "big-refactor": changes(*[(f"index/src/m{i}.py", "code", 400) for i in range(30)]),
    }
    ranked = rank([latest_and_largest, culprit], sets, {}, ctx())
    assert [c.deploy.id for c in ranked] == ["config-change", "big-refactor"]
    assert ranked[0].changes is not None and ranked[0].changes.categories == {"config": 1}
    assert ranked[0].score > ranked[1].score


def test_rank_reports_missing_changes():
    ranked = rank([deploy("d", "checkout", 5)], {}, {"d": "github: 404"}, ctx())
    assert ranked[0].changes is None and ranked[0].changes_error == "github: 404"


@pytest.mark.parametrize(
    ("score", "lead", "level"),
    [(0.7, 0.2, "high"), (0.7, 0.05, "medium"), (0.4, 0.12, "medium"), (0.3, 0.12, "low"), (0.3, 0.02, "low")],
)
def test_confidence(score, lead, level):
    assert confidence(score, lead) == level


def test_verdict_says_no_deploy_when_nothing_scores_above_the_threshold():
    incident = Incident(onset=ONSET, onset_source="triage signal", affected=["checkout"], roots=["checkout"])
    weak = rank([deploy("docs", "ledger", 200)], {"docs": changes(("docs/a.md", "docs", 1))}, {}, ctx())
    verdict, reason = decide_verdict(weak, incident, 0.35)
    assert verdict == "no_deploy_implicated" and "under the 0.35 threshold" in reason
    assert decide_verdict([], incident, 0.35)[0] == "no_deploy_implicated"
    strong = rank(
        [deploy("bad", "checkout", 3)], {"bad": changes(("services/checkout/pay/x.py", "code", 50))}, {}, ctx()
    )
    assert decide_verdict(strong, incident, 0.35)[0] == "deploy_implicated"
    quiet = Incident(onset=ONSET, onset_source="triage signal", affected=[], roots=[], nothing_degraded=True)
    assert "nothing degraded" in decide_verdict(strong, quiet, 0.35)[1]


@pytest.mark.parametrize("service", ["checkout", "frontend", "payments", "ledger", "index", "platform"])
@pytest.mark.parametrize("minutes", [None, 1, 45, 600])
def test_optimistic_score_bounds_every_possible_change_set(service, minutes):
    from mcp_server.deploys.features import optimistic_score

    d = deploy("d", service, minutes).model_copy(update={"repo": "acme/shop"})
    context = ctx(services={**SERVICES, "checkout": SERVICES["checkout"].model_copy(update={"repo": "acme/shop"})})
    bound = optimistic_score(d, context)
    for change_set in (
        None,
        changes(("services/checkout/pay/a.py", "code", 5000)),
        changes(("services/checkout/config/pool.yaml", "config", 3)),
        changes(("db/migrations/1.sql", "migration", 40), ("requirements.txt", "dependency", 2)),
        changes(("docs/a.md", "docs", 1)),
    ):
        assert total_score(score_features(d, change_set, context), change_set) <= bound + 1e-9


def test_change_sets_are_fetched_for_the_best_possible_first():
    from mcp_server.deploys.correlate import choose_for_changes

    close_root = deploy("root", "checkout", 2)
    far_other = deploy("far", "index", 600).model_copy(update={"repo": "acme/search"})
    near_other = deploy("near", "ledger", 5)
    chosen, skipped, change_free = choose_for_changes([far_other, near_other, close_root], ctx(), 2)
    assert set(change_free) == {"root", "near", "far"}
    assert [d.id for d in chosen] == ["root", "near"] and [d.id for d in skipped] == ["far"]


def test_files_of_another_repository_never_belong_to_a_degraded_service():
    services = {
        **SERVICES,
        "checkout": SERVICES["checkout"].model_copy(update={"repo": "acme/checkout", "paths": ["**"]}),
        "ledger": SERVICES["ledger"].model_copy(update={"repo": "acme/ledger"}),
    }
    other_repo = ChangeSet(
        repo="acme/ledger",
        base="a",
        head="b",
        commits=[],
        files=[
            ChangedFile(path="services/checkout/pay/x.py", change="modified", category="code", additions=1, deletions=0)
        ],
    )
    context = ctx(services=services)
    d = deploy("d", "ledger", 5).model_copy(update={"repo": "acme/ledger"})
    assert feature(d, other_repo, "service", context).score == 0.0
    assert feature(d, other_repo, "routes", context).score == 0.0
    same_repo = other_repo.model_copy(update={"repo": "acme/checkout"})
    assert feature(d, same_repo, "service", context).score == 0.9


def test_deploys_to_other_environments_are_excluded():
    staging = deploy("stg", "checkout", 5).model_copy(update={"environment": "staging"})
    prod = deploy("prd", "checkout", 5).model_copy(update={"environment": "production"})
    chosen, excluded = split_candidates([staging, prod], ONSET, timedelta(hours=24), ["production"])
    assert [d.id for d in chosen] == ["prd"]
    assert excluded[0].reason == "deployed to staging, not production"
    assert len(split_candidates([staging, prod], ONSET, timedelta(hours=24))[0]) == 2


def test_optimistic_score_bounds_services_without_a_repo():
    from mcp_server.deploys.features import optimistic_score

    d = deploy("d", "ledger", 5).model_copy(update={"repo": "acme/ledger"})
    owned = ChangeSet(
        repo="acme/ledger",
        base="a",
        head="b",
        commits=[],
        files=[
            ChangedFile(
                path="services/checkout/pay/x.py", change="modified", category="config", additions=9, deletions=0
            )
        ],
    )
    assert total_score(score_features(d, owned, ctx()), owned) <= optimistic_score(d, ctx()) + 1e-9


def test_routes_match_by_segments_when_a_service_has_no_route_map():
    services = {**SERVICES, "checkout": SERVICES["checkout"].model_copy(update={"routes": {}})}
    context = ctx(services=services, failing_routes={"checkout": ("/checkout/submit",)})
    hit = feature(deploy("d", "checkout", 5), changes(("services/checkout/submit.py", "code", 5)), "routes", context)
    miss = feature(deploy("d", "checkout", 5), changes(("services/checkout/cart.py", "code", 5)), "routes", context)
    assert (hit.score, miss.score) == (1.0, 0.0)


def test_codeowners_give_a_monorepo_file_to_the_team_of_a_degraded_service():
    from mcp_server.deploys.ownership import parse_codeowners

    services = {
        **SERVICES,
        "checkout": SERVICES["checkout"].model_copy(update={"paths": [], "team": "payments-team", "repo": "acme/mono"}),
    }
    rules = {"acme/mono": parse_codeowners("/libs/billing/ @acme/payments-team\n")}
    owned = ChangeSet(
        repo="acme/mono",
        base="a",
        head="b",
        commits=[],
        files=[
            ChangedFile(path="libs/billing/rounding.py", change="modified", category="code", additions=3, deletions=1)
        ],
    )
    d = deploy("d", "platform", 5).model_copy(update={"repo": "acme/mono"})
    assert feature(d, owned, "service", ctx(services=services)).score == 0.0
    f = feature(d, owned, "service", ctx(services=services, codeowners=rules))
    assert f.score == 0.9 and "libs/billing/rounding.py belongs to degraded checkout" in f.reason


def test_a_monorepo_deploy_keeps_its_own_and_shared_files_only():
    from mcp_server.deploys.correlate import scope_changes

    services = {
        "pay": ServiceConfig(name="pay", repo="acme/mono", paths=["services/pay/**"]),
        "cart": ServiceConfig(name="cart", repo="acme/mono", paths=["services/cart/**"]),
    }
    merged = changes(
        ("services/pay/api.py", "code", 3), ("services/cart/config.yaml", "config", 1), ("libs/money.py", "code", 2)
    ).model_copy(update={"repo": "acme/mono"})
    d = deploy("d", "pay", 5).model_copy(update={"repo": "acme/mono"})
    scoped = scope_changes(merged, d, services)
    assert [f.path for f in scoped.files] == ["services/pay/api.py", "libs/money.py"]
    assert "1 files of other services left out" in scoped.note
    other_repo = d.model_copy(update={"service": "unknown"})
    assert scope_changes(merged, other_repo, services) is merged  # a service with no paths keeps everything


def test_reused_change_free_features_rank_the_same():
    deploys = [deploy("a", "checkout", 3), deploy("b", "ledger", 10), deploy("c", "frontend", 40)]
    sets = {"a": changes(("services/checkout/pay/x.py", "code", 5))}
    free = {d.id: score_features(d, None, ctx()) for d in deploys}
    plain = rank(deploys, sets, {}, ctx())
    reused = rank(deploys, sets, {}, ctx(), change_free=free)
    assert [(c.deploy.id, c.score) for c in plain] == [(c.deploy.id, c.score) for c in reused]
