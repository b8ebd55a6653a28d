"""The post-mortem draft as data: sections of claims, each claim citing the events or queries it rests on.

A claim is a fact the record holds; a section with nothing to claim carries a ``gap`` saying what is
missing and how to fill it, so the draft never invents a fact and never hides an empty section.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from adapters.models import Model, UtcDatetime
from mcp_server.postmortem.figures import ResponseFigures

SectionKey = Literal[
    "summary",
    "impact",
    "timeline",
    "figures",
    "root_cause",
    "ruled_out",
    "went_well",
    "went_badly",
    "will_change",
    "will_not_change",
]
SECTION_TITLES: dict[SectionKey, str] = {
    "summary": "Summary",
    "impact": "Impact",
    "timeline": "Timeline",
    "figures": "Detection and response",
    "root_cause": "Root cause and contributing factors",
    "ruled_out": "What was ruled out",
    "went_well": "What went well",
    "went_badly": "What went badly",
    "will_change": "What we will change",
    "will_not_change": "What we will not change, and why",
}


class Claim(Model):
    """One factual statement and what it comes from."""

    text: str
    cites: list[str] = Field(description="'ev 12' for a timeline event, or a query or tool reference")


class Section(Model):
    """One section of the draft."""

    key: SectionKey
    title: str
    claims: list[Claim] = Field(default_factory=list)
    gap: str = Field(default="", description="What the record lacks for this section, and how to fill it")


class Postmortem(Model):
    """The whole draft, its figures, and where it was written."""

    incident_id: str
    title: str
    severity: str
    status: str
    generated_at: UtcDatetime
    sections: list[Section]
    figures: ResponseFigures
    events_read: int
    truncated: bool = Field(description="The timeline section lists only the key events")
    markdown: str = ""
    path: str = Field(default="", description="The file the draft was written to")


def cite(event_id: int | None) -> list[str]:
    """The citation of one timeline event (none when there is no event)."""
    return [f"ev {event_id}"] if event_id is not None else []
