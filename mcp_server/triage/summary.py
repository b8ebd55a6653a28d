"""The one-page markdown summary a responder reads in 30 seconds, and the ruled-out list.

Degraded services come first (likely roots, then symptoms), each with its numbers against the
baseline and the window they were measured over; healthy services are only counted, so the page
stays short at hundreds of services.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from adapters.models import Deploy, ProviderEvent, SourceStatus, iso_utc
from mcp_server.triage.models import ServiceVerdict, SignalDelta, TriageResult

MAX_NAMES = 12
MAX_DETAILED = 10
MAX_UNKNOWN_DETAILED = 5


def hhmm(moment: datetime, reference: datetime) -> str:
    """``03:07Z`` on the reference day, the full ISO form on any other day."""
    if moment.date() == reference.date():
        return moment.strftime("%H:%MZ")
    return iso_utc(moment)


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    return shown + (f" (+{len(names) - MAX_NAMES} more)" if len(names) > MAX_NAMES else "")


def ruled_out(
    verdicts: Sequence[ServiceVerdict],
    deploys: Sequence[Deploy],
    events: Sequence[ProviderEvent],
    statuses: Sequence[SourceStatus],
) -> list[str]:
    """The checks that came back clean; a check whose source failed is never listed here."""
    answered = {s.capability for s in statuses if s.status == "ok"}
    failed = {s.capability for s in statuses if s.status != "ok"}
    lines = []
    healthy = [v.service for v in verdicts if v.status == "healthy"]
    if healthy:
        lines.append(f"errors, latency and traffic normal against baseline: {_names(healthy)}")
    quiet = [v.service for v in verdicts if v.status == "quiet"]
    if quiet:
        lines.append(f"too quiet to judge, nothing abnormal: {_names(quiet)}")
    checked = [v for v in verdicts if v.health is not None and v.health.status != "unknown"]
    up = [v for v in checked if v.health is not None and v.health.status == "up"]
    if checked and len(up) == len(checked):
        lines.append(f"health checks: all {len(checked)} up")
    if not deploys and "deploys" in answered and "deploys" not in failed:
        lines.append("no deploys in the deploy window")
    open_events = [e for e in events if e.status not in ("resolved", "postmortem")]
    if not open_events and "provider_events" in answered and "provider_events" not in failed:
        lines.append("no provider incident open in the last hour")
    return lines


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def _rps(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _factor(delta: SignalDelta) -> str:
    return f" (x{delta.factor:.1f})" if delta.factor is not None and delta.baseline else ""


def _service_lines(v: ServiceVerdict, result: TriageResult) -> list[str]:
    lines = [f"- {reason}" for reason in v.reasons]
    e, p99, traffic = v.error_ratio, v.latency_p99_ms, v.traffic_rps
    lines.append(
        f"- errors {_pct(e.now)} vs {_pct(e.baseline)}{_factor(e)} · p99 {_ms(p99.now)} vs {_ms(p99.baseline)}"
        f" · traffic {_rps(traffic.now)} vs {_rps(traffic.baseline)} req/s"
    )
    if v.onset is not None:
        lines.append(f"- started about {hhmm(v.onset, result.at)}")
    if v.sparkline.strip():
        lines.append(
            f"- error ratio {hhmm(result.sparkline_window.start, result.at)}→"
            f"{hhmm(result.sparkline_window.end, result.at)}: `{v.sparkline}`"
        )
    if v.failing_routes:
        routes = ", ".join(
            f"{r.route} {r.share_of_errors:.0%} of errors ({_pct(r.error_ratio)} failing)" for r in v.failing_routes
        )
        lines.append(f"- failing routes: {routes}")
    if v.health is not None and v.health.status != "up":
        lines.append(f"- health: {v.health.status} {v.health.detail}".rstrip())
    links = " · ".join(f"[{name}]({url})" for name, url in v.links.items() if url and name in ("errors", "p99"))
    if links:
        lines.append(f"- queries: {links}")
    return lines


def _heading(v: ServiceVerdict) -> str:
    team = f" (team {v.team})" if v.team else ""
    if v.role == "likely_root":
        return f"### Likely root: {v.service}{team}"
    if v.role == "symptom":
        return f"### Symptom: {v.service}{team}, downstream of {', '.join(v.caused_by)}"
    if v.status == "degraded":  # no role assigned (topology not applied)
        return f"### Degraded: {v.service}{team}"
    return f"### Unknown: {v.service}{team}"


def _deploy_lines(result: TriageResult) -> list[str]:
    if not result.deploys:
        return []
    roots = set(result.likely_roots)
    lines = [f"## Deploys {hhmm(result.deploy_window.start, result.at)}→{hhmm(result.deploy_window.end, result.at)}"]
    for d in result.deploys[:10]:
        done = hhmm(d.finished_at, result.at) if d.finished_at else "still rolling out"
        mark = " **← to a likely root**" if d.service in roots else ""
        previous = f" (from {d.previous_version})" if d.previous_version else ""
        lines.append(f"- {done} {d.service} {d.version}{previous} {d.status} by {d.author or '?'}{mark}")
    if len(result.deploys) > 10:
        lines.append(f"- … {len(result.deploys) - 10} more: call list_deploys")
    return lines


def _context_lines(result: TriageResult) -> list[str]:
    lines = []
    open_events = [e for e in result.provider_events if e.status not in ("resolved", "postmortem")]
    if open_events:
        lines.append("## Provider events")
        lines += [f"- {e.provider}: {e.title} ({e.status}, impact {e.impact})" for e in open_events[:8]]
    if result.alerts:
        lines.append("## Alerts firing")
        for a in result.alerts[:8]:
            lines.append(
                f"- {a.name} ({a.service or 'no service'}, {a.severity or 'no severity'}) "
                f"since {hhmm(a.starts_at, result.at)}"
            )
        if len(result.alerts) > 8:
            lines.append(f"- … {len(result.alerts) - 8} more: call list_active_alerts")
    return lines


def _header(result: TriageResult) -> list[str]:
    w = result.window
    healthy = result.services_total - len(result.degraded) - len(result.unknown)
    verdict = (
        f"**{len(result.degraded)} degraded** ({len(result.likely_roots)} likely root, {len(result.symptoms)} symptom)"
        if result.degraded
        else "**Nothing degraded**"
    )
    lines = [f"# Triage {result.environment} at {iso_utc(result.at)}"]
    if result.data_note:
        lines.append(f"> {result.data_note}")
    lines.append(
        f"{verdict} · {len(result.unknown)} unknown · {healthy} healthy or quiet of {result.services_total}. "
        f"Window {iso_utc(w.start)}..{iso_utc(w.end)} against the same window 1 and 7 days earlier "
        "and the hour before."
    )
    return lines


def _page_lines(result: TriageResult) -> list[str]:
    """What the firing alerts point at, against what triage found: the page is not always the problem."""
    causes = {v.service: v.caused_by for v in result.services}
    lines = []
    for service in sorted({a.service for a in result.alerts if a.service}):
        if service in result.symptoms:
            roots = ", ".join(causes.get(service, [])) or "another service"
            lines.append(f"**The alert on {service} is a symptom: look at {roots} first.**")
        elif service in result.unknown:
            lines.append(f"The alert on {service}: its data is missing, so triage cannot confirm it.")
        elif service not in result.degraded:
            lines.append(f"The alert on {service}: {service} looks normal against its baseline.")
    return lines


def _source_lines(result: TriageResult) -> list[str]:
    bad = [s for s in result.sources if s.status != "ok"]
    if not bad:
        return [f"Sources: all {len(result.sources)} answered ({result.queries_made} metric queries)."]
    lines = ["## Sources that did not answer (their part is unknown, not healthy)"]
    lines += [f"- {s.source} ({s.capability}): {s.status}: {s.detail[:200]}" for s in bad]
    return lines


def _rank(v: ServiceVerdict) -> tuple[int, int]:
    """Degraded before unknown, likely roots before symptoms; a stable sort keeps the caller's order otherwise."""
    return (0 if v.status == "degraded" else 1, {"likely_root": 0, "symptom": 1}.get(v.role, 2))


