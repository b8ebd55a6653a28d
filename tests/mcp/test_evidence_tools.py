"""query_metric and query_logs on the embedded default, through the SDK's in-memory client."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import httpx
import pytest
import respx
from mcp import Client
from mcp.server.mcpserver import MCPServer
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


async def test_thinned_points_set_the_flag_and_all_points_do_not(client):
    thinned = await call(
        client, "query_metric", signal="errors", services=["checkout"], since="now-20m", step="1m", points=5
    )
    assert thinned["truncated"] is True and "thinned to 5" in thinned["hint"]
    (series,) = thinned["series"]
    assert len(series["values"]) == 5 and series["points"] == 21  # every point still counted in the summary
    whole = await call(
        client, "query_metric", signal="errors", services=["checkout"], since="now-20m", step="1m", points=200
    )
    assert whole["truncated"] is False and whole["hint"] == "" and len(whole["series"][0]["values"]) == 21


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


LOKI = "http://loki.test:3100"


def with_loki(deadline: float = 10.0) -> MCPServer:
    """The embedded default with a Loki beside the replay (respx answers for it)."""
    config, note, reference = demo_settings()
    loki = AdapterEntry.model_validate({"type": "loki", "url": LOKI, "timeout_s": 30})
    triage = config.triage.model_copy(update={"deadline_seconds": deadline})
    config = config.model_copy(update={"adapters": {**config.adapters, "loki": loki}, "triage": triage})
    return create_server(config, data_note=note, reference=reference)


def loki_lines(reference: datetime, count: int) -> dict:
    values = [
        [str(int((reference - timedelta(seconds=n)).timestamp()) * 10**9), f"GET /x 503: busy id={n}"]
        for n in range(count)
    ]
    return {
        "status": "success",
        "data": {"resultType": "streams", "result": [{"stream": {"service": "checkout"}, "values": values}]},
    }


@respx.mock
async def test_a_query_one_source_cannot_run_is_its_error_while_the_other_answers():
    _, _, reference = demo_settings()
    respx.get(url__startswith=LOKI).respond(json=loki_lines(reference, 4))
    async with Client(with_loki()) as client:
        result = await call(client, "query_logs", logql='{service=~"check.*"}')  # regex: Loki yes, replay no
    statuses = {s["source"]: s for s in result["sources"]}
    assert statuses["loki"]["status"] == "ok" and statuses["replay"]["status"] == "error"
    assert "cannot evaluate" in statuses["replay"]["detail"]
    assert [(p["pattern"], p["count"]) for p in result["patterns"]] == [("GET /x 503: busy id=<n>", 4)]
    assert result["complete"] is False


@respx.mock
async def test_a_logs_source_slower_than_the_deadline_is_cut_off_and_the_other_still_answers():
    async def slow(request):
        await asyncio.sleep(20)
        return httpx.Response(200, json={"status": "success", "data": {"resultType": "streams", "result": []}})

    respx.get(url__startswith=LOKI).mock(side_effect=slow)
    started = time.monotonic()
    async with Client(with_loki(deadline=1.0)) as client:
        result = await call(client, "query_logs", logql='{service="checkout", level="error"}')
    assert time.monotonic() - started < 10
    statuses = {s["source"]: s["status"] for s in result["sources"]}
    assert statuses == {"loki": "timeout", "replay": "ok"}
    assert result["patterns"] and result["complete"] is False and "lower bounds" in result["hint"]
