"""PagerDuty for firstfifteen: incidents as alerts, change events as deploys (REST API v2).

The worked example of docs/writing-adapters.md: a third-party package with one module and one
entry point (``pagerduty`` in ``firstfifteen.adapters``), tested with firstfifteen's shipped
conformance suite against recorded responses. It reads two endpoints, as PagerDuty documents them:

- ``GET /incidents`` (``service_ids[]``, ``statuses[]``, ``since``/``until``, ``time_zone``,
  ``sort_by``, classic ``offset``/``limit``/``more`` pagination) -> :class:`adapters.models.Alert`
- ``GET /change_events`` (``since``/``until``, the same pagination) -> :class:`adapters.models.Deploy`

Every request sends ``Authorization: Token token=<token>`` and
``Accept: application/vnd.pagerduty+json;version=2``; ``check()`` reads ``GET /services/{id}``
for each configured service. What maps to what is in docs/writing-adapters.md.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from adapters.base import AdapterContext
from adapters.errors import BackendTimeoutError, BadResponseError, ConfigError
from adapters.http import BaseUrl, Credentials, decode_json, request_json, send
from adapters.models import Alert, Deploy, TimeWindow, iso_utc

ACCEPT = "application/vnd.pagerduty+json;version=2"
STATUSES = ("triggered", "acknowledged", "resolved")


class PagerDutyConfig(BaseModel):
    """Settings of the PagerDuty adapter, validated when firstfifteen starts."""

    # hide_input_in_errors: a validation error must not print the token it was given.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    token: SecretStr = Field(description="REST API key; write ${PAGERDUTY_TOKEN} in firstfifteen.yaml")
    services: dict[str, str] = Field(min_length=1, description="PagerDuty service id -> firstfifteen service name")
    base_url: BaseUrl = Field(default="https://api.pagerduty.com", description="REST API base (EU: same host)")
    deadline_s: float = Field(default=10.0, gt=0, le=60, description="Deadline of one call, all pages included")
    lookback_hours: float = Field(default=24, gt=0, le=720, description="How far back an open incident may start")
    page_size: int = Field(default=100, ge=1, le=100, description="limit= of each page (PagerDuty allows 100)")
    max_pages: int = Field(default=5, ge=1, le=100, description="Pages read per call at most")
    environment: str = Field(default="", description="Deploy environment when a change event names none")

    @field_validator("services")
    @classmethod
    def _service_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for service_id, name in value.items():
            if not re.fullmatch(r"[A-Z0-9]{4,20}", service_id):
                raise ValueError(f"{service_id!r} is not a PagerDuty service id (e.g. PIJ90N7, from the service's URL)")
            if not name.strip():
                raise ValueError(f"service {service_id} needs the firstfifteen service name it maps to")
        return value


class PagerDutyAdapter:
    """Reads PagerDuty incidents (capability ``alerts``) and change events (capability ``deploys``)."""

    config_model: ClassVar[type[PagerDutyConfig]] = PagerDutyConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"alerts", "deploys"})
    service_label = "service"  # the label of each Alert that names the firstfifteen service

    def __init__(self, name: str, config: PagerDutyConfig, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Keep the settings and the shared client; nothing is sent until asked."""
        self.name = name
        self.config = config
        self._http = http
        token = config.token.get_secret_value()
        headers = {"Authorization": f"Token token={token}", "Accept": ACCEPT}
        self._credentials = Credentials(headers=headers, secrets=(token,))

    def __repr__(self) -> str:
        return f"PagerDutyAdapter(name={self.name!r}, base_url={self.config.base_url!r})"

    async def check(self) -> str:
        """GET /services/{id} for each configured service: the token works and every id exists."""
        started, names = time.monotonic(), []
        for service_id, service in self.config.services.items():
            summary = f"GET /services/{service_id}"
            response = await send(
                self._http,
                "GET",
                f"{self.config.base_url}/services/{service_id}",
                adapter=self.name,
                request_summary=summary,
                timeout=self._remaining(started, summary),
                credentials=self._credentials,
                passthrough=frozenset({404}),
            )
            if response.status_code == 404:
                raise ConfigError(
                    f"PagerDuty has no service {service_id} (mapped to {service})",
                    adapter=self.name,
                    request=summary,
                    hint="Copy the id from the service's URL in PagerDuty (…/service-directory/PXXXXXX).",
                )
            body = decode_json(response, adapter=self.name, request_summary=summary, credentials=self._credentials)
            names.append(f"{service} ({self._service_name(body, summary)})")
        return f"PagerDuty API at {self.config.base_url}: services {', '.join(names)}"

    async def list_alerts(self, at: datetime) -> list[Alert]:
        """Incidents of the configured services open at ``at`` (started in the lookback, not resolved by then)."""
        query = [("since", iso_utc(at - timedelta(hours=self.config.lookback_hours))), ("until", iso_utc(at))]
        query += [("service_ids[]", s) for s in self.config.services] + [("statuses[]", s) for s in STATUSES]
        query += [("time_zone", "UTC"), ("sort_by", "created_at:desc")]
        items, _ = await self._pages("/incidents", "incidents", query)
        alerts = [alert for item in items if (alert := self._alert(item, at)) is not None]
        return sorted(alerts, key=lambda a: (a.starts_at, a.fingerprint))

    async def list_deploys(self, window: TimeWindow) -> list[Deploy]:
        """Change events of the configured services inside ``window``, oldest first."""
        query = [("since", iso_utc(window.start)), ("until", iso_utc(window.end))]
        items, cut = await self._pages("/change_events", "change_events", query)
        deploys = [d for item in items if (d := self._deploy(item)) is not None]
        deploys = sorted((d for d in deploys if window.start <= d.started_at <= window.end), key=lambda d: d.started_at)
        if cut and deploys:  # the oldest says that earlier change events may be missing
            note = f"list cut at {self.config.max_pages} pages: older change events may be missing"
            deploys[0] = deploys[0].model_copy(update={"detail": f"{deploys[0].detail}; {note}".lstrip("; ")})
        return deploys

    async def _pages(self, path: str, key: str, query: list[tuple[str, str]]) -> tuple[list[Any], bool]:
        """Every item of a classic-paginated list, up to max_pages; True when more were left unread."""
        started, items, size = time.monotonic(), [], self.config.page_size
        for page in range(self.config.max_pages):
            paging = [("limit", str(size)), ("offset", str(page * size))]
            url = httpx.URL(self.config.base_url + path, params=[*query, *paging])
            summary = f"GET {path} offset={page * size} limit={size}"
            body = await request_json(
                self._http,
                "GET",
                str(url),
                adapter=self.name,
                request_summary=summary,
                timeout=self._remaining(started, summary),
                credentials=self._credentials,
            )
            if not (isinstance(body, dict) and isinstance(body.get(key), list) and isinstance(body.get("more"), bool)):
                raise self._bad_shape(summary, f"expected {{{key!r}: [...], 'more': true|false}}")
            items += body[key]
            if not body["more"]:
                return items, False
        return items, True

    def _remaining(self, started: float, summary: str) -> float:
        """What is left of this call's deadline; none left is a timeout, before anything more is sent."""
        left = self.config.deadline_s - (time.monotonic() - started)
        if left <= 0:
            raise BackendTimeoutError(
                f"no complete answer within {self.config.deadline_s:g}s", adapter=self.name, request=summary
            )
        return left

    def _alert(self, item: object, at: datetime) -> Alert | None:
        try:
            return incident_to_alert(item, self.config.services, at)
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise self._bad_shape("GET /incidents", f"incident {_id_of(item)}: {exc}") from exc

    def _deploy(self, item: object) -> Deploy | None:
        try:
            return change_event_to_deploy(item, self.config.services, self.config.environment, self.name)
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise self._bad_shape("GET /change_events", f"change event {_id_of(item)}: {exc}") from exc

    def _service_name(self, body: object, summary: str) -> str:
        service = body.get("service") if isinstance(body, dict) else None
        if not (isinstance(service, dict) and isinstance(service.get("name"), str)):
            raise self._bad_shape(summary, "expected {'service': {'name': ...}}")
        return str(service["name"])

    def _bad_shape(self, summary: str, what: str) -> BadResponseError:
        return BadResponseError(
            f"the answer is not a PagerDuty REST API v2 response: {what}",
            adapter=self.name,
            request=summary,
            upstream=what[:300],
            hint="Check that base_url is PagerDuty's REST API (https://api.pagerduty.com), not a web or proxy URL.",
        )


