"""What the command groups share: how they add their parsers, the config they run on, terminal output."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Protocol

from mcp_server.config import Config, load_config

Handler = Callable[[argparse.Namespace], int]
"""Runs one command on its parsed arguments; returns the exit code."""


class AddParser(Protocol):
    """Adds one command and returns its parser (``add_subparsers().add_parser``)."""

    def __call__(self, name: str, *, help: str) -> argparse.ArgumentParser: ...


def config_of(args: argparse.Namespace) -> Config:
    """The config named by ``--config``/``--env`` (or ``$FIRSTFIFTEEN_CONFIG``, or ./firstfifteen.yaml)."""
    return load_config(args.config, args.env)


async def progress(done: float, total: float, message: str) -> None:
    """A live progress line on stderr, only on a terminal: pipes and CI logs stay clean."""
    if sys.stderr.isatty():
        print(f"\r\033[K[{done:.0f}/{total:.0f}] {message}", end="", file=sys.stderr, flush=True)


def print_result(text: str) -> None:
    """Print a command's result on stdout after clearing the progress line, if one was drawn."""
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)
    print(text)
