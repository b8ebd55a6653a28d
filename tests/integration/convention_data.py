"""Synthetic HTTP metrics in one metric convention, and what they imply, computed without PromQL.

Two services answer every minute: ``healthy`` all along, ``failing`` from ONSET on one of its
routes (errors and slow answers). Each series' counter grows by a fixed amount per minute, before
and after the onset, so its cumulative value at any minute is exact; the test's expected error
ratio and p99 come from those values (differences over the window, then the linear interpolation
inside the bucket that a histogram quantile means), not from Prometheus.

Only the windows triage reads are written (around now, a day and a week before), as the scenario
harness does; counters keep counting through the gaps, so a rate in a window is what it would be
over the whole history.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ANCHOR = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
ONSET = ANCHOR - timedelta(minutes=40)
SEGMENTS = tuple(
    (ANCHOR - days - timedelta(hours=2), ANCHOR - days + timedelta(minutes=30))
    for days in (timedelta(days=7), timedelta(days=1), timedelta(0))
)
START = SEGMENTS[0][0]
STATUSES = ("200", "404", "500")

Latency = dict[float, float]
"""Duration in seconds -> share of the requests that took it."""


@dataclass(frozen=True)
class Profile:
    """One route's traffic per minute: requests, share per status code, and its durations."""

    per_minute: float
    status_share: dict[str, float]
    latency: Latency


FAST: Latency = {0.02: 0.9, 0.06: 0.085, 0.3: 0.015}  # no quantile of interest on a bucket bound
SLOW: Latency = {0.2: 0.45, 0.7: 0.35, 1.6: 0.2}
NORMAL = {"200": 0.985, "404": 0.01, "500": 0.005}
BROKEN = {"200": 0.69, "404": 0.01, "500": 0.3}


@dataclass(frozen=True)
class Convention:
    """How one convention names its metrics and labels (as they are stored in Prometheus)."""

    preset: str
    histogram: str
    service_label: str
    route_label: str
    status_label: str
    bounds: tuple[float, ...]
    """Bucket upper bounds in the histogram's own unit."""
    routes: tuple[str, str]
    """A good route, and the one that breaks on the failing service."""
    services: tuple[str, str]
    """The healthy service's name and the failing one's, as their service label carries them."""
    counter: str | None = None
    """The request counter's sample name; None when requests are the histogram's ``_count``."""
    counter_type: str = "counter"
    unit_per_second: float = 1.0
    fixed: dict[str, str] = field(default_factory=dict)
    """Labels every series the preset reads carries."""
    decoy: dict[str, str] = field(default_factory=dict)
    """Labels of a second copy of every series, with other numbers, that the preset must leave out."""
    extra: dict[str, str] = field(default_factory=dict)


PROM_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONVENTIONS = {
    "classic": Convention(
        preset="classic",
        counter="http_requests_total",
        histogram="http_request_duration_seconds",
        service_label="service",
        route_label="route",
        status_label="code",
        bounds=PROM_BUCKETS,
        routes=("/api/cart", "/api/checkout"),
        services=("cart", "payments"),
        extra={"job": "shop"},
    ),
    "otel": Convention(
        preset="otel",
        histogram="http_server_request_duration_seconds",
        service_label="job",
        route_label="http_route",
        status_label="http_response_status_code",
        # The semantic conventions' advised boundaries for http.server.request.duration.
        bounds=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0),
        routes=("/cart/{id}", "/checkout"),
        services=("shop/cart", "shop/payments"),  # job is service.namespace/service.name
        extra={"http_request_method": "GET", "url_scheme": "https", "instance": "pod-1"},
    ),
    "istio": Convention(
        preset="istio",
        counter="istio_requests_total",
        histogram="istio_request_duration_milliseconds",
        service_label="destination_service_name",
        route_label="destination_version",
        status_label="response_code",
        # Istio's default boundaries, in milliseconds.
        bounds=(0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000),
        routes=("v1", "v2"),
        services=("cart", "payments"),
        unit_per_second=1000.0,
        fixed={"reporter": "destination"},
        decoy={"reporter": "source"},  # the client side's view: counted twice if the preset forgot reporter
        extra={"destination_service_namespace": "shop", "source_workload": "frontend"},
    ),
    "ingress-nginx": Convention(
        preset="ingress-nginx",
        counter="nginx_ingress_controller_requests",
        counter_type="unknown",  # no _total suffix, so not an OpenMetrics counter; rate() does not mind
        histogram="nginx_ingress_controller_request_duration_seconds",
        service_label="service",
        route_label="path",
        status_label="status",
        bounds=PROM_BUCKETS,
        routes=("/cart", "/pay"),
        services=("cart", "payments"),
        extra={"ingress": "shop", "namespace": "shop", "method": "GET", "controller_class": "k8s.io/ingress-nginx"},
    ),
}


def profile(convention: Convention, service: str, route: str, after_onset: bool, decoy: bool = False) -> Profile:
    """The failing service's second route breaks at the onset, every decoy series too; the rest stays normal."""
    per_minute = 600.0 if route == convention.routes[0] else 300.0
    if after_onset and (decoy or service == convention.services[1] and route == convention.routes[1]):
        return Profile(per_minute, BROKEN, SLOW)
    return Profile(per_minute, NORMAL, FAST)