def parse_time(value: object, field: str) -> datetime:
    """An ISO-8601 time with its zone (PagerDuty renders them in the asked time_zone)."""
    if not isinstance(value, str):
        raise ValueError(f"{field} must be an ISO-8601 string, got {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{field} {value!r} has no timezone")
    return parsed


def incident_to_alert(item: object, services: dict[str, str], at: datetime) -> Alert | None:
    """One PagerDuty incident as an Alert, or None when it was not open at ``at`` or is not a configured service's."""
    if not isinstance(item, dict):
        raise ValueError("not an object")
    status, service = item["status"], item["service"]
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    name = services.get(service["id"])
    started = parse_time(item["created_at"], "created_at")
    ended = parse_time(item["last_status_change_at"], "last_status_change_at") if status == "resolved" else None
    if name is None or started > at or (ended is not None and ended <= at):
        return None
    priority = item.get("priority") or {}
    labels = {
        "service": name,
        "pagerduty_service": str(service.get("summary", "")),
        "status": status,
        "urgency": str(item.get("urgency", "")),
        "incident_number": str(item.get("incident_number", "")),
    }
    if priority.get("summary"):
        labels["priority"] = str(priority["summary"])
    return Alert(
        name=str(item["title"]),
        state="firing",  # open at `at`: triggered or acknowledged then (acknowledged is in labels.status)
        severity=labels.get("priority") or labels["urgency"],
        service=name,
        summary=str(item.get("summary", "")),
        labels=labels,
        starts_at=started,
        ends_at=ended,
        fingerprint=str(item["id"]),
        link=str(item.get("html_url") or ""),
    )


