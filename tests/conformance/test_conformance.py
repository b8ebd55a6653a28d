"""Every built-in adapter, found through the ``firstfifteen.adapters`` entry points, against the contract.

For each one and each capability it declares (adapters/base.py): the class has the Protocol's
methods (async where the Protocol's are); built from its ``config_model`` and given a working
backend, ``check()`` and every method answer with adapters.models only, datetimes in UTC, nothing
outside the asked window; fed failing backends, it raises only the documented adapters.errors
class; its settings' caps hold; and after every call it has closed what it opened, but never the
shared HTTP client. The cases (backends, faults, limits) are in the conformance_* modules.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conformance_harness import (
    CONSTRUCT,
    DEFAULT_ARGS,
    Case,
    Env,
    Fault,
    Opened,
    build,
    call,
    calls_of,
    check_answer,
    check_failure,
    protocol_attributes,
    reaches_backend,
    shape_problems,
)
from conformance_hosted import ALERTMANAGER, HTTP_HEALTH, PROMETHEUS, STATUSPAGE
from conformance_local import DEPLOY_FILE, GIT, REPLAY, SMTP, STATIC_STATUS
from conformance_vendors import ARGOCD, GITHUB, LOKI_CASE, SLACK_CASE, STATUSPAGE_API

from adapters.registry import installed_adapters, load_adapter_class

pytestmark = pytest.mark.anyio

CASES: dict[str, Case] = {
    "prometheus": PROMETHEUS,
    "alertmanager": ALERTMANAGER,
    "http": HTTP_HEALTH,
    "statuspage": STATUSPAGE,
    "deploy_file": DEPLOY_FILE,
    "github": GITHUB,
    "argocd": ARGOCD,
    "git": GIT,
    "slack": SLACK_CASE,
    "statuspage_api": STATUSPAGE_API,
    "static_status": STATIC_STATUS,
    "smtp": SMTP,
    "replay": REPLAY,
    "loki": LOKI_CASE,
}
# Built-ins are the entry points this project registers (pyproject.toml); a third-party package's are its own.
BUILTINS = [name for name in installed_adapters() if load_adapter_class(name).__module__.startswith("adapters.")]


def case_of(type_name: str) -> Case:
    """The case of an adapter type; a built-in without one fails here."""
    assert type_name in CASES, f"built-in adapter {type_name!r} has no conformance case: add one to CASES"
    return CASES[type_name]


def assert_closed(opened: Opened, http: httpx.AsyncClient) -> None:
    """Nothing the adapter opened is left open, and the shared client is still open."""
    assert not opened.left_open(), f"left open: {opened.left_open()}"
    assert not http.is_closed, "the adapter closed the shared HTTP client"


def test_every_builtin_adapter_has_a_case() -> None:
    assert len(BUILTINS) >= 13, f"only {BUILTINS} registered: is the package installed (pip install -e .)?"
    assert sorted(set(BUILTINS) - set(CASES)) == [], "built-in adapters without a conformance case"
    assert sorted(set(CASES) - set(BUILTINS)) == [], "cases of adapters that are not registered"


@pytest.mark.parametrize("type_name", BUILTINS)
def test_class_has_the_shape_of_its_protocols(type_name: str) -> None:
    case_of(type_name)
    assert shape_problems(load_adapter_class(type_name)) == []


@pytest.mark.parametrize("type_name", BUILTINS)
async def test_answers_are_our_models_in_utc_and_inside_the_window(
    type_name: str, env: Env, http: httpx.AsyncClient, opened: Opened
) -> None:
    cls, case = load_adapter_class(type_name), case_of(type_name)
    case.backend(env)
    adapter = build(cls, case.settings(env), http, env)
    for capability in cls.capabilities:
        for attribute in protocol_attributes(capability):
            assert isinstance(getattr(adapter, attribute, None), str), f"{capability}: no {attribute}"
    summary = await adapter.check()
    assert isinstance(summary, str) and summary
    assert_closed(opened, http)
    for capability, method in calls_of(cls):
        args = case.args.get(method, DEFAULT_ARGS[method])(env)
        value = await call(adapter, capability, method, args)
        check_answer(value, capability, method, args)
        assert value or value == "", f"{method}: an empty answer from a working backend proves nothing"
        assert_closed(opened, http)


FAULTS = [
    pytest.param(name, fault, id=f"{name}-{fault.id}")
    for name in BUILTINS
    if name in CASES
    for fault in CASES[name].faults
]


@pytest.mark.parametrize(("type_name", "fault"), FAULTS)
async def test_failing_backends_raise_only_documented_errors(
    type_name: str, fault: Fault, env: Env, http: httpx.AsyncClient, opened: Opened
) -> None:
    cls, case = load_adapter_class(type_name), case_of(type_name)
    fault.install(env)
    settings = {**case.settings(env), **fault.settings}
    if CONSTRUCT in fault.methods:
        with pytest.raises(Exception) as info:
            build(cls, settings, http, env)
        assert fault.raises is not None
        check_failure(info.value, fault.raises)
        return
    adapter = build(cls, settings, http, env)
    reached = [("", "check")] + [(cap, m) for cap, m in calls_of(cls) if reaches_backend(cap, m)]
    reached = [(cap, m) for cap, m in reached if not fault.methods or m in fault.methods]
    assert reached, f"fault {fault.id} reaches none of {type_name}'s calls"
    for capability, method in reached:
        outcome = await _outcome(adapter, capability, method, {**case.args, **fault.args}, env)
        if isinstance(outcome, BaseException):
            assert fault.raises is not None, f"{method} raised {outcome!r}; expected an answer"
            check_failure(outcome, fault.raises)
        else:
            assert fault.raises is None, f"{method} answered {outcome!r}; expected {fault.raises.__name__}"
            assert fault.expect is None or fault.expect(outcome), f"{method} answered {outcome!r}"
        assert_closed(opened, http)


async def _outcome(adapter: Any, capability: Any, method: str, overrides: dict[str, Any], env: Env) -> Any:
    """The answer of one call, checked like any answer, or the exception it raised."""
    if method == "check":
        try:
            return await adapter.check()
        except Exception as exc:  # noqa: BLE001 - which class it is, is what the test checks
            return exc
    args = overrides.get(method, DEFAULT_ARGS[method])(env)
    try:
        value = await call(adapter, capability, method, args)
    except Exception as exc:  # noqa: BLE001
        return exc
    check_answer(value, capability, method, args)
    return value


LIMITS = [
    pytest.param(name, limit, id=f"{name}-{limit.id}")
    for name in BUILTINS
    if name in CASES
    for limit in CASES[name].limits
]


@pytest.mark.parametrize(("type_name", "limit"), LIMITS)
async def test_settings_caps_hold(
    type_name: str, limit: Any, env: Env, http: httpx.AsyncClient, opened: Opened
) -> None:
    cls, case = load_adapter_class(type_name), case_of(type_name)
    case.backend(env)
    adapter = build(cls, {**case.settings(env), **limit.settings}, http, env)
    await limit.run(adapter, env)
    assert_closed(opened, http)
