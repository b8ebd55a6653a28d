"""Deploys from Argo CD: each Application's sync history, and the sync running or failed now.

Reads ``GET /api/v1/applications/{name}`` (``v1alpha1Application`` in Argo CD's swagger,
https://argo-cd.readthedocs.io/en/stable/developer-guide/api-docs/). ``status.history`` holds the
last successful syncs, oldest first (``revisionHistoryLimit``, 10 by default): each entry is a
succeeded deploy. ``status.operationState`` is the latest operation only: ``Running`` is a deploy in
progress, ``Failed`` or ``Error`` a failed one; a ``Succeeded`` one is already the last history
entry. Health and sync state describe the present, so they are noted on the newest deploy alone.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import ClassVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from adapters.base import AdapterContext
from adapters.errors import AdapterError, AuthError, BadResponseError, NotFoundError
from adapters.http import (
    BaseUrl,
    build_credentials,
    decode_json,
    refuse_url_credentials,
    send,
    upstream_text,
)
from adapters.models import Deploy, DeployStatus, TimeWindow

_OWN_STATUSES = frozenset({401, 403, 404})  # Argo CD gives these meanings of its own
_PHASES: dict[str, DeployStatus] = {
    "Running": "in_progress",
    "Terminating": "in_progress",
    "Failed": "failed",
    "Error": "failed",
}
_SHA = re.compile(r"[0-9a-f]{40}")
_GIT_URL = re.compile(r"(?:[a-z+]+://)?(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?[/:](?P<path>[^/]+/[^/]+?)(?:\.git)?/?")


class ArgoApplication(BaseModel):
    """One Argo CD Application and the service it deploys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="The Application's name")
    service: str = Field(default="", description="The service it deploys; default: the name")
    project: str = Field(default="", description="Its Argo CD project; when set, a different one is refused")
    namespace: str = Field(default="", description="Its namespace, for applications outside Argo CD's own")
    environment: str = Field(default="", description="Label of its deploys, e.g. production")

    @property
    def service_name(self) -> str:
        """The service, defaulting to the Application's name."""
        return self.service or self.name


class ArgoCDConfig(BaseModel):
    """Settings of the Argo CD adapter."""

    # hide_input_in_errors: a validation error must not print the token it was given.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    url: BaseUrl = Field(description="Argo CD server, e.g. https://argocd.example.com")
    token: SecretStr | None = Field(default=None, description="Sent as Authorization: Bearer; use ${ARGOCD_TOKEN}")
    timeout_s: float = Field(default=10.0, gt=0, le=120, description="Per-request timeout in seconds")
    applications: list[ArgoApplication] = Field(min_length=1)
    git_hosts: list[str] = Field(default=["github.com"], description="Hosts whose repo URLs become owner/name")

    @model_validator(mode="before")
    @classmethod
    def _no_url_credentials(cls, data: object) -> object:
        return refuse_url_credentials(data, "url")


def parse_time(value: object) -> datetime | None:
    """An RFC3339 time as Kubernetes sends it, or None when absent."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected an RFC3339 time, got {value!r}")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def repo_name(url: str, git_hosts: list[str]) -> str:
    """owner/name for a repository URL on one of ``git_hosts``; other URLs without any credentials."""
    match = _GIT_URL.fullmatch(url.strip())
    if match and match["host"].lower() in {h.lower() for h in git_hosts}:
        return match["path"]
    return re.sub(r"//[^/@]+@", "//", url)  # an https://user:token@host URL must not travel further


def _git_source(entry: dict[str, object]) -> tuple[dict[str, object], str]:
    """The source and revision of a history entry or sync result; multi-source: the first git one."""
    source = entry.get("source")
    if isinstance(source, dict) and source.get("repoURL"):
        return source, str(entry.get("revision") or "")
    sources, revisions = entry.get("sources"), entry.get("revisions")
    if not isinstance(sources, list) or not isinstance(revisions, list):
        return {}, str(entry.get("revision") or "")
    pairs = [(s, str(r)) for s, r in zip(sources, revisions, strict=False) if isinstance(s, dict)]
    return next(((s, r) for s, r in pairs if not s.get("chart")), pairs[0] if pairs else ({}, ""))


def _spec_source(spec: dict[str, object]) -> dict[str, object]:
    """The application's own source; multi-source: the first that is not a Helm chart."""
    source, sources = spec.get("source"), spec.get("sources")
    if isinstance(source, dict):
        return source
    found = [s for s in sources if isinstance(s, dict)] if isinstance(sources, list) else []
    return next((s for s in found if not s.get("chart")), found[0] if found else {})


def _application_parts(body: object) -> tuple[dict[str, object], dict[str, object]] | None:
    """(spec, status) of an Application object, or None for anything else.

    Every Application has metadata and spec: without that check, any JSON object (a proxy's
    ``{}``) would read as an application with no history, and "no deploys" would be inferred.
    """
    if not isinstance(body, dict):
        return None
    metadata, spec, status = body.get("metadata"), body.get("spec"), body.get("status") or {}
    if isinstance(metadata, dict) and isinstance(spec, dict) and isinstance(status, dict):
        return spec, status
    return None


