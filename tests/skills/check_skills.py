"""Lint the skill tree: Agent Skills rules, body length, linked paths and the tools a skill names.

Run as ``python tests/skills/check_skills.py skills`` (exit 1 on any problem). The frontmatter rules
are skills-ref's (the Agent Skills reference validator), with Claude Code's own extra keys tolerated
because skills-ref rejects every key outside the open spec. Tool names are checked against the tools
the real server registers, read through the SDK's in-memory client (no network, no subprocess).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from skills_ref.errors import ParseError
from skills_ref.parser import parse_frontmatter
from skills_ref.validator import validate_metadata

if TYPE_CHECKING:
    from mcp.types import Tool

# Documented SKILL.md keys in Claude Code 2.1.332 beyond the open spec; skills-ref refuses them.
CLAUDE_CODE_KEYS = frozenset(
    {
        "when_to_use",
        "argument-hint",
        "disable-model-invocation",
        "user-invocable",
        "model",
        "effort",
        "context",
        "agent",
        "background",
        "hooks",
        "paths",
        "shell",
        "disallowed-tools",
    }
)
MAX_BODY_LINES = 500
# Plugin install, and a plain `claude mcp add firstfifteen ...` registration.
TOOL_ID_PREFIXES = ("mcp__plugin_firstfifteen_firstfifteen__", "mcp__firstfifteen__")
# Leading words that make a backticked snake_case name read as a tool call rather than a field.
TOOL_VERBS = frozenset(
    {
        "get",
        "list",
        "query",
        "check",
        "declare",
        "append",
        "create",
        "update",
        "delete",
        "post",
        "draft",
        "search",
        "add",
        "remove",
        "fetch",
        "correlate",
        "record",
        "resolve",
        "send",
        "publish",
        "find",
    }
)
LOCAL_DIRS = ("references", "scripts", "templates", "assets", "evals")

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*(?:<([^>\n]+)>|([^)\s]+))(?:\s+\"[^\"]*\")?\s*\)")
_CODE = re.compile(r"`([^`\n]+)`")
_SNAKE_CALL = re.compile(r"([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?:\(.*\))?")
_TOOL_ID = re.compile(r"mcp__[A-Za-z0-9_-]+")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class Skill:
    """One parsed skill folder."""

    path: Path
    meta: dict
    body: str


def load_skill(skill_dir: Path) -> tuple[Skill | None, list[str]]:
    """Parse ``skill_dir/SKILL.md`` (exact case), or return why it cannot be parsed."""
    if "SKILL.md" not in os.listdir(skill_dir):
        return None, ["Missing required file: SKILL.md (exact case)"]
    try:
        meta, body = parse_frontmatter((skill_dir / "SKILL.md").read_text(encoding="utf-8"))
    except ParseError as exc:
        return None, [str(exc)]
    return Skill(skill_dir, meta, body), []


def check_frontmatter(skill: Skill) -> list[str]:
    """Agent Skills rules from skills-ref, Claude Code keys tolerated, plus skill-creator's ``<``/``>`` rule."""
    portable = {k: v for k, v in skill.meta.items() if k not in CLAUDE_CODE_KEYS}
    errors = validate_metadata(portable, skill.path)
    description = skill.meta.get("description")
    if isinstance(description, str) and ("<" in description or ">" in description):
        errors.append("Description must not contain angle brackets (< or >)")
    return errors


def check_body_length(skill: Skill) -> list[str]:
    """The body stays under the spec's 500-line guidance."""
    lines = len(skill.body.splitlines())
    if lines >= MAX_BODY_LINES:
        return [f"SKILL.md body has {lines} lines; keep it under {MAX_BODY_LINES} (move detail to references/)"]
    return []


def _prose(body: str) -> str:
    """The body without fenced code blocks, whose contents are examples, not references."""
    return _FENCE.sub("", body)


def linked_paths(body: str) -> list[str]:
    """Relative paths the body links to, or names in backticks under a skill's own folders."""
    text = _prose(body)
    targets = [m.group(1) or m.group(2) for m in _LINK.finditer(text)]
    targets += [c for c in _CODE.findall(text) if c.split("/", 1)[0] in LOCAL_DIRS and " " not in c]
    paths = []
    for target in targets:
        if target.startswith("#") or _SCHEME.match(target):
            continue
        target = unquote(target.split("#", 1)[0].split("?", 1)[0])
        paths.append(target.removeprefix("${CLAUDE_SKILL_DIR}/"))
    return paths


