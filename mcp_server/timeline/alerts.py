"""Alerts as timeline events: notifications from the webhook inbox, and the alert sources as a fallback.

Which alerts belong to an incident: those whose [startsAt, endsAt] overlaps the incident window
(its start minus 30 minutes .. now; a firing alert has no end) and, when the incident has a
suspected service, whose service label (``service``, or the alertmanager adapter's
``service_label``) equals it; an alert without that label matches when any of its label values
equals it. An incident without a suspected service takes every alert of the window.

Events: a firing alert is ``alert_fired`` at its startsAt with ``source_id``
``<fingerprint>:<startsAt>``, its resolution ``alert_resolved`` at its endsAt with
``<fingerprint>:<startsAt>:resolved``; both under the source ``alertmanager`` whether the webhook
or polling saw them, so the two paths never duplicate an event. A re-fire after a resolution has a
new startsAt and is a new pair.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from adapters.models import Alert, iso_utc
from mcp_server.store.models import InboxAlert, TimelineEntry
from mcp_server.timeline.text import clean_text, safe_link

ALERT_SOURCE = "alertmanager"
DEFAULT_SERVICE_LABEL = "service"


def alert_matches(labels: dict[str, str], service: str, service_label: str = DEFAULT_SERVICE_LABEL) -> bool:
    """Whether an alert with ``labels`` belongs to an incident whose suspected service is ``service``."""
    if not service:
        return True
    if service_label in labels:
        return labels[service_label] == service
    return service in labels.values()


def fingerprint_of(fingerprint: str, labels: dict[str, str]) -> str:
    """The alert's fingerprint, or one made from its labels when the source gave none."""
    if fingerprint:
        return fingerprint
    canonical = "\x00".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return "labels-" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _summary(annotations: dict[str, str]) -> str:
    return annotations.get("summary") or annotations.get("description", "")


def _duration(start: datetime, end: datetime) -> str:
    minutes = max(0, int((end - start).total_seconds() // 60))
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def fired_entry(
    name: str,
    labels: dict[str, str],
    summary: str,
    fingerprint: str,
    starts_at: datetime,
    link: str,
    service_label: str,
) -> TimelineEntry:
    """The ``alert_fired`` event of one alert firing since ``starts_at``."""
    service = labels.get(service_label, "")
    text = f"{name or 'alert'} firing" + (f" on {service}" if service else "") + (f": {summary}" if summary else "")
    return TimelineEntry(
        source=ALERT_SOURCE,
        kind="alert_fired",
        text=clean_text(text),
        occurred_at=starts_at,
        link=safe_link(link),
        source_id=f"{fingerprint}:{iso_utc(starts_at)}",
        details={"fingerprint": fingerprint, "starts_at": iso_utc(starts_at), "labels": dict(labels)},
    )


def resolved_entry(
    name: str,
    labels: dict[str, str],
    fingerprint: str,
    starts_at: datetime,
    ends_at: datetime,
    link: str,
    service_label: str,
) -> TimelineEntry:
    """The ``alert_resolved`` event of one alert that fired at ``starts_at`` and ended at ``ends_at``."""
    service = labels.get(service_label, "")
    text = (
        f"{name or 'alert'} resolved"
        + (f" on {service}" if service else "")
        + f" after {_duration(starts_at, ends_at)}"
    )
    return TimelineEntry(
        source=ALERT_SOURCE,
        kind="alert_resolved",
        text=text,
        occurred_at=ends_at,
        link=safe_link(link),
        source_id=f"{fingerprint}:{iso_utc(starts_at)}:resolved",
        details={
            "fingerprint": fingerprint,
            "starts_at": iso_utc(starts_at),
            "ends_at": iso_utc(ends_at),
            "labels": dict(labels),
        },
    )


def inbox_entry(alert: InboxAlert, service_label: str = DEFAULT_SERVICE_LABEL) -> TimelineEntry:
    """One webhook notification as its event: fired, or resolved (at endsAt, else when it was received)."""
    name = alert.name or alert.labels.get("alertname", "")
    if alert.status == "firing":
        return fired_entry(
            name,
            alert.labels,
            _summary(alert.annotations),
            alert.fingerprint,
            alert.starts_at,
            alert.generator_url,
            service_label,
        )
    return resolved_entry(
        name,
        alert.labels,
        alert.fingerprint,
        alert.starts_at,
        alert.ends_at or alert.received_at,
        alert.generator_url,
        service_label,
    )


def polled_entry(alert: Alert, service_label: str = DEFAULT_SERVICE_LABEL) -> TimelineEntry:
    """An alert an alert source holds now as its event (resolved when its end has passed)."""
    fingerprint = fingerprint_of(alert.fingerprint, alert.labels)
    if alert.state == "resolved" and alert.ends_at is not None:
        return resolved_entry(
            alert.name, alert.labels, fingerprint, alert.starts_at, alert.ends_at, alert.link, service_label
        )
    return fired_entry(alert.name, alert.labels, alert.summary, fingerprint, alert.starts_at, alert.link, service_label)
