"""The replay adapter: serves a fixture scenario as every capability, without any network.

Metrics are computed from the scenario's deterministic generator with Prometheus 2.x semantics
(:mod:`adapters.replay.promql`), so triage over the replay sees the same numbers as over a real
Prometheus holding the exported samples (tests/integration checks this). Logs (a LogQL subset,
:mod:`adapters.replay.logql`) come from the scenario's ``logs:`` entries, written deterministically
(:mod:`adapters.replay.logs`). Health, deploys, alerts
and provider events answer "as of" the moment asked: a deploy still rolling out at the end of the
window is ``in_progress``, a provider incident resolved later is still open.

As a change source it answers from the code history the scenario's deploys imply
(:mod:`adapters.replay.scenario_history`): the commits and files between two commits of a repository the
scenario names, counted as ``git diff --numstat -M`` counts them, so it answers what a real
repository built from the same scenario answers (tests/integration/test_git_scenarios.py).

Settings: ``scenario`` is a bundled scenario name (see :func:`list_scenarios`) or a path to a
scenario folder or scenario.yaml, relative to the config file's folder.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from hashlib import blake2b
from typing import ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from adapters.base import AdapterContext
from adapters.errors import ConfigError, NotFoundError
from adapters.models import (
    Alert,
    ChangeSet,
    Commit,
    Deploy,
    HealthResult,
    HealthTarget,
    LogQueryResult,
    ProviderEvent,
    Sample,
    Series,
    SignalQuery,
    TimeWindow,
    iso_utc,
)
from adapters.replay.logql import parse_logql
from adapters.replay.logs import query_scenario_logs
from adapters.replay.promql import instant_samples, range_series
from adapters.replay.scenario import (
    Scenario,
    ScenarioAlert,
    ScenarioDeploy,
    ScenarioProviderEvent,
    list_scenarios,
    load_scenario,
    scenario_path,
)
from adapters.replay.synthetic import SyntheticMetrics

__all__ = ["ReplayAdapter", "ReplaySettings", "Scenario", "list_scenarios", "load_scenario"]


class ReplaySettings(BaseModel):
    """Settings of the replay adapter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str = Field(description="A bundled scenario name, or a path to a scenario folder or scenario.yaml")


