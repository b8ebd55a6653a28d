"""Bearer tokens for the team's shared server: the ``server:`` config section, making and hashing tokens.

A token is never stored: the config (or a tokens file) holds its SHA-256, the identity it stands
for (``subject``, written as the actor of everything that caller records) and its scopes: ``read``
for the read-only tools, ``write`` for every tool that changes the record or posts. A token is 32
random bytes, so a plain hash is enough (there is nothing to brute-force as with a password).

This module stays free of the MCP SDK, which the config loads on every command; the verifier that
checks tokens during a call is in ``http_access``.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from adapters.errors import ConfigError
from mcp_server.files import write_whole

TOKENS_FILE_ENV = "FIRSTFIFTEEN_TOKENS_FILE"
TOKEN_PREFIX = "ff_"
Scope = Literal["read", "write"]
SUBJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")


class TokenEntry(BaseModel):
    """One accepted token, by its hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sha256: str = Field(description="hex SHA-256 of the token (`firstfifteen token new` prints it)")
    subject: str = Field(description="who holds it: the actor recorded for their calls")
    scopes: list[Scope] = Field(default_factory=lambda: list[Scope](["read"]), min_length=1)
    expires: datetime | None = Field(default=None, description="RFC3339 with a timezone; refused after it")

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9a-fA-F]{64}", value):
            raise ValueError("must be the 64 hex digits of the token's SHA-256, not the token itself")
        return value.lower()

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        if not SUBJECT.fullmatch(value):
            raise ValueError("must be 1-100 characters: letters, digits and . _ @ + - (e.g. alice or ops-bot)")
        return value

    @field_validator("expires")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a timezone, e.g. 2027-01-31T00:00:00Z")
        return value


class ServerConfig(BaseModel):
    """The ``server:`` section: who may call the shared HTTP server, and from which host names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tokens: list[TokenEntry] = Field(default_factory=list)
    tokens_file: str | None = Field(default=None, description="YAML list of tokens, beside or instead of tokens")
    allowed_hosts: list[str] = Field(
        default_factory=list, description="Host headers accepted when bound beyond loopback, e.g. ff.example.com:443"
    )
    allowed_origins: list[str] = Field(default_factory=list)


def hash_token(token: str) -> str:
    """The hex SHA-256 of ``token``: what the config holds."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random token (256 bits), prefixed so a leaked one is easy to recognise and search for."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def scopes_for(access: Scope) -> list[Scope]:
    """The scopes a token of ``access`` holds: write implies read."""
    return ["read", "write"] if access == "write" else ["read"]


def entry_data(entry: TokenEntry) -> dict[str, Any]:
    """The entry as it is written in YAML (only the keys that are set)."""
    return entry.model_dump(mode="json", exclude_none=True)


def write_tokens_file(path: Path, entries: list[TokenEntry]) -> None:
    """Write ``entries`` as a tokens file, whole and owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, yaml.safe_dump({"tokens": [entry_data(e) for e in entries]}, sort_keys=False))


def append_entry(path: Path, entry: TokenEntry) -> None:
    """Add ``entry`` to the tokens file at ``path`` (made if missing; a broken one is refused, untouched).
    A second token for one subject is allowed (rotation): the old one stays until its line is removed."""
    write_tokens_file(path, [*(load_tokens_file(path) if path.exists() else []), entry])


def load_tokens_file(path: Path) -> list[TokenEntry]:
    """The tokens listed in a YAML file (a list, or a mapping with ``tokens:``), or a ConfigError."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"tokens file {path}: cannot read it ({exc})", hint="Check the path and its YAML.") from exc
    items = raw.get("tokens") if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise ConfigError(f"tokens file {path}: expected a list of tokens", hint="Write `tokens: [{sha256, subject}]`.")
    try:
        return [TokenEntry.model_validate(item) for item in items]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"tokens file {path}: {problems}", hint="Fix the entries and start again.") from None


def all_tokens(server: ServerConfig, base_dir: Path, extra_file: str | None = None) -> list[TokenEntry]:
    """The tokens of the config, its ``tokens_file`` and ``extra_file`` (``--tokens-file`` or the env var)."""
    entries = list(server.tokens)
    for name in (server.tokens_file, extra_file or os.environ.get(TOKENS_FILE_ENV)):
        if name:
            path = Path(name).expanduser()
            entries += load_tokens_file(path if path.is_absolute() else base_dir / path)
    if len(set(e.sha256 for e in entries)) < len(entries):
        raise ConfigError("server tokens: the same token is listed twice", hint="Keep one entry per token.")
    return entries
