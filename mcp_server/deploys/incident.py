"""The incident a ranking is for: affected services, roots, onset, and the symptoms triage measured.

The onset is when the degraded signal first left its baseline (from triage), not when the page
fired; a caller who knows better passes ``onset`` and ``services``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from adapters.models import ProviderEvent, SourceStatus, TimeWindow
from mcp_server.deploys.alternatives import Symptom
from mcp_server.triage.assess import QUANTILES
from mcp_server.triage.models import ServiceVerdict, TriageResult


@dataclass
class Incident:
    """What the ranking needs to know about the incident.

    ``symptoms`` and ``measured`` (triage's current window) let the ranking look for the same
    symptom on previous days; ``provider_events`` is None when they were not collected yet.
    """

    onset: datetime
    onset_source: str
    affected: list[str]
    roots: list[str]
    failing_routes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    statuses: list[SourceStatus] = field(default_factory=list)
    nothing_degraded: bool = False
    symptoms: list[Symptom] = field(default_factory=list)
    measured: TimeWindow | None = None
    provider_events: list[ProviderEvent] | None = None


def incident_from_triage(result: TriageResult, services: list[str] | None, onset: datetime | None) -> Incident:
    """Affected services, roots, failing routes, symptoms and the onset, as triage measured them."""
    wanted = set(services or [])
    degraded = [v for v in result.services if v.status == "degraded" and (not wanted or v.service in wanted)]
    roots = [v.service for v in degraded if v.role == "likely_root"] or [v.service for v in degraded]
    onsets = [v.onset for v in degraded if v.onset is not None and v.service in roots]
    onsets = onsets or [v.onset for v in degraded if v.onset is not None]
    chosen = onset or (min(onsets) if onsets else result.window.start)
    source = "given" if onset else ("triage signal" if onsets else "start of the triage window")
    return Incident(
        onset=chosen,
        onset_source=source,
        affected=[v.service for v in degraded] or sorted(wanted),
        roots=roots or sorted(wanted),
        failing_routes={v.service: tuple(r.route for r in v.failing_routes) for v in degraded if v.failing_routes},
        statuses=list(result.sources),
        nothing_degraded=not degraded,
        symptoms=[s for v in degraded for s in symptoms_of(v)],
        measured=result.window,
        provider_events=list(result.provider_events),
    )


def symptoms_of(verdict: ServiceVerdict) -> list[Symptom]:
    """The service's degraded error ratio and its highest degraded latency percentile, with their numbers."""
    found = []
    errors = verdict.error_ratio
    if errors.degraded and errors.now is not None:
        # A new service has no baseline; triage then judged the ratio against zero.
        found.append(Symptom(verdict.service, "errors", errors.now, errors.baseline or 0.0))
    latencies = {"p99": verdict.latency_p99_ms, "p95": verdict.latency_p95_ms, "p50": verdict.latency_p50_ms}
    for name, delta in latencies.items():
        if delta.degraded and delta.now is not None and delta.baseline is not None:
            found.append(Symptom(verdict.service, "latency", delta.now, delta.baseline, QUANTILES[name]))
            break  # one percentile is enough to recognise the same slowdown on another day
    return found
