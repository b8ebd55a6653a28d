"""Deploys and rollbacks as timeline events, one per deploy and status.

``source_id`` is ``<deploy id>:<status>``, so a deploy seen in progress and later finished gives two
events (started, then succeeded or failed), and re-reading the same state adds nothing. A deploy
whose status is ``rolled_back`` is a ``rollback`` event; every other state a ``deploy`` event. The
event happens when the deploy started (in progress) or finished (any other state, its start if the
source gave no finish). Deploys to environments outside ``deploys.environments`` (when set) are left out.
"""

from __future__ import annotations

from adapters.models import Deploy
from mcp_server.store.models import TimelineEntry
from mcp_server.timeline.text import clean_text, one_line, safe_link

_WORDS = {"in_progress": "started", "succeeded": "succeeded", "failed": "failed", "rolled_back": "rolled back"}


def deploy_entry(source: str, deploy: Deploy) -> TimelineEntry:
    """One deploy in one state as its event."""
    what = f"{deploy.service} {deploy.version}".strip()
    where = f" to {deploy.environment}" if deploy.environment else ""
    back = f" (back to {deploy.previous_version})" if deploy.status == "rolled_back" and deploy.previous_version else ""
    detail = f": {deploy.detail}" if deploy.detail else ""
    occurred = deploy.started_at if deploy.status == "in_progress" else (deploy.finished_at or deploy.started_at)
    details: dict[str, object] = {"deploy_id": deploy.id, "service": deploy.service, "status": deploy.status}
    for key in ("environment", "version", "previous_version", "sha", "previous_sha"):
        value = getattr(deploy, key)
        if value:
            details[key] = value
    return TimelineEntry.model_validate(
        {
            "source": source,
            "kind": "rollback" if deploy.status == "rolled_back" else "deploy",
            "text": clean_text(f"Deploy of {what}{where} {_WORDS[deploy.status]}{back}{detail}"),
            "occurred_at": occurred,
            "actor": one_line(deploy.author),
            "link": safe_link(deploy.link),
            "source_id": f"{deploy.id}:{deploy.status}"[:500],
            "details": details,
        }
    )


def wanted(deploy: Deploy, environments: list[str]) -> bool:
    """Whether the deploy counts: every environment, or only the configured ones."""
    return not environments or deploy.environment in environments
