"""assess: one service judged from hand-built numbers against the rules in the module docstring.

Counts are given per window (15 minutes now, a day and a week earlier; one hour before) and
turned into the per-second rates the backends report; the expectations are worked out by hand.
"""

from __future__ import annotations

import math

import pytest

from mcp_server.triage.assess import assess

from .helpers import POLICY, health, minutes, observe, points, policy, reference_two_proportion_p, steady

STEADY_REQUESTS, STEADY_ERRORS = steady()  # 10 req/s; 0.5% errors: 45 of 9000 per 15 minutes, 180 of 36000 per hour


def with_now(counts: dict[str, float], now: float | None) -> dict[str, float | None]:
    return {**counts, "now": now}


# --- errors --------------------------------------------------------------------------------------


def test_big_significant_error_rise_is_degraded_with_its_numbers():
    v = assess(observe(requests=STEADY_REQUESTS, errors=with_now(STEADY_ERRORS, 900)), POLICY)
    assert v.status == "degraded"
    assert v.error_ratio.degraded and not v.traffic_rps.degraded
    assert v.error_ratio.now == pytest.approx(0.10)
    assert v.error_ratio.baseline == pytest.approx(0.005)
    assert v.error_ratio.factor == pytest.approx(20)
    assert v.error_ratio.p_value is not None and v.error_ratio.p_value < 1e-10
    assert v.requests_in_window == pytest.approx(9000) and v.errors_in_window == pytest.approx(900)
    [reason] = v.reasons
    assert "10.00%" in reason and "0.50%" in reason and "900 errors of 9000 requests" in reason


@pytest.mark.parametrize(
    "baseline_errors",
    [
        pytest.param({"day_ago": 1, "week_ago": 0, "prev_hour": 1}, id="about 1% before"),
        pytest.param({"day_ago": 0, "week_ago": 0, "prev_hour": 0}, id="no errors before"),
    ],
)
def test_a_handful_of_failures_on_a_tiny_volume_is_quiet(baseline_errors):
    # 5 errors of 20 requests is 25%, but 5 is below min_errors (10); 20 requests is below min_requests.
    requests = {"now": 20, "day_ago": 20, "week_ago": 20, "prev_hour": 80}
    v = assess(observe(requests=requests, errors={"now": 5, **baseline_errors}), POLICY)
    assert v.status == "quiet"
    assert not v.error_ratio.degraded and not v.traffic_rps.degraded
    assert v.traffic_rps.p_value is None  # 20 expected requests: traffic is not judged at all
    assert v.onset is None and v.failing_routes == []
    assert any("too quiet" in r for r in v.reasons)


def test_a_large_rise_that_is_not_significant_is_not_degraded():
    # 12 of 150 (8%) against 2 of 100 (2%, the only baseline): x4 and +6 pt, at least 10 errors,
    # but pooled 14/250 gives z = 0.06 / sqrt(0.056 * 0.944 * (1/150 + 1/100)) = 2.02, p = 0.022.
    obs = observe(requests={"now": 150, "day_ago": 100}, errors={"now": 12, "day_ago": 2})
    v = assess(obs, POLICY)
    assert v.error_ratio.p_value == pytest.approx(reference_two_proportion_p(12, 150, 2, 100), rel=1e-9)
    assert v.error_ratio.p_value == pytest.approx(0.0216, rel=0.01)
    assert not v.error_ratio.degraded
    assert v.status == "healthy"
    # The test is what holds it back: accept p < 0.05 and the same numbers are degraded.
    assert assess(obs, policy(significance=0.05)).status == "degraded"


HUGE = {m: c * 100 for m, c in STEADY_REQUESTS.items()}  # 1000 req/s


