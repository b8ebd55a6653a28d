"""The ``store:`` section of firstfifteen.yaml: which backend holds the incident record, and where.

It lives beside the store, not in ``mcp_server.config``, so the store package depends on nothing
above it; ``mcp_server.config`` composes it into the whole file's model.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

STORE_BACKENDS = ("sqlite", "postgres")
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_URL_PASSWORD = re.compile(r"(://[^:@/?#]*:)[^@]*?@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``url`` with its password (``user:password@`` or ``?password=``) replaced by ***, for messages."""
    return _QUERY_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1***@", url))


def is_postgres_url(value: str) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL."""
    return value.strip().lower().startswith(POSTGRES_SCHEMES)


class StoreConfig(BaseModel):
    """Where the incident record lives: a SQLite file (default) or a PostgreSQL database."""

    # The URL may hold a password: never quote the input back in a validation error.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)
    backend: str = Field(default="sqlite", description="sqlite or postgres")
    path: str | None = Field(default=None, description="SQLite file; default is the user data directory")
    url: str | None = Field(default=None, description="PostgreSQL URL, postgresql://user:${PASSWORD}@host:5432/db")
    connect_timeout: int = Field(default=5, ge=1, le=120, description="PostgreSQL: seconds to connect (min 2)")
    statement_timeout: float = Field(default=5.0, gt=0, le=600, description="PostgreSQL: seconds per statement")
    pool_size: int = Field(default=10, ge=1, le=100, description="PostgreSQL: connections kept for reuse")

    @model_validator(mode="after")
    def _backend_and_location(self) -> StoreConfig:
        backend = self.backend.strip().lower()
        if backend not in STORE_BACKENDS:
            raise ValueError(f"store.backend {self.backend!r} is not supported (accepted: {', '.join(STORE_BACKENDS)})")
        if self.url is not None and not is_postgres_url(self.url):
            raise ValueError("store.url must be a postgresql://user:password@host:5432/database URL")
        if backend == "sqlite" and self.url:
            raise ValueError("store.url is for backend postgres: set store.backend: postgres, or drop store.url")
        if backend == "postgres" and not self.url:
            raise ValueError("store.backend postgres needs store.url: postgresql://user:${PGPASSWORD}@host:5432/db")
        if backend == "postgres" and self.path:
            raise ValueError("store.path is the SQLite file; with backend postgres give store.url only")
        return self

    def __repr_args__(self) -> list[tuple[str, Any]]:
        # The URL may carry a password (expanded from ${VAR}): show it redacted.
        return [(k, redact_url(v) if k == "url" and v else v) for k, v in super().__repr_args__() if k]
