"""Fixture scenarios: the YAML model, its validation and the loader.

A scenario is one incident story (``fixtures/scenarios/<name>/scenario.yaml``, format described in
docs/scenarios.md): the services and their normal behaviour, the changes over time that make up the
incident, the deploys, alerts and provider events around it, and what triage must find. The replay
adapter serves it; :mod:`adapters.replay.synthetic` turns it into metric samples.

Times in the file are either offsets from the anchor (``-20m``, ``+5m``, ``-1d2h``) or absolute
UTC times; the loader resolves them all to aware UTC datetimes, so the rest of the code never sees
a relative time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, PrivateAttr, ValidationError, model_validator

from adapters.errors import ConfigError, NotFoundError
from adapters.models import DeployMethod, Model, UtcDatetime, iso_utc
from adapters.replay.scenario_history import DeployRef, RepoHistory, ScenarioRepos, build_repos
from adapters.replay.scenario_models import (
    DeployCommit,
    Expected,
    FileChange,
    Health,
    LatencyMs,
    Page,
    ScenarioAlert,
    ScenarioDeploy,
    ScenarioEvent,
    ScenarioLogs,
    ScenarioProviderEvent,
    ScenarioService,
    Traffic,
)

FORMAT_VERSION = 1
HISTORY = timedelta(days=8)
"""How far before the anchor the metric series start."""
AFTER = timedelta(minutes=30)
"""How far after the anchor the metric series go on (what happened next)."""
SCENARIO_FILE = "scenario.yaml"
_PACKAGED = Path(__file__).resolve().parent / "_scenarios"
_REPO = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_RELATIVE = re.compile(r"^([+-])((?:\d+[smhdw])+)$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_ACCEPTED_TIMES = (
    "an offset from the anchor such as '-20m', '+5m' or '-1d2h', or an absolute UTC time such as '2026-10-14T13:40:00Z'"
)
__all__ = [
    "DeployCommit",
    "DeployRef",
    "Expected",
    "FileChange",
    "Health",
    "LatencyMs",
    "Page",
    "RepoHistory",
    "Scenario",
    "ScenarioAlert",
    "ScenarioDeploy",
    "ScenarioEvent",
    "ScenarioLogs",
    "ScenarioProviderEvent",
    "ScenarioRepos",
    "ScenarioService",
    "Traffic",
    "check_format",
    "list_scenarios",
    "load_scenario",
    "resolve_time",
    "scenario_dirs",
    "scenario_path",
]


def resolve_time(value: object, anchor: datetime) -> datetime:
    """Resolve a scenario time (offset from ``anchor`` or absolute with a zone) to aware UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"time {value.isoformat()} has no zone: add 'Z' for UTC, or use {_ACCEPTED_TIMES}")
        return value.astimezone(UTC)
    if isinstance(value, str):
        text = value.strip()
        relative = _RELATIVE.match(text)
        if relative:
            sign, body = relative.groups()
            seconds = sum(int(n) * _UNIT[u] for n, u in re.findall(r"(\d+)([smhdw])", body))
            return anchor + timedelta(seconds=seconds if sign == "+" else -seconds)
        if text == "anchor":
            return anchor
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    raise ValueError(f"invalid time {value!r}: use {_ACCEPTED_TIMES}")


_TIME_FIELDS = {
    "events": ("from", "to", "since"),
    "deploys": ("started", "finished"),
    "alerts": ("starts", "ends"),
    "provider_events": ("started", "resolved"),
    "logs": ("from", "to"),
}


