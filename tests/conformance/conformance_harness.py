"""The conformance harness: what a case is, how its calls are made, and the checks every answer passes.

A :class:`Case` says how to run one adapter type against a working backend (respx routes, a real
git repository, temp files, a local SMTP server, a bundled scenario), which failing backends to
feed it (:class:`Fault`), and which of its settings' promises to test (:class:`Limit`). The checks
themselves are generic and live here: answers are the project's models and nothing else, every
datetime is UTC, nothing outside the asked window comes back, only ``adapters.errors`` classes are
raised, and nothing the adapter opened is left open.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import smtplib
import typing
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import UnionType
from typing import Any

import httpx
import pytest
import respx
from pydantic import BaseModel

from adapters.base import CAPABILITIES, PROTOCOLS, Adapter, AdapterContext, Capability
from adapters.errors import AdapterError
from adapters.models import (
    Alert,
    ChatMessage,
    Deploy,
    EmailMessage,
    LogLine,
    Model,
    Point,
    ProviderEvent,
    SignalQuery,
    StatusUpdate,
    TimeWindow,
)

AT = datetime(2026, 3, 14, 3, 7, tzinfo=UTC)
WINDOW = TimeWindow(start=datetime(2026, 3, 14, 2, 0, tzinfo=UTC), end=AT)
OLDEST = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
QUERY = SignalQuery(signal="requests", promql="sum by (service) (rate(http_requests_total[15m]))", range_seconds=900)
STEP = timedelta(minutes=1)
LOGQL = '{service="checkout"} |= "error"'
UPDATE = StatusUpdate(
    incident_key="inc-42",
    title="Elevated checkout errors",
    status="investigating",
    body="We are investigating failed checkouts.",
    components={"Checkout": "partial_outage"},
)
EMAIL = EmailMessage(
    to=["cto@example.com"],
    subject="[SEV2] Checkout errors",
    body="Impact: 4% of checkouts fail.",
    sender="i@example.com",
)
CONSTRUCT = "__init__"  # a fault that makes construction itself fail names this "method"


@dataclass
class Env:
    """One test's backend: the temp directory, the respx router, and what the case's backend set up."""

    tmp: Path
    router: respx.MockRouter
    stack: ExitStack
    at: datetime = AT
    window: TimeWindow = WINDOW
    oldest: datetime = OLDEST
    data: dict[str, Any] = field(default_factory=dict)


ArgsFor = Callable[[Env], tuple[Any, ...]]

DEFAULT_ARGS: dict[str, ArgsFor] = {
    "instant": lambda env: (QUERY, env.at),
    "range": lambda env: (QUERY, env.window, STEP),
    "query_link": lambda env: (QUERY.promql, env.window),
    "list_deploys": lambda env: (env.window,),
    "list_events": lambda env: (env.window,),
    "list_alerts": lambda env: (env.at,),
    "history": lambda env: ("C0INCIDENT", env.oldest, None),
    "post_message": lambda env: ("C0INCIDENT", "Update: rolled back"),
    "post_update": lambda env: (UPDATE,),
    "send": lambda env: (EMAIL,),
    "query_logs": lambda env: (LOGQL, env.window, 100),
    # Case-specific: health targets, repos and commits come from the case's backend.
    "accepts": lambda env: (env.data["targets"][0].url,),
    "check_health": lambda env: (env.data["targets"], env.at),
    "knows": lambda env: (env.data["repo"],),
    "get_changes": lambda env: (env.data["repo"], env.data["base"], env.data["head"]),
}


@dataclass(frozen=True)
class Fault:
    """A failing backend, and what every call it reaches must raise (None: answer, checked like any)."""

    id: str
    install: Callable[[Env], None]
    raises: type[AdapterError] | None
    methods: tuple[str, ...] = ()  # the calls it reaches; () = every call that reaches the backend, and check
    settings: dict[str, Any] = field(default_factory=dict)
    args: dict[str, ArgsFor] = field(default_factory=dict)
    expect: Callable[[Any], bool] | None = None  # with raises=None: what the answer must show


@dataclass(frozen=True)
class Limit:
    """A promise of the settings (a cap, a filter), checked by ``run`` on an adapter built with ``settings``."""

    id: str
    run: Callable[[Any, Env], Awaitable[None]]
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """How to run one adapter type: its settings, a working backend, faults and limits."""

    settings: Callable[[Env], dict[str, Any]]
    backend: Callable[[Env], None]
    faults: tuple[Fault, ...]
    limits: tuple[Limit, ...] = ()
    args: dict[str, ArgsFor] = field(default_factory=dict)


# --- The contract, read from adapters/base.py ---------------------------------------------------


def protocol_methods(capability: Capability) -> list[str]:
    """The methods of a capability's Protocol, in definition order."""
    protocol = PROTOCOLS[capability]
    return [n for n, v in vars(protocol).items() if inspect.isfunction(v) and not n.startswith("_")]


