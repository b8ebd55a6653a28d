"""Read the project's import graph from the source (ast, nothing imported), for the layering tests."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("adapters", "mcp_server")


@dataclass(frozen=True)
class Import:
    """One import statement: who imports what, and the names taken from it."""

    module: str
    target: str
    names: tuple[str, ...]
    line: int
    type_checking: bool


def module_name(path: Path) -> str:
    """``adapters/git/repo.py`` -> ``adapters.git.repo``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(*packages: str) -> list[Path]:
    """Every Python file of ``packages`` (default: the two import packages)."""
    return sorted(p for pkg in packages or PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path) -> list[Import]:
    """The project-internal imports of one file, marked when they sit under ``if TYPE_CHECKING``."""
    module = module_name(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            guarded.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(module, alias.name, (), node.lineno, id(node) in guarded))
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node, path.name == "__init__.py")
            names = tuple(a.name for a in node.names)
            found.append(Import(module, target, names, node.lineno, id(node) in guarded))
    return [i for i in found if i.target.split(".")[0] in PACKAGES]


def graph(*packages: str) -> dict[str, set[str]]:
    """module -> the project modules it imports at run time (submodules named in ``from x import y`` included)."""
    files = source_files(*packages)
    known = {module_name(p) for p in files}
    edges: dict[str, set[str]] = {module_name(p): set() for p in files}
    for path in files:
        for imp in imports_of(path):
            if imp.type_checking:
                continue
            targets = {imp.target} | {f"{imp.target}.{n}" for n in imp.names if f"{imp.target}.{n}" in known}
            edges[imp.module] |= {t for t in targets if t in known and t != imp.module}
    return edges
