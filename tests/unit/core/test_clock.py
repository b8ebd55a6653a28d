from datetime import UTC, datetime, timedelta

import pytest

from mcp_server.clock import InvalidTimeError, parse_duration, parse_time, resolve_window

REF = datetime(2026, 3, 14, 3, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", REF),
        ("now-15m", REF - timedelta(minutes=15)),
        ("now - 1h30m", REF - timedelta(hours=1, minutes=30)),
        ("now+5m", REF + timedelta(minutes=5)),
        ("2026-03-14T03:00:00Z", datetime(2026, 3, 14, 3, 0, tzinfo=UTC)),
        ("2026-03-14T04:00:00+01:00", datetime(2026, 3, 14, 3, 0, tzinfo=UTC)),
        ("2026-03-14T03:00:00", datetime(2026, 3, 14, 3, 0, tzinfo=UTC)),  # offset-less is UTC
    ],
)
def test_parse_time_accepts_relative_and_rfc3339(text, expected):
    parsed = parse_time(text, REF)
    assert parsed == expected
    assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["yesterday", "now-15", "now-15x", "2026-13-01T00:00:00Z", "", "1710385620", "now-m"])
def test_parse_time_refuses_with_accepted_forms(text):
    with pytest.raises(InvalidTimeError) as err:
        parse_time(text, REF)
    assert "now-15m" in str(err.value) and "RFC3339" in str(err.value)


def test_parse_time_refuses_far_times():
    with pytest.raises(InvalidTimeError, match="400 days"):
        parse_time("2020-01-01T00:00:00Z", REF)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("1h30m", 5400), ("2d", 172800), ("1w", 604800)]
)
def test_parse_duration(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "15", "m", "0m", "1y", "15m30", "-5m"])
def test_parse_duration_refuses(text):
    with pytest.raises(InvalidTimeError):
        parse_duration(text)


def test_resolve_window_defaults_and_order():
    window = resolve_window(None, None, default_length=timedelta(hours=1), reference=REF)
    assert (window.start, window.end) == (REF - timedelta(hours=1), REF)
    with pytest.raises(InvalidTimeError, match="not before"):
        resolve_window("now", "now-1h", default_length=timedelta(hours=1), reference=REF)


def test_window_echoes_iso_utc():
    window = resolve_window("2026-03-14T04:00:00+01:00", "now", default_length=timedelta(hours=1), reference=REF)
    dumped = window.model_dump(mode="json")
    assert dumped == {"start": "2026-03-14T03:00:00Z", "end": "2026-03-14T03:07:00Z"}
