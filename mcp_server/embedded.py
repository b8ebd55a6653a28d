"""The embedded default: a bundled fixture scenario, replayed with no network and no config file.

The MCP server serves it when started without a config, ``firstfifteen demo`` runs on it, and the
CLI's timeline falls back to it; it lives here, below all of them, so none has to import another.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from mcp_server.config import Config, parse_config

DEFAULT_SCENARIO = "bad-deploy"
SCENARIO_ENV = "FIRSTFIFTEEN_SCENARIO"


def scenario_config(name: str) -> tuple[Config, str, datetime]:
    """A config that replays scenario ``name``, the note to show with its results, and its 'now'."""
    from adapters.replay.scenario import load_scenario  # the scenario module loads YAML fixtures; only needed here

    scenario = load_scenario(name)
    raw = {
        "environment": f"demo:{scenario.name}",
        "services": scenario.services_config(),
        "adapters": {"replay": {"scenario": name}},
        "deploys": {"environments": ["production"]},  # the scenarios' staging deploys are not candidates
    }
    config = parse_config(raw, base_dir=Path.cwd())
    note = (
        f"Demo data: bundled scenario '{scenario.name}' ({scenario.title}), replayed with no network; "
        f"'now' is the scenario's moment. Set FIRSTFIFTEEN_CONFIG to triage your own systems."
    )
    return config, note, scenario.anchor


def demo_settings() -> tuple[Config, str, datetime]:
    """The default scenario's config (``FIRSTFIFTEEN_SCENARIO`` picks another)."""
    return scenario_config(os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)