@dataclass(frozen=True)
class Series:
    """One request series' labels and its per-minute increments before and after the onset."""

    labels: dict[str, str]
    before: dict[str, float]  # sample suffix -> increment per minute ("" counter, "le=..." buckets, count, sum)
    after: dict[str, float]

    def cumulative(self, key: str, moment: datetime) -> float:
        """The value at ``moment``: counted since START, at the pre-onset pace, then the post-onset one."""
        minutes = (moment - START).total_seconds() / 60
        before = min(minutes, (ONSET - START).total_seconds() / 60)
        return self.before[key] * before + self.after[key] * max(0.0, minutes - before)


def _increments(convention: Convention, prof: Profile, status: str, scale: float) -> dict[str, float]:
    count = prof.per_minute * prof.status_share[status] * scale
    out = {
        "": count,
        "count": count,
        "sum": count * sum(d * w * convention.unit_per_second for d, w in prof.latency.items()),
    }
    for bound in (*convention.bounds, math.inf):
        share = sum(w for d, w in prof.latency.items() if d * convention.unit_per_second <= bound)
        out[f"le={bound}"] = count * share
    return out


def all_series(convention: Convention) -> list[Series]:
    """Every series of both services, the decoy copies included."""
    out = []
    views = [(convention.fixed, 1.0, False)] + ([(convention.decoy, 0.5, True)] if convention.decoy else [])
    for view, scale, decoy in views:
        for service in convention.services:
            for route in convention.routes:
                for status in STATUSES:
                    labels = {
                        convention.service_label: service,
                        convention.route_label: route,
                        convention.status_label: status,
                        **convention.extra,
                        **view,
                    }
                    # A decoy breaks everywhere: counting it would change every answer.
                    before = _increments(convention, profile(convention, service, route, False), status, scale)
                    after = _increments(convention, profile(convention, service, route, True, decoy), status, scale)
                    out.append(Series(labels, before, after))
    return out


def _minutes() -> Iterator[datetime]:
    for start, end in SEGMENTS:
        moment = start
        while moment <= end:
            yield moment
            moment += timedelta(minutes=1)


def _label_text(labels: dict[str, str], **more: str) -> str:
    items = {**labels, **more}
    return ",".join(f'{k}="{v}"' for k, v in items.items())


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(float(bound))


def write_openmetrics(convention: Convention, path: Path) -> int:
    """Write every series as OpenMetrics text for promtool; returns the number of samples."""
    series, lines = all_series(convention), []
    if convention.counter:
        family = convention.counter.removesuffix("_total")
        lines.append(f"# TYPE {family} {convention.counter_type}")
        for moment in _minutes():
            stamp = int(moment.timestamp())
            lines.extend(
                f"{convention.counter}{{{_label_text(s.labels)}}} {s.cumulative('', moment)!r} {stamp}" for s in series
            )
    lines.append(f"# TYPE {convention.histogram} histogram")
    bounds = (*convention.bounds, math.inf)
    for moment in _minutes():
        stamp = int(moment.timestamp())
        for s in series:
            for bound in bounds:
                value = s.cumulative(f"le={bound}", moment)
                lines.append(
                    f"{convention.histogram}_bucket{{{_label_text(s.labels, le=_le(bound))}}} {value!r} {stamp}"
                )
            for key in ("count", "sum"):
                lines.append(
                    f"{convention.histogram}_{key}{{{_label_text(s.labels)}}} {s.cumulative(key, moment)!r} {stamp}"
                )
    lines.append("# EOF")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sum(1 for line in lines if not line.startswith("#"))


def _served(convention: Convention, service: str) -> list[Series]:
    wanted = {convention.service_label: service, **convention.fixed}
    return [s for s in all_series(convention) if all(s.labels.get(k) == v for k, v in wanted.items())]


def _increase(series: list[Series], key: str, end: datetime, width: timedelta) -> float:
    return sum(s.cumulative(key, end) - s.cumulative(key, end - width) for s in series)


def expected_error_ratio(convention: Convention, service: str, end: datetime, width: timedelta) -> float:
    """5xx answers over all answers of ``service`` in the window ending at ``end``."""
    series = _served(convention, service)
    failed = [s for s in series if s.labels[convention.status_label].startswith("5")]
    return _increase(failed, "", end, width) / _increase(series, "", end, width)


def expected_quantile_seconds(convention: Convention, service: str, q: float, end: datetime, width: timedelta) -> float:
    """The ``q`` quantile of the window's durations as buckets bound it (linear inside the bucket), in seconds."""
    series = _served(convention, service)
    bounds = (*convention.bounds, math.inf)
    counts = [_increase(series, f"le={b}", end, width) for b in bounds]
    rank = q * counts[-1]
    for i, (bound, count) in enumerate(zip(bounds, counts, strict=True)):
        if count >= rank:
            if math.isinf(bound):
                return bounds[i - 1] / convention.unit_per_second
            lower, below = (bounds[i - 1], counts[i - 1]) if i else (0.0, 0.0)
            value = lower + (bound - lower) * (rank - below) / (count - below)
            return value / convention.unit_per_second
    raise AssertionError("no bucket holds the rank")


def expected_by_route(convention: Convention, service: str, end: datetime, width: timedelta) -> dict[str, float]:
    """5xx answers per second of each route of ``service`` in the window."""
    series = _served(convention, service)
    by_route: dict[str, list[Series]] = defaultdict(list)
    for s in series:
        if s.labels[convention.status_label].startswith("5"):
            by_route[s.labels[convention.route_label]].append(s)
    return {route: _increase(group, "", end, width) / width.total_seconds() for route, group in by_route.items()}
