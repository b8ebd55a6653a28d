"""Tell likely roots from downstream symptoms, using the configured service dependencies.

A degraded service whose own dependencies are all healthy is a likely root. A degraded service
that depends on a degraded service is a symptom, and its ``caused_by`` follows degraded
dependencies down to the roots. A cycle of degraded services has no service without a degraded
dependency; its members are all reported as likely roots, because nothing shows which came first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mcp_server.triage.models import ServiceVerdict


def assign_roles(verdicts: Sequence[ServiceVerdict], depends_on: Mapping[str, Sequence[str]]) -> list[ServiceVerdict]:
    """Return the verdicts with ``role``, ``caused_by`` and ``depends_on`` filled in."""
    status = {v.service: v.status for v in verdicts}
    degraded = {name for name, s in status.items() if s == "degraded"}
    result = []
    for verdict in verdicts:
        deps = list(depends_on.get(verdict.service, ()))
        if verdict.service not in degraded:
            result.append(verdict.model_copy(update={"depends_on": deps}))
            continue
        roots = sorted(_roots_below(verdict.service, depends_on, degraded))
        reasons = list(verdict.reasons)
        unknown_deps = [d for d in deps if status.get(d) == "unknown"]
        if roots:
            role, caused_by = "symptom", roots
            reasons.append(f"downstream of degraded {', '.join(roots)}")
        else:
            role, caused_by = "likely_root", []
            if unknown_deps:
                reasons.append(f"likely root, but dependencies {', '.join(unknown_deps)} are unknown")
        update = {"role": role, "caused_by": caused_by, "depends_on": deps, "reasons": reasons}
        result.append(verdict.model_copy(update=update))
    return result


def _roots_below(service: str, depends_on: Mapping[str, Sequence[str]], degraded: set[str]) -> set[str]:
    """Degraded services reachable through degraded dependencies that have no degraded dependency themselves.

    When everything reachable is a cycle, the service is a root if the cycle includes it, and a
    symptom of the cycle's members if it only leads into one.
    """
    roots: set[str] = set()
    seen: set[str] = set()
    stack = [d for d in depends_on.get(service, ()) if d in degraded]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        below = [d for d in depends_on.get(current, ()) if d in degraded]
        if not below:
            roots.add(current)
        stack.extend(below)
    if roots or service in seen:
        return roots
    return seen
