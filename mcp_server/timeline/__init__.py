"""The incident timeline captured from its sources: chat, alert notifications, alert sources and deploys.

``sync_timeline(runtime, incident_id)`` pulls every source into the incident record incrementally
and idempotently (see ``sync.py`` and docs/timeline.md); ``export_markdown(events)`` renders a
timeline for a postmortem.
"""

from mcp_server.timeline.markdown import export_markdown
from mcp_server.timeline.models import SourceSync, SyncResult
from mcp_server.timeline.sync import sync_timeline

__all__ = ["SourceSync", "SyncResult", "export_markdown", "sync_timeline"]
