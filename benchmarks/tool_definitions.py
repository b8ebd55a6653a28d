"""How many characters the server's tool definitions cost, per tool and in total.

Run from the repository root::

    .venv/bin/python benchmarks/tool_definitions.py [--record]

Two servers are measured, both on the embedded default (a replayed scenario, no network):
``default`` is ``create_server()`` as it starts with no config (every outside write off), and
``writes_on`` is the same with ``comms.writes.status_page``, ``.chat`` and ``.email`` on.

For each tool, two figures, in compact JSON (no spaces, as the SDK puts it on the wire):

- ``model``: what a client sends to the model, ``{"name", "description", "input_schema"}`` (the
  shape of a tool in the Anthropic Messages API; output schemas and annotations stay in the client);
- ``whole``: the tool as ``list_tools`` returns it (title, both schemas, annotations).

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
from mcp_server.server import create_server  # noqa: E402

BUDGET_FILE = REPO / "benchmarks" / "tool_budget.json"
DOC = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- tool_definitions:start -->", "<!-- tool_definitions:end -->"
COMMAND = ".venv/bin/python benchmarks/tool_definitions.py"
SERVERS = ("default", "writes_on")


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

    tools: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Tool name -> (model-facing, whole)."""
    model: int = 0
    whole: int = 0
    instructions: int = 0

    def totals(self) -> dict[str, int]:
        """The figures the budget records."""
        return {"tools": len(self.tools), "model": self.model, "whole": self.whole, "instructions": self.instructions}


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
        figures.tools[tool.name] = (len(compact(model_facing(tool))), len(compact(listed(tool))))
    figures.model = len(compact([model_facing(t) for t in tools]))
    figures.whole = len(compact([listed(t) for t in tools]))
    return figures


async def measure_all() -> dict[str, Figures]:
    """Both servers' figures."""
    return {name: await measure(server_config(name)) for name in SERVERS}


def load_budget() -> dict[str, Any]:
    """The recorded budget (see ``--record``)."""
    data: dict[str, Any] = json.loads(BUDGET_FILE.read_text(encoding="utf-8"))
    return data


def per_tool(figures: Figures) -> dict[str, list[int]]:
    """Tool name -> [model-facing, whole], as the budget file keeps them."""
    return {name: [model, whole] for name, (model, whole) in figures.tools.items()}


def record(figures: dict[str, Figures]) -> None:
    """Write ``figures`` as the budget; the ``before`` figures are kept (or set on the first run).

    Per tool, the figures of the writes-on server are kept (a tool's definition is the same on both).
    """
    totals = {name: f.totals() for name, f in figures.items()}
    tools = per_tool(figures["writes_on"])
    data = load_budget() if BUDGET_FILE.exists() else {"tolerance": 0.05, "before": totals, "per_tool_before": tools}
    data["budget"], data["per_tool"] = totals, tools
    text = json.dumps(data, indent=2)
    text = re.sub(r"\[\s+(\d+),\s+(\d+)\s+\]", r"[\1, \2]", text)  # one line per tool
    BUDGET_FILE.write_text(text + "\n", encoding="utf-8")


def table(figures: dict[str, Figures], before: dict[str, list[int]]) -> str:
    """Per tool, model-facing and whole characters before and now, as a Markdown table."""
    default, wide = figures["default"], figures["writes_on"]
    lines = [
        "| tool | model-facing before | now | whole before | now |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (model, whole) in wide.tools.items():
        mark = "" if name in default.tools else " (writes on only)"
        was = before.get(name, [0, 0])
        lines.append(f"| `{name}`{mark} | {was[0]:,} | {model:,} | {was[1]:,} | {whole:,} |")
    return "\n".join(lines)


def comparison(data: dict[str, Any]) -> str:
    """Before and after totals for both servers, as a Markdown table."""
    lines = [
        "| server | tools | model-facing | whole list_tools | instructions |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in SERVERS:
        for when in ("before", "budget"):
            t = data[when][name]
            label = f"{name}, {'before' if when == 'before' else 'after'}"
            lines.append(f"| {label} | {t['tools']} | {t['model']:,} | {t['whole']:,} | {t['instructions']:,} |")
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
    body = f"Measured with `{COMMAND} --record`.\n\n{comparison(data)}\n\nPer tool:\n\n{per}"
    DOC.write_text(f"{head}{BEGIN}\n{body}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str]) -> int:
    """Print the figures; with ``--record``, store them as the budget and in the docs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", action="store_true", help="write the budget file and the docs section")
    args = parser.parse_args(argv)
    figures = anyio.run(measure_all)
    print(table(figures, load_budget().get("per_tool_before", {}) if BUDGET_FILE.exists() else {}))
    for name, f in figures.items():
        print(f"{name}: {f.totals()}")
    if args.record:
        record(figures)
        rewrite_doc(figures)
        print(f"recorded in {BUDGET_FILE.relative_to(REPO)} and {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
