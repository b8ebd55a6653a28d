"""DeployFileAdapter: YAML and JSON-lines deploy logs, window overlap, and precise errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from adapters.base import AdapterContext
from adapters.deploy_file import DeployFileAdapter, DeployFileConfig
from adapters.errors import BadResponseError, ConfigError
from adapters.models import TimeWindow

pytestmark = pytest.mark.anyio

WINDOW = TimeWindow(start=datetime(2026, 3, 14, 2, 0, tzinfo=UTC), end=datetime(2026, 3, 14, 3, 0, tzinfo=UTC))

YAML_LOG = """\
# appended by CI
- id: d-3
  service: checkout
  environment: prod
  version: "1.10.0"
  previous_version: "1.9.2"
  started_at: 2026-03-14T02:40:00Z
  finished_at: 2026-03-14T02:44:00Z
  status: succeeded
  author: alice
  link: https://ci.example/runs/3
- id: d-1
  service: cart
  started_at: "2026-03-14T01:50:00Z"
  finished_at: "2026-03-14T02:05:00Z"
- id: d-old
  service: cart
  started_at: 2026-03-14T00:00:00Z
  finished_at: 2026-03-14T00:10:00Z
- id: d-late
  service: search
  started_at: 2026-03-14T03:30:00Z
- id: d-running
  service: auth
  started_at: 2026-03-14T02:59:00+01:00
  status: in_progress
