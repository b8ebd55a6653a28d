"""``firstfifteen serve --transport http`` as a real process on loopback, for tests and benchmarks.

``with http_server(args, env) as server:`` starts the installed ``firstfifteen`` at a free port and
waits for ``GET /healthz``; ``server.url`` is the MCP endpoint, ``server.output()`` what it printed.
``with team_server(store_url, {"alice": "write"}) as team:`` writes a tokens file with one fresh
token per subject (``team.tokens["alice"]``) and serves the embedded demo config over the store at
``store_url``. ``async with connect(url, token) as client:`` is the SDK's client over streamable HTTP
with that bearer token: what a responder's agent on another machine runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from processes import free_port, stop_process

from mcp_server.team_auth import TokenEntry, hash_token, new_token, scopes_for, write_tokens_file

START_TIMEOUT = 60.0  # a safety net for a slow machine, not a measurement
ROOT = Path(__file__).resolve().parents[1]


def firstfifteen_command() -> list[str]:
    """The installed console script beside this interpreter (the venv's), else ``python -m``."""
    script = Path(sys.executable).with_name("firstfifteen")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mcp_server.cli"]


@dataclass
class HttpServer:
    """A running ``serve --transport http``: its MCP URL, its process and its captured output."""

    url: str
    base: str
    process: subprocess.Popen[bytes]
    log_path: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def wait_healthy(server: HttpServer) -> None:
    """Block until ``/healthz`` answers, or fail with the server's output if it exits or never does."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"firstfifteen serve exited {server.process.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{server.base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"firstfifteen serve did not answer /healthz in {START_TIMEOUT:.0f}s:\n{server.output()}")


@contextmanager
def http_server(args: list[str], env: dict[str, str] | None = None) -> Iterator[HttpServer]:
    """Run ``firstfifteen serve --transport http --port <free> *args`` until the block ends."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="ff-http-"))
    log_path = workdir / "server.log"
    command = [*firstfifteen_command(), "serve", "--transport", "http", "--port", str(port), *args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    server = HttpServer(url=f"{base}/mcp", base=base, process=process, log_path=log_path)
    try:
        wait_healthy(server)
        yield server
    finally:
        stop_process(process)
        shutil.rmtree(workdir, ignore_errors=True)


def token_entry(token: str, subject: str, access: str) -> TokenEntry:
    """The entry for ``access`` "read", "write", or "expired" (write scopes, expired an hour ago)."""
    scopes = scopes_for("read" if access == "read" else "write")
    expires = datetime.now(UTC) - timedelta(hours=1) if access == "expired" else None
    return TokenEntry(sha256=hash_token(token), subject=subject, scopes=scopes, expires=expires)


def make_tokens_file(path: Path, access_by_subject: dict[str, str]) -> dict[str, str]:
    """A tokens file admitting one fresh token per subject (see ``token_entry``); the tokens by subject."""
    tokens = {subject: new_token() for subject in access_by_subject}
    write_tokens_file(path, [token_entry(tokens[s], s, access) for s, access in access_by_subject.items()])
    return tokens


@contextmanager
def team_server(store_url: str, access_by_subject: dict[str, str], config: Path | None = None) -> Iterator[HttpServer]:
    """``config`` (else the embedded demo) served over HTTP on the store at ``store_url``, with one
    token per subject."""
    workdir = Path(tempfile.mkdtemp(prefix="ff-team-"))
    try:
        tokens_file = workdir / "tokens.yaml"
        tokens = make_tokens_file(tokens_file, access_by_subject)
        env = {"FIRSTFIFTEEN_DB": store_url, "FIRSTFIFTEEN_TOKENS_FILE": str(tokens_file)}
        env["FIRSTFIFTEEN_CONFIG"] = str(config) if config else ""
        with http_server([], env) as server:
            server.tokens = tokens
            yield server
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@asynccontextmanager
async def connect(url: str, token: str | None) -> AsyncIterator[Client]:
    """An MCP client session over streamable HTTP, presenting ``token`` as a bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(headers=headers, timeout=30.0) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            yield client
