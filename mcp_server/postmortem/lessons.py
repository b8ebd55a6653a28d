"""What went well and what went badly, judged from the response figures and the record against plain targets.

The targets (``record.py``) are what an on-call team usually aims for; each judgement cites the
event it is measured from, so a reader can disagree with the target, never with the number.
"""

from __future__ import annotations

from collections.abc import Iterator

from mcp_server.postmortem.figures import Figure, ResponseFigures
from mcp_server.postmortem.models import Claim, Section, cite
from mcp_server.postmortem.record import (
    GOOD_ACK_MINUTES,
    GOOD_DETECT_MINUTES,
    GOOD_FIRST_UPDATE_MINUTES,
    GOOD_MITIGATE_MINUTES,
    GOOD_TRIAGE_MINUTES,
    PostmortemRecord,
)
from mcp_server.postmortem.sections import section

TARGETS = (
    ("detect", "Detected", GOOD_DETECT_MINUTES),
    ("acknowledge", "Acknowledged", GOOD_ACK_MINUTES),
    ("mitigate", "Mitigated", GOOD_MITIGATE_MINUTES),
)


def went_well(record: PostmortemRecord, figures: ResponseFigures) -> Section:
    """Figures within their targets, a quick triage and first update, and causes settled with evidence."""
    claims = [_timed(figure, label, target) for figure, label, target in _figures(figures) if _within(figure, target)]
    claims += list(_quick_steps(record))
    claims += [
        Claim(text=f"Hypothesis {h.id} was ruled out with evidence, not by guess.", cites=cite(event))
        for h in record.hypotheses
        if h.status == "refuted" and (event := record.hypothesis_event(h.id, "refuted")) is not None
    ]
    return section("went_well", claims, "Nothing in the record meets a target yet; add what the team saw go well.")


def went_badly(record: PostmortemRecord, figures: ResponseFigures) -> Section:
    """Figures past their targets or unknown, reopenings, blind spots in triage, no update sent."""
    claims = [_timed(figure, label, target) for figure, label, target in _figures(figures) if _late(figure, target)]
    if figures.reopened:
        claims.append(
            Claim(
                text=f"The incident reopened {figures.reopened} time(s): a mitigation did not hold.",
                cites=cite(record.first_reopening()),
            )
        )
    claims += list(_blind_spots(record))
    if not record.of_kind("comms_posted"):
        declared = record.of_kind("declared")
        claims.append(
            Claim(
                text="No communication update was posted through firstfifteen.",
                cites=cite(declared[0].id if declared else None),
            )
        )
    return section("went_badly", [c for c in claims if c.cites], "Nothing in the record misses a target.")


def _figures(figures: ResponseFigures) -> Iterator[tuple[Figure, str, float]]:
    names = {"detect": figures.detect, "acknowledge": figures.acknowledge, "mitigate": figures.mitigate}
    for name, label, target in TARGETS:
        yield names[name], label, target


def _within(figure: Figure, target: float) -> bool:
    return figure.minutes is not None and figure.minutes <= target


def _late(figure: Figure, target: float) -> bool:
    return figure.minutes is not None and figure.minutes > target


def _timed(figure: Figure, label: str, target: float) -> Claim:
    side = "within" if _within(figure, target) else "past"
    return Claim(
        text=f"{label} {figure.minutes:g} min after impact began, {side} the {target:g}-minute target.",
        cites=cite(figure.event_id),
    )


def _quick_steps(record: PostmortemRecord) -> Iterator[Claim]:
    """Triage and the first update soon after the declaration."""
    declared = record.of_kind("declared")
    if not declared:
        return
    start = declared[0].occurred_at
    for kind, what, target in (
        ("triage", "Triage ran", GOOD_TRIAGE_MINUTES),
        ("comms_posted", "The first update was posted", GOOD_FIRST_UPDATE_MINUTES),
    ):
        first = next(iter(record.of_kind(kind)), None)
        if first is None:
            continue
        minutes = round((first.occurred_at - start).total_seconds() / 60, 1)
        if minutes <= target:
            yield Claim(text=f"{what} {minutes:g} min after the declaration.", cites=cite(first.id))


def _blind_spots(record: PostmortemRecord) -> Iterator[Claim]:
    """Triage runs that had a source failing: the responders worked partly blind."""
    for event in record.of_kind("triage"):
        failing = event.details.get("sources_not_ok")
        if isinstance(failing, list) and failing:
            names = ", ".join(str(f) for f in failing[:5])
            yield Claim(text=f"Triage ran with sources failing ({names}).", cites=cite(event.id))
