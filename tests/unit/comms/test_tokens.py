"""Confirmation tokens: a readable alphabet, four groups, never a leading '-', enough entropy."""

from __future__ import annotations

import re

from mcp_server.comms.tokens import ALPHABET, BITS, new_token, token_hash, token_matches

SHAPE = re.compile(r"[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}")


def test_alphabet_is_lowercase_letters_and_digits_without_look_alikes():
    assert ALPHABET == "".join(sorted(set(ALPHABET), key=ALPHABET.index))  # no repeats
    assert set(ALPHABET) == set("abcdefghijklmnopqrstuvwxyz0123456789") - set("0o1li")
    assert len(ALPHABET) == 31


def test_tokens_have_the_grouped_shape_and_never_start_with_a_dash():
    tokens = [new_token() for _ in range(2_000)]
    assert all(SHAPE.fullmatch(t) for t in tokens), [t for t in tokens if not SHAPE.fullmatch(t)][:3]
    assert not any(t.startswith("-") for t in tokens)
    assert len(set(tokens)) == len(tokens)


def test_every_character_of_the_alphabet_turns_up():
    seen = set("".join(new_token() for _ in range(500)).replace("-", ""))
    assert seen == set(ALPHABET)


def test_a_token_carries_at_least_60_bits():
    assert 79 < BITS < 80


def test_a_token_matches_as_typed_and_with_capitals_or_spaces():
    token = new_token()
    stored = token_hash(token)
    assert token_matches(token, stored)
    assert token_matches(f"  {token.upper()} \n", stored)
    assert not token_matches(new_token(), stored)


def test_an_older_token_matches_only_exactly():
    old = "-Qx_9vZb3LmKa"  # secrets.token_urlsafe(9), the format before this one
    stored = token_hash(old)
    assert token_matches(old, stored)
    assert not token_matches(old.lower(), stored)
