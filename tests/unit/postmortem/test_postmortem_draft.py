"""The post-mortem draft from constructed records: every section, every claim cited, gaps said plainly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from golden import assert_golden

from adapters.errors import ConfigError
from mcp_server.embedded import demo_settings
from mcp_server.hypotheses.models import Evidence, Hypothesis
from mcp_server.postmortem.draft import assemble, output_path, render, write_draft
from mcp_server.postmortem.models import SECTION_TITLES
from mcp_server.postmortem.record import Item, PostmortemRecord
from mcp_server.store.errors import InvalidRecordError
from mcp_server.store.models import Incident, TimelineEvent
from mcp_server.store.settings import StoreConfig

START = datetime(2026, 3, 14, 14, 0, tzinfo=UTC)
GOLDEN = Path(__file__).parent / "golden"


def incident(status: str = "resolved") -> Incident:
    return Incident(
        id="INC-7",
        title="Checkout errors",
        severity="SEV2",
        status=status,  # type: ignore[arg-type]
        started_at=START,
        declared_at=START + timedelta(minutes=4),
        declared_by="dana",
        updated_at=START + timedelta(hours=2),
    )


def event(number: int, minute: float, kind: str, text: str = "", **details: Any) -> TimelineEvent:
    at = START + timedelta(minutes=minute)
    return TimelineEvent(
        id=number,
        incident_id="INC-7",
        occurred_at=at,
        recorded_at=at,
        source="firstfifteen",
        kind=kind,
        actor="dana",
        text=text or kind,
        details=details,
    )


def status(number: int, minute: float, before: str, after: str) -> TimelineEvent:
    return event(number, minute, "status_changed", f"{before} -> {after}", **{"from": before, "to": after})


def hypothesis(hid: str, statement: str, state: str, *evidence: Evidence) -> Hypothesis:
    return Hypothesis(id=hid, statement=statement, status=state, evidence=list(evidence))  # type: ignore[arg-type]


def proof(direction: str, summary: str, reference: str) -> Evidence:
    return Evidence(direction=direction, summary=summary, source="tool", reference=reference)  # type: ignore[arg-type]


def full_record() -> PostmortemRecord:
    """A resolved incident: alert, declaration, triage, a cause supported, one refuted, rollback, follow-ups."""
    events = [
        event(1, 2, "alert_fired", "CheckoutErrorRate firing"),
        event(2, 4, "declared", "Checkout errors declared"),
        event(
            3, 6, "triage", "triage: checkout degraded", error_ratios={"checkout": {"now": 0.182, "baseline": 0.004}}
        ),
        event(4, 9, "hypothesis_recorded", "H-1 proposed", hypothesis="H-1", status="proposed"),
        event(5, 12, "comms_posted", "status page: investigating"),
        event(6, 20, "hypothesis", "H-2 refuted", hypothesis="H-2", status="refuted"),
        event(7, 24, "hypothesis", "H-1 supported", hypothesis="H-1", status="supported"),
        event(8, 26, "decision", "Roll back checkout to a1b2c3d"),
        status(9, 31, "open", "mitigated"),
        status(10, 80, "mitigated", "resolved"),
    ]
    return PostmortemRecord(
        incident=incident(),
        events=events,
        hypotheses=[
            hypothesis(
                "H-1",
                "Deploy a1b2c3e exhausted the DB pool",
                "supported",
                proof("for", "pool wait p99 from 2 ms to 900 ms after the deploy", "query_metric pool_wait"),
            ),
            hypothesis(
                "H-2",
                "Node memory pressure",
                "refuted",
                proof("against", "memory flat at 41% throughout", "query_metric node_memory"),
            ),
        ],
        follow_ups=[
            Item("Add a pool-size check to the deploy pipeline", 11, owner="sam", status="pending"),
            Item("Rewrite the checkout service", 12, status="cancelled", note="the pool check covers the risk"),
        ],
        ruled_out=[Item("Payment provider outage", 13, note="provider status green, no 5xx from its API")],
        roles=[Item("incident_commander", 14, owner="dana"), Item("incident_commander", 15, owner="sam")],
    )


def all_claims(record: PostmortemRecord) -> list[Any]:
    draft = assemble(record, START + timedelta(hours=3))
    return [claim for s in draft.sections for claim in s.claims]


def test_a_full_record_fills_every_section_in_order():
    draft = assemble(full_record(), START + timedelta(hours=3))
    assert [s.key for s in draft.sections] == list(SECTION_TITLES)
    assert all(s.claims for s in draft.sections), [s.key for s in draft.sections if not s.claims]
    assert all(not s.gap for s in draft.sections if s.key != "figures")


def test_every_claim_cites_an_event_of_the_record_or_a_query():
    record = full_record()
    items = record.follow_ups + record.ruled_out + record.roles
    known = {f"ev {e.id}" for e in record.events} | {f"ev {i.event_id}" for i in items}
    queries = {e.reference for h in record.hypotheses for e in h.evidence}
    for claim in all_claims(record):
        assert claim.cites, claim.text
        assert set(claim.cites) <= known | queries, claim


def test_the_numbers_come_from_the_timeline_and_triage():
    sections = {s.key: s for s in assemble(full_record(), START).sections}
    assert sections["summary"].claims[-1].text == "Roles: incident commander dana, then sam."
    impact = [c.text for c in sections["impact"].claims]
    assert impact[0].startswith("Customer impact lasted 31 minutes")
    assert "checkout: error ratio up to 18.20% against a 0.40% baseline." in impact
    root = sections["root_cause"].claims
    assert root[0].text.startswith("Root cause: Deploy a1b2c3e") and root[0].cites == ["ev 7"]
    assert root[1].cites == ["ev 4", "query_metric pool_wait"]  # the event that recorded it, and the query
    assert [c.cites for c in sections["ruled_out"].claims] == [["ev 6"], ["ev 13"]]
    assert sections["will_change"].claims[0].text.endswith("(owner: sam, pending).")
    assert "the pool check covers the risk" in sections["will_not_change"].claims[0].text


def test_a_record_with_no_data_yet_says_what_is_missing_and_claims_nothing_uncited():
    record = PostmortemRecord(incident=incident("open"), events=[event(1, 4, "declared")], hypotheses=[])
    draft = assemble(record, START + timedelta(minutes=5))
    gaps = {s.key: s.gap for s in draft.sections}
    assert "no hypothesis is recorded" in gaps["root_cause"]
    assert "run triage" in gaps["impact"]
    assert "No follow-up action" in gaps["will_change"]
    assert all(c.cites for s in draft.sections for c in s.claims)
    markdown = render(draft)
    assert all(f"## {title}" in markdown for title in SECTION_TITLES.values())


def test_a_reopening_is_counted_and_judged_as_went_badly():
    events = [
        event(1, 2, "alert_fired"),
        event(2, 4, "declared"),
        status(3, 20, "open", "mitigated"),
        status(4, 35, "mitigated", "open"),
        status(5, 50, "open", "mitigated"),
    ]
    record = PostmortemRecord(incident=incident("mitigated"), events=events, hypotheses=[])
    sections = {s.key: s for s in assemble(record, START + timedelta(hours=1)).sections}
    reopened = [c for c in sections["figures"].claims if c.text.startswith("Reopened")]
    assert reopened and reopened[0].cites == ["ev 4"]
    badly = [c.text for c in sections["went_badly"].claims]
    assert any("reopened 1 time(s)" in text for text in badly)
    assert "Resolved" not in " ".join(c.text for c in sections["figures"].claims)
    assert sections["figures"].gap  # the resolve figure is unknown, and says why


def test_a_gap_in_the_timeline_leaves_the_figure_unknown_rather_than_guessed():
    record = PostmortemRecord(incident=incident("open"), events=[event(1, 4, "declared")], hypotheses=[])
    draft = assemble(record, START)
    assert draft.figures.mitigate.minutes is None
    assert not any(c.text.startswith("Mitigated") for s in draft.sections for c in s.claims)


def test_the_shipped_template_renders_the_full_record_as_the_golden_file():
    assert_golden(GOLDEN / "full.md", render(assemble(full_record(), START + timedelta(hours=3))))


def test_a_team_template_overrides_the_shipped_one(tmp_path):
    (tmp_path / "postmortem.md.j2").write_text("PM {{ pm.incident_id }}: {{ order | length }} sections\n")
    assert render(assemble(full_record(), START), tmp_path) == "PM INC-7: 10 sections\n"


def test_a_template_naming_a_missing_field_fails_with_a_config_error(tmp_path):
    (tmp_path / "postmortem.md.j2").write_text("{{ pm.no_such_field }}\n")
    with pytest.raises(ConfigError, match="template failed"):
        render(assemble(full_record(), START), tmp_path)


def test_a_draft_is_replaced_but_a_file_a_person_edited_is_not(tmp_path):
    path = tmp_path / "INC-7-postmortem.md"
    write_draft(path, "# first\n", overwrite=False)
    write_draft(path, "# second\n", overwrite=False)
    assert path.read_text().startswith("# second\n")
    path.write_text(path.read_text().replace("second", "second, with our analysis"))
    with pytest.raises(InvalidRecordError, match="edited"):
        write_draft(path, "# third\n", overwrite=False)
    assert "with our analysis" in path.read_text()
    write_draft(path, "# third\n", overwrite=True)
    assert path.read_text().startswith("# third\n")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("name", ["../escape.md", "sub/INC-7.md", ".hidden.md", "notes.txt"])
def test_only_a_bare_markdown_filename_is_accepted(name, tmp_path):
    config, _, _ = demo_settings()
    config = config.model_copy(update={"store": StoreConfig(path=str(tmp_path / "db.sqlite"))})
    with pytest.raises(InvalidRecordError, match="bare markdown"):
        output_path(config, "INC-7", name)
    assert output_path(config, "INC-7", None) == tmp_path / "postmortems" / "INC-7-postmortem.md"
