"""The coordination document and the handoff from constructed records (golden files), and the item rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from golden import assert_golden

from mcp_server.coordination.handoff import HandoffRecord, build_handoff
from mcp_server.coordination.models import Coordination, RoleAssignment, WorkItem, build_item
from mcp_server.coordination.render import render_coordination
from mcp_server.hypotheses.models import Evidence, Hypothesis
from mcp_server.store.models import Incident, TimelineEvent

START = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
GOLDEN = Path(__file__).parent / "golden"


def at(minute: float) -> datetime:
    return START + timedelta(minutes=minute)


def item(n: int, kind: str, text: str, **fields) -> WorkItem:
    prefix = {"workstream": "W-", "ruled_out": "R-", "question": "Q-", "action": "A-"}[kind]
    return WorkItem(id=f"{prefix}{n}", kind=kind, text=text, revision=1, event_id=10 + n, **fields)  # type: ignore[arg-type]


def coordination() -> Coordination:
    history = [
        RoleAssignment(role="incident_commander", person="alice", since=at(4), until=at(30), event_id=2),
        RoleAssignment(role="incident_commander", person="bob", since=at(30), event_id=9),
        RoleAssignment(role="scribe", person="carol", since=at(6), event_id=3),
    ]
    items = [
        item(1, "workstream", "DB pool on checkout", owner="dan", hypothesis_id="H-1", created_at=at(12)),
        item(2, "workstream", "provider status", owner="erin", status="done"),
        item(1, "ruled_out", "Payment provider outage", note="status green", evidence="list_provider_events"),
        item(1, "question", "Did the pool size change?", asked_by="bob"),
        item(2, "ruled_out", "DNS", evidence="health checks"),
        item(2, "question", "Is EU affected?", status="answered", note="no"),
        item(1, "action", "Roll back checkout", action_kind="mitigation", owner="bob", status="done"),
        item(2, "action", "Add a pool-size alert", action_kind="follow_up", due=at(24 * 60 * 7)),
    ]
    return Coordination(
        incident_id="INC-7",
        revision=12,
        roles={"incident_commander": "bob", "scribe": "carol"},
        role_history=history,
        items=items,
    )


def handoff_record(coordination: Coordination, status: str = "open") -> HandoffRecord:
    incident = Incident(
        id="INC-7",
        title="Checkout errors",
        severity="SEV2",
        status=status,  # type: ignore[arg-type]
        suspected_service="checkout",
        started_at=START,
        declared_at=at(4),
        declared_by="alice",
        updated_at=at(40),
    )
    triage = TimelineEvent(
        id=5,
        incident_id="INC-7",
        occurred_at=at(5),
        recorded_at=at(5),
        source="firstfifteen",
        kind="triage",
        text="triage: 1 degraded; likely roots checkout",
        details={"error_ratios": {"checkout": {"now": 0.12, "baseline": 0.002}}, "sources_not_ok": ["loki: timeout"]},
    )
    lead = Hypothesis(
        id="H-1",
        statement="The pool is exhausted",
        status="investigating",
        confidence="medium",
        next_step="query_metric pool wait",
        evidence=[
            Evidence(direction="for", summary="waits x40", source="query", reference="pool_wait", added_at=at(20)),
            Evidence(
                direction="against",
                summary="no pool change in the deploy",
                source="tool",
                reference="get_deploy_changes",
                link="https://git.example/checkout/compare/v41...v42",
                added_at=at(25),
            ),
        ],
    )
    comms = {"status_page": {"reminder": "status page update overdue since 03:30 UTC", "overdue": True}}
    return HandoffRecord(incident, coordination, [lead], [triage], comms)  # type: ignore[arg-type]


def test_the_live_document_matches_its_golden_file():
    markdown, cut = render_coordination(coordination())
    assert not cut
    assert_golden(GOLDEN / "coordination.md", markdown)


def test_a_long_section_is_cut_and_says_so():
    many = coordination().model_copy(
        update={"items": [item(n, "question", f"q{n}") for n in range(1, 8)], "roles": {}, "role_history": []}
    )
    markdown, cut = render_coordination(many, limit=3)
    assert cut and "... 4 more" in markdown and "- incident commander: unfilled" in markdown


def test_the_handoff_matches_its_golden_file_and_computes_its_risks():
    document = build_handoff(handoff_record(coordination()), at(45), "bob", "frank")
    assert_golden(GOLDEN / "handoff.md", document.markdown)
    assert document.risks == [
        "No cause is supported by evidence yet; the leading one is H-1.",
        "A-2 (Add a pool-size alert) has no owner.",
        "The last triage ran with sources failing (loki: timeout): parts are unknown.",
        "The status_page update is overdue.",
    ]


def test_a_handoff_with_nothing_recorded_names_each_gap():
    empty = Coordination(incident_id="INC-7", roles={}, role_history=[], items=[])
    record = handoff_record(empty, status="open")
    record = HandoffRecord(record.incident, empty, [], [], {})
    document = build_handoff(record, at(10), "alice")
    assert [m.split(":")[0] for m in document.missing] == [
        "Current hypotheses",
        "Evidence collected",
        "Actions taken",
        "Actions pending",
        "Open questions",
        "Communications cadence",
    ]
    assert "- No triage on record: run triage with incident_id." in document.markdown
    assert document.risks[0].startswith("Nobody holds incident commander")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"kind": "action", "text": "x", "status": "finished"}, "not one of a action's"),
        ({"kind": "question", "text": "x", "action_kind": "mitigation"}, "for actions only"),
        ({"kind": "action", "text": ""}, "text"),
        ({"kind": "action", "text": "x", "asked_by": "bob"}, "for questions only"),
    ],
)
def test_an_item_that_does_not_fit_its_kind_is_refused_with_the_reason(data, problem):
    with pytest.raises(ValueError, match=problem):
        build_item(data)


def test_new_items_start_in_their_kinds_first_status():
    assert build_item({"kind": "workstream", "text": "x"}).status == "active"
    action = build_item({"kind": "action", "text": "x"})
    assert (action.status, action.action_kind) == ("pending", "investigation")
