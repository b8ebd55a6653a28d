"""Rank hypotheses by status, evidence and confidence, and say why each stands where it does.

Evidence against weighs more than evidence for (one clean counter-example outweighs a coincidence),
checked evidence more than a person's observation, and a refuted hypothesis always sinks to the
bottom, kept so the record shows what was ruled out.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from adapters.models import Model
from mcp_server.hypotheses.models import CHECKED_SOURCES, Evidence, Hypothesis

STATUS_RANK = {"supported": 0, "investigating": 1, "proposed": 2, "refuted": 3}
CONFIDENCE_POINTS = {"low": 1.0, "medium": 2.0, "high": 3.0}
STRENGTH_POINTS = {"weak": 1.0, "strong": 2.0}
AGAINST_FACTOR = 1.5
OBSERVATION_FACTOR = 0.5


class RankedHypothesis(Model):
    """A hypothesis with its place, its score and the reason for both."""

    rank: int
    score: float = Field(description="Confidence plus net evidence; higher is more likely")
    reason: str
    hypothesis: Hypothesis


def evidence_points(item: Evidence) -> float:
    """What one piece of evidence adds (for) or takes away (against)."""
    points = STRENGTH_POINTS[item.strength] * (1.0 if item.source in CHECKED_SOURCES else OBSERVATION_FACTOR)
    return points if item.direction == "for" else -points * AGAINST_FACTOR


def hypothesis_score(hypothesis: Hypothesis) -> float:
    """Confidence points plus the net weight of the evidence, rounded for display."""
    return round(CONFIDENCE_POINTS[hypothesis.confidence] + sum(map(evidence_points, hypothesis.evidence)), 2)


def rank_hypotheses(hypotheses: Sequence[Hypothesis]) -> list[RankedHypothesis]:
    """Best first: by status, then score, then the most recently updated, then id (stable)."""

    def key(h: Hypothesis) -> tuple[int, float, float, str]:
        updated = h.updated_at.timestamp() if h.updated_at else 0.0
        return STATUS_RANK[h.status], -hypothesis_score(h), -updated, h.id

    ordered = sorted(hypotheses, key=key)
    return [
        RankedHypothesis(rank=place, score=hypothesis_score(h), reason=rank_reason(h), hypothesis=h)
        for place, h in enumerate(ordered, 1)
    ]


def rank_reason(hypothesis: Hypothesis) -> str:
    """One line a responder can read: status, confidence and the evidence counted each way."""
    pro = [e for e in hypothesis.evidence if e.direction == "for"]
    con = [e for e in hypothesis.evidence if e.direction == "against"]
    checked_pro = sum(e.source in CHECKED_SOURCES for e in pro)
    return (
        f"{hypothesis.status}, {hypothesis.confidence} confidence; "
        f"{len(pro)} for ({checked_pro} from tools, queries or events), {len(con)} against"
    )
