"""``firstfifteen doctor``: check a config against the systems it names, one row per part.

Rows come from plain functions, each testable alone: the ``${VAR}`` references (:func:`env_rows`), the
config itself (:func:`load_row`), every adapter's ``check()`` in parallel within one deadline
(:func:`adapter_rows`), whether each signal query returns data for a configured service
(:func:`signal_rows`), and the incident store (:func:`store_row`). A row is ok, warn or fail, with the
next step when it is not ok; any fail makes the run fail.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel

from adapters.base import Adapter, MetricsSource
from adapters.errors import AdapterError, ConfigError, FirstfifteenError
from adapters.models import SignalName
from mcp_server.config import ENV_REFERENCE, Config, config_file, load_config
from mcp_server.runtime import Runtime
from mcp_server.signals import build_query
from mcp_server.store import describe_location, open_store, resolve_location

Level = Literal["ok", "warn", "fail"]
DOCTOR_SIGNALS: tuple[SignalName, ...] = ("requests", "errors", "latency")
"""The route signals read the same metrics as requests and errors: checking these three covers them."""


class CheckRow(BaseModel):
    """One line of the doctor's table."""

    source: str
    status: Level
    detail: str
    next_step: str = ""


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def env_rows(path: str | Path, environ: Mapping[str, str] | None = None) -> list[CheckRow]:
    """One row per ``${VAR}`` the file's values reference (comments do not count): fail when unset without default."""
    env = os.environ if environ is None else environ
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return []  # load_row reports an unreadable file
    references: dict[str, bool] = {}
    for text in _strings(raw):
        for match in ENV_REFERENCE.finditer(text):
            references[match.group(1)] = references.get(match.group(1), False) or match.group(2) is not None
    rows = []
    for name, has_default in sorted(references.items()):
        if name in env:
            rows.append(CheckRow(source=f"env {name}", status="ok", detail="set"))
        elif has_default:
            rows.append(CheckRow(source=f"env {name}", status="ok", detail="not set: its default is used"))
        else:
            rows.append(
                CheckRow(source=f"env {name}", status="fail", detail="not set", next_step=f"export {name}=... first")
            )
    return rows


def load_row(path: str | None, environment: str | None) -> tuple[CheckRow, Config | None]:
    """Load and validate the config: ok with what it holds, or fail with each problem's key path."""
    try:
        config = load_config(path, environment)
    except ConfigError as exc:
        return CheckRow(source="config", status="fail", detail=exc.message, next_step=exc.hint), None
    detail = f"{config_file(path)}: {len(config.services)} services, environment {config.environment}"
    return CheckRow(source="config", status="ok", detail=detail), config


def _timed_out(source: str, deadline: float, next_step: str = "") -> CheckRow:
    return CheckRow(source=source, status="fail", detail=f"no answer within {deadline:g}s", next_step=next_step)


def _error_row(source: str, exc: FirstfifteenError) -> CheckRow:
    detail = "; ".join(p for p in (exc.message, exc.request and f"request: {exc.request}", exc.upstream) if p)
    return CheckRow(source=source, status="fail", detail=detail, next_step=exc.hint)


async def adapter_rows(runtime: Runtime, deadline: float) -> list[CheckRow]:
    """Every adapter's ``check()`` at once, each bounded by ``deadline`` seconds."""

    async def one(name: str, adapter: Adapter) -> CheckRow:
        try:
            detail = await asyncio.wait_for(adapter.check(), timeout=deadline)
        except TimeoutError:
            return _timed_out(
                name, deadline, "Check that the URL is reachable from here, or raise triage.deadline_seconds."
            )
        except AdapterError as exc:
            return _error_row(name, exc)
        return CheckRow(source=name, status="ok", detail=detail)

    return list(await asyncio.gather(*(one(n, a) for n, a in runtime.adapters.items())))


async def signal_rows(runtime: Runtime, deadline: float, at: datetime) -> list[CheckRow]:
    """Each signal's query, for all services, at ``at``: ok when it answers for at least one configured service."""
    sources = runtime.metrics_sources()
    if not sources:
        hint = "Add a prometheus adapter under adapters: (see docs/configuration.md)."
        return [CheckRow(source="signals", status="warn", detail="no metrics source configured", next_step=hint)]
    source, config = sources[0], runtime.config
    window = config.triage.window_minutes * 60
    checks = [_signal_row(source, config, signal, (window, at), deadline) for signal in DOCTOR_SIGNALS]
    return list(await asyncio.gather(*checks))


async def _signal_row(
    source: MetricsSource, config: Config, signal: SignalName, when: tuple[int, datetime], deadline: float
) -> CheckRow:
    window, at = when
    services = [s.name for s in config.services]
    query = build_query(config.signals, signal, services, range_seconds=window, quantile=0.99)
    label = config.signals.service_label
    try:
        samples = await asyncio.wait_for(source.instant(query, at), timeout=deadline)
    except TimeoutError:
        return _timed_out(f"signal {signal}", deadline)
    except AdapterError as exc:
        return _error_row(f"signal {signal}", exc)
    found = sorted({s.labels.get(label, "") for s in samples if s.value is not None} & set(services))
    if found:
        return CheckRow(source=f"signal {signal}", status="ok", detail=f"data for {', '.join(found)}")
    hint = (
        f"Check signals.preset ({config.signals.preset}) and signals.service_label ({label}) against your "
        f"metric names (docs/configuration.md, Metric conventions); the query was: {query.promql}"
    )
    if signal == "errors":  # a healthy system may have had no failed request at all
        return CheckRow(
            source="signal errors", status="warn", detail="no failed requests in the window", next_step=hint
        )
    return CheckRow(source=f"signal {signal}", status="fail", detail="no data for any service", next_step=hint)


def store_row(config: Config) -> CheckRow:
    """Open the incident store (creating and migrating it as needed), read it, and check it is writable."""
    try:
        where = describe_location(config.store, base_dir=config.base_dir)
        location = resolve_location(config.store, base_dir=config.base_dir)
        with open_store(config.store, base_dir=config.base_dir) as store:
            store.list_incidents(limit=1)
    except FirstfifteenError as exc:
        return _error_row("store", exc)
    except OSError as exc:
        return CheckRow(source="store", status="fail", detail=f"{exc}", next_step="Set store.path to a writable file.")
    if isinstance(location, Path) and not all(os.access(p, os.W_OK) for p in (location, location.parent)):
        hint = "Make the file and its directory writable, or set store.path elsewhere."
        return CheckRow(source="store", status="fail", detail=f"{where} is not writable", next_step=hint)
    return CheckRow(source="store", status="ok", detail=f"{where} opens and is writable")
