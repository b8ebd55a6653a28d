"""Live HTTP health checks of the services' health URLs.

A health check only says something about the present: asked about a moment in the past, every
target is ``unknown`` rather than a guess. Targets are checked concurrently, each under its own
deadline, so one hanging service cannot hold up the answer for the others.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from adapters.base import AdapterContext
from adapters.http import Credentials, build_credentials, short_reason
from adapters.models import HealthResult, HealthTarget, iso_utc

LIVE_TOLERANCE = timedelta(seconds=120)
HealthStatus = Literal["up", "down", "unknown"]


class HttpHealthConfig(BaseModel):
    """Settings of the HTTP health checker."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)  # headers may hold keys

    timeout_s: float = Field(default=3.0, gt=0, le=60, description="Deadline for each check, in seconds")
    max_concurrency: int = Field(default=20, ge=1, le=200, description="Checks in flight at once")
    headers: dict[str, SecretStr] = Field(default_factory=dict, description="Sent with every check")


def _valid_url(url: str) -> bool:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


class HttpHealthAdapter:
    """GETs each service's health URL and compares the status with the expected one."""

    config_model: ClassVar[type[HttpHealthConfig]] = HttpHealthConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"health"})

    def __init__(self, name: str, config: HttpHealthConfig, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Keep the settings and the shared client."""
        self.name = name
        self.config = config
        self._http = http
        self._context = context
        self._credentials: Credentials = build_credentials(headers=config.headers)

    def __repr__(self) -> str:
        return f"HttpHealthAdapter(name={self.name!r}, timeout_s={self.config.timeout_s:g})"

    async def check(self) -> str:
        """Nothing to probe without targets: report the settings that will be used."""
        return f"HTTP health checks ready (timeout {self.config.timeout_s:g}s, {self.config.max_concurrency} at once)"

    def accepts(self, url: str) -> bool:
        """HTTP and HTTPS URLs are this checker's."""
        return url.split(":", 1)[0].lower() in ("http", "https")

    async def check_health(self, targets: list[HealthTarget], at: datetime) -> list[HealthResult]:
        """Check every target concurrently; results come back in the order of ``targets``.

        ``up``: the status equals ``expected_status``; ``down``: another status, refused, timed out;
        ``unknown``: the URL is invalid, or ``at`` is in the past (live checks cannot answer for it).
        """
        now = datetime.now(UTC)
        if now - at > LIVE_TOLERANCE:
            detail = (
                f"not checked: live health checks only answer for the present, and {iso_utc(at)} "
                f"is {int((now - at).total_seconds())}s ago"
            )
            return [self._result(t, "unknown", now, detail) for t in targets]
        semaphore = asyncio.Semaphore(self.config.max_concurrency)

        async def bounded(target: HealthTarget) -> HealthResult:
            async with semaphore:
                return await self._check_one(target)

        return list(await asyncio.gather(*(bounded(t) for t in targets)))

    async def _check_one(self, target: HealthTarget) -> HealthResult:
        checked_at = datetime.now(UTC)
        if not _valid_url(target.url):
            return self._result(target, "unknown", checked_at, "invalid URL: needs http:// or https:// and a host")
        limit = self.config.timeout_s
        started = time.monotonic()
        try:
            # httpx timeouts apply per phase (connect, each read); the outer deadline bounds the total,
            # so a server that trickles bytes still counts as timed out.
            async with asyncio.timeout(limit):
                response = await self._http.get(
                    target.url,
                    headers=self._credentials.headers,
                    timeout=limit,
                    follow_redirects=False,
                )
        except (TimeoutError, httpx.TimeoutException):
            elapsed = _ms(started)
            return self._result(target, "down", checked_at, f"timed out after {elapsed:.0f} ms (limit {limit:g}s)")
        except httpx.TransportError as exc:
            elapsed = _ms(started)
            reason = self._credentials.mask(short_reason(exc))
            return self._result(target, "down", checked_at, f"{reason} after {elapsed:.0f} ms", latency=elapsed)
        except httpx.RequestError as exc:
            # It answered, but its body could not be decoded (a gzip label on a plain body): not healthy.
            elapsed = _ms(started)
            reason = self._credentials.mask(f"unreadable answer ({type(exc).__name__})")
            return self._result(target, "down", checked_at, f"{reason} after {elapsed:.0f} ms", latency=elapsed)
        elapsed = _ms(started)
        expected = target.expected_status
        if response.status_code == expected:
            return self._result(target, "up", checked_at, f"HTTP {response.status_code}", response.status_code, elapsed)
        detail = f"HTTP {response.status_code}, expected {expected}"
        return self._result(target, "down", checked_at, detail, response.status_code, elapsed)

    @staticmethod
    def _result(
        target: HealthTarget,
        status: HealthStatus,
        checked_at: datetime,
        detail: str,
        http_status: int | None = None,
        latency: float | None = None,
    ) -> HealthResult:
        return HealthResult(
            service=target.service,
            url=target.url,
            status=status,
            http_status=http_status,
            latency_ms=None if latency is None else round(latency, 1),
            checked_at=checked_at,
            detail=detail,
        )


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
