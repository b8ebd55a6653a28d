"""The incident workflows as MCP prompts, so agents other than Claude Code get the skills too.

Each prompt is one skill: its name, its description and its SKILL.md body, with the Claude Code
plugin's tool ids shortened to the plain tool names every MCP client sees. The skills are the one
source: a source checkout reads ``skills/``, an installed wheel the copy packed as
``mcp_server/_skills``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import yaml
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.prompts.base import Prompt
from pydantic import Field

_PACKAGED = Path(__file__).resolve().parent / "_skills"
_REPO = Path(__file__).resolve().parents[1] / "skills"
PLUGIN_TOOL_PREFIX = "mcp__plugin_firstfifteen_firstfifteen__"
_QUOTED = re.compile(r"`([a-z][a-z0-9_]*)`")
PREAMBLE = (
    "You are helping an on-call engineer with a production incident, through the firstfifteen MCP "
    "server's tools. The tools gather and compute; the engineer decides. Follow this workflow.\n\n"
)


@dataclass(frozen=True)
class Workflow:
    """One skill as a prompt: its name, what it is for, and its instructions."""

    name: str
    description: str
    body: str


def skills_dir() -> Path:
    """Where the skills are: the packaged copy when installed, else the checkout's ``skills/``."""
    return _PACKAGED if _PACKAGED.is_dir() else _REPO


def load_workflows(root: Path | None = None) -> list[Workflow]:
    """Every ``<skill>/SKILL.md`` under ``root``, by name; none when the folder is missing."""
    folder = root or skills_dir()
    found = sorted(folder.glob("*/SKILL.md")) if folder.is_dir() else []
    return [parse_skill(path.read_text(encoding="utf-8")) for path in found]


def parse_skill(text: str) -> Workflow:
    """A SKILL.md (YAML frontmatter between ``---`` lines, then markdown) as a workflow."""
    _, front, body = text.split("---", 2)
    meta = yaml.safe_load(front)
    return Workflow(
        name=str(meta["name"]),
        description=" ".join(str(meta["description"]).split()),
        body=body.strip().replace(PLUGIN_TOOL_PREFIX, ""),
    )


def prompt_text(workflow: Workflow, incident_id: str = "", context: str = "") -> str:
    """The message a client sends the model: the preamble, the workflow, then what the responder gave."""
    given = {"Incident": incident_id, "What the responder said": context}
    tail = "\n".join(f"{label}: {value}" for label, value in given.items() if value)
    return PREAMBLE + workflow.body + (f"\n\n---\n{tail}\n" if tail else "\n")


def as_prompt(workflow: Workflow) -> Prompt:
    """One workflow as an MCP prompt with two optional arguments."""

    def render(
        incident_id: Annotated[str, Field(description="The incident, e.g. 'INC-3', if one is declared")] = "",
        context: Annotated[str, Field(description="What the responder knows: the page, service, time")] = "",
    ) -> str:
        return prompt_text(workflow, incident_id, context)

    return Prompt.from_function(
        render, name=workflow.name, title=workflow.name.replace("-", " ").capitalize(), description=workflow.description
    )


def named_tools(workflow: Workflow) -> set[str]:
    """Every name the workflow quotes in backticks: its tools, among argument names and values."""
    return set(_QUOTED.findall(workflow.body))


def add_prompts(server: MCPServer, root: Path | None = None, *, left_out: Collection[str] = ()) -> list[str]:
    """Register every workflow on ``server`` except those naming a tool in ``left_out`` (a group the
    server does not offer); the names added."""
    workflows = [w for w in load_workflows(root) if not named_tools(w) & set(left_out)]
    for workflow in workflows:
        server.add_prompt(as_prompt(workflow))
    return [w.name for w in workflows]
