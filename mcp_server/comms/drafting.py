"""Draft every audience's message from one set of facts, check them, and save them for confirmation."""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import anyio
from pydantic import Field

from adapters.models import ComponentStatus, Model, UtcDatetime
from mcp_server.comms.facts import AUDIENCES, CUSTOMER_FACING, Audience, IncidentFacts, exec_email_due
from mcp_server.comms.lint import Finding, check_customer_text, check_secrets
from mcp_server.comms.render import render, template_environment
from mcp_server.comms.tokens import new_token, token_hash
from mcp_server.config import Config
from mcp_server.runtime import Runtime
from mcp_server.store.models import Draft, DraftIn, Incident
from mcp_server.triage.models import ServiceVerdict, TriageResult


class DraftView(Model):
    """A saved draft as the responder reviews it."""

    id: str
    audience: Audience
    channel: str
    subject: str = ""
    body: str
    findings: list[Finding]
    blocked: bool = Field(description="A finding must be fixed before it can be posted")
    confirmation_token: str = Field(description="With confirmed_by, posts it without a form")
    next_update_at: UtcDatetime | None = None


class DraftSet(Model):
    """The drafts of one round of updates."""

    incident_id: str
    now: UtcDatetime
    drafts: list[DraftView]
    skipped: dict[str, str] = Field(default_factory=dict, description="Audience -> why no draft")
    facts: IncidentFacts
    truncated: bool = False
    data_note: str = ""


def component_status(verdict: ServiceVerdict) -> ComponentStatus:
    """A public component status from a degraded service's numbers."""
    errors = verdict.error_ratio.now or 0.0
    if (verdict.health is not None and verdict.health.status == "down") or errors >= 0.5:
        return "major_outage"
    if verdict.error_ratio.degraded or verdict.traffic_rps.degraded:
        return "partial_outage"
    return "degraded_performance"


class TriageFacts(TypedDict):
    """The facts a triage run contributes to a round of updates."""

    components: dict[str, ComponentStatus]
    known: list[str]
    ruled_out: list[str]
    affected_services: list[str]


def triage_facts(result: TriageResult) -> TriageFacts:
    """What triage knows, for the internal audiences, and the public components it touches."""
    degraded = [v for v in result.services if v.status == "degraded"]
    components: dict[str, ComponentStatus] = {}
    for verdict in degraded:
        if verdict.status_component:
            status = component_status(verdict)
            current = components.get(verdict.status_component)
            components[verdict.status_component] = status if current is None else max(current, status, key=_rank)
    known = [f"{v.service} ({v.role.replace('_', ' ')}): {v.reasons[0]}" for v in degraded if v.reasons]
    return {
        "components": components,
        "known": known,
        "ruled_out": list(result.ruled_out),
        "affected_services": [v.service for v in degraded],
    }


def _rank(status: ComponentStatus) -> int:
    return ["operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"].index(status)


def channels(config: Config, status_target: str) -> dict[str, str]:
    """Where each audience's draft would go."""
    return {
        "status_page": status_target or "(no status page configured)",
        "chat": config.comms.chat_channel or "(no chat channel configured)",
        "exec_email": ", ".join(config.comms.exec_email.to) or "(no executive list configured)",
        "support": "support team (hand over; not posted)",
    }


def draft_all(
    config: Config, facts: IncidentFacts, status_target: str, created_by: str
) -> tuple[list[DraftIn], list[str], dict[str, str]]:
    """Render and check every audience; returns the drafts to save, their tokens, and skipped audiences."""
    templates_dir = Path(config.base_dir) / config.comms.templates_dir if config.comms.templates_dir else None
    env = template_environment(templates_dir)
    targets = channels(config, status_target)
    internal = [s.name for s in config.services]
    public = {s.status_component for s in config.services if s.status_component} | set(facts.components)
    drafts: list[DraftIn] = []
    tokens: list[str] = []
    skipped: dict[str, str] = {}
    for audience in AUDIENCES:
        if audience == "exec_email" and not exec_email_due(facts.severity, config.comms.exec_email.min_severity):
            skipped[audience] = (
                f"{facts.severity} is below the executive email policy ({config.comms.exec_email.min_severity})"
            )
            continue
        rendered = render(env, audience, facts)
        findings = check_secrets(rendered.body)
        if audience in CUSTOMER_FACING:
            findings = _unique(findings + check_customer_text(rendered.public_text, internal, public, facts.eta_basis))
        token = new_token()
        tokens.append(token)
        drafts.append(
            DraftIn(
                incident_id=facts.incident_id,
                audience=audience,
                channel=targets[audience],
                subject=rendered.subject,
                body=rendered.body,
                public_state=facts.state if audience == "status_page" else "",
                components=dict(facts.components) if audience == "status_page" else {},
                facts=facts.model_dump(mode="json"),
                findings=[f.model_dump() for f in findings],
                token_hash=token_hash(token),
                created_by=created_by,
            )
        )
    return drafts, tokens, skipped


def _unique(findings: list[Finding]) -> list[Finding]:
    return list({(f.rule, f.text): f for f in findings}.values())


def view(draft: Draft, token: str, facts: IncidentFacts) -> DraftView:
    """The responder's view of a saved draft."""
    findings = [Finding(**f) for f in draft.findings]
    return DraftView(
        id=draft.id,
        audience=draft.audience,
        channel=draft.channel,
        subject=draft.subject,
        body=draft.body,
        findings=findings,
        blocked=bool(findings),
        confirmation_token=token,
        next_update_at=facts.next_update_at(draft.audience),
    )


def build_facts(
    runtime: Runtime, incident: Incident, customer_impact: str, triage: TriageResult | None, **fields: object
) -> IncidentFacts:
    """The facts of one round of updates: the incident, what triage found, what the responder said."""
    found: dict[str, object] = dict(triage_facts(triage)) if triage is not None else {}
    comms = runtime.config.comms
    values: dict[str, object] = {
        "incident_id": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "started_at": incident.started_at,
        "now": runtime.reference_time(),
        "customer_impact": customer_impact,
        "next_update_minutes": comms.update_every_minutes,
        "status_page_url": comms.status_page_url,
        **found,
    }
    values.update(fields)
    return IncidentFacts.model_validate(values)


async def draft_for_incident(
    runtime: Runtime, incident: Incident, customer_impact: str, triage: TriageResult | None, **fields: object
) -> DraftSet:
    """Draft, check and save one round of updates for every audience; nothing is posted."""
    facts = build_facts(runtime, incident, customer_impact, triage, **fields)
    sinks = runtime.status_sinks()
    drafts, tokens, skipped = draft_all(runtime.config, facts, sinks[0].name if sinks else "", "firstfifteen")
    saved = [await anyio.to_thread.run_sync(runtime.store.save_draft, d) for d in drafts]
    return DraftSet(
        incident_id=facts.incident_id,
        now=facts.now,
        drafts=[view(d, t, facts) for d, t in zip(saved, tokens)],
        skipped=skipped,
        facts=facts,
        data_note=runtime.data_note,
    )
