"""The replay adapter: Prometheus 2.x arithmetic on hand-computed examples, and every capability."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from adapters.base import AdapterContext
from adapters.errors import NotFoundError
from adapters.models import HealthTarget, TimeWindow
from adapters.registry import load_adapter_class
from adapters.replay.adapter import ReplayAdapter, ReplaySettings
from adapters.replay.promql import bucket_quantile, evaluate, service_rates
from adapters.replay.synthetic import BUCKET_BOUNDS, ServiceLayout, epoch_minute
from mcp_server.config import SignalsConfig
from mcp_server.signals import build_query

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
FIRST = 28_000_000  # an epoch minute: where the stub's series start
PER_MINUTE = (60, 6, 0, 0, 0, 6, 30, 60, 66, 66, 66, 66, 66, 66)
"""Stub increments every minute: /a 200 and 500, then cumulative buckets (+Inf = 66 = 60 + 6)."""


class StubMetrics:
    """Constant increments, so every rate can be computed by hand."""

    first_minute = FIRST
    last_minute = FIRST + 100
    layouts = {"svc": ServiceLayout("svc", ("/a",))}

    def increments(self, service: str, minute: int) -> tuple[int, ...]:
        inside = self.first_minute < minute <= self.last_minute
        return PER_MINUTE if inside else (0,) * len(PER_MINUTE)

    def counters(self, service: str, minute: int) -> tuple[int, ...]:
        minutes = min(max(minute, self.first_minute), self.last_minute) - self.first_minute
        return tuple(v * minutes for v in PER_MINUTE)


def ms(minute: float) -> int:
    return int(minute * 60_000)


def test_rate_at_a_whole_minute_is_the_sum_of_increments_over_the_range() -> None:
    rates = service_rates(StubMetrics(), "svc", ms(FIRST + 50), 900_000)
    assert rates is not None
    assert rates[0] == pytest.approx(15 * 60 / 900)  # 1.0 request/s of /a 200
    assert rates[1] == pytest.approx(15 * 6 / 900)


def test_rate_between_minutes_extrapolates_like_prometheus() -> None:
    # Samples at FIRST+36..FIRST+50 (14 minutes apart), range ends 30 s past each end: Prometheus
    # stretches 840 counted requests over 900 s of range, i.e. 840 x 900/840 / 900 = 1.0.
    rates = service_rates(StubMetrics(), "svc", ms(FIRST + 50.5), 900_000)
    assert rates is not None and rates[0] == pytest.approx(1.0)


def test_rate_next_to_the_series_start_stops_extrapolating_at_zero() -> None:
    # Samples FIRST..FIRST+5, query at +5.5 min over 15 min: 300 requests in 300 s sampled. The counter
    # is 0 at the first sample, so no extrapolation before it; 30 s after the last: 300 x 330/300/900.
    rates = service_rates(StubMetrics(), "svc", ms(FIRST + 5.5), 900_000)
    assert rates is not None and rates[0] == pytest.approx(330 / 900)


def test_rate_needs_two_samples() -> None:
    assert service_rates(StubMetrics(), "svc", ms(FIRST + 0.5), 60_000) is None
    assert service_rates(StubMetrics(), "svc", ms(FIRST + 200), 900_000) is None


@pytest.mark.parametrize(
    ("quantile", "counts", "expected"),
    [
        # rank 50 falls in (0.1, 0.25] holding 50 of them, 20 past its start: 0.1 + 0.15 x 20/50
        (0.5, [0, 0, 0, 10, 30, 80, 100, 100, 100, 100, 100, 100], 0.16),
        (0.99, [0, 0, 0, 10, 30, 80, 100, 100, 100, 100, 100, 100], 0.25 + 0.25 * 19 / 20),
        (0.5, [40, 80, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100], 0.005 * 50 / 40),
        (0.95, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 90, 100], 10.0),  # rank in +Inf: the highest finite bound
        (0.5, [0] * 12, None),  # no requests: NaN
    ],
)
def test_bucket_quantile_interpolates_like_histogram_quantile(
    quantile: float, counts: list[float], expected: float | None
) -> None:
    assert len(counts) == len(BUCKET_BOUNDS) + 1
    result = bucket_quantile(quantile, counts)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("signal", "quantile", "expected"),
    [
        ("requests", None, {(("service", "svc"),): 66 / 60}),
        ("errors", None, {(("service", "svc"),): 6 / 60}),
        ("route_requests", None, {(("route", "/a"), ("service", "svc")): 66 / 60}),
        ("route_errors", None, {(("route", "/a"), ("service", "svc")): 6 / 60}),
        # 66 a minute, 30 of them within 0.1 s and 60 within 0.25 s: rank 0.5 x 66 = 33 is the 3rd
        # of the 30 in (0.1, 0.25], so 0.1 + 0.15 x 3/30 = 0.115
        ("latency", 0.5, {(("service", "svc"),): 0.115}),
    ],
)
def test_signals_sum_the_right_series(signal: str, quantile: float | None, expected: dict) -> None:
    query = build_query(SignalsConfig(), signal, ["svc", "unknown"], range_seconds=900, quantile=quantile)
    result = evaluate(StubMetrics(), query, ms(FIRST + 60))  # type: ignore[arg-type]
    assert result.keys() == expected.keys()  # the unknown service is absent, as in Prometheus
    for key, value in expected.items():
        assert result[key] == pytest.approx(value)


# --- the adapter over bundled scenarios ---------------------------------------------------------


@pytest.fixture
async def http(anyio_backend: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def replay(scenario: str, http: httpx.AsyncClient, base_dir: Path | None = None) -> ReplayAdapter:
    context = AdapterContext(base_dir=base_dir or Path.cwd())
    return ReplayAdapter("replay", ReplaySettings(scenario=scenario), http, context)


def test_registered_under_its_entry_point() -> None:
    assert load_adapter_class("replay") is ReplayAdapter
    capabilities = {"metrics", "health", "deploys", "provider_events", "alerts", "changes", "logs"}
    assert ReplayAdapter.capabilities == capabilities


async def test_unknown_scenario_fails_at_start(http: httpx.AsyncClient) -> None:
    with pytest.raises(NotFoundError) as err:
        replay("no-such-scenario", http)
    assert "bad-deploy" in err.value.hint


async def test_instant_matches_the_generator(http: httpx.AsyncClient) -> None:
    adapter = replay("bad-deploy", http)
    anchor = adapter.scenario.anchor
    assert "bad-deploy" in await adapter.check()
    query = build_query(SignalsConfig(), "errors", ["checkout", "payments"], range_seconds=900)
    samples = {s.labels["service"]: s.value for s in await adapter.instant(query, anchor)}
    assert samples.keys() == {"checkout", "payments"}
    layout, last = adapter.metrics.layouts["checkout"], epoch_minute(anchor)
    minutes = range(last - 14, last + 1)
    errors = sum(sum(adapter.metrics.increments("checkout", m)[1 : layout.bucket_offset : 2]) for m in minutes)
    assert samples["checkout"] == pytest.approx(errors / 900)
    assert samples["checkout"] > 10 * (samples["payments"] or 0)  # the bad deploy shows
    assert adapter.query_link(query.promql, TimeWindow.ending_at(anchor, timedelta(hours=1))) == ""


async def test_range_has_one_point_per_step(http: httpx.AsyncClient) -> None:
    adapter = replay("bad-deploy", http)
    window = TimeWindow.ending_at(adapter.scenario.anchor, timedelta(hours=1))
    query = build_query(SignalsConfig(), "latency", adapter.scenario.names(), range_seconds=300, quantile=0.99)
    series = await adapter.range(query, window, timedelta(minutes=1))
    assert {s.labels["service"] for s in series} == set(adapter.scenario.names())
    for one in series:
        assert [p.t for p in one.points] == [window.start + timedelta(minutes=i) for i in range(61)]
    checkout = next(s for s in series if s.labels["service"] == "checkout")
    assert checkout.points[-1].v > checkout.points[0].v  # the deploy made it slower


async def test_deploys_and_provider_events_as_of_the_window_end(http: httpx.AsyncClient) -> None:
    adapter = replay("upstream-dependency", http)
    anchor = adapter.scenario.anchor
    deploys = await adapter.list_deploys(TimeWindow.ending_at(anchor, timedelta(hours=1)))
    assert [(d.service, d.status, d.source) for d in deploys] == [("accounts", "succeeded", "replay")]
    rolling = await adapter.list_deploys(TimeWindow.ending_at(anchor - timedelta(minutes=32), timedelta(hours=1)))
    assert [(d.status, d.finished_at) for d in rolling] == [("in_progress", None)]
    events = await adapter.list_events(TimeWindow.ending_at(anchor, timedelta(hours=1)))
    assert [(e.provider, e.status, e.resolved_at) for e in events] == [("aws", "investigating", None)]
    assert await adapter.list_events(TimeWindow.ending_at(anchor - timedelta(minutes=30), timedelta(minutes=5))) == []


async def test_resolved_provider_event_and_flapping_alert(http: httpx.AsyncClient) -> None:
    adapter = replay("quiet-night", http)
    anchor = adapter.scenario.anchor
    events = await adapter.list_events(TimeWindow.ending_at(anchor, timedelta(hours=1)))
    assert [(e.status, e.resolved_at) for e in events] == [("resolved", anchor - timedelta(minutes=40))]
    firing = {offset: await adapter.list_alerts(anchor - timedelta(minutes=offset)) for offset in (0, 6, 8, 10)}
    assert [a.name for a in firing[0]] == ["FrontendTrafficDrop"]
    assert firing[8] == [] and len(firing[6]) == 1 and len(firing[10]) == 1
    assert firing[0][0].labels["alertname"] == "FrontendTrafficDrop"
    assert firing[0][0].fingerprint == firing[6][0].fingerprint  # the same alert, firing again


async def test_health_follows_events(http: httpx.AsyncClient, tmp_path: Path) -> None:
    raw = yaml.safe_load((FIXTURES / "bad-deploy" / "scenario.yaml").read_text(encoding="utf-8"))
    raw["name"] = "payments-down"
    raw["events"].append({"service": "payments", "from": "-10m", "to": "+5m", "health": "down"})
    (tmp_path / "payments-down").mkdir()
    (tmp_path / "payments-down" / "scenario.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    adapter = replay("payments-down", http, base_dir=tmp_path)  # a folder name relative to base_dir
    anchor = adapter.scenario.anchor
    targets = [HealthTarget(service=s["name"], url=s["health_url"]) for s in adapter.scenario.services_config()]
    targets.append(HealthTarget(service="ghost", url="replay://x/ghost/healthz"))
    now = {r.service: r for r in await adapter.check_health(targets, anchor)}
    assert now["payments"].status == "down" and now["payments"].http_status == 503
    assert now["checkout"].status == "up" and now["checkout"].checked_at == anchor
    assert now["ghost"].status == "unknown" and "not in replay scenario" in now["ghost"].detail
    later = {r.service: r.status for r in await adapter.check_health(targets, anchor + timedelta(minutes=6))}
    assert later["payments"] == "up"


async def test_moments_outside_the_data_have_no_samples(http: httpx.AsyncClient) -> None:
    adapter = replay("bad-deploy", http)
    query = build_query(SignalsConfig(), "requests", adapter.scenario.names(), range_seconds=900)
    assert await adapter.instant(query, adapter.scenario.anchor - timedelta(days=9)) == []
    assert await adapter.instant(query, adapter.scenario.anchor + timedelta(hours=2)) == []
    first = await adapter.instant(query, adapter.scenario.series_start + timedelta(minutes=10))
    assert len(first) == len(adapter.scenario.services)


# --- the change source -------------------------------------------------------------------------


async def test_deploys_name_their_repo_and_commits(http: httpx.AsyncClient) -> None:
    adapter = replay("config-pool-size", http)
    deploys = await adapter.list_deploys(TimeWindow.ending_at(adapter.scenario.anchor, timedelta(hours=6)))
    refs = adapter.scenario.repos.deploys
    assert [(d.id, d.repo, d.sha, d.previous_sha) for d in deploys] == [
        (d.id, "acme/shop", refs[d.id].sha, refs[d.id].previous_sha) for d in deploys
    ]
    assert len(deploys) == 5 and adapter.knows("acme/shop")
    assert not adapter.knows("acme/other") and not adapter.knows("")


async def test_a_deploys_change_set(http: httpx.AsyncClient) -> None:
    adapter = replay("config-pool-size", http)
    ref = adapter.scenario.repos.deploys["deploy-3101"]
    changes = await adapter.get_changes("acme/shop", ref.previous_sha, ref.sha)
    assert (changes.repo, changes.base, changes.head, changes.source, changes.note) == (
        "acme/shop",
        ref.previous_sha,
        ref.sha,
        "replay",
        "",
    )
    assert [(c.sha, c.author, c.message) for c in changes.commits] == [
        (ref.sha, "tom.becker", "Orders: align production database settings with staging")
    ]
    assert [(f.path, f.change, f.category, f.additions, f.deletions) for f in changes.files] == [
        ("services/orders/config/production.yaml", "modified", "config", 1, 1)
    ]


async def test_commits_newest_first_and_every_kind_of_file(http: httpx.AsyncClient) -> None:
    adapter = replay("upstream-deploy", http)
    ref = adapter.scenario.repos.deploys["deploy-6614"]
    changes = await adapter.get_changes("acme/notifications", ref.previous_sha[:10], ref.sha[:7])  # short SHAs
    assert changes.base == ref.previous_sha and changes.head == ref.sha
    assert [c.message for c in changes.commits] == [
        "Notifications: move the sender next to the renderer",
        "Notifications: templates in the new rendering engine",
    ]
    assert changes.commits[0].committed_at > changes.commits[1].committed_at
    files = {f.path: (f.change, f.category, f.additions, f.deletions, f.previous_path) for f in changes.files}
    assert files == {
        "src/notifications/render/engine.py": ("added", "code", 240, 0, ""),
        "src/notifications/render/legacy.py": ("deleted", "code", 0, 150, ""),
        "src/notifications/render/sender.py": ("renamed", "code", 8, 4, "src/notifications/sender.py"),
        "src/notifications/templates/order_shipped.py": ("modified", "code", 60, 45, ""),
        "tests/test_engine.py": ("added", "tests", 55, 0, ""),
    }


async def test_a_range_over_two_deploys_counts_the_net_change(http: httpx.AsyncClient) -> None:
    adapter = replay("two-deploys", http)
    first, second = (adapter.scenario.repos.deploys[d] for d in ("deploy-7301", "deploy-7302"))
    changes = await adapter.get_changes("acme/platform", first.previous_sha, second.sha)
    assert len(changes.commits) == 4 and changes.commits[0].sha == second.sha
    tests = next(f for f in changes.files if f.path == "services/search/tests/query/test_parser.py")
    assert (tests.change, tests.additions, tests.deletions) == ("modified", 64 + 40, 8)
    back = await adapter.get_changes("acme/platform", second.sha, first.previous_sha)  # a rollback of both
    assert back.note.startswith("rollback:") and len(back.commits) == 4
    tokenizer_tests = next(f for f in back.files if f.path == "services/search/tests/query/test_tokenizer.py")
    assert (tokenizer_tests.change, tokenizer_tests.deletions) == ("deleted", 30)
    same = await adapter.get_changes("acme/platform", second.sha, second.sha)
    assert same.commits == [] and same.files == [] and "same commit" in same.note


async def test_unknown_commit_or_repo_is_not_found_by_name(http: httpx.AsyncClient) -> None:
    adapter = replay("two-deploys", http)
    ref = adapter.scenario.repos.deploys["deploy-7301"]
    with pytest.raises(NotFoundError) as err:
        await adapter.get_changes("acme/platform", "f" * 40, ref.sha)
    assert "ffffffffff" in err.value.message and "acme/platform" in err.value.message
    assert "list_deploys" in err.value.hint
    with pytest.raises(NotFoundError) as err:
        await adapter.get_changes("acme/elsewhere", ref.previous_sha, ref.sha)
    assert "'acme/elsewhere'" in err.value.message and "acme/platform" in err.value.hint
