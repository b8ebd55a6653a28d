"""The subset of LogQL the replay evaluates: one stream selector and line filters.

``{service="checkout", level="error"} |= "timeout" != "healthz"``: label matchers ``=`` and ``!=``
(at least one ``=``, as Loki wants a matcher that selects something), then any number of line
filters ``|=`` (contains) and ``!=`` (does not contain), each with a double-quoted or backtick
string. Anything else (regex matchers and filters, parsers such as ``| json``, metric queries) is
refused with a QueryError that says what the replay understands, rather than answered wrongly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.errors import QueryError

UNDERSTOOD = (
    'a stream selector with = or != label matchers and |= or != line filters, e.g. {service="checkout"} |= "timeout"'
)
_STRING = r'"(?:[^"\\]|\\.)*"|`[^`]*`'
_SELECTOR = re.compile(r"^\s*\{(?P<matchers>[^{}]*)\}(?P<rest>.*)$", re.DOTALL)
_MATCHER = re.compile(rf"\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>!=|=~|!~|=)\s*(?P<value>{_STRING})\s*")
_FILTER = re.compile(rf"\s*(?P<op>\|=|!=|\|~|!~)\s*(?P<value>{_STRING})\s*")


@dataclass(frozen=True)
class LogSelector:
    """A parsed query: label matchers (name, op, value) and line filters (op, text), in order."""

    matchers: tuple[tuple[str, str, str], ...]
    filters: tuple[tuple[str, str], ...]

    def selects(self, labels: dict[str, str]) -> bool:
        """Whether a stream with ``labels`` is selected (a missing label is the empty string, as in Loki)."""
        return all((labels.get(name, "") == value) == (op == "=") for name, op, value in self.matchers)

    def keeps(self, line: str) -> bool:
        """Whether ``line`` passes every line filter."""
        return all((text in line) == (op == "|=") for op, text in self.filters)


def _unquote(raw: str) -> str:
    if raw.startswith("`"):
        return raw[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), raw[1:-1])


def _refuse(logql: str, what: str, adapter: str) -> QueryError:
    return QueryError(
        f"the replay cannot evaluate this log query: {what}",
        adapter=adapter,
        request=f"query_logs {logql[:300]}",
        hint=f"The replay understands {UNDERSTOOD}.",
    )


def parse_logql(logql: str, adapter: str = "replay") -> LogSelector:
    """Parse the replay's LogQL subset; QueryError says what is not understood and what is."""
    selector = _SELECTOR.match(logql)
    if selector is None:
        raise _refuse(logql, 'it does not start with a stream selector {label="value"}', adapter)
    matchers, inside, position = [], selector.group("matchers"), 0
    while inside[position:].strip():
        found = _MATCHER.match(inside, position)
        if found is None or found.group("op") not in ("=", "!="):
            raise _refuse(logql, f"label matcher {inside[position:].strip(' ,')[:60]!r}", adapter)
        matchers.append((found.group("name"), found.group("op"), _unquote(found.group("value"))))
        position = found.end()
        if inside[position:].strip() and inside[position] != ",":
            raise _refuse(logql, f"matchers go between commas: {inside[position:].strip()[:60]!r}", adapter)
        position += 1
    if not any(op == "=" for _, op, _ in matchers):
        raise _refuse(logql, 'the selector needs at least one label="value" matcher', adapter)
    filters, rest, position = [], selector.group("rest"), 0
    while position < len(rest.rstrip()):
        found = _FILTER.match(rest, position)
        if found is None or found.group("op") not in ("|=", "!="):
            raise _refuse(logql, f"{rest[position:].strip()[:60]!r}", adapter)
        filters.append((found.group("op"), _unquote(found.group("value"))))
        position = found.end()
    return LogSelector(matchers=tuple(matchers), filters=tuple(filters))
