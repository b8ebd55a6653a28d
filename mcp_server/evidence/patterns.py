"""Group log lines into error patterns: the variable parts masked, each pattern counted.

A responder needs "4,120 x SerializationError: field <*> missing" rather than 4,120 lines. A line's
pattern is the line with its variable parts (UUIDs, hex ids, IPs, quoted strings, numbers) replaced
by placeholders, so lines that differ only in an order id or a duration fall together. An HTTP status
code is kept where a line shows it as one (after a path, ``HTTP``, ``status=``, ``returned`` or
``answered``), since a 500 and a 503 are different failures; any other number is masked, so a 250 ms
duration does not split a pattern. A run of 8 or more hex digits is an id (``<hex>``) even when it
holds no letter, so an id that happens to be all digits falls with the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import Field

from adapters.models import LogLine, Model, UtcDatetime

MAX_PATTERN_CHARS = 300
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<uuid>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b"), "<hex>"),
    (re.compile(r"\"[^\"]*\"|'[^']*'"), "<str>"),
)
_NUMBER = re.compile(r"(?<![A-Za-z])\d+(?:\.\d+)?")
_STATUS_CODE = re.compile(r"[1-5]\d\d")
# What comes right before a status code: a path ("POST /x 500"), "HTTP 503", "HTTP/1.1 502",
# "status=500", "code: 404", "returned 500", "answered 502".
_STATUS_BEFORE = re.compile(
    r"(?:(?:^|\s)/\S*\s|\bHTTP(?:/\d(?:\.\d)?)?\s|\b(?:status|status_code|code)[=:]\s?|\b(?:returned|answered)\s)$",
    re.IGNORECASE,
)


class LogPattern(Model):
    """One pattern of lines: how many, when first and last seen, and one real example."""

    pattern: str
    count: int
    first_seen: UtcDatetime
    last_seen: UtcDatetime
    example: str
    labels: dict[str, str] = Field(default_factory=dict, description="Labels every line of the pattern shares")


def mask(line: str) -> str:
    """The line's pattern: variable parts replaced, whitespace collapsed, clipped."""
    text = " ".join(line.split())
    for expression, placeholder in _MASKS:
        text = expression.sub(placeholder, text)
    return _NUMBER.sub(_number_mask, text)[:MAX_PATTERN_CHARS]


def _number_mask(match: re.Match[str]) -> str:
    """Numbers become <n>, except an HTTP status where the line shows one ('POST /x 500:', 'HTTP 503')."""
    if not _STATUS_CODE.fullmatch(match.group(0)):
        return "<n>"
    before = match.string[max(0, match.start() - 200) : match.start()]
    return match.group(0) if _STATUS_BEFORE.search(before) else "<n>"


def group_patterns(lines: Iterable[LogLine]) -> list[LogPattern]:
    """The patterns of ``lines``, most frequent first (ties: the most recent first, then the text)."""
    groups: dict[str, list[LogLine]] = {}
    for line in lines:
        groups.setdefault(mask(line.line), []).append(line)
    patterns = [_pattern(text, members) for text, members in groups.items()]
    return sorted(patterns, key=lambda p: (-p.count, -p.last_seen.timestamp(), p.pattern))


def _pattern(text: str, members: list[LogLine]) -> LogPattern:
    newest = max(members, key=lambda line: line.t)
    shared = dict(members[0].labels)
    for line in members[1:]:
        shared = {k: v for k, v in shared.items() if line.labels.get(k) == v}
    return LogPattern(
        pattern=text,
        count=len(members),
        first_seen=min(line.t for line in members),
        last_seen=newest.t,
        example=newest.line[:1_000],
        labels=shared,
    )