@pytest.mark.parametrize(
    ("base_share", "now_share", "relaxed"),
    [
        pytest.param(0.01, 0.015, {"error_ratio_factor": 1.0, "error_ratio_min_delta": 0.0}, id="x1.5 and +0.5 pt"),
        pytest.param(0.05, 0.07, {"error_ratio_factor": 1.0}, id="+2 pt but only x1.4"),
        pytest.param(0.001, 0.005, {"error_ratio_min_delta": 0.0}, id="x5 but only +0.4 pt"),
    ],
)
def test_a_small_significant_rise_on_huge_volume_is_not_degraded(base_share, now_share, relaxed):
    errors = {m: c * base_share for m, c in HUGE.items()} | {"now": HUGE["now"] * now_share}
    obs = observe(requests=HUGE, errors=errors)
    v = assess(obs, POLICY)
    assert v.error_ratio.p_value is not None and v.error_ratio.p_value < 1e-6  # real, but small
    assert not v.error_ratio.degraded and v.status == "healthy"
    # The factor or delta threshold is what holds it back: relax it and it is degraded.
    assert assess(obs, policy(**relaxed)).error_ratio.degraded


def test_no_error_series_while_requests_flow_means_zero_errors():
    v = assess(observe(requests=STEADY_REQUESTS), POLICY)
    assert v.status == "healthy"
    assert v.errors_in_window == 0.0 and v.error_ratio.now == 0.0


# --- baselines -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("errors", "now_share"),
    [
        # The same window yesterday was an incident (40% errors): the mean of the three baselines
        # would be 13.7% and hide today's 5%; the median is 0.5%.
        pytest.param({"day_ago": 3600, "week_ago": 45, "prev_hour": 180, "now": 450}, 0.05, id="yesterday an incident"),
        # The incident started over 15 minutes ago, so the hour before is already bad.
        pytest.param({"day_ago": 45, "week_ago": 45, "prev_hour": 3600, "now": 900}, 0.10, id="ongoing for an hour"),
    ],
)
def test_error_baseline_is_robust_to_one_baseline_being_an_incident(errors, now_share):
    v = assess(observe(requests=STEADY_REQUESTS, errors=errors), POLICY)
    assert v.error_ratio.baseline == pytest.approx(0.005)
    assert v.error_ratio.now == pytest.approx(now_share)
    assert v.status == "degraded" and v.error_ratio.degraded


def test_latency_baseline_is_robust_to_one_baseline_being_an_incident():
    p99 = {"now": 900, "day_ago": 3000, "week_ago": 300, "prev_hour": 300}
    v = assess(observe(requests=STEADY_REQUESTS, latency_ms={"p99": p99}), POLICY)
    assert v.latency_p99_ms.baseline == pytest.approx(300)
    assert v.latency_p99_ms.degraded and v.status == "degraded"


# --- traffic -------------------------------------------------------------------------------------


def test_a_quiet_hour_that_is_quiet_every_night_is_not_a_traffic_drop():
    # 1 req/s now, as yesterday and last week at this time; 10 req/s in the busier hour before.
    requests = {"now": 900, "day_ago": 900, "week_ago": 900, "prev_hour": 36000}
    v = assess(observe(requests=requests, errors={m: 0 for m in requests}), POLICY)
    assert not v.traffic_rps.degraded
    assert v.traffic_rps.baseline == pytest.approx(1.0)  # only the cyclic baselines count for traffic
    assert v.traffic_rps.prev_hour == pytest.approx(10.0)  # reported, not used
    assert v.status == "healthy"


@pytest.mark.parametrize(
    "baselines",
    [
        pytest.param({"day_ago": 9000, "week_ago": 9000, "prev_hour": 36000}, id="day and week"),
        pytest.param({"day_ago": 9000, "prev_hour": 36000}, id="day only"),
        pytest.param({"week_ago": 9000, "prev_hour": 1800}, id="week only, hour before already low"),
    ],
)
def test_a_real_traffic_drop_is_degraded(baselines):
    # 2 req/s against 10 req/s at this time on previous days.
    v = assess(observe(requests={**baselines, "now": 1800}), POLICY)
    assert v.status == "degraded" and v.traffic_rps.degraded
    # Expected 9000, saw 1800: z = (9000 - 1800 - 0.5) / sqrt(9000) = 75.9.
    z = (9000 - 1800 - 0.5) / math.sqrt(9000)
    assert z > 75 and v.traffic_rps.p_value is not None and v.traffic_rps.p_value < 1e-100
    [reason] = v.reasons
    assert "20%" in reason and "10 req/s" in reason and "2 req/s" in reason


