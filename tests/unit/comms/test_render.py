from datetime import UTC, datetime, timedelta

import pytest

from adapters.errors import ConfigError
from mcp_server.comms.facts import IncidentFacts, exec_email_due
from mcp_server.comms.render import clock_time, duration, render, template_environment

NOW = datetime(2026, 3, 14, 14, 7, tzinfo=UTC)


def facts(**changes) -> IncidentFacts:
    base = dict(
        incident_id="INC-7",
        title="Checkout errors",
        severity="SEV2",
        state="investigating",
        started_at=NOW - timedelta(minutes=25),
        now=NOW,
        customer_impact="Some customers cannot complete checkout.",
        components={"Checkout": "partial_outage"},
        known=["checkout: error ratio 11% vs 0.2%"],
        ruled_out=["no provider incident open"],
        investigating=["deploy v2.42.0"],
        owners={"dana": "rollback"},
        affected_services=["checkout", "frontend"],
        next_update_minutes={"status_page": 30, "chat": 15, "exec_email": 60, "support": 60},
        status_page_url="https://status.example.com",
    )
    base.update(changes)
    return IncidentFacts(**base)


ENV = template_environment()


def test_status_page_follows_the_public_state():
    investigating = render(ENV, "status_page", facts())
    assert "We are investigating the cause." in investigating.body
    assert "Checkout (partial outage)" in investigating.body and "Next update by 14:37 UTC." in investigating.body
    assert investigating.public_text == investigating.body
    identified = render(ENV, "status_page", facts(state="identified", cause="a faulty configuration change"))
    assert "We have identified the cause: a faulty configuration change" in identified.body
    resolved = render(ENV, "status_page", facts(state="resolved"))
    assert "has been resolved" in resolved.body and "Next update" not in resolved.body


def test_status_page_never_shows_the_cause_while_investigating():
    assert "configuration" not in render(ENV, "status_page", facts(cause="a faulty configuration change")).body


def test_chat_has_known_ruled_out_investigating_and_owners():
    body = render(ENV, "chat", facts()).body
    for fragment in (
        "*[SEV2] INC-7: Checkout errors*",
        "25 min ago",
        "• checkout: error ratio",
        "• no provider incident",
        "• deploy v2.42.0",
        "• dana: rollback",
        "*Next update:* 14:22 UTC",
        "checkout, frontend",
    ):
        assert fragment in body
    assert render(ENV, "chat", facts()).public_text == ""


def test_exec_email_has_a_subject_and_the_expected_fields():
    rendered = render(ENV, "exec_email", facts())
    assert rendered.subject == "[SEV2] INC-7: Checkout errors (investigating)"
    for field in (
        "Customer impact:",
        "Service impact: Checkout partial outage",
        "Impact duration: since 13:42 UTC (25 min so far)",
        "Root cause: not yet known",
        "Next update by 15:07 UTC.",
    ):
        assert field in rendered.body


def test_support_brief_separates_what_to_say():
    rendered = render(ENV, "support", facts(workaround="Pay by invoice."))
    assert rendered.public_text.startswith("We are aware that some customers cannot complete checkout")
    assert "Pay by invoice." in rendered.public_text and "https://status.example.com" in rendered.public_text
    assert "## What not to say" in rendered.body and "What not to say" not in rendered.public_text


def test_team_templates_override_the_shipped_ones(tmp_path):
    (tmp_path / "chat.md.j2").write_text("CUSTOM {{ facts.incident_id }}")
    env = template_environment(tmp_path)
    assert render(env, "chat", facts()).body == "CUSTOM INC-7\n"
    assert "We are investigating" in render(env, "status_page", facts()).body  # others stay shipped


def test_a_template_naming_an_unknown_fact_fails_loudly(tmp_path):
    (tmp_path / "chat.md.j2").write_text("{{ facts.nope }}")
    with pytest.raises(ConfigError, match="chat template failed"):
        render(template_environment(tmp_path), "chat", facts())


def test_times_carry_the_day_when_it_differs():
    assert clock_time(NOW, NOW) == "14:07 UTC"
    assert clock_time(NOW - timedelta(days=1), NOW) == "2026-03-13 14:07 UTC"
    assert duration(NOW - timedelta(minutes=125), NOW) == "2 h 5 min"


@pytest.mark.parametrize(
    ("severity", "policy", "due"), [("SEV1", "SEV2", True), ("SEV2", "SEV2", True), ("SEV3", "SEV2", False)]
)
def test_exec_email_policy(severity, policy, due):
    assert exec_email_due(severity, policy) is due


def test_each_item_and_section_is_on_its_own_line():
    chat = render(ENV, "chat", facts()).body.splitlines()
    assert chat[chat.index("*Known:*") + 1] == "• checkout: error ratio 11% vs 0.2%"
    assert "*Ruled out:*" in chat and "*Who is on what:*" in chat
    page = render(ENV, "status_page", facts()).body
    assert "\n\n\n" not in page
    assert page.splitlines()[:3] == ["Some customers cannot complete checkout.", "", "We are investigating the cause."]
