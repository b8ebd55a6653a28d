"""The replay's logs: written from a scenario's logs: entries, the same every time, filtered by LogQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.errors import QueryError
from adapters.models import TimeWindow
from adapters.replay.logql import parse_logql
from adapters.replay.logs import query_scenario_logs
from adapters.replay.scenario import list_scenarios, load_scenario

SCENARIO = load_scenario("bad-deploy")
LAST_HALF_HOUR = TimeWindow(start=SCENARIO.anchor - timedelta(minutes=30), end=SCENARIO.anchor)


def run(logql: str, window: TimeWindow = LAST_HALF_HOUR, limit: int = 10_000):
    return query_scenario_logs(SCENARIO, parse_logql(logql), window, limit, "replay")


def test_lines_are_newest_first_inside_the_window_and_the_same_every_time():
    first, again = run('{service="checkout"}'), run('{service="checkout"}')
    assert first == again and first.complete
    times = [line.t for line in first.lines]
    assert times == sorted(times, reverse=True)
    assert LAST_HALF_HOUR.start <= times[-1] and times[0] <= LAST_HALF_HOUR.end


def test_the_incident_lines_start_with_the_bad_deploy_and_the_noise_runs_all_day():
    errors = run('{service="checkout", level="error"}').lines
    onset = SCENARIO.anchor - timedelta(minutes=24)
    assert min(line.t for line in errors) == onset and all(line.labels["version"] == "v2.42.0" for line in errors)
    # 40 a minute for the 24 minutes up to the anchor, both ends included
    assert len(errors) == 40 * 24 + 1
    day_before = TimeWindow(start=LAST_HALF_HOUR.start - timedelta(days=1), end=LAST_HALF_HOUR.end - timedelta(days=1))
    quiet = run('{service="checkout"}', day_before).lines
    assert quiet and {line.labels["level"] for line in quiet} == {"warn"}


def test_line_filters_and_negative_matchers_apply():
    submit = run('{service="checkout"} |= "/checkout/submit" != "shipping.zip"').lines
    assert submit and all("/checkout/submit" in line.line for line in submit)
    assert {line.labels["service"] for line in run('{level="error", service!="checkout"}').lines} == {"frontend"}


def test_the_limit_stops_generation_and_marks_the_answer_incomplete():
    day = TimeWindow(start=SCENARIO.anchor - timedelta(days=1), end=SCENARIO.anchor)
    result = run('{service="frontend"}', day, limit=50)
    assert len(result.lines) == 50 and result.complete is False


@pytest.mark.parametrize(
    "logql", ['rate({service="checkout"}[5m])', '{service=~"check.*"}', '{service="a"} | json', "{}"]
)
def test_what_the_replay_cannot_evaluate_is_refused_saying_what_it_understands(logql):
    with pytest.raises(QueryError, match="cannot evaluate") as refused:
        parse_logql(logql)
    assert "stream selector" in refused.value.hint


@pytest.mark.parametrize("name", list_scenarios())
def test_every_scenario_logs_its_story_on_its_roots_and_only_noise_the_day_before(name):
    scenario = load_scenario(name)
    hour = TimeWindow.ending_at(scenario.anchor, timedelta(hours=1))
    day_before = TimeWindow(start=hour.start - timedelta(days=1), end=hour.end - timedelta(days=1))
    for root in scenario.expected.roots:
        selector = parse_logql(f'{{service="{root}", level="error"}}')
        errors = query_scenario_logs(scenario, selector, hour, 10_000, "replay").lines
        events = [e for e in scenario.events_for(root) if e.start <= hour.end and e.end >= hour.start]
        assert errors and min(line.t for line in errors) >= min(e.start for e in events), root
        earlier = query_scenario_logs(scenario, selector, day_before, 10_000, "replay").lines
        assert bool(earlier) == any(e.repeat == "daily" for e in events), root  # daily-batch: every night
    if not scenario.expected.roots:  # quiet-night: the noise, and the admin tool's handful of 500s
        loud = query_scenario_logs(scenario, parse_logql('{level="error"}'), hour, 10_000, "replay").lines
        assert {line.labels["service"] for line in loud} <= {"admin"} and len(loud) < 20
