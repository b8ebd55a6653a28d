"""Load firstfifteen's conformance plugin (from the `testing` extra), and share the recorded settings."""

from __future__ import annotations

from pathlib import Path

pytest_plugins = ["adapters.testing.plugin"]

RECORDED = Path(__file__).parent / "recorded"
TOKEN = "u+recorded-token"
# Two services, and pages of two so that the recorded responses take two pages each.
SETTINGS = {"token": TOKEN, "services": {"PIJ90N7": "checkout", "P5RJ4MV": "payments"}, "page_size": 2}
