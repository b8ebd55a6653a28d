"""A real Prometheus 2.x serving one scenario: backfilled with promtool, started on a free local port.

Used by the integration tests to check that the replay adapter answers exactly what Prometheus
answers over the same samples. Needs Debian's ``prometheus`` package (``/usr/bin/prometheus`` and
``/usr/bin/promtool``; scripts/test installs it): without it the tests fail, never skip, so a CI
image that lost the package cannot pass silently.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from processes import free_port, stop_process

from adapters.models import TimeWindow
from adapters.replay.openmetrics import export_openmetrics, promtool_command, triage_segments
from adapters.replay.scenario import Scenario

READY_TIMEOUT = 30.0
_CONFIG = "global:\n  scrape_interval: 1m\n  evaluation_interval: 1m\nscrape_configs: []\n"
INSTALL_HINT = "install Debian's prometheus package (apt-get install prometheus; scripts/test does it)"


class PrometheusHarnessError(RuntimeError):
    """Prometheus or promtool is missing, or did not backfill or start; the message says why."""


@dataclass(frozen=True)
class PrometheusServer:
    """A running Prometheus: its base URL and where its files are."""

    url: str
    scenario: Scenario
    workdir: Path
    samples: int


def fixture_name(scenario: str) -> str:
    """The session fixture (tests/integration/conftest.py) that serves ``scenario``."""
    return "prometheus_" + scenario.replace("-", "_")


def find_binary(name: str) -> str:
    """The path of ``prometheus`` or ``promtool`` (on PATH, else /usr/bin), or a clear error."""
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").is_file() else None)
    if found is None:
        raise PrometheusHarnessError(f"{name} not found on PATH or in /usr/bin: {INSTALL_HINT}")
    return found


def backfill(scenario: Scenario, workdir: Path, segments: Sequence[TimeWindow] | None) -> tuple[Path, int]:
    """Write the scenario's OpenMetrics and turn it into TSDB blocks; returns (data dir, samples)."""
    source, data = workdir / "samples.om", workdir / "data"
    samples = export_openmetrics(scenario, source, segments=segments)
    backfill_file(source, data, scenario.name)
    return data, samples


def backfill_file(source: Path, data: Path, what: str) -> None:
    """Turn one OpenMetrics file into TSDB blocks under ``data`` with promtool, then delete the text."""
    command = promtool_command(find_binary("promtool"), source, data)
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise PrometheusHarnessError(
            f"promtool backfill of {what} failed ({result.returncode}): {result.stderr[-2000:]}"
        )
    source.unlink()  # the blocks hold the samples now; the text is only big


def _log_tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = READY_TIMEOUT) -> None:
    """Poll ``/-/ready`` until it answers 200; fail with the log tail if it dies or times out."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise PrometheusHarnessError(f"prometheus exited with {process.returncode}:\n{_log_tail(log)}")
            try:
                if client.get(f"{url}/-/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.1)
    raise PrometheusHarnessError(f"prometheus not ready at {url} after {timeout:.0f}s:\n{_log_tail(log)}")


@contextmanager
def serve_tsdb(data: Path, root: Path) -> Iterator[str]:
    """Serve the TSDB blocks in ``data`` (its config and log in ``root``) until the block exits; yields the URL."""
    prometheus = find_binary("prometheus")
    (root / "prometheus.yml").write_text(_CONFIG, encoding="utf-8")
    port, log = free_port(), root / "prometheus.log"
    command = [
        prometheus,
        f"--config.file={root / 'prometheus.yml'}",
        f"--storage.tsdb.path={data}",
        f"--web.listen-address=127.0.0.1:{port}",
        # Retention counts back from the newest block, but keep it generous: the data is months old.
        "--storage.tsdb.retention.time=3650d",
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, process, log)
            yield url
        finally:
            stop_process(process)


@contextmanager
def prometheus_server(
    scenario: Scenario,
    *,
    segments: Sequence[TimeWindow] | None | str = "triage",
    workdir: Path | None = None,
) -> Iterator[PrometheusServer]:
    """Backfill ``scenario`` and serve it from a real Prometheus until the block exits.

    ``segments`` is ``"triage"`` (the default: the windows triage reads, see
    :func:`adapters.replay.openmetrics.triage_segments`), a list of windows, or None for the whole history.
    """
    find_binary("prometheus")
    chosen = triage_segments(scenario) if segments == "triage" else segments
    assert not isinstance(chosen, str), f"segments must be 'triage', None or windows, not {chosen!r}"
    with tempfile.TemporaryDirectory(prefix=f"ff-prom-{scenario.name}-", dir=workdir) as tmp:
        root = Path(tmp)
        data, samples = backfill(scenario, root, chosen)
        with serve_tsdb(data, root) as url:
            yield PrometheusServer(url=url, scenario=scenario, workdir=root, samples=samples)
