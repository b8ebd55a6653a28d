"""The facts every draft is rendered from: one place, so the audiences never tell different stories."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from adapters.models import ComponentStatus, Model, PublicState, UtcDatetime

Audience = Literal["status_page", "chat", "exec_email", "support"]
AUDIENCES: tuple[Audience, ...] = ("status_page", "chat", "exec_email", "support")
CUSTOMER_FACING: frozenset[str] = frozenset({"status_page", "support"})
SEVERITY_RANK = {"SEV1": 1, "SEV2": 2, "SEV3": 3, "SEV4": 4}


class IncidentFacts(Model):
    """What is known about the incident, in the words each audience needs."""

    incident_id: str
    title: str
    severity: Literal["SEV1", "SEV2", "SEV3", "SEV4"]
    state: PublicState = "investigating"
    started_at: UtcDatetime
    now: UtcDatetime
    customer_impact: str = Field(min_length=1, max_length=500, description="What customers notice, in plain words")
    components: dict[str, ComponentStatus] = Field(default_factory=dict, description="Public component -> status")
    workaround: str = ""
    cause: str = Field(default="", description="Shown to customers only from 'identified' on")
    eta: str = Field(default="", description="A resolution time to announce; needs eta_basis")
    eta_basis: str = Field(default="", description="Why the ETA holds (e.g. 'rollback takes 6 min')")
    known: list[str] = Field(default_factory=list)
    ruled_out: list[str] = Field(default_factory=list)
    investigating: list[str] = Field(default_factory=list)
    owners: dict[str, str] = Field(default_factory=dict, description="Person -> what they are on")
    affected_services: list[str] = Field(default_factory=list, description="Internal names, for internal audiences")
    next_update_minutes: dict[str, int] = Field(default_factory=dict)
    status_page_url: str = ""

    def next_update_at(self, audience: str) -> datetime | None:
        """When this audience should hear from us next."""
        from datetime import timedelta

        minutes = self.next_update_minutes.get(audience)
        return None if minutes is None else self.now + timedelta(minutes=minutes)


def exec_email_due(severity: str, min_severity: str) -> bool:
    """Whether the severity warrants the executive email under the configured policy."""
    return SEVERITY_RANK[severity] <= SEVERITY_RANK[min_severity]
