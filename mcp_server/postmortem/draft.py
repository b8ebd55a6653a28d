"""Assemble the post-mortem draft from the incident record, render it, and write it to a file safely.

The draft is regenerated as the record grows, so a file firstfifteen wrote may be replaced; one a
person has edited since (its text no longer matches the fingerprint written with it) is never
overwritten without ``overwrite``. Files are written whole (temp file, then rename).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, TemplateError

from adapters.errors import ConfigError
from adapters.models import iso_utc
from mcp_server.config import Config
from mcp_server.files import write_whole
from mcp_server.postmortem import lessons, sections
from mcp_server.postmortem.figures import response_figures
from mcp_server.postmortem.models import Postmortem, Section
from mcp_server.postmortem.record import Item, PostmortemRecord
from mcp_server.store import resolve_db_path
from mcp_server.store.base import MAX_TIMELINE_LIMIT, IncidentStore
from mcp_server.store.errors import InvalidRecordError

TEMPLATE = "postmortem.md.j2"
FINGERPRINT = re.compile(r"\n<!-- firstfifteen draft sha256:([0-9a-f]{64}) -->\n\Z")


def read_record(store: IncidentStore, incident_id: str) -> PostmortemRecord:
    """The incident, its whole timeline (up to the store's maximum), its hypotheses and its coordination items."""
    incident = store.get_incident(incident_id)
    events, truncated = store.get_timeline(incident.id, limit=MAX_TIMELINE_LIMIT)
    coordination = store.get_coordination(incident.id)
    return PostmortemRecord(
        incident=incident,
        events=events,
        hypotheses=store.list_hypotheses(incident.id),
        follow_ups=[
            Item(a.text, a.event_id, owner=a.owner, status=a.status, note=a.note)
            for a in coordination.of_kind("action")
            if a.action_kind == "follow_up"
        ],
        ruled_out=[Item(r.text, r.event_id, note=r.note) for r in coordination.of_kind("ruled_out")],
        roles=[Item(a.role, a.event_id, owner=a.person) for a in coordination.role_history],
        events_truncated=truncated,
    )


def assemble(record: PostmortemRecord, generated_at: datetime) -> Postmortem:
    """Every section, in the shipped order, computed from ``record``."""
    figures = response_figures(record.incident, record.events)
    timeline, cut = sections.timeline(record)
    built: list[Section] = [
        sections.summary(record, figures),
        sections.impact(record, figures),
        timeline,
        sections.figures_section(figures, record.first_reopening()),
        sections.root_cause(record),
        sections.ruled_out(record),
        lessons.went_well(record, figures),
        lessons.went_badly(record, figures),
        sections.will_change(record),
        sections.will_not_change(record),
    ]
    incident = record.incident
    return Postmortem(
        incident_id=incident.id,
        title=incident.title,
        severity=incident.severity,
        status=incident.status,
        generated_at=generated_at,
        sections=built,
        figures=figures,
        events_read=len(record.events),
        truncated=cut or record.events_truncated,
    )


def render(postmortem: Postmortem, templates_dir: Path | None = None) -> str:
    """The draft as markdown, from the team's template when ``templates_dir`` has one."""
    loaders = [FileSystemLoader(str(templates_dir))] if templates_dir else []
    env = Environment(
        loader=ChoiceLoader([*loaders, PackageLoader("mcp_server.postmortem", "templates")]),
        undefined=StrictUndefined,  # a template naming a missing field fails loudly, never renders blank
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["iso"] = iso_utc
    context = {
        "pm": postmortem,
        "sections": {s.key: s for s in postmortem.sections},
        "order": [s.key for s in postmortem.sections],
    }
    try:
        return env.get_template(TEMPLATE).render(context).rstrip() + "\n"
    except TemplateError as exc:
        raise ConfigError(
            f"the post-mortem template failed: {exc}",
            hint="Fix postmortem.md.j2 in postmortem.templates_dir (its fields are in docs/postmortem.md).",
        ) from exc


def templates_dir(config: Config) -> Path | None:
    """The team's template directory, relative to the config file."""
    chosen = config.postmortem.templates_dir
    return Path(config.base_dir) / chosen if chosen else None


def output_path(config: Config, incident_id: str, filename: str | None) -> Path:
    """Where the draft goes: ``filename`` (a bare name) in the output directory; default ``<id>-postmortem.md``."""
    name = filename or f"{incident_id}-postmortem.md"
    if Path(name).name != name or not name.endswith(".md") or name.startswith("."):
        raise InvalidRecordError(
            f"filename {name!r} is not a bare markdown file name",
            hint="Give a name such as 'INC-3-postmortem.md' (no folders); postmortem.output_dir sets the folder.",
        )
    chosen = config.postmortem.output_dir
    folder = Path(config.base_dir) / chosen if chosen else resolve_db_path(config.store).parent / "postmortems"
    return folder / name


def write_draft(path: Path, markdown: str, *, overwrite: bool) -> None:
    """Write ``markdown`` with its fingerprint, whole; refuse to replace a file a person edited."""
    if path.exists() and not overwrite and not _unedited(path):
        raise InvalidRecordError(
            f"{path} was edited since firstfifteen wrote it",
            hint="Pass overwrite=true to replace it, or another filename to keep both.",
        )
    body = markdown + f"\n<!-- firstfifteen draft sha256:{_digest(markdown)} -->\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, body)


def _unedited(path: Path) -> bool:
    text = path.read_text(encoding="utf-8", errors="replace")
    match = FINGERPRINT.search(text)
    return match is not None and _digest(text[: match.start()]) == match.group(1)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
