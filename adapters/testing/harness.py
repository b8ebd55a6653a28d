"""What a conformance case is made of, and how the suite calls an adapter the way the runtime does.

:class:`Env` is one test's backend (a temp directory, a respx router that refuses any request it
was not told about, an exit stack for servers). :class:`Fault` is a failing backend and what every
call it reaches must raise; :class:`Limit` is a promise of the settings (a cap, a filter) checked
by a function of the case. The contract itself is read from :mod:`adapters.base`: the methods of
each capability's Protocol, their arguments and their return types.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import respx
from pydantic import BaseModel

from adapters.base import CAPABILITIES, PROTOCOLS, Adapter, AdapterContext, Capability
from adapters.errors import AdapterError
from adapters.models import EmailMessage, SignalQuery, StatusUpdate, TimeWindow

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
    """One test's backend: the temp directory, the respx router, and what the case's backend set up.

    ``at``, ``window`` and ``oldest`` are the moments the calls ask about (a fixed night in March
    2026 unless the backend moves them); ``data`` holds what a backend hands to the calls
    (health targets, a repository and its commits, a port).
    """

    tmp: Path
    router: respx.MockRouter
    stack: ExitStack
    at: datetime = AT
    window: TimeWindow = WINDOW
    oldest: datetime = OLDEST
    data: dict[str, Any] = field(default_factory=dict)


ArgsFor = Callable[[Env], tuple[Any, ...]]
Settings = dict[str, Any] | Callable[[Env], dict[str, Any]]

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
"""The arguments each Protocol method is called with, unless the case or the fault says otherwise."""


@dataclass(frozen=True)
class Fault:
    """A failing backend, and what every call it reaches must raise (None: answer, checked like any).

    ``methods`` are the calls it reaches (empty: ``check`` and every async method); ``within_s``
    bounds each call, so a backend that never answers must be given up on in time, not waited for.
    """

    id: str
    install: Callable[[Env], None]
    raises: type[AdapterError] | None
    methods: tuple[str, ...] = ()
    settings: Settings = field(default_factory=dict)
    args: dict[str, ArgsFor] = field(default_factory=dict)
    expect: Callable[[Any], bool] | None = None  # with raises=None: what the answer must show
    within_s: float | None = None


@dataclass(frozen=True)
class Limit:
    """A promise of the settings (a cap, a filter), checked by ``run`` on an adapter built with ``settings``."""

    id: str
    run: Callable[[Any, Env], Awaitable[None]]
    settings: Settings = field(default_factory=dict)


def resolve(settings: Settings, env: Env) -> dict[str, Any]:
    """Settings given as a mapping, or computed from the backend (a port, a temp path)."""
    return dict(settings(env) if callable(settings) else settings)


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
    declared = [c for c in CAPABILITIES if c in getattr(cls, "capabilities", ())]
    return [(cap, m) for cap in sorted(declared) for m in protocol_methods(cap)]


def is_async(capability: Capability, method: str) -> bool:
    """Whether the Protocol's method is a coroutine function; the async ones talk to the backend."""
    return inspect.iscoroutinefunction(vars(PROTOCOLS[capability])[method])


def shape_problems(cls: type[Any]) -> list[str]:
    """How the class differs from the Adapter Protocol and the capability Protocols it declares."""
    problems = []
    config_model = getattr(cls, "config_model", None)
    if not (isinstance(config_model, type) and issubclass(config_model, BaseModel)):
        problems.append("config_model is not a pydantic model")
    capabilities = getattr(cls, "capabilities", None)
    if not (isinstance(capabilities, frozenset) and capabilities and capabilities <= set(CAPABILITIES)):
        problems.append(f"capabilities {capabilities!r} is not a non-empty frozenset of {CAPABILITIES}")
    if not inspect.iscoroutinefunction(getattr(cls, "check", None)):
        problems.append("check() is missing or not async")
    wanted, given = _params(vars(Adapter)["__init__"]), tuple(inspect.signature(cls).parameters)
    if given != wanted:
        problems.append(f"__init__{given} differs from {wanted}")
    for capability, method in calls_of(cls):
        problems += _method_problems(cls, capability, method)
    return problems


def _method_problems(cls: type, capability: Capability, method: str) -> list[str]:
    wanted = vars(PROTOCOLS[capability])[method]
    impl = getattr(cls, method, None)
    if not callable(impl):
        return [f"{capability}.{method} is missing"]
    problems = []
    if inspect.iscoroutinefunction(wanted) != inspect.iscoroutinefunction(impl):
        problems.append(f"{capability}.{method} must {'' if is_async(capability, method) else 'not '}be async")
    if _params(wanted) != _params(impl):
        problems.append(f"{capability}.{method}{_params(impl)} differs from the Protocol's {_params(wanted)}")
    return problems


def _params(function: Callable[..., Any]) -> tuple[str, ...]:
    return tuple(p for p in inspect.signature(function).parameters if p != "self")


def build(cls: type[Any], settings: dict[str, Any], http: httpx.AsyncClient, env: Env) -> Any:
    """Construct the adapter the way the runtime does: settings validated by its config_model."""
    config = cls.config_model.model_validate(settings)
    return cls(cls.__name__.lower(), config, http, AdapterContext(base_dir=env.tmp))


async def call(adapter: Any, capability: Capability, method: str, args: tuple[Any, ...]) -> Any:
    """Call one Protocol method (awaited when the Protocol's is async)."""
    result = getattr(adapter, method)(*args)
    return await result if is_async(capability, method) else result
