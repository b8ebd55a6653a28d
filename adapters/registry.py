"""Find adapter classes through the ``firstfifteen.adapters`` entry-point group, built-ins included."""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import cast

from adapters.base import Adapter
from adapters.errors import ConfigError

GROUP = "firstfifteen.adapters"


@cache
def _entry_points() -> tuple[EntryPoint, ...]:
    return tuple(entry_points(group=GROUP))


def refresh() -> None:
    """Forget the entry points read so far, so a package installed since is seen on the next lookup."""
    _entry_points.cache_clear()


def installed_adapters() -> list[str]:
    """Names of every adapter registered in the entry-point group."""
    return sorted({ep.name for ep in _entry_points()})


def load_adapter_class(adapter_type: str) -> type[Adapter]:
    """Return the adapter class registered under ``adapter_type``.

    Raises:
        ConfigError: no package registers that name, several do, or what it names is not a class.
    """
    matches = [ep for ep in _entry_points() if ep.name == adapter_type]
    if not matches:
        installed = ", ".join(installed_adapters()) or "none"
        raise ConfigError(
            f"unknown adapter type {adapter_type!r}",
            hint=f"Use one of the installed adapters: {installed}.",
        )
    if len({ep.value for ep in matches}) > 1:
        raise ConfigError(
            f"adapter type {adapter_type!r} is registered by several packages: {[ep.value for ep in matches]}",
            hint="Uninstall one of them, or register the third-party one under another name.",
        )
    loaded: object = matches[0].load()
    if not isinstance(loaded, type):
        raise ConfigError(
            f"adapter type {adapter_type!r} names {matches[0].value}, which is not a class",
            hint="Point the entry point at the adapter class (module:Class).",
        )
    # What the class provides is checked when the runtime builds it (mcp_server.runtime.check_contract);
    # a Protocol with data members cannot be checked with issubclass, so the type is asserted here.
    return cast(type[Adapter], loaded)
