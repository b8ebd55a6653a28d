"""Render the configured PromQL templates into queries, one per signal for all services.

Service names reach PromQL only through :func:`service_matcher`, which escapes them twice: as RE2
regex literals, then as PromQL double-quoted strings. A name like ``a"}) or vector(1) #`` stays a
literal label value and cannot change the query.
"""

from __future__ import annotations

from collections.abc import Iterable
from string import Template

from adapters.models import SignalName, SignalQuery
from mcp_server.config import SignalsConfig

_RE2_SPECIAL = set("\\.+*?()|[]{}^$")


def regex_literal(value: str) -> str:
    """Escape ``value`` so that RE2 matches it literally."""
    return "".join("\\" + ch if ch in _RE2_SPECIAL else ch for ch in value)


def promql_string(value: str) -> str:
    """Quote ``value`` as a PromQL double-quoted string literal."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def service_matcher(label: str, services: Iterable[str]) -> str:
    """``label=~"a|b|c"`` matching exactly the given services (sorted, so queries are stable)."""
    alternatives = "|".join(regex_literal(s) for s in sorted(set(services)))
    return f"{label}=~{promql_string(alternatives)}"


def render_range(seconds: int) -> str:
    """A PromQL duration for a whole number of seconds, in the largest exact unit."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def build_query(
    signals: SignalsConfig,
    signal: SignalName,
    services: Iterable[str],
    *,
    range_seconds: int,
    quantile: float | None = None,
) -> SignalQuery:
    """The query for one signal over ``services``, with its PromQL and its meaning side by side."""
    chosen = tuple(sorted(set(services)))
    matchers = [service_matcher(signals.service_label, chosen)]
    if signals.selector.strip():
        matchers.append(signals.selector.strip().strip(","))
    promql = Template(getattr(signals, signal)).substitute(
        selector=",".join(matchers),
        range=render_range(range_seconds),
        quantile=repr(quantile if quantile is not None else 0.99),
        service_label=signals.service_label,
        route_label=signals.route_label,
    )
    return SignalQuery(signal=signal, promql=promql, range_seconds=range_seconds, quantile=quantile, services=chosen)
