"""Receive Alertmanager's webhook notifications and keep them in the incident store's alert inbox.

Alertmanager POSTs one JSON document per notification of an alert group (payload version "4",
https://prometheus.io/docs/alerting/latest/configuration/#webhook_config)::

    {"version": "4", "groupKey": "...", "truncatedAlerts": 0, "status": "firing", "receiver": "...",
     "groupLabels": {...}, "commonLabels": {...}, "commonAnnotations": {...}, "externalURL": "...",
     "alerts": [{"status": "firing", "labels": {...}, "annotations": {...}, "startsAt": "...",
                 "endsAt": "...", "generatorURL": "...", "fingerprint": "..."}]}

Every alert of it goes to the inbox once per (fingerprint, status, startsAt, endsAt): Alertmanager
repeats a group's firing alerts every ``repeat_interval`` and again with each change of the group.
A firing alert's endsAt is Go's zero time (``0001-01-01T00:00:00Z``), kept as "no end". The inbox
belongs to no incident; ``sync_timeline`` takes the notifications that match each incident.

``webhook_app(store, token=...)`` is a plain ASGI application (Starlette), so tests can drive it
in-process through ``httpx.ASGITransport``; ``serve_webhook`` runs it with uvicorn for
``firstfifteen receive-alerts``. Answers: 200 ``{"received", "new"}``; 400 with ``{"error"}``
naming what is wrong with the body; 401 without the bearer token when one is set; 413 for a body
over 5 MiB; 503 when the store cannot be written (Alertmanager retries 5xx answers).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Literal, Protocol

import anyio
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adapters.errors import FirstfifteenError
from mcp_server.store.models import InboxAlertIn
from mcp_server.timeline.alerts import fingerprint_of

MAX_BODY_BYTES = 5 * 1024 * 1024
PATHS = ("/", "/alerts")


class InboxWriter(Protocol):
    """What the receiver needs of the incident store: somewhere to keep the notifications."""

    def record_inbox_alerts(self, alerts: Iterable[InboxAlertIn]) -> int:
        """Store the notifications not seen before; how many were new."""
        ...


class WebhookAlert(BaseModel):
    """One alert of a notification, as Alertmanager documents it."""

    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str = ""

    @field_validator("startsAt", "endsAt")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError("must carry a timezone (RFC3339, e.g. 2026-03-14T03:07:00Z)")
        return value


class WebhookPayload(BaseModel):
    """A whole notification (payload version 4); the group fields are kept for context only."""

    model_config = ConfigDict(extra="ignore")

    version: Literal["4"]
    groupKey: str = ""
    truncatedAlerts: int = 0
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[WebhookAlert]


def inbox_alerts(payload: WebhookPayload) -> list[InboxAlertIn]:
    """The notification's alerts as inbox records (Go's zero endsAt means still firing)."""
    records = []
    for alert in payload.alerts:
        ends = alert.endsAt if alert.endsAt is not None and alert.endsAt.year > 1 else None
        records.append(
            InboxAlertIn(
                fingerprint=fingerprint_of(alert.fingerprint, alert.labels),
                status=alert.status,
                name=alert.labels.get("alertname", "")[:500],
                labels=alert.labels,
                annotations=alert.annotations,
                starts_at=alert.startsAt,
                ends_at=ends,
                generator_url=alert.generatorURL[:2_000],
                receiver=payload.receiver[:500],
                group_key=payload.groupKey[:2_000],
                external_url=payload.externalURL[:2_000],
            )
        )
    return records


def parse_payload(body: bytes) -> WebhookPayload:
    """The notification in ``body``; ValueError saying what is wrong (bad JSON, or the fields at fault)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None
    try:
        return WebhookPayload.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:10]]
        raise ValueError("not an Alertmanager webhook payload (version 4): " + "; ".join(problems)) from None


def _authorised(request: Request, token: str | None) -> bool:
    if not token:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def webhook_app(store: InboxWriter, *, token: str | None = None) -> Starlette:
    """The ASGI application: POST / or /alerts takes notifications into ``store``; GET /healthz answers ok."""

    async def receive(request: Request) -> JSONResponse:
        if not _authorised(request, token):
            return JSONResponse(
                {"error": "missing or wrong bearer token"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": f"body over {MAX_BODY_BYTES} bytes"}, status_code=413)
        try:
            records = inbox_alerts(parse_payload(body))
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        try:
            new = await anyio.to_thread.run_sync(store.record_inbox_alerts, records)
        except FirstfifteenError as exc:  # the store's errors: locked, closed, a bad file; say what to do
            return JSONResponse({"error": f"the incident store refused the write: {exc.describe()}"}, status_code=503)
        return JSONResponse({"received": len(records), "new": new})

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    routes = [Route(path, receive, methods=["POST"]) for path in PATHS]
    routes.append(Route("/healthz", healthz, methods=["GET"]))
    return Starlette(routes=routes)


def serve_webhook(store: InboxWriter, host: str, port: int, *, token: str | None = None) -> None:
    """Run the receiver with uvicorn until interrupted."""
    import uvicorn

    config = uvicorn.Config(
        webhook_app(store, token=token), host=host, port=port, log_level="info", access_log=False, lifespan="off"
    )
    uvicorn.Server(config).run()
