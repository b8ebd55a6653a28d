import pytest

from mcp_server.comms.lint import check_customer_text, check_secrets

INTERNAL = ["checkout-api", "payments", "db"]
PUBLIC = ["Checkout", "Payments"]


@pytest.mark.parametrize(
    ("text", "rule", "offending"),
    [
        ("Errors from checkout-api are rising.", "internal_name", "checkout-api"),
        ("db-7.prod.internal is overloaded.", "hostname", "db-7.prod.internal"),
        ("Pod checkout-7d9f8b6c5-x2kqp restarted.", "hostname", "checkout-7d9f8b6c5-x2kqp"),
        ("Traffic to 10.2.3.4 failed.", "ip_address", "10.2.3.4"),
        ("Traffic to fe80::1:2:3 failed.", "ip_address", "fe80::1:2:3"),
        ("Use token=abcdef123456 to retry.", "secret", "token=abcdef123456"),
        ("Header Bearer abcdefghijklmnopqrstuvwxyz", "secret", "Bearer abcdefghijklmnopqrstuvwxyz"),
        ("key xoxb-1234567890-abcdefghij", "secret", "xoxb-1234567890-abcdefghij"),
        ("This was caused by human error.", "blame", "human error"),
        ("An engineer pushed a bad change.", "blame", "An engineer pushed"),
        ("It will be fixed within 30 minutes.", "promise", "will be fixed within 30 minutes"),
        ("Service back in 2 hours.", "promise", "in 2 hours"),
    ],
)
def test_each_rule_names_the_offending_text(text, rule, offending):
    findings = check_customer_text(text, INTERNAL, PUBLIC)
    assert any(f.rule == rule and f.text == offending for f in findings), findings
    assert all(f.message for f in findings)


@pytest.mark.parametrize(
    "text",
    [
        "Some customers cannot complete Checkout. We are investigating the cause. Next update by 14:30 UTC.",
        "Payments are slower than usual. A fix has been applied and we are monitoring the results.",
        "Affected: Checkout (partial outage), Payments (degraded performance).",
        "We are aware of the problem, and our engineers are working on it.",
    ],
)
def test_clean_customer_text_has_no_findings(text):
    assert check_customer_text(text, INTERNAL, PUBLIC) == []


def test_public_component_names_are_allowed_even_if_also_a_service():
    assert check_customer_text("Payments are slow.", INTERNAL, PUBLIC) == []
    assert [f.text for f in check_customer_text("payments are slow", INTERNAL, [])] == ["payments"]


def test_an_eta_with_a_basis_is_allowed():
    text = "It will be fixed within 30 minutes."
    assert [f.rule for f in check_customer_text(text, [], [], eta_basis="rollback takes 6 min")] == []


def test_internal_drafts_are_only_checked_for_secrets():
    assert check_secrets("checkout-api on 10.0.0.1 is failing") == []
    assert check_secrets("password: hunter2hunter2")[0].rule == "secret"
