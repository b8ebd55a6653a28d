"""How the server is assembled: every tool in a category, instructions from what was built, lean schemas."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from mcp import Client

from mcp_server.config import WritesConfig
from mcp_server.embedded import demo_settings
from mcp_server.server import CATEGORIES, build_tools, create_server
from mcp_server.tools.schema import lean_input, lean_output

pytestmark = pytest.mark.anyio


def demo_config(writes: bool):
    config, note, reference = demo_settings()
    if writes:
        on = WritesConfig(status_page=True, chat=True, email=True)
        config = config.model_copy(update={"comms": config.comms.model_copy(update={"writes": on})})
    return config, note, reference


async def listed(writes: bool):
    config, note, reference = demo_config(writes)
    server = create_server(config, data_note=note, reference=reference)
    async with Client(server) as client:
        return server, (await client.list_tools()).tools


@pytest.mark.parametrize("writes", [False, True], ids=["default", "writes_on"])
async def test_every_registered_tool_belongs_to_exactly_one_category(writes):
    _, tools = await listed(writes)
    categorized = [name for _, built in build_tools(demo_config(writes)[0]) for name in built.names()]
    assert len(categorized) == len(set(categorized))
    orphans = {t.name for t in tools} - set(categorized)
    assert orphans == set(), f"registered outside any category: {sorted(orphans)}"
    assert [t.name for t in tools] == categorized


@pytest.mark.parametrize("writes", [False, True], ids=["default", "writes_on"])
async def test_instructions_list_each_categorys_tools_as_built(writes):
    server, tools = await listed(writes)
    lines = {line.split(":")[0].removeprefix("- "): line for line in server.instructions.splitlines()}
    for category, built in build_tools(demo_config(writes)[0]):
        assert lines[category.name].startswith(f"- {category.name}: {', '.join(built.names())} (")
    assert all(t.name in server.instructions for t in tools)


async def test_posting_tools_are_announced_only_while_off():
    default, _ = await listed(False)
    wide, _ = await listed(True)
    assert "post_status (comms.writes.status_page)" in default.instructions
    assert "Not offered" not in wide.instructions


def test_category_hints_name_no_tool():
    """The tool names in the instructions come from what was built, so a hint must not repeat them."""
    config, _, _ = demo_config(True)
    names = {name for _, built in build_tools(config) for name in built.names()} - {c.name for c in CATEGORIES}
    for category in CATEGORIES:
        assert not [n for n in names if re.search(rf"\b{n}\b", category.hint)], category


def walk(schema: Any, path: str = ""):
    """Every (path, schema node) inside ``schema`` (property names are not nodes)."""
    if not isinstance(schema, dict):
        return
    yield path, schema
    for key in ("properties", "$defs"):
        for name, sub in schema.get(key, {}).items():
            yield from walk(sub, f"{path}/{key}/{name}")
    for key in ("anyOf", "oneOf", "allOf"):
        for i, sub in enumerate(schema.get(key, [])):
            yield from walk(sub, f"{path}/{key}/{i}")
    for key in ("items", "additionalProperties"):
        yield from walk(schema.get(key), f"{path}/{key}")


async def test_schemas_are_lean_and_still_typed():
    _, tools = await listed(True)
    for tool in tools:
        for path, node in walk(tool.input_schema):
            assert "title" not in node, (tool.name, "input", path)
        for path, node in walk(tool.output_schema):
            assert "title" not in node and "default" not in node, (tool.name, "output", path)
            assert node.get("additionalProperties") is not False, (tool.name, path)
            assert "properties" not in node or "description" not in node, (tool.name, path)
        jsonschema.Draft202012Validator.check_schema(tool.output_schema)
        assert tool.output_schema["type"] == "object" and tool.output_schema["properties"], tool.name
    triage = next(t for t in tools if t.name == "triage")
    assert "SignalDelta" in triage.output_schema["$defs"]  # nested models stay shared, once per schema


def test_lean_output_folds_null_only_where_it_means_the_same():
    schema = {
        "title": "Thing",
        "description": "A model docstring",
        "additionalProperties": False,
        "properties": {
            "title": {"title": "Title", "type": "string"},  # a field named title stays
            "at": {"anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}], "default": None},
            "state": {"anyOf": [{"enum": ["a", "b"], "type": "string"}, {"type": "null"}]},
            "ratio": {"anyOf": [{"type": "number"}, {"type": "null"}], "description": "now / baseline"},
            "labels": {"additionalProperties": {"type": "string"}, "type": "object"},
        },
        "required": ["title"],
        "type": "object",
    }
    lean = lean_output(schema)
    assert lean == {
        "properties": {
            "title": {"type": "string"},
            "at": {"format": "date-time", "type": ["string", "null"]},
            "state": {"anyOf": [{"enum": ["a", "b"], "type": "string"}, {"type": "null"}]},
            "ratio": {"type": ["number", "null"], "description": "now / baseline"},
            "labels": {"additionalProperties": {"type": "string"}, "type": "object"},
        },
        "required": ["title"],
        "type": "object",
    }
    for value in ({"title": "x", "at": None, "state": None, "ratio": 0.5}, {"title": "x", "state": "a"}):
        jsonschema.validate(value, schema)
        jsonschema.validate(value, lean)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"title": "x", "state": "c"}, lean)


def test_lean_input_keeps_defaults_and_descriptions():
    schema = {
        "title": "triageArguments",
        "type": "object",
        "properties": {"at": {"title": "At", "type": "string", "default": "now", "description": "A time"}},
    }
    assert lean_input(schema) == {
        "type": "object",
        "properties": {"at": {"type": "string", "default": "now", "description": "A time"}},
    }
