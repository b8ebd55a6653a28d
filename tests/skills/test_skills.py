"""The skill tree passes its lint, and the lint itself catches each kind of mistake it claims to."""

from __future__ import annotations

import json
import re
from pathlib import Path

import anyio
import pytest
from check_skills import (
    check_frontmatter,
    check_skill,
    exists_exact_case,
    linked_paths,
    load_skill,
    server_tools,
    skill_dirs,
)
from mcp.types import Tool
from skills_ref import validate as skills_ref_validate

ROOT = Path(__file__).resolve().parents[2]
SKILLS = ROOT / "skills"
SCENARIOS = ROOT / "fixtures" / "scenarios"
PREFIX = "mcp__plugin_firstfifteen_firstfifteen__"
KNOWN = {"triage", "list_deploys", "query_error_rate", "declare_incident"}


def make_skill(
    root: Path,
    name: str,
    *,
    front: str = "",
    body: str = "# Title\n\nDo the thing.\n",
    folder: str | None = None,
    files: dict[str, str] | None = None,
) -> Path:
    """Write a small skill folder under ``root`` and return it."""
    skill = root / (folder or name)
    skill.mkdir(parents=True)
    description = "Does a small thing. Use when testing the skill lint."
    (skill / "SKILL.md").write_text(
        f"---\nname: {name}\ndescription: {description}\n{front}---\n\n{body}", encoding="utf-8"
    )
    for relative, text in (files or {}).items():
        (skill / relative).parent.mkdir(parents=True, exist_ok=True)
        (skill / relative).write_text(text, encoding="utf-8")
    return skill


# --- the repo's skills -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tools() -> dict[str, Tool]:
    """The tools the real server registers (embedded demo default, in memory), by name."""
    return {tool.name: tool for tool in anyio.run(server_tools)}


def test_repo_has_the_triage_skill() -> None:
    assert (SKILLS / "triage" / "SKILL.md").is_file()


@pytest.mark.parametrize("skill_dir", skill_dirs(SKILLS), ids=lambda p: p.name)
def test_repo_skill_passes_lint(skill_dir: Path, tools: dict[str, Tool]) -> None:
    assert check_skill(skill_dir, set(tools)) == []


def test_triage_allows_only_read_only_tools(tools: dict[str, Tool]) -> None:
    """Tools in allowed-tools run without a prompt, so writes (declare, append) must stay out and ask."""
    skill, _ = load_skill(SKILLS / "triage")
    assert skill is not None
    assert all(t.startswith(PREFIX) for t in skill.meta["allowed-tools"])
    allowed = {t.removeprefix(PREFIX) for t in skill.meta["allowed-tools"]}
    read_only = {name for name, tool in tools.items() if tool.annotations and tool.annotations.read_only_hint}
    assert {"triage", "query_error_rate", "query_latency", "list_deploys"} <= allowed
    assert allowed <= read_only, f"not read-only on the server: {sorted(allowed - read_only)}"
    assert {"declare_incident", "append_timeline"} <= set(tools) - allowed


def test_triage_body_names_its_flow(tools: dict[str, Tool]) -> None:
    skill, _ = load_skill(SKILLS / "triage")
    assert skill is not None
    for tool in ("triage", "declare_incident", "append_timeline", "query_error_rate", "list_deploys"):
        assert f"`{tool}`" in skill.body and tool in tools
    assert 60 <= len(skill.body.splitlines()) <= 150


@pytest.mark.parametrize("evals_file", sorted(SKILLS.glob("*/evals/evals.json")), ids=lambda p: p.parent.parent.name)
def test_evals_follow_the_skill_creator_schema(evals_file: Path) -> None:
    skill_dir = evals_file.parent.parent
    data = json.loads(evals_file.read_text(encoding="utf-8"))
    assert data["skill_name"] == skill_dir.name
    ids = [case["id"] for case in data["evals"]]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids)
    for case in data["evals"]:
        assert set(case) == {"id", "prompt", "expected_output", "files", "expectations"}
        assert case["prompt"] and case["expected_output"] and case["expectations"]
        assert all(exists_exact_case(skill_dir, f) for f in case["files"])


def test_triage_evals_use_existing_scenarios() -> None:
    """Each eval names the fixture scenario it runs against (FIRSTFIFTEEN_SCENARIO=<name>)."""
    cases = json.loads((SKILLS / "triage" / "evals" / "evals.json").read_text(encoding="utf-8"))["evals"]
    named = [re.findall(r"fixtures/scenarios/([a-z0-9-]+)", case["expected_output"]) for case in cases]
    assert 2 <= len(cases) <= 3 and all(len(n) == 1 for n in named), named
    for (scenario,) in named:
        assert (SCENARIOS / scenario / "scenario.yaml").is_file(), f"no scenario {scenario!r} in {SCENARIOS}"


# --- the lint catches what it should ---------------------------------------------------------


