"""Builders for hand-made triage inputs, and reference formulas computed independently of the engine."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from statistics import NormalDist

from adapters.models import HealthResult, SourceStatus, TimeWindow
from mcp_server.config import TriageConfig
from mcp_server.triage.assess import Observation
from mcp_server.triage.models import ServiceVerdict, TriageResult

# The engine's moments: a 15-minute window now, a day and a week earlier, and the hour before.
WINDOWS = {"now": 900.0, "day_ago": 900.0, "week_ago": 900.0, "prev_hour": 3600.0}
POLICY = TriageConfig()  # defaults: min_requests 100, min_errors 10, factor 3, delta 1 pt, p < 0.001
AT = datetime(2026, 3, 14, 3, 7, tzinfo=UTC)


def minutes(n: int) -> datetime:
    """``n`` minutes after 02:00Z on the day of AT."""
    return datetime(2026, 3, 14, 2, 0, tzinfo=UTC) + timedelta(minutes=n)


def points(values: list[float | None]) -> list[tuple[datetime, float | None]]:
    """One point a minute, starting at minutes(0)."""
    return [(minutes(i), v) for i, v in enumerate(values)]


def policy(**changes: float) -> TriageConfig:
    """The default policy with some thresholds changed."""
    return TriageConfig(**changes)


def observe(
    service: str = "api",
    *,
    requests: dict[str, float | None] | None = None,
    errors: dict[str, float | None] | None = None,
    latency_ms: dict[str, dict[str, float | None]] | None = None,
    **extra: object,
) -> Observation:
    """An Observation from COUNTS per moment (requests, errors) and milliseconds per quantile.

    Counts are easier to reason about than rates: they are turned into the per-second rates
    the backends report by dividing by each moment's window. A moment absent from a dict is a
    series the backend did not return.
    """
    values: dict[str, dict[str, float | None]] = {}
    if requests is not None:
        values["requests"] = {m: None if c is None else c / WINDOWS[m] for m, c in requests.items()}
    if errors is not None:
        values["errors"] = {m: None if c is None else c / WINDOWS[m] for m, c in errors.items()}
    for name, by_moment in (latency_ms or {}).items():
        values[name] = {m: None if v is None else v / 1000 for m, v in by_moment.items()}
    return Observation(service=service, window_seconds=dict(WINDOWS), values=values, **extra)  # type: ignore[arg-type]


def steady(rps: float = 10.0, error_share: float = 0.005) -> tuple[dict[str, float], dict[str, float]]:
    """Request and error counts of a service that behaves the same in every window."""
    requests = {m: rps * w for m, w in WINDOWS.items()}
    return requests, {m: c * error_share for m, c in requests.items()}


def health(service: str, status: str, detail: str = "") -> HealthResult:
    return HealthResult(
        service=service,
        url=f"http://{service}/health",
        status=status,
        checked_at=AT,
        detail=detail,  # type: ignore[arg-type]
    )


def reference_two_proportion_p(x1: float, n1: float, x0: float, n0: float) -> float:
    """Textbook one-sided pooled two-proportion z-test, P(Z >= z), via NormalDist (not erfc)."""
    p1, p0 = x1 / n1, x0 / n0
    pooled = (x1 + x0) / (n1 + n0)
    z = (p1 - p0) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    return 1 - NormalDist().cdf(z)


def exact_poisson_cdf(k: int, mean: float) -> float:
    """P(X <= k) for X ~ Poisson(mean), summed exactly in log space."""
    return sum(math.exp(i * math.log(mean) - mean - math.lgamma(i + 1)) for i in range(k + 1))


def verdict(service: str, status: str = "healthy", **fields: object) -> ServiceVerdict:
    return ServiceVerdict(service=service, status=status, **fields)  # type: ignore[arg-type]


def source(name: str, capability: str, status: str = "ok", detail: str = "") -> SourceStatus:
    return SourceStatus(source=name, capability=capability, status=status, detail=detail)  # type: ignore[arg-type]


def triage_result(services: list[ServiceVerdict], **fields: object) -> TriageResult:
    """A TriageResult around ``services`` with the engine's windows for a run at AT."""
    window = TimeWindow.ending_at(AT, timedelta(minutes=15))
    degraded = [v.service for v in services if v.status == "degraded"]
    defaults: dict[str, object] = {
        "at": AT,
        "environment": "prod",
        "window": window,
        "baselines": {
            "day_ago": TimeWindow.ending_at(AT - timedelta(days=1), timedelta(minutes=15)),
            "week_ago": TimeWindow.ending_at(AT - timedelta(days=7), timedelta(minutes=15)),
            "prev_hour": TimeWindow.ending_at(window.start, timedelta(hours=1)),
        },
        "sparkline_window": TimeWindow.ending_at(AT, timedelta(hours=1)),
        "deploy_window": TimeWindow.ending_at(AT, timedelta(hours=1)),
        "degraded": degraded,
        "likely_roots": [v.service for v in services if v.role == "likely_root"],
        "symptoms": [v.service for v in services if v.role == "symptom"],
        "unknown": [v.service for v in services if v.status == "unknown"],
        "services": services,
        "services_total": len(services),
        "ruled_out": [],
        "deploys": [],
        "provider_events": [],
        "alerts": [],
        "sources": [source("prometheus", "metrics")],
        "queries_made": 22,
    }
    defaults.update(fields)
    return TriageResult(**defaults)  # type: ignore[arg-type]
