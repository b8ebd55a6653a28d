"""Posting refuses at call time while a channel's writes are off, whatever tools a client was offered."""

from __future__ import annotations

import pytest

from adapters.errors import ConfigError
from adapters.replay.scenario import load_scenario
from mcp_server.comms.drafting import draft_for_incident
from mcp_server.comms.posting import CHANNELS, WRITE_KEY, Channel, post_draft, writes_on
from mcp_server.config import WritesConfig, parse_config
from mcp_server.runtime import open_runtime
from mcp_server.store.models import IncidentDraft

pytestmark = pytest.mark.anyio
SCENARIO = "bad-deploy"


@pytest.mark.parametrize("channel", CHANNELS)
def test_each_channel_reads_its_own_switch(channel: Channel):
    writes = WritesConfig(**{WRITE_KEY[channel]: True})
    assert [c for c in CHANNELS if writes_on(writes, c)] == [channel]
    assert not any(writes_on(WritesConfig(), c) for c in CHANNELS)


async def test_a_draft_is_refused_while_writes_are_off_and_can_go_out_once_they_are_on(tmp_path):
    scenario = load_scenario(SCENARIO)
    raw = {
        "services": scenario.services_config(),
        "adapters": {"replay": {"scenario": SCENARIO}, "static_status": {"directory": "status"}},
        "comms": {"writes": {"status_page": False}},
    }
    config = parse_config(raw, base_dir=tmp_path)
    async with open_runtime(config, reference=scenario.anchor) as runtime:
        incident = runtime.store.declare_incident(
            IncidentDraft(title="Checkout errors", severity="SEV3", declared_by="t")
        )
        drafted = await draft_for_incident(runtime, incident, "Some customers cannot check out.", None)
        page = next(d for d in drafted.drafts if d.audience == "status_page")
        with pytest.raises(ConfigError, match="writes to status page are disabled") as refused:
            await post_draft(runtime, page.id, "status_page", "dana", "token")
        assert "comms.writes.status_page: true" in refused.value.hint
        assert runtime.store.get_draft(page.id).post is None  # not claimed: it can still go out later
        assert not (tmp_path / "status" / "index.html").exists()
        runtime.config = config.model_copy(
            update={"comms": config.comms.model_copy(update={"writes": WritesConfig(status_page=True)})}
        )
        posted = await post_draft(runtime, page.id, "status_page", "dana", "token")
    assert posted.posted and not posted.already_posted
    assert (tmp_path / "status" / "index.html").exists()
