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
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from adapters._http import (
    Credentials,
    build_credentials,
    check_base_url,
    decode_json,
    refuse_url_credentials,
    retry_after_seconds,
    send,
    upstream_text,
)
from adapters.base import CODEOWNERS_PATHS, AdapterContext
from adapters.changes import classify
from adapters.errors import AdapterError, AuthError, BadResponseError, NotFoundError, QueryError, RateLimitedError
from adapters.models import ChangedFile, ChangeKind, ChangeSet, Commit, Deploy, DeployStatus, TimeWindow

log = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
LOOKBACK = 10  # older deployments read, per service and environment, to find the one running before
_OWN_STATUSES = frozenset({401, 403, 404, 429})  # GitHub gives these meanings of its own
_PERMISSIONS = {"deployments": "Deployments", "actions": "Actions", "contents": "Contents", "metadata": "Metadata"}


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


# --- Vendor shapes to our models -----------------------------------------------------------------

_STATES: dict[str, DeployStatus] = {
    "success": "succeeded",
    "failure": "failed",
    "error": "failed",
    "queued": "in_progress",
    "in_progress": "in_progress",
    "pending": "in_progress",
}
# Run conclusions that deployed (or tried to); skipped, neutral, stale and action_required did not.
RUN_CONCLUSIONS: dict[str, tuple[DeployStatus, str]] = {
    "success": ("succeeded", ""),
    "failure": ("failed", ""),
    "timed_out": ("failed", "run timed out"),
    "startup_failure": ("failed", "run failed to start"),
    "cancelled": ("failed", "run cancelled"),
}
_FILE_CHANGES: dict[str, ChangeKind] = {
    "added": "added",
    "removed": "deleted",
    "renamed": "renamed",
    "modified": "modified",
    "changed": "modified",
    "copied": "modified",
    "unchanged": "modified",  # listed without a content change (a mode change)
}
MAX_FILES = 300  # the compare API lists at most this many files


def parse_time(value: object) -> datetime:
    """An ISO-8601 time as GitHub sends it (``2026-03-14T02:40:00Z``)."""
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO-8601 time, got {value!r}")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def login(user: object) -> str:
    """``user.login`` of a simple-user object, or ''."""
    return str(user.get("login") or "") if isinstance(user, dict) else ""


@dataclass(frozen=True)
class DeploymentState:
    """What a deployment's statuses add up to."""

    status: DeployStatus
    started_at: datetime | None
    finished_at: datetime | None
    link: str
    detail: str


def _status_link(ordered: list[dict[str, object]]) -> str:
    """The newest log_url, else target_url (its old name), else environment_url."""
    for key in ("log_url", "target_url", "environment_url"):
        for status in reversed(ordered):
            if status.get(key):
                return str(status[key])
    return ""


def deployment_state(statuses: list[dict[str, object]]) -> DeploymentState:
    """Fold a deployment's statuses into one state: the newest that is not ``inactive`` decides.

    ``inactive`` only means a later deployment superseded this one, so a success stays a success;
    a deployment marked inactive before it reported an outcome never finished, and counts as failed.
    """
    ordered = sorted(statuses, key=lambda s: (parse_time(s["created_at"]), int(str(s["id"]))))
    started = next((parse_time(s["created_at"]) for s in ordered if s["state"] == "in_progress"), None)
    active = [s for s in ordered if s["state"] != "inactive"]
    state = str(active[-1]["state"]) if active else "pending"  # no status yet: GitHub shows it pending
    if state not in _STATES:
        raise ValueError(f"unknown deployment state {state!r}")
    status, link = _STATES[state], _status_link(ordered)
    if status == "in_progress":
        if ordered and ordered[-1]["state"] == "inactive":
            return DeploymentState(
                "failed", started, parse_time(ordered[-1]["created_at"]), link, "superseded before it reported success"
            )
        return DeploymentState(status, started, None, link, "" if ordered else "no status reported yet")
    last = active[-1]
    detail = "" if status == "succeeded" else f"deployment {state}: {last.get('description') or ''}".rstrip(": ")
    return DeploymentState(status, started, parse_time(last["created_at"]), link, detail)


def _commit(item: dict[str, object]) -> Commit:
    commit = item["commit"]
    if not isinstance(commit, dict):
        raise ValueError("commit must be an object")
    author, committer = commit.get("author") or {}, commit.get("committer") or {}
    when = committer.get("date") or author.get("date")  # the committer date is when it entered history
    return Commit(
        sha=str(item["sha"]),
        author=str(author.get("name") or login(item.get("author"))),
        message=str(commit.get("message") or "").split("\n", 1)[0],
        committed_at=parse_time(when) if when else None,
    )


