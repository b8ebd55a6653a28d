"""Render the drafts from the shipped Jinja2 templates, or a team's own from comms.templates_dir."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
)

from adapters.errors import ConfigError
from mcp_server.comms.facts import IncidentFacts

TEMPLATES = {
    "status_page": "status_page.md.j2",
    "chat": "chat.md.j2",
    "exec_email": "exec_email.txt.j2",
    "support": "support.md.j2",
}
SUPPORT_REPLY = "support_reply.md.j2"


@dataclass(frozen=True)
class Rendered:
    """One audience's draft: its subject (email), its body, and the part customers read ('' if none)."""

    subject: str
    body: str
    public_text: str


def template_environment(templates_dir: Path | None = None) -> Environment:
    """Templates from ``templates_dir`` first (a team's overrides), then the shipped ones."""
    loaders: list[BaseLoader] = [FileSystemLoader(str(templates_dir))] if templates_dir else []
    loaders.append(PackageLoader("mcp_server.comms", "templates"))
    # StrictUndefined: a template naming a fact that does not exist fails loudly, never renders blank.
    return Environment(
        loader=ChoiceLoader(loaders), undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=True, autoescape=False
    )


def clock_time(moment: datetime, now: datetime) -> str:
    """``14:07 UTC`` today, else ``2026-03-14 14:07 UTC``: a reader never has to guess the day."""
    return moment.strftime("%H:%M UTC") if moment.date() == now.date() else moment.strftime("%Y-%m-%d %H:%M UTC")


def duration(start: datetime, end: datetime) -> str:
    """``45 min`` or ``2 h 5 min``."""
    minutes = max(0, int((end - start).total_seconds() // 60))
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def render(env: Environment, audience: str, facts: IncidentFacts) -> Rendered:
    """Render one audience's draft."""
    next_at = facts.next_update_at(audience)
    context: dict[str, object] = {
        "facts": facts,
        "started": clock_time(facts.started_at, facts.now),
        "duration": duration(facts.started_at, facts.now),
        "next_update": clock_time(next_at, facts.now) if next_at else "",
    }
    reply = ""
    try:
        if audience == "support":
            reply = context["reply"] = env.get_template(SUPPORT_REPLY).render(context).strip()
        text = env.get_template(TEMPLATES[audience]).render(context).strip() + "\n"
        text = re.sub(r"\n{3,}", "\n\n", text)  # optional sections leave blank runs behind
    except TemplateError as exc:
        raise ConfigError(
            f"the {audience} template failed: {exc}",
            hint="Fix the template in comms.templates_dir (the facts it can use are in docs/communication.md).",
        ) from exc
    return _split(audience, text, reply)


def _split(audience: str, text: str, reply: str) -> Rendered:
    if audience == "exec_email" and text.startswith("Subject:"):
        subject, _, body = text.partition("\n")
        return Rendered(subject=subject.removeprefix("Subject:").strip(), body=body.strip() + "\n", public_text="")
    public = text if audience == "status_page" else reply if audience == "support" else ""
    return Rendered(subject="", body=text, public_text=public)
