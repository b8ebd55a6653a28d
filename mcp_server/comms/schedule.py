"""When each audience is due its next update, from the drafts already posted."""

from __future__ import annotations

from datetime import datetime, timedelta

from mcp_server.store.models import Draft

AudiencePlan = dict[str, str | bool | None]


def due_updates(drafts: list[Draft], every: dict[str, int], now: datetime) -> dict[str, AudiencePlan]:
    """Per audience: the last post, the next due time, and whether it is overdue."""
    plan: dict[str, AudiencePlan] = {}
    for audience, minutes in every.items():
        posts = [d.posted_at for d in drafts if d.audience == audience and d.posted_at is not None]
        last = max(posts) if posts else None
        due = (last + timedelta(minutes=minutes)) if last else None
        plan[audience] = {
            "last_posted_at": last.isoformat().replace("+00:00", "Z") if last else None,
            "next_due_at": due.isoformat().replace("+00:00", "Z") if due else None,
            "overdue": bool(due and due < now),
            "reminder": _reminder(audience.replace("_", " "), due, now),
        }
    return plan


def _reminder(audience: str, due: datetime | None, now: datetime) -> str:
    if due is None:
        return f"no {audience} update posted yet"
    if due < now:
        return f"{audience} update overdue since {due:%H:%M} UTC"
    return f"next {audience} update by {due:%H:%M} UTC"
