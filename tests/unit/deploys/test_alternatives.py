"""What explains an incident better than a deploy: a provider incident at the onset, a daily recurrence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from pydantic import ValidationError

from adapters.errors import UnavailableError
from adapters.models import ChangedFile, ChangeSet, Deploy, Point, ProviderEvent, Series, TimeWindow
from mcp_server.config import Config, DeploysConfig, ServiceConfig
from mcp_server.deploys.alternatives import (
    DAY,
    History,
    Recurrence,
    Symptom,
    better_explanation,
    judge_recurrence,
    provider_at_onset,
    provider_dependents,
)
from mcp_server.deploys.correlate import Incident, decide_verdict
from mcp_server.deploys.evidence import Alternatives, history_values, read_history
from mcp_server.deploys.features import RankContext
from mcp_server.deploys.incident import symptoms_of
from mcp_server.deploys.rank import rank
from mcp_server.runtime import Runtime
from mcp_server.triage.models import ServiceVerdict, SignalDelta

pytestmark = pytest.mark.anyio
ONSET = datetime(2026, 11, 24, 16, 48, tzinfo=UTC)
MEASURED = TimeWindow(start=datetime(2026, 11, 24, 16, 55, tzinfo=UTC), end=datetime(2026, 11, 24, 17, 10, tzinfo=UTC))
SERVICES = {
    "checkout": ServiceConfig(name="checkout", depends_on=["payments"]),
    "payments": ServiceConfig(name="payments", providers=["CardPay"]),
    "search": ServiceConfig(name="search", providers=["cdnco"]),
}
WITHIN = timedelta(minutes=10)
ERRORS = Symptom("payments", "errors", now=0.30, baseline=0.003)  # onset line at 15.15%


def event(minutes_from_onset: float, provider: str = "cardpay", **fields: object) -> ProviderEvent:
    started = ONSET + timedelta(minutes=minutes_from_onset)
    values = dict(provider=provider, id="cp-1", title="Elevated API error rates", status="investigating")
    values |= dict(impact="major", started_at=started, **fields)
    return ProviderEvent.model_validate(values)


def dependents() -> dict[str, list[str]]:
    return provider_dependents(["checkout", "payments"], SERVICES)


def history(*ratios: float | None, error: str = "") -> History:
    """The payments error ratio 1, 2, 3 ... days ago."""
    values = {k: {("payments", "errors"): r} for k, r in enumerate(ratios, start=1)}
    return History(MEASURED, len(ratios) or 3, values, error)  # type: ignore[arg-type]


def test_provider_dependents_are_the_degraded_services_providers_case_folded():
    assert dependents() == {"cardpay": ["payments"]}
    assert provider_dependents(["search"], SERVICES) == {"cdnco": ["search"]}


def test_a_dependencys_provider_incident_exactly_at_the_onset_explains_it():
    found = provider_at_onset([event(0)], ONSET, dependents(), WITHIN)
    assert found is not None and found.kind == "provider_incident"
    assert found.reason == (
        'cardpay incident "Elevated API error rates" (cp-1, investigating, impact major) '
        "started 2026-11-24T16:48:00Z, at the onset; payments depends on cardpay"
    )


@pytest.mark.parametrize(("minutes", "when"), [(-4, "4 min before the onset"), (6, "6 min after the onset")])
def test_a_provider_incident_a_few_minutes_off_the_onset_still_counts(minutes, when):
    found = provider_at_onset([event(minutes)], ONSET, dependents(), WITHIN)
    assert found is not None and when in found.reason


@pytest.mark.parametrize("minutes", [20, -20])
def test_a_provider_incident_20_minutes_off_the_onset_does_not(minutes):
    assert provider_at_onset([event(minutes)], ONSET, dependents(), WITHIN) is None


def test_a_provider_no_degraded_service_depends_on_explains_nothing():
    assert provider_at_onset([event(0, provider="cdnco")], ONSET, dependents(), WITHIN) is None
    assert provider_at_onset([event(0)], ONSET, {}, WITHIN) is None


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "resolved", "resolved_at": ONSET - timedelta(minutes=1)},  # over before the onset
        {"status": "resolved"},  # closed, and no saying when
        {"status": "unknown"},  # the status page did not answer
    ],
)
def test_a_provider_incident_not_open_at_the_onset_does_not(fields):
    assert provider_at_onset([event(-2, **fields)], ONSET, dependents(), WITHIN) is None


def test_the_provider_incident_closest_to_the_onset_is_named():
    events = [event(8).model_copy(update={"id": "cp-late"}), event(-1).model_copy(update={"id": "cp-near"})]
    found = provider_at_onset(events, ONSET, dependents(), WITHIN)
    assert found is not None and "cp-near" in found.reason


def test_recurrence_on_3_of_3_days_names_the_days_and_the_time():
    found = judge_recurrence([ERRORS], ["payments"], history(0.29, 0.31, 0.28), min_days=2)
    assert found.state == "recurring"
    assert found.detail == (
        "payments was degraded at the same time of day (16:55-17:10 UTC) on 3 of the last 3 days "
        "(2026-11-21, 2026-11-22, 2026-11-23): error ratio 28.00%, 31.00%, 29.00% then, 30.00% now, 0.30% normal"
    )


def test_recurrence_on_1_of_3_days_is_not_recurring():
    found = judge_recurrence([ERRORS], ["payments"], history(0.29, 0.003, 0.004), min_days=2)
    assert found == Recurrence("not_recurring", "payments: degraded at this time of day on 1 of the last 3 days")


def test_a_failed_history_query_is_unknown_never_not_recurring():
    found = judge_recurrence([ERRORS], ["payments"], history(error="the metrics query failed: 503"), min_days=2)
    assert found == Recurrence("unknown", "the metrics query failed: 503")


def test_days_without_data_are_unknown_when_they_could_tip_it():
    assert judge_recurrence([ERRORS], ["payments"], history(0.29, None, 0.003), 2).state == "unknown"
    assert judge_recurrence([ERRORS], ["payments"], history(0.003, None, 0.003), 2).state == "not_recurring"


def test_a_root_without_an_error_or_latency_symptom_cannot_be_checked():
    found = judge_recurrence([ERRORS], ["payments", "ledger"], history(0.29, 0.31, 0.28), 2)
    assert found == Recurrence("unknown", "no error or latency symptom to compare for ledger")


def test_latency_recurs_on_the_onset_line_in_milliseconds():
    slow = Symptom("payments", "latency", now=1200.0, baseline=300.0, quantile=0.99)  # line 750 ms
    values = {k: {("payments", "latency"): v} for k, v in ((1, 800.0), (2, 760.0), (3, 700.0))}
    found = judge_recurrence([slow], ["payments"], History(MEASURED, 3, values), 2)  # type: ignore[arg-type]
    assert found.state == "recurring" and "p99 760 ms, 800 ms then, 1200 ms now, 300 ms normal" in found.detail


def test_a_provider_incident_comes_before_a_recurrence():
    provider = provider_at_onset([event(0)], ONSET, dependents(), WITHIN)
    recurring = Recurrence("recurring", "payments was degraded ...")
    assert better_explanation(provider, recurring) is provider
    assert better_explanation(None, recurring) is not None
    assert better_explanation(None, Recurrence("unknown", "x")) is None


def strong_candidates():
    """A deploy of the likely root, minutes before the onset, changing its config: it would be blamed."""
    started, finished = ONSET - timedelta(minutes=9), ONSET - timedelta(minutes=5)
    deploy = Deploy(id="deploy-1", service="payments", started_at=started, finished_at=finished)
    changed = ChangedFile(path="config/payments.yaml", change="modified", category="config", additions=2, deletions=2)
    change_set = ChangeSet(repo="acme/shop", base="a", head="b", commits=[], files=[changed])
    ctx = RankContext(onset=ONSET, affected=frozenset({"payments"}), roots=frozenset({"payments"}), services=SERVICES)
    return rank([deploy], {"deploy-1": change_set}, {}, ctx)


INCIDENT = Incident(onset=ONSET, onset_source="triage signal", affected=["payments"], roots=["payments"])


def test_the_verdict_prefers_the_better_explanation_over_a_strong_deploy():
    ranked = strong_candidates()
    assert decide_verdict(ranked, INCIDENT, 0.35)[0] == "deploy_implicated"
    provider = provider_at_onset([event(0)], ONSET, dependents(), WITHIN)
    verdict, reason = decide_verdict(ranked, INCIDENT, 0.35, Alternatives(provider, Recurrence("unknown", "x")))
    assert verdict == "no_deploy_implicated"
    assert reason.startswith('better explained by an open provider incident: cardpay incident "Elevated API')
    assert reason.endswith(f"deploy-1 (payments, {ranked[0].score:.2f}), is a low-confidence lead at most")


def test_an_unchecked_recurrence_leaves_the_verdict_and_says_so():
    ranked = strong_candidates()
    unknown = Alternatives(None, Recurrence("unknown", "the metrics query failed: 503"))
    verdict, reason = decide_verdict(ranked, INCIDENT, 0.35, unknown)
    assert verdict == "deploy_implicated"
    assert reason.endswith("whether it recurs at this time of day could not be checked (the metrics query failed: 503)")
    assert (
        decide_verdict(ranked, INCIDENT, 0.35, Alternatives(None, Recurrence("not_recurring", "x")))[1]
        == (decide_verdict(ranked, INCIDENT, 0.35)[1])
    )


def test_symptoms_of_a_verdict_are_its_error_ratio_and_its_highest_degraded_percentile():
    verdict = ServiceVerdict(
        service="payments",
        status="degraded",
        error_ratio=SignalDelta(now=0.3, baseline=None, degraded=True),
        latency_p95_ms=SignalDelta(now=900.0, baseline=300.0, degraded=True),
        latency_p50_ms=SignalDelta(now=400.0, baseline=150.0, degraded=True),
    )
    assert symptoms_of(verdict) == [
        Symptom("payments", "errors", 0.3, 0.0),
        Symptom("payments", "latency", 900.0, 300.0, 0.95),
    ]


def series(service: str, *values: float | None) -> Series:
    """One value per day, oldest first, ending a day before the measured window."""
    days = len(values)
    points = [Point(t=MEASURED.end - (days - i) * DAY, v=v) for i, v in enumerate(values)]
    return Series(labels={"service": service}, points=points)


def test_history_values_are_error_ratios_and_milliseconds_by_days_ago():
    answers = {
        ("errors", None): [series("payments", 6.0, 1.0, 3.0)],
        ("requests", None): [series("payments", 20.0, 10.0, 10.0), series("search", 5.0, 5.0, 0.0)],
        ("latency", 0.99): [series("search", 0.25, None, 0.5)],
    }
    values = history_values(answers, MEASURED, "service")  # type: ignore[arg-type]
    assert values[3][("payments", "errors")] == 0.3 and values[1][("payments", "errors")] == 0.3
    assert values[2][("search", "errors")] == 0.0  # requests but no 5xx series: no errors
    assert values[1][("search", "errors")] is None  # no requests: no ratio
    assert values[3][("search", "latency")] == 250.0 and ("search", "latency") not in values[2]


class _Metrics:
    capabilities: ClassVar[frozenset[str]] = frozenset({"metrics"})
    name = "prom"

    def __init__(self, fail: bool = False) -> None:
        self.fail, self.asked = fail, []

    async def range(self, query, window, step):  # noqa: ANN001, ANN201
        self.asked.append((query.signal, tuple(query.services), window, step))
        if self.fail:
            raise UnavailableError("Prometheus answered 503", adapter=self.name)
        return [series("payments", *(0.3 if query.signal == "errors" else 1.0 for _ in range(3)))]


def runtime(metrics: _Metrics) -> Runtime:
    config = Config(services=list(SERVICES.values()), deploys=DeploysConfig(recurrence_days=3))
    return Runtime(config=config, http=None, adapters={"prom": metrics})  # type: ignore[arg-type]


async def test_the_history_is_one_range_query_per_signal_for_all_services_and_days():
    metrics = _Metrics()
    symptoms = [ERRORS, Symptom("checkout", "errors", 0.2, 0.002)]
    found, statuses = await read_history(runtime(metrics), symptoms, MEASURED)
    assert [(s, names) for s, names, _, _ in metrics.asked] == [
        ("errors", ("checkout", "payments")),
        ("requests", ("checkout", "payments")),
    ]
    window, step = metrics.asked[0][2], metrics.asked[0][3]
    assert (window.start, window.end, step) == (MEASURED.end - 3 * DAY, MEASURED.end - DAY, DAY)
    assert judge_recurrence(symptoms, ["payments"], found, 2).state == "recurring"
    assert [(s.source, s.status) for s in statuses] == [("prom", "ok")]


async def test_a_failed_history_query_is_reported_and_makes_recurrence_unknown():
    found, statuses = await read_history(runtime(_Metrics(fail=True)), [ERRORS], MEASURED)
    assert judge_recurrence([ERRORS], ["payments"], found, 2).state == "unknown"
    assert [(s.source, s.status) for s in statuses] == [("prom", "error")]
    assert "Prometheus answered 503" in statuses[0].detail and "503" in found.error


async def test_without_triage_measurements_the_history_is_not_asked():
    metrics = _Metrics()
    found, statuses = await read_history(runtime(metrics), [ERRORS], None)
    assert found.error == "no triage measurements to compare with" and not metrics.asked and statuses == []


def test_recurrence_settings_must_fit():
    with pytest.raises(ValidationError, match="recurrence_min_days"):
        DeploysConfig(recurrence_days=2, recurrence_min_days=3)
