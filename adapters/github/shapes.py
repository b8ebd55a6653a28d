"""GitHub REST API answers as our models: deployments and their statuses, workflow runs, compare.

Pure functions, no requests: :mod:`adapters.github.adapter` asks GitHub and hands the JSON here. A
deployment's statuses fold into one :class:`DeploymentState`; a deployment or a workflow run becomes
a :class:`~adapters.models.Deploy`; a compare response (``CommitComparison``) becomes a
:class:`~adapters.models.ChangeSet`. GitHub's own refusals (401, 403, 404, 429) become the error
that says what to do about them. Shapes follow https://docs.github.com/en/rest at API version 2022-11-28.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import httpx

from adapters.changes import classify
from adapters.errors import AdapterError, AuthError, NotFoundError, RateLimitedError
from adapters.http import Credentials, retry_after_seconds, upstream_text
from adapters.models import ChangedFile, ChangeKind, ChangeSet, Commit, Deploy, DeployStatus, TimeWindow

if TYPE_CHECKING:
    from adapters.github.adapter import GitHubRepo

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


def overlaps(deploy: Deploy, window: TimeWindow) -> bool:
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


# --- A deployment or a workflow run as a deploy --------------------------------------------------


def deployment_deploy(
    entry: GitHubRepo,
    service: str,
    item: dict[str, object],
    state: DeploymentState,
    previous: str,
    source: str,
    web_base: str,
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
        link=state.link or (f"{web_base}/{entry.repo}/commit/{sha}" if sha else ""),
        source=source,
        repo=entry.repo,
        sha=sha,
        previous_sha=previous,
        detail=state.detail,
    )


def run_deploy(entry: GitHubRepo, run: dict[str, object], previous: str, source: str) -> Deploy | None:
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
        source=source,
        repo=entry.repo,
        sha=sha,
        previous_sha=previous,
        detail=detail,
    )


# --- GitHub's refusals as our errors -------------------------------------------------------------

_PERMISSIONS = {"deployments": "Deployments", "actions": "Actions", "contents": "Contents", "metadata": "Metadata"}


def refused_error(
    response: httpx.Response, summary: str, need: str, repo: str, missing: str, adapter: str, credentials: Credentials
) -> AdapterError:
    """The error for a 401, 403, 404 or 429, with what to do about it."""
    status = response.status_code
    where = {"adapter": adapter, "request": summary, "upstream": upstream_text(response, credentials)}
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
        hint = _permission_hint(need, repo, response)
        return AuthError("the token may not read this (HTTP 403)", **where, hint=hint)
    return NotFoundError(
        f"GitHub has no {missing}, or the token cannot see it (HTTP 404)",
        **where,
        hint="Check the name in the settings; GitHub also answers 404 for a private repository the token "
        "has no access to, so give the token access to it.",
    )


def _permission_hint(need: str, repo: str, response: httpx.Response) -> str:
    if "x-github-sso" in response.headers:
        return "Authorize the token for the organisation's SAML single sign-on (settings → tokens → SSO)."
    name = _PERMISSIONS.get(need, need)
    return (
        f"Give the token read access to {repo or 'the repository'}: a fine-grained token needs the "
        f"'{name}' repository permission (read); a classic token needs the repo scope for private repositories."
    )


def missing_commit(exc: NotFoundError, repo: str, base: str, head: str, adapter: str) -> NotFoundError:
    told = exc.upstream.lower()
    missing = [sha for sha in (base, head) if sha.lower() in told] or [base, head]
    names = " or ".join(sha[:12] for sha in missing)
    return NotFoundError(
        f"{repo} has no commit {names} (or the token cannot see the repository)",
        adapter=adapter,
        request=exc.request,
        upstream=exc.upstream,
        hint=f"Check that {names} exists in {repo}: a force push, or a deploy built from another branch or a "
        "fork, can leave a deployed commit the repository no longer has.",
    )
