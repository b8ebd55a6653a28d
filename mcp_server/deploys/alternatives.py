"""What can explain an incident better than a deploy: pure decisions over hand-sized inputs.

Two explanations are weighed before a deploy is blamed:

- **A provider incident at the onset**: an outside provider that a degraded service depends on
  (the service's ``providers`` in the config) published an incident that was open at the onset and
  started within ``deploys.provider_minutes`` of it. Status pages often post a few minutes late,
  so the window is on both sides of the onset.
- **A daily recurrence**: the same symptom, at the same time of day, on previous days. For each
  likely root and each of its degraded signals (error ratio, latency), the onset line is the one
  triage uses: halfway from the baseline to today's value. A previous day counts as degraded when
  the signal was at or above that line over the same window shifted by whole days. A root recurs
  when that holds on at least ``recurrence_min_days`` of the last ``recurrence_days`` days; the
  incident recurs when every likely root does. A day without data is unknown, and a failed query
  makes the whole check unknown: never "not recurring", and never a claim of recurrence.

Nothing here does I/O: :mod:`mcp_server.deploys.evidence` gathers the inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from adapters.models import ProviderEvent, TimeWindow, iso_utc
from mcp_server.config import ServiceConfig
from mcp_server.deploys.models import Alternative

SymptomSignal = Literal["errors", "latency"]
RecurrenceState = Literal["recurring", "not_recurring", "unknown"]
CLOSED_STATUSES = frozenset({"resolved", "postmortem", "completed", "unknown"})
"""Provider event statuses that are not an open incident ('unknown': the status page did not answer)."""
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Symptom:
    """One degraded signal of one service, as triage measured it: error ratio, or latency in ms."""

    service: str
    signal: SymptomSignal
    now: float
    baseline: float
    quantile: float | None = None  # latency only: which percentile rose

    @property
    def line(self) -> float:
        """Halfway from the baseline to today's value: the line triage's onset is drawn at."""
        return self.baseline + (self.now - self.baseline) / 2

    def describe(self, value: float) -> str:
        """A value of this signal, in its unit."""
        return f"{value:.2%}" if self.signal == "errors" else f"{value:.0f} ms"

    @property
    def label(self) -> str:
        """The signal's name in a sentence."""
        return "error ratio" if self.signal == "errors" else f"p{round((self.quantile or 0.99) * 100)}"


@dataclass(frozen=True)
class History:
    """The symptoms' signals over the measured window shifted back by whole days.

    ``values[days_ago][(service, signal)]`` is the value then (None or absent: no data). ``error``
    says why the history could not be read at all ('' when it was).
    """

    measured: TimeWindow | None  # None: nothing was measured (then ``error`` says so)
    days: int
    values: Mapping[int, Mapping[tuple[str, SymptomSignal], float | None]] = field(default_factory=dict)
    error: str = ""


@dataclass(frozen=True)
class Recurrence:
    """Whether the incident recurs at this time of day, and the sentence that says why."""

    state: RecurrenceState
    detail: str


def provider_dependents(affected: Iterable[str], services: Mapping[str, ServiceConfig]) -> dict[str, list[str]]:
    """Provider name (case-folded) -> the degraded services that list it in ``providers``."""
    found: dict[str, list[str]] = {}
    for name in sorted(set(affected)):
        for provider in services[name].providers if name in services else []:
            found.setdefault(provider.casefold(), []).append(name)
    return found


def provider_at_onset(
    events: Sequence[ProviderEvent], onset: datetime, dependents: Mapping[str, Sequence[str]], within: timedelta
) -> Alternative | None:
    """The open incident of a degraded service's provider that started closest to the onset, within ``within``."""
    matching: list[tuple[timedelta, str, datetime, ProviderEvent]] = []
    for event in events:
        started = _start_near(event, onset, within) if event.provider.casefold() in dependents else None
        if started is not None:
            matching.append((abs(started - onset), event.id, started, event))
    if not matching:
        return None
    _, _, started, event = min(matching, key=lambda m: (m[0], m[1]))
    return Alternative(kind="provider_incident", reason=_provider_reason(event, started, onset, dependents))


def _start_near(event: ProviderEvent, onset: datetime, within: timedelta) -> datetime | None:
    """When the event started, if it was open at the onset and started within ``within`` of it."""
    status = event.status.casefold()
    if event.started_at is None or status == "unknown":
        return None  # no start to compare with, or the status page did not answer
    if event.resolved_at is None and status in CLOSED_STATUSES:
        return None  # closed without saying when: it cannot be shown open at the onset
    still_open = event.resolved_at is None or event.resolved_at >= onset
    return event.started_at if still_open and abs(event.started_at - onset) <= within else None