class Scenario(Model):
    """One whole incident story, with every time resolved to UTC."""

    format: int
    name: str = Field(pattern=_NAME.pattern)
    title: str
    description: str = ""
    anchor: UtcDatetime = Field(description="When the responder was paged; triage runs as of this moment")
    page: Page
    services: list[ScenarioService] = Field(min_length=1)
    events: list[ScenarioEvent] = Field(default_factory=list)
    deploys: list[ScenarioDeploy] = Field(default_factory=list)
    alerts: list[ScenarioAlert] = Field(default_factory=list)
    provider_events: list[ScenarioProviderEvent] = Field(default_factory=list)
    logs: list[ScenarioLogs] = Field(default_factory=list, description="Log lines the services write")
    expected: Expected = Field(default_factory=Expected)
    _repos: ScenarioRepos = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _resolve_times(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            raise ValueError("a scenario must be a YAML mapping")
        check_format(raw.get("format"))
        if raw.get("anchor") is None or str(raw["anchor"]).startswith(("+", "-", "anchor")):
            raise ValueError("anchor: must be an absolute UTC time such as '2026-10-14T14:07:00Z'")
        try:
            anchor = resolve_time(raw["anchor"], datetime(1970, 1, 1, tzinfo=UTC))
        except ValueError as exc:
            raise ValueError(f"anchor: {exc}") from None
        resolved = dict(raw, anchor=anchor)
        for key, fields in _TIME_FIELDS.items():
            items = raw.get(key) or []
            if isinstance(items, list):
                resolved[key] = [_resolve_item(item, f"{key}[{i}]", fields, anchor) for i, item in enumerate(items)]
        return resolved

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        if self.anchor.second or self.anchor.microsecond:
            raise ValueError(f"anchor: {iso_utc(self.anchor)} must fall on a whole minute")
        _check_services(self)
        _check_references(self)
        _check_deploys(self)
        _check_expected(self)
        self._repos = build_repos(self)
        return self

    def service(self, name: str) -> ScenarioService:
        """The named service, or NotFoundError naming the known ones."""
        for service in self.services:
            if service.name == name:
                return service
        raise NotFoundError(f"scenario {self.name!r} has no service {name!r}", hint=f"Use one of: {self.names()}.")

    def names(self) -> list[str]:
        """Service names, in file order."""
        return [s.name for s in self.services]

    @property
    def series_start(self) -> datetime:
        """Where every metric series starts, at zero."""
        return self.anchor - HISTORY

    @property
    def series_end(self) -> datetime:
        """The last sample of every metric series."""
        return self.anchor + AFTER

    def events_for(self, service: str) -> list[ScenarioEvent]:
        """The events of one service, in file order."""
        return [e for e in self.events if e.service == service]

    def health_at(self, service: str, moment: datetime) -> Health:
        """The service's health at ``moment``: its own, unless an active event sets it (last one wins)."""
        health = self.service(service).health
        for event in self.events_for(service):
            if event.health is not None and event.active(moment):
                health = event.health
        return health

    @property
    def repos(self) -> ScenarioRepos:
        """The code history the deploys imply: one trunk per repository, and each deploy's commits."""
        return self._repos

    def deploy(self, deploy_id: str) -> ScenarioDeploy:
        """The deploy with this id, or NotFoundError naming the known ones."""
        for deploy in self.deploys:
            if deploy.id == deploy_id:
                return deploy
        known = [d.id for d in self.deploys]
        raise NotFoundError(f"scenario {self.name!r} has no deploy {deploy_id!r}", hint=f"Use one of: {known}.")

    def services_config(self) -> list[dict[str, Any]]:
        """The services as ``services:`` entries of a firstfifteen config, health URLs at the replay checker."""
        return [
            dict(
                name=s.name,
                depends_on=list(s.depends_on),
                health_url=f"replay://{self.name}/{s.name}/healthz",
                team=s.team,
                status_component=s.status_component,
                repo=s.repo,
                paths=list(s.paths),
                routes={route: list(globs) for route, globs in s.route_paths.items()},
                providers=list(s.providers),
                **({"deploy": s.deploy} if s.deploy is not None else {}),
            )
            for s in self.services
        ]


def check_format(value: object) -> None:
    """Refuse a scenario whose ``format`` is missing or not one this code reads."""
    if value is None:
        raise ValueError(f"format: missing; put 'format: {FORMAT_VERSION}' at the top (see docs/scenarios.md)")
    if value != FORMAT_VERSION or isinstance(value, bool):
        raise ValueError(
            f"format: {value!r} is not supported: this firstfifteen reads scenario format {FORMAT_VERSION} "
            "(see docs/scenarios.md for what changed)"
        )


def _resolve_item(item: Any, where: str, fields: tuple[str, ...], anchor: datetime) -> Any:
    if not isinstance(item, dict):
        return item
    resolved = dict(item)
    if where.startswith("events") and resolved.get("to") is None:
        resolved["to"] = anchor  # documented default: an event lasts until the page
    for field in fields:
        if resolved.get(field) is not None:
            try:
                resolved[field] = resolve_time(resolved[field], anchor)
            except ValueError as exc:
                raise ValueError(f"{where}.{field}: {exc}") from None
    if where.startswith("deploys") and isinstance(resolved.get("changes"), list):
        resolved["changes"] = [
            _resolve_item(commit, f"{where}.changes[{c}]", ("at",), anchor)
            for c, commit in enumerate(resolved["changes"])
        ]
    return resolved


def _check_services(scenario: Scenario) -> None:
    names = scenario.names()
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"services: duplicate names {dupes}")
    for service in scenario.services:
        unknown = [d for d in service.depends_on if d not in names or d == service.name]
        if unknown:
            raise ValueError(f"services.{service.name}.depends_on: unknown services {unknown} (known: {names})")


