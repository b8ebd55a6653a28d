"""Judge one service from its numbers: degraded only when a change is both large and significant.

The rules, each with its reason:
- Errors: the error ratio now must be at least ``error_ratio_factor`` times its baseline, higher by at
  least ``error_ratio_min_delta``, backed by at least ``min_errors`` failed requests, and significant
  in a one-sided two-proportion test (p < ``significance``). A handful of failures on a tiny volume
  fails the count and the test.
- Latency: a percentile at least ``latency_factor`` times its baseline and ``latency_min_delta_ms``
  higher, judged only with ``min_requests`` in the window (percentiles of a few requests are noise).
- Traffic: a drop below ``traffic_drop_factor`` of the same window a day and a week earlier. The
  preceding hour is not used for traffic, so a quiet hour that is quiet every night is not an outage.
- Missing data is ``unknown``, never healthy; a failing health check is degraded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from adapters.models import HealthResult
from mcp_server.config import TriageConfig
from mcp_server.triage.models import BASELINE_NAMES, RouteErrors, ServiceStatus, ServiceVerdict, SignalDelta
from mcp_server.triage.stats import (
    baseline_of,
    onset,
    poisson_drop_p,
    ratio,
    sparkline,
    two_proportion_p,
)

NOW = "now"
MOMENTS = (NOW, *BASELINE_NAMES)
CYCLIC = ("day_ago", "week_ago")
MIN_ROUTE_SHARE = 0.02
QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
Points = list[tuple[datetime, float | None]]


@dataclass
class Observation:
    """What the backends said about one service; ``values[signal][moment]`` holds rates or seconds."""

    service: str
    window_seconds: dict[str, float]
    values: dict[str, dict[str, float | None]] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    failed_baselines: set[tuple[str, str]] = field(default_factory=set)
    health: HealthResult | None = None
    error_points: Points = field(default_factory=list)
    latency_points: Points = field(default_factory=list)
    traffic_points: Points = field(default_factory=list)
    routes: list[tuple[str, float, float | None]] = field(default_factory=list)

    def value(self, signal: str, moment: str) -> float | None:
        """One number, or None when the backend had no series for it."""
        return self.values.get(signal, {}).get(moment)

    def count(self, signal: str, moment: str) -> float | None:
        """A rate turned into a count over that moment's window."""
        rate = self.value(signal, moment)
        return None if rate is None else rate * self.window_seconds[moment]


def assess(obs: Observation, policy: TriageConfig) -> ServiceVerdict:
    """The verdict for one service (its role, root or symptom, is set later by the topology)."""
    reasons: list[str] = []
    traffic = _traffic(obs, policy, reasons)
    errors = _errors(obs, policy, reasons)
    slow: list[str] = []
    latencies = {name: _latency(obs, name, policy, slow) for name in QUANTILES}
    if slow:  # one line for all percentiles that rose, so the summary stays short
        reasons.append("latency " + ", ".join(slow) + " against baseline")
    health_down = obs.health is not None and obs.health.status == "down"
    if health_down and obs.health is not None:
        reasons.append(f"health check failing: {obs.health.detail or obs.health.http_status}")
    degraded = health_down or traffic.degraded or errors.degraded or any(d.degraded for d in latencies.values())
    status: ServiceStatus = "degraded" if degraded else _undegraded_status(obs, policy, reasons)
    return ServiceVerdict(
        service=obs.service,
        status=status,
        reasons=reasons,
        requests_in_window=obs.count("requests", NOW),
        errors_in_window=_error_count(obs, NOW),
        traffic_rps=traffic,
        error_ratio=errors,
        latency_p50_ms=latencies["p50"],
        latency_p95_ms=latencies["p95"],
        latency_p99_ms=latencies["p99"],
        health=obs.health,
        failing_routes=_routes(obs, policy, errors.baseline) if errors.degraded else [],
        onset=_onset(obs, traffic, errors, latencies["p99"]) if degraded else None,
        sparkline=sparkline([v for _, v in obs.error_points]),
    )


def _undegraded_status(obs: Observation, policy: TriageConfig, reasons: list[str]) -> ServiceStatus:
    failed = [signal for signal in ("requests", "errors", *QUANTILES) if signal in obs.missing]
    if failed:  # latency too: a healthy verdict is read as "errors, latency and traffic normal"
        reasons.append(f"metrics unavailable: {obs.missing[failed[0]]}")
        return "unknown"
    blind = [s for s in ("requests", "errors") if all((s, m) in obs.failed_baselines for m in BASELINE_NAMES)]
    if blind:  # nothing to compare with: "normal against baseline" would be a guess
        reasons.append(f"baseline queries for {', '.join(blind)} failed: cannot compare with normal")
        return "unknown"
    requests_now = obs.count("requests", NOW)
    if requests_now is None:
        had = baseline_of([obs.value("requests", m) for m in CYCLIC])
        reasons.append(
            f"no request data now (had {had:.3g} req/s at this time on previous days): down, or no longer scraped?"
            if had
            else "no request data in any window: check the service label in the signals config"
        )
        return "unknown"
    if requests_now < policy.min_requests:
        reasons.append(f"only {requests_now:.0f} requests in the window: too quiet to judge")
        return "quiet"
    return "healthy"


def _error_count(obs: Observation, moment: str) -> float | None:
    if obs.count("requests", moment) is None or ("errors", moment) in obs.failed_baselines:
        return None
    return obs.count("errors", moment) or 0.0  # no 5xx series while requests flow means no errors


