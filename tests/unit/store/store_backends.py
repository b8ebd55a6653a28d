"""Open a store on either backend from one string (a SQLite path or a PostgreSQL URL), and read its rows raw.

Child processes get the string, so the multi-process tests run unchanged on both backends.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from mcp_server.store.base import IncidentStore
from mcp_server.store.settings import is_postgres_url


def open_target(target: str, **kwargs: Any) -> IncidentStore:
    """A store on ``target``: PostgreSQL for a postgresql:// URL, else the SQLite file at that path."""
    if is_postgres_url(target):
        from mcp_server.store.postgres import PostgresIncidentStore

        return PostgresIncidentStore(target, **kwargs)
    from mcp_server.store.sqlite import SqliteIncidentStore

    return SqliteIncidentStore(target, **kwargs)


def raw_rows(target: str, sql: str) -> list[tuple[Any, ...]]:
    """``sql`` run straight on the database, bypassing the store, rows as tuples."""
    if is_postgres_url(target):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            return [tuple(row) for row in conn.execute(sql.encode()).fetchall()]
    with closing(sqlite3.connect(target)) as conn:
        return [tuple(row) for row in conn.execute(sql).fetchall()]


def raw_execute(target: str, sql: str) -> None:
    """``sql`` run straight on the database and committed, bypassing the store."""
    if is_postgres_url(target):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute(sql.encode())
        return
    with closing(sqlite3.connect(target)) as conn, conn:
        conn.execute(sql)


@dataclass(frozen=True)
class Database:
    """One empty database for one test: ``target`` is its path or URL (what child processes get)."""

    backend: str
    target: str

    def open(self, **kwargs: Any) -> IncidentStore:
        """A new store on this database (each call its own connections, like another process)."""
        return open_target(self.target, **kwargs)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """``sql`` straight on the database, bypassing the store."""
        return raw_rows(self.target, sql)

    def execute(self, sql: str) -> None:
        """Run one statement straight on the database and commit it."""
        raw_execute(self.target, sql)

    def count(self, table: str) -> int:
        """How many rows ``table`` holds."""
        return int(self.rows(f"SELECT count(*) FROM {table}")[0][0])