def _file(item: dict[str, object]) -> ChangedFile:
    path = str(item["filename"])
    return ChangedFile(
        path=path,
        change=_FILE_CHANGES[str(item["status"])],
        category=classify(path),
        additions=int(str(item.get("additions") or 0)),
        deletions=int(str(item.get("deletions") or 0)),
        previous_path=str(item.get("previous_filename") or ""),
    )


def _compare_note(body: dict[str, object]) -> str:
    status, merge_base = body.get("status"), body.get("merge_base_commit")
    base_sha = str(merge_base.get("sha", ""))[:7] if isinstance(merge_base, dict) else ""
    if status == "diverged":
        return (
            f"history diverged (a force push or a deploy from another branch): the base is not an ancestor "
            f"of the head, so these are the changes since their merge base {base_sha}; the base has "
            f"{body.get('behind_by')} commits the head lacks"
        )
    if status == "behind":
        return f"rollback: the deployed commit is {body.get('behind_by')} commits older than the one before"
    if status == "identical":
        return "the same commit was deployed again"
    return ""


def change_set(body: object, repo: str, base: str, head: str, source: str) -> ChangeSet:
    """A compare response (``CommitComparison``) as a ChangeSet; truncated when GitHub capped a list."""
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    commits = [_commit(c) for c in body["commits"]]
    files = [_file(f) for f in body.get("files") or []]
    total = int(str(body.get("total_commits", len(commits))))
    return ChangeSet(
        repo=repo,
        base=base,
        head=head,
        commits=commits,
        files=files,
        truncated=total > len(commits) or len(files) >= MAX_FILES,
        note=_compare_note(body),
        source=source,
    )


def _overlaps(deploy: Deploy, window: TimeWindow) -> bool:
    """Started by the window's end and not finished before its start (still running counts)."""
    if deploy.started_at > window.end:
        return False
    still_running = deploy.finished_at is None and deploy.status == "in_progress"
    return still_running or (deploy.finished_at or deploy.started_at) >= window.start


