"""Offering only some tool groups: tools.groups, `serve --groups`, $FIRSTFIFTEEN_GROUPS.

The server built for a choice lists only those groups' tools, its instructions only those groups,
and no prompt or resource that points at a tool it does not offer.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from mcp import Client, StdioServerParameters

from adapters.errors import ConfigError
from mcp_server.cli import main
from mcp_server.cli.serve import chosen_groups
from mcp_server.config import load_config, parse_config
from mcp_server.embedded import demo_settings
from mcp_server.prompts import load_workflows, named_tools
from mcp_server.server import CATEGORIES, build_tools, create_server
from mcp_server.tool_groups import TOOL_GROUPS, parse_groups

pytestmark = pytest.mark.anyio


def server_command() -> tuple[str, list[str]]:
    script = shutil.which("firstfifteen") or str(Path(sys.executable).parent / "firstfifteen")
    assert Path(script).exists(), "the firstfifteen console script is not installed: pip install -e ."
    return script, ["serve"]


def server_for(groups: list[str] | None):
    config, note, reference = demo_settings()
    if groups is not None:
        config = config.with_groups(groups)
    return create_server(config, data_note=note, reference=reference)


async def offered(groups: list[str] | None):
    """The tools, prompts and resource templates a client sees, and the server's instructions."""
    server = server_for(groups)
    async with Client(server) as client:
        tools = [t.name for t in (await client.list_tools()).tools]
        prompts = [p.name for p in (await client.list_prompts()).prompts]
        templates = [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
    return tools, prompts, templates, server.instructions or ""


def tools_of(groups: list[str]) -> list[str]:
    config, _, _ = demo_settings()
    return [name for category, tools in build_tools(config) if category.name in groups for name in tools.names()]


def test_the_known_group_names_are_the_categories_in_order():
    assert [c.name for c in CATEGORIES] == list(TOOL_GROUPS)


async def test_only_the_chosen_groups_tools_are_listed():
    tools, prompts, templates, instructions = await offered(["deploys", "triage", "incidents"])
    assert tools == tools_of(["triage", "deploys", "incidents"])  # the table's order, not the choice's
    assert "rank_deploys" in tools and "draft_communications" not in tools and "query_metric" not in tools
    listed = [line.split(":")[0].removeprefix("- ") for line in instructions.splitlines() if line.startswith("- ")]
    assert listed == ["triage", "deploys", "incidents"]
    assert "draft_communications" not in instructions and "post_status" not in instructions
    # deploy-correlation and triage name only these groups' tools (and tools of 'context' for triage)
    assert "deploy-correlation" in prompts and "respond" not in prompts and "triage" not in prompts
    assert templates == []  # the coordination resource goes with its group


async def test_all_groups_is_the_default_server():
    every, prompts, templates, _ = await offered(list(TOOL_GROUPS))
    default, default_prompts, default_templates, _ = await offered(None)
    assert every == default and prompts == default_prompts and templates == default_templates
    assert len(prompts) == len(load_workflows()) and templates == ["incident://{incident_id}/coordination"]


@pytest.mark.parametrize(
    "groups", [["triage"], ["coordination"], ["triage", "context", "incidents"], ["hypotheses", "evidence"]]
)
async def test_no_prompt_names_a_tool_the_server_does_not_offer(groups):
    tools, prompts, templates, _ = await offered(groups)
    config, _, _ = demo_settings()
    every = {name for _, built in build_tools(config) for name in [*built.names(), *built.withheld]}
    absent = every - set(tools) - {n for _, b in build_tools(config.with_groups(groups)) for n in b.withheld}
    workflows = {w.name: w for w in load_workflows()}
    for name in prompts:
        assert not named_tools(workflows[name]) & absent, name
    dropped = set(workflows) - set(prompts)
    assert all(named_tools(workflows[name]) & absent for name in dropped)
    assert bool(templates) == ("coordination" in groups)


def test_unknown_group_in_the_config_is_refused_with_the_known_names(tmp_path):
    raw = {"services": [{"name": "checkout"}], "tools": {"groups": ["triage", "deploy"]}}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, base_dir=tmp_path)
    message = str(caught.value)
    assert "tools.groups" in message and "'deploy'" in message and ", ".join(TOOL_GROUPS) in message


def test_an_empty_group_list_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="no tool group given"):
        parse_config({"services": [{"name": "a"}], "tools": {"groups": []}}, base_dir=tmp_path)
    with pytest.raises(ConfigError, match="no tool group given"):
        parse_groups(" , ", "--groups")


def test_groups_from_a_config_file_choose_the_tools(tmp_path):
    raw = {"services": [{"name": "a"}], "tools": {"groups": ["postmortem", "triage"]}}
    config = parse_config(raw, base_dir=tmp_path)
    assert [category.name for category, _ in build_tools(config)] == ["triage", "postmortem"]
    assert config.tools.offers("triage") and not config.tools.offers("comms")


def test_parse_groups_strips_and_keeps_order():
    assert parse_groups(" triage, deploys ,triage", "--groups") == ["triage", "deploys"]


def test_serve_refuses_an_unknown_group_before_serving(capsys, monkeypatch):
    assert main(["serve", "--groups", "triage,hypothesis"]) == 2
    err = capsys.readouterr().err
    assert "--groups" in err and "'hypothesis'" in err and "hypotheses" in err and "coordination" in err
    monkeypatch.setenv("FIRSTFIFTEEN_GROUPS", "nope")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "FIRSTFIFTEEN_GROUPS" in err and "'nope'" in err


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [(["--groups", "triage"], "", ["triage"]), ([], "comms,incidents", ["comms", "incidents"])],
    ids=["flag", "environment"],
)
async def test_serve_over_stdio_offers_the_chosen_groups(tmp_path, flag, env, expected):
    command, args = server_command()
    environ = {**os.environ, "FIRSTFIFTEEN_DB": str(tmp_path / "db.sqlite3"), "FIRSTFIFTEEN_GROUPS": env}
    environ.pop("FIRSTFIFTEEN_CONFIG", None)
    async with Client(StdioServerParameters(command=command, args=[*args, *flag], env=environ)) as client:
        names = [t.name for t in (await client.list_tools()).tools]
    assert names == tools_of(expected)


async def test_the_flag_wins_over_the_environment_and_the_config(tmp_path, monkeypatch):
    path = tmp_path / "ff.yaml"
    config, _, _ = demo_settings()
    raw = {"services": [{"name": s.name} for s in config.services], "tools": {"groups": ["evidence"]}}
    path.write_text(yaml.safe_dump(raw))
    loaded = load_config(path)
    monkeypatch.setenv("FIRSTFIFTEEN_GROUPS", "comms")
    assert chosen_groups(loaded, "triage").tools.groups == ["triage"]
    assert chosen_groups(loaded, None).tools.groups == ["comms"]
    monkeypatch.setenv("FIRSTFIFTEEN_GROUPS", "")
    assert chosen_groups(loaded, None).tools.groups == ["evidence"]
