"""The incident clock: parse every time argument the same way, and resolve it to UTC.

Accepted forms (documented once, quoted in every error):
- ``now``, ``now-15m``, ``now-1h30m``, ``now+5m``: relative to the reference moment (``--at`` or the wall clock)
- RFC3339 / ISO-8601 with an offset: ``2026-03-14T03:07:00Z``, ``2026-03-14T04:07:00+01:00``
- ISO-8601 without an offset is taken as UTC (and said so in the echoed window)
Durations: ``90s``, ``15m``, ``1h``, ``1h30m``, ``2d``, ``1w``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from adapters.errors import QueryError
from adapters.models import TimeWindow, utcnow

ACCEPTED_TIMES = "'now', 'now-15m', 'now-1h30m', or RFC3339 such as '2026-03-14T03:07:00Z'"
ACCEPTED_DURATIONS = "a number with a unit, combined as needed: '90s', '15m', '1h30m', '2d', '1w'"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+)([smhdw])")
_RELATIVE = re.compile(r"^now(?:\s*([+-])\s*([0-9smhdw]+))?$")
MAX_SPAN = timedelta(days=400)


class InvalidTimeError(QueryError):
    """A time or duration argument that the clock does not accept."""

    default_hint = f"Use {ACCEPTED_TIMES}."


def parse_duration(text: str) -> timedelta:
    """Parse ``15m``, ``1h30m``, ``2d`` into a timedelta; refuse anything else."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise InvalidTimeError(f"invalid duration {text!r}", hint=f"Use {ACCEPTED_DURATIONS}.")
    seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if seconds == 0 or seconds > MAX_SPAN.total_seconds():
        raise InvalidTimeError(f"duration {text!r} is out of range", hint="Use between 1s and 400d.")
    return timedelta(seconds=seconds)


def parse_time(text: str, reference: datetime | None = None) -> datetime:
    """Resolve a time argument to an aware UTC datetime (``reference`` is what ``now`` means)."""
    now = reference or utcnow()
    raw = text.strip()
    relative = _RELATIVE.match(raw.lower())
    if relative:
        sign, amount = relative.groups()
        if not sign:
            return now
        try:
            delta = parse_duration(amount)
        except InvalidTimeError:
            raise InvalidTimeError(
                f"invalid time {text!r}: the offset needs a unit", hint=f"Use {ACCEPTED_TIMES}."
            ) from None
        return now - delta if sign == "-" else now + delta
    try:
        parsed = datetime.fromisoformat(raw.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise InvalidTimeError(f"invalid time {text!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # documented: offset-less times are UTC
    if abs(parsed - now) > MAX_SPAN:
        raise InvalidTimeError(f"time {text!r} is more than 400 days from {now.isoformat()}")
    return parsed.astimezone(UTC)


def resolve_window(
    start: str | None, end: str | None, *, default_length: timedelta, reference: datetime | None = None
) -> TimeWindow:
    """Resolve a (start, end) pair; a missing end is ``now``, a missing start is ``end - default_length``."""
    end_at = parse_time(end, reference) if end else (reference or utcnow())
    start_at = parse_time(start, reference) if start else end_at - default_length
    if start_at >= end_at:
        raise InvalidTimeError(
            f"window start {start_at.isoformat()} is not before its end {end_at.isoformat()}",
            hint="Give a start earlier than the end, e.g. start='now-1h', end='now'.",
        )
    return TimeWindow(start=start_at, end=end_at)


def align_to_minute(moment: datetime) -> datetime:
    """Round down to the whole minute, so repeated runs ask the backend the same questions."""
    return moment.replace(second=0, microsecond=0)
