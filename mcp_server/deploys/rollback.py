"""Draft a rollback plan for one deploy: target, exact commands, expected duration, risk, verification.

Plain functions; the plan is a draft for the responder, and firstfifteen executes none of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from adapters.models import ChangeSet, Deploy
from mcp_server.config import ServiceConfig, SignalsConfig
from mcp_server.deploys.models import RollbackCommand, RollbackPlan, VerificationQuery
from mcp_server.signals import build_query

VERIFY_MINUTES = 10
ROLLING = ("kubectl", "helm", "argocd")


@dataclass(frozen=True)
class Target:
    """What to roll back to."""

    version: str
    sha: str
    deploy_id: str = ""
    note: str = ""


def find_target(deploy: Deploy, history: Sequence[Deploy]) -> Target:
    """The last good version: the latest succeeded deploy of the service before this one, else its previous version."""
    earlier = [
        d
        for d in history
        if d.service == deploy.service
        and d.environment == deploy.environment
        and d.status == "succeeded"
        and d.started_at < deploy.started_at
        and d.id != deploy.id
    ]
    if earlier:
        last = max(earlier, key=lambda d: d.started_at)
        return Target(version=last.version, sha=last.sha, deploy_id=last.id)
    note = "no earlier succeeded deploy in the lookback: target taken from the deploy's previous version"
    return Target(version=deploy.previous_version, sha=deploy.previous_sha, note=note)


def stacked_on_top(deploy: Deploy, history: Sequence[Deploy]) -> list[Deploy]:
    """Later deploys of the same service and environment, which a rollback would also undo."""
    return sorted(
        (
            d
            for d in history
            if d.service == deploy.service
            and d.environment == deploy.environment
            and d.started_at > deploy.started_at
            and d.status != "failed"
        ),
        key=lambda d: d.started_at,
    )


def expected_duration(service: str, history: Sequence[Deploy]) -> tuple[float | None, str]:
    """Median minutes of the service's past succeeded deploys, and what the figure rests on."""
    durations = [
        (d.finished_at - d.started_at).total_seconds() / 60
        for d in history
        if d.service == service and d.status == "succeeded" and d.finished_at is not None
    ]
    if not durations:
        return None, f"no finished deploy of {service} in the lookback to learn from"
    return round(median(durations), 1), f"median of {len(durations)} deploys of {service} in the lookback"


def commands_for(service: ServiceConfig, deploy: Deploy, target: Target) -> list[RollbackCommand]:
    """The exact commands for the way this service deploys."""
    m = service.deploy
    name = service.name
    if m.method == "kubectl":
        ref = f"deployment/{m.deployment or name} -n {m.namespace}"
        return [
            RollbackCommand(
                command=f"kubectl rollout history {ref}",
                purpose=f"find the revision running {target.version or target.sha[:12]}",
            ),
            RollbackCommand(
                command=f"kubectl rollout undo {ref} --to-revision=<REVISION>", purpose="roll back to that revision"
            ),
            RollbackCommand(
                command=f"kubectl rollout status {ref} --timeout=15m",
                purpose="wait until every pod runs the old version",
            ),
        ]
    if m.method == "helm":
        release = m.release or name
        return [
            RollbackCommand(
                command=f"helm history {release} -n {m.namespace} --max 10",
                purpose=f"find the revision of {target.version}",
            ),
            RollbackCommand(
                command=f"helm rollback {release} <REVISION> -n {m.namespace} --wait --timeout 15m",
                purpose="roll back and wait",
            ),
        ]
    if m.method == "argocd":
        app = m.app or name
        history_id = target.deploy_id.rsplit("#", 1)[1] if "#" in target.deploy_id else "<HISTORY_ID>"
        return [
            RollbackCommand(
                command=f"argocd app set {app} --sync-policy none",
                purpose="stop auto-sync, or it re-applies the bad revision",
            ),
            RollbackCommand(
                command=f"argocd app history {app}",
                purpose=f"confirm the history id of {target.sha[:12] or target.version}",
            ),
            RollbackCommand(
                command=f"argocd app rollback {app} {history_id}", purpose="roll back to that history entry"
            ),
            RollbackCommand(command=f"argocd app wait {app} --health --timeout 900", purpose="wait until healthy"),
        ]
    if m.method == "github_workflow":
        run = target.deploy_id or "<RUN_ID>"
        return [
            RollbackCommand(
                command=f"gh run rerun {run} --repo {deploy.repo or '<owner/repo>'}",
                purpose=f"re-run the deploy workflow run that shipped {target.sha[:12] or target.version}",
            ),
            RollbackCommand(
                command=f"gh run watch --repo {deploy.repo or '<owner/repo>'}", purpose="follow it to the end"
            ),
        ]
    return [
        RollbackCommand(
            command=f"git revert --no-edit {target.sha or '<PREVIOUS_SHA>'}..{deploy.sha or '<DEPLOYED_SHA>'}",
            purpose="revert the deployed commits, newest first",
        ),
        RollbackCommand(command=f"git push origin {m.branch}", purpose="ship the revert through the usual pipeline"),
    ]


