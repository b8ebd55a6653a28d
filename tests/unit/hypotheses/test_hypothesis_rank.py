"""Hypothesis rules and ranking: settled statuses need evidence; against outweighs for; refuted sinks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from mcp_server.hypotheses.models import Evidence, Hypothesis
from mcp_server.hypotheses.rank import hypothesis_score, rank_hypotheses

NOW = datetime(2026, 3, 14, 14, 30, tzinfo=UTC)


def proof(direction: str = "for", source: str = "query", strength: str = "weak") -> Evidence:
    return Evidence(direction=direction, summary="seen", source=source, reference="rate(x[5m])", strength=strength)  # type: ignore[arg-type]


def hyp(hid: str, **fields: Any) -> Hypothesis:
    return Hypothesis(id=hid, statement=f"cause {hid}", **fields)


def test_supported_needs_evidence_for_it_from_a_tool_query_or_event():
    with pytest.raises(ValidationError, match="supported' needs evidence for it from a tool"):
        hyp("a", status="supported")
    with pytest.raises(ValidationError, match="observation alone is not enough"):
        hyp("a", status="supported", evidence=[proof(source="observation")])
    for source in ("tool", "query", "event"):
        assert hyp("a", status="supported", evidence=[proof(source=source)]).status == "supported"


def test_refuted_needs_evidence_against_it():
    with pytest.raises(ValidationError, match="refuted' needs at least one piece of evidence against"):
        hyp("a", status="refuted", evidence=[proof("for")])
    assert hyp("a", status="refuted", evidence=[proof("against", source="observation")]).status == "refuted"


def test_score_weighs_against_more_than_for_and_observations_less_than_checks():
    assert hypothesis_score(hyp("a", confidence="medium")) == 2.0
    assert hypothesis_score(hyp("a", evidence=[proof("for", strength="strong")])) == 3.0
    assert hypothesis_score(hyp("a", evidence=[proof("against")])) == -0.5
    assert hypothesis_score(hyp("a", evidence=[proof("for", source="observation")])) == 1.5
    assert hypothesis_score(hyp("a", evidence=[proof("for"), proof("against")])) < hypothesis_score(hyp("b"))


def test_status_orders_first_then_score_and_refuted_sinks_whatever_its_score():
    ranked = rank_hypotheses(
        [
            hyp("refuted", status="refuted", confidence="high", evidence=[proof("against"), *[proof()] * 5]),
            hyp("proposed", confidence="high"),
            hyp("investigating-low", status="investigating"),
            hyp("investigating-high", status="investigating", confidence="high"),
            hyp("supported", status="supported", evidence=[proof()]),
        ]
    )
    order = [r.hypothesis.id for r in ranked]
    assert order == ["supported", "investigating-high", "investigating-low", "proposed", "refuted"]
    assert [r.rank for r in ranked] == [1, 2, 3, 4, 5]


def test_ties_go_to_the_most_recently_updated_then_the_id():
    older = hyp("b", updated_at=NOW - timedelta(minutes=5))
    newer = hyp("c", updated_at=NOW)
    ranked = rank_hypotheses([older, hyp("z"), newer, hyp("a")])
    assert [r.hypothesis.id for r in ranked] == ["c", "b", "a", "z"]


def test_the_reason_counts_the_evidence_each_way():
    evidence = [proof(), proof(source="observation"), proof("against")]
    reason = rank_hypotheses([hyp("a", status="investigating", confidence="medium", evidence=evidence)])[0].reason
    assert reason == "investigating, medium confidence; 2 for (1 from tools, queries or events), 1 against"
