"""Timeline capture tools: pull an incident's chat, alert notifications, alerts and deploys into its record.

``sync_timeline`` reads outside systems (open world) and writes only the local incident record; it
is idempotent: a second run adds nothing that is already there. Reading and exporting the
timeline is ``get_timeline`` (with ``format="markdown"`` for a postmortem), in ``incidents.py``.
"""

from __future__ import annotations

from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations

from mcp_server.runtime import Runtime
from mcp_server.timeline import SyncResult
from mcp_server.timeline import sync_timeline as run_sync
from mcp_server.tools.common import IncidentId, ToolSet, runtime_of, tool_errors


async def sync_timeline(ctx: Context[Runtime], incident_id: IncidentId) -> SyncResult:
    """Pull the incident's chat (edits and deletions kept), alert notifications, active alerts and deploys
    into its timeline. Repeatable: nothing is added twice."""
    with tool_errors("syncing the timeline"):
        return await run_sync(runtime_of(ctx), incident_id)


def register(tools: ToolSet) -> None:
    """Add the timeline capture tools."""
    # Writes the local record only (not destructive), reads outside systems (open world), idempotent.
    annotations = ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
    )
    tools.add(sync_timeline, "Sync the timeline from its sources", annotations)
