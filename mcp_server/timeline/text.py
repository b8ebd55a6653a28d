"""Making outside text fit the timeline's rules: no control characters, bounded length, absolute links."""

from __future__ import annotations

import re

MAX_TEXT = 10_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")


def clean_text(text: str, empty: str = "(no text)") -> str:
    """Text as an event text: control characters dropped, at most 10,000 characters, never blank."""
    text = _CONTROL.sub("", text)
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return text if text.strip() else empty


def one_line(text: str, limit: int = 200) -> str:
    """A name or actor on one line, without control characters, at most ``limit`` characters."""
    return _CONTROL.sub("", re.sub(r"[\r\n]+", " ", text))[:limit]


def safe_link(link: str) -> str:
    """The link if it is an absolute URL the timeline accepts, else ''."""
    return link if len(link) <= 2_000 and _URL.match(link) else ""
