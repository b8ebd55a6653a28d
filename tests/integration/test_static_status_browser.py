"""The static status page as a real browser renders it: headless Debian Chromium dumps the DOM.

Posts an open incident with a degraded component through StaticStatusAdapter, opens the written
index.html in ``chromium --headless --dump-dom`` and checks what the rendered page shows. A
missing Chromium fails the test with the install command: it never skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from adapters.base import AdapterContext
from adapters.models import StatusUpdate
from adapters.static_status import StaticStatusAdapter, StaticStatusConfig

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

CHROMIUM = "/usr/bin/chromium"
INSTALL = "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium (scripts/test does it)"


def chromium() -> str:
    """The Debian Chromium binary; fails the test (never skips) when it is not installed."""
    path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if not path:
        pytest.fail(f"Debian chromium is missing at {CHROMIUM}; install it: {INSTALL}", pytrace=False)
    return path


def dump_dom(page: Path, profile: Path) -> str:
    """The DOM of ``page`` after Chromium loaded and laid it out, as Chromium serialises it."""
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",  # root in CI: Chromium refuses to start its sandbox as root
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL)
    if done.returncode != 0 or "<html" not in done.stdout:
        pytest.fail(f"chromium failed (exit {done.returncode}): {done.stderr[-2000:]}", pytrace=False)
    return done.stdout


class _Dom(HTMLParser):
    """Visible text by element id and class: enough to read the banner, incidents and components."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.classes: list[str] = []
        self.banner_class = ""
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("style", "script", "title"):
            self._skip += 1
        self.classes += (values.get("class") or "").split()
        if values.get("id") == "banner":
            self.banner_class = values.get("class") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(data.strip())


async def test_chromium_shows_the_open_incident_and_the_degraded_component(tmp_path: Path) -> None:
    binary = chromium()  # fail first, before writing anything, when the browser is missing
    config = StaticStatusConfig(title="Acme status", components=["Checkout", "Search", "API"])
    async with httpx.AsyncClient() as http:
        adapter = StaticStatusAdapter("static_status", config, http, AdapterContext(base_dir=tmp_path))
        adapter._now = lambda: datetime(2026, 3, 14, 3, 7, tzinfo=UTC)
        first = StatusUpdate(
            incident_key="inc-42",
            title="Elevated checkout errors <EU>",
            status="investigating",
            body="Some checkouts fail; we are investigating.",
            components={"Checkout": "degraded_performance"},
        )
        result = await adapter.post_update(first)
        adapter._now = lambda: datetime(2026, 3, 14, 3, 19, tzinfo=UTC)
        second = first.model_copy(update={"status": "identified", "body": "A bad deploy; rolling back."})
        await adapter.post_update(second)

    page = Path(result.link.removeprefix("file://"))
    assert page.is_file() and binary
    dom = _Dom()
    dom.feed(dump_dom(page, tmp_path / "profile"))
    texts = dom.texts

    assert texts[0] == "Acme status"
    assert texts[1] == "Degraded performance" and "degraded_performance" in dom.banner_class
    assert "Elevated checkout errors <EU>" in texts  # escaped in the file, shown as typed
    incident = texts.index("Elevated checkout errors <EU>")
    assert texts[incident + 2 : incident + 5] == ["Identified", "2026-03-14 03:19 UTC", "A bad deploy; rolling back."]
    assert "Investigating" in texts[incident + 5 :]
    components = texts.index("Components")
    assert texts[components + 1 : components + 7] == [
        "Checkout",
        "Degraded performance",
        "Search",
        "Operational",
        "API",
        "Operational",
    ]
    assert "No incidents reported." in texts  # nothing resolved yet under "Past incidents"
