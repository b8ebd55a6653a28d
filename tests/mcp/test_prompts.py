"""The workflows as MCP prompts: one per skill, with plain tool names, through the SDK's in-memory client."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_server.prompts import PLUGIN_TOOL_PREFIX, load_workflows, parse_skill

pytestmark = pytest.mark.anyio
SKILLS = Path(__file__).resolve().parents[2] / "skills"


async def test_every_skill_is_a_prompt_with_its_description(client):
    listed = {p.name: p for p in (await client.list_prompts()).prompts}
    skills = {path.parent.name for path in SKILLS.glob("*/SKILL.md")}
    assert set(listed) == skills and {"respond", "hypothesis", "postmortem"} <= skills
    respond = listed["respond"]
    assert respond.description and "incident" in respond.description
    assert {a.name: a.required for a in respond.arguments or []} == {"incident_id": False, "context": False}


async def test_a_prompt_carries_the_workflow_with_plain_tool_names_and_the_arguments(client):
    got = await client.get_prompt("respond", {"incident_id": "INC-4", "context": "checkout 5xx since 03:02Z"})
    text = got.messages[0].content.text
    assert "`declare_incident`" in text and "`triage`" in text and PLUGIN_TOOL_PREFIX not in text
    assert text.rstrip().endswith("What the responder said: checkout 5xx since 03:02Z")
    assert "Incident: INC-4" in text


def test_a_skill_without_frontmatter_fields_fails_loudly():
    with pytest.raises(KeyError):
        parse_skill("---\nname: x\n---\nbody\n")
    assert load_workflows(Path("/nonexistent")) == []