def assess_risk(
    deploy: Deploy, changes: ChangeSet | None, stacked: Sequence[Deploy], target: Target
) -> tuple[str, list[str]]:
    """Low, medium or high, with every reason that raised it."""
    reasons: list[tuple[int, str]] = []
    files = changes.files if changes else []
    migrations = [f.path for f in files if f.category == "migration"]
    if migrations:
        reasons.append(
            (
                3,
                f"database migration in the change ({', '.join(migrations[:3])}): the old version may not "
                "read the new schema; check it is backward compatible or roll forward instead",
            )
        )
    if stacked:
        reasons.append((2, f"later deploys stacked on top would be undone too: {', '.join(d.id for d in stacked[:5])}"))
    deps = [f.path for f in files if f.category == "dependency"]
    if deps:
        reasons.append((2, f"dependencies change back ({', '.join(deps[:3])}): a downgrade on rollback"))
    if any(f.category == "infrastructure" for f in files):
        reasons.append((2, "infrastructure files changed: the rollback may not restore infrastructure"))
    if changes is None:
        reasons.append((2, "the change set is unknown: read the diff before rolling back"))
    if not (target.sha or target.version):
        reasons.append((3, "no known good version to return to"))
    if files and all(f.category in ("config", "feature_flag") for f in files):
        reasons.append((0, "config-only change: a rollback restores the old values (or revert just that value)"))
    if not reasons:
        reasons.append((0, "code-only change with no migration and nothing stacked on top"))
    level = max(weight for weight, _ in reasons)
    return ("high" if level >= 3 else "medium" if level == 2 else "low"), [text for _, text in reasons]


def verification(
    signals: SignalsConfig, service: str, baseline: float | None
) -> tuple[list[VerificationQuery], list[str]]:
    """Queries to watch after the rollback, with pass thresholds from the baseline, and abort criteria."""
    seconds = 300
    errors = build_query(signals, "errors", [service], range_seconds=seconds).promql
    requests = build_query(signals, "requests", [service], range_seconds=seconds).promql
    p99 = build_query(signals, "latency", [service], range_seconds=seconds, quantile=0.99).promql
    limit = max((baseline or 0.0) * 1.5, (baseline or 0.0) + 0.005)
    queries = [
        VerificationQuery(
            name="error ratio",
            promql=f"({errors}) / ({requests})",
            pass_when=f"below {limit:.2%} for {VERIFY_MINUTES} min (baseline {_pct(baseline)})",
        ),
        VerificationQuery(
            name="latency p99", promql=p99, pass_when="back within 1.5x of its baseline (see query_latency)"
        ),
    ]
    abort = [
        "the rollout stalls or fails (the status command does not finish)",
        "the error ratio rises above where it was before the rollback",
        f"{service}'s health check fails after the rollout completes",
    ]
    return queries, abort


def _pct(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.2%}"


def downtime(method: str, minutes: float | None) -> str:
    """What the responder should expect to see while the rollback runs."""
    span = "the rollout" if minutes is None else f"about {minutes:.0f} min"
    if method in ROLLING:
        return f"none expected from a rolling update; errors continue until the old version serves everything ({span})"
    return f"none from the revert itself; the fix is live once the pipeline deploys it ({span})"


def build_plan(
    deploy: Deploy,
    history: Sequence[Deploy],
    changes: ChangeSet | None,
    service: ServiceConfig,
    signals: SignalsConfig,
    baseline: float | None,
) -> RollbackPlan:
    """A complete draft plan from plain data."""
    target = find_target(deploy, history)
    stacked = stacked_on_top(deploy, history)
    minutes, basis = expected_duration(deploy.service, history)
    risk, reasons = assess_risk(deploy, changes, stacked, target)
    queries, abort = verification(signals, deploy.service, baseline)
    return RollbackPlan(
        deploy=deploy,
        service=deploy.service,
        method=service.deploy.method,
        target_version=target.version,
        target_sha=target.sha,
        target_deploy_id=target.deploy_id,
        commands=commands_for(service, deploy, target),
        expected_duration_minutes=minutes,
        duration_basis=basis,
        expected_downtime=downtime(service.deploy.method, minutes),
        risk=risk,  # type: ignore[arg-type]
        risk_reasons=reasons,
        verification=queries,
        abort_criteria=abort,
        stacked_deploys=[d.id for d in stacked],
        notes=[n for n in (target.note,) if n],
    )