def test_lint_accepts_a_good_skill(tmp_path: Path) -> None:
    skill = make_skill(
        tmp_path,
        "good-skill",
        front=f"allowed-tools:\n  - {PREFIX}triage\n  - Read\n",
        body="Run `triage`, then `list_deploys`. Read `likely_roots` and `caused_by`.\n"
        "See [the guide](references/guide.md) and <https://example.com>.\n",
        files={"references/guide.md": "# Guide\n"},
    )
    assert check_skill(skill, KNOWN) == []


@pytest.mark.parametrize(
    ("name", "folder", "expected"),
    [
        ("Bad_Name", None, "must be lowercase"),
        ("bad--name", None, "consecutive hyphens"),
        ("other-name", "dir-name", "must match skill name"),
    ],
)
def test_lint_catches_bad_names(tmp_path: Path, name: str, folder: str | None, expected: str) -> None:
    errors = check_skill(make_skill(tmp_path, name, folder=folder), KNOWN)
    assert any(expected in e for e in errors), errors


def test_lint_tolerates_claude_code_keys_that_skills_ref_rejects(tmp_path: Path) -> None:
    skill_dir = make_skill(tmp_path, "cc-keys", front="disable-model-invocation: true\nargument-hint: '[service]'\n")
    assert any("Unexpected fields" in e for e in skills_ref_validate(skill_dir))
    assert check_skill(skill_dir, KNOWN) == []


def test_lint_rejects_keys_outside_both_specs(tmp_path: Path) -> None:
    errors = check_skill(make_skill(tmp_path, "odd-keys", front="trigger_patterns: page\n"), KNOWN)
    assert any("Unexpected fields in frontmatter: trigger_patterns" in e for e in errors), errors


def test_lint_rejects_angle_brackets_in_description(tmp_path: Path) -> None:
    skill, _ = load_skill(make_skill(tmp_path, "angles"))
    assert skill is not None
    bad = type(skill)(skill.path, {**skill.meta, "description": "Use for <alerts>."}, skill.body)
    assert any("angle brackets" in e for e in check_frontmatter(bad))


def test_lint_catches_missing_and_lowercase_skill_md(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert check_skill(tmp_path / "empty", KNOWN) == ["Missing required file: SKILL.md (exact case)"]
    lower = make_skill(tmp_path, "lower")
    (lower / "SKILL.md").rename(lower / "skill.md")
    assert check_skill(lower, KNOWN) == ["Missing required file: SKILL.md (exact case)"]


def test_lint_catches_a_long_body(tmp_path: Path) -> None:
    errors = check_skill(make_skill(tmp_path, "long", body="line\n" * 500), KNOWN)
    assert any("body has 500 lines" in e for e in errors), errors


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("See [guide](references/missing.md).", "'references/missing.md' does not exist"),
        ("See [guide](references/Guide.md).", "'references/Guide.md' does not exist"),
        ("Run `scripts/run.py`.", "'scripts/run.py' does not exist"),
        ("See [guide](/etc/passwd).", "is absolute"),
    ],
)
def test_lint_catches_broken_links(tmp_path: Path, body: str, expected: str) -> None:
    skill = make_skill(tmp_path, "links", body=body, files={"references/guide.md": "# Guide\n"})
    errors = check_skill(skill, KNOWN)
    assert any(expected in e for e in errors), errors


def test_linked_paths_skips_urls_anchors_and_code_blocks() -> None:
    body = (
        "[a](https://x.example/a.md) [b](#workflow) [c](references/c.md#part) [d](<references/d e.md>)\n"
        "```\n[e](references/e.md)\n```\n[f](${CLAUDE_SKILL_DIR}/scripts/f.py) [g](references/g%20h.md)\n"
    )
    assert linked_paths(body) == ["references/c.md", "references/d e.md", "scripts/f.py", "references/g h.md"]


@pytest.mark.parametrize(
    ("front", "body", "expected"),
    [
        (f"allowed-tools:\n  - {PREFIX}list_deploy\n", "", "unknown tool 'list_deploy'"),
        ("allowed-tools: mcp__plugin_firstfifteen__triage Read\n", "", "no known firstfifteen prefix"),
        ("", "Then call `query_error_rates` for detail.", "unknown tool 'query_error_rates'"),
        ("", "Call `get_runbook(service)` first.", "unknown tool 'get_runbook'"),
        ("", f"Or call {PREFIX}page_oncall directly.", "unknown tool 'page_oncall'"),
    ],
)
def test_lint_catches_unknown_tools(tmp_path: Path, front: str, body: str, expected: str) -> None:
    errors = check_skill(make_skill(tmp_path, "tools", front=front, body=body), KNOWN)
    assert any(expected in e for e in errors), errors


def test_lint_leaves_fields_and_other_servers_alone(tmp_path: Path) -> None:
    body = "Read `summary_markdown`, `ruled_out`, `provider_events`; `mcp__github__list_prs` is another server's."
    front = "allowed-tools:\n  - mcp__github__list_prs\n  - Bash(git log:*)\n"
    assert check_skill(make_skill(tmp_path, "fields", front=front, body=body), KNOWN) == []
