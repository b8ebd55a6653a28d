"""``sync_timeline``: pull an incident's chat, alerts and deploys into its timeline, incrementally and idempotently.

One source at a time, each bounded by ``SOURCE_DEADLINE_S``: the chat channel through every "chat"
adapter (``chat.py``), the webhook receiver's alert inbox and, as a fallback, every "alerts" adapter
(``alerts.py``), and every "deploys" adapter (``deploys.py``). Every event carries a ``source_id``,
so syncing again adds nothing; a changed chat message or deploy updates its event and keeps the
previous version. A source that fails is reported ``error`` with what it said; what it stored
before failing stays, its cursor does not move, and the next sync picks up from there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import anyio

from adapters.base import AlertSource, ChatSource, DeploySource
from adapters.errors import FirstfifteenError
from adapters.models import ChatMessage, TimeWindow
from mcp_server.runtime import Runtime
from mcp_server.store import IncidentStore
from mcp_server.store.base import MAX_TIMELINE_LIMIT
from mcp_server.store.models import Incident, TimelineEntry
from mcp_server.timeline.alerts import DEFAULT_SERVICE_LABEL, alert_matches, inbox_entry, polled_entry
from mcp_server.timeline.chat import (
    chat_channel,
    cursor_key,
    later_cursor,
    message_entry,
    read_plan,
    source_name,
    vanished,
)
from mcp_server.timeline.deploys import deploy_entry, wanted
from mcp_server.timeline.models import SourceSync, SyncResult, Tally

LOOKBACK = timedelta(minutes=30)
SOURCE_DEADLINE_S = 30.0
INBOX_SOURCE = "webhook"
T = TypeVar("T")
Pending = list[tuple[TimelineEntry, datetime | None]]  # an entry and when it last changed at its source
# A source's failure (an adapter's error, or the store's while writing its events) ends that source only.
_FAILURES = (FirstfifteenError, TimeoutError, ValueError)  # ValueError: a record the timeline refuses


async def sync_timeline(runtime: Runtime, incident_id: str) -> SyncResult:
    """Bring the incident's timeline up to date from every source; safe to run again at any time."""
    incident = await _call(runtime.store.get_incident, incident_id)
    start = incident.started_at - LOOKBACK
    window = TimeWindow(start=start, end=max(runtime.reference_time(), start))
    results = await _sync_chats(runtime, incident.id, window)
    label = service_label(runtime)
    results.append(await _sync_inbox(runtime, incident, window, label))
    for alerts in runtime.alert_sources():
        results.append(await _sync_polled(runtime, incident, alerts, window, label))
    for adapter in runtime.deploy_sources():
        results.append(await _sync_deploys(runtime, incident.id, adapter, window))
    return SyncResult.of(incident.id, window, results)


def service_label(runtime: Runtime) -> str:
    """The alert label naming the service: the first alert adapter's ``service_label``, else ``service``."""
    return next((a.service_label for a in runtime.alert_sources() if a.service_label), DEFAULT_SERVICE_LABEL)