class ReplayAdapter:
    """Every capability, answered from one fixture scenario."""

    config_model: ClassVar[type[BaseModel]] = ReplaySettings
    capabilities: ClassVar[frozenset[str]] = frozenset(
        {"metrics", "health", "deploys", "provider_events", "alerts", "changes", "logs"}
    )

    def __init__(self, name: str, config: BaseModel, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Load the scenario named in ``config``; a missing or invalid one fails here, at start."""
        if not isinstance(config, ReplaySettings):
            raise ConfigError(f"expected ReplaySettings, got {type(config).__name__}", adapter=name)
        self.name = name
        self.service_label = "service"  # the scenarios' alerts name their service with this label
        self._path = scenario_path(config.scenario, context.base_dir)
        self.scenario = load_scenario(self._path)
        self.metrics = SyntheticMetrics(self.scenario)

    async def check(self) -> str:
        """Describe the loaded scenario (nothing to reach: it is all in memory)."""
        s = self.scenario
        return f"scenario {s.name} ({len(s.services)} services, anchor {iso_utc(s.anchor)}) from {self._path}"

    async def instant(self, query: SignalQuery, at: datetime) -> list[Sample]:
        """Evaluate ``query`` at ``at`` as Prometheus 2.x would over the scenario's samples."""
        return instant_samples(self.metrics, query, at)

    async def range(self, query: SignalQuery, window: TimeWindow, step: timedelta) -> list[Series]:
        """Evaluate ``query`` every ``step`` over ``window``, as a Prometheus range query."""
        return range_series(self.metrics, query, window, step)

    def query_link(self, promql: str, window: TimeWindow) -> str:
        """The replay has no UI to link to."""
        return ""

    def accepts(self, url: str) -> bool:
        """The scenario's own health URLs (``replay://``) are this checker's."""
        return url.startswith("replay://")

    async def check_health(self, targets: list[HealthTarget], at: datetime) -> list[HealthResult]:
        """Each target's health at ``at``, from the scenario's services and events."""
        return [self._health(target, at) for target in targets]

    def _health(self, target: HealthTarget, at: datetime) -> HealthResult:
        if target.service not in self.scenario.names():
            return HealthResult(
                service=target.service,
                url=target.url,
                status="unknown",
                checked_at=at,
                detail=f"service {target.service!r} is not in replay scenario {self.scenario.name!r}",
            )
        service = self.scenario.service(target.service)
        status = self.scenario.health_at(target.service, at)
        latency = service.latency_ms.p50
        for event in self.scenario.events_for(target.service):
            latency *= event.latency_factor if event.active(at) else 1.0
        return HealthResult(
            service=target.service,
            url=target.url,
            status=status,
            http_status=target.expected_status if status == "up" else 503,
            latency_ms=round(latency, 1) if status == "up" else None,
            checked_at=at,
            detail=f"replay of scenario {self.scenario.name}",
        )

    async def list_deploys(self, window: TimeWindow) -> list[Deploy]:
        """Deploys that started or finished inside ``window``, or were still running at its end."""
        found = [self._deploy(d, window.end) for d in self.scenario.deploys if _deploy_in(d, window)]
        return sorted(found, key=lambda d: (d.started_at, d.id))

    def _deploy(self, deploy: ScenarioDeploy, as_of: datetime) -> Deploy:
        done = deploy.finished is not None and deploy.finished <= as_of
        ref = self.scenario.repos.deploys.get(deploy.id)
        return Deploy(
            id=deploy.id,
            service=deploy.service,
            environment=deploy.environment,
            version=deploy.version,
            previous_version=deploy.previous_version,
            started_at=deploy.started,
            finished_at=deploy.finished if done else None,
            status=deploy.status if done else "in_progress",
            author=deploy.author,
            link=deploy.link,
            source=self.name,
            repo=ref.repo if ref else "",
            sha=ref.sha if ref else "",
            previous_sha=ref.previous_sha if ref else "",
        )

    def knows(self, repo: str) -> bool:
        """Whether ``repo`` is one the scenario's services or deploys name."""
        return repo in self.scenario.repos.repos

    async def get_changes(self, repo: str, base: str, head: str, paths: tuple[str, ...] = ()) -> ChangeSet:
        """Commits (newest first) and files in ``base..head``; NotFoundError names an unknown repo or commit."""
        history = self.scenario.repos.repos.get(repo)
        if history is None:
            known = ", ".join(sorted(self.scenario.repos.repos)) or "none"
            raise NotFoundError(
                f"repository {repo!r} is not in replay scenario {self.scenario.name!r}",
                adapter=self.name,
                hint=f"Ask for one of its repositories: {known}.",
            )
        try:
            b, h = history.commits[history.index(base)].sha, history.commits[history.index(head)].sha
            commits, files, note = history.between(b, h)
        except LookupError as exc:
            raise NotFoundError(
                f"{exc} (replay scenario {self.scenario.name})",
                adapter=self.name,
                request=f"changes {repo} {base}..{head}",
                hint="Use the sha and previous_sha of a deploy from list_deploys.",
            ) from None
        return ChangeSet(
            repo=repo,
            base=b,
            head=h,
            commits=[Commit(sha=c.sha, author=c.author, message=c.title, committed_at=c.at) for c in commits],
            files=files,
            note=note,
            source=self.name,
        )

    async def list_events(self, window: TimeWindow) -> list[ProviderEvent]:
        """Provider incidents open at any moment of ``window``, with their status as of its end."""
        found = [
            _provider_event(e, window.end)
            for e in self.scenario.provider_events
            if e.started <= window.end and (e.resolved is None or e.resolved >= window.start)
        ]
        return sorted(found, key=lambda e: (e.started_at or window.start, e.id))

    async def query_logs(self, logql: str, window: TimeWindow, limit: int) -> LogQueryResult:
        """The newest ``limit`` lines of ``window`` matching ``logql`` (a LogQL subset), newest first."""
        selector = parse_logql(logql, self.name)
        return query_scenario_logs(self.scenario, selector, window, max(1, limit), self.name)

    async def list_alerts(self, at: datetime) -> list[Alert]:
        """Alerts firing at ``at`` (a flapping alert shows only while one of its periods is on)."""
        firing = [a for a in self.scenario.alerts if a.starts <= at and (a.ends is None or at < a.ends)]
        return [_alert(a) for a in sorted(firing, key=lambda a: (a.starts, a.name))]


def _deploy_in(deploy: ScenarioDeploy, window: TimeWindow) -> bool:
    started_inside = window.start <= deploy.started <= window.end
    finished_inside = deploy.finished is not None and window.start <= deploy.finished <= window.end
    # A rollout that spans the whole window is still news to someone looking at it.
    still_running = deploy.status == "in_progress" if deploy.finished is None else deploy.finished > window.end
    running_at_end = deploy.started <= window.end and still_running
    return started_inside or finished_inside or running_at_end


def _provider_event(event: ScenarioProviderEvent, as_of: datetime) -> ProviderEvent:
    resolved = event.resolved if event.resolved is not None and event.resolved <= as_of else None
    return ProviderEvent(
        provider=event.provider,
        id=event.id,
        title=event.title,
        status="resolved" if resolved else event.status,
        impact=event.impact,
        started_at=event.started,
        updated_at=resolved or event.started,
        resolved_at=resolved,
        components=list(event.components),
        link=event.link,
    )


def _alert(alert: ScenarioAlert) -> Alert:
    labels = {"alertname": alert.name, "service": alert.service, "severity": alert.severity, **alert.labels}
    identity = "\x1f".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return Alert(
        name=alert.name,
        state="firing",
        severity=alert.severity,
        service=alert.service,
        summary=alert.summary,
        labels=labels,
        starts_at=alert.starts,
        fingerprint=blake2b(identity.encode(), digest_size=8).hexdigest(),
    )
