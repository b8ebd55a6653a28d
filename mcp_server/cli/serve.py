"""``firstfifteen serve``: the MCP server over stdio (what the Claude Code plugin launches), or over
streamable HTTP for a team's shared server, behind bearer tokens (docs/team-server.md)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from adapters.errors import ConfigError
from mcp_server.cli.common import AddParser, Handler
from mcp_server.config import CONFIG_ENV, Config, load_config
from mcp_server.team_auth import TOKENS_FILE_ENV, all_tokens
from mcp_server.tool_groups import GROUPS_ENV, TOOL_GROUPS, parse_groups

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.transport_security import TransportSecuritySettings

    from mcp_server.http_access import HttpAccess

DEFAULT_PORT = 8765


def add_parsers(add: AddParser) -> dict[str, Handler]:
    """Add ``serve``."""
    serve = add("serve", help="run the MCP server (stdio, or HTTP for a team)")
    serve.add_argument(
        "--groups",
        default=None,
        help=f"offer only these tool groups, comma-separated (default: ${GROUPS_ENV}, else tools.groups "
        f"in the config, else all): {','.join(TOOL_GROUPS)}",
    )
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP: the address to bind (default: loopback only)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"HTTP: the port (default {DEFAULT_PORT})")
    serve.add_argument("--tokens-file", default=None, help=f"HTTP: a YAML list of tokens (also ${TOKENS_FILE_ENV})")
    serve.add_argument("--allowed-host", action="append", default=[], help="HTTP beyond loopback: a Host to accept")
    serve.add_argument("--no-auth", action="store_true", help="HTTP on loopback only: no tokens (local tries)")
    return {"serve": run_serve}


def chosen_groups(config: Config, flag: str | None) -> Config:
    """``config`` with the groups of ``--groups``, else of $FIRSTFIFTEEN_GROUPS, else its own."""
    if flag is not None:
        return config.with_groups(parse_groups(flag, "--groups"))
    if os.environ.get(GROUPS_ENV):
        return config.with_groups(parse_groups(os.environ[GROUPS_ENV], GROUPS_ENV))
    return config


def run_serve(args: argparse.Namespace) -> int:
    """Serve the config named by --config or $FIRSTFIFTEEN_CONFIG, else the embedded demo default."""
    from mcp_server.embedded import demo_settings
    from mcp_server.server import create_server  # the MCP SDK is only loaded for this command

    chosen = args.config or os.environ.get(CONFIG_ENV)
    if chosen:
        config, note, reference = chosen_groups(load_config(chosen, args.env), args.groups), "", None
    else:
        config, note, reference = demo_settings()
        config = chosen_groups(config, args.groups)
    if args.transport == "stdio":
        create_server(config, data_note=note, reference=reference).run()  # nothing may print to stdout now
        return 0
    access = http_access(config, args)  # first: an open server beyond loopback is the worse mistake
    security = transport_security(config, args)
    server = create_server(config, data_note=note, reference=reference, access=access)
    add_health_route(server)
    server.run("streamable-http", host=args.host, port=args.port, transport_security=security)
    return 0


def http_access(config: Config, args: argparse.Namespace) -> HttpAccess | None:
    """The token check for HTTP, or None with --no-auth (loopback only); no tokens at all is refused."""
    from mcp_server.http_access import HashedTokenVerifier, HttpAccess, is_loopback

    if args.no_auth:
        if not is_loopback(args.host):
            raise ConfigError(
                f"--no-auth with --host {args.host}: a server without tokens may only listen on loopback",
                hint="Bind 127.0.0.1, or drop --no-auth and configure tokens (firstfifteen token new).",
            )
        return None
    tokens = all_tokens(config.server, config.base_dir, args.tokens_file)
    if not tokens:
        raise ConfigError(
            "serve --transport http needs at least one token: none under server.tokens, server.tokens_file, "
            f"--tokens-file or ${TOKENS_FILE_ENV}",
            hint="Make one with `firstfifteen token new --subject <name> --scope write` and add its entry, "
            "or try it locally with --no-auth on 127.0.0.1.",
        )
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    return HttpAccess(HashedTokenVerifier(tokens), f"http://{shown_host}:{args.port}/mcp")


def transport_security(config: Config, args: argparse.Namespace) -> TransportSecuritySettings | None:
    """Beyond loopback the SDK's DNS-rebinding check needs the host names clients use; on loopback it
    sets them itself (None)."""
    from mcp.server.transport_security import TransportSecuritySettings

    from mcp_server.http_access import is_loopback

    if is_loopback(args.host):
        return None
    hosts = [*config.server.allowed_hosts, *args.allowed_host]
    if not hosts:
        raise ConfigError(
            f"--host {args.host} listens beyond this machine, and no host name is allowed",
            hint="Name the Host header clients use: server.allowed_hosts in the config or --allowed-host "
            "(e.g. ff.example.com:443), and put a TLS proxy in front (docs/team-server.md).",
        )
    return TransportSecuritySettings(allowed_hosts=hosts, allowed_origins=list(config.server.allowed_origins))


def add_health_route(server: MCPServer) -> None:
    """``GET /healthz`` -> ``{"status": "ok"}``: for a proxy's or a harness's readiness check; no secrets."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    server.custom_route("/healthz", methods=["GET"])(healthz)  # the SDK's decorator is untyped
