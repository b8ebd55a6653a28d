"""Which tool groups the MCP server offers: ``tools.groups`` in the config, ``--groups`` or $FIRSTFIFTEEN_GROUPS.

A server that offers only some groups costs fewer tokens in every request a client makes to the
model. The names are checked here, at start, so a typo is refused with the list of known groups
rather than serving fewer tools than meant.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from adapters.errors import ConfigError

GROUPS_ENV = "FIRSTFIFTEEN_GROUPS"
TOOL_GROUPS = (
    "triage",
    "context",
    "deploys",
    "comms",
    "incidents",
    "timeline",
    "hypotheses",
    "evidence",
    "coordination",
    "postmortem",
)
"""The server's tool groups, in its order (``server.CATEGORIES`` has one entry per name; a test keeps it so)."""


def check_groups(names: list[str]) -> list[str]:
    """``names`` without repeats if each is a known group and there is one at least, else a ValueError."""
    unknown = [name for name in names if name not in TOOL_GROUPS]
    if unknown or not names:
        problem = f"unknown tool groups {unknown}" if unknown else "no tool group given"
        raise ValueError(f"{problem} (known: {', '.join(TOOL_GROUPS)})")
    return list(dict.fromkeys(names))


def parse_groups(text: str, source: str) -> list[str]:
    """Comma-separated groups read from ``source`` (``--groups`` or the environment), or a ConfigError."""
    try:
        return check_groups([part.strip() for part in text.split(",") if part.strip()])
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}", hint="Name groups separated by commas, e.g. triage,deploys.") from None


class ToolsConfig(BaseModel):
    """The ``tools:`` section: what the MCP server offers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: list[str] | None = Field(default=None, description="Tool groups to offer (default: all of them)")

    @field_validator("groups")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_groups(value)

    def offers(self, group: str) -> bool:
        """Whether ``group`` is offered (every group is when none are chosen)."""
        return self.groups is None or group in self.groups
