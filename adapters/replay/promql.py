"""What Prometheus 2.x answers for the default signal queries, computed straight from the generator.

The replay adapter must agree with a real Prometheus (2.42, as Debian ships it) that holds the
exported samples, so this module mirrors its arithmetic rather than an idealised rate:

- ``rate(x[r])`` at ``t`` reads the samples in ``[t-r, t]`` (Prometheus 2.x includes both ends),
  takes last minus first and extrapolates towards the range ends as ``extrapolatedRate`` does;
  with whole-minute ``t`` and ``r`` that is exactly the sum of the increments in ``(t-r, t]`` / r.
- ``histogram_quantile`` interpolates linearly inside the bucket holding the rank, answers the
  highest finite bound when the rank falls in ``+Inf``, and NaN (here ``None``) with no observations.
- Series with fewer than two samples in the range are dropped, so are groups with no series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from adapters.models import Point, Sample, Series, SignalQuery, TimeWindow
from adapters.replay.synthetic import BUCKET_BOUNDS, LE_LABELS, SyntheticMetrics

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE_MS = 60_000
Labels = tuple[tuple[str, str], ...]


def to_ms(moment: datetime) -> int:
    """Milliseconds since 1970, as Prometheus truncates query times."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    """The UTC moment of a millisecond timestamp."""
    return _EPOCH + timedelta(milliseconds=ms)


def service_rates(metrics: SyntheticMetrics, service: str, at_ms: int, range_ms: int) -> list[float] | None:
    """``rate()`` of every series of ``service`` at ``at_ms``, in the layout's order; None without data."""
    start_ms = at_ms - range_ms
    first = max(-(-start_ms // _MINUTE_MS), metrics.first_minute)  # first sample at or after the range start
    last = min(at_ms // _MINUTE_MS, metrics.last_minute)
    if last - first < 1:
        return None  # Prometheus needs two samples for a rate
    deltas = [0] * metrics.layouts[service].width
    for minute in range(first + 1, last + 1):
        for i, increment in enumerate(metrics.increments(service, minute)):
            deltas[i] += increment
    to_start = (first * _MINUTE_MS - start_ms) / 1000.0
    to_end = (at_ms - last * _MINUTE_MS) / 1000.0
    sampled = (last - first) * 60.0
    starts: list[int] | None = None
    rates = []
    for i, delta in enumerate(deltas):
        duration_to_start = to_start
        if delta > 0 and to_start > 0:
            # A counter cannot go below zero: do not extrapolate past the moment it would reach it.
            starts = starts or list(metrics.counters(service, first))
            duration_to_start = min(to_start, sampled * (starts[i] / delta))
        rates.append(_extrapolate(float(delta), duration_to_start, to_end, sampled, range_ms / 1000.0))
    return rates


def _extrapolate(delta: float, to_start: float, to_end: float, sampled: float, range_seconds: float) -> float:
    """Prometheus 2.x ``extrapolatedRate`` for evenly spaced samples one minute apart."""
    threshold = 60.0 * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else 30.0
    interval += to_end if to_end < threshold else 30.0
    return delta * (interval / sampled / range_seconds)


def bucket_quantile(quantile: float, counts: Sequence[float]) -> float | None:
    """Prometheus's ``bucketQuantile`` over cumulative ``counts`` for ``BUCKET_BOUNDS`` and +Inf."""
    if quantile < 0:
        return -math.inf
    if quantile > 1:
        return math.inf
    monotonic = [max(counts[: i + 1]) for i in range(len(counts))]  # ensureMonotonic
    observations = monotonic[-1]
    if observations == 0:
        return None  # NaN: no requests in the range
    rank = quantile * observations
    bucket = next((i for i, c in enumerate(monotonic[:-1]) if c >= rank), len(monotonic) - 1)
    if bucket == len(monotonic) - 1:
        return BUCKET_BOUNDS[-1]
    below = monotonic[bucket - 1] if bucket > 0 else 0.0
    count = monotonic[bucket] - below
    if count == 0:
        return None  # 0/0 in Go is NaN
    start = BUCKET_BOUNDS[bucket - 1] if bucket > 0 else 0.0
    return start + (BUCKET_BOUNDS[bucket] - start) * ((rank - below) / count)


def evaluate(metrics: SyntheticMetrics, query: SignalQuery, at_ms: int) -> dict[Labels, float | None]:
    """The instant vector of ``query`` at ``at_ms``, keyed by its sorted labels."""
    services = query.services or tuple(metrics.layouts)
    result: dict[Labels, float | None] = {}
    for service in services:
        layout = metrics.layouts.get(service)
        rates = service_rates(metrics, service, at_ms, query.range_seconds * 1000) if layout else None
        if layout is None or rates is None:
            continue  # unknown service or no samples: Prometheus has no series to answer with
        if query.signal == "requests":
            result[(("service", service),)] = sum(rates[: layout.bucket_offset])
        elif query.signal == "errors":
            result[(("service", service),)] = sum(rates[1 : layout.bucket_offset : 2])
        elif query.signal == "latency":
            quantile = 0.99 if query.quantile is None else query.quantile
            buckets = rates[layout.bucket_offset : layout.bucket_offset + len(LE_LABELS)]
            result[(("service", service),)] = bucket_quantile(quantile, buckets)
        else:
            errors_only = query.signal == "route_errors"
            for i, route in enumerate(layout.routes):
                value = rates[2 * i + 1] if errors_only else rates[2 * i] + rates[2 * i + 1]
                result[(("route", route), ("service", service))] = value
    return result


def instant_samples(metrics: SyntheticMetrics, query: SignalQuery, at: datetime) -> list[Sample]:
    """``query`` at one moment, as samples sorted by labels."""
    vector = evaluate(metrics, query, to_ms(at))
    return [Sample(labels=dict(labels), value=value) for labels, value in sorted(vector.items())]


def range_series(metrics: SyntheticMetrics, query: SignalQuery, window: TimeWindow, step: timedelta) -> list[Series]:
    """``query`` every ``step`` over ``window`` (both ends included), as Prometheus's query_range."""
    step_ms = step // timedelta(milliseconds=1)
    if step_ms <= 0:
        raise ValueError(f"step must be positive, got {step}")
    start_ms, end_ms = to_ms(window.start), to_ms(window.end)
    points: dict[Labels, list[Point]] = {}
    for at_ms in range(start_ms, end_ms + 1, step_ms):
        for labels, value in evaluate(metrics, query, at_ms).items():
            points.setdefault(labels, []).append(Point(t=from_ms(at_ms), v=value))
    return [Series(labels=dict(labels), points=series) for labels, series in sorted(points.items())]
