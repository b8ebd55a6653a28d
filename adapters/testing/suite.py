"""The conformance suite: a test class a package subclasses with one :class:`ConformanceCase`.

::

    class TestPagerDutyConformance(ConformanceSuite):
        case = ConformanceCase(
            entry_point="pagerduty",
            adapter=PagerDutyAdapter,
            settings={"token": "t0ken", "services": {"PIJ90N7": "checkout"}},
            backend=recorded(RECORDED / "routes.json"),
            url_setting="base_url",
            deadline_setting="deadline_s",
        )

With the plugin loaded (``pytest_plugins = ["adapters.testing.plugin"]``), every subclass gets the
tests below, parametrized by the plugin: found through its entry point, the shape of its
Protocols, settings that refuse an unknown key, ``check()`` on a working backend, one test per
Protocol method (typed models, UTC, inside the window, nothing left open), one per failing backend
(only the documented error, within the deadline, nothing left open) and one per limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import anyio
import httpx
import pytest
from pydantic import ValidationError

from adapters.base import Capability
from adapters.registry import load_adapter_class
from adapters.testing.checks import Opened, check_answer, check_failure
from adapters.testing.faults import HTTP_FAULTS, loopback_faults
from adapters.testing.harness import (
    CONSTRUCT,
    DEFAULT_ARGS,
    ArgsFor,
    Env,
    Fault,
    Limit,
    Settings,
    build,
    call,
    calls_of,
    is_async,
    protocol_attributes,
    resolve,
    shape_problems,
)


def _nothing(env: Env) -> None:
    """A backend with nothing to set up (an adapter that needs no server)."""


@dataclass(frozen=True)
class ConformanceCase:
    """How to run one adapter type against a working backend, which failures to feed it, which caps to test.

    ``entry_point`` is the name in the ``firstfifteen.adapters`` group; ``adapter`` the class it must
    load (given by a third-party package, so the test proves the installed entry point is its own).
    ``standard_faults`` are the failures every call must map (the HTTP ones unless the adapter is
    not HTTP); with ``url_setting`` and ``deadline_setting`` (top-level settings of the base URL
    and of the deadline in seconds) the real loopback failures are added. ``faults`` and ``limits``
    are the case's own. ``args`` overrides the arguments of a method (see ``DEFAULT_ARGS``).
    """

    entry_point: str
    settings: Settings
    backend: Any = _nothing  # Callable[[Env], None]: respx routes, files, a server
    adapter: type[Any] | None = None
    faults: tuple[Fault, ...] = ()
    standard_faults: tuple[Fault, ...] = HTTP_FAULTS
    url_setting: str = ""
    deadline_setting: str = ""
    limits: tuple[Limit, ...] = ()
    args: dict[str, ArgsFor] = field(default_factory=dict)

    def adapter_class(self) -> type[Any]:
        """The class under test: the given one, or the one the entry point names."""
        return self.adapter if self.adapter is not None else load_adapter_class(self.entry_point)

    def all_faults(self) -> tuple[Fault, ...]:
        """The standard failures, the loopback ones when the URL setting is named, and the case's own."""
        loopback = loopback_faults(self.url_setting, self.deadline_setting) if self.url_setting else ()
        return (*self.standard_faults, *loopback, *self.faults)


def assert_closed(opened: Opened, http: httpx.AsyncClient) -> None:
    """Nothing the adapter opened is left open, and the shared client is still open."""
    assert not opened.left_open(), f"left open: {opened.left_open()}"
    assert not http.is_closed, "the adapter closed the shared HTTP client"


