"""Each health target goes to the one checker that owns it, so two checkers never overwrite each other."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from adapters.errors import ConfigError
from mcp_server.config import ServiceConfig, parse_config
from mcp_server.embedded import scenario_config
from mcp_server.runtime import open_runtime
from mcp_server.triage.engine import run_triage
from mcp_server.triage.routing import route_health

AT = datetime(2026, 3, 14, 3, 7, tzinfo=UTC)


class Checker:
    """A stand-in checker that owns one URL scheme."""

    def __init__(self, name: str, scheme: str) -> None:
        self.name, self.scheme = name, scheme

    def accepts(self, url: str) -> bool:
        return url.startswith(self.scheme + "://")

    async def check_health(self, targets, at):  # noqa: ANN001, ANN201 - not called by routing
        raise AssertionError("routing never checks")


def service(name: str, url: str | None, source: str = "") -> ServiceConfig:
    return ServiceConfig(name=name, health_url=url, health_source=source)


def test_each_target_goes_to_the_checker_of_its_scheme():
    http, tcp = Checker("web", "https"), Checker("ports", "tcp")
    routed, unrouted = route_health(
        [service("api", "https://api/healthz"), service("db", "tcp://db:5432"), service("batch", None)], [http, tcp], AT
    )
    assert {name: [t.service for t in ts] for name, ts in routed.items()} == {"web": ["api"], "ports": ["db"]}
    assert unrouted == []


def test_health_source_overrides_the_scheme_and_an_unknown_one_is_reported():
    first, second = Checker("public", "https"), Checker("internal", "https")
    routed, unrouted = route_health(
        [service("api", "https://api/healthz"), service("admin", "https://admin/healthz", source="internal")],
        [first, second],
        AT,
    )
    assert {name: [t.service for t in ts] for name, ts in routed.items()} == {"public": ["api"], "internal": ["admin"]}
    _, missing = route_health([service("api", "https://api/healthz", source="gone")], [first], AT)
    assert missing[0].status == "unknown" and "'gone'" in missing[0].detail


def test_a_url_no_checker_accepts_is_unknown_with_the_reason_not_dropped():
    routed, unrouted = route_health([service("db", "tcp://db:5432")], [Checker("web", "https")], AT)
    assert routed == {}
    assert [(r.service, r.status) for r in unrouted] == [("db", "unknown")]
    assert "'tcp'" in unrouted[0].detail and "web" in unrouted[0].detail
    _, none = route_health([service("db", "tcp://db:5432")], [], AT)
    assert "no health-check adapter" in none[0].detail


def _with_http_checker_last(name: str):
    config, note, anchor = scenario_config(name)
    raw = config.model_dump(mode="json", exclude={"base_dir"})
    raw["adapters"] = {"replay": {"scenario": name}, "http": {"timeout_s": 1}}
    return parse_config(raw, base_dir=Path.cwd()), anchor


def test_an_http_checker_listed_after_the_replay_one_does_not_overwrite_its_answers():
    # Before routing, every checker was asked for every target and the last answer won: the HTTP
    # checker's "invalid URL: unknown" for replay:// URLs replaced the scenario's real health.
    config, anchor = _with_http_checker_last("bad-deploy")

    async def main():
        async with open_runtime(config, reference=anchor) as runtime:
            return await run_triage(runtime, anchor)

    result = anyio.run(main)
    health = {v.service: v.health for v in result.services if v.health is not None}
    assert health and all(h.status != "unknown" for h in health.values())
    http_status = [s for s in result.sources if s.source == "http"]
    assert http_status == []  # it owned no target, so it was not asked


def test_a_health_source_that_is_not_a_health_checker_is_refused_at_start():
    config, _, anchor = scenario_config("bad-deploy")
    raw = config.model_dump(mode="json", exclude={"base_dir"})
    raw["services"][0]["health_source"] = "nope"

    async def main():
        async with open_runtime(parse_config(raw, base_dir=Path.cwd()), reference=anchor):
            pass

    with pytest.raises(ConfigError, match="health_source"):
        anyio.run(main)
