"""Timeline entries for firstfifteen's own runs, from real runs on replayed scenarios (no network)."""

from __future__ import annotations

import pytest

from mcp_server.deploys.correlate import incident_from_triage, rank_incident
from mcp_server.deploys.plan import plan_rollback
from mcp_server.embedded import scenario_config
from mcp_server.runtime import no_progress, open_runtime
from mcp_server.timeline.runs import ranking_entry, rollback_plan_entry, triage_entry
from mcp_server.triage.engine import run_triage

pytestmark = pytest.mark.anyio


async def test_bad_deploy_entries_name_the_root_the_suspect_and_the_plan():
    config, note, anchor = scenario_config("bad-deploy")
    async with open_runtime(config, data_note=note, reference=anchor) as runtime:
        result = await run_triage(runtime, anchor, None, no_progress)
        ranking = await rank_incident(runtime, anchor, incident_from_triage(result, None, None))
        plan = await plan_rollback(runtime, "deploy-8841", anchor)
    triaged = triage_entry(result, anchor)
    assert triaged.kind == "triage" and triaged.occurred_at == anchor
    assert triaged.text == "triage: 2 degraded; likely roots checkout; symptoms frontend"
    assert triaged.details["likely_roots"] == ["checkout"] and triaged.details["sources_not_ok"] == []
    ranked = ranking_entry(ranking, anchor)
    assert ranked.kind == "deploy_ranking" and "top suspect deploy-8841 (checkout)" in ranked.text
    assert ranked.details["verdict"] == "deploy_implicated"
    planned = rollback_plan_entry(plan)
    assert planned.kind == "rollback_plan" and planned.details["deploy_id"] == "deploy-8841"
    assert planned.text.startswith("rollback plan drafted for deploy-8841 (checkout -> ")


async def test_a_quiet_night_says_nothing_degraded_and_no_deploy_implicated():
    config, note, anchor = scenario_config("quiet-night")
    async with open_runtime(config, data_note=note, reference=anchor) as runtime:
        result = await run_triage(runtime, anchor, None, no_progress)
        ranking = await rank_incident(runtime, anchor, incident_from_triage(result, None, None))
    assert triage_entry(result).text == "triage: nothing degraded"
    assert ranking_entry(ranking).text.startswith("deploy ranking: no deploy implicated (")
