"""The PagerDuty adapter through firstfifteen's conformance suite, against recorded PagerDuty responses.

The suite adds its standard checks (entry point, Protocol shapes, settings, typed UTC answers inside
the window, the HTTP failures, a refused port and a silent server on loopback, nothing left open);
this case adds PagerDuty's own failures and the page cap.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from conftest import RECORDED, SETTINGS
from firstfifteen_pagerduty import PagerDutyAdapter

from adapters.errors import BadResponseError, ConfigError, QueryError
from adapters.testing import ConformanceCase, ConformanceSuite, Env, Fault, Limit, answer, recorded

API = "https://api.pagerduty.com"


def _error(status: int, message: str, *errors: str) -> Any:
    """PagerDuty's error body: {"error": {"message", "code", "errors"}}."""
    body = {"error": {"message": message, "code": 2001 if status == 400 else 2100, "errors": list(errors)}}
    return answer(lambda: httpx.Response(status, json=body))


def _incident_page(**changes: Any) -> Any:
    def install(env: Env) -> None:
        page = {"incidents": [_first_incident() | changes], "limit": 2, "offset": 0, "total": None, "more": False}
        env.router.get(f"{API}/incidents").respond(json=page)

    return install


def _first_incident() -> dict[str, Any]:
    page = json.loads((RECORDED / "incidents-page-1.json").read_text())
    return dict(page["incidents"][0])


async def _one_page_only(adapter: Any, env: Env) -> None:
    deploys = await adapter.list_deploys(env.window)
    alerts = await adapter.list_alerts(env.at)
    offsets = [call.request.url.params["offset"] for call in env.router.calls]
    assert offsets == ["0", "0"], f"max_pages=1 read offsets {offsets}"
    assert "list cut at 1 pages" in deploys[0].detail  # the oldest says older change events may be missing
    assert [a.service for a in alerts] == ["payments", "checkout"]  # what the first page held


class TestPagerDutyConformance(ConformanceSuite):
    case = ConformanceCase(
        entry_point="pagerduty",
        adapter=PagerDutyAdapter,
        settings=SETTINGS,
        backend=recorded(RECORDED / "routes.json"),
        url_setting="base_url",
        deadline_setting="deadline_s",
        faults=(
            Fault("404-service", _error(404, "Not Found"), ConfigError, methods=("check",)),
            Fault(
                "400-invalid-input",
                _error(400, "Invalid Input Provided", "Since must be before until"),
                QueryError,
                methods=("list_alerts", "list_deploys"),
            ),
            Fault(
                "time-without-zone",
                _incident_page(created_at="2026-03-14T02:58:00"),
                BadResponseError,
                methods=("list_alerts",),
            ),
            Fault("undocumented-status", _incident_page(status="snoozed"), BadResponseError, methods=("list_alerts",)),
        ),
        limits=(Limit("max-pages", _one_page_only, {"max_pages": 1}),),
    )