def test_a_significant_but_small_traffic_dip_is_not_degraded():
    # 60% of normal: far from chance (z = 37.9) but above traffic_drop_factor (50%).
    v = assess(observe(requests=with_now(STEADY_REQUESTS, 5400)), POLICY)
    assert v.traffic_rps.p_value is not None and v.traffic_rps.p_value < 1e-100
    assert not v.traffic_rps.degraded and v.status == "healthy"


def test_traffic_is_not_judged_below_min_requests_expected():
    # 45 requests expected in the window, none seen: too few to judge a drop, by rule.
    v = assess(observe(requests={"now": 0, "day_ago": 45, "week_ago": 45, "prev_hour": 180}), POLICY)
    assert v.traffic_rps.p_value is None and not v.traffic_rps.degraded
    assert v.status == "quiet"


# --- latency -------------------------------------------------------------------------------------


def flat(now: float, before: float) -> dict[str, float]:
    return {"now": now, "day_ago": before, "week_ago": before, "prev_hour": before}


def test_latency_p99_tripled_is_degraded():
    v = assess(observe(requests=STEADY_REQUESTS, latency_ms={"p99": flat(900, 300)}), POLICY)
    assert v.status == "degraded" and v.latency_p99_ms.degraded
    assert v.latency_p99_ms.now == pytest.approx(900) and v.latency_p99_ms.baseline == pytest.approx(300)
    [reason] = v.reasons
    assert "p99" in reason and "900 ms" in reason and "300 ms" in reason and "x3.0" in reason


def test_latency_p99_tripled_on_too_few_requests_is_not_judged():
    requests = {"now": 50, "day_ago": 50, "week_ago": 50, "prev_hour": 200}
    v = assess(observe(requests=requests, latency_ms={"p99": flat(900, 300)}), POLICY)
    assert not v.latency_p99_ms.degraded
    assert v.status == "quiet"


@pytest.mark.parametrize(
    ("quantile", "now", "before", "degraded"),
    [
        pytest.param("p99", 420, 300, False, id="x1.4 is below the factor"),
        pytest.param("p99", 100, 60, False, id="x1.67 but only +40 ms"),
        pytest.param("p99", 115, 60, True, id="x1.92 and +55 ms"),
        pytest.param("p95", 600, 300, True, id="p95 doubled"),
        pytest.param("p50", 400, 100, True, id="p50 x4"),
        pytest.param("p50", 90, 100, False, id="faster is fine"),
    ],
)
def test_latency_thresholds(quantile, now, before, degraded):
    v = assess(observe(requests=STEADY_REQUESTS, latency_ms={quantile: flat(now, before)}), POLICY)
    delta = {"p50": v.latency_p50_ms, "p95": v.latency_p95_ms, "p99": v.latency_p99_ms}[quantile]
    assert delta.degraded is degraded
    assert v.status == ("degraded" if degraded else "healthy")
    if degraded:
        assert any(f"latency {quantile}" in r for r in v.reasons)


def test_latency_against_a_zero_baseline_does_not_crash():
    # A histogram whose percentile was 0 before (e.g. every request in a le=0 bucket): 100 ms now
    # is above x1.5 of 0 and 50 ms higher, so it is degraded, and the reason must still render.
    v = assess(observe(requests=STEADY_REQUESTS, latency_ms={"p99": flat(100, 0)}), POLICY)
    assert v.status == "degraded"
    assert any("100 ms" in r and "0 ms" in r for r in v.reasons)


# --- missing data and health ---------------------------------------------------------------------


def test_no_data_now_but_traffic_a_day_ago_is_unknown():
    v = assess(observe(requests={"day_ago": 9000, "week_ago": 9000, "prev_hour": 36000}), POLICY)
    assert v.status == "unknown"
    assert v.requests_in_window is None and v.errors_in_window is None
    [reason] = v.reasons
    assert "no request data now" in reason and "10 req/s" in reason


def test_no_data_in_any_window_is_unknown():
    v = assess(observe(), POLICY)
    assert v.status == "unknown"
    assert any("no request data in any window" in r for r in v.reasons)


