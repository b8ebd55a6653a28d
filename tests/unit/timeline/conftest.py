"""Fixtures for the timeline tests: a fixed incident clock, a declared incident, configs with a fake Slack."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/ has no packages; import the sibling fake

from slack_fake import CHANNEL, slack_adapter_settings

from mcp_server.config import Config, parse_config
from mcp_server.store import IncidentDraft, IncidentStore, open_store
from mcp_server.store.settings import StoreConfig

T0 = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)  # impact began


@pytest.fixture
def store() -> Iterator[IncidentStore]:
    """The store the runtime will open too ($FIRSTFIFTEEN_DB points at a temp file)."""
    with open_store(StoreConfig()) as opened:
        yield opened


@pytest.fixture
def incident_id(store: IncidentStore) -> str:
    draft = IncidentDraft(
        title="Checkout 500s",
        severity="SEV2",
        declared_by="alice",
        suspected_service="checkout",
        started_at=T0,
        declared_at=T0 + timedelta(minutes=5),
    )
    return store.declare_incident(draft).id


def make_config(tmp_path: Path, *, slack: bool = True, deploys: list[dict] | None = None, **extra: object) -> Config:
    """A config with the fake Slack (channel C042) and, optionally, a deploy log."""
    adapters: dict[str, dict] = {"slack": slack_adapter_settings()} if slack else {}
    if deploys is not None:
        (tmp_path / "deploys.jsonl").write_text("".join(json.dumps(d) + "\n" for d in deploys))
        adapters["deploy_file"] = {"path": "deploys.jsonl"}
    raw = {
        "services": [{"name": "checkout"}, {"name": "payments"}],
        "timeline": {"channel": CHANNEL},
        "adapters": adapters,
        **extra,
    }
    return parse_config(raw, base_dir=tmp_path)
