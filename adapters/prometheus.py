"""Metrics from any backend that speaks the Prometheus HTTP API: Prometheus, Thanos, Mimir, VictoriaMetrics.

Queries are POSTed form-encoded because one query covers every service, and a regex of 500 service
names makes a URL longer than many proxies accept. Response shapes follow
https://prometheus.io/docs/prometheus/latest/querying/api/ (values are strings; NaN and ±Inf have
no useful meaning for triage and become ``None``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from urllib.parse import quote, urlencode

import httpx
from pydantic import Field, field_validator

from adapters.base import AdapterContext
from adapters.errors import BadResponseError, QueryError
from adapters.http import HttpBackendConfig, Method, check_base_url, clip, credentials_from, request_json
from adapters.models import Point, Sample, Series, SignalQuery, TimeWindow, iso_utc

MAX_POINTS = 11_000  # Prometheus refuses range queries with more points per series than this


class PrometheusConfig(HttpBackendConfig):
    """Settings of a Prometheus-compatible backend."""

    timeout_s: float = Field(default=8.0, gt=0, le=120, description="Per-request timeout in seconds")
    ui_url: str | None = Field(default=None, description="Base URL for query links; default: url")

    @field_validator("ui_url")
    @classmethod
    def _ui_url(cls, value: str | None) -> str | None:
        return None if value is None else check_base_url(value)


def parse_value(raw: object) -> float | None:
    """A sample value as sent by Prometheus (a string); NaN and ±Inf become None."""
    if not isinstance(raw, str):
        raise ValueError(f"sample value must be a string, got {type(raw).__name__}")
    number = float(raw)
    return number if math.isfinite(number) else None


def _labels(item: dict[str, object]) -> dict[str, str]:
    metric = item.get("metric", {})
    if not isinstance(metric, dict) or not all(isinstance(v, str) for v in metric.values()):
        raise ValueError("metric must map label names to strings")
    return {str(k): v for k, v in metric.items()}


def _sample(item: object) -> Sample:
    if not isinstance(item, dict):
        raise ValueError("vector element must be an object")
    # Native-histogram samples carry "histogram" instead of "value": no single number to report.
    value = parse_value(item["value"][1]) if "value" in item else None
    return Sample(labels=_labels(item), value=value)


def _series(item: object) -> Series:
    if not isinstance(item, dict):
        raise ValueError("matrix element must be an object")
    pairs = item.get("values", [])
    points = [Point(t=datetime.fromtimestamp(float(ts), UTC), v=parse_value(v)) for ts, v in pairs]
    # Native-histogram points ("histograms") have no single value either; keep their timestamps.
    points += [Point(t=datetime.fromtimestamp(float(ts), UTC), v=None) for ts, _ in item.get("histograms", [])]
    return Series(labels=_labels(item), points=sorted(points, key=lambda p: p.t))


def duration_text(length: timedelta) -> str:
    """A Prometheus-UI duration such as ``1h``, ``15m`` or ``90s`` (largest exact unit)."""
    seconds = max(1, int(length.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


class PrometheusAdapter:
    """Runs the engine's PromQL against a Prometheus-compatible HTTP API."""

    config_model: ClassVar[type[PrometheusConfig]] = PrometheusConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"metrics"})

    def __init__(self, name: str, config: PrometheusConfig, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Keep the settings and the shared client; nothing is sent until a query."""
        self.name = name
        self.config = config
        self._http = http
        self._context = context
        self._credentials = credentials_from(config)

    def __repr__(self) -> str:
        return f"PrometheusAdapter(name={self.name!r}, url={self.config.url!r})"

    async def check(self) -> str:
        """GET /api/v1/status/buildinfo and return the version that answered."""
        body = await self._call("GET", "/api/v1/status/buildinfo", "GET /api/v1/status/buildinfo", None)
        data = body.get("data")
        version = data.get("version") if isinstance(data, dict) else None
        if not isinstance(version, str):
            raise self._bad_shape("GET /api/v1/status/buildinfo", "data.version is missing")
        return f"Prometheus API {version} at {self.config.url}"

    async def instant(self, query: SignalQuery, at: datetime) -> list[Sample]:
        """Evaluate ``query`` at ``at`` (POST /api/v1/query)."""
        form = {"query": query.promql, "time": iso_utc(at), "timeout": f"{self.config.timeout_s:g}s"}
        summary = f"POST /api/v1/query query={clip(query.promql)} time={iso_utc(at)}"
        data = self._data(await self._call("POST", "/api/v1/query", summary, form), summary)
        kind, result = data["resultType"], data["result"]
        if not isinstance(result, list):
            raise self._bad_shape(summary, "data.result is not a list")
        try:
            if kind == "vector":
                return [_sample(item) for item in result]
            if kind == "scalar":
                return [Sample(labels={}, value=parse_value(result[1]))]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise self._bad_shape(summary, f"unreadable {kind} result: {exc}") from exc
        if kind == "matrix":
            raise QueryError(
                "the query returns a range vector, not one value per series",
                adapter=self.name,
                request=summary,
                upstream="resultType matrix",
                hint="Wrap the range selector in a function such as rate(...[5m]), or use a range query.",
            )
        raise self._bad_shape(summary, f"unsupported resultType {kind!r} for an instant query")

    async def range(self, query: SignalQuery, window: TimeWindow, step: timedelta) -> list[Series]:
        """Evaluate ``query`` over ``window`` every ``step`` (POST /api/v1/query_range)."""
        return await self.range_promql(query.promql, window, step)

    async def range_promql(self, promql: str, window: TimeWindow, step: timedelta) -> list[Series]:
        """Evaluate any PromQL over ``window`` every ``step`` (POST /api/v1/query_range)."""
        step_s = step.total_seconds()
        summary = (
            f"POST /api/v1/query_range query={clip(promql)} "
            f"start={iso_utc(window.start)} end={iso_utc(window.end)} step={step_s:g}s"
        )
        self._check_resolution(window, step_s, summary)
        form = {
            "query": promql,
            "start": iso_utc(window.start),
            "end": iso_utc(window.end),
            "step": f"{step_s:g}",
            "timeout": f"{self.config.timeout_s:g}s",
        }
        data = self._data(await self._call("POST", "/api/v1/query_range", summary, form), summary)
        if data["resultType"] != "matrix" or not isinstance(data["result"], list):
            raise self._bad_shape(summary, f"a range query must return a matrix, got {data['resultType']!r}")
        try:
            return [_series(item) for item in data["result"]]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise self._bad_shape(summary, f"unreadable matrix result: {exc}") from exc

    def query_link(self, promql: str, window: TimeWindow) -> str:
        """A classic Prometheus UI link (``/graph?g0.expr=...``) showing ``promql`` over ``window``."""
        base = self.config.ui_url or self.config.url
        params = {
            "g0.expr": promql,
            "g0.tab": "0",
            "g0.range_input": duration_text(window.duration),
            "g0.end_input": window.end.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        }
        return f"{base}/graph?{urlencode(params, quote_via=quote)}"

    async def _call(self, method: Method, path: str, summary: str, form: dict[str, str] | None) -> dict[str, object]:
        body = await request_json(
            self._http,
            method,
            self.config.url + path,
            adapter=self.name,
            request_summary=summary,
            timeout=self.config.timeout_s,
            data=form,
            credentials=self._credentials,
        )
        if not isinstance(body, dict):
            raise self._bad_shape(summary, "the body is not a JSON object")
        if body.get("status") == "error":
            # Prometheus may report an error with HTTP 200 (some proxies and older Thanos do).
            upstream = f"{body.get('errorType', 'error')}: {body.get('error', '')}"
            raise QueryError("the backend rejected the query", adapter=self.name, request=summary, upstream=upstream)
        return body

    def _data(self, body: dict[str, object], summary: str) -> dict[str, object]:
        data = body.get("data")
        if body.get("status") != "success" or not isinstance(data, dict) or "result" not in data:
            raise self._bad_shape(summary, "expected {status: success, data: {resultType, result}}")
        if "resultType" not in data:
            raise self._bad_shape(summary, "data.resultType is missing")
        return data

    def _check_resolution(self, window: TimeWindow, step_s: float, summary: str) -> None:
        if step_s <= 0:
            raise QueryError(
                "step must be positive", adapter=self.name, request=summary, hint="Use a step of 15s or more."
            )
        points = window.duration.total_seconds() / step_s + 1
        if points > MAX_POINTS:
            raise QueryError(
                f"{points:.0f} points per series exceeds the backend limit of {MAX_POINTS}",
                adapter=self.name,
                request=summary,
                hint=f"Use a step of at least {math.ceil(window.duration.total_seconds() / (MAX_POINTS - 1))}s "
                "or a shorter window.",
            )

    def _bad_shape(self, summary: str, what: str) -> BadResponseError:
        return BadResponseError(
            f"the answer is not a Prometheus API response: {what}",
            adapter=self.name,
            request=summary,
            upstream=what,
            hint="Check that url points at the Prometheus-compatible API root (e.g. http://host:9090, or "
            "http://mimir/prometheus for Mimir).",
        )
