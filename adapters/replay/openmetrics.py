"""Write a scenario's metric samples as OpenMetrics text for ``promtool tsdb create-blocks-from openmetrics``.

Either the whole history (every minute from ``series_start`` to ``series_end``) or only segments:
the windows triage and the deploy ranking read. Counters are cumulative from the series start in both cases, so any rate
inside a segment equals the one over the whole history; between segments there are simply no
samples. The text is streamed: only one minute of one family is ever held in memory.

Families are written one after the other (OpenMetrics forbids interleaving them), the histogram
going through a temporary file while the counters are written, so each minute is generated once.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from adapters.models import TimeWindow
from adapters.replay.scenario import Scenario
from adapters.replay.synthetic import BUCKET_METRIC, CODES, LE_LABELS, REQUESTS_METRIC, SyntheticMetrics, epoch_minute

SEGMENT_BEFORE = timedelta(hours=2)
SEGMENT_AFTER = timedelta(minutes=30)
BASELINE_OFFSETS = (timedelta(0), timedelta(days=1), timedelta(days=7))
"""The moments triage compares: now, a day earlier, a week earlier."""
RECURRENCE_OFFSETS = (timedelta(days=2), timedelta(days=3))
"""The other days the deploy ranking's recurrence check reads by default (deploys.recurrence_days: 3)."""
MAX_BLOCK_DURATION = "500h"
"""For promtool's hidden ``--max-block-duration``: promtool re-reads the whole input once per block,
and 500h rounds down to its 486h block range, so 8 days fit in one or two blocks instead of ~100."""
_HEADER = {
    REQUESTS_METRIC: "# HELP http_requests Requests answered, by service, route and status code.\n"
    "# TYPE http_requests counter\n",
    BUCKET_METRIC: "# HELP http_request_duration_seconds Time to answer a request.\n"
    "# TYPE http_request_duration_seconds histogram\n",
}


def triage_segments(scenario: Scenario) -> list[TimeWindow]:
    """The windows triage reads: two hours before to 30 minutes after now, a day ago and a week ago;
    and two and three days ago, for the deploy ranking's check of a daily recurrence."""
    windows = [
        TimeWindow(start=scenario.anchor - offset - SEGMENT_BEFORE, end=scenario.anchor - offset + SEGMENT_AFTER)
        for offset in BASELINE_OFFSETS + RECURRENCE_OFFSETS
    ]
    return merge_windows(windows, scenario)


def merge_windows(windows: Sequence[TimeWindow], scenario: Scenario) -> list[TimeWindow]:
    """Sort, clip to the data and merge overlapping windows, so no sample is written twice."""
    clipped = sorted(
        (max(w.start, scenario.series_start), min(w.end, scenario.series_end))
        for w in windows
        if w.end >= scenario.series_start and w.start <= scenario.series_end
    )
    merged: list[tuple[datetime, datetime]] = []
    for start, end in clipped:
        if merged and start <= merged[-1][1] + timedelta(minutes=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return [TimeWindow(start=s, end=e) for s, e in merged]


def escape_label(value: str) -> str:
    """Escape a label value for the OpenMetrics text format."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _prefixes(metrics: SyntheticMetrics, service: str) -> tuple[list[str], list[str]]:
    """The ``name{labels} `` start of every series of one service, in the layout's order."""
    layout, svc = metrics.layouts[service], escape_label(service)
    counters = [
        f'{REQUESTS_METRIC}{{service="{svc}",route="{escape_label(route)}",code="{code}"}} '
        for route in layout.routes
        for code in CODES
    ]
    buckets = [f'{BUCKET_METRIC}{{service="{svc}",le="{le}"}} ' for le in LE_LABELS]
    return counters, buckets


def _minutes(metrics: SyntheticMetrics, segments: Sequence[TimeWindow] | None) -> Iterator[tuple[int, bool]]:
    """Every sample minute to write, flagged True when it opens a segment (counters must be re-read)."""
    if segments is None:
        segments = [TimeWindow(start=metrics.scenario.series_start, end=metrics.scenario.series_end)]
    for window in merge_windows(segments, metrics.scenario):
        first = -(-int(window.start.timestamp()) // 60)  # first whole minute inside the window
        for minute in range(first, epoch_minute(window.end) + 1):
            yield minute, minute == first


def write_openmetrics(
    scenario: Scenario,
    out: TextIO,
    *,
    segments: Sequence[TimeWindow] | None = None,
    metrics: SyntheticMetrics | None = None,
) -> int:
    """Stream the samples of ``scenario`` to ``out``; ``segments=None`` writes the whole history.

    Returns the number of samples written.
    """
    metrics = metrics or SyntheticMetrics(scenario)
    prefixes = {name: _prefixes(metrics, name) for name in scenario.names()}
    totals = {name: [0] * metrics.layouts[name].width for name in scenario.names()}
    written = 0
    out.write(_HEADER[REQUESTS_METRIC])
    with tempfile.TemporaryFile("w+", encoding="utf-8") as histogram:
        histogram.write(_HEADER[BUCKET_METRIC])
        for minute, opens in _minutes(metrics, segments):
            stamp = f" {minute * 60}\n"
            for name, (counter_prefixes, bucket_prefixes) in prefixes.items():
                values = totals[name]
                if opens:
                    values[:] = metrics.counters(name, minute)
                else:
                    for i, increment in enumerate(metrics.increments(name, minute)):
                        values[i] += increment
                split = len(counter_prefixes)
                out.writelines(p + str(v) + stamp for p, v in zip(counter_prefixes, values[:split], strict=True))
                histogram.writelines(p + str(v) + stamp for p, v in zip(bucket_prefixes, values[split:], strict=True))
                written += len(values)
        histogram.seek(0)
        shutil.copyfileobj(histogram, out)
    out.write("# EOF\n")
    return written


def export_openmetrics(scenario: Scenario, path: str | Path, *, segments: Sequence[TimeWindow] | None = None) -> int:
    """Write the OpenMetrics file at ``path`` (see :func:`write_openmetrics`); returns the sample count."""
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:
        return write_openmetrics(scenario, out, segments=segments)


def promtool_command(promtool: str, openmetrics_file: str | Path, output_dir: str | Path) -> list[str]:
    """The promtool invocation that backfills ``openmetrics_file`` into TSDB blocks in ``output_dir``."""
    return [
        promtool,
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        "--quiet",
        f"--max-block-duration={MAX_BLOCK_DURATION}",
        str(openmetrics_file),
        str(output_dir),
    ]
