"""Proposed hypotheses follow from real triage and deploy-ranking runs on replayed scenarios."""

from __future__ import annotations

import pytest

from adapters.replay.scenario import load_scenario
from mcp_server.embedded import scenario_config
from mcp_server.hypotheses.propose import propose
from mcp_server.hypotheses.rank import rank_hypotheses
from mcp_server.hypotheses.workflow import propose_for
from mcp_server.runtime import open_runtime

pytestmark = pytest.mark.anyio


async def proposals(name: str):
    config, note, anchor = scenario_config(name)
    async with open_runtime(config, data_note=note, reference=anchor) as runtime:
        found = await propose_for(runtime, anchor, None, None, "tester")
    return found, [r.hypothesis for r in rank_hypotheses(found.hypotheses)]


@pytest.mark.parametrize("name", ["bad-deploy", "config-pool-size", "risky-migration", "two-deploys"])
async def test_a_bad_deploy_leads_with_its_prediction_and_the_ranking_as_evidence(name):
    found, ranked = await proposals(name)
    top = found.ranking.candidates[0].deploy
    lead = ranked[0]
    assert lead.statement.startswith(f"Deploy {top.id} of {top.service}")
    assert lead.confidence == "high" and lead.status == "proposed"
    assert [e.direction for e in lead.evidence] == ["for"] and lead.evidence[0].source == "tool"
    assert lead.evidence[0].reference.startswith("rank_deploys at ")
    assert top.id in lead.next_step and "rollback_plan" in lead.next_step
    assert lead.predicts and lead.confirm_query


@pytest.mark.parametrize("name", ["provider-outage", "provider-incident-at-onset"])
async def test_a_provider_incident_leads_and_no_deploy_is_blamed(name):
    _, ranked = await proposals(name)
    assert ranked[0].statement.startswith("An incident at an outside provider")
    assert not any(h.statement.startswith("Deploy ") and h.confidence != "low" for h in ranked)


async def test_a_daily_recurrence_is_proposed_before_any_change():
    _, ranked = await proposals("daily-batch")
    assert ranked[0].statement.startswith("A recurring daily job")
    assert "3 of the last 3 days" in ranked[0].evidence[0].summary


async def test_symptoms_are_named_as_downstream_of_the_root():
    scenario = load_scenario("upstream-dependency")
    _, ranked = await proposals("upstream-dependency")
    downstream = [h for h in ranked if h.statement.startswith("The fault is in")]
    assert len(downstream) == 1
    for service in scenario.expected.symptoms:
        assert service in downstream[0].statement
    assert "they call it" in downstream[0].statement  # two symptoms: plural


async def test_a_quiet_night_proposes_nothing():
    found, ranked = await proposals("quiet-night")
    assert ranked == [] and found.triage.degraded == []


async def test_an_upstream_deploy_is_a_medium_suspect_beside_the_downstream_reading():
    found, ranked = await proposals("upstream-deploy")
    deploys = [h for h in ranked if h.statement.startswith("Deploy ")]
    assert [h.statement for h in deploys] == ["Deploy deploy-6610 of address v4.2.0 caused it"]
    assert deploys[0].confidence == "medium" and [e.direction for e in deploys[0].evidence] == ["for"]


async def test_below_the_threshold_a_medium_suspect_carries_the_verdict_as_evidence_against():
    found, _ = await proposals("upstream-deploy")
    cleared = found.ranking.model_copy(
        update={"verdict": "no_deploy_implicated", "verdict_reason": "no deploy scores above 0.45"}
    )
    suspects = [h for h in propose(found.triage, cleared) if h.statement.startswith("Deploy ")]
    assert len(suspects) == 1
    against = [e for e in suspects[0].evidence if e.direction == "against"]
    assert [e.summary for e in against] == ["no deploy scores above 0.45"]
