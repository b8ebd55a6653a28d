"""The checks every answer and every failure passes, and the record of what an adapter opened.

Answers are the Protocol's return type, made of :mod:`adapters.models` only (no vendor JSON, no
model that skips validation), every datetime is UTC, and nothing outside the asked window, moment
or start comes back. Failures are exactly the expected :mod:`adapters.errors` class, with a message
and a hint. :class:`Opened` records every HTTP client, SMTP session and subprocess made while it
is active, and open files under the test's directory, so a leak after any call is seen.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import smtplib
import typing
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import UnionType
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from adapters.base import PROTOCOLS, Capability
from adapters.errors import AdapterError
from adapters.models import Alert, ChatMessage, Deploy, LogLine, LogQueryResult, Model, Point, ProviderEvent


def check_answer(value: Any, capability: Capability, method: str, args: tuple[Any, ...]) -> None:
    """The answer has the Protocol's return type, is made of our models, UTC, and inside the asked window."""
    function = vars(PROTOCOLS[capability])[method]
    expected = typing.get_type_hints(function)["return"]
    assert _conforms(value, expected), f"{method} answered {type(value).__name__}, not {expected}"
    asked = inspect.signature(function).bind(None, *args).arguments
    for item in _walk(value):
        if isinstance(item, BaseModel):
            assert isinstance(item, Model), f"{type(item).__name__} is not one of adapters.models"
            # model_construct or a mutated model could carry anything: its values must pass validation.
            assert type(item).model_validate(dict(item)) == item, f"{type(item).__name__} does not validate"
            _check_window(item, asked)
        elif isinstance(item, datetime):
            assert item.tzinfo is not None and item.utcoffset() == timedelta(0), f"{item!r} is not UTC"
        elif not isinstance(item, list | dict):  # containers are walked into
            assert isinstance(item, str | int | float | bool | type(None)), f"vendor value {item!r} in the answer"
    if isinstance(value, LogQueryResult) and isinstance(asked.get("limit"), int):
        assert len(value.lines) <= asked["limit"], f"{len(value.lines)} lines answered for limit={asked['limit']}"


def _conforms(value: Any, expected: Any) -> bool:
    origin = typing.get_origin(expected)
    if origin is list:
        (inner,) = typing.get_args(expected)
        return isinstance(value, list) and all(_conforms(v, inner) for v in value)
    if origin in (typing.Union, UnionType):
        return any(_conforms(value, option) for option in typing.get_args(expected))
    if expected is type(None):
        return value is None
    return isinstance(value, expected) and (expected is not int or not isinstance(value, bool))


def _walk(value: Any) -> Iterator[Any]:
    """Every value in an answer, models and containers included, depth first."""
    yield value
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), f"non-string key {key!r}"
            yield from _walk(item)


def _check_window(item: BaseModel, asked: dict[str, Any]) -> None:
    """Nothing outside the asked window, moment or start comes back."""
    window, at, oldest = asked.get("window"), asked.get("at"), asked.get("oldest")
    if isinstance(item, Deploy) and window is not None:
        running = item.finished_at is None and item.status == "in_progress"
        assert item.started_at <= window.end, f"deploy {item.id} starts after {window.label()}"
        assert running or (item.finished_at or item.started_at) >= window.start, f"deploy {item.id} ended before"
    if isinstance(item, ProviderEvent) and window is not None:
        assert item.started_at is None or item.started_at <= window.end, f"event {item.id} starts after the window"
        assert item.resolved_at is None or item.resolved_at >= window.start, f"event {item.id} ended before it"
    if isinstance(item, Point) and window is not None:
        assert window.start <= item.t <= window.end, f"point {item.t} outside {window.label()}"
    if isinstance(item, LogLine) and window is not None:
        assert window.start <= item.t <= window.end, f"log line at {item.t} outside {window.label()}"
    if isinstance(item, Alert) and at is not None:
        assert item.starts_at <= at, f"alert {item.name} starts after {at}"
    if isinstance(item, ChatMessage) and oldest is not None:
        assert item.posted_at >= oldest, f"message {item.ts} is older than {oldest}"


def check_failure(error: BaseException, expected: type[AdapterError]) -> None:
    """Only documented errors: exactly the expected adapters.errors class, with a message and a hint."""
    assert isinstance(error, AdapterError), f"{type(error).__name__} escaped: {error!r}"
    assert type(error).__module__ == "adapters.errors", f"{type(error).__name__} is not from adapters.errors"
    assert type(error) is expected, f"raised {type(error).__name__}, expected {expected.__name__}: {error}"
    assert error.message and error.hint, f"{type(error).__name__} has no message or no hint"


class Opened:
    """Records every HTTP client, SMTP session and subprocess created while it is active, and open files."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
        self.root = str(root.resolve())
        self.clients: list[httpx.AsyncClient | httpx.Client] = []
        self.sessions: list[smtplib.SMTP] = []
        self.processes: list[asyncio.subprocess.Process] = []
        for cls in (httpx.AsyncClient, httpx.Client):
            monkeypatch.setattr(cls, "__init__", self._recording(cls.__init__, self.clients))
        monkeypatch.setattr(smtplib.SMTP, "__init__", self._recording(smtplib.SMTP.__init__, self.sessions))
        spawn = asyncio.create_subprocess_exec

        async def spawn_recorded(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
            process = await spawn(*args, **kwargs)
            self.processes.append(process)
            return process

        monkeypatch.setattr(asyncio, "create_subprocess_exec", spawn_recorded)

    @staticmethod
    def _recording(init: Callable[..., None], into: list[Any]) -> Callable[..., None]:
        def recorded(instance: Any, *args: Any, **kwargs: Any) -> None:
            into.append(instance)  # before init: an SMTP whose connect fails must still be seen closed
            init(instance, *args, **kwargs)

        return recorded

    def left_open(self) -> list[str]:
        """What the adapter opened and did not close."""
        found = [f"httpx client {c!r}" for c in self.clients if not c.is_closed]
        found += [f"SMTP session to {getattr(s, '_host', '?')}" for s in self.sessions if s.sock is not None]
        found += [f"process {p.pid}" for p in self.processes if p.returncode is None]
        return found + [f"file {path}" for path in _open_files() if path.startswith(self.root)]


def _open_files() -> list[str]:
    paths = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            paths.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue  # closed while listing
    return paths
