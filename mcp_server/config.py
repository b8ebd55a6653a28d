"""firstfifteen.yaml: load, expand secrets from the environment, merge the named environment, validate.

A bad file is refused at start with every problem listed as ``key.path: problem (accepted: ...)``.
Secrets come from ``${VAR}`` references and are held as ``SecretStr``, so they never print.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from string import Template
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from adapters.errors import ConfigError
from adapters.models import DeployMethod
from mcp_server.signal_presets import DEFAULT_PRESET, PRESET_NAMES, PRESETS, PresetName, apply_preset
from mcp_server.store.settings import StoreConfig
from mcp_server.team_auth import ServerConfig
from mcp_server.tool_groups import ToolsConfig

CONFIG_ENV = "FIRSTFIFTEEN_CONFIG"
ENVIRONMENT_ENV = "FIRSTFIFTEEN_ENV"
SIGNAL_NAMES = ("requests", "errors", "latency", "route_requests", "route_errors")
_PLACEHOLDERS = {"selector": "", "range": "15m", "quantile": "0.99", "service_label": "s", "route_label": "r"}
_SECRET_WORDS = ("token", "password", "secret", "key", "auth", "credential", "url", "header")
SERVICE_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,128}$")
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
"""A ``${VAR}`` or ``${VAR:-default}`` reference: group 1 the name, group 2 the default (None if absent)."""
_CLASSIC = PRESETS[DEFAULT_PRESET]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceConfig(_Strict):
    """One service of the system under watch."""

    name: str = Field(description="Service name as it appears in the metrics' service label")
    depends_on: list[str] = Field(default_factory=list, description="Services this one calls")
    health_url: str | None = None
    health_expected_status: int = Field(default=200, ge=100, le=599)
    health_source: str = Field(
        default="", description="The health-check adapter for health_url (default: the one whose scheme it is)"
    )
    team: str = ""
    status_component: str = Field(default="", description="Public status-page component it maps to")
    repo: str = Field(default="", description="Repository of its code: owner/name, or a git adapter's clone name")
    paths: list[str] = Field(default_factory=list, description="Globs of the repo paths it owns")
    routes: dict[str, list[str]] = Field(default_factory=dict, description="Route -> globs of the code serving it")
    deploy: DeployMethod = Field(default_factory=DeployMethod)
    providers: list[str] = Field(
        default_factory=list, description="Outside providers it calls, as provider events name them (e.g. GitHub)"
    )

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not SERVICE_NAME.match(value):
            raise ValueError("must be 1-128 printable characters")
        return value


class SignalsConfig(_Strict):
    """PromQL templates; ``$selector``, ``$range``, ``$quantile``, ``$service_label``, ``$route_label``.

    ``preset`` names a metric convention (mcp_server/signal_presets.py); keys given beside it win.
    """

    preset: PresetName = Field(default=DEFAULT_PRESET, description=f"One of: {', '.join(PRESET_NAMES)}")
    service_label: str = _CLASSIC["service_label"]
    route_label: str = _CLASSIC["route_label"]
    selector: str = Field(default="", description='Extra label matchers for every query, e.g. job="api"')
    requests: str = _CLASSIC["requests"]
    errors: str = _CLASSIC["errors"]
    latency: str = Field(default=_CLASSIC["latency"], description="A percentile in seconds")
    route_requests: str = _CLASSIC["route_requests"]
    route_errors: str = _CLASSIC["route_errors"]

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: object) -> object:
        return apply_preset(data)

    @model_validator(mode="after")
    def _templates_render(self) -> SignalsConfig:
        for signal in SIGNAL_NAMES:
            try:
                Template(getattr(self, signal)).substitute(_PLACEHOLDERS)
            except (KeyError, ValueError) as exc:
                raise ValueError(
                    f"{signal}: unknown or malformed placeholder {exc} (accepted: ${', $'.join(_PLACEHOLDERS)})"
                ) from None
        return self

    @field_validator("service_label", "route_label")
    @classmethod
    def _label_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError("must be a Prometheus label name ([A-Za-z_][A-Za-z0-9_]*)")
        return value


class TriageConfig(_Strict):
    """How triage judges a change; the defaults suit most HTTP services."""

    window_minutes: int = Field(default=15, ge=1, le=240, description="The 'now' window")
    sparkline_minutes: int = Field(default=60, ge=10, le=360)
    deploy_lookback_minutes: int = Field(default=60, ge=1, le=1440)
    deadline_seconds: float = Field(default=10.0, gt=0, le=120)
    min_requests: float = Field(default=100, ge=0, description="Fewer requests in the window: too quiet to judge")
    min_errors: float = Field(default=10, ge=0, description="Fewer errors than this is never an incident")
    error_ratio_factor: float = Field(default=3.0, ge=1)
    error_ratio_min_delta: float = Field(default=0.01, ge=0, description="Absolute rise in error ratio (0.01 = 1 pt)")
    latency_factor: float = Field(default=1.5, ge=1)
    latency_min_delta_ms: float = Field(default=50, ge=0)
    traffic_drop_factor: float = Field(default=0.5, gt=0, lt=1, description="Now below this share of normal")
    significance: float = Field(default=0.001, gt=0, lt=0.5, description="p-value under which a change is real")
    max_routes: int = Field(default=5, ge=1, le=50)


class DeploysConfig(_Strict):
    """How deploy correlation picks and judges candidates."""

    lookback_hours: float = Field(default=24, gt=0, le=24 * 14)
    threshold: float = Field(default=0.35, gt=0, lt=1, description="Below this score: no deploy implicated")
    time_half_life_minutes: float = Field(default=30, gt=0, description="A deploy this long before onset weighs half")
    max_candidates: int = Field(default=20, ge=1, le=200)
    environments: list[str] = Field(
        default_factory=list, description="Only deploys to these environments count (empty: all)"
    )
    max_change_sets: int = Field(
        default=50, ge=1, le=1000, description="Change sets fetched per ranking: those with the best possible score"
    )
    provider_minutes: float = Field(
        default=10, ge=0, le=120, description="A dependency's provider incident starting this close to the onset wins"
    )
    recurrence_days: int = Field(default=3, ge=1, le=14, description="Previous days checked at the same time of day")
    recurrence_min_days: int = Field(default=2, ge=1, le=14, description="Degraded on this many of them: recurring")

    @model_validator(mode="after")
    def _recurrence_fits(self) -> DeploysConfig:
        if self.recurrence_min_days > self.recurrence_days:
            days, least = self.recurrence_days, self.recurrence_min_days
            raise ValueError(f"recurrence_min_days ({least}) cannot exceed recurrence_days ({days})")
        return self


class WritesConfig(_Strict):
    """Which outside writes are allowed at all. Everything is off until turned on here."""

    status_page: bool = False
    chat: bool = False
    email: bool = False


class ExecEmailConfig(_Strict):
    """Who gets the executive email, and from which severity."""

    to: list[str] = Field(default_factory=list)
    sender: str = "firstfifteen@localhost"
    min_severity: Literal["SEV1", "SEV2", "SEV3", "SEV4"] = "SEV2"


class CommsConfig(_Strict):
    """Drafting and posting incident communications."""

    writes: WritesConfig = Field(default_factory=WritesConfig)
    chat_channel: str = Field(default="", description="Internal incident channel, e.g. #inc-checkout or C0123")
    exec_email: ExecEmailConfig = Field(default_factory=ExecEmailConfig)
    templates_dir: str | None = Field(
        default=None, description="Directory of Jinja2 templates overriding the shipped ones"
    )
    update_every_minutes: dict[str, int] = Field(
        default_factory=lambda: {"status_page": 30, "chat": 15, "exec_email": 60, "support": 60},
        description="How often each audience expects an update",
    )
    status_page_url: str = Field(default="", description="Public URL of the status page, for support replies")


class TimelineConfig(_Strict):
    """Capturing the timeline from chat."""

    channel: str = Field(default="", description="The incident chat channel to read (default: comms.chat_channel)")
    highlight_emoji: list[str] = Field(default_factory=lambda: ["pushpin", "stopwatch"])
    highlight_keywords: list[str] = Field(default_factory=lambda: ["#timeline", "decision:", "action:"])


class PostmortemConfig(_Strict):
    """Drafting the post-mortem."""

    templates_dir: str | None = Field(
        default=None, description="Directory holding a postmortem.md.j2 that overrides the shipped template"
    )
    output_dir: str | None = Field(
        default=None, description="Where drafts are written (default: a postmortems folder beside the store)"
    )


class AdapterEntry(BaseModel):
    """One configured adapter instance: its type (default: the key) and its own settings."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str | None = None

    def settings(self) -> dict[str, Any]:
        """The adapter's own settings, without ``type``."""
        return dict(self.model_extra or {})

    def __repr_args__(self) -> list[tuple[str, Any]]:
        # Settings may hold expanded secrets: show only which keys are set.
        return [("type", self.type), ("keys", sorted(self.model_extra or {}))]


