"""Alerts from Prometheus Alertmanager's v2 API (also Mimir's and Cortex's Alertmanager).

Reads ``GET /api/v2/alerts`` (the ``gettableAlerts`` shape of Alertmanager's OpenAPI spec,
https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml). Alertmanager keeps no
history: it knows the alerts active now, so asking about an earlier moment returns the current
alerts that had already started by then.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import ClassVar, Literal

import httpx
from pydantic import Field, ValidationError, field_validator

from adapters.base import AdapterContext
from adapters.errors import BadResponseError
from adapters.http import HttpBackendConfig, credentials_from, request_json
from adapters.models import Alert, iso_utc

AlertState = Literal["firing", "suppressed", "resolved"]
_STATES: dict[object, AlertState] = {"active": "firing", "unprocessed": "firing", "suppressed": "suppressed"}


class AlertmanagerConfig(HttpBackendConfig):
    """Settings of an Alertmanager."""

    service_label: str = Field(default="service", description="Alert label that names the service")

    @field_validator("service_label")
    @classmethod
    def _label(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError("must be a Prometheus label name ([A-Za-z_][A-Za-z0-9_]*)")
        return value


def _parse_time(value: object) -> datetime | None:
    if value in (None, "", "0001-01-01T00:00:00Z"):  # Go's zero time means "not set"
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected an RFC3339 string, got {value!r}")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _strings(value: object, field: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"{field} must map names to strings")
    return {str(k): v for k, v in value.items()}


def to_alert(item: object, service_label: str, at: datetime) -> Alert:
    """Map one v2 ``gettableAlert`` to our Alert."""
    if not isinstance(item, dict):
        raise ValueError("alert must be an object")
    labels = _strings(item["labels"], "labels")
    annotations = _strings(item.get("annotations", {}), "annotations")
    status = item["status"]
    state = _STATES.get(status.get("state") if isinstance(status, dict) else None)
    if state is None:
        raise ValueError(f"status.state must be active, suppressed or unprocessed, got {status!r}")
    starts_at = _parse_time(item["startsAt"])
    if starts_at is None:
        raise ValueError("startsAt is missing")
    ends_at = _parse_time(item.get("endsAt"))
    if ends_at is not None and ends_at <= at:
        state = "resolved"
    return Alert(
        name=labels.get("alertname", ""),
        state=state,
        severity=labels.get("severity", ""),
        service=labels.get(service_label, ""),
        summary=annotations.get("summary") or annotations.get("description", ""),
        labels=labels,
        starts_at=starts_at,
        ends_at=ends_at,
        fingerprint=str(item.get("fingerprint", "")),
        link=str(item.get("generatorURL") or ""),
    )


class AlertmanagerAdapter:
    """Lists the alerts an Alertmanager holds, silenced and inhibited ones included."""

    config_model: ClassVar[type[AlertmanagerConfig]] = AlertmanagerConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"alerts"})

    def __init__(self, name: str, config: AlertmanagerConfig, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Keep the settings and the shared client; nothing is sent until asked."""
        self.name = name
        self.config = config
        self.service_label = config.service_label
        self._http = http
        self._context = context
        self._credentials = credentials_from(config)

    def __repr__(self) -> str:
        return f"AlertmanagerAdapter(name={self.name!r}, url={self.config.url!r})"

    async def check(self) -> str:
        """GET /api/v2/status and return the version that answered."""
        summary = "GET /api/v2/status"
        body = await self._get("/api/v2/status", summary, None)
        info = body.get("versionInfo") if isinstance(body, dict) else None
        version = info.get("version") if isinstance(info, dict) else None
        if not isinstance(version, str):
            raise self._bad_shape(summary, "versionInfo.version is missing")
        return f"Alertmanager {version} at {self.config.url}"

    async def list_alerts(self, at: datetime) -> list[Alert]:
        """Alerts active now that had started by ``at``, oldest first; silenced ones are ``suppressed``."""
        params = {"active": "true", "silenced": "true", "inhibited": "true", "unprocessed": "true"}
        summary = f"GET /api/v2/alerts active=true silenced=true inhibited=true at={iso_utc(at)}"
        body = await self._get("/api/v2/alerts", summary, params)
        if not isinstance(body, list):
            raise self._bad_shape(summary, "expected a JSON list of alerts")
        alerts = []
        for index, item in enumerate(body):
            try:
                alert = to_alert(item, self.config.service_label, at)
            except (KeyError, TypeError, ValueError, ValidationError) as exc:
                raise self._bad_shape(summary, f"alert #{index}: {exc}") from exc
            if alert.starts_at <= at:
                alerts.append(alert)
        return sorted(alerts, key=lambda a: (a.starts_at, a.name, a.fingerprint))

    async def _get(self, path: str, summary: str, params: dict[str, str] | None) -> object:
        return await request_json(
            self._http,
            "GET",
            self.config.url + path,
            adapter=self.name,
            request_summary=summary,
            timeout=self.config.timeout_s,
            params=params,
            credentials=self._credentials,
        )

    def _bad_shape(self, summary: str, what: str) -> BadResponseError:
        return BadResponseError(
            f"the answer is not an Alertmanager v2 response: {what}",
            adapter=self.name,
            request=summary,
            upstream=what[:300],
            hint="Check that url points at the Alertmanager root (e.g. http://host:9093), which serves /api/v2.",
        )
