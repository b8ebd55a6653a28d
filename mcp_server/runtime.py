"""The runtime: one validated config, one shared HTTP client, the adapters built once, the store.

The MCP server builds it in its lifespan and the CLI builds it per command; tools and the triage
engine only ever see a Runtime, never a raw config file or a vendor client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from adapters.base import AdapterContext
from adapters.errors import ConfigError
from adapters.models import utcnow
from adapters.registry import load_adapter_class
from mcp_server.config import Config

Progress = Callable[[float, float, str], Awaitable[None]]


async def no_progress(done: float, total: float, message: str) -> None:
    """A progress callback that reports nothing."""


@dataclass
class Runtime:
    """Everything a tool call needs; built once per server or CLI command."""

    config: Config
    http: httpx.AsyncClient
    adapters: dict[str, Any]
    data_note: str = ""
    reference: datetime | None = None
    http_requests: list[str] = field(default_factory=list)
    _store: Any = None

    def reference_time(self) -> datetime:
        """What ``now`` means: the wall clock, or the scenario's moment when replaying a fixture."""
        return self.reference or utcnow()

    def sources(self, capability: str) -> list[Any]:
        """Adapters serving ``capability``: those named under ``sources:``, else every adapter that offers it."""
        named = self.config.sources.get(capability)
        if named is not None:
            return [self.adapters[n] for n in named]
        return [a for a in self.adapters.values() if capability in type(a).capabilities]

    def metrics(self) -> Any | None:
        """The metrics source (the first configured one), or None when there is none."""
        found = self.sources("metrics")
        return found[0] if found else None

    @property
    def store(self) -> Any:
        """The incident store, opened on first use."""
        if self._store is None:
            from mcp_server.store import open_store  # imported lazily: most commands never touch the record

            self._store = open_store(self.config.store)
        return self._store

    def close_store(self) -> None:
        """Close the incident store if it was opened."""
        if self._store is not None:
            self._store.close()
            self._store = None


def build_adapters(config: Config, http: httpx.AsyncClient) -> dict[str, Any]:
    """Instantiate every configured adapter with its validated settings."""
    context = AdapterContext(base_dir=config.base_dir)
    built: dict[str, Any] = {}
    for name, entry in config.adapters.items():
        cls = load_adapter_class(entry.type or name)
        settings = cls.config_model.model_validate(entry.settings())
        built[name] = cls(name, settings, http, context)
    for capability, names in config.sources.items():
        for name in names:
            if capability not in type(built[name]).capabilities:
                raise ConfigError(f"sources.{capability}: adapter {name!r} does not provide {capability}")
    return built


@asynccontextmanager
async def open_runtime(
    config: Config, *, data_note: str = "", reference: datetime | None = None
) -> AsyncIterator[Runtime]:
    """Build the runtime for ``config`` and close everything on exit."""
    requests: list[str] = []

    async def count(request: httpx.Request) -> None:
        requests.append(f"{request.method} {request.url.path}")

    limits = httpx.Limits(max_connections=50, max_keepalive_connections=20)
    async with httpx.AsyncClient(limits=limits, event_hooks={"request": [count]}, follow_redirects=False) as http:
        adapters = build_adapters(config, http)
        runtime = Runtime(config=config, http=http, adapters=adapters, data_note=data_note, reference=reference)
        runtime.http_requests = requests
        try:
            yield runtime
        finally:
            runtime.close_store()