def protocol_attributes(capability: Capability) -> list[str]:
    """The data members of a capability's Protocol (``name``, ``service_label``)."""
    return list(vars(PROTOCOLS[capability]).get("__annotations__", {}))


def calls_of(cls: type) -> list[tuple[Capability, str]]:
    """Every (capability, method) the class declares, in a stable order."""
    return [(cap, m) for cap in sorted(cls.capabilities) for m in protocol_methods(cap)]


def is_async(capability: Capability, method: str) -> bool:
    """Whether the Protocol's method is a coroutine function."""
    return inspect.iscoroutinefunction(vars(PROTOCOLS[capability])[method])


def shape_problems(cls: type) -> list[str]:
    """How the class differs from the Adapter Protocol and the capability Protocols it declares."""
    problems = []
    if not (isinstance(cls.config_model, type) and issubclass(cls.config_model, BaseModel)):
        problems.append("config_model is not a pydantic model")
    if not (isinstance(cls.capabilities, frozenset) and cls.capabilities and cls.capabilities <= set(CAPABILITIES)):
        problems.append(f"capabilities {cls.capabilities!r} is not a non-empty frozenset of {CAPABILITIES}")
    if not inspect.iscoroutinefunction(getattr(cls, "check", None)):
        problems.append("check() is missing or not async")
    if _params(cls.__init__) != _params(Adapter.__init__):
        problems.append(f"__init__{_params(cls.__init__)} differs from {_params(Adapter.__init__)}")
    for capability, method in calls_of(cls):
        wanted = vars(PROTOCOLS[capability])[method]
        impl = getattr(cls, method, None)
        if not callable(impl):
            problems.append(f"{capability}.{method} is missing")
            continue
        if inspect.iscoroutinefunction(wanted) != inspect.iscoroutinefunction(impl):
            problems.append(f"{capability}.{method} must {'' if is_async(capability, method) else 'not '}be async")
        if _params(wanted) != _params(impl):
            problems.append(f"{capability}.{method}{_params(impl)} differs from the Protocol's {_params(wanted)}")
    return problems


def _params(function: Callable[..., Any]) -> tuple[str, ...]:
    return tuple(p for p in inspect.signature(function).parameters if p != "self")


def build(cls: type, settings: dict[str, Any], http: httpx.AsyncClient, env: Env) -> Any:
    """Construct the adapter the way the runtime does: settings validated by its config_model."""
    config = cls.config_model.model_validate(settings)
    return cls(cls.__name__.lower(), config, http, AdapterContext(base_dir=env.tmp))


async def call(adapter: Any, capability: Capability, method: str, args: tuple[Any, ...]) -> Any:
    """Call one Protocol method (awaited when the Protocol's is async)."""
    result = getattr(adapter, method)(*args)
    return await result if is_async(capability, method) else result


def reaches_backend(capability: Capability, method: str) -> bool:
    """Async methods talk to the backend; the sync ones (query_link, accepts, knows) must not."""
    return is_async(capability, method)


# --- Answer checks --------------------------------------------------------------------------------


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


def _walk(value: Any) -> typing.Iterator[Any]:
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
    assert error.message and error.hint


# --- Resources the adapter opens ------------------------------------------------------------------


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
        found += [f"SMTP session to {s._host}" for s in self.sessions if s.sock is not None]
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
