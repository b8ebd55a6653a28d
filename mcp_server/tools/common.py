"""What every tool module shares: the ToolSet and annotations, the runtime, errors, caps, time arguments."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

import anyio
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations
from pydantic import Field

from adapters.errors import FirstfifteenError
from adapters.models import TimeWindow
from mcp_server.clock import parse_duration, parse_time, resolve_window
from mcp_server.config import Config
from mcp_server.runtime import Runtime
from mcp_server.store.models import TimelineEntry
from mcp_server.tools.schema import lean_input, lean_output

T = TypeVar("T")
AnyFunc = Callable[..., Any]

# Short on purpose: sent with every tool that takes a time; a bad time gets the full list (ACCEPTED_TIMES).
TimeArg = Annotated[str, Field(description="'now', 'now-15m' or RFC3339 (UTC)")]
IncidentId = Annotated[str, Field(description="e.g. 'INC-3'")]
Actor = Annotated[str, Field(min_length=1, max_length=100, description="Who acts")]
ServicesArg = Annotated[list[str] | None, Field(description="Omit for all services", max_length=500)]
# The arguments of the write tools that name who acts; over HTTP the token's subject replaces them.
IDENTITY_ARGUMENTS = frozenset({"actor", "declared_by", "confirmed_by", "author"})
LimitArg = Annotated[int, Field(ge=1, le=500, description="Most items; the result says if more exist")]


@dataclass
class ToolSet:
    """The tools one category offers, in order, built from their functions with trimmed schemas.

    The server is made from every category's ToolSet (``MCPServer(tools=...)``), so the tools a
    category registered are known by name, and a tool a config turns off is never built at all.
    """

    config: Config
    tools: list[Tool] = field(default_factory=list)
    withheld: dict[str, str] = field(default_factory=dict)
    """Tool name -> the config key that would turn it on (this config does not offer it)."""

    def add(self, fn: AnyFunc, title: str, annotations: ToolAnnotations) -> None:
        """Build the tool for ``fn``: the docstring on one line, the schemas trimmed (see ``schema.py``)."""
        description = " ".join((inspect.getdoc(fn) or "").split())  # no docstring indentation on the wire
        tool = Tool.from_function(fn, title=title, description=description, annotations=annotations)
        tool.parameters = lean_input(tool.parameters)
        if tool.fn_metadata.output_schema is not None:  # read live by the SDK, and not read yet
            tool.fn_metadata.output_schema = lean_output(tool.fn_metadata.output_schema)
        if not annotations.read_only_hint:
            guard_writes(tool)
        self.tools.append(tool)

    def withhold(self, name: str, switch: str) -> None:
        """Note a tool this config does not offer and the key that turns it on (the instructions say so)."""
        self.withheld[name] = switch

    def names(self) -> list[str]:
        """The names of the tools built, in order."""
        return [tool.name for tool in self.tools]


def read_only_tool(tools: ToolSet, title: str, *, open_world: bool = True) -> Callable[[AnyFunc], AnyFunc]:
    """Add a tool that only reads (from backends, or from the local record when ``open_world`` is False)."""
    annotations = ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=open_world
    )
    return _adder(tools, title, annotations)


def record_tool(
    tools: ToolSet, title: str, *, idempotent: bool, open_world: bool = False
) -> Callable[[AnyFunc], AnyFunc]:
    """Add a tool that writes only to the local incident record (never to an outside system); with
    ``open_world`` it also reads the backends."""
    annotations = ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=idempotent, open_world_hint=open_world
    )
    return _adder(tools, title, annotations)


def _adder(tools: ToolSet, title: str, annotations: ToolAnnotations) -> Callable[[AnyFunc], AnyFunc]:
    def add(fn: AnyFunc) -> AnyFunc:
        tools.add(fn, title, annotations)
        return fn

    return add


def guard_writes(tool: Tool) -> None:
    """Make a tool that writes answer to the bearer token of the call (the HTTP transport's): refused
    without the ``write`` scope, and every argument naming who acts set to the token's subject.

    Done once here, after the schema was built from the original function, so no tool has to
    remember it. Over stdio there is no token and nothing changes.
    """
    original = tool.fn

    async def guarded(**arguments: Any) -> Any:
        token = get_access_token()
        if token is not None:
            if "write" not in token.scopes:
                raise ToolError(
                    f"{tool.name} writes, and this token (subject {token.client_id}) has only the scopes "
                    f"{token.scopes}. Nothing was written; ask the server's operator for a token with the "
                    "write scope, or use the read-only tools."
                )
            for name in IDENTITY_ARGUMENTS.intersection(arguments):
                arguments[name] = token.client_id
        result = original(**arguments)
        return await result if inspect.isawaitable(result) else result

    tool.fn = guarded
    tool.is_async = True


def caller_subject() -> str | None:
    """The authenticated caller of this tool call (HTTP with tokens), else None (stdio)."""
    token = get_access_token()
    return token.client_id if token else None


def runtime_of(ctx: Context[Runtime]) -> Runtime:
    """The Runtime the server's lifespan built."""
    return ctx.request_context.lifespan_context


@contextmanager
def tool_errors(action: str) -> Iterator[None]:
    """Turn firstfifteen's errors (adapters, config, store) and validation errors into a ToolError the
    model can act on: what failed and the next step, never a traceback."""
    try:
        yield
    except FirstfifteenError as exc:
        raise ToolError(f"{action} failed: {exc.describe()}") from exc
    except ValueError as exc:  # pydantic validation of arguments built inside the tool
        raise ToolError(f"{action} failed: {exc}. Fix the argument and call again.") from exc


async def recorded(
    runtime: Runtime,
    incident_id: str | None,
    run: Callable[[], Awaitable[T]],
    entry: Callable[[T], TimelineEntry],
) -> T:
    """Run ``run``; given an incident, check it exists first (so a typo fails before any work) and
    record the result on its timeline."""
    if incident_id:
        await anyio.to_thread.run_sync(runtime.store.get_incident, incident_id)
    result = await run()
    if incident_id:
        event = entry(result)
        subject = caller_subject()
        if subject:  # the run is recorded as firstfifteen's; say who asked for it
            event = event.model_copy(update={"details": {**event.details, "requested_by": subject}})
        await anyio.to_thread.run_sync(runtime.store.append_event, incident_id, event)
    return result


def cap(items: Sequence[T], limit: int) -> tuple[list[T], bool]:
    """The first ``limit`` items and whether anything was left out."""
    return list(items[:limit]), len(items) > limit


def resolve_at(runtime: Runtime, at: str, reference: datetime | None = None) -> datetime:
    """Parse a time argument; ``now`` is ``reference``, else the wall clock (the scenario's moment in demo mode)."""
    with tool_errors("reading the time"):
        return parse_time(at, reference=reference or runtime.reference_time())


def resolve_span(runtime: Runtime, since: str, until: str, default: timedelta) -> TimeWindow:
    """Parse a since/until pair into a UTC window."""
    with tool_errors("reading the window"):
        return resolve_window(since, until, default_length=default, reference=runtime.reference_time())


def resolve_width(window: str) -> timedelta:
    """Parse a window width such as ``15m``."""
    with tool_errors("reading the window width"):
        return parse_duration(window)


def check_services(runtime: Runtime, services: list[str] | None) -> list[str]:
    """Validate service names against the config; unknown names fail with the list of known ones."""
    with tool_errors("checking the services"):
        return [runtime.config.service(name).name for name in services] if services else []
