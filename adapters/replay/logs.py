"""Log lines the replay serves: written from a scenario's ``logs:`` entries, the same every time.

An entry writes one line every ``60 / per_minute`` seconds on a grid that starts at its ``from``
(or the start of the series), cycling through its templates; each placeholder is filled from a hash
of the entry, the line's time and the placeholder's position, so a query asked twice, or by two
clients, gets the same lines. Lines are produced newest first and generation stops at the limit, so
a day-long window at 600 lines a minute costs no more than the lines returned.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import timedelta
from hashlib import blake2b

from adapters.models import LogLine, LogQueryResult, TimeWindow
from adapters.replay.logql import LogSelector
from adapters.replay.scenario import Scenario, ScenarioLogs

_PLACEHOLDER = re.compile(r"\{(uuid|hex|id|n|ms|ip)\}")


def query_scenario_logs(
    scenario: Scenario, selector: LogSelector, window: TimeWindow, limit: int, source: str
) -> LogQueryResult:
    """The newest ``limit`` lines of ``window`` that ``selector`` keeps; ``complete`` when none were left."""
    streams = [
        (index, entry, labels)
        for index, entry in enumerate(scenario.logs)
        if selector.selects(labels := stream_labels(entry))
    ]
    found: list[LogLine] = []
    merged = _newest_first([_entry_lines(scenario, i, e, labels, window) for i, e, labels in streams])
    for line in merged:
        if selector.keeps(line.line):
            if len(found) == limit:
                return LogQueryResult(lines=found, complete=False, source=source)
            found.append(line)
    return LogQueryResult(lines=found, complete=True, source=source)


def stream_labels(entry: ScenarioLogs) -> dict[str, str]:
    """The stream an entry writes to: its service, its level and its extra labels."""
    return {"service": entry.service, "level": entry.level, **entry.labels}


def _entry_lines(
    scenario: Scenario, index: int, entry: ScenarioLogs, labels: dict[str, str], window: TimeWindow
) -> Iterator[LogLine]:
    """One entry's lines inside ``window``, newest first."""
    start = max(entry.start or scenario.series_start, scenario.series_start)
    end = min(entry.end or scenario.series_end, scenario.series_end, window.end)
    every = timedelta(seconds=60 / entry.per_minute)
    if end < start or end < window.start:
        return
    step = math.floor((end - start) / every)
    while step >= 0:
        moment = start + every * step
        if moment < window.start:
            return
        template = entry.templates[step % len(entry.templates)]
        yield LogLine(t=moment, line=_fill(template, f"{scenario.name}:{index}:{step}"), labels=labels)
        step -= 1


def _newest_first(streams: list[Iterator[LogLine]]) -> Iterator[LogLine]:
    """Merge streams that are each newest first into one, newest first (ties: file order)."""
    heads: list[tuple[LogLine, int] | None] = [_head(s, i) for i, s in enumerate(streams)]
    while any(heads):
        best = max((h for h in heads if h), key=lambda h: (h[0].t, -h[1]))
        yield best[0]
        heads[best[1]] = _head(streams[best[1]], best[1])


def _head(stream: Iterator[LogLine], index: int) -> tuple[LogLine, int] | None:
    line = next(stream, None)
    return (line, index) if line is not None else None


def _fill(template: str, seed: str) -> str:
    """Each placeholder filled from a hash of ``seed`` and its position: deterministic, varied."""
    position = 0

    def value(match: re.Match[str]) -> str:
        nonlocal position
        position += 1
        digest = blake2b(f"{seed}:{position}".encode(), digest_size=16).hexdigest()
        number = int(digest[:8], 16)
        kind = match.group(1)
        if kind == "uuid":
            return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
        if kind == "ip":
            return f"10.{number % 256}.{number // 256 % 256}.{number // 65536 % 254 + 1}"
        return {"hex": digest[:12], "id": str(number % 900_000 + 100_000), "n": str(number % 100)}.get(
            kind, str(number % 4_900 + 100)
        )

    return _PLACEHOLDER.sub(value, template)
