"""The MCP server: one ordered table of tool categories, adapters built once in the lifespan.

``create_server()`` with no config serves the embedded default (a bundled fixture scenario replayed
with no network), and says so in every result's ``data_note``. Each category builds its own tools
for the config (a posting tool exists only when its channel's writes are on), and the server
instructions list what each category actually built, so they never name a tool that is not there.
``tools.groups`` (or ``serve --groups``) offers only some categories; a workflow prompt that names a
tool of a group left out is not offered either, nor the coordination resource without its group.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from mcp.server.mcpserver import MCPServer

from mcp_server import __version__
from mcp_server.config import Config
from mcp_server.http_access import HttpAccess
from mcp_server.prompts import add_prompts
from mcp_server.runtime import Runtime, open_runtime
from mcp_server.tools import comms, context, coordination, deploys, evidence, hypotheses, incidents, postmortem, triage
from mcp_server.tools import timeline as timeline_tools
from mcp_server.tools.common import ToolSet

MAX_LISTED_SERVICES = 30


@dataclass(frozen=True)
class Category:
    """A group of tools, registered together; the order is the order in the instructions.

    ``hint`` says when to use the group; it names no tool: the tool names come from what
    ``register`` built (a test keeps it so).
    """

    name: str
    register: Callable[[ToolSet], None]
    hint: str


CATEGORIES: list[Category] = [
    Category("triage", triage.register, "start here; the other two drill into one signal"),
    Category("context", context.register, "the sources behind triage, one at a time"),
    Category(
        "deploys", deploys.register, "rank suspects next to triage, read the top one's changes; plans are never run"
    ),
    Category(
        "comms",
        comms.register,
        "draft every audience; post only what the responder confirms, by hand where no tool posts; "
        "the schedule says when the next update is due",
    ),
    Category("incidents", incidents.register, "declare first, then keep and read the record and its timeline"),
    Category("timeline", timeline_tools.register, "pull chat, alert notifications and deploys into it; repeatable"),
    Category(
        "hypotheses",
        hypotheses.register,
        "propose from triage and deploys, keep two or three leading, settle each only with evidence from a tool",
    ),
    Category(
        "evidence", evidence.register, "test a hypothesis: any PromQL against the day before, logs as counted patterns"
    ),
    Category(
        "coordination",
        coordination.register,
        "several responders: roles, who is on what, ruled out, questions, actions; a hand-over document when leaving",
    ),
    Category("postmortem", postmortem.register, "after mitigation: the draft from the record, every claim cited"),
]


def build_tools(config: Config, *, offered: bool = True) -> list[tuple[Category, ToolSet]]:
    """Every category ``config.tools`` offers (or, with ``offered=False``, leaves out) with the tools
    it built for ``config``, in the table's order."""
    built = []
    for category in CATEGORIES:
        if config.tools.offers(category.name) != offered:
            continue
        tools = ToolSet(config)
        category.register(tools)
        built.append((category, tools))
    return built


def left_out_tools(config: Config) -> set[str]:
    """The names of every tool in the groups ``config`` leaves out, built or withheld: no prompt may
    point at them."""
    return {name for _, tools in build_tools(config, offered=False) for name in [*tools.names(), *tools.withheld]}


def instructions(config: Config, built: list[tuple[Category, ToolSet]]) -> str:
    """The server instructions: how to read the results, then each category's tools and when to use them."""
    services = ", ".join(s.name for s in config.services[:MAX_LISTED_SERVICES])
    more = " ..." if len(config.services) > MAX_LISTED_SERVICES else ""
    lines = [
        "firstfifteen gathers and computes incident facts; the responder decides. Times: 'now', 'now-15m' or "
        "RFC3339 (UTC); every result echoes its UTC window. Quote the tools' numbers, do not estimate. "
        "A source that failed is unknown, not healthy.",
        f"Environment: {config.environment}; services: {services}{more}",
    ]
    for category, tools in built:
        lines.append(f"- {category.name}: {', '.join(tools.names())} ({category.hint})")
        if tools.withheld:
            off = ", ".join(f"{name} ({switch})" for name, switch in tools.withheld.items())
            lines.append(f"  Not offered until turned on in the config: {off}.")
    return "\n".join(lines)


def create_server(
    config: Config | None = None,
    *,
    data_note: str = "",
    reference: datetime | None = None,
    access: HttpAccess | None = None,
) -> MCPServer:
    """Build the server for ``config``, or for the embedded demo default when ``config`` is None;
    ``access`` puts it behind bearer tokens (the HTTP transport)."""
    if config is None:
        from mcp_server.embedded import demo_settings

        config, data_note, reference = demo_settings()
    chosen = config

    @asynccontextmanager
    async def lifespan(server: MCPServer) -> AsyncIterator[Runtime]:
        async with open_runtime(chosen, data_note=data_note, reference=reference) as runtime:
            yield runtime

    built = build_tools(chosen)
    server = MCPServer(
        "firstfifteen",
        version=__version__,
        instructions=instructions(chosen, built),
        website_url="https://github.com/firstfifteen/firstfifteen",
        lifespan=lifespan,
        token_verifier=access.verifier if access else None,
        auth=access.settings() if access else None,
        tools=[tool for _, tools in built for tool in tools.tools],
    )
    add_prompts(server, left_out=left_out_tools(chosen))
    if chosen.tools.offers("coordination"):
        coordination.add_resources(server)
    return server