def _check_references(scenario: Scenario) -> None:
    names = scenario.names()
    refs = [("page", scenario.page.service)]
    for key in ("events", "deploys", "alerts", "logs"):
        refs += [(f"{key}[{i}]", item.service) for i, item in enumerate(getattr(scenario, key))]
    for where, service in refs:
        if service not in names:
            raise ValueError(f"{where}.service: unknown service {service!r} (known: {names})")
    for i, event in enumerate(scenario.events):
        if event.end <= event.start:
            raise ValueError(f"events[{i}]: 'to' ({iso_utc(event.end)}) must be after 'from' ({iso_utc(event.start)})")
        routes = scenario.service(event.service).routes
        unknown = [r for r in event.error_routes if r not in routes]
        if unknown:
            raise ValueError(f"events[{i}].error_routes: {unknown} are not routes of {event.service} ({list(routes)})")


def _check_deploys(scenario: Scenario) -> None:
    ids = [d.id for d in scenario.deploys]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"deploys: duplicate ids {dupes}")
    for i, deploy in enumerate(scenario.deploys):
        if deploy.finished is not None and deploy.finished < deploy.started:
            raise ValueError(f"deploys[{i}]: finished ({iso_utc(deploy.finished)}) is before started")
    for service in scenario.services:
        if service.deploy is None:
            continue
        try:
            DeployMethod.model_validate(service.deploy)
        except ValidationError as exc:
            raise ValueError(f"services.{service.name}.deploy: {_describe(exc)}") from None


def _check_expected(scenario: Scenario) -> None:
    expected, names = scenario.expected, scenario.names()
    for key in ("degraded", "roots", "symptoms", "healthy"):
        unknown = [n for n in getattr(expected, key) if n not in names]
        if unknown:
            raise ValueError(f"expected.{key}: unknown services {unknown} (known: {names})")
    outside = [n for n in expected.roots + expected.symptoms if n not in expected.degraded]
    if outside:
        raise ValueError(f"expected: roots and symptoms must be degraded too: {outside}")
    both = sorted(set(expected.degraded) & set(expected.healthy))
    if both:
        raise ValueError(f"expected: {both} cannot be both degraded and healthy")
    ids = [d.id for d in scenario.deploys]
    if expected.culprit is not None and expected.culprit not in ids:
        raise ValueError(
            f"expected.culprit: {expected.culprit!r} is not a deploy of this scenario "
            f"(deploys: {ids}; null means no deploy is to blame)"
        )


def scenario_dirs() -> list[Path]:
    """Where bundled scenarios live: inside the wheel, then the source checkout."""
    return [d for d in (_PACKAGED, _REPO) if d.is_dir()]


def list_scenarios() -> list[str]:
    """Names of the bundled scenarios."""
    return sorted({p.parent.name for d in scenario_dirs() for p in d.glob(f"*/{SCENARIO_FILE}")})


def scenario_path(name_or_path: str | Path, base_dir: Path | None = None) -> Path:
    """The scenario.yaml that a path (folder or file, relative to ``base_dir``) or a bundled name points at."""
    text = str(name_or_path)
    path = Path(text).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if path.is_dir():
        path = path / SCENARIO_FILE
    if path.is_file():
        return path
    if _NAME.match(text):
        for directory in scenario_dirs():
            candidate = directory / text / SCENARIO_FILE
            if candidate.is_file():
                return candidate
        raise NotFoundError(
            f"no scenario named {text!r}",
            hint=f"Use one of {', '.join(list_scenarios()) or 'none'}, or a path to a scenario.yaml.",
        )
    raise NotFoundError(
        f"scenario file {str(path)!r} not found", hint="Give a bundled scenario name or a scenario.yaml path."
    )


def load_scenario(name_or_path: str | Path, base_dir: Path | None = None) -> Scenario:
    """Load and validate a scenario by bundled name or path; ConfigError lists every problem."""
    path = scenario_path(name_or_path, base_dir)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:  # a file that is not UTF-8 is not YAML either
        raise ConfigError(f"scenario {path}: not valid YAML: {exc}") from None
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(
            f"scenario {path}: {_describe(exc)}", hint="Fix the file; docs/scenarios.md describes the format."
        ) from None
    if scenario.name != path.parent.name and _NAME.match(str(name_or_path)):
        raise ConfigError(f"scenario {path}: name {scenario.name!r} differs from its folder {path.parent.name!r}")
    return scenario


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return "; ".join(lines)
