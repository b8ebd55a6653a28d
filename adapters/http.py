"""Shared HTTP plumbing for the adapters: settings, credentials, and one failure mapping.

Every HTTP adapter sends its requests through :func:`request_json`, so a refused connection, a
timeout, a 401, a 429 or an HTML login page become the same :mod:`adapters.errors` class with the
same kind of message whichever backend answered. Messages are built from the adapter's request
summary and the upstream reply only; credentials are never part of either, and any credential a
backend echoes back is masked before it reaches a message.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Literal

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator

from adapters.errors import (
    AuthError,
    BackendTimeoutError,
    BadResponseError,
    QueryError,
    RateLimitedError,
    UnavailableError,
)

UPSTREAM_LIMIT = 300
Method = Literal["GET", "POST", "PATCH"]


def check_base_url(value: str) -> str:
    """Validate a backend base URL: http(s), a host, no credentials in it; drop the trailing slash."""
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as exc:
        raise ValueError(f"not a valid URL ({exc})") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:9090")
    if url.userinfo:
        # A password inside the URL would end up in every request summary and log line.
        raise ValueError("must not contain credentials; use username/password or bearer_token instead")
    return value.rstrip("/")


BaseUrl = Annotated[str, AfterValidator(check_base_url)]
"""A validated http(s) base URL with no trailing slash: declare fields with it instead of a validator each."""


def refuse_url_credentials(data: object, *keys: str) -> object:
    """For ``mode="before"`` model validators: refuse ``user:password@`` in the URL settings ``keys``.

    Checked on the whole mapping rather than the field, so that the validation error (which echoes
    its input) shows the settings as a mapping, which the config loader does not print, and never
    the URL with its password.
    """
    if isinstance(data, dict):
        for key in keys:
            value = data.get(key)
            if isinstance(value, str) and "@" in value and _has_userinfo(value):
                raise ValueError(f"{key} must not contain credentials; use username/password or bearer_token")
    return data


def _has_userinfo(value: str) -> bool:
    try:
        return bool(httpx.URL(value).userinfo)
    except httpx.InvalidURL:
        return False


class HttpBackendConfig(BaseModel):
    """Settings shared by the adapters that talk to one authenticated HTTP backend."""

    # hide_input_in_errors: a validation error must not print a token or password it was given.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    url: BaseUrl = Field(description="Base URL of the backend, e.g. http://127.0.0.1:9090")
    timeout_s: float = Field(default=5.0, gt=0, le=120, description="Per-request timeout in seconds")
    bearer_token: SecretStr | None = Field(default=None, description="Sent as Authorization: Bearer")
    username: str | None = Field(default=None, description="HTTP basic auth user")
    password: SecretStr | None = Field(default=None, description="HTTP basic auth password")
    headers: dict[str, SecretStr] = Field(default_factory=dict, description="Extra headers (may hold API keys)")
    tenant_id: str | None = Field(default=None, description="Sent as X-Scope-OrgID (Mimir, Cortex, Loki)")

    @model_validator(mode="before")
    @classmethod
    def _no_url_credentials(cls, data: object) -> object:
        return refuse_url_credentials(data, "url", "ui_url")

    @model_validator(mode="after")
    def _one_auth(self) -> HttpBackendConfig:
        if self.bearer_token is not None and self.username is not None:
            raise ValueError("set either bearer_token or username/password, not both")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        return self


@dataclass(frozen=True)
class Credentials:
    """Headers and auth to send with every request, plus the secret values to mask in messages."""

    headers: dict[str, str] = field(default_factory=dict, repr=False)
    auth: httpx.Auth | None = field(default=None, repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def __repr__(self) -> str:
        return f"Credentials(headers={sorted(self.headers)}, auth={'basic' if self.auth else 'none'})"

    def mask(self, text: str) -> str:
        """``text`` with every secret value replaced by ``***``."""
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def build_credentials(
    *,
    headers: dict[str, SecretStr] | None = None,
    bearer_token: SecretStr | None = None,
    username: str | None = None,
    password: SecretStr | None = None,
    tenant_id: str | None = None,
) -> Credentials:
    """Turn the common auth settings into request headers and an ``httpx.Auth``."""
    plain = {name: value.get_secret_value() for name, value in (headers or {}).items()}
    secrets = [v for v in plain.values() if len(v) >= 4]  # masking "1" or "" would garble messages
    if tenant_id:
        plain["X-Scope-OrgID"] = tenant_id
    if bearer_token is not None:
        token = bearer_token.get_secret_value()
        plain["Authorization"] = f"Bearer {token}"
        secrets.append(token)
    auth: httpx.Auth | None = None
    if username is not None and password is not None:
        auth = httpx.BasicAuth(username, password.get_secret_value())
        pair = f"{username}:{password.get_secret_value()}".encode()
        # Mask the password and the header that carries it, in case a proxy echoes the request.
        secrets += [password.get_secret_value(), base64.b64encode(pair).decode()]
    return Credentials(headers=plain, auth=auth, secrets=tuple(secrets))


def credentials_from(config: HttpBackendConfig) -> Credentials:
    """:func:`build_credentials` for an :class:`HttpBackendConfig`."""
    return build_credentials(
        headers=config.headers,
        bearer_token=config.bearer_token,
        username=config.username,
        password=config.password,
        tenant_id=config.tenant_id,
    )


def short_reason(exc: httpx.TransportError) -> str:
    """A few words on why a connection failed (refused, DNS, TLS), without the URL."""
    text = str(exc) or type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    if "name or service not known" in text.lower() or "nodename nor servname" in text.lower():
        return "DNS lookup failed"
    return f"{type(exc).__name__}: {text}"[:120]


def upstream_text(response: httpx.Response, credentials: Credentials) -> str:
    """``HTTP <status>: <message>``, using the documented error fields when the body is JSON."""
    message = ""
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict):
        # Prometheus: {"status":"error","errorType":"bad_data","error":"..."}; others: error/message.
        kind, error = body.get("errorType"), body.get("error") or body.get("message")
        if isinstance(error, str):
            message = f"{kind}: {error}" if isinstance(kind, str) else error
    if not message:
        message = re.sub(r"\s+", " ", response.text).strip()
    reason = response.reason_phrase or ""
    text = f"HTTP {response.status_code} {reason}".rstrip() + (f": {message}" if message else "")
    return credentials.mask(text)[:UPSTREAM_LIMIT]


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def raise_for_status(response: httpx.Response, *, adapter: str, request_summary: str, credentials: Credentials) -> None:
    """Raise the matching AdapterError for any status other than 2xx."""
    status = response.status_code
    if 200 <= status < 300:
        return
    where = {"adapter": adapter, "request": request_summary, "upstream": upstream_text(response, credentials)}
    if status in (401, 403):
        raise AuthError(f"the backend refused the credentials (HTTP {status})", **where)
    if status == 429:
        retry = retry_after_seconds(response.headers.get("Retry-After"))
        wait = f"; retry after {retry:g}s" if retry is not None else ""
        raise RateLimitedError(f"rate limited (HTTP 429){wait}", retry_after=retry, **where)
    if 300 <= status < 400:
        raise BadResponseError(
            f"redirected (HTTP {status}) instead of answering",
            **where,
            hint="The URL probably points at a login proxy or the wrong path; use the backend's own API URL.",
        )
    if status >= 500:
        raise UnavailableError(f"the backend failed (HTTP {status})", **where)
    raise QueryError(f"the backend rejected the request (HTTP {status})", **where)


def decode_json(response: httpx.Response, *, adapter: str, request_summary: str, credentials: Credentials) -> object:
    """The JSON body, or BadResponseError when the backend answered something else (an HTML page)."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as exc:
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        snippet = credentials.mask(re.sub(r"\s+", " ", response.text).strip())[:120]
        raise BadResponseError(
            f"the backend answered {kind} instead of JSON",
            adapter=adapter,
            request=request_summary,
            upstream=f"HTTP {response.status_code}: {snippet}",
        ) from exc