@pytest.mark.parametrize(
    ("missing", "with_values"),
    [
        pytest.param({"requests": "timeout after 10s"}, False, id="requests query failed, no values"),
        pytest.param({"errors": "HTTP 503"}, True, id="errors query failed, requests fine"),
        pytest.param({"p99": "HTTP 503"}, True, id="latency query failed, requests and errors fine"),
    ],
)
def test_a_failed_metrics_query_is_unknown_never_healthy(missing, with_values):
    values = {"requests": STEADY_REQUESTS, "errors": STEADY_ERRORS} if with_values else {}
    v = assess(observe(**values, missing=missing), POLICY)
    assert v.status == "unknown"
    [detail] = missing.values()
    assert any("metrics unavailable" in r and detail in r for r in v.reasons)


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        pytest.param({"requests": STEADY_REQUESTS, "errors": STEADY_ERRORS}, {}, id="metrics fine"),
        pytest.param({}, {"requests": "timeout"}, id="metrics failed"),
    ],
)
def test_a_failing_health_check_is_degraded(values, missing):
    obs = observe(**values, missing=missing, health=health("api", "down", "connection refused"))
    v = assess(obs, POLICY)
    assert v.status == "degraded"
    assert any("health check failing: connection refused" in r for r in v.reasons)
    assert v.onset is None  # no signal to date it from


@pytest.mark.parametrize("status", ["up", "unknown"])
def test_a_health_check_that_is_not_down_changes_nothing(status):
    obs = observe(requests=STEADY_REQUESTS, errors=STEADY_ERRORS, health=health("api", status))
    assert assess(obs, POLICY).status == "healthy"


# --- a new service -------------------------------------------------------------------------------


@pytest.mark.parametrize(("errors_now", "status"), [(900, "degraded"), (45, "healthy")])
def test_a_new_service_without_baseline_is_judged_on_its_own_ratio(errors_now, status):
    v = assess(observe(requests={"now": 9000}, errors={"now": errors_now}), POLICY)
    assert v.status == status
    assert v.error_ratio.baseline is None and v.error_ratio.factor is None
    assert v.traffic_rps.baseline is None and not v.traffic_rps.degraded  # nothing to compare traffic with
    if status == "degraded":
        assert any("no baseline" in r and "10.00%" in r for r in v.reasons)


# --- failing routes ------------------------------------------------------------------------------

RISING_ERRORS = with_now(STEADY_ERRORS, 900)


def test_failing_routes_are_ranked_with_shares_summing_to_one():
    routes = [("/search", 0.2, 2.0), ("/health", 0.0, 5.0), ("/checkout", 0.5, 1.0), ("/cart", 0.3, 10.0)]
    v = assess(observe(requests=STEADY_REQUESTS, errors=RISING_ERRORS, routes=routes), POLICY)
    assert [r.route for r in v.failing_routes] == ["/checkout", "/cart", "/search"]  # /health has no errors
    assert [r.share_of_errors for r in v.failing_routes] == pytest.approx([0.5, 0.3, 0.2])
    assert sum(r.share_of_errors for r in v.failing_routes) == pytest.approx(1.0)
    assert [r.error_ratio for r in v.failing_routes] == pytest.approx([0.5, 0.03, 0.1])


def test_failing_routes_beyond_max_routes_are_cut_and_shares_stay_of_the_total():
    routes = [("/c", 0.2, None), ("/a", 0.4, None), ("/d", 0.1, None), ("/b", 0.3, None)]
    v = assess(observe(requests=STEADY_REQUESTS, errors=RISING_ERRORS, routes=routes), policy(max_routes=2))
    assert [r.route for r in v.failing_routes] == ["/a", "/b"]
    assert [r.share_of_errors for r in v.failing_routes] == pytest.approx([0.4, 0.3])
    assert all(r.error_ratio is None for r in v.failing_routes)


def test_failing_routes_only_for_a_service_whose_errors_rose():
    obs = observe(requests=STEADY_REQUESTS, latency_ms={"p99": flat(900, 300)}, routes=[("/checkout", 0.5, 1.0)])
    v = assess(obs, POLICY)
    assert v.status == "degraded" and v.failing_routes == []


