"""Deterministic synthetic metrics for a scenario: what its services' counters did, minute by minute.

Per service, route and minute the generator gives request increments for ``code="200"`` and
``code="500"`` (``http_requests_total``), and per service and minute the increments of the
``http_request_duration_seconds_bucket`` histogram. Every series starts at zero at
``scenario.series_start`` and has one sample per minute up to ``scenario.series_end``; the sample at
minute ``T`` counts what happened in ``(T-60s, T]``.

The noise is a hash of (scenario, series, minute), never a sequential random generator: the
increments of any minute are computed on their own, so a query about last Tuesday does not replay
the week before it, and the numbers never depend on the order of the questions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from hashlib import blake2b

from adapters.replay.scenario import Scenario, ScenarioEvent, ScenarioService

BUCKET_BOUNDS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Finite upper bounds of the latency histogram, in seconds; ``+Inf`` follows them."""
LE_LABELS: tuple[str, ...] = tuple(f"{b:g}" for b in BUCKET_BOUNDS) + ("+Inf",)
CODES: tuple[str, ...] = ("200", "500")
REQUESTS_METRIC = "http_requests_total"
BUCKET_METRIC = "http_request_duration_seconds_bucket"
OVERDISPERSION = 1.5
"""Real traffic is burstier than Poisson: the spread of large counts is widened by this factor."""
LATENCY_JITTER = 0.05
"""Minute-to-minute wobble of the median latency (standard deviation of its logarithm)."""
_POISSON_BELOW = 40.0
_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_CHECKPOINT = 60


def epoch_minute(moment: datetime) -> int:
    """The minute number of a whole-minute UTC moment (seconds since 1970 over 60)."""
    return int(moment.timestamp()) // 60


def _seed(*parts: str) -> int:
    return int.from_bytes(blake2b("\x1f".join(parts).encode(), digest_size=8).digest(), "big")


def _mix(value: int) -> int:
    # splitmix64's finaliser: a fast, well-spread 64-bit hash of (series seed, minute).
    value = (value + _GOLDEN) & _M64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _M64
    return value ^ (value >> 31)


def _uniforms(seed: int, minute: int) -> tuple[float, float]:
    """Two independent uniforms in (0, 1) for one series and minute."""
    h = _mix(seed ^ ((minute * _GOLDEN) & _M64))
    return ((h >> 32) + 0.5) / 4294967296.0, ((h & 0xFFFFFFFF) + 0.5) / 4294967296.0


def noisy_count(expected: float, u1: float, u2: float) -> int:
    """A non-negative integer count around ``expected``: Poisson when small, widened normal when large."""
    if expected <= 0:
        return 0
    if expected < _POISSON_BELOW:
        # Inverse transform of the Poisson CDF: exact for the tiny volumes where it matters.
        p = cumulative = math.exp(-expected)
        k, cap = 0, int(expected + 20 * math.sqrt(expected) + 20)
        while u1 > cumulative and k < cap:
            k += 1
            p *= expected / k
            cumulative += p
        return k
    z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
    return max(0, round(expected + z * math.sqrt(expected) * OVERDISPERSION))


