"""Fixtures of the conformance test: the shared HTTP client, the backend environment, what gets opened."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import respx

# The payloads live with the adapters' unit tests (tests/ has no packages): import them from there.
sys.path.insert(0, str(Path(__file__).parents[1] / "unit" / "adapters"))
# The checks live in helper modules: have pytest explain their failed asserts as in a test module.
pytest.register_assert_rewrite("conformance_harness", "conformance_hosted", "conformance_vendors", "conformance_local")

from conformance_harness import Env, Opened  # noqa: E402 - after the path above


@pytest.fixture
async def http(anyio_backend: str) -> AsyncIterator[httpx.AsyncClient]:
    """The one shared client, as the runtime passes it; respx answers for it."""
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    """A temp directory and a respx router that refuses any request it was not told about (no real network)."""
    with ExitStack() as stack, respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield Env(tmp=tmp_path, router=router, stack=stack)


@pytest.fixture
def opened(http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Opened:
    """Records what the adapter opens from here on (the shared client is made before)."""
    return Opened(monkeypatch, tmp_path)
