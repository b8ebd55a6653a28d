"""Typed results of deploy correlation and rollback planning."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from adapters.models import ChangedFile, Deploy, Model, SourceStatus, TimeWindow, UtcDatetime

FeatureName = Literal["service", "upstream", "routes", "change_kind", "timing", "status", "size"]
Confidence = Literal["high", "medium", "low"]
Verdict = Literal["deploy_implicated", "no_deploy_implicated"]


class Feature(Model):
    """One piece of evidence for or against a deploy, scored 0..1, shown on its own so a person can check it."""

    name: FeatureName
    score: float = Field(ge=0, le=1)
    weight: float
    reason: str


class ChangeSummary(Model):
    """The shape of a deploy's change set, small enough to read."""

    commits: int
    files: int
    additions: int
    deletions: int
    categories: dict[str, int]
    files_sample: list[ChangedFile]
    truncated: bool = False
    note: str = ""


class Candidate(Model):
    """A deploy that could have caused the incident, with its score and the reasons behind it."""

    deploy: Deploy
    score: float
    confidence: Confidence
    features: list[Feature]
    minutes_before_onset: float | None = Field(description="Onset minus finish; None while still rolling out")
    changes: ChangeSummary | None = None
    changes_error: str = ""


class Excluded(Model):
    """A recent deploy that is not a candidate, and why."""

    deploy_id: str
    service: str
    reason: str


class Alternative(Model):
    """What explains the incident better than any deploy: a dependency's provider incident, or a daily recurrence."""

    kind: Literal["provider_incident", "daily_recurrence"]
    reason: str


class Ranking(Model):
    """Deploys ranked by how likely each caused the incident, or the verdict that none is implicated."""

    verdict: Verdict
    verdict_reason: str
    alternative: Alternative | None = Field(default=None, description="Set when it explains the incident, not a deploy")
    onset: UtcDatetime
    onset_source: str = Field(description="Where the onset came from: triage signal, or given")
    affected: list[str]
    likely_roots: list[str]
    window: TimeWindow = Field(description="Deploys considered: from onset minus the lookback to the onset")
    candidates: list[Candidate]
    excluded: list[Excluded]
    threshold: float
    sources: list[SourceStatus]
    truncated: bool = False
    hint: str = ""
    data_note: str = ""
    summary_markdown: str = ""


Risk = Literal["low", "medium", "high"]


class RollbackCommand(Model):
    """One step of a rollback: a command for a person to run, and why."""

    command: str
    purpose: str


class VerificationQuery(Model):
    """A query to watch after the rollback, with the value that means it worked."""

    name: str
    promql: str
    pass_when: str
    link: str = ""


class RollbackPlan(Model):
    """A draft plan to roll back one deploy. Nothing here is executed by firstfifteen."""

    deploy: Deploy
    service: str
    method: str
    target_version: str
    target_sha: str
    target_deploy_id: str = ""
    commands: list[RollbackCommand]
    expected_duration_minutes: float | None
    duration_basis: str
    expected_downtime: str
    risk: Risk
    risk_reasons: list[str]
    verification: list[VerificationQuery]
    abort_criteria: list[str]
    stacked_deploys: list[str] = Field(
        default_factory=list, description="Later deploys of the service a rollback undoes"
    )
    notes: list[str] = Field(default_factory=list)
    sources: list[SourceStatus] = Field(default_factory=list)
    draft: bool = True
    data_note: str = ""
    summary_markdown: str = ""


__all__ = [
    "Alternative",
    "Candidate",
    "ChangeSummary",
    "Confidence",
    "Excluded",
    "Feature",
    "Ranking",
    "RollbackCommand",
    "RollbackPlan",
    "VerificationQuery",
    "Risk",
    "Verdict",
]
