"""Golden-file comparison: a rendered document against the file kept beside its test.

Regenerate after an intended change with ``FIRSTFIFTEEN_UPDATE_GOLDEN=1 pytest <test>`` and review
the diff in git; without the variable a missing or different golden file fails the test.
"""

from __future__ import annotations

import os
from pathlib import Path


def assert_golden(path: Path, text: str) -> None:
    """Fail unless ``text`` equals the golden file at ``path`` (rewrite it when asked to update)."""
    if os.environ.get("FIRSTFIFTEEN_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with FIRSTFIFTEEN_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs: diff it, update if intended"
