"""Start a real Alertmanager (the Debian ``prometheus-alertmanager`` binary) for a test, then stop it.

It listens on a free 127.0.0.1 port, stores state in a temporary directory, routes everything to
a receiver with no integrations (so nothing is ever sent anywhere), and runs without clustering.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from processes import free_port, stop_process

CANDIDATES = ("prometheus-alertmanager", "alertmanager")
READY_TIMEOUT_S = 20.0
CONFIG = """\
route:
  receiver: blackhole
  group_wait: 1s
receivers:
  - name: blackhole
"""


class AlertmanagerNotInstalled(RuntimeError):
    """The Alertmanager binary is not on this machine."""


def find_binary() -> str:
    """The Alertmanager binary: $FIRSTFIFTEEN_ALERTMANAGER, else the Debian name, else upstream's."""
    override = os.environ.get("FIRSTFIFTEEN_ALERTMANAGER")
    if override:
        if not os.access(override, os.X_OK):
            raise AlertmanagerNotInstalled(f"FIRSTFIFTEEN_ALERTMANAGER={override} is not an executable file.")
        return override
    for name in CANDIDATES:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    raise AlertmanagerNotInstalled(
        "Alertmanager binary not found (looked for prometheus-alertmanager and alertmanager on PATH and in "
        "/usr/bin). Install it with `sudo apt-get install prometheus-alertmanager` (scripts/test does this), "
        "or point FIRSTFIFTEEN_ALERTMANAGER at a binary."
    )


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Alertmanager exited with code {process.returncode} before it was ready:\n{_tail(log)}")
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.1)
    raise RuntimeError(f"Alertmanager at {url} not ready within {READY_TIMEOUT_S:g}s:\n{_tail(log)}")


def webhook_config(url: str) -> str:
    """A config that sends every notification, firing and resolved, to the webhook at ``url`` quickly."""
    return f"""\
global:
  resolve_timeout: 1m
route:
  receiver: webhook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: webhook
    webhook_configs:
      - url: {url}
        send_resolved: true
"""


@contextmanager
def running_alertmanager(config_text: str = CONFIG) -> Iterator[str]:
    """Run Alertmanager (with ``config_text``, default: no integrations) for the block; yields its base URL."""
    binary = find_binary()
    with tempfile.TemporaryDirectory(prefix="ff-alertmanager-") as tmp:
        workdir = Path(tmp)
        config = workdir / "alertmanager.yml"
        config.write_text(config_text)
        log = workdir / "alertmanager.log"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            binary,
            f"--config.file={config}",
            f"--storage.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",  # empty disables the gossip cluster (no extra ports, no peers)
            "--log.level=info",
        ]
        with log.open("wb") as sink:
            process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, cwd=workdir)
            try:
                _wait_ready(process, url, log)
                yield url
            finally:
                stop_process(process)
