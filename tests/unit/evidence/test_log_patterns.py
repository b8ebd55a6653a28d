"""Log lines grouped into patterns: variable parts masked, counted, ordered, labels kept when shared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.models import LogLine
from mcp_server.evidence.patterns import group_patterns, mask

T0 = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)


def line(minute: int, text: str, **labels: str) -> LogLine:
    return LogLine(t=T0 + timedelta(minutes=minute), line=text, labels=labels)


@pytest.mark.parametrize(
    ("raw", "pattern"),
    [
        ("order_id=833320 failed after 5000 ms", "order_id=<n> failed after <n> ms"),
        ("req 3f2a9c1e-77b0-4d2c-9a51-0c6a3e1f9b22 done", "req <uuid> done"),
        ("connect 10.0.3.12:5432 refused", "connect <ip> refused"),
        ("trace_id=9f3ab27c41de done", "trace_id=<hex> done"),
        ("field 'line_items[7].tax_code' missing", "field <str> missing"),
        ("POST /checkout 500: boom", "POST /checkout 500: boom"),
        ("HTTP 503 from api.example after 556 ms", "HTTP 503 from api.example after <n> ms"),
        ("status=429 code: 404 returned 502", "status=429 code: 404 returned 502"),
        ("took 404 ms for 250 rows", "took <n> ms for <n> rows"),
        ("trace_id=123456789012 pid=123456", "trace_id=<hex> pid=<n>"),
        ("  many   spaces\there ", "many spaces here"),
    ],
)
def test_variable_parts_are_masked_and_a_status_code_is_kept(raw, pattern):
    assert mask(raw) == pattern


def test_patterns_are_counted_most_frequent_first_with_first_last_seen_and_the_newest_example():
    lines = [
        line(1, "timeout after 5000 ms id=1", service="orders", pod="a"),
        line(5, "timeout after 5000 ms id=2", service="orders", pod="b"),
        line(3, "timeout after 5001 ms id=3", service="orders", pod="a"),
        line(4, "disk full on /var", service="orders", pod="a"),
    ]
    first, second = group_patterns(lines)
    assert (first.pattern, first.count) == ("timeout after <n> ms id=<n>", 3)
    assert (first.first_seen, first.last_seen) == (T0 + timedelta(minutes=1), T0 + timedelta(minutes=5))
    assert first.example == "timeout after 5000 ms id=2"
    assert first.labels == {"service": "orders"}  # pod differs, so it is not shared
    assert (second.count, second.labels) == (1, {"service": "orders", "pod": "a"})


def test_equal_counts_put_the_most_recent_pattern_first():
    ordered = group_patterns([line(1, "old failure"), line(9, "new failure")])
    assert [p.pattern for p in ordered] == ["new failure", "old failure"]
    assert group_patterns([]) == []


def test_a_duration_that_looks_like_a_status_code_does_not_split_a_pattern():
    lines = [
        line(0, "GET /quote 500: upstream failed after 556 ms"),
        line(1, "GET /quote 500: upstream failed after 4210 ms"),
    ]
    (only,) = group_patterns(lines)
    assert (only.pattern, only.count) == ("GET /quote 500: upstream failed after <n> ms", 2)
    assert len(group_patterns([line(0, "GET /quote 500: x"), line(1, "GET /quote 503: x")])) == 2
