"""Posting to an Atlassian Statuspage page through its REST API (capability "status_post").

Creates an incident (``POST /pages/{page_id}/incidents``) or updates it (``PATCH
/pages/{page_id}/incidents/{incident_id}``), with the statuses of the affected components, as
documented at https://developer.statuspage.io. The API key goes in ``Authorization: OAuth <key>``.

Subscribers are notified only when ``deliver_notifications`` is set: the API's own default is to
notify, and an automated first draft should not email a page's customers unless a person chose
that. The flag is sent on updates too, because an update without it would notify.

This is the write side; :mod:`adapters.statuspage` reads providers' public pages.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from adapters.base import AdapterContext
from adapters.errors import AdapterError, AuthError, BadResponseError, NotFoundError, QueryError, RateLimitedError
from adapters.http import (
    BaseUrl,
    Credentials,
    Method,
    decode_json,
    refuse_url_credentials,
    retry_after_seconds,
    send,
    upstream_text,
)
from adapters.models import ComponentStatus, PostResult, StatusUpdate, utcnow

_ID = re.compile(r"[A-Za-z0-9]+")  # Statuspage ids are short alphanumerics; anything else would bend the path
# 420 is the rate-limit status Statuspage answered before it moved to 429; both still occur.
_OWN_STATUSES = frozenset({401, 403, 404, 420, 422, 429})


class StatuspageApiConfig(BaseModel):
    """Settings of a Statuspage page written through the REST API."""

    # hide_input_in_errors: a validation error must not print the API key.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    api_url: BaseUrl = Field(default="https://api.statuspage.io/v1", description="Base of the REST API")
    page_id: str = Field(description="The page's id (Statuspage: API info)")
    api_key: SecretStr = Field(description="Sent as Authorization: OAuth <key>; use ${STATUSPAGE_API_KEY}")
    components: dict[str, str] = Field(
        default_factory=dict, description="Our public component name -> Statuspage component id"
    )
    deliver_notifications: bool = Field(default=False, description="Notify the page's subscribers of each post")
    timeout_s: float = Field(default=10.0, gt=0, le=120, description="Per-request timeout in seconds")

    @field_validator("page_id")
    @classmethod
    def _page_id(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError("must be the page's alphanumeric id, e.g. kctbh9vrtdwd")
        return value

    @field_validator("components")
    @classmethod
    def _component_ids(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(name for name, cid in value.items() if not _ID.fullmatch(cid))
        if bad:
            raise ValueError(f"component ids must be alphanumeric; check {', '.join(bad)}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _no_url_credentials(cls, data: object) -> object:
        return refuse_url_credentials(data, "api_url")


def incident_payload(update: StatusUpdate, ids: dict[str, ComponentStatus], notify: bool) -> dict[str, object]:
    """The JSON body of a create (no ``remote_id``) or an update, components given by Statuspage id."""
    incident: dict[str, object] = {"status": update.status, "body": update.body, "components": ids}
    if not update.remote_id:
        incident = {"name": update.title, **incident, "component_ids": list(ids)}
    incident["deliver_notifications"] = notify
    return {"incident": incident}


def _parse_time(value: object) -> datetime | None:
    """An update's ``created_at``; None when it is absent, unreadable or has no zone (it is not UTC then)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.utcoffset() is not None else None


def _error_message(response: httpx.Response) -> str:
    """Statuspage's error text: ``{"error": "..."}``, ``{"error": ["...", ...]}`` or ``{"message": "..."}``."""
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error") or body.get("errors") or body.get("message")
    if isinstance(error, list):
        return "; ".join(str(e) for e in error)
    return str(error) if error else ""


