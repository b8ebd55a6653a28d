"""A real PostgreSQL for tests and benchmarks, from the Debian package's binaries, on loopback.

``with postgres_server() as server:`` initialises a throwaway cluster in a temporary directory,
starts ``postgres`` on 127.0.0.1 at a free port (its unix socket in the same directory, fsync off
for speed, password authentication over TCP so URLs carry a password as real ones do), and stops
and removes it on exit. ``server.url`` is the admin database's URL; ``server.new_database()``
creates an empty database and returns its URL, ``server.drop_database(url)`` removes it;
``server.new_schema()`` is the cheaper isolation the store tests use: an empty schema of one shared
database, named in the URL's ``options=-csearch_path=...`` (the store sees an empty database).

PostgreSQL refuses to run as root, and CI runs as root: then initdb and postgres run as the
``postgres`` system user the Debian package creates (``setpriv``, which execs in place so the
process we stop is postgres itself), in a directory that user owns.

The binaries are not on PATH on Debian: they are under /usr/lib/postgresql/<version>/bin. A missing
binary raises PostgresMissing with the install hint; the fixtures turn it into a failure, never a skip.
"""

from __future__ import annotations

import itertools
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL's server binaries (initdb, postgres) were not found under /usr/lib/postgresql/*/bin; "
    "install the Debian package: apt-get install -y postgresql (./scripts/test does this)"
)
START_TIMEOUT = 60.0  # a safety net for a slow machine, not a measurement
ADMIN_USER = "firstfifteen"


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def find_pg_bindir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and postgres (or $FIRSTFIFTEEN_PG_BINDIR)."""
    override = os.environ.get("FIRSTFIFTEEN_PG_BINDIR")
    candidates = [Path(override)] if override else []
    found = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "postgres").is_file():
            return bindir
    raise PostgresMissing(INSTALL_HINT)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """A running throwaway cluster: its admin URL, and databases made and dropped on demand."""

    def __init__(self, port: int, password: str, workdir: Path) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self.user = ADMIN_USER
        self.password = password
        self.workdir = workdir
        self.url = self.url_for("postgres")
        self._names = itertools.count(1)
        self._lock = threading.Lock()
        self._shared = False

    def url_for(self, database: str) -> str:
        """The URL of ``database`` on this server, password included (as a real config would hold it)."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def new_database(self) -> str:
        """Create an empty database and return its URL."""
        with self._lock:
            name = f"test_{os.getpid()}_{next(self._names)}"
        self.admin(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def drop_database(self, url: str) -> None:
        """Drop the database ``url`` names, closing whatever is still connected to it."""
        name = url.rsplit("/", 1)[1]
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def new_schema(self) -> str:
        """Create an empty schema in the shared ``tests`` database; a URL whose search_path is only that schema.

        Ten times cheaper than a database (no template copy), and as empty to the store, which names
        no schema in its SQL.
        """
        with self._lock:
            if not self._shared:
                self.admin('CREATE DATABASE "tests"')
                self._shared = True
            name = f"test_{os.getpid()}_{next(self._names)}"
        self.admin(f'CREATE SCHEMA "{name}"', database="tests")
        return f"{self.url_for('tests')}?options=-csearch_path%3D{name}"

    def drop_schema(self, url: str) -> None:
        """Drop the schema a ``new_schema`` URL names, with everything in it."""
        name = url.rsplit("%3D", 1)[1]
        self.admin(f'DROP SCHEMA IF EXISTS "{name}" CASCADE', database="tests")

    def admin(self, sql: str, database: str = "postgres") -> None:
        """Run one statement on ``database`` (the admin one by default), outside any transaction."""
        import psycopg  # the test extra installs it; imported here so this module loads without it

        with psycopg.connect(self.url_for(database), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.encode())


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a throwaway PostgreSQL on 127.0.0.1 and stop and remove it when the block ends."""
    bindir = find_pg_bindir()
    workdir = Path(tempfile.mkdtemp(prefix="firstfifteen-pg-"))
    owner = _server_user()
    try:
        if owner is not None:
            os.chown(workdir, owner.pw_uid, owner.pw_gid)
        password = secrets.token_urlsafe(16)
        _initdb(bindir, workdir, password, owner)
        port = free_port()
        process = _start(bindir, workdir, port, owner)
        try:
            server = PostgresServer(port, password, workdir)
            _wait_until_ready(server, process)
            yield server
        finally:
            _stop(process)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _server_user() -> pwd.struct_passwd | None:
    """The user to run PostgreSQL as: None (ourselves) unless we are root, then ``postgres``."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresMissing(f"running as root needs the 'postgres' system user; {INSTALL_HINT}") from None


def _as(owner: pwd.struct_passwd | None, argv: list[str]) -> list[str]:
    if owner is None:
        return argv
    ids = [f"--reuid={owner.pw_uid}", f"--regid={owner.pw_gid}", "--init-groups"]
    return ["setpriv", *ids, "--", *argv]


def _initdb(bindir: Path, workdir: Path, password: str, owner: pwd.struct_passwd | None) -> None:
    pwfile = workdir / "pwfile"
    pwfile.write_text(password + "\n")
    if owner is not None:
        os.chown(pwfile, owner.pw_uid, owner.pw_gid)
    argv = [str(bindir / "initdb"), "-D", str(workdir / "data"), "-U", ADMIN_USER, f"--pwfile={pwfile}"]
    argv += ["--auth-local=trust", "--auth-host=scram-sha-256", "--no-locale", "-E", "UTF8", "--no-sync"]
    done = subprocess.run(_as(owner, argv), capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    pwfile.unlink()
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")


def _start(bindir: Path, workdir: Path, port: int, owner: pwd.struct_passwd | None) -> subprocess.Popen[bytes]:
    settings = {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": str(workdir),
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "300",
        "shared_buffers": "32MB",
        "log_min_messages": "warning",
    }
    argv = [str(bindir / "postgres"), "-D", str(workdir / "data")]
    for key, value in settings.items():
        argv += ["-c", f"{key}={value}"]
    log = open(workdir / "postgres.log", "wb")  # noqa: SIM115 - handed to the child, closed by _stop
    process = subprocess.Popen(_as(owner, argv), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    process.log = log  # type: ignore[attr-defined]
    return process


def _wait_until_ready(server: PostgresServer, process: subprocess.Popen[bytes]) -> None:
    import psycopg

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            log = (server.workdir / "postgres.log").read_text(errors="replace")
            raise RuntimeError(f"postgres exited with {process.returncode}: {log.strip()[-2000:]}")
        try:
            with psycopg.connect(server.url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Fast shutdown (SIGINT: roll back and disconnect every session), then a kill if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)
    process.log.close()  # type: ignore[attr-defined]
