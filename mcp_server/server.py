"""The MCP server: one ordered table of tool categories, adapters built once in the lifespan.

``create_server()`` with no config serves the embedded default (a bundled fixture scenario replayed
with no network), and says so in every result's ``data_note``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from mcp.server.mcpserver import MCPServer

from mcp_server import __version__
from mcp_server.config import Config
from mcp_server.runtime import Runtime, open_runtime
from mcp_server.tools import comms, context, deploys, incidents, triage
from mcp_server.tools import timeline as timeline_tools


@dataclass(frozen=True)
class Category:
    """A group of tools, registered together; the order is the order in the instructions."""

    name: str
    register: Callable[[MCPServer], None]
    summary: str


CATEGORIES: list[Category] = [
    Category("triage", triage.register, "triage first; query_error_rate and query_latency to drill down"),
    Category("context", context.register, "check_health, list_deploys, list_provider_events, list_active_alerts"),
    Category(
        "deploys",
        deploys.register,
        "rank_deploys next to triage; get_deploy_changes on the top suspect; "
        "rollback_plan drafts (never runs) a rollback",
    ),
    Category(
        "comms",
        comms.register,
        "draft_communications for every audience; post_status, post_chat, send_email "
        "only after the responder confirms; comms_schedule for when the next update is due",
    ),
    Category("incidents", incidents.register, "declare_incident, then append_timeline/get_timeline to keep the record"),
    Category(
        "timeline",
        timeline_tools.register,
        "sync_timeline pulls the incident's chat, Alertmanager notifications "
        "and deploys into its timeline (repeatable); get_timeline(format='markdown') exports it",
    ),
]


def instructions(config: Config) -> str:
    """The server instructions, built from the category table so they never drift from the tools."""
    lines = [
        "firstfifteen gathers and computes incident facts; the responder decides. Every time argument accepts "
        "'now', 'now-15m' or RFC3339 and every result echoes its UTC window. Numbers come from the tools: quote "
        "them, do not estimate. A source that failed is unknown, not healthy.",
        f"Environment: {config.environment}; services: {', '.join(s.name for s in config.services[:30])}"
        + (" ..." if len(config.services) > 30 else ""),
    ]
    lines += [f"- {c.name}: {c.summary}" for c in CATEGORIES]
    return "\n".join(lines)


def create_server(config: Config | None = None, *, data_note: str = "", reference: datetime | None = None) -> MCPServer:
    """Build the server for ``config``, or for the embedded demo default when ``config`` is None."""
    if config is None:
        from mcp_server.demo import demo_settings

        config, data_note, reference = demo_settings()
    chosen = config

    @asynccontextmanager
    async def lifespan(server: MCPServer) -> AsyncIterator[Runtime]:
        async with open_runtime(chosen, data_note=data_note, reference=reference) as runtime:
            yield runtime

    mcp = MCPServer(
        "firstfifteen",
        version=__version__,
        instructions=instructions(chosen),
        website_url="https://github.com/firstfifteen/firstfifteen",
        lifespan=lifespan,
    )
    for category in CATEGORIES:
        category.register(mcp)
    return mcp
