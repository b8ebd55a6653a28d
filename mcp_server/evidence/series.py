"""Summaries of metric series: min, max, last and mean now, and the change against the day before.

The model reads "last 0.21, mean 0.19, day before 0.004 (x47.5)" instead of hundreds of points; the
points stay available, capped, when asked for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import Field

from adapters.models import Model, Point, Series


class SeriesSummary(Model):
    """One series over the window, and the same labels over the baseline window."""

    labels: dict[str, str]
    points: int = Field(description="Points with a value in the window")
    min: float | None
    max: float | None
    last: float | None
    mean: float | None
    baseline_mean: float | None = Field(description="Mean over the same window one day earlier")
    change: float | None = Field(description="mean / baseline_mean; None when either is missing or zero")
    delta: float | None = Field(description="mean - baseline_mean")
    values: list[Point] = Field(default_factory=list, description="The points, when asked for (capped)")


def summarise(series: Sequence[Series], baseline: Sequence[Series], max_points: int = 0) -> list[SeriesSummary]:
    """Each series of ``series`` with its summary, matched to ``baseline`` by labels; points up to ``max_points``."""
    before = {_key(s.labels): s for s in baseline}
    return [_summary(s, before.get(_key(s.labels)), max_points) for s in series]


def _summary(now: Series, before: Series | None, max_points: int) -> SeriesSummary:
    values = _values(now.points)
    base = _mean(_values(before.points)) if before else None
    mean = _mean(values)
    return SeriesSummary(
        labels=dict(now.labels),
        points=len(values),
        min=min(values) if values else None,
        max=max(values) if values else None,
        last=values[-1] if values else None,
        mean=mean,
        baseline_mean=base,
        change=round(mean / base, 3) if mean is not None and base else None,
        delta=mean - base if mean is not None and base is not None else None,
        values=thin(now.points, max_points),
    )


def thin(points: Sequence[Point], limit: int) -> list[Point]:
    """At most ``limit`` points, evenly spaced from the first to the last (both kept)."""
    if limit <= 0:
        return []
    if len(points) <= limit:
        return list(points)
    if limit == 1:
        return [points[-1]]
    stride = (len(points) - 1) / (limit - 1)
    return [points[round(i * stride)] for i in range(limit)]


def _values(points: Sequence[Point]) -> list[float]:
    return [p.v for p in points if p.v is not None and math.isfinite(p.v)]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _key(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))
