"""The embedded default status page: static HTML written to a directory (capability "status_post").

No network and no account: every post updates ``state.json`` (the incidents with their updates)
and renders ``index.html``, a small self-contained page (inline CSS, no scripts, no outside
resources) that any web server or bucket can serve as it is. Both files are written to a temp file
in the same directory and moved into place with ``os.replace``, so a reader or a crash never sees
half a page.

The incident's id on this page is our ``incident_key``: posting again for the same incident adds
an update. Component statuses are derived, not stored: each component shows the worst status any
open incident gives it, and returns to operational when those incidents resolve, so a resolved
incident can never leave a component stuck in "major outage".
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import anyio
import httpx
from jinja2 import Environment, StrictUndefined
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from adapters.base import AdapterContext
from adapters.errors import ConfigError, UnavailableError
from adapters.models import ComponentStatus, PostResult, PublicState, StatusUpdate, UtcDatetime, iso_utc, utcnow

STATE_FILE = "state.json"
PAGE_FILE = "index.html"
PAST_SHOWN = 20  # resolved incidents listed under "Past incidents"
SEVERITY: dict[str, int] = {
    "operational": 0,
    "under_maintenance": 1,
    "degraded_performance": 2,
    "partial_outage": 3,
    "major_outage": 4,
}
COMPONENT_LABELS = {
    "operational": "Operational",
    "under_maintenance": "Under maintenance",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}
BANNERS = {**COMPONENT_LABELS, "operational": "All systems operational"}
STATE_LABELS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}


class StaticStatusConfig(BaseModel):
    """Settings of the embedded static status page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    directory: str = Field(default="status-page", description="Where index.html and state.json go")
    title: str = Field(default="Service status", description="The page's heading")
    components: list[str] = Field(default_factory=list, description="Public components shown, operational by default")

    @field_validator("components")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("component names must be unique")
        return value


class PageUpdate(BaseModel):
    """One update of an incident as the page keeps it."""

    model_config = ConfigDict(extra="forbid")

    status: PublicState
    body: str
    at: UtcDatetime


class PageIncident(BaseModel):
    """One incident of the page: its current state and every update, oldest first."""

    model_config = ConfigDict(extra="forbid")

    key: str
    title: str
    status: PublicState
    created_at: UtcDatetime
    resolved_at: UtcDatetime | None = None
    components: dict[str, ComponentStatus] = Field(default_factory=dict)
    updates: list[PageUpdate] = Field(default_factory=list)


class PageState(BaseModel):
    """Everything the page shows, as kept in state.json."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    incidents: dict[str, PageIncident] = Field(default_factory=dict)

    def apply(self, update: StatusUpdate, now: datetime) -> PageIncident:
        """Add ``update`` to its incident (created on first post); returns the incident."""
        key = update.remote_id or update.incident_key
        incident = self.incidents.get(key)
        if incident is None:
            incident = PageIncident(key=key, title=update.title, status=update.status, created_at=now)
            self.incidents[key] = incident
        incident.title = update.title
        incident.status = update.status
        incident.components.update(update.components)
        incident.updates.append(PageUpdate(status=update.status, body=update.body, at=now))
        # A later update that is not "resolved" reopens the incident.
        incident.resolved_at = now if update.status == "resolved" else None
        return incident

    def open_incidents(self) -> list[PageIncident]:
        """Unresolved incidents, newest first."""
        current = [i for i in self.incidents.values() if i.status != "resolved"]
        return sorted(current, key=lambda i: i.created_at, reverse=True)

    def past_incidents(self) -> list[PageIncident]:
        """Resolved incidents, most recently resolved first."""
        done = [i for i in self.incidents.values() if i.status == "resolved"]
        return sorted(done, key=lambda i: i.resolved_at or i.created_at, reverse=True)

    def component_statuses(self, configured: list[str]) -> dict[str, ComponentStatus]:
        """Configured components (in order), then others open incidents name: the worst open status of each."""
        statuses: dict[str, ComponentStatus] = dict.fromkeys(configured, "operational")
        for incident in self.open_incidents():
            for name, status in sorted(incident.components.items()):
                current = statuses.get(name, "operational")
                statuses[name] = status if SEVERITY[status] > SEVERITY[current] else current
        return statuses


def banner(statuses: dict[str, ComponentStatus], open_count: int) -> tuple[str, str]:
    """(label, level) of the page's overall status: the worst component, or an open incident."""
    worst: ComponentStatus = max(statuses.values(), key=SEVERITY.__getitem__, default="operational")
    if worst == "operational" and open_count:
        return "Ongoing incident", "degraded_performance"
    return BANNERS[worst], worst


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


_ENV = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_ENV.filters["when"] = _when
_ENV.filters["iso"] = iso_utc
_ENV.globals.update(component_label=COMPONENT_LABELS, state_label=STATE_LABELS)

