"""Provider incidents from public Atlassian-Statuspage-format pages (GitHub, Cloudflare, Atlassian, ...).

Reads the unauthenticated v2 JSON every such page publishes: ``/api/v2/incidents.json`` (the 50
most recent incidents) and, for a window that reaches the present, ``/api/v2/components.json``
(component states right now). See https://www.githubstatus.com/api for the documented fields.
One provider failing never hides the others: it becomes an ``unknown`` event naming the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from adapters.base import AdapterContext
from adapters.errors import AdapterError, BadResponseError, UnavailableError
from adapters.http import BaseUrl, refuse_url_credentials, request_json
from adapters.models import ProviderEvent, TimeWindow

LIVE_WINDOW = timedelta(minutes=10)
_COMPONENT_IMPACT = {
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
    "under_maintenance": "maintenance",
}


class StatusProvider(BaseModel):
    """One provider's public status page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="How the provider is named in answers, e.g. github")
    url: BaseUrl = Field(description="Base URL of the page, e.g. https://www.githubstatus.com")
    components: list[str] = Field(default_factory=list, description="Only these components; empty means all")

    @model_validator(mode="before")
    @classmethod
    def _no_url_credentials(cls, data: object) -> object:
        return refuse_url_credentials(data, "url")


class StatuspageConfig(BaseModel):
    """Settings of the status-page reader."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    providers: list[StatusProvider] = Field(min_length=1)
    timeout_s: float = Field(default=5.0, gt=0, le=60, description="Per-request timeout in seconds")

    @field_validator("providers")
    @classmethod
    def _unique(cls, value: list[StatusProvider]) -> list[StatusProvider]:
        names = [p.name for p in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate provider names {dupes}")
        return value


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO-8601 time, got {value!r}")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _component_names(incident: dict[str, object]) -> list[str]:
    components = incident.get("components") or []
    if not isinstance(components, list):
        raise ValueError("components must be a list")
    return [str(c["name"]) for c in components if isinstance(c, dict)]


def to_event(provider: StatusProvider, incident: dict[str, object]) -> ProviderEvent:
    """Map one documented ``incidents[]`` element to a ProviderEvent."""
    status = str(incident["status"])
    resolved_at = _time(incident.get("resolved_at"))
    if resolved_at is None and status in ("resolved", "postmortem"):
        # Some pages leave resolved_at empty on closed incidents; their last update is the close.
        resolved_at = _time(incident.get("updated_at"))
    return ProviderEvent(
        provider=provider.name,
        id=str(incident["id"]),
        title=str(incident["name"]),
        status=status,
        impact=str(incident.get("impact") or "none"),
        started_at=_time(incident.get("started_at")) or _time(incident.get("created_at")),
        updated_at=_time(incident.get("updated_at")),
        resolved_at=resolved_at,
        components=_component_names(incident),
        link=str(incident.get("shortlink") or f"{provider.url}/incidents/{incident['id']}"),
    )


def _open_during(event: ProviderEvent, window: TimeWindow) -> bool:
    if event.started_at is not None and event.started_at > window.end:
        return False
    return event.resolved_at is None or event.resolved_at >= window.start


def _watched(provider: StatusProvider, names: list[str]) -> bool:
    """No filter, an incident naming no component, or one touching a watched component."""
    if not provider.components or not names:
        return True
    wanted = {c.casefold() for c in provider.components}
    return any(n.casefold() in wanted for n in names)


class StatuspageAdapter:
    """Reads the public status pages of the providers the system depends on."""

    config_model: ClassVar[type[StatuspageConfig]] = StatuspageConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"provider_events"})

    def __init__(self, name: str, config: StatuspageConfig, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Keep the settings and the shared client."""
        self.name = name
        self.config = config
        self._http = http
        self._context = context

    def __repr__(self) -> str:
        return f"StatuspageAdapter(name={self.name!r}, providers={[p.name for p in self.config.providers]})"

    async def check(self) -> str:
        """Fetch every provider's incidents feed; fail only if none answers."""
        results = await asyncio.gather(
            *(self._incidents(p, "check") for p in self.config.providers), return_exceptions=True
        )
        errors = self._errors(results)
        if len(errors) == len(results):
            raise self._all_failed(errors)
        failed = [p.name for p, r in zip(self.config.providers, results, strict=True) if isinstance(r, AdapterError)]
        ok = len(results) - len(failed)
        return f"{ok} of {len(results)} status pages answer" + (f" (failing: {', '.join(failed)})" if failed else "")

    async def list_events(self, window: TimeWindow) -> list[ProviderEvent]:
        """Provider incidents open at any moment of ``window``, plus degraded components if it reaches now."""
        live = window.end >= datetime.now(UTC) - LIVE_WINDOW
        per_provider = await asyncio.gather(*(self._provider_events(p, window, live) for p in self.config.providers))
        errors = [err for _, err in per_provider if err is not None]
        if errors and len(errors) == len(per_provider):
            raise self._all_failed(errors)
        events = [event for found, _ in per_provider for event in found]
        return sorted(events, key=lambda e: (e.provider, e.started_at or window.end, e.id))

    async def _provider_events(
        self, provider: StatusProvider, window: TimeWindow, live: bool
    ) -> tuple[list[ProviderEvent], AdapterError | None]:
        """Events of one provider, and the error that lost its incidents feed (if any)."""
        jobs = [self._incidents(provider, window.label())]
        if live:
            jobs.append(self._degraded_components(provider, window.label()))
        results = await asyncio.gather(*jobs, return_exceptions=True)
        events: list[ProviderEvent] = []
        feed_error: AdapterError | None = None
        for index, result in enumerate(results):
            if isinstance(result, AdapterError):
                feed_error = result if index == 0 else feed_error
                if index == 0 or feed_error is None:  # one "unreachable" per page is enough
                    events.append(self._unreachable(provider, result, "" if index == 0 else "components"))
            elif isinstance(result, BaseException):
                raise result
            else:
                # results[0] are incidents (filter by time), results[1] are live components (already filtered).
                events.extend(e for e in result if index == 1 or self._keep(provider, e, window))
        return events, feed_error

    @staticmethod
    def _keep(provider: StatusProvider, event: ProviderEvent, window: TimeWindow) -> bool:
        return _open_during(event, window) and _watched(provider, event.components)

    async def _incidents(self, provider: StatusProvider, when: str) -> list[ProviderEvent]:
        summary = f"GET {provider.url}/api/v2/incidents.json window={when}"
        body = await self._get(provider.url + "/api/v2/incidents.json", summary)
        incidents = body.get("incidents") if isinstance(body, dict) else None
        if not isinstance(incidents, list):
            raise self._bad_shape(summary, "expected {incidents: [...]}")
        try:
            return [to_event(provider, i) for i in incidents if isinstance(i, dict)]
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise self._bad_shape(summary, f"unreadable incident: {exc}") from exc

    async def _degraded_components(self, provider: StatusProvider, when: str) -> list[ProviderEvent]:
        summary = f"GET {provider.url}/api/v2/components.json window={when}"
        body = await self._get(provider.url + "/api/v2/components.json", summary)
        components = body.get("components") if isinstance(body, dict) else None
        if not isinstance(components, list):
            raise self._bad_shape(summary, "expected {components: [...]}")
        wanted = {c.casefold() for c in provider.components}
        events = []
        for component in components:
            if not isinstance(component, dict) or component.get("status", "operational") == "operational":
                continue
            name = str(component.get("name", ""))
            # Groups repeat their children's state; report them only when asked for by name.
            if (wanted and name.casefold() not in wanted) or (not wanted and component.get("group")):
                continue
            events.append(self._component_event(provider, component, summary))
        return events

    def _component_event(self, provider: StatusProvider, component: dict[str, object], summary: str) -> ProviderEvent:
        status = str(component["status"])
        try:  # a time without a zone fails the model's UTC check: a ValidationError, a ValueError too
            return ProviderEvent(
                provider=provider.name,
                id=f"component:{component.get('id', '')}",
                title=f"{component.get('name', '')} is {status.replace('_', ' ')}",
                status=status,
                impact=_COMPONENT_IMPACT.get(status, "none"),
                updated_at=_time(component.get("updated_at")),
                components=[str(component.get("name", ""))],
                link=provider.url,
            )
        except ValueError as exc:
            raise self._bad_shape(summary, f"unreadable component: {exc}") from exc

    async def _get(self, url: str, summary: str) -> object:
        return await request_json(
            self._http, "GET", url, adapter=self.name, request_summary=summary, timeout=self.config.timeout_s
        )

    @staticmethod
    def _unreachable(provider: StatusProvider, error: AdapterError, part: str = "") -> ProviderEvent:
        return ProviderEvent(
            provider=provider.name,
            id=f"unreachable:{part}" if part else "unreachable",
            title=f"status page unreachable: {part + ': ' if part else ''}{error.message}",
            status="unknown",
            link=provider.url,
        )

    @staticmethod
    def _errors(results: Sequence[object]) -> list[AdapterError]:
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, AdapterError):
                raise result
        return [r for r in results if isinstance(r, AdapterError)]

    def _all_failed(self, errors: list[AdapterError]) -> AdapterError:
        """One error for 'no page answered': the common class if they agree, else UnavailableError."""
        kind = type(errors[0]) if all(type(e) is type(errors[0]) for e in errors) else UnavailableError
        return kind(
            f"no status page answered: {'; '.join(e.message for e in errors)}",
            adapter=self.name,
            request="; ".join(e.request for e in errors),
            upstream="; ".join(e.upstream for e in errors if e.upstream),
            hint="Provider status is unknown; check the pages' URLs, and say so rather than assuming no outage.",
        )

    def _bad_shape(self, summary: str, what: str) -> BadResponseError:
        return BadResponseError(
            f"the answer is not a Statuspage v2 feed: {what}",
            adapter=self.name,
            request=summary,
            upstream=what[:300],
            hint="Check that the provider's url is the status page base (e.g. https://www.githubstatus.com).",
        )
