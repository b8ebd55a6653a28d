"""Tell likely roots from downstream symptoms, using the configured service dependencies.

A degraded service whose own dependencies are all healthy is a likely root. A degraded service
that depends on a degraded service is a symptom, and its ``caused_by`` follows degraded
dependencies down to the roots. A cycle of degraded services has no service without a degraded
dependency; its members are all reported as likely roots, because nothing shows which came first,
unless the cycle itself depends on a degraded service outside it (then they are its symptoms).
Put generally: the likely roots are the degraded services that reach, through degraded
dependencies, only services that reach them back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mcp_server.triage.models import ServiceVerdict


def assign_roles(verdicts: Sequence[ServiceVerdict], depends_on: Mapping[str, Sequence[str]]) -> list[ServiceVerdict]:
    """Return the verdicts with ``role``, ``caused_by`` and ``depends_on`` filled in."""
    status = {v.service: v.status for v in verdicts}
    degraded = {name for name, s in status.items() if s == "degraded"}
    reach = {name: _reachable(name, depends_on, degraded) for name in degraded}
    likely_roots = {name for name in degraded if all(name in reach[other] for other in reach[name])}
    result = []
    for verdict in verdicts:
        deps = list(depends_on.get(verdict.service, ()))
        if verdict.service not in degraded:
            result.append(verdict.model_copy(update={"depends_on": deps}))
            continue
        reasons = list(verdict.reasons)
        unknown_deps = [d for d in deps if status.get(d) == "unknown"]
        if verdict.service not in likely_roots:
            role, caused_by = "symptom", sorted(reach[verdict.service] & likely_roots)
            reasons.append(f"downstream of degraded {', '.join(caused_by)}")
        else:
            role, caused_by = "likely_root", []
            if unknown_deps:
                reasons.append(f"likely root, but dependencies {', '.join(unknown_deps)} are unknown")
        update = {"role": role, "caused_by": caused_by, "depends_on": deps, "reasons": reasons}
        result.append(verdict.model_copy(update=update))
    return result


def _reachable(service: str, depends_on: Mapping[str, Sequence[str]], degraded: set[str]) -> set[str]:
    """Degraded services reachable from ``service`` through one or more degraded dependencies.

    ``service`` itself is included only when it lies on a cycle of degraded services.
    """
    seen: set[str] = set()
    stack = [d for d in depends_on.get(service, ()) if d in degraded]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(d for d in depends_on.get(current, ()) if d in degraded)
    return seen
