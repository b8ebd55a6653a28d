"""Ranked hypotheses as markdown: what the responder keeps in front of them, each line with its source."""

from __future__ import annotations

from collections.abc import Sequence

from mcp_server.hypotheses.models import Evidence
from mcp_server.hypotheses.rank import RankedHypothesis


def render_hypotheses(ranked: Sequence[RankedHypothesis], title: str = "Hypotheses") -> str:
    """A numbered list, best first: status, confidence, score, prediction, evidence each way, next step."""
    lines = [f"## {title}", ""]
    if not ranked:
        return "\n".join([*lines, "None recorded yet: run propose_hypotheses or record_hypothesis.", ""])
    for item in ranked:
        lines += hypothesis_block(item)
    return "\n".join(lines)


def hypothesis_block(item: RankedHypothesis) -> list[str]:
    """One hypothesis as a few markdown lines."""
    h = item.hypothesis
    owner = f", owner {h.owner}" if h.owner else ", no owner"
    lines = [f"{item.rank}. **{h.id or 'new'}** {h.statement} ({h.status}, {h.confidence}, score {item.score}{owner})"]
    if h.predicts:
        lines.append(f"   - predicts: {h.predicts}")
    lines += [f"   - {evidence_line(e)}" for e in h.evidence]
    if h.next_step and h.status not in ("supported", "refuted"):
        lines.append(f"   - next: {h.next_step}")
    if h.confirm_query:
        lines.append(f"   - settles it: {h.confirm_query}")
    return [*lines, ""]


def evidence_line(item: Evidence) -> str:
    """``for (query, strong): summary [reference](link)``."""
    where = item.reference or item.source
    cited = f"[{where}]({item.link})" if item.link else f"[{where}]"
    return f"{item.direction} ({item.source}, {item.strength}): {item.summary} {cited}"
