"""StaticStatusAdapter: the page's state, its rendering (escaped), and atomic writes."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from adapters.base import AdapterContext
from adapters.errors import ConfigError, UnavailableError
from adapters.models import StatusUpdate
from adapters.static_status import PageState, StaticStatusAdapter, StaticStatusConfig, banner, render_page

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 3, 14, 3, 7, tzinfo=UTC)
COMPONENTS = ["Checkout", "Search", "API"]


def make(http, context: AdapterContext, **settings: object) -> StaticStatusAdapter:
    config = StaticStatusConfig.model_validate({"title": "Acme status", "components": COMPONENTS, **settings})
    adapter = StaticStatusAdapter("static_status", config, http, context)
    clock = iter(T0 + timedelta(minutes=10 * n) for n in range(100))
    adapter._now = lambda: next(clock)
    return adapter


def update(**fields: object) -> StatusUpdate:
    base = {
        "incident_key": "inc-42",
        "title": "Elevated checkout errors",
        "status": "investigating",
        "body": "We are investigating failed checkouts.",
        "components": {"Checkout": "partial_outage"},
    }
    return StatusUpdate.model_validate({**base, **fields})


class _Text(HTMLParser):
    """The visible text of a page, and whether any <script> appeared (it must not)."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_body = self._in_body or tag == "body"

    def handle_data(self, data: str) -> None:
        if self._in_body and data.strip():
            self.text.append(data.strip())


