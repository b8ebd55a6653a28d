"""Deploys from a file a CI job appends to: a YAML list of mappings, or JSON lines.

The file is read again on every call, so a deploy recorded a minute ago is seen without a restart.
Each record has the fields of :class:`adapters.models.Deploy`; a record that does not is refused
with the file, the record and line number, the field and what it accepts, because a silently
skipped deploy is exactly the one an incident turns on.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import ClassVar, Literal

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.base import AdapterContext
from adapters.errors import BadResponseError, ConfigError
from adapters.models import Deploy, TimeWindow

_TIME = "an RFC3339 time with a timezone, e.g. 2026-03-14T03:07:00Z"
_ACCEPTED = {
    "id": "a string (quote numbers)",
    "service": "a string",
    "environment": "a string",
    "version": "a string (quote versions such as '1.10')",
    "previous_version": "a string (quote versions such as '1.10')",
    "started_at": _TIME,
    "finished_at": f"{_TIME}, or null",
    "status": "one of in_progress, succeeded, failed, rolled_back",
    "author": "a string",
    "link": "a string",
}
_FIELDS = ", ".join(_ACCEPTED)


class DeployFileConfig(BaseModel):
    """Settings of the deploy-file reader."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1, description="The deploy log; relative paths start at the config's directory")
    format: Literal["auto", "yaml", "jsonl"] = Field(default="auto", description="auto: by extension")


def _yaml_records(text: str) -> list[tuple[int, object]]:
    """(line, record) pairs of a YAML list; line numbers come from the parser's node marks."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return []
        if not isinstance(root, yaml.SequenceNode):
            raise ValueError(f"line {root.start_mark.line + 1}: the file must be a YAML list of deploys")
        return [(node.start_mark.line + 1, loader.construct_object(node, deep=True)) for node in root.value]
    finally:
        loader.dispose()


def _jsonl_records(text: str) -> list[tuple[int, object]]:
    records: list[tuple[int, object]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                records.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise ValueError(f"line {number}: not valid JSON ({exc.msg})") from None
    return records


def _overlaps(deploy: Deploy, window: TimeWindow) -> bool:
    """Started by the window's end, and not finished before its start."""
    if deploy.started_at > window.end:
        return False
    if deploy.finished_at is None and deploy.status == "in_progress":
        return True  # still rolling out: it overlaps every moment after its start
    return (deploy.finished_at or deploy.started_at) >= window.start


class DeployFileAdapter:
    """Reads deploys from a YAML or JSON-lines file."""

    config_model: ClassVar[type[DeployFileConfig]] = DeployFileConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"deploys"})

    def __init__(self, name: str, config: DeployFileConfig, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Resolve the path against the config's directory; the file is read on each call."""
        self.name = name
        self.config = config
        self._context = context
        path = Path(config.path).expanduser()
        self.path = path if path.is_absolute() else context.base_dir / path

    def __repr__(self) -> str:
        return f"DeployFileAdapter(name={self.name!r}, path={str(self.path)!r})"

    async def check(self) -> str:
        """Read and validate the whole file; say how many deploys it holds."""
        deploys = await self._read()
        return f"{len(deploys)} deploys in {self.path}"

    async def list_deploys(self, window: TimeWindow) -> list[Deploy]:
        """Deploys overlapping ``window`` (started by its end, not finished before its start), oldest first.

        A deploy without ``finished_at`` ends when it starts, unless its status is ``in_progress``.
        """
        deploys = await self._read()
        return sorted((d for d in deploys if _overlaps(d, window)), key=lambda d: (d.started_at, d.id))

    async def _read(self) -> list[Deploy]:
        # Reading and parsing a large file would block the event loop; do it in a worker thread.
        return await asyncio.to_thread(self._read_sync)

    def _read_sync(self) -> list[Deploy]:
        request = f"read {self.path}"
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(
                f"deploy file {self.path} does not exist",
                adapter=self.name,
                request=request,
                hint="Fix 'path' (relative paths start at the config file's directory) or create the file.",
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"cannot read deploy file {self.path}: {exc}", adapter=self.name, request=request
            ) from exc
        try:
            records = _jsonl_records(text) if self._format() == "jsonl" else _yaml_records(text)
        except (ValueError, yaml.YAMLError) as exc:
            raise self._malformed(f"{self.path}: {exc}", "Fix the file so it parses.") from exc
        return [self._deploy(index, line, record) for index, (line, record) in enumerate(records, start=1)]

    def _format(self) -> str:
        if self.config.format != "auto":
            return self.config.format
        # A .json array parses as YAML too; only line-delimited files need the JSON-lines reader.
        return "jsonl" if self.path.suffix.lower() in (".jsonl", ".ndjson") else "yaml"

    def _deploy(self, index: int, line: int, record: object) -> Deploy:
        where = f"{self.path}: record {index} (line {line})"
        if not isinstance(record, dict):
            raise self._malformed(f"{where}: must be a mapping of deploy fields", f"Fields are: {_FIELDS}.")
        try:
            return Deploy.model_validate({**record, "source": "file"})
        except ValidationError as exc:
            problem = exc.errors()[0]
            field = ".".join(str(part) for part in problem["loc"]) or "?"
            message = f"{where}: field '{field}': {problem['msg']}"
            if field not in _ACCEPTED:
                raise self._malformed(message, f"Remove '{field}'; the accepted fields are: {_FIELDS}.") from exc
            raise self._malformed(message, f"Give '{field}' as {_ACCEPTED[field]}.") from exc

    def _malformed(self, message: str, hint: str) -> BadResponseError:
        return BadResponseError(message, adapter=self.name, request=f"read {self.path}", hint=hint)
