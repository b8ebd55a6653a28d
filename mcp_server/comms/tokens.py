"""Confirmation tokens: what a responder types to let one draft go out.

A token is four groups of four characters, such as ``k7qm-4hx2-r9tc-wn3e``. The alphabet is the
lowercase letters and digits without the look-alikes 0/o, 1/l/i, so it can be read aloud and
typed from a screen; every group starts with a letter or digit, never ``-``, so argparse never
takes ``--token TOKEN`` for an option. 16 characters of 31 give 16·log2(31) ≈ 79 bits.

The store keeps only a SHA-256 of the token. Drafts saved before this format (``token_urlsafe``,
which may contain ``-``, ``_`` and capitals) stay in existing stores, so a token is checked by its
hash whatever its shape: an old one still works, typed exactly (``--token=-Ab...`` on the CLI).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GROUPS = 4
GROUP_SIZE = 4
SEPARATOR = "-"
BITS = GROUPS * GROUP_SIZE * math.log2(len(ALPHABET))
"""The entropy of one token (≈79.3 bits)."""


def new_token() -> str:
    """A fresh random token, from ``secrets`` (a CSPRNG)."""
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_SIZE)) for _ in range(GROUPS))
    return SEPARATOR.join(groups)


def token_hash(token: str) -> str:
    """What the store keeps of a confirmation token (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """Whether ``token`` is the one ``stored_hash`` was made from.

    Tried as typed (which is how tokens of the old format match), then with surrounding spaces
    and capitals removed, since a new token has neither and a person copying one may add them.
    """
    candidates = {token, token.strip().lower()}
    return any(hmac.compare_digest(token_hash(c), stored_hash) for c in candidates)
