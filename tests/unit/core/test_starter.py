"""firstfifteen init: the starter config loads once its variables are set, and nothing is overwritten."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.errors import ConfigError
from mcp_server.cli import main
from mcp_server.config import load_config
from mcp_server.doctor import env_rows
from mcp_server.starter import STARTER_ENV, write_starter


def set_env(monkeypatch):
    for name in STARTER_ENV:
        monkeypatch.setenv(name, "x" + name.lower().replace("_", ""))  # alphanumeric, as page ids are


def test_the_starter_loads_once_its_variables_are_set(tmp_path, monkeypatch):
    set_env(monkeypatch)
    path = write_starter(tmp_path / "firstfifteen.yaml")
    config = load_config(path)
    assert {"prometheus", "alertmanager", "github", "slack", "statuspage_api"} <= set(config.adapters)
    assert config.comms.writes.model_dump() == {"status_page": False, "chat": False, "email": False}
    assert config.signals.preset == "classic" and [s.name for s in config.services] == ["frontend", "checkout"]
    slack = config.adapters["slack"].settings()
    assert slack["token"] == "xslackbottoken"  # the secret came from the environment


@pytest.mark.parametrize("missing", STARTER_ENV)
def test_each_unset_variable_is_named(tmp_path, monkeypatch, missing):
    set_env(monkeypatch)
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError, match=f"environment variable {missing} is not set"):
        load_config(write_starter(tmp_path / "f.yaml"))


def test_the_starter_holds_no_literal_secret():
    from mcp_server.starter import STARTER

    for line in STARTER.splitlines():
        key = line.split("#")[0].strip()
        if key.startswith(("token:", "api_key:", "bearer_token:", "password:")):
            assert "${" in key, line


def test_the_docs_export_exactly_the_variables_the_starter_reads(tmp_path):
    # A reader points the tool at their stack from docs/configuration.md alone: its export lines
    # must name every variable the starter's values use, and none it does not.
    docs = (Path(__file__).parents[3] / "docs" / "configuration.md").read_text(encoding="utf-8")
    section = docs.split("## Point it at your own stack", 1)[1].split("```", 2)[1]
    exported = {
        name for line in section.splitlines() if line.startswith("export ") for name in re.findall(r"(\w+)=", line)
    }
    used = {row.source.removeprefix("env ") for row in env_rows(write_starter(tmp_path / "f.yaml"), environ={})}
    assert exported == used
    required = {
        row.source.removeprefix("env ") for row in env_rows(tmp_path / "f.yaml", environ={}) if row.status == "fail"
    }
    assert required == set(STARTER_ENV)


def test_init_never_overwrites_without_force(tmp_path, capsys):
    path = tmp_path / "firstfifteen.yaml"
    path.write_text("services: [{name: mine}]\n")
    assert main(["init", "--path", str(path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_text() == "services: [{name: mine}]\n"
    assert main(["init", "--path", str(path), "--force"]) == 0
    assert "prometheus:" in path.read_text()
    assert str(path) in capsys.readouterr().out


def test_init_writes_the_default_path_in_the_current_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    assert (tmp_path / "firstfifteen.yaml").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file is left"
    out = capsys.readouterr().out
    assert "GITHUB_TOKEN" in out and "firstfifteen doctor" in out
