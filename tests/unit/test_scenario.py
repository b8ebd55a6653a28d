"""Scenarios: validation and loading, the deterministic generator, and the OpenMetrics export."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from adapters.errors import ConfigError, NotFoundError
from adapters.models import TimeWindow
from adapters.replay.openmetrics import triage_segments, write_openmetrics
from adapters.replay.scenario import Scenario, list_scenarios, load_scenario, resolve_time
from adapters.replay.synthetic import LE_LABELS, SyntheticMetrics, epoch_minute, noisy_count
from mcp_server.config import parse_config

ANCHOR = datetime(2026, 10, 14, 14, 7, tzinfo=UTC)
BUNDLED = ("bad-deploy", "upstream-dependency", "quiet-night")


def tiny(**overrides: object) -> dict:
    """A two-service scenario, small enough to generate in full in a unit test."""
    raw: dict = {
        "format": 1,
        "name": "tiny",
        "title": "Tiny",
        "anchor": "2026-10-14T14:07:00Z",
        "page": {"service": "api", "summary": "api errors"},
        "services": [
            {
                "name": "web",
                "depends_on": ["api"],
                "traffic": {"rps": 5},
                "latency_ms": {"p50": 40, "p99": 400},
                "routes": {"/": 1.0},
            },
            {
                "name": "api",
                "traffic": {"rps": 8},
                "error_ratio": 0.01,
                "latency_ms": {"p50": 20, "p99": 200},
                "routes": {"/a": 0.7, 'say "hi"': 0.3},
            },
        ],
        "events": [
            {
                "service": "api",
                "from": "-20m",
                "to": "+10m",
                "error_ratio": 0.5,
                "error_routes": ["/a"],
                "latency_factor": 4,
            }
        ],
    }
    raw.update(overrides)
    return raw


def problem(**overrides: object) -> str:
    with pytest.raises(ValidationError) as err:
        Scenario.model_validate(tiny(**overrides))
    return str(err.value)


# --- loading and validation -------------------------------------------------------------------


def test_bundled_scenarios_load_with_consistent_expectations() -> None:
    assert set(BUNDLED) <= set(list_scenarios())
    for name in BUNDLED:
        scenario = load_scenario(name)
        assert scenario.name == name and 5 <= len(scenario.services) <= 7
        assert scenario.page.service in scenario.names()
        assert set(scenario.expected.roots) | set(scenario.expected.symptoms) <= set(scenario.expected.degraded)
    assert any(load_scenario(n).provider_events for n in BUNDLED)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-20m", ANCHOR - timedelta(minutes=20)),
        ("+1h30m", ANCHOR + timedelta(hours=1, minutes=30)),
        ("-1d2h", ANCHOR - timedelta(days=1, hours=2)),
        ("2026-10-14T13:40:00Z", datetime(2026, 10, 14, 13, 40, tzinfo=UTC)),
        ("2026-10-14T15:40:00+02:00", datetime(2026, 10, 14, 13, 40, tzinfo=UTC)),
        (datetime(2026, 10, 14, 13, 40, tzinfo=UTC), datetime(2026, 10, 14, 13, 40, tzinfo=UTC)),
    ],
)
def test_resolve_time_accepts_offsets_and_zoned_times(value: object, expected: datetime) -> None:
    assert resolve_time(value, ANCHOR) == expected


@pytest.mark.parametrize("value", ["-20x", "20m", "yesterday", "2026-10-14T13:40:00", datetime(2026, 10, 14), 5])
def test_resolve_time_refuses_the_rest(value: object) -> None:
    with pytest.raises(ValueError, match="-20m"):
        resolve_time(value, ANCHOR)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"format": 2}, "format: 2 is not supported: this firstfifteen reads scenario format 1"),
        ({"format": None}, "format: missing; put 'format: 1'"),
        ({"anchor": "-5m"}, "anchor: must be an absolute UTC time"),
        ({"anchor": "2026-10-14T14:07:30Z"}, "must fall on a whole minute"),
        ({"page": {"service": "db", "summary": "x"}}, "page.service: unknown service 'db'"),
        ({"events": [{"service": "nope", "from": "-5m"}]}, "events[0].service: unknown service 'nope'"),
        ({"events": [{"service": "api", "from": "-20x"}]}, "events[0].from: invalid time '-20x'"),
        ({"events": [{"service": "api", "from": "-5m", "to": "-10m"}]}, "events[0]: 'to'"),
        ({"events": [{"service": "api", "from": "-5m", "error_routes": ["/z"]}]}, "['/z'] are not routes of api"),
        ({"deploys": [{"id": "d", "service": "api", "started": "soon"}]}, "deploys[0].started: invalid time"),
        ({"expected": {"roots": ["api"]}}, "roots and symptoms must be degraded too"),
    ],
)
def test_validation_errors_name_the_field_and_the_fix(overrides: dict, message: str) -> None:
    assert message in problem(**overrides)


def test_unknown_dependency_is_named_with_the_known_services() -> None:
    services = tiny()["services"]
    services[0] = {**services[0], "depends_on": ["db"]}
    assert "services.web.depends_on: unknown services ['db'] (known: ['web', 'api'])" in problem(services=services)


def test_route_shares_must_add_up() -> None:
    services = tiny()["services"]
    services[0] = {**services[0], "routes": {"/": 0.5}}
    assert "route shares must add up to 1" in problem(services=services)


def test_load_scenario_reports_every_problem_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken" / "scenario.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(tiny(format=3)), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_scenario(path.parent)
    assert str(path) in err.value.message and "format: 3 is not supported" in err.value.message
    assert "docs/scenarios.md" in err.value.hint


def test_load_scenario_names_the_file_of_a_bad_change(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(coded({"changes": [commit({"path": "a.py", "change": "moved"})]})))
    with pytest.raises(ConfigError) as err:
        load_scenario(path)
    assert "deploys.0.changes.0.files.0.change: Input should be 'added', 'modified', 'deleted' or 'renamed'" in (
        err.value.message
    )


def test_load_scenario_by_path_and_unknown_name(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(tiny()), encoding="utf-8")
    assert load_scenario(path).name == "tiny"
    assert load_scenario("scenario.yaml", base_dir=tmp_path).name == "tiny"
    with pytest.raises(NotFoundError) as err:
        load_scenario("no-such-scenario")
    assert "bad-deploy" in err.value.hint


def test_events_default_to_the_anchor_and_repeat_daily() -> None:
    scenario = Scenario.model_validate(
        tiny(events=[{"service": "web", "from": "-1h", "repeat": "daily", "traffic_factor": 0.5}])
    )
    event = scenario.events[0]
    assert event.end == scenario.anchor
    assert event.active(scenario.anchor - timedelta(days=3, minutes=30))
    assert not event.active(scenario.anchor - timedelta(days=3, minutes=90))


def test_a_daily_event_since_a_day_runs_from_that_day_only() -> None:
    daily = {"service": "api", "from": "-10m", "to": "+5m", "repeat": "daily", "since": "-2d11m", "error_ratio": 0.5}
    scenario = Scenario.model_validate(tiny(events=[daily]))
    event = scenario.events[0]
    assert event.since == scenario.anchor - timedelta(days=2, minutes=11)
    during = [scenario.anchor - timedelta(days=k, minutes=5) for k in range(4)]
    assert [event.active(moment) for moment in during] == [True, True, True, False]
    metrics = SyntheticMetrics(scenario)
    errors = [metrics.increments("api", epoch_minute(moment))[1] for moment in during]  # /a, code 500
    assert all(e > 0 for e in errors[:3]) and errors[3] < max(errors[:3]) / 5


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"since": "-2d"}, "only for an event with repeat: daily"),
        ({"repeat": "daily", "since": "-5m"}, "must be at or before 'from'"),
    ],
)
def test_since_is_refused_where_it_means_nothing(event: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Scenario.model_validate(tiny(events=[{"service": "api", "from": "-10m", **event}]))


def test_services_pass_their_providers_to_the_config() -> None:
    raw = tiny()
    raw["services"][1] = {**raw["services"][1], "providers": ["cardpay"]}
    config = parse_config({"services": Scenario.model_validate(raw).services_config()}, base_dir=Path.cwd())
    assert config.service("api").providers == ["cardpay"] and config.service("web").providers == []


def test_services_config_builds_a_valid_config() -> None:
    scenario = load_scenario("upstream-dependency")
    raw = {"services": scenario.services_config()}
    config = parse_config(raw, base_dir=Path.cwd())
    assert config.service("checkout").depends_on == ["payments", "inventory"]
    assert all(s.health_url for s in config.services)


# --- code history: repos, commits and the deploy culprit ---------------------------------------


def coded(*deploys: dict, **overrides: object) -> dict:
    """tiny() with api in repo acme/api and ``deploys`` (ids d1, d2, ... when not given)."""
    raw = tiny(**overrides)
    raw["services"][1] = {**raw["services"][1], "repo": "acme/api", "paths": ["**"]}
    raw["deploys"] = [
        {"id": f"d{i + 1}", "service": "api", "started": f"-{50 - 10 * i}m", **d} for i, d in enumerate(deploys)
    ]
    return raw


def commit(*files: dict, message: str = "Change") -> dict:
    return {"message": message, "files": list(files)}


MODIFY = {"path": "src/api.py", "additions": 3, "deletions": 1}


@pytest.mark.parametrize(
    ("deploys", "message"),
    [
        (
            [{"changes": [commit({"path": "a.py", "change": "moved"})]}],
            "Input should be 'added', 'modified', 'deleted' or 'renamed'",
        ),
        ([{"changes": [commit({"path": "b.py", "change": "renamed"})]}], "a renamed file needs previous_path"),
        (
            [{"changes": [commit({"path": "b.py", "change": "added", "deletions": 2})]}],
            "an added file has no deletions",
        ),
        ([{"sha": "abc123"}], "'abc123' is not a full commit id (40 lowercase hex digits)"),
        ([{"id": "d"}, {"id": "d"}], "deploys: duplicate ids ['d']"),
        ([{"started": "-5m", "finished": "-9m"}], "deploys[0]: finished (2026-10-14T13:58:00Z) is before started"),
        (
            [{"previous_sha": "0" * 40, "changes": [commit(MODIFY)]}],
            "deploys[0].previous_sha: 0000000000000000000000000",
        ),
        (
            [
                {"changes": [commit({"path": "a.py", "change": "deleted", "deletions": 4})]},
                {"changes": [commit({"path": "a.py", "additions": 1})]},
            ],
            "a.py is no longer in acme/api (deleted or renamed)",
        ),
        (
            [{"changes": [commit(MODIFY)]}, {"changes": [commit({"path": "src/api.py", "change": "added"})]}],
            "deploys[1].changes[0].files[0] (src/api.py): added, but acme/api already has it",
        ),
        (
            [
                {"changes": [commit({"path": "n.py", "change": "added", "additions": 10})]},
                {"changes": [commit({"path": "n.py", "change": "deleted", "deletions": 4})]},
            ],
            "deleting it removes its 10 lines, not 4",
        ),
        (
            [
                {"changes": [commit({"path": "n.py", "change": "added", "additions": 10})]},
                {"changes": [commit({"path": "n.py", "deletions": 50})]},
            ],
            "deletes 50 lines of a 10-line file",
        ),
        (
            [
                {"changes": [commit({"path": "n.py", "change": "added", "additions": 10})]},
                {"changes": [commit({"path": "m.py", "change": "renamed", "previous_path": "n.py", "additions": 30})]},
            ],
            "changes too much of n.py for git to see a rename",
        ),
    ],
)
def test_deploy_changes_are_checked_like_a_repository_would(deploys: list[dict], message: str) -> None:
    with pytest.raises(ValidationError) as err:
        Scenario.model_validate(coded(*deploys))
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"expected": {"culprit": "deploy-9"}},
            "expected.culprit: 'deploy-9' is not a deploy of this scenario (deploys: ['d1']; null means no deploy",
        ),
        (
            {"deploys": [{"id": "d1", "service": "web", "started": "-9m", "changes": [commit(MODIFY)]}]},
            "deploys[0]: d1 has commits or SHAs but no repo: set repo on the deploy or on service web",
        ),
    ],
)
def test_culprit_and_repo_are_cross_checked(overrides: dict, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        Scenario.model_validate({**coded({}), **overrides})
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("route_paths", {"/z": ["src/z/**"]}, "route_paths: ['/z'] are not routes of api"),
        ("deploy", {"method": "ftp"}, "services.api.deploy: method: Input should be 'kubectl'"),
    ],
)
def test_service_code_fields_are_checked(field: str, value: object, message: str) -> None:
    raw = coded()
    raw["services"][1][field] = value
    assert message in problem(**raw)


def test_services_config_carries_repo_paths_route_globs_and_deploy_method() -> None:
    raw = coded()
    raw["services"][1].update(route_paths={"/a": ["src/a/**"]}, deploy={"method": "helm", "release": "api-prod"})
    config = parse_config({"services": Scenario.model_validate(raw).services_config()}, base_dir=Path.cwd())
    api = config.service("api")
    assert (api.repo, api.paths, api.routes) == ("acme/api", ["**"], {"/a": ["src/a/**"]})
    assert (api.deploy.method, api.deploy.release) == ("helm", "api-prod")
    assert config.service("web").repo == "" and config.service("web").deploy.method == "kubectl"


def test_shas_are_stable_and_chain_from_deploy_to_deploy() -> None:
    declared = "ab" * 20
    raw = coded(
        {"changes": [commit(MODIFY), commit(MODIFY)]},
        {},
        {"sha": declared, "changes": [commit(MODIFY)]},
        expected={"culprit": None},
    )
    scenario = Scenario.model_validate(raw)
    refs, history = scenario.repos.deploys, scenario.repos.repos["acme/api"]
    assert refs == Scenario.model_validate(raw).repos.deploys  # deterministic
    assert all(re.fullmatch(r"[0-9a-f]{40}", sha) for ref in refs.values() for sha in (ref.sha, ref.previous_sha))
    assert refs["d1"].previous_sha == history.commits[0].sha and refs["d1"].sha == history.commits[2].sha
    assert refs["d2"].sha == refs["d2"].previous_sha == refs["d1"].sha  # no commits: a redeploy
    assert refs["d3"].sha == declared and refs["d3"].previous_sha == refs["d1"].sha
    assert scenario.expected.judges_deploys and scenario.expected.culprit is None
    assert not Scenario.model_validate(tiny()).expected.judges_deploys


# --- the generator -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.model_validate(tiny())


def test_increments_do_not_depend_on_what_was_computed_before(scenario: Scenario) -> None:
    anchor = epoch_minute(scenario.anchor)
    minutes = [anchor - 10_000, anchor - 1440, anchor - 30, anchor, anchor + 7]
    forwards, backwards = SyntheticMetrics(scenario), SyntheticMetrics(scenario)
    ahead = [forwards.increments("api", m) for m in range(anchor - 60, anchor + 8)]
    assert ahead  # forwards has walked through the last hour; backwards starts cold, from the end
    for minute in reversed(minutes):
        assert backwards.increments("api", minute) == forwards.increments("api", minute)
    renamed = SyntheticMetrics(Scenario.model_validate(tiny(name="tiny-two")))
    assert renamed.increments("api", anchor) != forwards.increments("api", anchor)


def test_counters_are_cumulative_and_monotonic(scenario: Scenario) -> None:
    metrics = SyntheticMetrics(scenario)
    first = metrics.first_minute
    assert metrics.counters("web", first) == (0,) * metrics.layouts["web"].width
    by_hand = [0] * metrics.layouts["web"].width
    for minute in range(first + 1, first + 200):
        by_hand = [a + b for a, b in zip(by_hand, metrics.increments("web", minute), strict=True)]
    assert list(metrics.counters("web", first + 199)) == by_hand
    anchor = epoch_minute(scenario.anchor)
    previous = metrics.counters("api", anchor - 90)
    for minute in range(anchor - 89, anchor + 1):
        current = metrics.counters("api", minute)
        assert all(c >= p for c, p in zip(current, previous, strict=True))
        assert [c - p for c, p in zip(current, previous, strict=True)] == list(metrics.increments("api", minute))
        previous = current


def test_buckets_are_cumulative_and_inf_counts_every_request(scenario: Scenario) -> None:
    metrics = SyntheticMetrics(scenario)
    layout = metrics.layouts["api"]
    for minute in range(epoch_minute(scenario.anchor) - 30, epoch_minute(scenario.anchor)):
        values = metrics.increments("api", minute)
        buckets = values[layout.bucket_offset :]
        assert len(buckets) == len(LE_LABELS) and list(buckets) == sorted(buckets)
        assert buckets[-1] == sum(values[: layout.bucket_offset])


def test_events_put_errors_on_their_routes_and_slow_the_service(scenario: Scenario) -> None:
    metrics = SyntheticMetrics(scenario)
    anchor = epoch_minute(scenario.anchor)
    before, during = range(anchor - 80, anchor - 20), range(anchor - 19, anchor + 11)

    def total(minutes: range, index: int) -> int:
        return sum(metrics.increments("api", m)[index] for m in minutes)

    def error_ratio(minutes: range, route: int) -> float:
        return total(minutes, 2 * route + 1) / (total(minutes, 2 * route) + total(minutes, 2 * route + 1))

    assert error_ratio(during, 0) == pytest.approx(0.5, abs=0.05)  # /a fails half the time during the event
    assert error_ratio(before, 0) < 0.05
    assert error_ratio(during, 1) < 0.05  # the other route keeps its normal ratio
    fast = metrics.layouts["api"].bucket_offset + LE_LABELS.index("0.05")
    share_fast = [total(r, fast) / total(r, -1) for r in (before, during)]
    assert share_fast[1] < share_fast[0] / 2  # 4x slower: far fewer answers under 50 ms


def test_noise_varies_but_keeps_the_expected_level(scenario: Scenario) -> None:
    metrics = SyntheticMetrics(scenario)
    anchor = epoch_minute(scenario.anchor) - 1440  # a quiet day-old hour, no event
    counts = [metrics.increments("web", m)[0] for m in range(anchor - 60, anchor)]
    assert len(set(counts)) > 10
    # rps at peak x one hour x the daily wave 1.4 h before the peak: 1 - 0.5 x (1 - cos(2pi 1.4/24)) / 2
    expected = 5 * 3600 * 0.983
    assert sum(counts) == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize("expected", [0.0, 0.3, 4.0, 500.0])
def test_noisy_count_is_a_non_negative_integer_around_the_mean(expected: float) -> None:
    draws = [noisy_count(expected, (i + 0.5) / 2000, ((i * 7919) % 2000 + 0.5) / 2000) for i in range(2000)]
    assert all(isinstance(d, int) and d >= 0 for d in draws)
    assert sum(draws) / len(draws) == pytest.approx(expected, rel=0.05, abs=0.02)


# --- OpenMetrics export ------------------------------------------------------------------------

SAMPLE = re.compile(r"^(http_requests_total|http_request_duration_seconds_bucket)\{([^}]*)\} (\d+) (\d+)$")


def parse_samples(text: str) -> dict[tuple[str, str], list[tuple[int, int]]]:
    series: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not an OpenMetrics sample line: {line!r}"
        name, labels, value, stamp = match.groups()
        series.setdefault((name, labels), []).append((int(stamp), int(value)))
    return series


def test_openmetrics_structure(scenario: Scenario) -> None:
    out = io.StringIO()
    written = write_openmetrics(scenario, out, segments=triage_segments(scenario))
    text = out.getvalue()
    lines = text.splitlines()
    assert lines[:2] == [
        "# HELP http_requests Requests answered, by service, route and status code.",
        "# TYPE http_requests counter",
    ]
    assert lines[-1] == "# EOF" and text.endswith("# EOF\n")
    families = [line.split("{")[0] for line in lines if not line.startswith("#")]
    switch = families.index("http_request_duration_seconds_bucket")
    assert set(families[:switch]) == {"http_requests_total"}  # families are not interleaved
    assert set(families[switch:]) == {"http_request_duration_seconds_bucket"}
    assert "# TYPE http_request_duration_seconds histogram" in lines
    assert 'route="say \\"hi\\""' in text  # label values are escaped
    series = parse_samples(text)
    assert sum(len(points) for points in series.values()) == written
    windows = triage_segments(scenario)
    for points in series.values():
        stamps = [t for t, _ in points]
        assert stamps == sorted(set(stamps)) and all(t % 60 == 0 for t in stamps)
        assert all(any(w.start.timestamp() <= t <= w.end.timestamp() for w in windows) for t in stamps)
        assert [v for _, v in points] == sorted(v for _, v in points)  # counters never go down


def test_segments_carry_the_same_counter_values_as_the_whole_history(scenario: Scenario) -> None:
    segments, whole = io.StringIO(), io.StringIO()
    metrics = SyntheticMetrics(scenario)
    write_openmetrics(scenario, segments, segments=triage_segments(scenario), metrics=metrics)
    write_openmetrics(scenario, whole, metrics=metrics)
    partial, full = parse_samples(segments.getvalue()), parse_samples(whole.getvalue())
    assert partial.keys() == full.keys()
    for key, points in partial.items():
        assert set(points) <= set(full[key]), key
    any_series = next(iter(full.values()))
    assert any_series[0] == (int(scenario.series_start.timestamp()), 0)
    assert any_series[-1][0] == int(scenario.series_end.timestamp())


def test_triage_segments_cover_now_the_three_days_before_and_a_week_ago(scenario: Scenario) -> None:
    windows = triage_segments(scenario)
    for offset in (timedelta(0), timedelta(days=1), timedelta(days=2), timedelta(days=3), timedelta(days=7)):
        moment = scenario.anchor - offset
        assert any(w.start <= moment - timedelta(hours=1, minutes=15) and moment <= w.end for w in windows)
    assert windows == sorted(windows, key=lambda w: w.start)
    assert all(isinstance(w, TimeWindow) for w in windows)
