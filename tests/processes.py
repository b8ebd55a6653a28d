"""What the harnesses that start real servers share: a free loopback port, and stopping a process."""

from __future__ import annotations

import socket
import subprocess

STOP_TIMEOUT = 10.0  # a safety net for a slow machine, not a measurement


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Ask ``process`` to stop (SIGTERM); kill it if it has not within STOP_TIMEOUT."""
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)
