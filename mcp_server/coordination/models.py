"""Who is on what during an incident: roles with their history, and the work items of the response.

Four kinds of item share one shape, so one tool and one table serve them all: workstreams (``W-n``,
who investigates what), ruled-out items (``R-n``, with the reason and evidence), open questions
(``Q-n``, who asked, and the answer once there is one) and actions (``A-n``: mitigations, investigations and
follow-ups, with owners). Each item carries a revision, so an update based on a stale read is refused,
and the id of the timeline event that recorded its last change.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from adapters.models import Model, UtcDatetime

RoleName = Literal["incident_commander", "communications", "operations", "scribe"]
ROLES: tuple[RoleName, ...] = ("incident_commander", "communications", "operations", "scribe")
ItemKind = Literal["workstream", "ruled_out", "question", "action"]
ActionKind = Literal["mitigation", "investigation", "follow_up"]
ITEM_PREFIX: dict[ItemKind, str] = {"workstream": "W-", "ruled_out": "R-", "question": "Q-", "action": "A-"}
STATUSES: dict[ItemKind, tuple[str, ...]] = {
    "workstream": ("active", "paused", "done"),
    "ruled_out": ("ruled_out",),
    "question": ("open", "answered", "dropped"),
    "action": ("pending", "in_progress", "done", "cancelled"),
}
"""The statuses each kind accepts; the first is where a new item starts."""
OPEN_STATUSES = frozenset({"active", "paused", "open", "pending", "in_progress"})


class RoleAssignment(Model):
    """One person holding one role for a span of time (``until`` is None while they hold it)."""

    role: RoleName
    person: str
    since: UtcDatetime
    until: UtcDatetime | None = None
    assigned_by: str = ""
    event_id: int | None = None


class WorkItem(Model):
    """A workstream, ruled-out item, question or action of the response."""

    id: str = ""
    kind: ItemKind
    text: str = Field(min_length=1, max_length=1_000)
    owner: str = Field(default="", max_length=100)
    asked_by: str = Field(default="", max_length=100, description="Questions only: who asked")
    status: str = ""
    action_kind: ActionKind | None = Field(default=None, description="Actions only")
    note: str = Field(default="", max_length=2_000, description="Reason (ruled out), answer, or why cancelled")
    evidence: str = Field(default="", max_length=2_000, description="Query, tool call or event behind it")
    hypothesis_id: str = Field(default="", max_length=20)
    due: UtcDatetime | None = None
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None
    revision: int = 0
    event_id: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _defaults_of_its_kind(cls, data: Any) -> Any:
        """A new item starts in its kind's first status; an action without a kind is an investigation."""
        if isinstance(data, dict) and data.get("kind") in STATUSES:
            data = {**data, "status": data.get("status") or STATUSES[data["kind"]][0]}
            if data["kind"] == "action" and not data.get("action_kind"):
                data["action_kind"] = "investigation"
        return data

    @model_validator(mode="after")
    def _fits_its_kind(self) -> WorkItem:
        """Refuse a status the kind does not know, and an action kind on anything but an action."""
        accepted = STATUSES[self.kind]
        if self.status not in accepted:
            raise ValueError(f"status {self.status!r} is not one of a {self.kind}'s: {', '.join(accepted)}")
        if self.kind != "action" and self.action_kind is not None:
            raise ValueError("action_kind is for actions only")
        if self.kind != "question" and self.asked_by:
            raise ValueError("asked_by is for questions only")
        return self

    @property
    def is_open(self) -> bool:
        """Whether the item still needs someone (active, pending, an unanswered question...)."""
        return self.status in OPEN_STATUSES


def build_item(data: dict[str, Any]) -> WorkItem:
    """A work item from ``data``; a ValueError naming each problem as 'field: message' if it is not one."""
    try:
        return WorkItem.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'item'}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
        )
        raise ValueError(problems) from None


class Coordination(Model):
    """The coordination record of one incident: current roles, their history, and every item."""

    incident_id: str
    revision: int = Field(default=0, description="Goes up by one with every change to a role or an item")
    roles: dict[str, str] = Field(description="role -> who holds it now (unfilled roles are absent)")
    role_history: list[RoleAssignment]
    items: list[WorkItem]

    def of_kind(self, kind: ItemKind) -> list[WorkItem]:
        """The items of ``kind``, oldest first."""
        return [item for item in self.items if item.kind == kind]