def exists_exact_case(base: Path, relative: str) -> bool:
    """Whether ``relative`` exists under ``base`` with every component spelled in its exact case."""
    current = base
    for part in Path(relative).parts:
        if part in ("", "."):
            continue
        if part == "..":
            current = current.parent
            continue
        if not current.is_dir() or part not in os.listdir(current):
            return False
        current = current / part
    return True


def check_links(skill: Skill) -> list[str]:
    """Every relative path the body links to exists, with exact case."""
    errors = []
    for target in linked_paths(skill.body):
        if target.startswith("/"):
            errors.append(f"Link {target!r} is absolute; link files relative to the skill folder")
        elif not exists_exact_case(skill.path, target):
            errors.append(f"Link {target!r} does not exist (paths are case-sensitive)")
    return errors


def _allowed_tools(meta: dict) -> list[str]:
    """``allowed-tools`` as a list, whether written as a YAML list or a delimited string."""
    value = meta.get("allowed-tools") or []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def tool_references(skill: Skill, known: set[str]) -> list[tuple[str, str]]:
    """``(where, token)`` for every tool the skill names: ids in ``allowed-tools`` and the body, and
    backticked snake_case names starting with a tool verb (the fixed list, plus the server's own)."""
    refs = [("allowed-tools", t) for entry in _allowed_tools(skill.meta) for t in _TOOL_ID.findall(entry)]
    text = _prose(skill.body)
    refs += [("body", t) for t in _TOOL_ID.findall(text)]
    verbs = TOOL_VERBS | {name.split("_", 1)[0] for name in known if "_" in name}
    for code in _CODE.findall(text):
        match = _SNAKE_CALL.fullmatch(code.strip())
        if match and match.group(1).split("_", 1)[0] in verbs:
            refs.append(("body", match.group(1)))
    return refs


def _unknown_tool(token: str, known: set[str]) -> str | None:
    """Why ``token`` does not name a server tool, or None when it does (or is not ours to judge)."""
    if not token.startswith("mcp__"):
        return None if token in known else f"unknown tool {token!r}"
    if "firstfifteen" not in token:
        return None  # another server's tool: not ours to judge
    prefix = next((p for p in TOOL_ID_PREFIXES if token.startswith(p)), None)
    if prefix is None:
        return f"tool id {token!r} has no known firstfifteen prefix ({', '.join(TOOL_ID_PREFIXES)})"
    name = token.removeprefix(prefix)
    return None if name in known else f"unknown tool {name!r} in {token!r}"


def check_tools(skill: Skill, known: set[str]) -> list[str]:
    """Every tool the skill names exists on the server."""
    problems = dict.fromkeys(  # ordered and without repeats
        f"{where}: {problem}"
        for where, token in tool_references(skill, known)
        if (problem := _unknown_tool(token, known))
    )
    return [f"{p} (server tools: {', '.join(sorted(known))})" for p in problems]


def check_skill(skill_dir: Path, known_tools: set[str] | None) -> list[str]:
    """All checks for one skill folder; ``known_tools=None`` skips the tool-name check."""
    skill, errors = load_skill(skill_dir)
    if skill is None:
        return errors
    errors = check_frontmatter(skill) + check_body_length(skill) + check_links(skill)
    if known_tools is not None:
        errors += check_tools(skill, known_tools)
    return errors


def skill_dirs(root: Path) -> list[Path]:
    """Every folder directly under ``root`` (each one must be a skill)."""
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


async def server_tools() -> list[Tool]:
    """The tools the server registers on its embedded demo default with every outside write on (the
    posting tools exist only then, and a skill may name them), read through the in-memory client."""
    from mcp import Client

    from mcp_server.config import WritesConfig
    from mcp_server.embedded import demo_settings
    from mcp_server.server import create_server

    config, note, reference = demo_settings()
    writes = WritesConfig(status_page=True, chat=True, email=True)
    config = config.model_copy(update={"comms": config.comms.model_copy(update={"writes": writes})})
    async with Client(create_server(config, data_note=note, reference=reference)) as client:
        return list((await client.list_tools()).tools)


async def server_tool_names() -> set[str]:
    """Names of the server's tools."""
    return {tool.name for tool in await server_tools()}


def main(argv: list[str]) -> int:
    """Check every skill under ``argv[0]`` (default ``skills``); print one line per skill."""
    import anyio

    root = Path(argv[0] if argv else "skills")
    known = anyio.run(server_tool_names)
    failed = False
    for skill_dir in skill_dirs(root):
        errors = check_skill(skill_dir, known)
        failed |= bool(errors)
        print(("FAIL " if errors else "ok   ") + skill_dir.name + "".join(f"\n     - {e}" for e in errors))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