class StatuspageApiAdapter:
    """Creates and updates incidents, with component statuses, on one Statuspage page."""

    config_model: ClassVar[type[StatuspageApiConfig]] = StatuspageApiConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"status_post"})

    def __init__(
        self, name: str, config: StatuspageApiConfig, http: httpx.AsyncClient, context: AdapterContext
    ) -> None:
        """Keep the settings and the shared client; nothing is sent until asked."""
        self.name = name
        self.config = config
        self._http = http
        self._context = context
        key = config.api_key.get_secret_value()
        masked = (key,) if len(key) >= 4 else ()  # masking "1" would garble messages
        self._credentials = Credentials(headers={"Authorization": f"OAuth {key}"}, secrets=masked)
        self._page = f"/pages/{config.page_id}"

    def __repr__(self) -> str:
        return f"StatuspageApiAdapter(name={self.name!r}, page_id={self.config.page_id!r})"

    async def check(self) -> str:
        """GET /pages/{page_id}: the key can read the page; answers its name and the mapped components."""
        summary = f"GET {self._page}"
        body = await self._request("GET", self._page, summary, None, missing=f"page {self.config.page_id}")
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str):
            raise self._bad_shape(summary, "the page has no name")
        return f"Statuspage page {name!r} ({self.config.page_id}); {len(self.config.components)} components mapped"

    async def post_update(self, update: StatusUpdate) -> PostResult:
        """Create the incident (no ``remote_id``) or update it; component names are mapped to ids first."""
        ids = self._component_ids(update.components)  # refuses unknown names before anything is sent
        payload = incident_payload(update, ids, self.config.deliver_notifications)
        notify = "notify" if self.config.deliver_notifications else "no notifications"
        if update.remote_id:
            if not _ID.fullmatch(update.remote_id):
                raise QueryError(
                    f"remote_id {update.remote_id!r} is not a Statuspage incident id",
                    adapter=self.name,
                    hint="Use the id the first post returned (an alphanumeric like p31zjtct2jer).",
                )
            path = f"{self._page}/incidents/{update.remote_id}"
            summary = f"PATCH {path} status={update.status} ({notify})"
            body = await self._request("PATCH", path, summary, payload, missing=f"incident {update.remote_id}")
        else:
            path = f"{self._page}/incidents"
            summary = f"POST {path} status={update.status} ({notify})"
            body = await self._request("POST", path, summary, payload, missing=f"page {self.config.page_id}")
        return self._result(body, summary)

    def _component_ids(self, components: dict[str, ComponentStatus]) -> dict[str, ComponentStatus]:
        """Our component names -> Statuspage ids (exact name, else case-insensitive); QueryError for others."""
        configured = self.config.components
        folded = {name.casefold(): cid for name, cid in configured.items()}
        ids: dict[str, ComponentStatus] = {}
        unknown = []
        for name, status in components.items():
            cid = configured.get(name) or folded.get(name.casefold())
            if cid is None:
                unknown.append(name)
            else:
                ids[cid] = status
        if unknown:
            known = ", ".join(sorted(configured)) or "none"
            raise QueryError(
                f"no Statuspage component is configured for {', '.join(sorted(unknown))}",
                adapter=self.name,
                request="(nothing sent)",
                hint=f"Use one of the configured components ({known}) or add it under adapters.{self.name}.components.",
            )
        return ids

    def _result(self, body: object, summary: str) -> PostResult:
        """PostResult from the incident the API answered (id, shortlink, newest update's time)."""
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise self._bad_shape(summary, "the answer is not an incident (no id)")
        updates = body.get("incident_updates")
        if not isinstance(updates, list):
            updates = []
        times = [_parse_time(u.get("created_at")) for u in updates if isinstance(u, dict)]
        posted = max((t for t in times if t is not None), default=None) or utcnow()
        return PostResult(
            target=f"statuspage:{self.config.page_id}",
            remote_id=body["id"],
            link=str(body.get("shortlink") or ""),
            posted_at=posted,
        )

    async def _request(self, method: Method, path: str, summary: str, payload: object, *, missing: str) -> object:
        """Send one call; Statuspage's 401/403/404/420/422/429 become their own errors."""
        response = await send(
            self._http, method, self.config.api_url + path, adapter=self.name, request_summary=summary,
            timeout=self.config.timeout_s, json=payload, credentials=self._credentials, passthrough=_OWN_STATUSES,
        )  # fmt: skip
        if response.status_code in _OWN_STATUSES:
            raise self._refused(response, summary, missing)
        return decode_json(response, adapter=self.name, request_summary=summary, credentials=self._credentials)

    def _refused(self, response: httpx.Response, summary: str, missing: str) -> AdapterError:
        status = response.status_code
        where = {"adapter": self.name, "request": summary, "upstream": upstream_text(response, self._credentials)}
        message = self._credentials.mask(_error_message(response))[:300]
        if status in (401, 403):
            hint = (
                "Set STATUSPAGE_API_KEY to a key of a user with the Incident Manager role on this page"
                " (Statuspage: your avatar > API info)."
            )
            return AuthError(f"Statuspage refused the API key (HTTP {status})", **where, hint=hint)
        if status == 404:
            hint = "Check page_id (Statuspage: API info) and, for an update, the incident id the first post returned."
            return NotFoundError(f"Statuspage has no {missing} (HTTP 404)", **where, hint=hint)
        if status in (420, 429):
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            after = f"; retry after {wait:g}s" if wait is not None else ""
            return RateLimitedError(f"Statuspage rate limit (HTTP {status}){after}", retry_after=wait, **where)
        return QueryError(f"Statuspage refused the incident: {message or 'HTTP 422'}", **where)

    def _bad_shape(self, summary: str, what: str) -> BadResponseError:
        return BadResponseError(
            f"the answer is not a Statuspage API response: {what}",
            adapter=self.name,
            request=summary,
            upstream=what[:300],
            hint="Check that api_url is https://api.statuspage.io/v1 (or the proxy in front of it).",
        )
