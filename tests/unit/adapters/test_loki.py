"""LokiAdapter against respx, with payloads shaped as Loki's HTTP API documents GET /loki/api/v1/query_range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from adapters.errors import AuthError, BackendTimeoutError, BadResponseError, QueryError
from adapters.loki import BUILDINFO_PATH, QUERY_PATH, LokiAdapter, LokiConfig, from_ns, to_ns
from adapters.models import TimeWindow

pytestmark = pytest.mark.anyio

URL = "http://loki.test:3100"
END = datetime(2026, 3, 14, 3, 7, tzinfo=UTC)
WINDOW = TimeWindow(start=END - timedelta(minutes=30), end=END)
QUERY = '{service="checkout"} |= "error"'


def ns(moment: datetime) -> str:
    return str(int(moment.timestamp()) * 1_000_000_000)


def streams(*entries: tuple[dict[str, str], list[list[str]]]) -> dict[str, object]:
    """A query_range answer of resultType streams, as the Loki docs show it (stats abridged)."""
    return {
        "status": "success",
        "data": {
            "resultType": "streams",
            "result": [{"stream": labels, "values": values} for labels, values in entries],
            "stats": {"summary": {"bytesProcessedPerSecond": 1024, "totalEntriesReturned": 3}},
        },
    }


def adapter(http: httpx.AsyncClient, context, **settings) -> LokiAdapter:
    return LokiAdapter("loki", LokiConfig(url=URL, **settings), http, context)


@respx.mock
async def test_lines_of_every_stream_come_back_newest_first_with_their_labels(http, context):
    route = respx.get(f"{URL}{QUERY_PATH}").respond(
        json=streams(
            (
                {"service": "checkout", "pod": "a"},
                [[ns(END), "error: pool timeout"], [ns(END - timedelta(minutes=2)), "error: x"]],
            ),
            ({"service": "checkout", "pod": "b"}, [[ns(END - timedelta(minutes=1)), "error: pool timeout"]]),
        )
    )
    result = await adapter(http, context, tenant_id="team-a").query_logs(QUERY, WINDOW, 100)
    assert [(line.t, line.labels["pod"]) for line in result.lines] == [
        (END, "a"),
        (END - timedelta(minutes=1), "b"),
        (END - timedelta(minutes=2), "a"),
    ]
    assert result.complete and result.source == "loki"
    params = route.calls.last.request.url.params
    assert (params["query"], params["direction"], params["limit"]) == (QUERY, "backward", "100")
    assert (params["start"], params["end"]) == (ns(WINDOW.start), ns(END))
    assert route.calls.last.request.headers["X-Scope-OrgID"] == "team-a"


@respx.mock
async def test_a_full_page_is_marked_incomplete_and_the_limit_is_capped_by_max_lines(http, context):
    values = [[ns(END - timedelta(seconds=n)), f"error {n}"] for n in range(3)]
    route = respx.get(f"{URL}{QUERY_PATH}").respond(json=streams(({"service": "checkout"}, values)))
    result = await adapter(http, context, max_lines=3).query_logs(QUERY, WINDOW, 10_000)
    assert route.calls.last.request.url.params["limit"] == "3"
    assert len(result.lines) == 3 and result.complete is False


@respx.mock
async def test_a_metric_query_is_refused_saying_to_send_a_log_query(http, context):
    respx.get(f"{URL}{QUERY_PATH}").respond(json={"status": "success", "data": {"resultType": "matrix", "result": []}})
    with pytest.raises(QueryError, match="metric query") as refused:
        await adapter(http, context).query_logs('rate({service="checkout"}[5m])', WINDOW, 10)
    assert "stream selector" in refused.value.hint


@respx.mock
async def test_a_parse_error_from_loki_names_what_loki_said(http, context):
    respx.get(f"{URL}{QUERY_PATH}").respond(
        400, text="parse error at line 1, col 2: syntax error: unexpected IDENTIFIER"
    )
    with pytest.raises(QueryError) as refused:
        await adapter(http, context).query_logs("{service=checkout}", WINDOW, 10)
    assert "unexpected IDENTIFIER" in refused.value.describe()


@pytest.mark.parametrize(
    "body",
    [
        {"status": "success", "data": {"resultType": "streams", "result": [{"stream": {}, "values": [["x", "y"]]}]}},
        {"status": "success", "data": {"resultType": "streams", "result": [{"stream": {"a": 1}, "values": []}]}},
        {"status": "success", "data": {"resultType": "scalar", "result": []}},
        {"data": []},
        ["not", "an", "object"],
    ],
)
@respx.mock
async def test_garbage_is_a_bad_response_never_an_empty_answer(http, context, body):
    respx.get(f"{URL}{QUERY_PATH}").respond(json=body)
    with pytest.raises(BadResponseError):
        await adapter(http, context).query_logs(QUERY, WINDOW, 10)


@respx.mock
async def test_a_slow_loki_times_out_and_auth_failures_say_so(http, context):
    respx.get(f"{URL}{QUERY_PATH}").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(BackendTimeoutError):
        await adapter(http, context, timeout_s=0.5).query_logs(QUERY, WINDOW, 10)
    respx.get(f"{URL}{QUERY_PATH}").respond(401, text="no org id")
    with pytest.raises(AuthError):
        await adapter(http, context, bearer_token="s3cret-token").query_logs(QUERY, WINDOW, 10)


@respx.mock
async def test_check_reports_the_version_from_buildinfo(http, context):
    respx.get(f"{URL}{BUILDINFO_PATH}").respond(json={"version": "3.1.0", "revision": "abc", "branch": "HEAD"})
    assert await adapter(http, context).check() == f"Loki 3.1.0 at {URL}"


def test_nanosecond_epochs_round_trip_to_the_microsecond():
    moment = datetime(2026, 3, 14, 3, 7, 1, 123456, tzinfo=UTC)
    assert to_ns(moment) == "1773457621123456000"
    assert from_ns(to_ns(moment)) == moment
    with pytest.raises(ValueError):
        from_ns(1773457621)


@respx.mock
async def test_a_body_that_is_not_json_is_a_bad_response_and_an_error_status_a_refused_query(http, context):
    respx.get(f"{URL}{QUERY_PATH}").respond(
        200, text='{"status": "success", "data": {"resultT', headers={"Content-Type": "application/json"}
    )
    with pytest.raises(BadResponseError, match="instead of JSON"):
        await adapter(http, context).query_logs(QUERY, WINDOW, 10)
    respx.get(f"{URL}{QUERY_PATH}").respond(
        json={
            "status": "error",
            "errorType": "bad_data",
            "error": "queries require at least one regexp or equality matcher",
        }
    )
    with pytest.raises(QueryError) as refused:
        await adapter(http, context).query_logs('{service!="x"}', WINDOW, 10)
    assert "at least one regexp or equality matcher" in refused.value.describe()