async def _call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking store call in a worker thread."""
    return await anyio.to_thread.run_sync(partial(function, *args, **kwargs))


def write_entries(
    store: IncidentStore, incident_id: str, entries: Pending, tally: Tally, *, update: bool = True
) -> None:
    """Record each entry, counting outcomes as they land (so a failure half-way still reports what was kept).

    With ``update`` a changed entry updates its event (keeping history); without, a known one is left alone.
    """
    for entry, changed_at in entries:
        if update:
            _, outcome = store.upsert_event(incident_id, entry, changed_at=changed_at)
        else:
            _, created = store.append_event(incident_id, entry)
            outcome = "created" if created else "unchanged"
        tally.add(outcome)


def _failed(base: dict[str, Any], tally: Tally, exc: BaseException, **extra: Any) -> SourceSync:
    if isinstance(exc, FirstfifteenError):
        detail = exc.describe()
    elif isinstance(exc, TimeoutError):
        detail = f"no answer within {SOURCE_DEADLINE_S:g}s; sync again later"
    else:
        detail = f"a record was refused: {str(exc)[:500]}"
    return tally.result(base, status="error", detail=detail, **extra)


async def _sync_chats(runtime: Runtime, incident_id: str, window: TimeWindow) -> list[SourceSync]:
    adapters = runtime.chat_sources()
    channel = chat_channel(runtime.config)
    if adapters and not channel:
        detail = "no channel to read: set timeline.channel (or comms.chat_channel) in the config"
        return [SourceSync(source=a.name, capability="chat", status="skipped", detail=detail) for a in adapters]
    return [await _sync_chat(runtime, incident_id, adapter, channel, window) for adapter in adapters]


async def _sync_chat(
    runtime: Runtime, incident_id: str, adapter: ChatSource, channel: str, window: TimeWindow
) -> SourceSync:
    """One chat adapter: read from the cursor (minus the overlap), store, flag deletions, then move the cursor."""
    store, key, source = runtime.store, cursor_key(adapter.name, channel), source_name(adapter.name)
    base: dict[str, Any] = {"source": adapter.name, "capability": "chat"}
    tally = Tally()
    cursor = await _call(store.get_cursor, incident_id, key)
    read_from, passed = read_plan(cursor, window.start)
    try:
        with anyio.fail_after(SOURCE_DEADLINE_S):
            read = await adapter.history(channel, read_from, passed)
        messages, returned = read.messages, read.cursor
        settings = runtime.config.timeline
        entries = [(message_entry(source, m, settings), m.edited_at) for m in messages]
        await _call(write_entries, store, incident_id, entries, tally)
        if passed is None:
            await _call(
                flag_deleted, store, incident_id, source, channel, read_from, messages, read.complete, window.end, tally
            )
        newer = later_cursor(cursor, returned)
        if newer is not None and newer != cursor:
            await _call(store.set_cursor, incident_id, key, newer)
        cursor = newer
    except _FAILURES as exc:
        return _failed(base, tally, exc, read_from=read_from, cursor=cursor)
    return tally.result(base, status="ok", read_from=read_from, cursor=cursor)


def flag_deleted(
    store: IncidentStore,
    incident_id: str,
    source: str,
    channel: str,
    read_from: datetime,
    messages: Sequence[ChatMessage],
    complete: bool,
    now: datetime,
    tally: Tally,
) -> None:
    """Flag the stored messages this read proves deleted (``chat.vanished``), noticed at ``now``."""
    stored, _ = store.get_timeline(incident_id, sources=[source], start=read_from, limit=MAX_TIMELINE_LIMIT)
    for source_id in vanished(stored, list(messages), channel, read_from, complete):
        if store.mark_deleted(incident_id, source, source_id, now):
            tally.add("deleted")


async def _sync_inbox(runtime: Runtime, incident: Incident, window: TimeWindow, label: str) -> SourceSync:
    """The webhook receiver's notifications that overlap the window and match the incident's service."""
    base: dict[str, Any] = {"source": INBOX_SOURCE, "capability": "alert_inbox", "read_from": window.start}
    tally = Tally()
    try:
        found = await _call(runtime.store.list_inbox_alerts, window.start, window.end)
        matched = [a for a in found if alert_matches(a.labels, incident.suspected_service, label)]
        await _call(write_entries, runtime.store, incident.id, [(inbox_entry(a, label), None) for a in matched], tally)
    except _FAILURES as exc:
        return _failed(base, tally, exc)
    detail = f"{len(found)} notifications in the window, {len(matched)} matching the incident"
    return tally.result(base, status="ok", detail=detail)


async def _sync_polled(
    runtime: Runtime, incident: Incident, adapter: AlertSource, window: TimeWindow, label: str
) -> SourceSync:
    """Alerts an alert source holds now (a fallback for missed notifications); known events are left alone."""
    base: dict[str, Any] = {"source": adapter.name, "capability": "alerts", "read_from": window.start}
    tally = Tally()
    try:
        with anyio.fail_after(SOURCE_DEADLINE_S):
            alerts = await adapter.list_alerts(window.end)
        matched = [
            a
            for a in alerts
            if a.starts_at <= window.end
            and (a.ends_at is None or a.ends_at >= window.start)
            and alert_matches(a.labels, incident.suspected_service, label)
        ]
        entries: Pending = [(polled_entry(a, label), None) for a in matched]
        await _call(write_entries, runtime.store, incident.id, entries, tally, update=False)
    except _FAILURES as exc:
        return _failed(base, tally, exc)
    return tally.result(base, status="ok")


async def _sync_deploys(runtime: Runtime, incident_id: str, adapter: DeploySource, window: TimeWindow) -> SourceSync:
    """Deploys and rollbacks that started or finished in the window, one event per deploy and status."""
    base: dict[str, Any] = {"source": adapter.name, "capability": "deploys", "read_from": window.start}
    tally = Tally()
    try:
        with anyio.fail_after(SOURCE_DEADLINE_S):
            deploys = await adapter.list_deploys(window)
        environments = runtime.config.deploys.environments
        source = source_name(adapter.name)
        entries: Pending = [(deploy_entry(source, d), None) for d in deploys if wanted(d, environments)]
        await _call(write_entries, runtime.store, incident_id, entries, tally)
    except _FAILURES as exc:
        return _failed(base, tally, exc)
    return tally.result(base, status="ok")
