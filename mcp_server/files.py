"""Writing a file whole: a reader, or a crash mid-write, sees the old file or the new one, never half."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_whole(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a private temporary file beside it, then rename it into place;
    on any failure the temporary file is removed and ``path`` is untouched. The result is owner-only
    (mode 0600, as ``mkstemp`` makes it): these files may hold token hashes or incident details."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
