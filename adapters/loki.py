"""Logs from Grafana Loki (and anything that speaks its HTTP API, such as Grafana Cloud Logs).

One call: ``GET /loki/api/v1/query_range`` with ``query``, ``start`` and ``end`` as nanosecond Unix
epochs, ``limit`` and ``direction=backward``, so Loki returns the newest ``limit`` lines of the
window. The answer is ``{"status": "success", "data": {"resultType": "streams", "result": [{"stream":
{labels}, "values": [["<ns>", "<line>"], ...]}], "stats": {...}}}`` as
https://grafana.com/docs/loki/latest/reference/loki-http-api/ documents it. A metric query (``rate(...)``)
answers ``resultType: matrix``; that is refused, since the tools group lines, not numbers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar, cast

import httpx
from pydantic import Field

from adapters.base import AdapterContext
from adapters.errors import BadResponseError, QueryError
from adapters.http import BaseUrl, HttpBackendConfig, clip, credentials_from, request_json
from adapters.models import LogLine, LogQueryResult, TimeWindow, iso_utc

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
QUERY_PATH = "/loki/api/v1/query_range"
BUILDINFO_PATH = "/loki/api/v1/status/buildinfo"


class LokiConfig(HttpBackendConfig):
    """Settings of a Loki backend; ``tenant_id`` is sent as ``X-Scope-OrgID`` (multi-tenant Loki)."""

    url: BaseUrl = Field(description="Base URL of Loki, e.g. http://127.0.0.1:3100")
    timeout_s: float = Field(default=10.0, gt=0, le=120, description="Per-request timeout in seconds")
    max_lines: int = Field(
        default=5000, ge=1, le=50_000, description="Most lines asked per query (Loki refuses more than its own limit)"
    )


def to_ns(moment: datetime) -> str:
    """A UTC moment as the nanosecond Unix epoch Loki takes, as a string."""
    return str((moment - _EPOCH) // timedelta(microseconds=1) * 1000)


def from_ns(raw: object) -> datetime:
    """A nanosecond epoch string (as Loki sends it) as a UTC datetime, truncated to microseconds."""
    if not isinstance(raw, str) or not raw.isdigit():
        raise ValueError(f"timestamp must be a string of digits, got {raw!r}")
    return _EPOCH + timedelta(microseconds=int(raw) // 1000)


def _stream_lines(item: object) -> list[LogLine]:
    if not isinstance(item, dict):
        raise ValueError("stream must be an object")
    labels, values = item.get("stream", {}), item.get("values")
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise ValueError("stream must map label names to strings")
    if not isinstance(values, list):
        raise ValueError("values must be a list")
    lines = []
    for value in values:
        # [ts, line], or [ts, line, {structured metadata}] from Loki 3 when asked for categorised labels.
        if not isinstance(value, list) or len(value) < 2 or not isinstance(value[1], str):
            raise ValueError(f"a value must be [timestamp, line], got {value!r:.80}")
        lines.append(LogLine(t=from_ns(value[0]), line=value[1], labels={str(k): v for k, v in labels.items()}))
    return lines


class LokiAdapter:
    """Runs LogQL log queries against Loki's HTTP API."""

    config_model: ClassVar[type[LokiConfig]] = LokiConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"logs"})

    def __init__(self, name: str, config: LokiConfig, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Keep the settings and the shared client; nothing is sent until a query."""
        self.name = name
        self.config = config
        self._http = http
        self._credentials = credentials_from(config)

    def __repr__(self) -> str:
        return f"LokiAdapter(name={self.name!r}, url={self.config.url!r})"

    async def check(self) -> str:
        """GET /loki/api/v1/status/buildinfo and return the version that answered."""
        summary = f"GET {BUILDINFO_PATH}"
        body = await self._get(BUILDINFO_PATH, summary, None)
        version = body.get("version")
        if not isinstance(version, str):
            raise self._bad_shape(summary, "version is missing")
        return f"Loki {version} at {self.config.url}"

    async def query_logs(self, logql: str, window: TimeWindow, limit: int) -> LogQueryResult:
        """The newest ``limit`` lines (at most ``max_lines``) of ``window`` matching ``logql``, newest first."""
        limit = max(1, min(limit, self.config.max_lines))
        summary = (
            f"GET {QUERY_PATH} query={clip(logql)} start={iso_utc(window.start)} "
            f"end={iso_utc(window.end)} limit={limit}"
        )
        params = {
            "query": logql,
            "start": to_ns(window.start),
            "end": to_ns(window.end),
            "limit": str(limit),
            "direction": "backward",
        }
        data = self._data(await self._get(QUERY_PATH, summary, params), summary)
        try:
            lines = [line for item in cast(list[object], data["result"]) for line in _stream_lines(item)]
        except (KeyError, TypeError, ValueError) as exc:
            raise self._bad_shape(summary, f"unreadable streams result: {exc}") from exc
        lines.sort(key=lambda line: line.t, reverse=True)
        # Loki stops at ``limit`` without saying so: a full page may have left older lines out.
        return LogQueryResult(lines=lines[:limit], complete=len(lines) < limit, source=self.name)

    async def _get(self, path: str, summary: str, params: dict[str, str] | None) -> dict[str, object]:
        body = await request_json(
            self._http,
            "GET",
            self.config.url + path,
            adapter=self.name,
            request_summary=summary,
            timeout=self.config.timeout_s,
            params=params,
            credentials=self._credentials,
        )
        if not isinstance(body, dict):
            raise self._bad_shape(summary, "the body is not a JSON object")
        if body.get("status") == "error":
            upstream = f"{body.get('errorType', 'error')}: {body.get('error', '')}"
            raise QueryError("Loki rejected the query", adapter=self.name, request=summary, upstream=upstream)
        return body

    def _data(self, body: dict[str, object], summary: str) -> dict[str, object]:
        data = body.get("data")
        if body.get("status") != "success" or not isinstance(data, dict) or not isinstance(data.get("result"), list):
            raise self._bad_shape(summary, "expected {status: success, data: {resultType, result: [...]}}")
        kind = data.get("resultType")
        if kind in ("matrix", "vector"):
            raise QueryError(
                "this is a metric query: it returns numbers, not log lines",
                adapter=self.name,
                request=summary,
                upstream=f"resultType {kind}",
                hint='Send a log query: a stream selector and line filters, e.g. {service="checkout"} |= "error", '
                "without rate(), count_over_time() or sum().",
            )
        if kind != "streams":
            raise self._bad_shape(summary, f"unsupported resultType {kind!r}")
        return data

    def _bad_shape(self, summary: str, what: str) -> BadResponseError:
        return BadResponseError(
            f"the answer is not a Loki API response: {what}",
            adapter=self.name,
            request=summary,
            upstream=what,
            hint="Check that url points at Loki's API root (e.g. http://loki:3100), not at Grafana or a proxy page.",
        )
