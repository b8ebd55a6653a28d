"""A hypothesis as a stored object: what it claims, what it predicts, the evidence each way, and what is next.

The rules a responder at 3 AM most needs kept are in the model, not in the prose of a skill: a
hypothesis is ``supported`` only with evidence for it from a tool, a query or a timeline event, and
``refuted`` only with evidence against it. Anything else is still a guess.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from adapters.models import Model, UtcDatetime

HypothesisStatus = Literal["proposed", "investigating", "supported", "refuted"]
Confidence = Literal["low", "medium", "high"]
Direction = Literal["for", "against"]
Strength = Literal["weak", "strong"]
# Where a piece of evidence comes from; an 'observation' is a person's word, never enough to settle a cause.
EvidenceSource = Literal["tool", "query", "event", "observation"]
CHECKED_SOURCES: frozenset[str] = frozenset({"tool", "query", "event"})


class Evidence(Model):
    """One piece of evidence for or against a hypothesis, with where it comes from."""

    direction: Direction
    summary: str = Field(min_length=1, max_length=2_000)
    source: EvidenceSource
    reference: str = Field(default="", max_length=2_000, description="Tool call, PromQL/LogQL, or timeline event id")
    link: str = Field(default="", max_length=2_000)
    strength: Strength = "weak"
    added_by: str = ""
    added_at: UtcDatetime | None = None


class Hypothesis(Model):
    """A candidate cause under investigation."""

    id: str = ""
    statement: str = Field(min_length=1, max_length=500)
    predicts: str = Field(default="", max_length=2_000, description="What the symptoms should show if it is true")
    status: HypothesisStatus = "proposed"
    confidence: Confidence = "low"
    owner: str = ""
    next_step: str = Field(default="", max_length=1_000)
    confirm_query: str = Field(default="", max_length=2_000, description="Dashboard or query that would settle it")
    evidence: list[Evidence] = Field(default_factory=list)
    revision: int = 0
    updated_at: UtcDatetime | None = None

    @model_validator(mode="after")
    def _status_needs_evidence(self) -> Hypothesis:
        """Refuse a settled status that the evidence does not carry."""
        problem = settled_without_evidence(self)
        if problem:
            raise ValueError(problem)
        return self


def settled_without_evidence(hypothesis: Hypothesis) -> str:
    """Why ``hypothesis``'s status is not carried by its evidence, or '' when it is."""
    if hypothesis.status == "supported" and not checked(hypothesis, "for"):
        return (
            "status 'supported' needs evidence for it from a tool, a query or a timeline event "
            "(add_evidence with source tool, query or event); a person's observation alone is not enough"
        )
    if hypothesis.status == "refuted" and not any(e.direction == "against" for e in hypothesis.evidence):
        return "status 'refuted' needs at least one piece of evidence against it (add_evidence direction 'against')"
    return ""


def checked(hypothesis: Hypothesis, direction: Direction) -> list[Evidence]:
    """The evidence in ``direction`` that a tool, a query or an event backs."""
    return [e for e in hypothesis.evidence if e.direction == direction and e.source in CHECKED_SOURCES]


def same_statement_key(statement: str) -> str:
    """What makes two statements the same hypothesis: case and spacing do not count."""
    return " ".join(statement.lower().split())
