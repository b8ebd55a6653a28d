"""The runtime: one validated config, one shared HTTP client, the adapters built once, the store.

The MCP server builds it in its lifespan and the CLI builds it per command; tools and the triage
engine only ever see a Runtime, never a raw config file or a vendor client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import httpx

from adapters.base import (
    CAPABILITIES,
    Adapter,
    AdapterContext,
    AlertSource,
    Capability,
    ChangeSource,
    ChatSink,
    ChatSource,
    DeploySource,
    EmailSink,
    HealthChecker,
    LogsSource,
    MetricsSource,
    ProviderEventSource,
    StatusPageSink,
    missing_members,
)
from adapters.errors import ConfigError
from adapters.models import utcnow
from adapters.registry import load_adapter_class
from mcp_server.config import Config
from mcp_server.store import IncidentStore, open_store

Progress = Callable[[float, float, str], Awaitable[None]]


async def no_progress(done: float, total: float, message: str) -> None:
    """A progress callback that reports nothing."""


@dataclass
class Runtime:
    """Everything a tool call needs; built once per server or CLI command.

    The adapters are reached through one typed accessor per capability, so the domain code sees a
    ``MetricsSource`` or a ``HealthChecker``, never a vendor class.
    """

    config: Config
    http: httpx.AsyncClient
    adapters: dict[str, Adapter]
    data_note: str = ""
    reference: datetime | None = None
    http_requests: list[str] = field(default_factory=list)
    opened_store: IncidentStore | None = None

    def reference_time(self) -> datetime:
        """What ``now`` means: the wall clock, or the scenario's moment when replaying a fixture."""
        return self.reference or utcnow()

    def sources(self, capability: Capability) -> list[Adapter]:
        """Adapters serving ``capability``: those named under ``sources:``, else every adapter that offers it."""
        named = self.config.sources.get(capability)
        if named is not None:
            return [self.adapters[n] for n in named]
        return [a for a in self.adapters.values() if capability in type(a).capabilities]

    def metrics_sources(self) -> list[MetricsSource]:
        """Adapters answering metric queries."""
        return cast(list[MetricsSource], self.sources("metrics"))

    def metrics(self) -> MetricsSource | None:
        """The metrics source (the first configured one), or None when there is none."""
        found = self.metrics_sources()
        return found[0] if found else None

    def health_checkers(self) -> list[HealthChecker]:
        """Adapters running health checks."""
        return cast(list[HealthChecker], self.sources("health"))

    def deploy_sources(self) -> list[DeploySource]:
        """Adapters listing deploys."""
        return cast(list[DeploySource], self.sources("deploys"))

    def provider_event_sources(self) -> list[ProviderEventSource]:
        """Adapters listing providers' incidents."""
        return cast(list[ProviderEventSource], self.sources("provider_events"))

    def alert_sources(self) -> list[AlertSource]:
        """Adapters listing active alerts."""
        return cast(list[AlertSource], self.sources("alerts"))

    def change_sources(self) -> list[ChangeSource]:
        """Adapters answering what a deploy changed."""
        return cast(list[ChangeSource], self.sources("changes"))

    def chat_sources(self) -> list[ChatSource]:
        """Adapters reading the incident channel."""
        return cast(list[ChatSource], self.sources("chat"))

    def chat_sinks(self) -> list[ChatSink]:
        """Adapters posting internal chat updates."""
        return cast(list[ChatSink], self.sources("chat_post"))

    def status_sinks(self) -> list[StatusPageSink]:
        """Adapters posting to the public status page."""
        return cast(list[StatusPageSink], self.sources("status_post"))

    def email_sinks(self) -> list[EmailSink]:
        """Adapters sending email."""
        return cast(list[EmailSink], self.sources("email"))

    def logs_sources(self) -> list[LogsSource]:
        """Adapters answering log queries."""
        return cast(list[LogsSource], self.sources("logs"))

    @property
    def store(self) -> IncidentStore:
        """The incident store, opened on first use (most commands never touch the record)."""
        if self.opened_store is None:
            # Replaying a scenario, the record is stamped on the scenario's clock, as the tools' 'now'
            # is: otherwise a replayed incident's timeline would mix the scenario's day with today.
            clock = self.reference_time if self.reference else None
            self.opened_store = open_store(self.config.store, base_dir=self.config.base_dir, clock=clock)
        return self.opened_store

    def use_store(self, store: IncidentStore) -> None:
        """Use ``store`` instead of the configured one (the demo's throwaway record); closed with the runtime."""
        self.close_store()
        self.opened_store = store

    def close_store(self) -> None:
        """Close the incident store if it was opened."""
        if self.opened_store is not None:
            self.opened_store.close()
            self.opened_store = None


def build_adapters(config: Config, http: httpx.AsyncClient) -> dict[str, Adapter]:
    """Instantiate every configured adapter with its validated settings."""
    context = AdapterContext(base_dir=config.base_dir)
    built: dict[str, Adapter] = {}
    for name, entry in config.adapters.items():
        cls = load_adapter_class(entry.type or name)
        settings = cls.config_model.model_validate(entry.settings())
        built[name] = cls(name, settings, http, context)
        check_contract(name, built[name])
    for capability, names in config.sources.items():
        for name in names:
            if capability not in type(built[name]).capabilities:
                raise ConfigError(f"sources.{capability}: adapter {name!r} does not provide {capability}")
    checkers = sorted(n for n, a in built.items() if "health" in type(a).capabilities)
    for service in config.services:
        if service.health_source and service.health_source not in checkers:
            raise ConfigError(
                f"services.{service.name}.health_source: {service.health_source!r} is not a health-check adapter",
                hint=f"Use one of the configured health checkers: {', '.join(checkers) or 'none configured'}.",
            )
    return built


def check_contract(name: str, adapter: Adapter) -> None:
    """Refuse an adapter that declares a capability it does not implement, naming what is missing.

    This is what makes the typed accessors above honest: an adapter listed under ``health`` has
    ``accepts`` and ``check_health``, whichever package it came from.
    """
    for capability in sorted(type(adapter).capabilities):
        if capability not in CAPABILITIES:
            raise ConfigError(
                f"adapters.{name}: declares unknown capability {capability!r}",
                hint=f"Capabilities are: {', '.join(CAPABILITIES)} (docs/writing-adapters.md).",
            )
        missing = missing_members(adapter, capability)
        if missing:
            raise ConfigError(
                f"adapters.{name}: declares {capability!r} but lacks {', '.join(missing)}",
                hint="Upgrade the adapter's package, or implement the capability as docs/writing-adapters.md says.",
            )


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
