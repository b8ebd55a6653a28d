"""Rollback plans from plain data: target, commands per deploy method, duration, risk, verification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.models import ChangedFile, ChangeSet, Deploy
from mcp_server.config import DeployMethod, ServiceConfig, SignalsConfig
from mcp_server.deploys.rollback import assess_risk, build_plan, expected_duration, find_target, stacked_on_top

T0 = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)


def deploy(
    id_: str,
    minutes_ago: float,
    duration: float = 5,
    service: str = "checkout",
    status: str = "succeeded",
    version: str = "",
    sha: str = "",
) -> Deploy:
    started = T0 - timedelta(minutes=minutes_ago)
    return Deploy(
        id=id_,
        service=service,
        environment="prod",
        version=version or id_,
        sha=sha or f"{id_}sha",
        previous_version="v0",
        previous_sha="v0sha",
        started_at=started,
        finished_at=started + timedelta(minutes=duration),
        status=status,
        repo="acme/shop",
    )  # type: ignore[arg-type]


def changes(*files: tuple[str, str]) -> ChangeSet:
    return ChangeSet(
        repo="acme/shop",
        base="a",
        head="b",
        commits=[],
        files=[ChangedFile(path=p, change="modified", category=c, additions=3, deletions=1) for p, c in files],
    )  # type: ignore[arg-type]


HISTORY = [
    deploy("d1", 600, 4, version="v1"),
    deploy("d2", 300, 6, version="v2"),
    deploy("d3", 200, 8, version="v3", status="failed"),
    deploy("d4", 30, 10, version="v4"),
    deploy("o1", 100, 20, service="payments"),
]


def test_target_is_the_last_succeeded_deploy_before():
    target = find_target(HISTORY[3], HISTORY)
    assert (target.version, target.deploy_id) == ("v2", "d2")  # d3 failed, so not a good version


def test_target_falls_back_to_previous_version():
    lone = deploy("x", 10, version="v9")
    target = find_target(lone, [lone])
    assert (target.version, target.sha) == ("v0", "v0sha") and "no earlier succeeded deploy" in target.note


def test_stacked_deploys_are_later_ones_of_the_same_service():
    assert [d.id for d in stacked_on_top(HISTORY[1], HISTORY)] == ["d4"]  # d3 failed; o1 is another service


def test_expected_duration_is_the_median_of_past_succeeded_deploys():
    minutes, basis = expected_duration("checkout", HISTORY)
    assert (
        minutes == 6.0 and basis == "median of 3 deploys of checkout in the lookback"
    )  # 4, 6, 10; the failed 8 is ignored
    assert expected_duration("search", HISTORY) == (None, "no finished deploy of search in the lookback to learn from")


@pytest.mark.parametrize(
    ("files", "stacked", "level", "fragment"),
    [
        ((("db/migrations/0042_add.py", "migration"), ("src/api.py", "code")), [], "high", "database migration"),
        ((("config/pool.yaml", "config"),), [], "low", "config-only"),
        ((("requirements.txt", "dependency"),), [], "medium", "downgrade"),
        ((("src/api.py", "code"),), ["later"], "medium", "stacked on top"),
        ((("src/api.py", "code"),), [], "low", "code-only change"),
    ],
)
def test_risk_levels_with_reasons(files, stacked, level, fragment):
    later = [deploy(s, 1) for s in stacked]
    risk, reasons = assess_risk(HISTORY[3], changes(*files), later, find_target(HISTORY[3], HISTORY))
    assert risk == level and any(fragment in r for r in reasons)


def test_unknown_changes_are_never_low_risk():
    risk, reasons = assess_risk(HISTORY[3], None, [], find_target(HISTORY[3], HISTORY))
    assert risk == "medium" and any("read the diff" in r for r in reasons)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (DeployMethod(method="kubectl", namespace="shop"), "kubectl rollout undo deployment/checkout -n shop"),
        (DeployMethod(method="helm", namespace="shop", release="co"), "helm rollback co <REVISION> -n shop"),
        (DeployMethod(method="argocd", app="checkout-prod"), "argocd app rollback checkout-prod"),
        (DeployMethod(method="github_workflow"), "gh run rerun d2 --repo acme/shop"),
        (DeployMethod(method="git_revert", branch="release"), "git revert --no-edit d2sha..d4sha"),
    ],
)
def test_commands_follow_the_deploy_method(method, expected):
    service = ServiceConfig(name="checkout", deploy=method)
    plan = build_plan(HISTORY[3], HISTORY, changes(("src/api.py", "code")), service, SignalsConfig(), 0.002)
    assert any(c.command.startswith(expected) for c in plan.commands), [c.command for c in plan.commands]
    assert plan.draft is True and plan.target_version == "v2" and plan.method == method.method


def test_verification_uses_the_service_baseline_and_escaped_query():
    odd = deploy("q1", 20, service='check"out')
    plan = build_plan(odd, [odd], None, ServiceConfig(name='check"out'), SignalsConfig(), 0.002)
    ratio = plan.verification[0]
    assert 'service=~"check\\"out"' in ratio.promql and "/" in ratio.promql
    assert "below 0.70%" in ratio.pass_when  # max(0.2% x 1.5, 0.2% + 0.5 pt)
    assert plan.abort_criteria and plan.expected_downtime.startswith("none expected from a rolling update")