# --- onset and sparkline -------------------------------------------------------------------------

ERROR_POINTS = points([0.005] * 5 + [0.02, 0.06, 0.09, 0.10, 0.10])


def test_onset_of_an_error_rise_is_where_it_crossed_halfway():
    # Halfway from 0.5% to 10% is 5.25%: first passed at minute 6 (6%) and never left.
    v = assess(observe(requests=STEADY_REQUESTS, errors=RISING_ERRORS, error_points=ERROR_POINTS), POLICY)
    assert v.onset == minutes(6)


def test_onset_of_a_traffic_drop_looks_downwards():
    # Halfway from 10 to 2 req/s is 6 req/s: first at or below it at minute 4 (3 req/s).
    traffic = points([10, 10, 10, 7, 3, 2, 2])
    v = assess(observe(requests=with_now(STEADY_REQUESTS, 1800), traffic_points=traffic), POLICY)
    assert v.traffic_rps.degraded and v.onset == minutes(4)


def test_onset_is_the_earliest_degraded_signal():
    # Latency (seconds) crosses halfway from 300 to 900 ms, 600 ms, at minute 3; errors at minute 6.
    latency = points([0.3, 0.3, 0.3, 0.7, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9])
    obs = observe(
        requests=STEADY_REQUESTS,
        errors=RISING_ERRORS,
        latency_ms={"p99": flat(900, 300)},
        error_points=ERROR_POINTS,
        latency_points=latency,
    )
    assert assess(obs, POLICY).onset == minutes(3)


def test_onset_only_for_a_degraded_service():
    v = assess(observe(requests=STEADY_REQUESTS, errors=STEADY_ERRORS, error_points=ERROR_POINTS), POLICY)
    assert v.status == "healthy" and v.onset is None


def test_sparkline_is_drawn_from_the_error_points():
    v = assess(observe(requests=STEADY_REQUESTS, errors=RISING_ERRORS, error_points=ERROR_POINTS), POLICY)
    assert len(v.sparkline) == len(ERROR_POINTS)
    assert v.sparkline[0] == "▁" and v.sparkline[-1] == "█"


def test_traffic_drop_must_show_against_both_day_and_week():
    # A busy day-ago window alone (a launch, a sale) must not make today's normal traffic an outage.
    requests = {"now": 2 * 900, "day_ago": 20 * 900, "week_ago": 2 * 900, "prev_hour": 2 * 3600}
    verdict = assess(observe(requests=requests, errors={m: 0 for m in requests}), POLICY)
    assert not verdict.traffic_rps.degraded and verdict.status == "healthy"
    assert verdict.traffic_rps.baseline == pytest.approx(2.0)
    # Against both, the same drop is real.
    both = dict(requests, week_ago=20 * 900)
    assert assess(observe(requests=both, errors={m: 0 for m in both}), POLICY).traffic_rps.degraded


def test_failed_baseline_error_query_is_not_read_as_zero_errors():
    requests, errors = steady(rps=10.0, error_share=0.02)
    failed = {("errors", m) for m in ("day_ago", "week_ago", "prev_hour")}
    verdict = assess(observe(requests=requests, errors=errors, failed_baselines=failed), POLICY)
    assert verdict.status == "unknown"
    assert verdict.error_ratio.day_ago is None and verdict.error_ratio.baseline is None
    assert any("baseline queries for errors failed" in r for r in verdict.reasons)


def test_routes_failing_at_the_usual_rate_are_not_listed():
    # Baseline error ratio is 0.5%; a route at 0.6% is background, one at 30% is the lead.
    routes = [("/pay", 0.3, 1.0), ("/browse", 0.006, 1.0)]
    v = assess(observe(requests=STEADY_REQUESTS, errors=RISING_ERRORS, routes=routes), POLICY)
    assert v.error_ratio.baseline == pytest.approx(0.005)
    assert [r.route for r in v.failing_routes] == ["/pay"]
    assert v.failing_routes[0].share_of_errors == pytest.approx(0.3 / 0.306)
