"""Integration fixtures: one real Prometheus per bundled scenario, started lazily, once per session.

``prometheus_<scenario>`` (dashes become underscores, e.g. ``prometheus_bad_deploy``) is a
session-scoped fixture per bundled scenario; ``prometheus_for(name)`` gives the same servers by
name, for tests parametrized over scenarios; ``prometheus_full_history`` serves the whole
history of one scenario, for the edges the segments leave out. A missing prometheus or promtool fails the test with
the install hint: these tests never skip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from prometheus_server import PrometheusHarnessError, PrometheusServer, find_binary, fixture_name, prometheus_server

from adapters.replay.scenario import list_scenarios, load_scenario

FULL_HISTORY_SCENARIO = "quiet-night"  # its nightly quiet hour repeats over the whole history


@pytest.fixture(scope="session")
def prometheus_for() -> Iterator[Callable[[str], PrometheusServer]]:
    """Start (on first use) and return the Prometheus serving a bundled scenario; all stop at the end."""
    servers: dict[str, PrometheusServer] = {}
    with ExitStack() as stack:

        def get(name: str) -> PrometheusServer:
            if name not in servers:
                try:
                    find_binary("prometheus"), find_binary("promtool")
                    servers[name] = stack.enter_context(prometheus_server(load_scenario(name)))
                except PrometheusHarnessError as exc:
                    pytest.fail(str(exc), pytrace=False)  # a broken setup must fail, never skip
            return servers[name]

        yield get


@pytest.fixture(scope="session")
def prometheus_full_history() -> Iterator[PrometheusServer]:
    """A real Prometheus holding every minute of the quiet-night scenario (8 days and 30 minutes)."""
    try:
        with prometheus_server(load_scenario(FULL_HISTORY_SCENARIO), segments=None) as server:
            yield server
    except PrometheusHarnessError as exc:
        pytest.fail(str(exc), pytrace=False)


def _scenario_fixture(name: str) -> Callable[..., PrometheusServer]:
    @pytest.fixture(scope="session", name=fixture_name(name))
    def serve(prometheus_for: Callable[[str], PrometheusServer]) -> PrometheusServer:
        return prometheus_for(name)

    serve.__doc__ = f"A real Prometheus serving the {name!r} scenario."
    return serve


for _name in list_scenarios():
    globals()[fixture_name(_name)] = _scenario_fixture(_name)