def traffic_shape(service: ScenarioService, seconds: float) -> float:
    """The share of peak traffic at a moment (seconds since 1970): a daily wave, lower at weekends."""
    traffic = service.traffic
    hour = (seconds / 3600.0) % 24.0
    wave = (1.0 - math.cos(2.0 * math.pi * (hour - traffic.peak_hour_utc) / 24.0)) / 2.0  # 0 at peak, 1 at trough
    daily = 1.0 - traffic.daily_amplitude * wave
    weekday = (int(seconds // 86400) + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    return daily * (1.0 - traffic.weekly_amplitude if weekday >= 5 else 1.0)


@dataclass(frozen=True, slots=True)
class _Window:
    start: float
    end: float
    daily: bool
    since: float | None = None  # daily only: occurrences starting earlier are off

    @classmethod
    def of(cls, event: ScenarioEvent) -> _Window:
        since = event.since.timestamp() if event.since is not None else None
        return cls(event.start.timestamp(), event.end.timestamp(), event.repeat == "daily", since)

    def covers(self, seconds: float) -> bool:
        # Same rule as ScenarioEvent.active, on floats: this runs for every series and minute.
        if self.daily:
            shift = math.floor((seconds - self.start) / 86400.0) * 86400.0
            if self.since is not None and self.start + shift < self.since:
                return False
            seconds -= shift
        return self.start <= seconds <= self.end


@dataclass(frozen=True, slots=True)
class ServiceLayout:
    """Where each series of one service sits in a flat tuple of values.

    ``values[2*i]`` and ``values[2*i+1]`` are route ``routes[i]`` with code 200 and 500; then come
    the histogram buckets in ``LE_LABELS`` order (cumulative over ``le``, ``+Inf`` = all requests).
    """

    service: str
    routes: tuple[str, ...]

    @property
    def bucket_offset(self) -> int:
        """Index of the first histogram bucket."""
        return 2 * len(self.routes)

    @property
    def width(self) -> int:
        """How many values one minute has."""
        return 2 * len(self.routes) + len(LE_LABELS)


class SyntheticMetrics:
    """Increments and counter values of every series of a scenario, computed on demand."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.first_minute = epoch_minute(scenario.series_start)
        self.last_minute = epoch_minute(scenario.series_end)
        self.layouts = {s.name: ServiceLayout(s.name, tuple(s.routes)) for s in scenario.services}
        self._services = {s.name: s for s in scenario.services}
        self._windows = {s.name: [(e, _Window.of(e)) for e in scenario.events_for(s.name)] for s in scenario.services}
        self._seeds = {s.name: self._service_seeds(s) for s in scenario.services}
        self._cache: dict[tuple[str, int], tuple[int, ...]] = {}
        self._checkpoints: dict[str, list[tuple[int, ...]]] = {}

    def _service_seeds(self, service: ScenarioService) -> list[int]:
        base = (self.scenario.name, REQUESTS_METRIC, service.name)
        seeds = [_seed(*base, route, code) for route in service.routes for code in CODES]
        return [*seeds, _seed(self.scenario.name, BUCKET_METRIC, service.name)]

    def increments(self, service: str, minute: int) -> tuple[int, ...]:
        """What each series of ``service`` gained in the minute ending at ``minute`` (an epoch minute).

        Zero at the series start and outside the data: a series starts at zero and then grows.
        """
        key = (service, minute)
        cached = self._cache.get(key)
        if cached is None:
            if len(self._cache) > 500_000:
                self._cache.clear()  # bound memory; recomputing a minute is cheap and gives the same numbers
            cached = self._cache[key] = self._compute(service, minute)
        return cached

    def counters(self, service: str, minute: int) -> tuple[int, ...]:
        """The counter values of every series of ``service`` at the sample of ``minute``."""
        minute = min(max(minute, self.first_minute), self.last_minute)
        points = self._checkpoints.get(service) or self._build_checkpoints(service)
        index = (minute - self.first_minute) // _CHECKPOINT
        values = list(points[index])
        for m in range(self.first_minute + index * _CHECKPOINT + 1, minute + 1):
            for i, v in enumerate(self.increments(service, m)):
                values[i] += v
        return tuple(values)

    def _build_checkpoints(self, service: str) -> list[tuple[int, ...]]:
        # One pass over the whole history, keeping the totals every hour: later lookups add <60 minutes.
        width = self.layouts[service].width
        values = [0] * width
        points = [tuple(values)]
        for m in range(self.first_minute + 1, self.last_minute + 1):
            for i, v in enumerate(self._compute(service, m)):
                values[i] += v
            if (m - self.first_minute) % _CHECKPOINT == 0:
                points.append(tuple(values))
        self._checkpoints[service] = points
        return points

    def _compute(self, service_name: str, minute: int) -> tuple[int, ...]:
        layout = self.layouts[service_name]
        if minute <= self.first_minute or minute > self.last_minute:
            return (0,) * layout.width
        service = self._services[service_name]
        middle = minute * 60.0 - 30.0  # the minute (T-60s, T] is affected when its middle is
        latency, traffic = 1.0, 1.0
        ratios = dict.fromkeys(service.routes, service.error_ratio)
        for event, window in self._windows[service_name]:
            if window.covers(middle):
                latency *= event.latency_factor
                traffic *= event.traffic_factor
                if event.error_ratio is not None:
                    for route in event.error_routes or service.routes:
                        ratios[route] = event.error_ratio
        per_minute = service.traffic.rps * 60.0 * traffic_shape(service, middle) * traffic
        seeds = self._seeds[service_name]
        values: list[int] = []
        for i, (route, share) in enumerate(service.routes.items()):
            expected = per_minute * share
            errors = expected * ratios[route]
            values.append(noisy_count(expected - errors, *_uniforms(seeds[2 * i], minute)))
            values.append(noisy_count(errors, *_uniforms(seeds[2 * i + 1], minute)))
        values.extend(self._buckets(service, sum(values), latency, _uniforms(seeds[-1], minute)))
        return tuple(values)

    @staticmethod
    def _buckets(service: ScenarioService, total: int, factor: float, uniforms: tuple[float, float]) -> list[int]:
        """Cumulative bucket counts of ``total`` requests drawn from the (jittered) log-normal."""
        u1, u2 = uniforms
        jitter = LATENCY_JITTER * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
        log_median = math.log(service.latency_ms.p50 / 1000.0 * factor) + jitter
        scale = service.latency_ms.sigma * math.sqrt(2.0)
        # Rounding a non-decreasing CDF keeps the buckets cumulative; +Inf is exactly every request.
        counts = [round(total * 0.5 * math.erfc(-(math.log(b) - log_median) / scale)) for b in BUCKET_BOUNDS]
        return [*counts, total]
