"""mypy (strict, configured in pyproject.toml) passes on adapters/ and mcp_server/, with no blanket ignores."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from import_graph import ROOT, source_files

BARE_IGNORE = re.compile(r"#\s*type:\s*ignore(?!\[)")
FILE_IGNORE = re.compile(r"#\s*mypy:\s*ignore-errors")


def test_mypy_strict_passes():
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--cache-dir", str(ROOT / ".cache" / "mypy")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_strict_over_both_packages_and_ignores_nothing_wholesale():
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert settings["strict"] is True
    assert set(settings["files"]) == {"adapters", "mcp_server"}
    assert not {"ignore_errors", "disable_error_code", "overrides", "ignore_missing_imports"} & set(settings)


def test_no_bare_or_file_wide_type_ignores():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in source_files()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if BARE_IGNORE.search(line) or FILE_IGNORE.search(line)
    ]
    assert found == []
