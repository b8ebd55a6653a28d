"""Response figures from timelines with gaps, reopenings, deletions and events before impact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mcp_server.postmortem.figures import response_figures
from mcp_server.store.models import Incident, TimelineEvent

START = datetime(2026, 3, 14, 14, 0, tzinfo=UTC)


def incident(status: str = "resolved") -> Incident:
    return Incident(
        id="INC-7",
        title="Checkout errors",
        severity="SEV2",
        status=status,  # type: ignore[arg-type]
        started_at=START,
        declared_at=START + timedelta(minutes=6),
        declared_by="dana",
        updated_at=START + timedelta(hours=2),
    )


def event(
    number: int, minute: float, kind: str, actor: str = "", source: str = "human", **details: Any
) -> TimelineEvent:
    at = START + timedelta(minutes=minute)
    return TimelineEvent(
        id=number,
        incident_id="INC-7",
        occurred_at=at,
        recorded_at=at,
        source=source,
        kind=kind,
        actor=actor,
        text=kind,
        details=details,
    )


def status(number: int, minute: float, before: str, after: str) -> TimelineEvent:
    return event(number, minute, "status_changed", "dana", "firstfifteen", **{"from": before, "to": after})


def test_a_plain_incident_gives_all_four_figures_citing_their_events():
    events = [
        event(1, 3, "alert_fired", source="alertmanager"),
        event(2, 6, "declared", "dana", "firstfifteen"),
        status(3, 41, "open", "mitigated"),
        status(4, 95, "mitigated", "resolved"),
    ]
    figures = response_figures(incident(), events)
    assert (figures.detect.minutes, figures.detect.event_id) == (3.0, 1)
    assert (figures.acknowledge.minutes, figures.acknowledge.event_id) == (6.0, 2)
    assert (figures.mitigate.minutes, figures.mitigate.event_id) == (41.0, 3)
    assert (figures.resolve.minutes, figures.resolve.event_id) == (95.0, 4)
    assert figures.reopened == 0


def test_events_given_in_any_order_give_the_same_figures():
    events = [status(4, 95, "mitigated", "resolved"), event(1, 3, "alert_fired", source="alertmanager")]
    events += [status(3, 41, "open", "mitigated"), event(2, 6, "declared", "dana", "firstfifteen")]
    assert response_figures(incident(), events) == response_figures(incident(), sorted(events, key=lambda e: e.id))


def test_an_explicit_acknowledgement_beats_the_first_human_action():
    events = [
        event(1, 2, "alert_fired", source="alertmanager"),
        event(2, 4, "note", "sam"),
        event(3, 3, "acknowledged", "sam", "pagerduty"),
    ]
    assert response_figures(incident("open"), events).acknowledge.event_id == 3


def test_a_reopened_incident_was_mitigated_when_the_last_mitigation_that_held_began():
    events = [
        event(1, 2, "alert_fired", source="alertmanager"),
        status(2, 20, "open", "mitigated"),
        status(3, 35, "mitigated", "open"),
        status(4, 50, "open", "mitigated"),
        status(5, 70, "mitigated", "resolved"),
        status(6, 80, "resolved", "open"),
        status(7, 90, "open", "resolved"),
    ]
    figures = response_figures(incident(), events)
    assert figures.reopened == 2
    assert (figures.mitigate.minutes, figures.mitigate.event_id) == (90.0, 7)
    assert (figures.resolve.minutes, figures.resolve.event_id) == (90.0, 7)


def test_an_incident_reopened_and_still_open_has_no_mitigation_and_no_resolution():
    events = [status(1, 20, "open", "mitigated"), status(2, 30, "mitigated", "open")]
    figures = response_figures(incident("open"), events)
    assert figures.mitigate.minutes is None and "unknown" in figures.mitigate.basis
    assert figures.resolve.minutes is None and "is open" in figures.resolve.basis
    assert figures.reopened == 1


@pytest.mark.parametrize(("missing", "detected_at"), [("alert_fired", 6.0), ("declared", 5.0)])
def test_detection_falls_back_to_what_the_timeline_has(missing, detected_at):
    events = [event(1, 5, "alert_fired", source="alertmanager"), event(2, 6, "declared", "dana")]
    figures = response_figures(incident("open"), [e for e in events if e.kind != missing])
    assert figures.detect.minutes == detected_at


def test_an_empty_timeline_is_unknown_not_zero():
    figures = response_figures(incident("open"), [])
    for figure in (figures.detect, figures.acknowledge, figures.mitigate, figures.resolve):
        assert figure.minutes is None and figure.at is None and figure.basis.startswith("unknown")


def test_deleted_events_and_events_before_impact_do_not_count():
    deleted = event(1, 1, "alert_fired", source="alertmanager").model_copy(update={"deleted_at": START})
    earlier = event(2, -30, "alert_fired", source="alertmanager")
    figures = response_figures(incident("open"), [deleted, earlier, event(3, 9, "alert_fired", source="alertmanager")])
    assert figures.detect.event_id == 3


def test_a_tools_own_records_are_not_a_person_acknowledging():
    events = [
        event(1, 2, "alert_fired", source="alertmanager"),
        event(2, 3, "triage", "firstfifteen", "firstfifteen"),
        event(3, 12, "message", "sam", "slack"),
    ]
    assert response_figures(incident("open"), events).acknowledge.event_id == 3


def test_times_echo_as_utc():
    figures = response_figures(incident(), [event(1, 3, "alert_fired", source="alertmanager")])
    assert figures.model_dump(mode="json")["detect"]["at"] == "2026-03-14T14:03:00Z"