def _entries(history: object) -> list[dict[str, object]]:
    """``status.history`` as a list of objects (absent: none)."""
    if history is None:
        return []
    if not isinstance(history, list) or not all(isinstance(entry, dict) for entry in history):
        raise ValueError("status.history must be a list of objects")
    return history


def _initiator(value: object) -> str:
    if not isinstance(value, dict):
        return ""
    return str(value.get("username") or ("automated sync" if value.get("automated") else ""))


def _overlaps(deploy: Deploy, window: TimeWindow) -> bool:
    """Started by the window's end and not finished before its start (still running counts)."""
    if deploy.started_at > window.end:
        return False
    still_running = deploy.finished_at is None and deploy.status == "in_progress"
    return still_running or (deploy.finished_at or deploy.started_at) >= window.start


class ArgoCDAdapter:
    """Lists the syncs of the configured Argo CD Applications as deploys."""

    config_model: ClassVar[type[ArgoCDConfig]] = ArgoCDConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"deploys"})

    def __init__(self, name: str, config: ArgoCDConfig, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Keep the settings and the shared client; nothing is sent until asked."""
        self.name = name
        self.config = config
        self._http = http
        self._context = context
        self._credentials = build_credentials(bearer_token=config.token)

    def __repr__(self) -> str:
        return f"ArgoCDAdapter(name={self.name!r}, url={self.config.url!r})"

    async def check(self) -> str:
        """GET /api/version, then every configured Application (the version alone needs no token)."""
        body = await self._get("/api/version", "GET /api/version", None, app=None)
        version = body.get("Version") if isinstance(body, dict) else None
        if not isinstance(version, str):
            raise self._bad_shape("GET /api/version", "Version is missing")
        await asyncio.gather(*(self._application(app) for app in self.config.applications))
        return f"Argo CD {version} at {self.config.url}; {len(self.config.applications)} applications readable"

    async def list_deploys(self, window: TimeWindow) -> list[Deploy]:
        """Syncs of every configured Application that started or finished in ``window``, oldest first.

        Applications are read concurrently; one that cannot be read fails the call, naming it,
        because "no deploy" must never be inferred from an application that did not answer.
        """
        found = await asyncio.gather(*(self._app_deploys(app) for app in self.config.applications))
        deploys = (d for group in found for d in group if _overlaps(d, window))
        return sorted(deploys, key=lambda d: (d.started_at, d.id))

    async def _app_deploys(self, app: ArgoApplication) -> list[Deploy]:
        spec, status, summary = await self._application(app)
        try:
            deploys = self._history(app, _entries(status.get("history")))
            spec_source = _spec_source(spec)
            last = deploys[-1] if deploys else None
            operation = self._operation(app, status.get("operationState"), last, spec_source)
            deploys += [operation] if operation else []
            if deploys:
                deploys[-1] = self._with_app_state(deploys[-1], status)
        except (AttributeError, KeyError, TypeError, ValueError, ValidationError) as exc:
            raise self._bad_shape(summary, f"unreadable application status: {exc}") from exc
        return deploys

    def _history(self, app: ArgoApplication, history: list[dict[str, object]]) -> list[Deploy]:
        """Each history entry is a sync that succeeded; the one before it is what it replaced."""
        deploys: list[Deploy] = []
        for entry in sorted(history, key=lambda e: int(str(e["id"]))):
            source, revision = _git_source(entry)
            finished = parse_time(entry["deployedAt"])
            if finished is None:
                raise ValueError(f"history entry {entry['id']} has no deployedAt")
            deploys.append(
                self._deploy(
                    app,
                    f"{app.name}#{entry['id']}",
                    source,
                    revision,
                    deploys[-1] if deploys else None,
                    started_at=parse_time(entry.get("deployStartedAt")) or finished,
                    finished_at=finished,
                    author=_initiator(entry.get("initiatedBy")),
                )
            )
        return deploys

    def _operation(
        self, app: ArgoApplication, state: object, last: Deploy | None, spec_source: dict[str, object]
    ) -> Deploy | None:
        """The latest operation, when it is still running or failed (a success is in the history)."""
        if not isinstance(state, dict) or state.get("phase") in (None, "Succeeded"):
            return None
        phase = str(state["phase"])
        if phase not in _PHASES:
            raise ValueError(f"unknown operation phase {phase!r}")
        operation = state.get("operation") or {}
        source, revision = _git_source(state.get("syncResult") or {})
        if not revision:  # the sync failed before resolving a revision: use the one it asked for
            source, revision = _git_source(operation.get("sync") or {})
        source = source if source.get("repoURL") else spec_source
        started = parse_time(state["startedAt"])
        if started is None:
            raise ValueError("operationState.startedAt is missing")
        status, message = _PHASES[phase], str(state.get("message") or "")
        return self._deploy(
            app,
            f"{app.name}#op-{state['startedAt']}",
            source,
            revision,
            last,
            started_at=started,
            finished_at=parse_time(state.get("finishedAt")) if status == "failed" else None,
            status=status,
            author=_initiator(operation.get("initiatedBy")),
            detail=f"sync {phase.lower()}" + (f": {message[:200]}" if message else ""),
        )

    def _deploy(
        self,
        app: ArgoApplication,
        deploy_id: str,
        source: dict[str, object],
        revision: str,
        previous: Deploy | None,
        **fields: object,
    ) -> Deploy:
        """A deploy of ``revision``; ``previous`` is what was running before it."""
        # A Helm-repository source's revision is a chart version, not a commit: no sha, no repo.
        chart = bool(source.get("chart"))
        sha = revision if _SHA.fullmatch(revision) and not chart else ""
        repo_url = str(source.get("repoURL") or "")
        return Deploy.model_validate(
            {
                "id": deploy_id,
                "service": app.service_name,
                "environment": app.environment,
                "version": sha[:7] if sha else revision,
                "previous_version": previous.version if previous else "",
                "link": f"{self.config.url}/applications/{quote(app.name, safe='')}",
                "source": self.name,
                "repo": "" if chart or not repo_url else repo_name(repo_url, self.config.git_hosts),
                "sha": sha,
                "previous_sha": previous.sha if previous and sha else "",
                **fields,
            }
        )

    @staticmethod
    def _with_app_state(deploy: Deploy, status: dict[str, object]) -> Deploy:
        """Note the application's present health and sync state when it is not healthy and synced."""
        health, sync = status.get("health") or {}, status.get("sync") or {}
        parts = []
        if isinstance(health, dict) and health.get("status") not in (None, "", "Healthy"):
            message = str(health.get("message") or "")
            parts.append(f"health {health['status']}" + (f" ({message[:160]})" if message else ""))
        if isinstance(sync, dict) and sync.get("status") not in (None, "", "Synced"):
            parts.append(f"sync {sync['status']}")
        if not parts:
            return deploy
        note = "app now: " + ", ".join(parts)
        return deploy.model_copy(update={"detail": f"{deploy.detail}; {note}" if deploy.detail else note})

    async def _application(self, app: ArgoApplication) -> tuple[dict[str, object], dict[str, object], str]:
        """The Application's spec and status (``{}`` before its first reconcile), and the request summary."""
        path = f"/api/v1/applications/{quote(app.name, safe='')}"
        params = {k: v for k, v in (("appNamespace", app.namespace), ("projects", app.project)) if v}
        summary = f"GET {path}" + "".join(f" {k}={v}" for k, v in params.items())
        body = await self._get(path, summary, params or None, app=app)
        parts = _application_parts(body)
        if parts is None:
            raise self._bad_shape(summary, "expected an Application object (metadata, spec, status)")
        return *parts, summary

    async def _get(
        self, path: str, summary: str, params: dict[str, str] | None, *, app: ArgoApplication | None
    ) -> object:
        response = await send(
            self._http,
            "GET",
            self.config.url + path,
            adapter=self.name,
            request_summary=summary,
            timeout=self.config.timeout_s,
            params=params,
            credentials=self._credentials,
            passthrough=_OWN_STATUSES,
        )
        if response.status_code in _OWN_STATUSES:
            raise self._refused(response, summary, app)
        return decode_json(response, adapter=self.name, request_summary=summary, credentials=self._credentials)

    def _refused(self, response: httpx.Response, summary: str, app: ArgoApplication | None) -> AdapterError:
        """The error for a 401, 403 or 404, with what to do about it."""
        where = {"adapter": self.name, "request": summary, "upstream": upstream_text(response, self._credentials)}
        status = response.status_code
        if status == 401:
            hint = "The token is wrong or expired: create one with `argocd account generate-token` and set it anew."
            return AuthError("Argo CD refused the token (HTTP 401)", **where, hint=hint)
        name = app.name if app else "the API"
        if status == 403:
            # Argo CD answers "permission denied" for an application that does not exist, too.
            project = app.project if app and app.project else "<project>"
            hint = (
                f"Check the application name {name!r}, then grant the token's account or role "
                f"'applications, get, {project}/{name}, allow' in argocd-rbac-cm."
            )
            return AuthError(f"Argo CD denied reading {name} (HTTP 403)", **where, hint=hint)
        if app is None:
            hint = "Point url at the Argo CD server (the address of its UI)."
            return NotFoundError("no Argo CD API at this path (HTTP 404)", **where, hint=hint)
        hint = "List applications with `argocd app list` and fix applications[].name (and namespace or project)."
        return NotFoundError(f"Argo CD has no application {name!r} (HTTP 404)", **where, hint=hint)

    def _bad_shape(self, summary: str, what: str) -> BadResponseError:
        return BadResponseError(
            f"the answer is not an Argo CD API response: {what}",
            adapter=self.name,
            request=summary,
            upstream=what[:300],
            hint="Check that url points at the Argo CD server (the UI's address), not a login proxy.",
        )