class ConformanceSuite:
    """Subclass it as ``Test...`` with a ``case``; the plugin turns the methods below into tests."""

    case: ClassVar[ConformanceCase]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A case without limits (or failures) has no such tests, rather than a skipped one."""
        super().__init_subclass__(**kwargs)
        case = getattr(cls, "case", None)
        if case is None:
            return  # an intermediate base: its subclasses name the case
        if not case.limits:
            cls.test_settings_caps_hold = None  # type: ignore[assignment,method-assign]
        if not case.all_faults():
            cls.test_failing_backend_raises_only_documented_errors = None  # type: ignore[assignment,method-assign]

    def test_found_through_its_entry_point(self) -> None:
        loaded = load_adapter_class(self.case.entry_point)
        if self.case.adapter is not None:
            assert loaded is self.case.adapter, f"entry point {self.case.entry_point!r} loads {loaded!r}"

    def test_class_has_the_shape_of_its_protocols(self) -> None:
        assert shape_problems(self.case.adapter_class()) == []

    def test_settings_refuse_an_unknown_key(self, conformance_env: Env) -> None:
        config_model = self.case.adapter_class().config_model
        self.case.backend(conformance_env)  # settings may name what the backend set up (a port, a path)
        settings = resolve(self.case.settings, conformance_env)
        config_model.model_validate(settings)  # the case's own settings are valid
        with pytest.raises(ValidationError):
            config_model.model_validate({**settings, "no_such_setting": 1})

    @pytest.mark.anyio
    async def test_check_answers_on_a_working_backend(
        self, conformance_env: Env, conformance_http: httpx.AsyncClient, conformance_opened: Opened
    ) -> None:
        adapter = self._working(conformance_env, conformance_http)
        for capability in sorted(self.case.adapter_class().capabilities):
            for attribute in protocol_attributes(capability):
                assert isinstance(getattr(adapter, attribute, None), str), f"{capability}: no {attribute}"
        summary = await adapter.check()
        assert isinstance(summary, str) and summary, f"check() answered {summary!r}: say what answered"
        assert_closed(conformance_opened, conformance_http)

    @pytest.mark.anyio
    async def test_answers_are_our_models_in_utc_inside_the_window(
        self,
        conformance_call: tuple[Capability, str],
        conformance_env: Env,
        conformance_http: httpx.AsyncClient,
        conformance_opened: Opened,
    ) -> None:
        capability, method = conformance_call
        adapter = self._working(conformance_env, conformance_http)
        args = self.case.args.get(method, DEFAULT_ARGS[method])(conformance_env)
        value = await call(adapter, capability, method, args)
        check_answer(value, capability, method, args)
        assert value or value == "", f"{method}: an empty answer from a working backend proves nothing"
        assert_closed(conformance_opened, conformance_http)

    @pytest.mark.anyio
    async def test_failing_backend_raises_only_documented_errors(
        self,
        conformance_fault: Fault,
        conformance_env: Env,
        conformance_http: httpx.AsyncClient,
        conformance_opened: Opened,
    ) -> None:
        fault, env, cls = conformance_fault, conformance_env, self.case.adapter_class()
        fault.install(env)
        settings = {**resolve(self.case.settings, env), **resolve(fault.settings, env)}
        if CONSTRUCT in fault.methods:
            with pytest.raises(Exception) as info:
                build(cls, settings, conformance_http, env)
            assert fault.raises is not None
            check_failure(info.value, fault.raises)
            return
        adapter = build(cls, settings, conformance_http, env)
        reached: list[tuple[Any, str]] = [("", "check")] + [(c, m) for c, m in calls_of(cls) if is_async(c, m)]
        reached = [(c, m) for c, m in reached if not fault.methods or m in fault.methods]
        assert reached, f"fault {fault.id} reaches none of {cls.__name__}'s calls"
        for capability, method in reached:
            outcome = await _outcome(adapter, capability, method, {**self.case.args, **fault.args}, env, fault)
            if isinstance(outcome, BaseException):
                assert fault.raises is not None, f"{method} raised {outcome!r}; expected an answer"
                check_failure(outcome, fault.raises)
            else:
                assert fault.raises is None, f"{method} answered {outcome!r}; expected {fault.raises.__name__}"
                assert fault.expect is None or fault.expect(outcome), f"{method} answered {outcome!r}"
            assert_closed(conformance_opened, conformance_http)

    @pytest.mark.anyio
    async def test_settings_caps_hold(
        self,
        conformance_limit: Limit,
        conformance_env: Env,
        conformance_http: httpx.AsyncClient,
        conformance_opened: Opened,
    ) -> None:
        env = conformance_env
        self.case.backend(env)
        settings = {**resolve(self.case.settings, env), **resolve(conformance_limit.settings, env)}
        adapter = build(self.case.adapter_class(), settings, conformance_http, env)
        await conformance_limit.run(adapter, env)
        assert_closed(conformance_opened, conformance_http)

    def _working(self, env: Env, http: httpx.AsyncClient) -> Any:
        self.case.backend(env)
        return build(self.case.adapter_class(), resolve(self.case.settings, env), http, env)


async def _outcome(
    adapter: Any, capability: Any, method: str, overrides: dict[str, ArgsFor], env: Env, fault: Fault
) -> Any:
    """The answer of one call, checked like any answer, or the exception it raised (in time)."""
    args = () if method == "check" else overrides.get(method, DEFAULT_ARGS[method])(env)
    with anyio.move_on_after(fault.within_s) as scope:  # None: no bound
        try:
            value = await (adapter.check() if method == "check" else call(adapter, capability, method, args))
        except Exception as exc:  # noqa: BLE001 - which class it is, is what the test checks
            return exc
    if scope.cancelled_caught:
        pytest.fail(f"{method} was still waiting after {fault.within_s:g}s: it must give up at its deadline")
    if method != "check":
        check_answer(value, capability, method, args)
    return value