def change_event_to_deploy(item: object, services: dict[str, str], environment: str, source: str) -> Deploy | None:
    """One PagerDuty change event as a Deploy, or None when it names none of the configured services."""
    if not isinstance(item, dict):
        raise ValueError("not an object")
    names = [services[s["id"]] for s in item.get("services") or [] if s.get("id") in services]
    if not names:
        return None
    details = item.get("custom_details") or {}
    if not isinstance(details, dict):
        raise ValueError("custom_details must be an object")
    text = {k: v for k, v in details.items() if isinstance(v, str)}  # a CI's own keys, when it sends them
    links = [link.get("href") for link in item.get("links") or [] if isinstance(link, dict) and link.get("href")]
    return Deploy(
        id=str(item["id"]),
        service=names[0],
        environment=text.get("environment", environment),
        version=text.get("version", ""),
        started_at=parse_time(item["timestamp"], "timestamp"),
        status="succeeded",  # a change event records a change that happened; PagerDuty keeps no outcome
        author=text.get("author", ""),
        link=str(links[0]) if links else str(item.get("html_url") or ""),
        source=source,
        repo=text.get("repo", ""),
        sha=text.get("sha") or text.get("commit", ""),
        detail=f"PagerDuty change event from {item.get('source') or 'an integration'}: {item.get('summary', '')}"[:300],
    )


def _id_of(item: object) -> str:
    return str(item.get("id", "?")) if isinstance(item, dict) else "?"
