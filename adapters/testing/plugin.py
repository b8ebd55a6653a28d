"""The pytest plugin of the conformance suite: its fixtures, and the parametrization of each case.

Load it explicitly from the tests' top-level conftest.py::

    pytest_plugins = ["adapters.testing.plugin"]

It is deliberately not a ``pytest11`` entry point: that would load it (and respx, and the
adapters) into every pytest run of every project in an environment where firstfifteen is
installed, and break them all where the ``testing`` extra is not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import respx

from adapters.testing.checks import Opened
from adapters.testing.harness import Env, calls_of
from adapters.testing.suite import ConformanceSuite


@pytest.fixture
async def conformance_http(anyio_backend: str) -> AsyncIterator[httpx.AsyncClient]:
    """The one shared client, as the runtime passes it; respx answers for it."""
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def conformance_env(tmp_path: Path) -> Iterator[Env]:
    """A temp directory and a respx router that refuses any request it was not told about (no real network)."""
    with ExitStack() as stack, respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield Env(tmp=tmp_path, router=router, stack=stack)


@pytest.fixture
def conformance_opened(conformance_http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Opened:
    """Records what the adapter opens from here on (the shared client is made before)."""
    return Opened(monkeypatch, tmp_path)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per Protocol method, per failing backend and per limit of a ConformanceSuite's case."""
    cls = metafunc.cls
    if cls is None or not issubclass(cls, ConformanceSuite):
        return
    case = cls.case
    if "conformance_call" in metafunc.fixturenames:
        calls = calls_of(case.adapter_class())
        metafunc.parametrize("conformance_call", calls, ids=[f"{c}.{m}" for c, m in calls])
    if "conformance_fault" in metafunc.fixturenames:
        faults = case.all_faults()
        metafunc.parametrize("conformance_fault", faults, ids=[f.id for f in faults])
    if "conformance_limit" in metafunc.fixturenames:
        metafunc.parametrize("conformance_limit", case.limits, ids=[limit.id for limit in case.limits])
