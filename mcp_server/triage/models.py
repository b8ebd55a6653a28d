"""Typed results of a triage run: what the MCP tool returns and the summary is rendered from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from adapters.models import (
    Alert,
    Deploy,
    HealthResult,
    Model,
    ProviderEvent,
    SourceStatus,
    TimeWindow,
    UtcDatetime,
)

ServiceStatus = Literal["degraded", "healthy", "quiet", "unknown"]
ServiceRole = Literal["likely_root", "symptom", "none"]
BASELINE_NAMES = ("day_ago", "week_ago", "prev_hour")


class SignalDelta(Model):
    """One signal now against its baseline (the median of the baselines that have data)."""

    now: float | None = None
    baseline: float | None = None
    day_ago: float | None = None
    week_ago: float | None = None
    prev_hour: float | None = None
    change: float | None = Field(default=None, description="now - baseline")
    factor: float | None = Field(default=None, description="now / baseline")
    p_value: float | None = Field(default=None, description="One-sided test of the change, if one applies")
    degraded: bool = False


class RouteErrors(Model):
    """Errors of one route of a degraded service."""

    route: str
    errors_per_s: float
    error_ratio: float | None
    share_of_errors: float


class ServiceVerdict(Model):
    """Everything triage concluded about one service, with the numbers behind it."""

    service: str
    status: ServiceStatus
    role: ServiceRole = "none"
    reasons: list[str] = Field(default_factory=list)
    caused_by: list[str] = Field(default_factory=list, description="Likely roots this symptom sits downstream of")
    depends_on: list[str] = Field(default_factory=list)
    team: str = ""
    status_component: str = ""
    requests_in_window: float | None = None
    errors_in_window: float | None = None
    traffic_rps: SignalDelta = Field(default_factory=SignalDelta)
    error_ratio: SignalDelta = Field(default_factory=SignalDelta)
    latency_p50_ms: SignalDelta = Field(default_factory=SignalDelta)
    latency_p95_ms: SignalDelta = Field(default_factory=SignalDelta)
    latency_p99_ms: SignalDelta = Field(default_factory=SignalDelta)
    health: HealthResult | None = None
    failing_routes: list[RouteErrors] = Field(default_factory=list)
    onset: UtcDatetime | None = None
    sparkline: str = Field(default="", description="Error ratio over the sparkline window, oldest left")
    links: dict[str, str] = Field(default_factory=dict, description="Signal -> link to its query in the UI")


class TriageResult(Model):
    """One triage run: verdicts, context, per-source status and the one-page summary."""

    at: UtcDatetime
    environment: str
    window: TimeWindow
    baselines: dict[str, TimeWindow]
    sparkline_window: TimeWindow
    deploy_window: TimeWindow
    degraded: list[str]
    likely_roots: list[str]
    symptoms: list[str]
    unknown: list[str]
    services: list[ServiceVerdict]
    services_total: int
    ruled_out: list[str]
    deploys: list[Deploy]
    provider_events: list[ProviderEvent]
    alerts: list[Alert]
    sources: list[SourceStatus]
    queries_made: int
    truncated: bool = False
    hint: str = ""
    data_note: str = ""
    summary_markdown: str = ""
