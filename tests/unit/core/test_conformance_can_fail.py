"""The shipped conformance checks fail an adapter that breaks the contract (they are not a rubber stamp).

Four adapters (tests/unit/core/conformance_examples/broken_adapters.py) are registered under entry
points by a hand-written dist-info and run through the plugin in a subprocess, as a third party
would run it: the one that keeps the contract passes every check, and each broken one fails
exactly the checks its breakage concerns: naive datetimes, a bare httpx exception, a leaked client.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conformance_run import Outcome, run_pytest

HERE = Path(__file__).parent / "conformance_examples"

ENTRY_POINTS = """[firstfifteen.adapters]
good_deploys = broken_adapters:GoodDeploys
naive_times = broken_adapters:NaiveTimes
bare_exceptions = broken_adapters:BareExceptions
leaky_client = broken_adapters:LeakyClient
"""

SUITE = """
from adapters.testing import ConformanceCase, ConformanceSuite, json_route, every

URL = "https://deploys.example.test"
BACKEND = every(
    json_route(URL + "/status", {"version": "1.2"}),
    json_route(URL + "/deploys", [
        {"id": "d-1", "service": "checkout", "started_at": "2026-03-14T02:30:00+00:00"},
        {"id": "d-0", "service": "checkout", "started_at": "2026-03-13T02:30:00+00:00"},
    ]),
)


def case(entry_point):
    return ConformanceCase(
        entry_point=entry_point, settings={"url": URL, "timeout_s": 5}, backend=BACKEND,
        url_setting="url", deadline_setting="timeout_s",
    )


class TestGood(ConformanceSuite):
    case = case("good_deploys")


class TestNaive(ConformanceSuite):
    case = case("naive_times")


class TestBare(ConformanceSuite):
    case = case("bare_exceptions")


class TestLeaky(ConformanceSuite):
    case = case("leaky_client")
"""


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Outcome]]:
    site, run = tmp_path_factory.mktemp("site"), tmp_path_factory.mktemp("run")
    shutil.copy(HERE / "broken_adapters.py", site / "broken_adapters.py")
    info = site / "broken_adapters-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-adapters\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    (run / "conftest.py").write_text('pytest_plugins = ["adapters.testing.plugin"]\n')
    (run / "test_broken_suite.py").write_text(SUITE)
    process, found = run_pytest(run, [site], "-W", "error")
    assert found, process.stdout[-3000:] + process.stderr[-2000:]
    by_class: dict[str, list[Outcome]] = {}
    for outcome in found:
        by_class.setdefault(outcome.classname.rsplit(".", 1)[-1], []).append(outcome)
    return by_class


def failed(outcomes: list[Outcome]) -> dict[str, str]:
    return {o.name.replace("[asyncio-", "[").replace("[asyncio]", ""): o.message for o in outcomes if not o.passed}


def test_the_adapter_that_keeps_the_contract_passes_every_check(outcomes):
    assert len(outcomes["TestGood"]) >= 17 and failed(outcomes["TestGood"]) == {}


def test_naive_datetimes_fail_the_answer_check(outcomes):
    problems = failed(outcomes["TestNaive"])
    assert list(problems) == ["test_answers_are_our_models_in_utc_inside_the_window[deploys.list_deploys]"]
    assert "does not validate" in problems["test_answers_are_our_models_in_utc_inside_the_window[deploys.list_deploys]"]


def test_a_bare_exception_fails_the_failure_checks(outcomes):
    problems = failed(outcomes["TestBare"])
    for fault in ("500", "503", "401", "403", "429", "html-login-page", "timeout", "refused", "refused-port"):
        message = problems[f"test_failing_backend_raises_only_documented_errors[{fault}]"]
        assert "escaped" in message, message
    assert not any(name.startswith("test_answers") or name.startswith("test_check") for name in problems)


def test_a_leaked_client_fails_the_closed_check(outcomes):
    problems = failed(outcomes["TestLeaky"])
    assert "test_check_answers_on_a_working_backend" in problems
    assert "left open: ['httpx client" in problems["test_check_answers_on_a_working_backend"]
    assert "test_answers_are_our_models_in_utc_inside_the_window[deploys.list_deploys]" in problems