def parse(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


# --- State ---------------------------------------------------------------------------------------


def test_components_show_the_worst_open_status_and_recover_on_resolve():
    state = PageState()
    state.apply(update(), T0)
    worse = {"Search": "degraded_performance", "Checkout": "major_outage"}
    state.apply(update(incident_key="inc-43", title="Search slow", components=worse), T0)
    assert state.component_statuses(COMPONENTS) == {
        "Checkout": "major_outage",
        "Search": "degraded_performance",
        "API": "operational",
    }
    state.apply(update(incident_key="inc-43", title="Search slow", status="resolved", body="Fixed.", components={}), T0)
    assert state.component_statuses(COMPONENTS)["Search"] == "operational"
    assert state.component_statuses(COMPONENTS)["Checkout"] == "partial_outage"


def test_a_component_not_configured_is_still_shown():
    state = PageState()
    state.apply(update(components={"Payments": "major_outage"}), T0)
    assert list(state.component_statuses(["Checkout"])) == ["Checkout", "Payments"]


def test_banner():
    assert banner({"A": "operational"}, 0) == ("All systems operational", "operational")
    assert banner({"A": "operational", "B": "partial_outage", "C": "degraded_performance"}, 1)[0] == "Partial outage"
    assert banner({"A": "major_outage"}, 1)[0] == "Major outage"
    assert banner({"A": "operational"}, 1)[0] == "Ongoing incident"
    assert banner({}, 0)[0] == "All systems operational"


def test_an_update_after_resolve_reopens():
    state = PageState()
    state.apply(update(status="resolved"), T0)
    assert state.open_incidents() == [] and len(state.past_incidents()) == 1
    incident = state.apply(update(status="investigating", body="It is back."), T0 + timedelta(hours=1))
    assert incident.resolved_at is None and state.open_incidents() == [incident]


# --- Rendering -----------------------------------------------------------------------------------


def test_render_escapes_every_text():
    state = PageState()
    evil = '<script>alert("x")</script>'
    components = {f"Comp {evil}": "major_outage"}
    state.apply(update(title=f"Checkout {evil}", body=f"Body & {evil}", components=components), T0)
    html = render_page(state, f"Title {evil}", [], T0)
    assert "<script>" not in html and "&lt;script&gt;" in html
    page = parse(html)
    assert "script" not in page.tags
    assert f"Checkout {evil}" in page.text and f"Body & {evil}" in page.text


def test_render_orders_updates_newest_first_and_lists_past_incidents():
    state = PageState()
    state.apply(update(incident_key="old", title="Old outage", body="Broken."), T0 - timedelta(days=2))
    resolved = update(incident_key="old", title="Old outage", status="resolved", body="All good.")
    state.apply(resolved, T0 - timedelta(days=1))
    state.apply(update(), T0)
    state.apply(update(status="identified", body="Bad deploy found."), T0 + timedelta(minutes=12))
    page = parse(render_page(state, "Acme status", COMPONENTS, T0 + timedelta(minutes=13)))
    text = page.text
    assert text[:2] == ["Acme status", "Partial outage"]
    current = text.index("Current incidents")
    assert text[current + 1 : current + 8] == [
        "Elevated checkout errors",
        "Affects: Checkout",
        "Identified",
        "2026-03-14 03:19 UTC",
        "Bad deploy found.",
        "Investigating",
        "2026-03-14 03:07 UTC",
    ]
    components = text.index("Components")
    assert text[components + 1 : components + 7] == [
        "Checkout", "Partial outage", "Search", "Operational", "API", "Operational",
    ]  # fmt: skip
    past = text.index("Past incidents")
    assert text[past + 1] == "Old outage" and "Resolved" in text[past + 2]
    assert text.index("All good.") < text.index("Broken.")


def test_a_quiet_page():
    text = parse(render_page(PageState(), "Acme status", COMPONENTS, T0)).text
    assert "All systems operational" in text and "No incidents reported." in text
    assert "Current incidents" not in text


# --- Adapter -------------------------------------------------------------------------------------


async def test_post_writes_state_and_page(http, context):
    adapter = make(http, context)
    first = await adapter.post_update(update())
    second = await adapter.post_update(update(status="monitoring", body="Fix deployed.", remote_id=first.remote_id))
    directory = context.base_dir / "status-page"
    assert first.remote_id == second.remote_id == "inc-42"
    assert first.target == f"static:{directory}" and first.link == (directory / "index.html").as_uri()
    assert second.posted_at == T0 + timedelta(minutes=10)
    state = json.loads((directory / "state.json").read_text())
    assert [u["status"] for u in state["incidents"]["inc-42"]["updates"]] == ["investigating", "monitoring"]
    assert state["incidents"]["inc-42"]["updates"][1]["at"] == "2026-03-14T03:17:00Z"
    html = (directory / "index.html").read_text()
    assert "Fix deployed." in html and "Monitoring" in html
    assert sorted(p.name for p in directory.iterdir()) == ["index.html", "state.json"]  # no temp files left
    assert (directory / "index.html").stat().st_mode & 0o044 == 0o044  # readable by a web server


async def test_directory_is_relative_to_the_base_dir(http, tmp_path):
    adapter = make(http, AdapterContext(base_dir=tmp_path / "conf"), directory="../public/status")
    await adapter.post_update(update())
    assert (tmp_path / "public" / "status" / "index.html").is_file()


async def test_a_failed_write_leaves_the_previous_page(http, context, monkeypatch):
    adapter = make(http, context)
    await adapter.post_update(update())
    directory = context.base_dir / "status-page"
    before = {name: (directory / name).read_bytes() for name in ("state.json", "index.html")}

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(UnavailableError, match="No space left"):
        await adapter.post_update(update(status="identified", body="new"))
    assert {name: (directory / name).read_bytes() for name in before} == before
    assert sorted(p.name for p in directory.iterdir()) == ["index.html", "state.json"]


async def test_a_damaged_state_file_is_a_config_error(http, context):
    directory = context.base_dir / "status-page"
    directory.mkdir()
    (directory / "state.json").write_text("{not json")
    with pytest.raises(ConfigError, match="state.json") as info:
        await make(http, context).post_update(update())
    assert "Move" in info.value.hint


async def test_check(http, context, tmp_path):
    assert "writable" in await make(http, context).check()
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="cannot write"):
        await make(http, AdapterContext(base_dir=blocker)).check()


def test_duplicate_components_are_refused():
    with pytest.raises(ValueError, match="unique"):
        StaticStatusConfig(components=["A", "A"])