def _provider_reason(
    event: ProviderEvent, started: datetime, onset: datetime, dependents: Mapping[str, Sequence[str]]
) -> str:
    minutes = (started - onset).total_seconds() / 60
    side = "after" if minutes > 0 else "before"
    when = "at the onset" if abs(minutes) < 0.5 else f"{abs(minutes):.0f} min {side} the onset"
    services = dependents[event.provider.casefold()]
    verb = "depends" if len(services) == 1 else "depend"
    return (
        f'{event.provider} incident "{event.title}" ({event.id}, {event.status}, impact {event.impact}) '
        f"started {iso_utc(started)}, {when}; {', '.join(services)} {verb} on {event.provider}"
    )


def judge_recurrence(symptoms: Sequence[Symptom], roots: Sequence[str], history: History, min_days: int) -> Recurrence:
    """Whether every likely root was degraded the same way at the same time on enough previous days."""
    if history.error:
        return Recurrence("unknown", history.error)
    checked = sorted({r for r in roots if any(s.service == r for s in symptoms)})
    unchecked = sorted(set(roots) - set(checked))
    if unchecked or not checked:  # a root degraded on traffic or health alone has nothing to compare
        return Recurrence("unknown", f"no error or latency symptom to compare for {', '.join(unchecked) or 'any root'}")
    judged = [_root_recurrence(root, [s for s in symptoms if s.service == root], history, min_days) for root in checked]
    for state in ("not_recurring", "unknown"):
        if any(j.state == state for j in judged):
            return Recurrence(state, "; ".join(j.detail for j in judged if j.state == state))
    return Recurrence("recurring", "; ".join(j.detail for j in judged))


def _root_recurrence(root: str, symptoms: Sequence[Symptom], history: History, min_days: int) -> Recurrence:
    days = range(1, history.days + 1)
    states = {k: _day_state(symptoms, history.values.get(k, {})) for k in days}
    degraded = [k for k in days if states[k] is True]
    unknown = [k for k in days if states[k] is None]
    of = f"{len(degraded)} of the last {history.days} days"
    if len(degraded) >= min_days:
        return Recurrence("recurring", _recurring_sentence(root, symptoms, history, degraded))
    if len(degraded) + len(unknown) >= min_days:
        return Recurrence("unknown", f"{root}: degraded on {of}, no data for {len(unknown)}")
    return Recurrence("not_recurring", f"{root}: degraded at this time of day on {of}")


def _day_state(symptoms: Sequence[Symptom], values: Mapping[tuple[str, SymptomSignal], float | None]) -> bool | None:
    """True when any symptom crossed its line that day, False when all were known and none did."""
    readings = [values.get((s.service, s.signal)) for s in symptoms]
    if any(v is not None and v >= s.line for s, v in zip(symptoms, readings, strict=True)):
        return True
    return None if any(v is None for v in readings) else False


def _recurring_sentence(root: str, symptoms: Sequence[Symptom], history: History, days: Sequence[int]) -> str:
    window = history.measured
    assert window is not None  # a history with values was measured
    dates = ", ".join((window.end - k * DAY).date().isoformat() for k in sorted(days, reverse=True))
    parts = []
    for symptom in symptoms:
        then = [history.values.get(k, {}).get((symptom.service, symptom.signal)) for k in sorted(days, reverse=True)]
        shown = ", ".join(symptom.describe(v) for v in then if v is not None)
        now, normal = symptom.describe(symptom.now), symptom.describe(symptom.baseline)
        parts.append(f"{symptom.label} {shown} then, {now} now, {normal} normal")
    return (
        f"{root} was degraded at the same time of day ({window.start:%H:%M}-{window.end:%H:%M} UTC) on "
        f"{len(days)} of the last {history.days} days ({dates}): {'; '.join(parts)}"
    )


def better_explanation(provider: Alternative | None, recurrence: Recurrence | None) -> Alternative | None:
    """The explanation to prefer over a deploy: an open provider incident first, then a daily recurrence."""
    if provider is not None:
        return provider
    if recurrence is not None and recurrence.state == "recurring":
        return Alternative(kind="daily_recurrence", reason=recurrence.detail)
    return None