def _rate_limited(response: httpx.Response) -> tuple[bool, float | None]:
    """Whether a 403/429 is a rate limit, and the seconds to wait when GitHub said."""
    headers = response.headers
    if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
        return True, max(0.0, float(headers["x-ratelimit-reset"]) - time.time())
    wait = retry_after_seconds(headers.get("retry-after"))
    # A secondary (abuse) limit is a 403 with retry-after, or only the words in the message.
    limited = response.status_code == 429 or wait is not None or "rate limit" in response.text.lower()
    return limited, wait


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
        for path in CODEOWNERS_PATHS if entry else ():
            try:
                body, _ = await self._get(
                    f"/repos/{entry.repo}/contents/{path}", f"GET {path}", None, need="contents", repo=entry.repo
                )
            except NotFoundError:
                continue
            if isinstance(body, dict) and body.get("encoding") == "base64":
                return base64.b64decode(str(body.get("content", ""))).decode(errors="replace")
        return None

    async def get_changes(self, repo: str, base: str, head: str) -> ChangeSet:
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
            raise self._missing_commit(exc, entry.repo, base, head) from exc
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
                deploy = self._deployment_deploy(entry, service, item, state, previous)
                previous = deploy.sha if state.status == "succeeded" else previous
                # A deployment that never reports an outcome stays pending for ever: from before the
                # window, only one that finished inside it counts.
                stale = deploy.finished_at is None and parse_time(item["created_at"]) < window.start
                if _overlaps(deploy, window) and not stale:
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

    def _deployment_deploy(
        self, entry: GitHubRepo, service: str, item: dict[str, object], state: DeploymentState, previous: str
    ) -> Deploy:
        sha = str(item.get("sha") or "")
        return Deploy(
            id=f"{entry.repo}/deployments/{item['id']}",
            service=service,
            environment=str(item.get("environment") or ""),
            version=sha[:7] or str(item.get("ref") or ""),
            previous_version=previous[:7],
            started_at=state.started_at or parse_time(item["created_at"]),
            finished_at=state.finished_at,
            status=state.status,
            author=login(item.get("creator")),
            link=state.link or (f"{self.config.web_base()}/{entry.repo}/commit/{sha}" if sha else ""),
            source=self.name,
            repo=entry.repo,
            sha=sha,
            previous_sha=previous,
            detail=state.detail,
        )

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
                deploy = self._run_deploy(entry, run, previous)
                if deploy is None or parse_time(run["created_at"]) > window.end:
                    continue
                previous = deploy.sha if deploy.status == "succeeded" else previous
                if _overlaps(deploy, window):
                    deploys.append(deploy)
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise self._bad_shape(summary, f"unreadable workflow run: {exc}") from exc
        return deploys, truncated

    def _run_deploy(self, entry: GitHubRepo, run: dict[str, object], previous: str) -> Deploy | None:
        """A run as a deploy; None for runs that deployed nothing (skipped, neutral, stale)."""
        status: DeployStatus
        if run["status"] == "completed":
            if run.get("conclusion") not in RUN_CONCLUSIONS:
                return None
            status, detail = RUN_CONCLUSIONS[str(run["conclusion"])]
        else:  # queued, in_progress, waiting (an environment approval), requested, pending
            status, detail = "in_progress", "" if run["status"] == "in_progress" else f"run {run['status']}"
        sha = str(run.get("head_sha") or "")
        return Deploy(
            id=f"{entry.repo}/actions/runs/{run['id']}",
            service=entry.service,
            environment=(entry.environments or [""])[0],
            version=sha[:7],
            previous_version=previous[:7],
            started_at=parse_time(run.get("run_started_at") or run["created_at"]),
            finished_at=parse_time(run["updated_at"]) if status != "in_progress" else None,
            status=status,
            author=login(run.get("actor")),
            link=str(run.get("html_url") or ""),
            source=self.name,
            repo=entry.repo,
            sha=sha,
            previous_sha=previous,
            detail=detail,
        )

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
        where = {"adapter": self.name, "request_summary": summary, "credentials": self._credentials}
        response = await send(
            self._http, "GET", url, timeout=self.config.timeout_s, params=params, passthrough=_OWN_STATUSES, **where
        )
        if response.status_code in _OWN_STATUSES:
            raise self._refused(response, summary, need, repo, missing or f"repository {repo or '(none)'}")
        return decode_json(response, **where), response

    def _refused(self, response: httpx.Response, summary: str, need: str, repo: str, missing: str) -> AdapterError:
        """The error for a 401, 403, 404 or 429, with what to do about it."""
        status = response.status_code
        where = {"adapter": self.name, "request": summary, "upstream": upstream_text(response, self._credentials)}
        limited, wait = _rate_limited(response) if status in (403, 429) else (False, None)
        if limited:
            after = f"; retry after {wait:.0f}s" if wait is not None else ""
            hint = "Wait for the reset; a token (or a GitHub App) has a far higher limit than anonymous calls."
            message = f"GitHub rate limit reached (HTTP {status}){after}"
            return RateLimitedError(message, retry_after=wait, **where, hint=hint)
        if status == 401:
            hint = "The token is wrong, expired or revoked: set the variable named in token (e.g. GITHUB_TOKEN) anew."
            return AuthError("GitHub refused the token (HTTP 401)", **where, hint=hint)
        if status == 403:
            hint = self._permission_hint(need, repo, response)
            return AuthError("the token may not read this (HTTP 403)", **where, hint=hint)
        return NotFoundError(
            f"GitHub has no {missing}, or the token cannot see it (HTTP 404)",
            **where,
            hint="Check the name in the settings; GitHub also answers 404 for a private repository the token "
            "has no access to, so give the token access to it.",
        )

    @staticmethod
    def _permission_hint(need: str, repo: str, response: httpx.Response) -> str:
        if "x-github-sso" in response.headers:
            return "Authorize the token for the organisation's SAML single sign-on (settings → tokens → SSO)."
        name = _PERMISSIONS.get(need, need)
        return (
            f"Give the token read access to {repo or 'the repository'}: a fine-grained token needs the "
            f"'{name}' repository permission (read); a classic token needs the repo scope for private repositories."
        )

    def _missing_commit(self, exc: NotFoundError, repo: str, base: str, head: str) -> NotFoundError:
        told = exc.upstream.lower()
        missing = [sha for sha in (base, head) if sha.lower() in told] or [base, head]
        names = " or ".join(sha[:12] for sha in missing)
        return NotFoundError(
            f"{repo} has no commit {names} (or the token cannot see the repository)",
            adapter=self.name,
            request=exc.request,
            upstream=exc.upstream,
            hint=f"Check that {names} exists in {repo}: a force push, or a deploy built from another branch or a "
            "fork, can leave a deployed commit the repository no longer has.",
        )

    def _bad_shape(self, summary: str, what: str) -> BadResponseError:
        return BadResponseError(
            f"the answer is not a GitHub REST API response: {what}",
            adapter=self.name,
            request=summary,
            upstream=what[:300],
            hint="Check api_url: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server.",
        )