def _unknown_lines(unknown: Sequence[ServiceVerdict], result: TriageResult) -> list[str]:
    """Unknown services grouped by reason: when a backend is down, one line, not one section per service."""
    if not unknown:
        return []
    if len(unknown) <= MAX_UNKNOWN_DETAILED:
        lines = []
        for v in unknown:
            lines.append(_heading(v))
            lines += _service_lines(v, result)
        return lines
    groups: dict[str, list[str]] = {}
    for v in unknown:
        groups.setdefault(v.reasons[0][:240] if v.reasons else "no reason recorded", []).append(v.service)
    lines = [f"## Unknown: {len(unknown)} (not healthy: their data is missing)"]
    lines += [f"- {_names(names)}: {reason}" for reason, names in list(groups.items())[:8]]
    if len(groups) > 8:
        lines.append(f"- … {len(groups) - 8} more reasons (details in `services`)")
    return lines


def render_summary(result: TriageResult) -> str:
    """Render the one-page summary of a triage run."""
    lines = _header(result) + _page_lines(result)
    degraded = sorted((v for v in result.services if v.status == "degraded"), key=_rank)
    if degraded:
        lines.append("## Degraded")
    for v in degraded[:MAX_DETAILED]:
        lines.append(_heading(v))
        lines += _service_lines(v, result)
    if len(degraded) > MAX_DETAILED:
        rest = [v.service for v in degraded[MAX_DETAILED:]]
        lines.append(f"### {len(rest)} more degraded: {_names(rest)} (details in `services`)")
    lines += _unknown_lines([v for v in result.services if v.status == "unknown"], result)
    lines += _deploy_lines(result)
    lines += _context_lines(result)
    if result.ruled_out:
        lines.append("## Ruled out")
        lines += [f"- {line}" for line in result.ruled_out]
    lines += _source_lines(result)
    return "\n".join(lines) + "\n"
