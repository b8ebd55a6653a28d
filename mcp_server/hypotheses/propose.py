"""The starting hypotheses that follow from a triage and a deploy ranking, each citing where it comes from.

These are candidates, not conclusions: every one says what it predicts, the evidence the two runs
already hold for (or against) it, the next step and what would settle it. The responder records,
investigates and settles them; the ranking (``rank.py``) orders them as evidence arrives.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from adapters.models import iso_utc
from mcp_server.deploys.models import Candidate, Ranking
from mcp_server.hypotheses.models import Confidence, Evidence, Hypothesis, same_statement_key
from mcp_server.triage.models import ServiceVerdict, TriageResult

MAX_DEPLOY_SUSPECTS = 2
SURGE_FACTOR = 1.3  # traffic this much above its baseline makes load worth a hypothesis


@dataclass(frozen=True)
class Sources:
    """How the proposals cite the two runs: a timeline event when recorded, else the tool and its time."""

    triage: str
    ranking: str


def default_sources(triage: TriageResult, ranking: Ranking) -> Sources:
    """Cite the runs by tool and time when they are not on a timeline."""
    return Sources(triage=f"triage at {iso_utc(triage.at)}", ranking=f"rank_deploys at {iso_utc(ranking.onset)}")


def propose(triage: TriageResult, ranking: Ranking, sources: Sources | None = None) -> list[Hypothesis]:
    """Every candidate cause the two runs point at, deploys first; none when nothing is degraded."""
    cite = sources or default_sources(triage, ranking)
    if not triage.degraded:
        return []
    verdicts = {v.service: v for v in triage.services}
    found = [*_deploy_suspects(ranking, cite), *_alternatives(ranking, cite)]
    for root in triage.likely_roots or triage.degraded:
        verdict = verdicts.get(root)
        if verdict is not None:
            found += [*_upstream(verdict, triage, cite), *_resource(verdict, ranking, cite), *_load(verdict, cite)]
    return _unique(found)


def _deploy_suspects(ranking: Ranking, cite: Sources) -> Iterator[Hypothesis]:
    """The top-ranked deploys; below the threshold they come with the verdict as evidence against."""
    for candidate in ranking.candidates[:MAX_DEPLOY_SUSPECTS]:
        implicated = ranking.verdict == "deploy_implicated" and candidate is ranking.candidates[0]
        if not implicated and candidate.confidence == "low":
            continue
        yield _deploy_hypothesis(candidate, ranking, implicated, cite)


def _deploy_hypothesis(candidate: Candidate, ranking: Ranking, implicated: bool, cite: Sources) -> Hypothesis:
    deploy = candidate.deploy
    finished = iso_utc(deploy.finished_at or deploy.started_at)
    reasons = "; ".join(f.reason for f in sorted(candidate.features, key=lambda f: -f.score * f.weight)[:3])
    evidence = [
        Evidence(
            direction="for",
            summary=f"ranked #{ranking.candidates.index(candidate) + 1}, score {candidate.score:.2f}: {reasons}",
            source="tool",
            reference=cite.ranking,
            strength="strong" if candidate.confidence == "high" else "weak",
        )
    ]
    if not implicated:
        evidence.append(
            Evidence(direction="against", summary=ranking.verdict_reason, source="tool", reference=cite.ranking)
        )
    back_to = f" to {deploy.previous_version}" if deploy.previous_version else ""
    return Hypothesis(
        statement=f"Deploy {deploy.id} of {deploy.service} {deploy.version}".rstrip() + " caused it",
        predicts=(
            f"{deploy.service}'s errors began within minutes after the deploy finished at {finished}, "
            f"on routes served by the code it changed; rolling back{back_to} restores the error ratio."
        ),
        confidence=candidate.confidence,
        next_step=f"get_deploy_changes('{deploy.id}'): do the changes touch the failing routes? "
        f"Then rollback_plan('{deploy.id}') for the responder to decide.",
        confirm_query=f"query_metric: {deploy.service} error ratio 30 minutes either side of {finished}",
        evidence=evidence,
    )


def _alternatives(ranking: Ranking, cite: Sources) -> Iterator[Hypothesis]:
    """A provider incident or a daily recurrence that explains the incident better than a deploy."""
    better = ranking.alternative
    if better is None:
        return
    proof = Evidence(direction="for", summary=better.reason, source="tool", reference=cite.ranking, strength="strong")
    if better.kind == "provider_incident":
        yield Hypothesis(
            statement="An incident at an outside provider causes it, not a change of ours",
            predicts="The errors sit on calls to that provider and began when its incident began; "
            "they end when the provider recovers.",
            confidence="medium",
            next_step="Read the provider's status page; query_logs for errors naming the provider.",
            confirm_query="query_metric: error ratio of the routes that call the provider",
            evidence=[proof],
        )
    else:
        yield Hypothesis(
            statement="A recurring daily job or load pattern causes it, not a change",
            predicts="The same rise shows at the same time a day and a week earlier.",
            confidence="medium",
            next_step="Compare with the same window yesterday and last week (query_metric).",
            confirm_query="query_metric: the error ratio over the last 8 days at this hour",
            evidence=[proof],
        )


def _upstream(root: ServiceVerdict, triage: TriageResult, cite: Sources) -> Iterator[Hypothesis]:
    """When other services fail downstream of this root, say they are symptoms, so nobody chases them."""
    downstream = [v.service for v in triage.services if root.service in v.caused_by]
    if not downstream:
        return
    verb = "fails only because it calls" if len(downstream) == 1 else "fail only because they call"
    yield Hypothesis(
        statement=f"The fault is in {root.service}; {', '.join(downstream)} {verb} it",
        predicts=f"{root.service}'s errors began first; the failing routes of {', '.join(downstream)} "
        f"call {root.service}; fixing {root.service} clears them without touching them.",
        confidence="medium",
        next_step=f"Compare the onsets (query_error_rate); keep responders on {root.service}.",
        confirm_query=f"query_metric: error ratio of {root.service} and {', '.join(downstream)} over the incident",
        evidence=[
            _measured(root, f"triage marks {root.service} the likely root, downstream: {', '.join(downstream)}", cite)
        ],
    )


def _resource(root: ServiceVerdict, ranking: Ranking, cite: Sources) -> Iterator[Hypothesis]:
    """A resource the root depends on (pool, database, downstream call) is exhausted or slow."""
    latency = root.latency_p99_ms
    implicated = ranking.verdict == "deploy_implicated" and ranking.candidates[0].deploy.service == root.service
    confidence: Confidence = "medium" if latency.degraded and not implicated else "low"
    evidence = []
    if latency.now is not None and latency.baseline is not None:
        measured = f"p99 latency {latency.now:.0f} ms vs {latency.baseline:.0f} ms baseline"
        if latency.degraded:
            evidence.append(_measured(root, measured, cite))
        else:  # an exhausted pool or a slow dependency shows in the tail latency first
            evidence.append(
                _measured(root, f"{measured}: not degraded", cite).model_copy(update={"direction": "against"})
            )
    yield Hypothesis(
        statement=f"A resource {root.service} depends on is exhausted or slow (connection pool, database, a call)",
        predicts=f"{root.service}'s p99 latency rises with its errors; its logs show timeouts or pool waits; "
        "the errors do not line up with a deploy.",
        confidence=confidence,
        next_step=f"query_logs for {root.service}'s error patterns (timeouts, pool, connection refused).",
        confirm_query=f"query_metric: {root.service} p99 latency and error ratio over the incident",
        evidence=evidence,
    )


def _load(root: ServiceVerdict, cite: Sources) -> Iterator[Hypothesis]:
    """A traffic surge, only when the traffic really rose."""
    traffic = root.traffic_rps
    if traffic.factor is None or traffic.factor < SURGE_FACTOR:
        return
    yield Hypothesis(
        statement=f"A traffic surge overloads {root.service}",
        predicts="Errors and latency track the request rate and began with the surge.",
        confidence="medium" if traffic.degraded else "low",
        next_step=f"query_metric: {root.service} requests against errors; find where the extra traffic comes from.",
        confirm_query=f"query_metric: {root.service} request rate against its day-earlier baseline",
        evidence=[_measured(root, f"traffic x{traffic.factor:.2f} its baseline", cite)],
    )


def _measured(verdict: ServiceVerdict, summary: str, cite: Sources) -> Evidence:
    return Evidence(direction="for", summary=summary, source="tool", reference=cite.triage, link=_link(verdict))


def _link(verdict: ServiceVerdict) -> str:
    return verdict.links.get("errors", "") or next(iter(verdict.links.values()), "")


def _unique(found: list[Hypothesis]) -> list[Hypothesis]:
    """One hypothesis per statement, the first kept."""
    seen: set[str] = set()
    kept = []
    for hypothesis in found:
        key = same_statement_key(hypothesis.statement)
        if key not in seen:
            seen.add(key)
            kept.append(hypothesis)
    return kept


def new_proposals(proposed: list[Hypothesis], existing: Mapping[str, Hypothesis]) -> list[Hypothesis]:
    """The proposals whose statement is not recorded yet (``existing`` keyed by ``same_statement_key``)."""
    return [h for h in proposed if same_statement_key(h.statement) not in existing]
