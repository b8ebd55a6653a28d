"""The live coordination document: who holds which role, who is on what, what is ruled out, asked and pending.

Plain markdown from the stored record, the same for the ``get_coordination`` tool and the
``incident://{id}/coordination`` resource, so every responder's client reads one document.
"""

from __future__ import annotations

from collections.abc import Iterable

from adapters.models import iso_utc
from mcp_server.coordination.models import ROLES, Coordination, WorkItem

MAX_ITEMS_PER_SECTION = 25


def render_coordination(coordination: Coordination, limit: int = MAX_ITEMS_PER_SECTION) -> tuple[str, bool]:
    """The document, and whether any section was cut at ``limit`` items."""
    head = [f"# Coordination: {coordination.incident_id}", "", f"_Revision {coordination.revision}; times UTC._", ""]
    lines = [*head, *role_lines(coordination), ""]
    cut = False
    for title, items, empty in sections(coordination):
        shown, more = items[:limit], len(items) - limit
        lines += [f"## {title}", ""]
        lines += [item_line(item) for item in shown] or [f"- {empty}"]
        if more > 0:
            cut = True
            lines.append(f"- ... {more} more (get_coordination with a higher limit)")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n", cut


def role_lines(coordination: Coordination) -> list[str]:
    """Each role with its holder and since when (unfilled ones named, so the gap shows), then earlier holders."""
    since = {a.role: a.since for a in coordination.role_history if a.until is None}
    lines = ["## Roles", ""]
    for role in ROLES:
        holder = coordination.roles.get(role)
        title = role.replace("_", " ")
        lines.append(f"- {title}: {holder} (since {iso_utc(since[role])})" if holder else f"- {title}: unfilled")
    earlier = [a for a in coordination.role_history if a.until is not None]
    lines += [
        f"- earlier: {a.person} was {a.role.replace('_', ' ')} {iso_utc(a.since)}..{iso_utc(a.until)}"
        for a in earlier
        if a.until is not None
    ]
    return lines


def sections(coordination: Coordination) -> Iterable[tuple[str, list[WorkItem], str]]:
    """(title, items, what to say when empty) for each part of the document, open items first."""
    actions = coordination.of_kind("action")
    yield "Workstreams", _open_first(coordination.of_kind("workstream")), "Nobody is on a workstream yet."
    yield "Actions pending", [a for a in actions if a.is_open], "No action pending."
    yield "Actions done", [a for a in actions if not a.is_open], "No action done yet."
    yield "Open questions", [q for q in coordination.of_kind("question") if q.is_open], "No open question."
    yield "Ruled out", coordination.of_kind("ruled_out"), "Nothing ruled out yet."


def item_line(item: WorkItem) -> str:
    """``- **A-2** (follow_up, pending, owner sam, due ...) add a pool alert: note [ev 14]``."""
    label = ", ".join(f for f in facets(item) if f)
    label = f" ({label})" if label else ""
    # A ruled-out item without its reason invites someone to check it again, so the gap shows.
    reason = "no reason recorded" if item.kind == "ruled_out" else ""
    note = f": {item.note or reason}" if item.note or reason else ""
    evidence = f" (evidence: {item.evidence})" if item.evidence else ""
    cited = f" [ev {item.event_id}]" if item.event_id is not None else ""
    return f"- **{item.id}**{label} {item.text}{note}{evidence}{cited}"


def facets(item: WorkItem) -> list[str]:
    """The parenthesised facts of an item line: kind of action, status, owner, who asked, since, due, hypothesis."""
    started = item.created_at if item.kind == "workstream" and item.is_open else None
    return [
        item.action_kind or "",
        item.status if item.kind != "ruled_out" else "",
        f"owner {item.owner}" if item.owner else ("no owner" if item.is_open else ""),
        f"asked by {item.asked_by}" if item.asked_by else "",
        f"since {iso_utc(started)}" if started else "",
        f"due {iso_utc(item.due)}" if item.due else "",
        f"hypothesis {item.hypothesis_id}" if item.hypothesis_id else "",
    ]


def _open_first(items: list[WorkItem]) -> list[WorkItem]:
    return sorted(items, key=lambda item: not item.is_open)