async def send(
    http: httpx.AsyncClient,
    method: Method,
    url: str,
    *,
    adapter: str,
    request_summary: str,
    timeout: float,
    params: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
    credentials: Credentials | None = None,
    passthrough: frozenset[int] = frozenset(),
    json: object | None = None,
) -> httpx.Response:
    """Send one request; transport failures and non-2xx statuses become AdapterErrors.

    Statuses in ``passthrough`` are returned instead, for an adapter whose backend gives them a
    meaning of its own (GitHub's 403 is a rate limit or a missing permission, its 404 a hidden repo).
    ``json`` sends a JSON body instead of ``data`` (Slack's chat.postMessage, Statuspage's incidents).
    """
    creds = credentials or Credentials()
    where = {"adapter": adapter, "request": request_summary}
    try:
        response = await http.request(
            method, url, params=params, data=data, json=json, headers=creds.headers, auth=creds.auth, timeout=timeout
        )
    except httpx.TimeoutException as exc:
        raise BackendTimeoutError(
            f"no answer within {timeout:g}s", **where, upstream=f"{type(exc).__name__} after {timeout:g}s"
        ) from exc
    except httpx.TransportError as exc:
        reason = creds.mask(short_reason(exc))
        raise UnavailableError(f"cannot reach the backend: {reason}", **where, upstream=reason) from exc
    except httpx.RequestError as exc:
        # The backend answered, but its body could not be read: a gzip label on a plain body, a
        # broken chunked encoding from a proxy.
        reason = creds.mask(f"{type(exc).__name__}: {exc}")[:UPSTREAM_LIMIT]
        raise BadResponseError("the backend's answer could not be decoded", **where, upstream=reason) from exc
    if response.status_code not in passthrough:
        raise_for_status(response, adapter=adapter, request_summary=request_summary, credentials=creds)
    return response


async def request_json(
    http: httpx.AsyncClient,
    method: Method,
    url: str,
    *,
    adapter: str,
    request_summary: str,
    timeout: float,
    params: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
    credentials: Credentials | None = None,
) -> object:
    """Send one request and return its decoded JSON body, mapping every failure to an AdapterError.

    Raises:
        BackendTimeoutError: no answer within ``timeout`` seconds.
        UnavailableError: connection refused, DNS or TLS failure, or HTTP 5xx.
        AuthError: HTTP 401 or 403.
        RateLimitedError: HTTP 429, with ``retry_after`` from the Retry-After header.
        QueryError: any other 4xx, with the upstream error text.
        BadResponseError: a redirect, a body that cannot be decoded, or one that is not JSON.

    """
    response = await send(
        http,
        method,
        url,
        adapter=adapter,
        request_summary=request_summary,
        timeout=timeout,
        params=params,
        data=data,
        credentials=credentials,
    )
    creds = credentials or Credentials()
    return decode_json(response, adapter=adapter, request_summary=request_summary, credentials=creds)


def clip(text: str, limit: int = 500) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was (long PromQL regexes)."""
    return text if len(text) <= limit else f"{text[:limit]}…({len(text)} chars)"
