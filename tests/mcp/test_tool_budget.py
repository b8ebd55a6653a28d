"""The tool definitions stay within their recorded budget, characters and o200k tokens (tool_budget.json).

The figures are computed here, in memory, the way ``benchmarks/tool_definitions.py`` does; after a
deliberate change, re-record them with ``.venv/bin/python benchmarks/tool_definitions.py --record``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from mcp_server.tool_groups import TOOL_GROUPS

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
    assert tolerance == 0.05 and set(bench.GATED) <= set(budget)
    assert bench.over_budget(figures, budget, tolerance) == [], "re-record after a deliberate change"


def test_the_budget_check_fails_just_past_five_percent(bench):
    budget = bench.load_budget()["budget"]["default"]
    for key in bench.GATED:
        at_limit = {**budget, key: int(budget[key] * 1.05)}
        past = {**budget, key: int(budget[key] * 1.05) + 1}
        assert bench.over_budget(at_limit, budget, 0.05) == [], key
        [problem] = bench.over_budget(past, budget, 0.05)
        assert problem.startswith(f"{key}: "), problem
    assert bench.over_budget({**budget, "tools": budget["tools"] + 1}, budget, 0.05)


async def test_tokens_are_counted_with_the_recorded_tokenizer(bench):
    data = bench.load_budget()
    assert data["tokenizer"] == bench.TOKENIZER == "o200k_base"
    assert bench.count_tokens('{"name":"triage"}') == 6  # '{"' 'name' '":"' 'tri' 'age' '"}' in o200k_base
    figures = await bench.measure(bench.server_config("default"))
    assert 3 < figures.model / figures.tokens < 5  # JSON schemas: about four characters a token


async def test_each_groups_figures_are_what_a_server_of_those_groups_sends(bench):
    config = bench.server_config("writes_on")
    groups = bench.per_group(await bench.measure(config), config)
    assert list(groups) == list(TOOL_GROUPS)
    chosen = ["triage", "context", "deploys"]
    alone = await bench.measure(config.with_groups(chosen))
    tools = sum(groups[g]["tools"] for g in chosen)
    assert len(alone.tools) == tools
    # the list's characters are its tools' plus the brackets and the commas between them
    assert alone.model == sum(groups[g]["model"] for g in chosen) + tools + 1
    whole_list = bench.load_budget()["budget"]["writes_on"]["tokens"]
    assert sum(g["tokens"] for g in groups.values()) == pytest.approx(whole_list, rel=0.05)


def test_every_tool_that_was_cut_stays_below_its_figures_before_the_cut(bench):
    # Tools were added since the cut, so totals compare with nothing; each old tool must stay trimmed.
    data = bench.load_budget()
    before, now = data["per_tool_before"], data["per_tool"]
    assert before and set(before) <= set(now)
    for tool, (model, whole) in before.items():
        assert now[tool][0] < model and now[tool][1] < whole, tool


async def test_the_measure_counts_what_a_client_sends(bench):
    figures = await bench.measure(bench.server_config("writes_on"))
    model, whole, tokens = figures.tools["triage"]
    assert 0 < tokens < model < whole  # the output schema is in the whole entry only
    assert set(figures.tools) >= {"post_status", "post_chat", "send_email"}
    default = await bench.measure(bench.server_config("default"))
    assert not set(default.tools) & {"post_status", "post_chat", "send_email"}
    assert default.model < figures.model and default.whole < figures.whole
