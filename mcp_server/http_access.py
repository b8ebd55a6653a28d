"""The HTTP transport's gate: a verifier of our hashed bearer tokens, and the auth settings the SDK
takes, in resource-server mode (the tokens are ours; there is no separate authorization server)."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from pydantic import AnyHttpUrl

from mcp_server.team_auth import TokenEntry, hash_token


class HashedTokenVerifier:
    """Accepts a bearer token whose SHA-256 is configured and not expired, as its subject with its scopes."""

    def __init__(self, entries: list[TokenEntry], clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._entries = entries
        self._clock = clock

    async def verify_token(self, token: str) -> AccessToken | None:
        """The entry for ``token``, or None (the SDK answers 401 with WWW-Authenticate)."""
        digest = hash_token(token)
        found = None
        for entry in self._entries:  # no early exit: the time taken does not say which entry matched
            if hmac.compare_digest(entry.sha256, digest):
                found = entry
        if found is None or (found.expires is not None and found.expires <= self._clock()):
            return None
        expires_at = int(found.expires.timestamp()) if found.expires else None
        return AccessToken(
            token=digest,
            client_id=found.subject,
            subject=found.subject,
            scopes=list(found.scopes),
            expires_at=expires_at,
        )


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) only listens on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class HttpAccess:
    """Bearer-token auth for the HTTP transport: who may call, and the URL clients reach the server at."""

    verifier: TokenVerifier
    resource_url: str

    def settings(self) -> AuthSettings:
        """The SDK's auth settings for our own tokens."""
        return AuthSettings(
            issuer_url=AnyHttpUrl(self.resource_url),
            resource_server_url=AnyHttpUrl(self.resource_url),
            validate_token_resource=False,  # the verifier knows its own tokens; they carry no audience
        )
