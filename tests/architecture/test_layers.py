"""The house rules, checked from the source: adapters never import the server, no cycles, no private
names across modules, and the replay machinery stands alone."""

from __future__ import annotations

import ast

from import_graph import ROOT, graph, imports_of, module_name, source_files


def test_adapters_never_import_mcp_server():
    upward = [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for path in source_files("adapters")
        for imp in imports_of(path)
        if imp.target.split(".")[0] == "mcp_server"
    ]
    assert upward == []


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_cycle_finder_finds_a_planted_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def _without_package_inits(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    # A package's __init__ importing its own submodules is how a package re-exports; a submodule
    # importing a sibling through the package is the same edge seen from below. Neither is a cycle
    # of meaning, so edges between a package and its own submodules are left out.
    return {
        mod: {t for t in targets if not (t.startswith(mod + ".") or mod.startswith(t + "."))}
        for mod, targets in edges.items()
    }


def test_no_import_cycles():
    assert _cycles(_without_package_inits(graph())) == []


def test_replay_package_imports_only_the_adapter_contract_and_itself():
    allowed = ("adapters.replay", "adapters.models", "adapters.errors", "adapters.base", "adapters.changes")
    bad = [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for path in source_files("adapters")
        if module_name(path).startswith("adapters.replay")
        for imp in imports_of(path)
        if not imp.target.startswith(allowed)
    ]
    assert bad == []


def _private_uses(path) -> list[str]:
    """Underscore names taken from another project module, by ``from x import _y`` or ``x._y``."""
    found = [
        f"{imp.module}:{imp.line} imports {name} from {imp.target}"
        for imp in imports_of(path)
        for name in imp.names
        if name.startswith("_") and not name.startswith("__")
    ]
    tree = ast.parse(path.read_text())
    aliases = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
        if (isinstance(node, ast.Import) and alias.name.split(".")[0] in ("adapters", "mcp_server"))
        or (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("adapters", "mcp_server"))
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            found.append(f"{module_name(path)}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def test_no_private_name_used_across_modules():
    files = source_files("adapters", "mcp_server") + sorted((ROOT / "tests").rglob("*.py"))
    used = [use for path in files for use in _private_uses(path)]
    assert used == []
