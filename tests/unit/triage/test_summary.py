"""render_summary and ruled_out on hand-built results: order, windows, honesty about failed sources, size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from adapters.models import Deploy, ProviderEvent, TimeWindow
from mcp_server.triage.models import RouteErrors, ServiceVerdict, SignalDelta
from mcp_server.triage.summary import render_summary, ruled_out

from .helpers import AT, health, source, triage_result, verdict

ONSET = datetime(2026, 3, 14, 2, 58, tzinfo=UTC)


def db() -> ServiceVerdict:
    return verdict(
        "db",
        "degraded",
        role="likely_root",
        team="data",
        reasons=["error ratio 12.00% vs 0.50% baseline (1080 errors of 9000 requests)"],
        error_ratio=SignalDelta(now=0.12, baseline=0.005, factor=24.0, degraded=True),
        latency_p99_ms=SignalDelta(now=900, baseline=300, factor=3.0),
        traffic_rps=SignalDelta(now=10, baseline=10, factor=1.0),
        onset=ONSET,
        sparkline="▁▁▁▂▅█",
        failing_routes=[RouteErrors(route="/query", errors_per_s=1.2, error_ratio=0.12, share_of_errors=1.0)],
        links={"errors": "http://prom/errors", "p99": "http://prom/p99", "requests": "http://prom/requests"},
    )


def api() -> ServiceVerdict:
    return verdict(
        "api",
        "degraded",
        role="symptom",
        caused_by=["db"],
        reasons=["latency p99 1500 ms vs 400 ms baseline (x3.8)", "downstream of degraded db"],
        latency_p99_ms=SignalDelta(now=1500, baseline=400, factor=3.75, degraded=True),
        traffic_rps=SignalDelta(now=50, baseline=52),
        onset=ONSET + timedelta(minutes=2),
    )


def search() -> ServiceVerdict:
    return verdict(
        "search",
        "unknown",
        reasons=["no request data now (had 5 req/s at this time on previous days): down, or no longer scraped?"],
        traffic_rps=SignalDelta(now=None, baseline=5.0),
    )


def everyone() -> list[ServiceVerdict]:
    return [db(), api(), search(), verdict("web"), verdict("cart", "quiet")]


def section(text: str, heading: str) -> str:
    """The lines under ``heading`` up to the next heading."""
    rest = text[text.index(heading) + len(heading) :]
    end = rest.find("\n#")
    return rest if end < 0 else rest[:end]


# --- order ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order",
    [
        pytest.param(["db", "api", "search", "web", "cart"], id="engine order"),
        pytest.param(["web", "search", "api", "cart", "db"], id="shuffled"),
        pytest.param(["cart", "web", "search", "api", "db"], id="reversed"),
    ],
)
def test_degraded_first_roots_before_symptoms_then_unknown(order):
    by_name = {v.service: v for v in everyone()}
    text = render_summary(triage_result([by_name[n] for n in order]))
    positions = [
        text.index("## Degraded"),
        text.index("### Likely root: db (team data)"),
        text.index("### Symptom: api, downstream of db"),
        text.index("### Unknown: search"),
    ]
    assert positions == sorted(positions)


def test_a_degraded_service_without_a_role_is_not_headed_unknown():
    # Before (or without) the topology step a degraded verdict has role "none": still degraded.
    text = render_summary(triage_result([verdict("solo", "degraded", reasons=["health check failing: 503"])]))
    assert "### Unknown: solo" not in text
    assert "solo" in text and "health check failing: 503" in text


# --- windows and times ---------------------------------------------------------------------------


def test_windows_are_printed_in_utc_iso_with_z():
    text = render_summary(triage_result(everyone()))
    assert text.startswith("# Triage prod at 2026-03-14T03:07:00Z\n")
    assert "Window 2026-03-14T02:52:00Z..2026-03-14T03:07:00Z" in text
    assert "started about 02:58Z" in text  # the same day as the run: the time alone
    assert "error ratio 02:07Z→03:07Z: `▁▁▁▂▅█`" in text  # the sparkline's own window


def test_times_given_in_another_zone_are_printed_in_utc():
    paris = timezone(timedelta(hours=1))
    at = datetime(2026, 3, 14, 4, 7, tzinfo=paris)  # 03:07Z
    window = TimeWindow(start=datetime(2026, 3, 14, 3, 52, tzinfo=paris), end=at)
    text = render_summary(triage_result(everyone(), at=at, window=window))
    assert "at 2026-03-14T03:07:00Z" in text and "Window 2026-03-14T02:52:00Z..2026-03-14T03:07:00Z" in text
    assert "+01:00" not in text and "04:07" not in text


def test_an_onset_on_another_day_is_printed_in_full():
    early = db().model_copy(update={"onset": datetime(2026, 3, 13, 23, 58, tzinfo=UTC)})
    text = render_summary(triage_result([early]))
    assert "started about 2026-03-13T23:58:00Z" in text


# --- what a service section says -----------------------------------------------------------------


def test_a_degraded_section_carries_the_numbers():
    root = section(render_summary(triage_result(everyone())), "### Likely root: db")
    assert "error ratio 12.00% vs 0.50% baseline" in root
    assert "errors 12.00% vs 0.50% (x24.0)" in root
    assert "p99 900 ms vs 300 ms" in root
    assert "/query 100% of errors (12.00% failing)" in root
    # Only the error and p99 query links are shown.
    assert "[errors](http://prom/errors)" in root and "[p99](http://prom/p99)" in root
    assert "http://prom/requests" not in root


def test_missing_numbers_are_not_printed_as_zero():
    # No request data now is unknown: the summary must not say the traffic was 0 req/s.
    unknown = section(render_summary(triage_result(everyone())), "### Unknown: search")
    assert "traffic 0 " not in unknown
    assert "traffic n/a vs 5 req/s" in unknown
    assert "errors n/a vs n/a" in unknown


def test_a_real_zero_traffic_is_printed_as_zero():
    stopped = db().model_copy(update={"traffic_rps": SignalDelta(now=0.0, baseline=10.0)})
    assert "traffic 0 vs 10 req/s" in render_summary(triage_result([stopped]))


def test_a_down_health_check_is_shown_with_its_detail():
    down = db().model_copy(update={"health": health("db", "down", "connection refused")})
    assert "- health: down connection refused" in render_summary(triage_result([down]))


# --- healthy services ----------------------------------------------------------------------------


def test_healthy_services_are_counted_not_listed_one_by_one():
    verdicts = everyone()
    text = render_summary(triage_result(verdicts, ruled_out=ruled_out(verdicts, [], [], [])))
    assert "**2 degraded** (1 likely root, 1 symptom) · 1 unknown · 2 healthy or quiet of 5" in text
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    assert len(headings) == 3 and not any("web" in h or "cart" in h for h in headings)


def test_nothing_degraded_says_so():
    text = render_summary(triage_result([verdict("web"), verdict("cart")]))
    assert "**Nothing degraded** · 0 unknown · 2 healthy or quiet of 2" in text
    assert "## Degraded" not in text and "### " not in text


# --- sources and the ruled-out list --------------------------------------------------------------


@pytest.mark.parametrize("status", ["error", "timeout", "skipped"])
def test_sources_that_failed_are_shown_as_unknown_not_healthy(status):
    sources = [
        source("prometheus", "metrics"),
        source("deploy_file", "deploys", status, "file not found: deploys.yaml"),
    ]
    text = render_summary(triage_result(everyone(), sources=sources))
    block = section(text, "## Sources that did not answer (their part is unknown, not healthy)")
    assert f"- deploy_file (deploys): {status}: file not found: deploys.yaml" in block
    assert "prometheus" not in block
    assert "all 2 answered" not in text


def test_when_every_source_answered_it_says_how_many():
    sources = [source("prometheus", "metrics"), source("deploy_file", "deploys")]
    assert "Sources: all 2 answered (22 metric queries)." in render_summary(triage_result(everyone(), sources=sources))


NO_DEPLOYS = "no deploys in the deploy window"
NO_EVENTS = "no provider incident open in the last hour"


def deploy(service: str) -> Deploy:
    return Deploy(
        id=f"{service}-1",
        service=service,
        version="v2",
        previous_version="v1",
        author="kim",
        started_at=AT - timedelta(minutes=12),
        finished_at=AT - timedelta(minutes=10),
    )


@pytest.mark.parametrize(
    ("statuses", "deploys", "claimed"),
    [
        pytest.param([source("deploy_file", "deploys")], [], True, id="source answered, nothing deployed"),
        pytest.param([source("deploy_file", "deploys", "error")], [], False, id="source failed"),
        pytest.param([source("deploy_file", "deploys", "timeout")], [], False, id="source timed out"),
        pytest.param([source("deploy_file", "deploys", "skipped")], [], False, id="source skipped"),
        pytest.param(
            [source("gitlog", "deploys"), source("deploy_file", "deploys", "error")], [], False, id="one of two failed"
        ),
        pytest.param([], [], False, id="no deploy source at all"),
        pytest.param([source("deploy_file", "deploys")], [deploy("db")], False, id="there was a deploy"),
    ],
)
def test_ruled_out_claims_no_deploys_only_when_the_source_answered(statuses, deploys, claimed):
    lines = ruled_out(everyone(), deploys, [], statuses)
    assert (NO_DEPLOYS in lines) is claimed
    text = render_summary(triage_result(everyone(), ruled_out=lines, sources=statuses, deploys=deploys))
    assert ("no deploys" in text) is claimed


def event(status: str) -> ProviderEvent:
    return ProviderEvent(provider="aws", id="e1", title="Increased error rates", status=status, impact="minor")


@pytest.mark.parametrize(
    ("status", "events", "claimed"),
    [
        ("ok", [], True),
        ("ok", [event("resolved"), event("postmortem")], True),
        ("ok", [event("investigating")], False),
        ("error", [], False),
        ("timeout", [], False),
    ],
)
def test_ruled_out_claims_no_provider_incident_only_when_the_source_answered(status, events, claimed):
    lines = ruled_out(everyone(), [], events, [source("statuspage", "provider_events", status)])
    assert (NO_EVENTS in lines) is claimed


def test_ruled_out_lists_only_services_judged_normal():
    lines = ruled_out(everyone(), [], [], [])
    normal = next(line for line in lines if line.startswith("errors, latency and traffic normal"))
    assert normal.endswith(": web")
    quiet = next(line for line in lines if line.startswith("too quiet to judge"))
    assert quiet.endswith(": cart")
    assert not any(name in line for line in lines for name in ("db", "api", "search"))


def test_ruled_out_caps_the_names_it_lists():
    verdicts = [verdict(f"svc{i:02d}") for i in range(20)]
    [line] = ruled_out(verdicts, [], [], [])
    assert "svc11" in line and "svc12" not in line and line.endswith("(+8 more)")


@pytest.mark.parametrize(
    ("states", "claimed"),
    [(["up", "up"], True), (["up", "down"], False), ([], False)],
)
def test_ruled_out_claims_health_checks_up_only_when_all_are(states, claimed):
    verdicts = [verdict(f"s{i}", health=health(f"s{i}", s)) for i, s in enumerate(states)] + [verdict("x")]
    lines = ruled_out(verdicts, [], [], [])
    assert (f"health checks: all {len(states)} up" in lines) is claimed


# --- deploys and context -------------------------------------------------------------------------


def test_a_deploy_to_a_likely_root_is_marked():
    text = render_summary(triage_result(everyone(), deploys=[deploy("db"), deploy("web")]))
    block = section(text, "## Deploys 02:07Z→03:07Z")
    [to_db] = [line for line in block.splitlines() if " db " in line]
    [to_web] = [line for line in block.splitlines() if " web " in line]
    assert "02:57Z db v2 (from v1) succeeded by kim" in to_db and "likely root" in to_db
    assert "likely root" not in to_web


def test_only_open_provider_events_are_shown():
    text = render_summary(triage_result(everyone(), provider_events=[event("resolved")]))
    assert "## Provider events" not in text
    text = render_summary(triage_result(everyone(), provider_events=[event("investigating")]))
    assert "- aws: Increased error rates (investigating, impact minor)" in text


# --- size ----------------------------------------------------------------------------------------


def test_summary_of_500_healthy_and_3_degraded_stays_short():
    degraded = [
        db(),
        api(),
        api().model_copy(update={"service": "checkout", "caused_by": ["db"], "links": db().links}),
    ]
    healthy = [verdict(f"service-with-a-longish-name-{i:03d}") for i in range(500)]
    verdicts = [*healthy, *degraded]
    statuses = [source("prometheus", "metrics"), source("deploy_file", "deploys")]
    result = triage_result(verdicts, ruled_out=ruled_out(verdicts, [], [], statuses), sources=statuses)
    text = render_summary(result)
    assert len(text) < 8000
    assert "500 healthy or quiet of 503" in text
    assert "### Likely root: db" in text and "### Symptom: api" in text and "### Symptom: checkout" in text
    listed = [v.service for v in healthy if v.service in text]
    assert len(listed) == 12  # the ruled-out line names a dozen, then counts the rest
    assert "(+488 more)" in text


def test_many_unknown_services_are_grouped_by_reason():
    # The common bad day: the metrics backend is down and every service is unknown for one reason.
    down = [
        verdict(f"svc-{i:03d}", "unknown", reasons=["metrics unavailable: prometheus: connection refused"])
        for i in range(500)
    ]
    text = render_summary(triage_result(down))
    assert len(text) < 8000
    assert "## Unknown: 500 (not healthy: their data is missing)" in text
    assert text.count("metrics unavailable: prometheus: connection refused") == 1
    assert "(+488 more)" in text


def _alert(service: str):
    from adapters.models import Alert

    return Alert(name=f"{service}Down", service=service, severity="page", starts_at=AT - timedelta(minutes=5))


def test_an_alert_on_a_symptom_points_at_the_root():
    text = render_summary(triage_result(everyone(), alerts=[_alert("api")]))
    assert "The alert on api is a symptom: look at db first." in text
    assert text.index("look at db first") < text.index("## Degraded")


def test_an_alert_on_a_normal_service_says_it_looks_normal():
    text = render_summary(triage_result(everyone(), alerts=[_alert("web"), _alert("search")]))
    assert "The alert on web: web looks normal against its baseline." in text
    assert "The alert on search: its data is missing" in text
    assert "The alert on db" not in text
