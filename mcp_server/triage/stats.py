"""Plain statistics for triage: baselines, significance tests, onset and sparklines.

Everything here is a pure function of numbers, so it is unit-tested without any backend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from statistics import median

SPARK_BARS = "▁▂▃▄▅▆▇█"


def baseline_of(values: Sequence[float | None]) -> float | None:
    """The median of the baselines that have data: robust when one of them was itself an incident."""
    present = [v for v in values if v is not None and math.isfinite(v)]
    return median(present) if present else None


def upper_tail_p(z: float) -> float:
    """One-sided p-value of a standard normal score."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def two_proportion_p(errors_now: float, total_now: float, errors_base: float, total_base: float) -> float | None:
    """One-sided p-value that the current error ratio is higher than the baseline's.

    A two-proportion z-test on counts. ``None`` when either side has no requests, because then
    there is nothing to compare, which is not the same as "no change".
    """
    if total_now <= 0 or total_base <= 0:
        return None
    p_now, p_base = errors_now / total_now, errors_base / total_base
    pooled = (errors_now + errors_base) / (total_now + total_base)
    variance = pooled * (1 - pooled) * (1 / total_now + 1 / total_base)
    if variance <= 0:
        return 1.0 if p_now <= p_base else 0.0
    return upper_tail_p((p_now - p_base) / math.sqrt(variance))


def poisson_drop_p(count_now: float, expected: float) -> float | None:
    """One-sided p-value that ``count_now`` is lower than a Poisson count with mean ``expected``.

    Normal approximation with a continuity correction; good for the hundreds of requests
    below which triage does not judge traffic at all.
    """
    if expected <= 0:
        return None
    z = (expected - count_now - 0.5) / math.sqrt(expected)
    return upper_tail_p(z)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or None when either is missing or the denominator is zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def onset(points: Sequence[tuple[datetime, float | None]], threshold: float, *, above: bool = True) -> datetime | None:
    """When the signal last crossed ``threshold`` and stayed past it until the end (one missing point allowed).

    ``above`` picks the direction: errors and latency rise, traffic falls.
    """
    start: datetime | None = None
    gaps = 0
    for moment, value in points:
        if value is None:
            gaps += 1
            if gaps > 1:
                start = None
            continue
        past = value >= threshold if above else value <= threshold
        if past:
            start = start or moment
            gaps = 0
        else:
            start, gaps = None, 0
    return start


def sparkline(values: Sequence[float | None], width: int = 30) -> str:
    """A one-line bar chart of ``values`` resampled to ``width`` cells; a gap shows as a space."""
    if not values:
        return ""
    cells = _resample(values, width)
    present = [v for v in cells if v is not None]
    if not present:
        return " " * len(cells)
    low, high = min(present), max(present)
    span = high - low
    chars = []
    for value in cells:
        if value is None:
            chars.append(" ")
        elif span <= 0:
            chars.append(SPARK_BARS[0])
        else:
            chars.append(SPARK_BARS[min(len(SPARK_BARS) - 1, int((value - low) / span * len(SPARK_BARS)))])
    return "".join(chars)


def _resample(values: Sequence[float | None], width: int) -> list[float | None]:
    if len(values) <= width:
        return list(values)
    cells: list[float | None] = []
    for i in range(width):
        chunk = [v for v in values[i * len(values) // width : (i + 1) * len(values) // width] if v is not None]
        cells.append(max(chunk) if chunk else None)  # max, so a short spike is not averaged away
    return cells
