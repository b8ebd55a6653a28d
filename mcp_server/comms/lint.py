"""Check a draft before it can be posted: what customers must never read, and secrets nobody should.

Each finding names the rule, the offending text and why. Customer-facing text (the status page,
the support reply) gets every rule; internal drafts get the secret rule only.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from pydantic import Field

from adapters.models import Model

SECRET = re.compile(
    r"xox[abposr]-[A-Za-z0-9-]{8,}|gh[pousr]_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{16,}|(?i:(?:password|passwd|secret|api[_-]?key|token)\s*[:=]\s*\S{6,})"
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}|\b[0-9a-f]{40,}\b"
)
IPV4 = re.compile(r"\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b")
IPV6_CANDIDATE = re.compile(r"(?<![\w:])[0-9a-fA-F:]*:[0-9a-fA-F:]*:[0-9a-fA-F:]*(?![\w:])")
HOSTNAME = re.compile(
    r"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:internal|local|lan|corp|intra|svc|cluster\.local|localdomain)\b"
    r"|\b(?:ip|host|node|db|pg|redis|kafka)-\d[\w-]*\b"
    r"|\b[a-z][a-z0-9]*(?:-[a-z0-9]+)*-[a-f0-9]{8,10}-[a-z0-9]{5}\b",  # Kubernetes pod names
    re.IGNORECASE,
)
BLAME = re.compile(
    # People named as the cause, not people mentioned: "our engineers are working on it" is fine.
    r"\b(?:human error|operator error|(?:an?|our|the|one of our) "
    r"(?:engineer|developer|employee|contractor|intern|operator)s?"
    r" (?:made|caused|pushed|broke|forgot|deleted|erred|accidentally|mis\w+)\b"
    r"|(?:fault|mistake) of|blame[ds]?|careless(?:ness)?|negligen(?:t|ce)|should have known)",
    re.IGNORECASE,
)
PROMISE = re.compile(
    r"\b(?:will be (?:fixed|resolved|restored|back)(?: up)?(?: by| within| in)\b[^.]*"
    r"|(?:within|in) (?:the next )?\d+\s*(?:min(?:ute)?s?|hours?|hrs?)\b|\bETA\b[^.]*"
    r"|(?:guarantee[ds]?|promise[ds]?) [^.]*)",
    re.IGNORECASE,
)


class Finding(Model):
    """One problem in a draft: the rule it breaks, the offending text and what to do."""

    rule: str
    text: str
    message: str = Field(description="Why it matters and how to fix it")


def _findings(rule: str, pattern: re.Pattern[str], text: str, message: str) -> list[Finding]:
    seen: list[str] = []
    for match in pattern.finditer(text):
        if match.group(0) not in seen:
            seen.append(match.group(0))
    return [Finding(rule=rule, text=found.strip(), message=message) for found in seen]


def _is_ipv6(candidate: str) -> bool:
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


def internal_names(text: str, internal: Iterable[str], public: Iterable[str]) -> list[Finding]:
    """Configured service names that are not also public component names."""
    public_lower = {p.lower() for p in public}
    found = []
    for name in sorted(set(internal), key=len, reverse=True):
        if name.lower() in public_lower or len(name) < 3:
            continue
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.IGNORECASE):
            found.append(
                Finding(
                    rule="internal_name",
                    text=name,
                    message="an internal service name: use the public component name instead",
                )
            )
    return found


def check_secrets(text: str) -> list[Finding]:
    """Tokens, keys and passwords: never in any draft."""
    return _findings("secret", SECRET, text, "looks like a credential: remove it, and rotate it if it was real")


def check_customer_text(
    text: str, internal: Iterable[str], public: Iterable[str], eta_basis: str = ""
) -> list[Finding]:
    """Every rule for text customers read."""
    findings = check_secrets(text) + internal_names(text, internal, public)
    findings += _findings("ip_address", IPV4, text, "an IP address: customers never need one")
    findings += [
        Finding(rule="ip_address", text=candidate, message="an IP address: customers never need one")
        for candidate in dict.fromkeys(m.group(0) for m in IPV6_CANDIDATE.finditer(text))
        if _is_ipv6(candidate)
    ]
    findings += _findings("hostname", HOSTNAME, text, "an internal host name: describe the affected feature instead")
    findings += _findings("blame", BLAME, text, "blames a person: describe what happened to the system, blamelessly")
    if not eta_basis:
        findings += _findings(
            "promise",
            PROMISE,
            text,
            "promises a time with no basis: give an ETA only with eta_basis, else say when the next update is",
        )
    return findings
