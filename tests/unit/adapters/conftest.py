"""Fixtures shared by the adapter unit tests: one real AsyncClient (respx intercepts it) and a context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from adapters.base import AdapterContext


@pytest.fixture
async def http(anyio_backend: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def context(tmp_path: Path) -> AdapterContext:
    return AdapterContext(base_dir=tmp_path)
