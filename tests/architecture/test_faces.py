"""The faces stay apart: the MCP server (with its tools), the CLI, the demo and the webhook receiver
each reach the domain directly, never through one another, and never touch another object's privates.

A face may *start* another through that face's one public entry (``firstfifteen serve`` builds the
server, ``receive-alerts`` runs the receiver, ``demo`` runs the demo); those entries are listed in
``LAUNCHES`` and nothing else crosses. Anything two faces share belongs in the domain below them.
"""

from __future__ import annotations

import ast

from import_graph import ROOT, Import, imports_of, module_name, source_files

FACES: dict[str, tuple[str, ...]] = {
    "mcp": ("mcp_server.server", "mcp_server.tools"),
    "cli": ("mcp_server.cli",),
    "demo": ("mcp_server.demo",),
    "webhook": ("mcp_server.webhook",),
}
LAUNCHES: dict[tuple[str, str], frozenset[str]] = {
    ("cli", "mcp_server.server"): frozenset({"create_server"}),
    ("cli", "mcp_server.webhook"): frozenset({"serve_webhook"}),
    ("cli", "mcp_server.demo"): frozenset({"demo_report"}),
}
"""(importing face, module) -> the only names it may take from that module to start the face."""
OWN = {"self", "cls"}


def face_of(module: str) -> str | None:
    """The face ``module`` belongs to, or None for the domain, the contract and the adapters."""
    for face, roots in FACES.items():
        if any(module == root or module.startswith(root + ".") for root in roots):
            return face
    return None


def _targets(imp: Import) -> list[tuple[str, tuple[str, ...]]]:
    # ``from mcp_server import demo`` imports the module mcp_server.demo: judge it as that module.
    modules = [n for n in imp.names if face_of(f"{imp.target}.{n}") and face_of(imp.target) is None]
    rest = tuple(n for n in imp.names if n not in modules)
    found = [(f"{imp.target}.{n}", ()) for n in modules]
    return found + ([(imp.target, rest)] if rest or not imp.names else [])


def crossings(imports: list[Import]) -> list[str]:
    """Every import from one face into another that is not a listed launch entry."""
    bad = []
    for imp in imports:
        own = face_of(imp.module)
        for target, names in _targets(imp):
            other = face_of(target)
            if own is None or other is None or other == own:
                continue
            allowed = LAUNCHES.get((own, target), frozenset())
            if not names or not set(names) <= allowed:
                bad.append(f"{imp.module}:{imp.line} ({own}) imports {', '.join(names) or target} from {target}")
    return bad


def private_attributes(source: str, module: str) -> list[str]:
    """``obj._name`` anywhere in ``source`` where ``obj`` is not the code's own ``self``/``cls``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_") or node.attr.startswith("__"):
            continue
        if isinstance(node.value, ast.Name) and node.value.id in OWN:
            continue
        found.append((node.lineno, f"{module}:{node.lineno} uses {ast.unparse(node)}"))
    return [text for _, text in sorted(found)]


def face_files() -> list:
    return [p for p in source_files("mcp_server") if face_of(module_name(p))]


def test_every_face_has_files():
    seen = {face_of(module_name(p)) for p in face_files()}
    assert seen == set(FACES)


def test_no_face_imports_another_face():
    assert crossings([imp for path in face_files() for imp in imports_of(path)]) == []


def test_no_face_uses_a_private_attribute():
    used = [use for path in face_files() for use in private_attributes(path.read_text(), module_name(path))]
    assert used == []


def test_launch_entries_exist():
    for (_, module), names in LAUNCHES.items():
        path = ROOT / (module.replace(".", "/") + ".py")
        defined = {
            n.name for n in ast.parse(path.read_text()).body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        assert names <= defined, module


def test_crossings_finds_planted_imports():
    planted = [
        Import("mcp_server.cli.comms", "mcp_server.tools.comms", ("due_updates",), 3, False),
        Import("mcp_server.demo", "mcp_server.cli", ("main",), 4, False),
        Import("mcp_server.webhook", "mcp_server", ("demo",), 5, False),
        Import("mcp_server.cli.timeline", "mcp_server.webhook", ("serve_webhook", "parse_payload"), 6, False),
        Import("mcp_server.server", "mcp_server.demo", ("demo_report",), 7, True),
        Import("mcp_server.cli.serve", "mcp_server.server", (), 8, False),
    ]
    assert [line.split(" ")[0] for line in crossings(planted)] == [
        "mcp_server.cli.comms:3",
        "mcp_server.demo:4",
        "mcp_server.webhook:5",
        "mcp_server.cli.timeline:6",
        "mcp_server.server:7",
        "mcp_server.cli.serve:8",
    ]


def test_allowed_imports_are_not_crossings():
    fine = [
        Import("mcp_server.cli.serve", "mcp_server.server", ("create_server",), 1, False),
        Import("mcp_server.server", "mcp_server.tools", ("comms",), 2, False),
        Import("mcp_server.demo", "mcp_server.triage.engine", ("run_triage",), 3, False),
        Import("mcp_server.cli.main", "mcp_server.cli", ("comms",), 4, False),
    ]
    assert crossings(fine) == []


def test_private_attributes_finds_planted_uses():
    source = (
        "runtime._store.close()\nimport argparse\nx: argparse._SubParsersAction\nself._own = 1\ncls._too\nf.__name__\n"
    )
    assert private_attributes(source, "m") == ["m:1 uses runtime._store", "m:3 uses argparse._SubParsersAction"]
