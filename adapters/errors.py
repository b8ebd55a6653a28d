"""firstfifteen's errors: one root, so every face can turn any failure into advice.

FirstfifteenError       the root: a message, what to do next (``hint``), and ``describe()``
├── AdapterError        an adapter failed; carries the adapter name, the request and the upstream message
│   ├── ConfigError         bad or missing settings; fatal at start, never retried
│   ├── AuthError           401/403 from the backend: the credential is wrong or lacks a permission
│   ├── UnavailableError    connection refused, DNS, TLS, 5xx: the backend is down
│   │   └── BackendTimeoutError  the backend did not answer within the deadline
│   ├── RateLimitedError    429; carries ``retry_after`` seconds when the backend sent one
│   ├── QueryError          4xx such as bad PromQL; carries the upstream message
│   ├── BadResponseError    the backend answered, but with something that is not what its API documents
│   └── NotFoundError       the thing asked for does not exist (a scenario, a deploy id)
└── StoreError          the incident store refused or failed an operation (``mcp_server/store/errors.py``)

Every error says what to do next in ``hint``; the MCP layer, the CLI and the webhook receiver
catch the root and show ``describe()`` verbatim, so no failure reaches a person as a traceback.
Messages never contain credentials: adapters build them from the request summary only.
"""

from __future__ import annotations


class FirstfifteenError(Exception):
    """Root of every error firstfifteen raises on purpose; catch it where a face meets a person."""

    default_hint = "Read the message above; `firstfifteen doctor` checks the configured adapters."

    def __init__(
        self,
        message: str,
        *,
        source: str = "",
        request: str = "",
        upstream: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.request = request
        self.upstream = upstream
        self.hint = hint or self.default_hint

    def describe(self) -> str:
        """One paragraph for a person or a model: what failed, where, what upstream said, what to do."""
        parts = [f"{self.source}: {self.message}" if self.source else self.message]
        if self.request:
            parts.append(f"request: {self.request}")
        if self.upstream:
            parts.append(f"upstream said: {self.upstream[:300]}")
        parts.append(f"next step: {self.hint}")
        return "; ".join(parts)

    def __str__(self) -> str:
        return self.describe()


class AdapterError(FirstfifteenError):
    """Base class of every error an adapter raises on purpose."""

    default_hint = "Check the adapter's settings and that the backend answers; `firstfifteen doctor` tests each one."

    def __init__(
        self,
        message: str,
        *,
        adapter: str = "",
        request: str = "",
        upstream: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(message, source=adapter, request=request, upstream=upstream, hint=hint)
        self.adapter = adapter


class ConfigError(AdapterError):
    """The configuration is invalid: fix the file, nothing is retried."""

    default_hint = "Fix the named key in firstfifteen.yaml (see docs/configuration.md) and start again."


class AuthError(AdapterError):
    """The backend refused the credentials (HTTP 401 or 403)."""

    default_hint = "Check the token or password environment variable named in the config, and its permissions."


class UnavailableError(AdapterError):
    """The backend could not be reached or answered with a server error."""

    default_hint = "The backend looks down or unreachable; retry shortly, or carry on with the other sources."


class BackendTimeoutError(UnavailableError):
    """The backend did not answer within the deadline."""

    default_hint = "The backend is slow; narrow the window or retry, and treat this source as unknown meanwhile."


class RateLimitedError(AdapterError):
    """The backend asked us to slow down (HTTP 429)."""

    default_hint = "Wait for the retry-after interval before asking again."

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: str) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class QueryError(AdapterError):
    """The backend rejected the request itself (a 4xx other than auth and rate limits)."""

    default_hint = "Fix the query or its arguments; the upstream message says what it refused."


class BadResponseError(AdapterError):
    """The backend answered with something its API does not document (not JSON, wrong shape)."""

    default_hint = "Check that the URL points at the right kind of backend (a proxy or login page answers HTML)."


class NotFoundError(AdapterError):
    """What was asked for does not exist."""

    default_hint = "List what exists first, then ask for one of those."
