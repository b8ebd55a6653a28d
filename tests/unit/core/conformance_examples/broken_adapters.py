"""Adapters for the negative test of the conformance suite: one that keeps the contract, three that break it.

``GoodDeploys`` reads ``GET /deploys`` (a JSON list) through adapters.http and keeps every rule;
each broken one differs from it in exactly one way, so a failing check is that breakage and
nothing else: naive datetimes in the answers, a bare exception for a failing backend, and an
HTTP client of its own that is never closed. test_conformance_can_fail.py registers them under
entry points and runs the shipped suite on them in a subprocess.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict

from adapters.base import AdapterContext
from adapters.errors import BadResponseError
from adapters.http import BaseUrl, request_json
from adapters.models import Deploy, TimeWindow


class DeploysConfig(BaseModel):
    """Where the deploy log answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: BaseUrl
    timeout_s: float = 5.0


class GoodDeploys:
    """Keeps the contract: typed UTC answers inside the window, documented errors, nothing left open."""

    config_model: ClassVar[type[DeploysConfig]] = DeploysConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"deploys"})

    def __init__(self, name: str, config: DeploysConfig, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Keep the settings and the shared client."""
        self.name = name
        self.config = config
        self.http = http

    async def check(self) -> str:
        """GET /status."""
        body = await self.get("/status")
        if not isinstance(body, dict) or not isinstance(body.get("version"), str):
            raise BadResponseError("no version in /status", adapter=self.name)
        return f"deploy log {body['version']}"

    async def list_deploys(self, window: TimeWindow) -> list[Deploy]:
        """Deploys started inside the window."""
        body = await self.get("/deploys")
        if not isinstance(body, list):
            raise BadResponseError("expected a list of deploys", adapter=self.name)
        try:
            deploys = [self.deploy(item) for item in body]
        except (KeyError, TypeError, ValueError) as exc:
            raise BadResponseError(f"bad deploy: {exc}", adapter=self.name) from exc
        return [d for d in deploys if window.start <= d.started_at <= window.end]

    def deploy(self, item: dict[str, Any]) -> Deploy:
        """One record as a Deploy."""
        return Deploy(id=item["id"], service=item["service"], started_at=datetime.fromisoformat(item["started_at"]))

    async def get(self, path: str) -> object:
        """GET one path as JSON, failures mapped to adapters.errors."""
        summary = f"GET {path}"
        url = self.config.url + path
        return await request_json(
            self.http, "GET", url, adapter=self.name, request_summary=summary, timeout=self.config.timeout_s
        )


class NaiveTimes(GoodDeploys):
    """Answers the same deploys, with their times stripped of the timezone (built without validation)."""

    async def list_deploys(self, window: TimeWindow) -> list[Deploy]:
        deploys = await super().list_deploys(window)
        return [Deploy.model_construct(**{**dict(d), "started_at": d.started_at.replace(tzinfo=None)}) for d in deploys]


class BareExceptions(GoodDeploys):
    """Lets httpx's own exceptions out instead of the documented errors."""

    async def get(self, path: str) -> object:
        response = await self.http.get(self.config.url + path, timeout=self.config.timeout_s)
        response.raise_for_status()
        return response.json()


class LeakyClient(GoodDeploys):
    """Makes an HTTP client of its own for every call and never closes it."""

    async def get(self, path: str) -> object:
        own = httpx.AsyncClient()
        self.http = own
        return await super().get(path)
