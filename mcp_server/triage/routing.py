"""Which health checker checks which service: each target goes to exactly one checker.

Two checkers offering the same capability (an HTTP checker and a TCP one, or two HTTP checkers
with different credentials) must not both answer for one service, or the last in config order
would silently win. A service names its checker with ``health_source``; otherwise the first
checker that accepts the URL's scheme owns it. A URL no checker accepts is reported as
``unknown`` with the reason, never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from adapters.base import HealthChecker
from adapters.models import HealthResult, HealthTarget
from mcp_server.config import ServiceConfig


def route_health(
    services: Sequence[ServiceConfig], checkers: Sequence[HealthChecker], at: datetime
) -> tuple[dict[str, list[HealthTarget]], list[HealthResult]]:
    """Targets per checker name, and an ``unknown`` result for each service no checker owns."""
    by_name = {c.name: c for c in checkers}
    routed: dict[str, list[HealthTarget]] = {}
    unrouted: list[HealthResult] = []
    for service in services:
        if not service.health_url:
            continue
        target = HealthTarget(
            service=service.name, url=service.health_url, expected_status=service.health_expected_status
        )
        owner = _owner(service, target.url, checkers, by_name)
        if owner is None:
            unrouted.append(_unowned(target, checkers, at, service.health_source))
        else:
            routed.setdefault(owner.name, []).append(target)
    return routed, unrouted


def _owner(
    service: ServiceConfig, url: str, checkers: Sequence[HealthChecker], by_name: dict[str, HealthChecker]
) -> HealthChecker | None:
    if service.health_source:
        return by_name.get(service.health_source)
    return next((c for c in checkers if c.accepts(url)), None)


def _unowned(target: HealthTarget, checkers: Sequence[HealthChecker], at: datetime, named: str) -> HealthResult:
    scheme = target.url.split(":", 1)[0] if ":" in target.url else target.url
    if named:
        detail = f"not checked: health_source {named!r} is not one of the health checkers in use"
    elif not checkers:
        detail = "not checked: no health-check adapter is configured"
    else:
        detail = f"not checked: no health checker accepts {scheme!r} URLs ({', '.join(c.name for c in checkers)})"
    return HealthResult(service=target.service, url=target.url, status="unknown", checked_at=at, detail=detail)
