"""query_metric and query_logs on the embedded default, through the SDK's in-memory client."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp_calls import call, refused

from mcp_server.config import AdapterEntry
from mcp_server.embedded import demo_settings
from mcp_server.server import create_server

pytestmark = pytest.mark.anyio


async def test_a_signal_is_summarised_against_the_day_before_with_its_window(client):
    result = await call(client, "query_metric", signal="errors", services=["checkout", "catalog"], since="now-20m")
    by_service = {s["labels"]["service"]: s for s in result["series"]}
    checkout, catalog = by_service["checkout"], by_service["catalog"]
    assert checkout["change"] > 10 and checkout["last"] >= checkout["min"]
    assert catalog["change"] < 3  # catalog's errors are at their everyday level
    assert (
        result["window"]["end"].endswith("Z") and result["baseline_window"]["end"][:10] < result["window"]["end"][:10]
    )
    assert [s["status"] for s in result["sources"]] == ["ok", "ok"] and result["truncated"] is False


async def test_points_are_capped_and_series_capped_with_a_flag(client):
    result = await call(client, "query_metric", signal="requests", points=10, max_series=2)
    assert result["truncated"] is True and len(result["series"]) == 2 and "sum by" in result["hint"]
    assert all(len(s["values"]) == 10 for s in result["series"])


async def test_bad_metric_arguments_say_what_is_accepted(client):
    assert "only the configured signals" in await refused(client, "query_metric", promql="up")
    assert "either promql or signal" in await refused(client, "query_metric")
    assert "more than 240 points" in await refused(client, "query_metric", signal="errors", step="1s", since="now-1h")
    assert "nosuch" in await refused(client, "query_metric", signal="errors", services=["nosuch"])
    assert "now-15m" in await refused(client, "query_metric", signal="errors", since="yesterday-ish")


async def test_log_lines_come_back_as_counted_patterns(client):
    result = await call(client, "query_logs", logql='{service="checkout", level="error"}', examples=2)
    first = result["patterns"][0]
    assert first["pattern"].startswith("POST /checkout/confirm 500: SerializationError")
    assert first["count"] > result["patterns"][1]["count"] and "order_id=<n>" in first["pattern"]
    assert sum(p["count"] for p in result["patterns"]) == result["lines_read"]
    assert result["complete"] is True and len(result["examples"]) == 2
    assert result["window"]["start"].endswith("Z")


async def test_a_capped_log_query_says_its_counts_are_lower_bounds(client):
    result = await call(client, "query_logs", logql='{service="checkout"}', limit=10, max_patterns=1)
    assert (result["lines_read"], result["complete"], result["truncated"]) == (10, False, True)
    assert "lower bounds" in result["hint"]


async def test_a_log_query_the_source_cannot_run_is_refused_with_what_it_understands(client):
    said = await refused(client, "query_logs", logql='rate({service="checkout"}[5m])')
    assert "stream selector" in said


async def test_a_logs_source_that_is_down_leaves_a_partial_answer_with_its_status():
    config, note, reference = demo_settings()
    dead = AdapterEntry.model_validate({"type": "loki", "url": "http://127.0.0.1:9", "timeout_s": 2})
    config = config.model_copy(update={"adapters": {**config.adapters, "loki": dead}})
    async with Client(create_server(config, data_note=note, reference=reference)) as client:
        result = await call(client, "query_logs", logql='{service="checkout", level="error"}')
    statuses = {s["source"]: s["status"] for s in result["sources"]}
    assert statuses == {"loki": "error", "replay": "ok"}
    assert result["patterns"] and result["complete"] is False  # one source is missing: not the whole answer