TEMPLATE = _ENV.from_string("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:48rem;margin:2rem auto;
padding:0 1rem;color:#1f2328;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1.05rem;margin:.2rem 0}
.banner{padding:1rem 1.2rem;border-radius:.4rem;color:#fff;font-size:1.2rem;font-weight:600}
.operational{background:#1a7f37}.under_maintenance{background:#0969da}.degraded_performance{background:#bf8700}
.partial_outage{background:#d1600a}.major_outage{background:#cf222e}
ul.components{list-style:none;padding:0;border:1px solid #d0d7de;border-radius:.4rem}
ul.components li{display:flex;justify-content:space-between;padding:.6rem 1rem;border-top:1px solid #d0d7de}
ul.components li:first-child{border-top:0}
.status-operational{color:#1a7f37}.status-under_maintenance{color:#0969da}.status-degraded_performance{color:#9a6700}
.status-partial_outage{color:#bc4c00}.status-major_outage{color:#cf222e}
.incident{border:1px solid #d0d7de;border-radius:.4rem;padding:.8rem 1rem;margin:1rem 0}
.update{margin:.6rem 0}.update p{margin:.2rem 0;white-space:pre-wrap}
.label{font-weight:600}time,.muted{color:#59636e;font-size:.9rem}
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="banner {{ level }}" id="banner">{{ banner }}</p>
{% if open %}
<h2>Current incidents</h2>
{% for incident in open %}
<section class="incident" id="incident-{{ loop.index }}">
<h3>{{ incident.title }}</h3>
{% if incident.components %}
<p class="muted">Affects: {{ incident.components | sort | join(", ") }}</p>
{% endif %}
{% for update in incident.updates | reverse %}
<div class="update"><span class="label">{{ state_label[update.status] }}</span>
<time datetime="{{ update.at | iso }}">{{ update.at | when }}</time>
<p>{{ update.body }}</p></div>
{% endfor %}
</section>
{% endfor %}
{% endif %}
<h2>Components</h2>
{% if components %}
<ul class="components">
{% for name, status in components.items() %}
<li><span>{{ name }}</span><span class="status-{{ status }}">{{ component_label[status] }}</span></li>
{% endfor %}
</ul>
{% else %}
<p class="muted">No components listed.</p>
{% endif %}
<h2>Past incidents</h2>
{% for incident in past %}
<section class="incident past">
<h3>{{ incident.title }}</h3>
<p class="muted">Resolved <time datetime="{{ incident.resolved_at | iso }}">{{ incident.resolved_at | when }}</time></p>
{% for update in incident.updates | reverse %}
<div class="update"><span class="label">{{ state_label[update.status] }}</span>
<time datetime="{{ update.at | iso }}">{{ update.at | when }}</time>
<p>{{ update.body }}</p></div>
{% endfor %}
</section>
{% else %}
<p class="muted">No incidents reported.</p>
{% endfor %}
<p class="muted">Last updated <time datetime="{{ generated_at | iso }}">{{ generated_at | when }}</time></p>
</body>
</html>
""")


def render_page(state: PageState, title: str, components: list[str], now: datetime) -> str:
    """The page's HTML for ``state``; every text is escaped by the template's autoescape."""
    statuses = state.component_statuses(components)
    open_incidents = state.open_incidents()
    label, level = banner(statuses, len(open_incidents))
    return TEMPLATE.render(
        title=title,
        banner=label,
        level=level,
        components=statuses,
        open=open_incidents,
        past=state.past_incidents()[:PAST_SHOWN],
        generated_at=now,
    )


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file and ``os.replace``: readers see the old or the new file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a web server serving the page must read it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_state(directory: Path, adapter: str = "") -> PageState:
    """The page's state from state.json; a fresh state when there is none yet."""
    path = directory / STATE_FILE
    try:
        # Bytes, not text: a state file that is not UTF-8 is damaged like one that is not JSON.
        data = path.read_bytes()
    except FileNotFoundError:
        return PageState()
    try:
        return PageState.model_validate_json(data)
    except ValidationError as exc:
        raise ConfigError(
            f"{path} is not a status page state file: {exc.error_count()} problem(s)",
            adapter=adapter,
            hint=f"Move {path} aside to start a fresh page (its incidents will be lost from the page).",
        ) from exc


class StaticStatusAdapter:
    """Publishes incidents to a static HTML status page in a local directory."""

    config_model: ClassVar[type[StaticStatusConfig]] = StaticStatusConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"status_post"})

    def __init__(self, name: str, config: StaticStatusConfig, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Resolve the directory against the config's base directory; nothing is written until asked."""
        self.name = name
        self.config = config
        self._http = http
        self.directory = (context.base_dir / config.directory).resolve()
        self._lock = anyio.Lock()  # posts in one process read, change and write state.json one at a time
        self._now = utcnow  # tests replace it

    def __repr__(self) -> str:
        return f"StaticStatusAdapter(name={self.name!r}, directory={str(self.directory)!r})"

    async def check(self) -> str:
        """The directory exists (or can be made) and a file can be written in it."""
        try:
            await anyio.to_thread.run_sync(self._probe)
        except OSError as exc:
            raise ConfigError(
                f"cannot write the status page to {self.directory}: {exc.strerror or exc}",
                adapter=self.name,
                hint=f"Create {self.directory} writable by this user, or set directory under adapters.{self.name}.",
            ) from exc
        return f"static status page {self.directory / PAGE_FILE} (writable)"

    async def post_update(self, update: StatusUpdate) -> PostResult:
        """Add the update to its incident, then rewrite state.json and index.html atomically."""
        now = self._now()
        async with self._lock:
            try:
                await anyio.to_thread.run_sync(self._publish, update, now)
            except OSError as exc:
                raise UnavailableError(
                    f"cannot write the status page: {exc.strerror or exc}",
                    adapter=self.name,
                    request=f"write {self.directory}",
                    hint="Check the directory's permissions and free space; the previous page is still in place.",
                ) from exc
        return PostResult(
            target=f"static:{self.directory}",
            remote_id=update.remote_id or update.incident_key,
            link=(self.directory / PAGE_FILE).as_uri(),
            posted_at=now,
        )

    def _publish(self, update: StatusUpdate, now: datetime) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        state = load_state(self.directory, self.name)
        state.apply(update, now)
        html = render_page(state, self.config.title, self.config.components, now)
        # state.json first: if the page write fails, the next post renders it again from the state.
        write_atomic(self.directory / STATE_FILE, json.dumps(state.model_dump(mode="json"), indent=2) + "\n")
        write_atomic(self.directory / PAGE_FILE, html)

    def _probe(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.directory, prefix=".probe.", delete=True):
            pass