def _error_ratio(obs: Observation, moment: str) -> float | None:
    return ratio(_error_count(obs, moment), obs.count("requests", moment))


def _errors(obs: Observation, policy: TriageConfig, reasons: list[str]) -> SignalDelta:
    ratios = {m: _error_ratio(obs, m) for m in MOMENTS}
    base = baseline_of([ratios[m] for m in BASELINE_NAMES])
    now, errors_now, total_now = ratios[NOW], _error_count(obs, NOW), obs.count("requests", NOW)
    if now is None or errors_now is None or total_now is None:
        return SignalDelta.model_validate({**{m: ratios[m] for m in BASELINE_NAMES}, "baseline": base})
    base_total = sum(obs.count("requests", m) or 0.0 for m in BASELINE_NAMES if ratios[m] is not None)
    p_value = two_proportion_p(errors_now, total_now, (base or 0.0) * base_total, base_total)
    if base is None:  # a new service: no history to compare with, so judge the ratio itself
        degraded = errors_now >= policy.min_errors and now >= max(policy.error_ratio_min_delta, 0.05)
    else:
        degraded = (
            errors_now >= policy.min_errors
            and now - base >= policy.error_ratio_min_delta
            and now >= policy.error_ratio_factor * base
            and p_value is not None
            and p_value < policy.significance
        )
    if degraded:
        against = f"{base:.2%} baseline" if base is not None else "no baseline"
        reasons.append(f"error ratio {now:.2%} vs {against} ({errors_now:.0f} errors of {total_now:.0f} requests)")
    return _delta(now, base, ratios, p_value, degraded)


def _latency(obs: Observation, name: str, policy: TriageConfig, reasons: list[str]) -> SignalDelta:
    seconds = {m: obs.value(name, m) for m in MOMENTS}
    ms = {m: None if v is None else v * 1000 for m, v in seconds.items()}
    base = baseline_of([ms[m] for m in BASELINE_NAMES])
    now, total = ms[NOW], obs.count("requests", NOW) or 0.0
    degraded = (
        now is not None
        and base is not None
        and total >= policy.min_requests
        and now >= policy.latency_factor * base
        and now - base >= policy.latency_min_delta_ms
    )
    if degraded and now is not None and base is not None:
        factor = f"x{now / base:.1f}" if base > 0 else "up from zero"
        reasons.append(f"{name} {now:.0f} ms vs {base:.0f} ms ({factor})")
    return _delta(now, base, ms, None, degraded)


def _traffic(obs: Observation, policy: TriageConfig, reasons: list[str]) -> SignalDelta:
    rates = {m: obs.value("requests", m) for m in MOMENTS}
    # Cyclic baselines only (see the module docstring), and the lower of them: a drop must show
    # against both the day and the week before, so one unusually busy baseline is not an outage.
    present = [rate for m in CYCLIC if (rate := rates[m]) is not None]
    base = min(present) if present else None
    now, window = rates[NOW], obs.window_seconds[NOW]
    p_value = None
    degraded = False
    if now is not None and base is not None and base * window >= policy.min_requests:
        p_value = poisson_drop_p(now * window, base * window)
        degraded = now < policy.traffic_drop_factor * base and p_value is not None and p_value < policy.significance
    if degraded and now is not None and base is not None:
        reasons.append(f"traffic {now:.3g} req/s is {now / base:.0%} of normal ({base:.3g} req/s)")
    return _delta(now, base, rates, p_value, degraded)


def _delta(
    now: float | None, base: float | None, by_moment: dict[str, float | None], p_value: float | None, degraded: bool
) -> SignalDelta:
    return SignalDelta(
        now=now,
        baseline=base,
        **{m: by_moment.get(m) for m in BASELINE_NAMES},
        change=None if now is None or base is None else now - base,
        factor=ratio(now, base),
        p_value=p_value,
        degraded=degraded,
    )


def _routes(obs: Observation, policy: TriageConfig, base_ratio: float | None) -> list[RouteErrors]:
    """Routes whose errors rose: a route failing at the service's usual rate is background, not a lead."""
    total = sum(errors for _, errors, _ in obs.routes) or 0.0
    floor = (base_ratio or 0.0) * policy.error_ratio_factor
    elevated = [r for r in obs.routes if r[2] is None or r[2] <= 0 or r[1] / r[2] > floor]
    ranked = sorted(elevated, key=lambda r: r[1], reverse=True)[: policy.max_routes]
    return [
        RouteErrors(
            route=route,
            errors_per_s=errors,
            error_ratio=ratio(errors, requests),
            share_of_errors=errors / total if total else 0.0,
        )
        for route, errors, requests in ranked
        if errors > 0 and errors >= MIN_ROUTE_SHARE * total  # background noise is not a failing route
    ]


def _onset(obs: Observation, traffic: SignalDelta, errors: SignalDelta, p99: SignalDelta) -> datetime | None:
    """The earliest moment a degraded signal crossed halfway from its baseline to its current value."""
    candidates = []
    for delta, points, above in (
        (errors, obs.error_points, True),
        (p99, [(t, None if v is None else v * 1000) for t, v in obs.latency_points], True),
        (traffic, obs.traffic_points, False),
    ):
        if delta.degraded and delta.now is not None and delta.baseline is not None:
            found = onset(points, (delta.now + delta.baseline) / 2, above=above)
            if found:
                candidates.append(found)
    return min(candidates) if candidates else None
