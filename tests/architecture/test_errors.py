"""The store raises only its own errors, and every face catches the root of the hierarchy."""

from __future__ import annotations

import ast

from import_graph import ROOT, imports_of, module_name, source_files

FACE_FILES = {  # where an error meets a person or a model, and must become advice
    "mcp_server/tools/common.py": "tool_errors",
    "mcp_server/cli/main.py": "main",
    "mcp_server/webhook.py": "webhook_app",
}


def test_the_store_imports_no_adapter_error():
    found = [
        f"{imp.module}:{imp.line} imports {', '.join(imp.names)} from {imp.target}"
        for path in source_files("mcp_server")
        if module_name(path).startswith("mcp_server.store.") and module_name(path) != "mcp_server.store.errors"
        for imp in imports_of(path)
        if imp.target == "adapters.errors"
    ]
    assert found == []


def _caught(function: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            kinds = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            names |= {ast.unparse(k) for k in kinds}
    return names


def test_every_face_catches_the_root():
    for relative, name in FACE_FILES.items():
        tree = ast.parse((ROOT / relative).read_text())
        function = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name)
        assert "FirstfifteenError" in _caught(function), relative
