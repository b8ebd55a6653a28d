"""The sections of a post-mortem draft, each computed from the record; every claim cites its event.

Nothing here narrates: a claim is a number or a statement the record holds, with the event id (or
query) it comes from. Where the record is silent, the section carries a gap saying what to add.
"""

from __future__ import annotations

from collections.abc import Iterator

from adapters.models import iso_utc
from mcp_server.hypotheses.models import Hypothesis
from mcp_server.hypotheses.rank import rank_hypotheses
from mcp_server.postmortem.figures import Figure, ResponseFigures
from mcp_server.postmortem.models import SECTION_TITLES, Claim, Section, SectionKey, cite
from mcp_server.postmortem.record import PostmortemRecord

MAX_TIMELINE_LINES = 60
# Kinds always kept in the timeline section; the rest fill the remaining lines in time order.
KEY_KINDS = frozenset(
    {"declared", "status_changed", "alert_fired", "deploy", "decision", "action", "comms_posted", "highlight"}
)


def section(key: SectionKey, claims: list[Claim], gap: str = "") -> Section:
    """A section with its shipped title; a gap only when there is nothing to claim."""
    return Section(key=key, title=SECTION_TITLES[key], claims=claims, gap="" if claims else gap)


def summary(record: PostmortemRecord, figures: ResponseFigures) -> Section:
    """What happened in three or four cited lines."""
    incident = record.incident
    declared = next(iter(record.of_kind("declared")), None)
    claims = [
        Claim(
            text=f"{incident.title} ({incident.severity}), declared {iso_utc(incident.declared_at)} by "
            f"{incident.declared_by}; status now {incident.status}.",
            cites=cite(declared.id if declared else None),
        )
    ]
    cause = _supported(record)
    if cause:
        event = record.hypothesis_event(cause[0].id, "supported")
        claims.append(Claim(text=f"Cause, supported by evidence: {cause[0].statement}.", cites=cite(event)))
    if figures.mitigate.event_id is not None:
        claims.append(_figure_claim(figures.mitigate, "Mitigated"))
    if record.roles:
        claims.append(_roles_claim(record))
    return section("summary", claims)


def _roles_claim(record: PostmortemRecord) -> Claim:
    """Who held each role, in order: 'incident commander alice, then bob; scribe carol'."""
    held: dict[str, list[str]] = {}
    for item in record.roles:
        held.setdefault(item.text.replace("_", " "), []).append(item.owner)
    text = "; ".join(f"{role} {', then '.join(people)}" for role, people in held.items())
    cites = [c for item in record.roles for c in cite(item.event_id)]
    return Claim(text=f"Roles: {text}.", cites=cites)


def impact(record: PostmortemRecord, figures: ResponseFigures) -> Section:
    """How long, which services, how bad: the durations and the error ratios triage measured."""
    claims = []
    end = figures.mitigate if figures.mitigate.minutes is not None else figures.resolve
    if end.minutes is not None:
        claims.append(
            Claim(
                text=f"Customer impact lasted {end.minutes:g} minutes, from {iso_utc(figures.impact_started_at)} "
                f"to {iso_utc(end.at) if end.at else '?'}.",
                cites=cite(end.event_id),
            )
        )
    claims += list(_worst_error_ratios(record))
    gap = "No triage ran on this incident and it is not mitigated: run triage with incident_id."
    return section("impact", claims, gap)


def _worst_error_ratios(record: PostmortemRecord) -> Iterator[Claim]:
    """Per degraded service, the highest error ratio any triage run recorded, against its baseline."""
    worst: dict[str, tuple[float, float | None, int]] = {}
    for event in record.of_kind("triage"):
        ratios = event.details.get("error_ratios")
        for service, values in (ratios or {}).items() if isinstance(ratios, dict) else ():
            now = values.get("now") if isinstance(values, dict) else None
            if isinstance(now, int | float) and (service not in worst or now > worst[service][0]):
                base = values.get("baseline") if isinstance(values, dict) else None
                worst[service] = (float(now), float(base) if isinstance(base, int | float) else None, event.id)
    for service, (now, base, event_id) in sorted(worst.items(), key=lambda item: -item[1][0]):
        against = f" against a {base:.2%} baseline" if base is not None else ""
        yield Claim(text=f"{service}: error ratio up to {now:.2%}{against}.", cites=cite(event_id))


def timeline(record: PostmortemRecord) -> tuple[Section, bool]:
    """The key events in time order, capped; whether any were left out."""
    events = record.live_events()
    key = [e for e in events if e.kind in KEY_KINDS or e.details.get("status") in ("supported", "refuted")]
    rest = [e for e in events if e not in key]
    chosen = sorted((key + rest)[:MAX_TIMELINE_LINES], key=lambda e: (e.occurred_at, e.id))
    claims = [Claim(text=f"{iso_utc(e.occurred_at)} {e.kind}: {_one_line(e.text)}", cites=cite(e.id)) for e in chosen]
    return section("timeline", claims, "The timeline is empty."), len(events) > len(chosen)


