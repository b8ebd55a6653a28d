"""The tool definitions stay within their recorded character budget (benchmarks/tool_budget.json).

The figures are computed here, in memory, the way ``benchmarks/tool_definitions.py`` does; after a
deliberate change, re-record them with ``.venv/bin/python benchmarks/tool_definitions.py --record``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.anyio


def benchmark() -> ModuleType:
    """The benchmark module, loaded from its file (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("tool_definitions", ROOT / "benchmarks" / "tool_definitions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return benchmark()


@pytest.mark.parametrize("server", ["default", "writes_on"])
async def test_tool_definitions_stay_within_budget(bench, server):
    data = bench.load_budget()
    budget, tolerance = data["budget"][server], data["tolerance"]
    figures = (await bench.measure(bench.server_config(server))).totals()
    assert figures["tools"] == budget["tools"], "a tool was added or removed: re-record the budget"
    for key in ("model", "whole", "instructions"):
        limit = int(budget[key] * (1 + tolerance))
        assert figures[key] <= limit, f"{server} {key}: {figures[key]:,} chars, budget {budget[key]:,} (+5%)"


def test_every_tool_that_was_cut_stays_below_its_figures_before_the_cut(bench):
    # Tools were added since the cut, so totals compare with nothing; each old tool must stay trimmed.
    data = bench.load_budget()
    before, now = data["per_tool_before"], data["per_tool"]
    assert before and set(before) <= set(now)
    for tool, (model, whole) in before.items():
        assert now[tool][0] < model and now[tool][1] < whole, tool


async def test_the_measure_counts_what_a_client_sends(bench):
    figures = await bench.measure(bench.server_config("writes_on"))
    model, whole = figures.tools["triage"]
    assert 0 < model < whole  # the output schema is in the whole entry only
    assert set(figures.tools) >= {"post_status", "post_chat", "send_email"}
    default = await bench.measure(bench.server_config("default"))
    assert not set(default.tools) & {"post_status", "post_chat", "send_email"}
    assert default.model < figures.model and default.whole < figures.whole