"""


def make(http: httpx.AsyncClient, context: AdapterContext, path: str, **settings: object) -> DeployFileAdapter:
    return DeployFileAdapter("deploys", DeployFileConfig.model_validate({"path": path, **settings}), http, context)


async def test_yaml_deploys_overlapping_window_sorted(http, context, tmp_path: Path) -> None:
    (tmp_path / "deploys.yaml").write_text(YAML_LOG)
    deploys = await make(http, context, "deploys.yaml").list_deploys(WINDOW)
    # d-running started 01:59Z (+01:00 offset) and is still in progress, so it overlaps the window.
    assert [d.id for d in deploys] == ["d-1", "d-running", "d-3"]
    assert deploys[1].started_at == datetime(2026, 3, 14, 1, 59, tzinfo=UTC)
    d3 = deploys[2]
    assert (d3.service, d3.environment, d3.version, d3.previous_version) == ("checkout", "prod", "1.10.0", "1.9.2")
    assert d3.started_at == datetime(2026, 3, 14, 2, 40, tzinfo=UTC)
    assert d3.author == "alice" and d3.link == "https://ci.example/runs/3" and d3.status == "succeeded"
    assert all(d.source == "file" for d in deploys)


async def test_deploy_without_finish_is_a_moment_unless_in_progress(http, context, tmp_path: Path) -> None:
    (tmp_path / "deploys.yaml").write_text(YAML_LOG)
    later = TimeWindow(start=datetime(2026, 3, 14, 3, 40, tzinfo=UTC), end=datetime(2026, 3, 14, 4, 0, tzinfo=UTC))
    # d-late (succeeded, no finish) happened at 03:30, before this window; d-running is still going.
    ids = [d.id for d in await make(http, context, "deploys.yaml").list_deploys(later)]
    assert ids == ["d-running"]


async def test_jsonl_and_absolute_path(http, context, tmp_path: Path) -> None:
    path = tmp_path / "sub" / "deploys.jsonl"
    path.parent.mkdir()
    lines = [
        {"id": "j-1", "service": "cart", "started_at": "2026-03-14T02:10:00Z", "status": "rolled_back"},
        {"id": "j-2", "service": "cart", "started_at": "2026-03-14T05:00:00Z"},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    deploys = await make(http, context, str(path)).list_deploys(WINDOW)
    assert [(d.id, d.status) for d in deploys] == [("j-1", "rolled_back")]


async def test_format_setting_overrides_extension(http, context, tmp_path: Path) -> None:
    (tmp_path / "deploys.log").write_text(json.dumps({"id": "x", "service": "s", "started_at": "2026-03-14T02:30:00Z"}))
    deploys = await make(http, context, "deploys.log", format="jsonl").list_deploys(WINDOW)
    assert [d.id for d in deploys] == ["x"]


async def test_file_is_read_again_on_each_call(http, context, tmp_path: Path) -> None:
    path = tmp_path / "deploys.yaml"
    path.write_text("[]\n")
    adapter = make(http, context, "deploys.yaml")
    assert await adapter.list_deploys(WINDOW) == []
    path.write_text(YAML_LOG)
    assert len(await adapter.list_deploys(WINDOW)) == 3


async def test_missing_file_is_a_config_error_with_resolved_path(http, context, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        await make(http, context, "nope/deploys.yaml").list_deploys(WINDOW)
    assert str(tmp_path / "nope" / "deploys.yaml") in str(info.value)


@pytest.mark.parametrize(
    ("text", "where", "field", "accepted"),
    [
        pytest.param(
            "- {id: a, service: s, started_at: 2026-03-14T02:00:00Z}\n"
            "- id: b\n  service: s\n  started_at: 2026-03-14 02:00:00\n",
            "record 2 (line 2)",
            "'started_at'",
            "RFC3339 time with a timezone",
            id="naive-time",
        ),
        pytest.param(
            "- id: a\n  service: s\n  started_at: 2026-03-14T02:00:00Z\n  status: done\n",
            "record 1 (line 1)",
            "'status'",
            "in_progress, succeeded, failed, rolled_back",
            id="bad-status",
        ),
        pytest.param(
            "- id: a\n  service: s\n  started_at: 2026-03-14T02:00:00Z\n  version: 1.10\n",
            "record 1 (line 1)",
            "'version'",
            "quote versions",
            id="unquoted-version",
        ),
        pytest.param(
            "- id: a\n  service: s\n  started_at: 2026-03-14T02:00:00Z\n  colour: red\n",
            "record 1 (line 1)",
            "'colour'",
            "accepted fields are: id, service",
            id="unknown-field",
        ),
        pytest.param("- id: a\n  service: s\n", "record 1 (line 1)", "'started_at'", "RFC3339", id="missing-field"),
        pytest.param("- just a string\n", "record 1 (line 1)", "mapping", "Fields are", id="not-a-mapping"),
    ],
)
async def test_malformed_yaml_record_is_named(
    http, context, tmp_path: Path, text: str, where: str, field: str, accepted: str
) -> None:
    (tmp_path / "deploys.yaml").write_text(text)
    with pytest.raises(BadResponseError) as info:
        await make(http, context, "deploys.yaml").list_deploys(WINDOW)
    message = str(info.value)
    assert str(tmp_path / "deploys.yaml") in message
    assert where in message and field in message
    assert accepted in info.value.hint


async def test_malformed_jsonl_line_is_named(http, context, tmp_path: Path) -> None:
    good = json.dumps({"id": "a", "service": "s", "started_at": "2026-03-14T02:00:00Z"})
    (tmp_path / "deploys.jsonl").write_text(f"{good}\n\n{{not json\n")
    with pytest.raises(BadResponseError, match="line 3: not valid JSON"):
        await make(http, context, "deploys.jsonl").list_deploys(WINDOW)


async def test_mapping_instead_of_list_is_refused(http, context, tmp_path: Path) -> None:
    (tmp_path / "deploys.yaml").write_text("deploys:\n  - id: a\n")
    with pytest.raises(BadResponseError, match="must be a YAML list"):
        await make(http, context, "deploys.yaml").list_deploys(WINDOW)


async def test_check_counts_deploys(http, context, tmp_path: Path) -> None:
    (tmp_path / "deploys.yaml").write_text(YAML_LOG)
    assert (await make(http, context, "deploys.yaml").check()).startswith("5 deploys in ")
    (tmp_path / "empty.yaml").write_text("")
    assert (await make(http, context, "empty.yaml").check()).startswith("0 deploys in ")