def figures_section(figures: ResponseFigures, record_reopening: int | None = None) -> Section:
    """Time to detect, acknowledge, mitigate and resolve; unknown ones say why."""
    labelled = (
        (figures.detect, "Detected"),
        (figures.acknowledge, "Acknowledged"),
        (figures.mitigate, "Mitigated"),
        (figures.resolve, "Resolved"),
    )
    claims = [_figure_claim(figure, label) for figure, label in labelled if figure.event_id is not None]
    gaps = [figure.basis for figure, _ in labelled if figure.event_id is None]
    if figures.reopened:
        reopened = f"Reopened {figures.reopened} time(s) after a mitigation."
        claims.append(Claim(text=reopened, cites=cite(record_reopening)))
    built = section("figures", claims)
    return built.model_copy(update={"gap": "; ".join(gaps)}) if gaps else built


def _figure_claim(figure: Figure, label: str) -> Claim:
    when = iso_utc(figure.at) if figure.at else "?"
    return Claim(text=f"{label} {figure.minutes:g} min after impact began ({when}).", cites=cite(figure.event_id))


def root_cause(record: PostmortemRecord) -> Section:
    """The supported hypotheses with their evidence: the first the root cause, the rest contributing."""
    supported = _supported(record)
    claims = []
    for place, hypothesis in enumerate(supported):
        label = "Root cause" if place == 0 else "Contributing factor"
        event = record.hypothesis_event(hypothesis.id, "supported")
        claims.append(Claim(text=f"{label}: {hypothesis.statement} ({hypothesis.id}).", cites=cite(event)))
        claims += [
            Claim(
                text=f"Evidence for {hypothesis.id}: {e.summary}",
                cites=[*cite(record.evidence_event(hypothesis.id, e.summary)), e.reference or e.source],
            )
            for e in hypothesis.evidence
            if e.direction == "for"
        ]
    return section("root_cause", claims, _no_cause_gap(record))


def _supported(record: PostmortemRecord) -> list[Hypothesis]:
    return [r.hypothesis for r in rank_hypotheses(record.hypotheses) if r.hypothesis.status == "supported"]


def _no_cause_gap(record: PostmortemRecord) -> str:
    ranked = [r.hypothesis for r in rank_hypotheses(record.hypotheses) if r.hypothesis.status != "refuted"]
    if not ranked:
        return "Not established: no hypothesis is recorded. Record one and settle it with evidence from a tool."
    lead = ranked[0]
    return (
        f"Not established: no hypothesis is supported yet; the leading one is {lead.id} ({lead.status}): "
        f"{lead.statement}."
    )


def ruled_out(record: PostmortemRecord) -> Section:
    """Refuted hypotheses with the evidence against them, and the items ruled out during the response."""
    claims = []
    for hypothesis in (h for h in record.hypotheses if h.status == "refuted"):
        against = "; ".join(e.summary for e in hypothesis.evidence if e.direction == "against")
        claims.append(
            Claim(
                text=f"{hypothesis.statement} ({hypothesis.id}): refuted, {against}.",
                cites=cite(record.hypothesis_event(hypothesis.id, "refuted")),
            )
        )
    claims += [
        Claim(text=f"{item.text}: {item.note}".rstrip(": "), cites=cite(item.event_id)) for item in record.ruled_out
    ]
    return section("ruled_out", claims, "Nothing was recorded as ruled out.")


def will_change(record: PostmortemRecord) -> Section:
    """The follow-up actions the team committed to, with their owners."""
    claims = [
        Claim(text=f"{item.text} (owner: {item.owner or 'unassigned'}, {item.status}).", cites=cite(item.event_id))
        for item in record.follow_ups
        if item.status != "cancelled"
    ]
    return section("will_change", claims, "No follow-up action is recorded: add them (kind follow_up) with owners.")


def will_not_change(record: PostmortemRecord) -> Section:
    """Follow-ups the team decided against, and decisions recorded as such, with the reason given."""
    claims = [
        Claim(text=f"{item.text}: {item.note or 'no reason recorded'}.", cites=cite(item.event_id))
        for item in record.follow_ups
        if item.status == "cancelled"
    ]
    claims += [Claim(text=_one_line(e.text), cites=cite(e.id)) for e in record.of_kind("not_changing")]
    return section(
        "will_not_change",
        claims,
        "Nothing recorded: cancel a follow-up with the reason, or append_timeline kind 'not_changing'.",
    )


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 300 else flat[:297] + "..."