class Config(_Strict):
    """A whole, validated configuration for one environment."""

    environment: str = "default"
    services: list[ServiceConfig] = Field(min_length=1)
    signals: SignalsConfig = Field(default_factory=SignalsConfig)
    triage: TriageConfig = Field(default_factory=TriageConfig)
    deploys: DeploysConfig = Field(default_factory=DeploysConfig)
    comms: CommsConfig = Field(default_factory=CommsConfig)
    timeline: TimelineConfig = Field(default_factory=TimelineConfig)
    postmortem: PostmortemConfig = Field(default_factory=PostmortemConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    tools: ToolsConfig = Field(default_factory=ToolsConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    adapters: dict[str, AdapterEntry] = Field(default_factory=dict)
    sources: dict[str, list[str]] = Field(default_factory=dict, description="capability -> adapter names")
    prometheus_ui: str | None = Field(default=None, description="Base URL for query links, if not the adapter's")
    base_dir: Path = Field(default=Path("."), exclude=True)

    @model_validator(mode="after")
    def _cross_references(self) -> Config:
        names = [s.name for s in self.services]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"services: duplicate names {dupes}")
        for service in self.services:
            unknown = [d for d in service.depends_on if d not in names]
            if unknown:
                raise ValueError(f"services.{service.name}.depends_on: unknown services {unknown} (known: {names})")
        for capability, adapter_names in self.sources.items():
            missing = [a for a in adapter_names if a not in self.adapters]
            if missing:
                raise ValueError(
                    f"sources.{capability}: {missing} are not under adapters (known: {list(self.adapters)})"
                )
        return self

    def with_groups(self, groups: list[str]) -> Config:
        """This config offering only the tool groups ``groups`` (checked already, by ``parse_groups``)."""
        return self.model_copy(update={"tools": ToolsConfig(groups=groups)})

    def service(self, name: str) -> ServiceConfig:
        """The named service, or a ConfigError listing the known ones."""
        for service in self.services:
            if service.name == name:
                return service
        raise ConfigError(
            f"unknown service {name!r}",
            hint=f"Use one of the configured services: {', '.join(s.name for s in self.services)}.",
        )


def expand_env(value: Any, path: str = "", environ: Mapping[str, str] | None = None) -> Any:
    """Replace ``${VAR}`` and ``${VAR:-default}`` in every string of a parsed YAML tree."""
    env = os.environ if environ is None else environ
    if isinstance(value, dict):
        return {k: expand_env(v, f"{path}.{k}" if path else str(k), env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, f"{path}[{i}]", env) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise ConfigError(f"{path}: environment variable {name} is not set", hint=f"export {name}=... before starting.")

    return ENV_REFERENCE.sub(substitute, value)


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Merge ``overlay`` into ``base``: mappings merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def format_validation_error(error: ValidationError) -> str:
    """One line per problem: ``key.path: message (got: value)``."""
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        got = item.get("input")
        secret = any(word in where.lower() for word in _SECRET_WORDS)
        shown = "" if secret or isinstance(got, dict | list) or got is None else f" (got: {got!r})"
        lines.append(f"{where}: {item['msg']}{shown}")
    return "; ".join(lines)


def select_environment(raw: dict[str, Any], environment: str | None) -> dict[str, Any]:
    """Apply the named environment's overlay from ``environments:`` to the shared top level."""
    overlays = raw.pop("environments", None) or {}
    if not isinstance(overlays, dict):
        raise ConfigError("environments: must be a mapping of name -> settings")
    name = environment or raw.pop("default_environment", None) or (next(iter(overlays)) if overlays else None)
    raw.pop("default_environment", None)
    if name is None:
        return raw
    if name not in overlays:
        known = ", ".join(overlays) or "none defined"
        raise ConfigError(f"unknown environment {name!r}", hint=f"Use one of: {known}.")
    merged = deep_merge(raw, overlays[name] or {})
    merged["environment"] = name
    return merged


def parse_config(raw: Any, *, base_dir: Path, environment: str | None = None) -> Config:
    """Validate an already-parsed YAML tree into a Config, or raise one ConfigError naming every problem."""
    if not isinstance(raw, dict):
        raise ConfigError("the config must be a YAML mapping with at least a services: list")
    tree = select_environment(expand_env(dict(raw)), environment)
    try:
        config = Config.model_validate({**tree, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(f"invalid config: {format_validation_error(exc)}") from None
    _validate_adapters(config)
    return config


def _validate_adapters(config: Config) -> None:
    # Imported here: the registry loads entry points, which import every adapter module.
    from adapters.registry import load_adapter_class

    for name, entry in config.adapters.items():
        cls = load_adapter_class(entry.type or name)
        try:
            cls.config_model.model_validate(entry.settings())
        except ValidationError as exc:
            raise ConfigError(f"invalid config: adapters.{name}: {format_validation_error(exc)}") from None


def config_file(path: str | Path | None = None) -> Path:
    """The file a config is read from: ``path``, else $FIRSTFIFTEEN_CONFIG, else ./firstfifteen.yaml."""
    return Path(path or os.environ.get(CONFIG_ENV) or "firstfifteen.yaml")


def load_config(path: str | Path | None = None, environment: str | None = None) -> Config:
    """Load the config from :func:`config_file`'s choice for ``path``."""
    chosen = config_file(path)
    if not chosen.is_file():
        raise ConfigError(
            f"config file {str(chosen)!r} not found",
            hint="Pass --config PATH or set FIRSTFIFTEEN_CONFIG; `firstfifteen demo` runs without one.",
        )
    try:
        raw = yaml.safe_load(chosen.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{chosen}: not valid YAML: {exc}") from None
    env = environment or os.environ.get(ENVIRONMENT_ENV)
    return parse_config(raw, base_dir=chosen.resolve().parent, environment=env)
