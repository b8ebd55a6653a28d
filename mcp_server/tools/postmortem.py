"""The post-mortem tool: a draft assembled from the incident record, every claim citing its event."""

from __future__ import annotations

from typing import Annotated

import anyio
from mcp.server.mcpserver import Context
from pydantic import Field

from mcp_server.postmortem.draft import assemble, output_path, read_record, render, templates_dir, write_draft
from mcp_server.postmortem.models import Postmortem
from mcp_server.runtime import Runtime
from mcp_server.tools.common import ToolSet, record_tool, runtime_of, tool_errors


async def draft_postmortem(
    ctx: Context[Runtime],
    incident_id: Annotated[str, Field(description="e.g. 'INC-3'")],
    write: Annotated[bool, Field(description="Also write the markdown to a file")] = True,
    filename: Annotated[str | None, Field(max_length=200, description="Bare name; default <id>-postmortem.md")] = None,
    overwrite: Annotated[bool, Field(description="Replace a draft a person edited")] = False,
) -> Postmortem:
    """Draft the post-mortem from the record: impact, timeline, response figures, cause, lessons, follow-ups.
    Every claim cites its event."""
    runtime = runtime_of(ctx)
    with tool_errors("drafting the post-mortem"):
        record = await anyio.to_thread.run_sync(read_record, runtime.store, incident_id)
        postmortem = assemble(record, runtime.reference_time())
        markdown = render(postmortem, templates_dir(runtime.config))
        path = output_path(runtime.config, postmortem.incident_id, filename) if write else None
        if path is not None:
            await anyio.to_thread.run_sync(lambda: write_draft(path, markdown, overwrite=overwrite))
    return postmortem.model_copy(update={"markdown": markdown, "path": str(path or "")})


def register(tools: ToolSet) -> None:
    """Add the post-mortem tool."""
    record_tool(tools, "Draft the post-mortem", idempotent=True)(draft_postmortem)
