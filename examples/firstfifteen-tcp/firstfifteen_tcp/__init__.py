"""TCP health checks for firstfifteen: a service is up when its port accepts a connection in time.

The worked example of docs/writing-adapters.md: a third-party package that adds one capability
(``health``) through the ``firstfifteen.adapters`` entry point, touching no file of firstfifteen.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import ClassVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field

from adapters.base import AdapterContext
from adapters.models import HealthResult, HealthTarget


class TcpHealthConfig(BaseModel):
    """Settings of the TCP checker, validated when firstfifteen starts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_s: float = Field(default=2.0, gt=0, le=30, description="Connect deadline for each check, in seconds")


class TcpHealthAdapter:
    """Opens a TCP connection to each ``tcp://host:port`` target and closes it at once."""

    config_model: ClassVar[type[TcpHealthConfig]] = TcpHealthConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"health"})

    def __init__(self, name: str, config: TcpHealthConfig, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Keep the settings; the shared HTTP client is not needed for TCP."""
        self.name = name
        self.config = config

    async def check(self) -> str:
        """What ``firstfifteen doctor`` prints: nothing to probe without targets."""
        return f"TCP health checks ready (timeout {self.config.timeout_s:g}s)"

    def accepts(self, url: str) -> bool:
        """``tcp://`` URLs are this checker's; everything else goes to another checker."""
        return url.startswith("tcp://")

    async def check_health(self, targets: list[HealthTarget], at: datetime) -> list[HealthResult]:
        """Check every target concurrently, in the order given."""
        return list(await asyncio.gather(*(self._check_one(t) for t in targets)))

    async def _check_one(self, target: HealthTarget) -> HealthResult:
        checked_at = datetime.now(UTC)
        parts = urlsplit(target.url)
        if not parts.hostname or parts.port is None:
            return _result(target, "unknown", checked_at, "invalid URL: needs tcp://host:port")
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.config.timeout_s):
                _, writer = await asyncio.open_connection(parts.hostname, parts.port)
        except TimeoutError:
            return _result(target, "down", checked_at, f"no connection within {self.config.timeout_s:g}s")
        except OSError as exc:
            return _result(target, "down", checked_at, f"connection failed: {exc.strerror or exc}")
        writer.close()  # a health probe holds nothing open
        await writer.wait_closed()
        elapsed = round((time.monotonic() - started) * 1000, 1)
        return _result(target, "up", checked_at, "port accepts connections", latency=elapsed)


def _result(
    target: HealthTarget, status: str, checked_at: datetime, detail: str, latency: float | None = None
) -> HealthResult:
    return HealthResult.model_validate(
        {
            "service": target.service,
            "url": target.url,
            "status": status,
            "latency_ms": latency,
            "checked_at": checked_at,
            "detail": detail,
        }
    )
