"""Deploys and code changes from GitHub (github.com or GitHub Enterprise Server) over its REST API.

Deploys come from the Deployments API (mode ``deployments``) or, for teams that deploy from
Actions, from the runs of a named workflow (mode ``actions``). What changed between two commits
comes from the compare API. Shapes follow https://docs.github.com/en/rest at API version
2022-11-28. GitHub answers 403 both for a spent rate limit and for a missing permission, and 404
for a private repository the token cannot see; each becomes its own error with the wait or the
permission it needs. Listings are newest first and paged by the ``Link`` header; paging stops at
the window's start (plus what is needed to find the commit running before), or at ``max_pages``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
from collections.abc import Callable
from typing import ClassVar, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from adapters.base import CODEOWNERS_PATHS, AdapterContext
from adapters.errors import BadResponseError, NotFoundError, QueryError
from adapters.github.shapes import (
    MAX_FILES,  # noqa: F401 - re-exported: still importable from adapters.github.adapter
    RUN_CONCLUSIONS,  # noqa: F401 - re-exported
    DeploymentState,
    change_set,
    deployment_deploy,
    deployment_state,
    login,  # noqa: F401 - re-exported
    missing_commit,
    overlaps,
    parse_time,
    refused_error,
    run_deploy,
)
from adapters.http import Credentials, build_credentials, check_base_url, decode_json, refuse_url_credentials, send
from adapters.models import ChangeSet, Deploy, TimeWindow

log = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
LOOKBACK = 10  # older deployments read, per service and environment, to find the one running before
_OWN_STATUSES = frozenset({401, 403, 404, 429})  # GitHub gives these meanings of its own


class GitHubRepo(BaseModel):
    """One repository and how to read its deploys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    repo: str = Field(description="owner/name")
    mode: Literal["deployments", "actions"] = "deployments"
    service: str = Field(default="", description="The service every deploy of this repo belongs to")
    environment_services: dict[str, str] = Field(
        default_factory=dict, description="deployments: environment -> service"
    )
    payload_field: str = Field(default="", description="deployments: payload key naming the service")
    environments: list[str] | None = Field(default=None, description="deployments: environments to list; [] = all")
    workflow: str = Field(default="", description="actions: the deploy workflow's file name (deploy.yml) or id")
    branch: str = Field(default="", description="actions: only runs on this branch")

    @field_validator("repo")
    @classmethod
    def _repo(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", value):
            raise ValueError("must be owner/name, e.g. acme/checkout")
        return value

    @model_validator(mode="after")
    def _mode(self) -> GitHubRepo:
        if self.mode == "actions":
            if not (self.workflow and self.service):
                raise ValueError("mode actions needs workflow (e.g. deploy.yml) and service")
            if self.environment_services or self.payload_field:
                raise ValueError("environment_services and payload_field apply to mode deployments only")
            if self.environments is not None and len(self.environments) > 1:
                raise ValueError("mode actions takes at most one environment: the label of its deploys")
        elif self.workflow or self.branch:
            raise ValueError("workflow and branch apply to mode actions only")
        elif not (self.service or self.environment_services or self.payload_field):
            raise ValueError("say which service each deploy is: service, environment_services or payload_field")
        return self

    def listed_environments(self) -> list[str | None]:
        """Environments to list (None = every one): as given, else environment_services' keys, else production."""
        if self.environments is not None:
            return list(self.environments) or [None]
        return list(self.environment_services) or ["production"]

    def service_of(self, deployment: dict[str, object]) -> str:
        """payload[payload_field], else environment_services[environment], else service; '' = not watched."""
        payload = deployment.get("payload")
        if isinstance(payload, str):  # the API documents payload as an object or a JSON string
            try:
                payload = json.loads(payload)
            except ValueError:
                payload = None
        if self.payload_field and isinstance(payload, dict) and isinstance(payload.get(self.payload_field), str):
            return str(payload[self.payload_field])
        return self.environment_services.get(str(deployment.get("environment", "")), self.service)


class GitHubConfig(BaseModel):
    """Settings of the GitHub adapter."""

    # hide_input_in_errors: a validation error must not print the token it was given.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    api_url: str = Field(default="https://api.github.com", description="GitHub Enterprise: https://HOST/api/v3")
    web_url: str | None = Field(default=None, description="Base of web links; default: derived from api_url")
    token: SecretStr | None = Field(default=None, description="Sent as Authorization: Bearer; use ${GITHUB_TOKEN}")
    timeout_s: float = Field(default=10.0, gt=0, le=120, description="Per-request timeout in seconds")
    max_pages: int = Field(default=10, ge=1, le=100, description="Pages of 100 read per listing at most")
    repos: list[GitHubRepo] = Field(min_length=1)

    @field_validator("api_url", "web_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_base_url(value)

    @model_validator(mode="before")
    @classmethod
    def _no_url_credentials(cls, data: object) -> object:
        return refuse_url_credentials(data, "api_url", "web_url")

    def web_base(self) -> str:
        """https://github.com for api.github.com, https://HOST for https://HOST/api/v3."""
        if self.web_url:
            return self.web_url
        url = httpx.URL(self.api_url)
        host = "github.com" if url.host == "api.github.com" else url.netloc.decode()
        return f"{url.scheme}://{host}"


class GitHubAdapter:
    """Deploys of configured repositories (Deployments API or Actions runs), and their compare diffs."""

    config_model: ClassVar[type[GitHubConfig]] = GitHubConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"deploys", "changes"})

    def __init__(self, name: str, config: GitHubConfig, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Keep the settings and the shared client; nothing is sent until asked."""
        self.name = name
        self.config = config
        self._http = http
        self._context = context
        auth = build_credentials(bearer_token=config.token)
        headers = {**auth.headers, "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        self._credentials = Credentials(headers=headers, secrets=auth.secrets)
        self._limit = asyncio.Semaphore(8)  # statuses are one request per deployment; stay polite

    def __repr__(self) -> str:
        return f"GitHubAdapter(name={self.name!r}, api_url={self.config.api_url!r})"

    async def check(self) -> str:
        """GET /rate_limit and every configured repository; say how many requests are left."""
        try:
            body, _ = await self._get("/rate_limit", "GET /rate_limit", None, need="metadata", repo="")
            core = body["resources"]["core"] if isinstance(body, dict) else None
            left = f"{core['remaining']:,} of {core['limit']:,} requests left" if isinstance(core, dict) else ""
        except NotFoundError:  # GitHub Enterprise Server with rate limiting turned off
            left = "rate limiting off"
        except (KeyError, TypeError, ValueError) as exc:
            raise self._bad_shape("GET /rate_limit", "resources.core.remaining is missing") from exc
        repos = sorted({entry.repo for entry in self.config.repos})
        await asyncio.gather(
            *(self._get(f"/repos/{r}", f"GET /repos/{r}", None, need="metadata", repo=r) for r in repos)
        )
        return f"GitHub API at {self.config.api_url}, {left}; {len(repos)} repos readable"

    async def list_deploys(self, window: TimeWindow) -> list[Deploy]:
        """Deploys of every configured repository that started or finished in ``window``, oldest first."""
        found = await asyncio.gather(*(self._repo_deploys(entry, window) for entry in self.config.repos))
        return sorted((d for group in found for d in group), key=lambda d: (d.started_at, d.id))

    def knows(self, repo: str) -> bool:
        """Whether ``repo`` (owner/name, any case) is configured."""
        return any(entry.repo.lower() == repo.lower() for entry in self.config.repos)

    async def codeowners(self, repo: str) -> str | None:
        """The repo's CODEOWNERS from the contents API (GitHub's own lookup order), or None."""
        entry = next((e for e in self.config.repos if e.repo.lower() == repo.lower()), None)
        if entry is None:
            return None
        for path in CODEOWNERS_PATHS:
            api_path = f"/repos/{entry.repo}/contents/{path}"
            summary = f"GET {api_path}"
            try:
                body, _ = await self._get(api_path, summary, None, need="contents", repo=entry.repo)
            except NotFoundError:
                continue
            if isinstance(body, dict) and body.get("encoding") == "base64":
                try:
                    return base64.b64decode(str(body.get("content", ""))).decode(errors="replace")
                except binascii.Error as exc:
                    raise self._bad_shape(summary, f"content is not base64: {exc}") from exc
        return None

    async def get_changes(self, repo: str, base: str, head: str, paths: tuple[str, ...] = ()) -> ChangeSet:
        """Commits and files of ``base...head`` from the compare API (up to 250 commits and 300 files)."""
        entry = next((e for e in self.config.repos if e.repo.lower() == repo.lower()), None)
        if entry is None:
            raise NotFoundError(
                f"repository {repo!r} is not configured", adapter=self.name, hint="Add it under repos: in the config."
            )
        path = f"/repos/{entry.repo}/compare/{quote(base, safe='')}...{quote(head, safe='')}"
        summary = f"GET {path}"
        try:
            body, _ = await self._get(path, summary, None, need="contents", repo=entry.repo)
        except NotFoundError as exc:
            raise missing_commit(exc, entry.repo, base, head, self.name) from exc
        try:
            return change_set(body, entry.repo, base, head, self.name)
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise self._bad_shape(summary, f"unreadable comparison: {exc}") from exc

    async def _repo_deploys(self, entry: GitHubRepo, window: TimeWindow) -> list[Deploy]:
        if entry.mode == "actions":
            deploys, truncated = await self._run_deploys(entry, window)
        else:
            deploys, truncated = await self._deployment_deploys(entry, window)
        if not truncated:
            return deploys
        # The pages ran out before the window's start. A list has no "incomplete" field: the oldest
        # deploy says it, and with none found the call fails rather than answer "no deploys".
        log.warning("%s: %s history cut at %d pages", self.name, entry.repo, self.config.max_pages)
        cut = f"history cut at {self.config.max_pages} pages: earlier deploys of {entry.repo} may be missing"
        if not deploys:
            raise QueryError(
                f"{entry.repo} has more than {self.config.max_pages} pages of deploys newer than the window's start",
                adapter=self.name,
                request=f"list deploys of {entry.repo} {window.label()}",
                hint="Raise max_pages in this adapter's settings, or ask about a more recent window.",
            )
        oldest = min(deploys, key=lambda d: d.started_at)
        deploys[deploys.index(oldest)] = oldest.model_copy(update={"detail": oldest.detail or cut})
        return deploys

    # --- Deployments API -------------------------------------------------------------------------

    async def _deployment_deploys(self, entry: GitHubRepo, window: TimeWindow) -> tuple[list[Deploy], bool]:
        listings = await asyncio.gather(*(self._deployments(entry, e, window) for e in entry.listed_environments()))
        groups: dict[tuple[str, str], list[dict[str, object]]] = {}
        for items, _ in listings:
            for item in items:
                service = entry.service_of(item)
                if service:  # a deployment of something not watched
                    groups.setdefault((str(item.get("environment", "")), service), []).append(item)
        found = await asyncio.gather(*(self._group(entry, svc, items, window) for (_, svc), items in groups.items()))
        return [d for group in found for d in group], any(truncated for _, truncated in listings)

    async def _deployments(
        self, entry: GitHubRepo, environment: str | None, window: TimeWindow
    ) -> tuple[list[dict[str, object]], bool]:
        params = {"per_page": "100"} | ({"environment": environment} if environment else {})
        summary = f"GET /repos/{entry.repo}/deployments environment={environment or '*'}"

        def reached_start(items: list[dict[str, object]]) -> bool:  # newest first: the rest is older
            return any(parse_time(i["created_at"]) < window.start for i in items)

        return await self._paged(f"/repos/{entry.repo}/deployments", params, summary, entry, None, reached_start)

    async def _group(
        self, entry: GitHubRepo, service: str, items: list[dict[str, object]], window: TimeWindow
    ) -> list[Deploy]:
        """Deploys of one service to one environment, reading back past the window to the one running before."""
        summary = f"GET /repos/{entry.repo}/deployments/*/statuses"
        try:
            items = sorted(
                (i for i in items if parse_time(i["created_at"]) <= window.end),
                key=lambda i: (parse_time(i["created_at"]), int(str(i["id"]))),
                reverse=True,
            )
            recent = [i for i in items if parse_time(i["created_at"]) >= window.start]
            resolved = list(zip(recent, await asyncio.gather(*(self._state(entry, i) for i in recent)), strict=True))
            for item in items[len(recent) : len(recent) + LOOKBACK]:
                state = await self._state(entry, item)
                resolved.append((item, state))
                if state.status == "succeeded" and (state.finished_at or window.start) < window.start:
                    break
            deploys, previous = [], ""
            for item, state in reversed(resolved):
                deploy = deployment_deploy(entry, service, item, state, previous, self.name, self.config.web_base())
                previous = deploy.sha if state.status == "succeeded" else previous
                # A deployment that never reports an outcome stays pending for ever: from before the
                # window, only one that finished inside it counts.
                stale = deploy.finished_at is None and parse_time(item["created_at"]) < window.start
                if overlaps(deploy, window) and not stale:
                    deploys.append(deploy)
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise self._bad_shape(summary, f"unreadable deployment: {exc}") from exc
        return deploys

    async def _state(self, entry: GitHubRepo, item: dict[str, object]) -> DeploymentState:
        path = f"/repos/{entry.repo}/deployments/{int(str(item['id']))}/statuses"
        async with self._limit:
            body, _ = await self._get(path, f"GET {path}", {"per_page": "100"}, need="deployments", repo=entry.repo)
        if not isinstance(body, list):
            raise self._bad_shape(f"GET {path}", "expected a JSON list of deployment statuses")
        return deployment_state(body)

    # --- Actions workflow runs -------------------------------------------------------------------

    async def _run_deploys(self, entry: GitHubRepo, window: TimeWindow) -> tuple[list[Deploy], bool]:
        path = f"/repos/{entry.repo}/actions/workflows/{quote(entry.workflow, safe='')}/runs"
        # created= takes dates; by day is enough to skip newer runs, the window is applied below.
        params = {"per_page": "100", "created": f"<={window.end.date().isoformat()}", "exclude_pull_requests": "true"}
        params |= {"branch": entry.branch} if entry.branch else {}
        summary = f"GET {path} created<={params['created'][2:]}" + (f" branch={entry.branch}" if entry.branch else "")

        def found_previous(runs: list[dict[str, object]]) -> bool:  # a success that ended before the window
            return any(r.get("conclusion") == "success" and parse_time(r["updated_at"]) < window.start for r in runs)

        runs, truncated = await self._paged(path, params, summary, entry, "workflow_runs", found_previous)
        try:
            # Cut while looking for the run before the window is harmless; cut inside the window is not.
            truncated = truncated and all(parse_time(r["created_at"]) >= window.start for r in runs)
            ordered = sorted(runs, key=lambda r: (parse_time(r["created_at"]), int(str(r["id"]))))
            deploys, previous = [], ""
            for run in ordered:
                deploy = run_deploy(entry, run, previous, self.name)
                if deploy is None or parse_time(run["created_at"]) > window.end:
                    continue
                previous = deploy.sha if deploy.status == "succeeded" else previous
                if overlaps(deploy, window):
                    deploys.append(deploy)
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise self._bad_shape(summary, f"unreadable workflow run: {exc}") from exc
        return deploys, truncated

    # --- HTTP ------------------------------------------------------------------------------------

    async def _paged(
        self,
        path: str,
        params: dict[str, str],
        summary: str,
        entry: GitHubRepo,
        key: str | None,
        done: Callable[[list[dict[str, object]]], bool],
    ) -> tuple[list[dict[str, object]], bool]:
        """Items of each page (the body, or its ``key``) until ``done`` says so; True when max_pages cut it."""
        need = "actions" if entry.mode == "actions" else "deployments"
        missing = f"workflow {entry.workflow} of {entry.repo}" if entry.mode == "actions" else ""
        url: str = path
        query: dict[str, str] | None = params
        items: list[dict[str, object]] = []
        seen: set[object] = set()  # an item pushed onto the next page by a new one is listed twice
        for page in range(1, self.config.max_pages + 1):
            asked = f"{summary} page={page}"
            body, response = await self._get(url, asked, query, need=need, repo=entry.repo, missing=missing)
            found = body.get(key) if key and isinstance(body, dict) else body
            if not isinstance(found, list) or not all(isinstance(i, dict) for i in found):
                raise self._bad_shape(asked, f"expected {'{' + key + ': [...]}' if key else 'a JSON list'}")
            items += [i for i in found if i.get("id") not in seen]
            seen.update(i.get("id") for i in found)
            try:
                finished = done(found)
            except (KeyError, TypeError, ValueError) as exc:
                raise self._bad_shape(asked, f"unreadable item: {exc}") from exc
            next_url = response.links.get("next", {}).get("url")
            if finished or not next_url:
                return items, False
            url, query = str(next_url), None  # the next link carries the query
        return items, True

    async def _get(
        self, path_or_url: str, summary: str, params: dict[str, str] | None, *, need: str, repo: str, missing: str = ""
    ) -> tuple[object, httpx.Response]:
        """GET one API path (or a page link) and decode it; GitHub's own 401/403/404/429 become their errors."""
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self.config.api_url + path_or_url
        if not url.startswith(self.config.api_url + "/"):
            # A Link header pointing elsewhere must not receive the token.
            raise self._bad_shape(summary, f"a page link leaves {self.config.api_url}")
        creds = self._credentials
        response = await send(
            self._http, "GET", url, adapter=self.name, request_summary=summary, timeout=self.config.timeout_s,
            params=params, credentials=creds, passthrough=_OWN_STATUSES,
        )  # fmt: skip
        if response.status_code in _OWN_STATUSES:
            raise refused_error(
                response, summary, need, repo, missing or f"repository {repo or '(none)'}", self.name, creds
            )
        return decode_json(response, adapter=self.name, request_summary=summary, credentials=creds), response

    def _bad_shape(self, summary: str, what: str) -> BadResponseError:
        return BadResponseError(
            f"the answer is not a GitHub REST API response: {what}",
            adapter=self.name,
            request=summary,
            upstream=what[:300],
            hint="Check api_url: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server.",
        )
