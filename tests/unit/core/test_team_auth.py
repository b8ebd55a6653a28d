"""Bearer tokens for the team server: entries, tokens files, and the verifier's answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import pytest

from adapters.errors import ConfigError
from mcp_server.config import parse_config
from mcp_server.http_access import HashedTokenVerifier, is_loopback
from mcp_server.team_auth import ServerConfig, TokenEntry, all_tokens, hash_token, load_tokens_file, new_token

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def entry(token: str, subject: str = "alice", **fields) -> TokenEntry:
    return TokenEntry(sha256=hash_token(token), subject=subject, **fields)


def verify(entries: list[TokenEntry], token: str):
    verifier = HashedTokenVerifier(entries, clock=lambda: NOW)
    return anyio.run(verifier.verify_token, token)


def test_new_tokens_are_prefixed_random_and_never_repeat():
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(t.startswith("ff_") and len(t) >= 40 for t in tokens)


def test_a_known_token_is_its_subject_with_its_scopes_and_the_hash_not_the_token():
    token = new_token()
    access = verify([entry("ff_other", "bob"), entry(token, scopes=["read", "write"])], token)
    assert (access.client_id, access.subject, access.scopes) == ("alice", "alice", ["read", "write"])
    assert access.token == hash_token(token) != token  # nothing downstream sees the secret


def test_an_unknown_or_expired_token_is_refused_and_a_future_expiry_is_not():
    token = new_token()
    assert verify([entry(token)], "ff_guess") is None
    assert verify([entry(token, expires=NOW - timedelta(seconds=1))], token) is None
    assert verify([entry(token, expires=NOW)], token) is None
    later = NOW + timedelta(days=1)
    assert verify([entry(token, expires=later)], token).expires_at == int(later.timestamp())


def test_scopes_default_to_read_only():
    assert entry(new_token()).scopes == ["read"]


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"sha256": "ff_abc", "subject": "alice"}, "not the token itself"),
        ({"sha256": "a" * 64, "subject": "two words"}, "letters, digits"),
        ({"sha256": "a" * 64, "subject": "alice", "scopes": ["admin"]}, "'read' or 'write'"),
        ({"sha256": "a" * 64, "subject": "alice", "expires": "2027-01-01T00:00:00"}, "needs a timezone"),
    ],
)
def test_a_bad_entry_in_the_config_says_what_is_accepted(fields, says, tmp_path):
    with pytest.raises(ConfigError) as raised:
        parse_config({"server": {"tokens": [fields]}}, base_dir=tmp_path)
    assert says in str(raised.value)


def test_a_tokens_file_relative_to_the_config_and_the_env_var_add_up(tmp_path, monkeypatch):
    (tmp_path / "team.yaml").write_text(f"tokens:\n- sha256: {'b' * 64}\n  subject: bob\n", encoding="utf-8")
    (tmp_path / "ops.yaml").write_text(f"- sha256: {'c' * 64}\n  subject: ops-bot\n", encoding="utf-8")
    monkeypatch.setenv("FIRSTFIFTEEN_TOKENS_FILE", str(tmp_path / "ops.yaml"))
    server = ServerConfig(tokens=[TokenEntry(sha256="a" * 64, subject="alice")], tokens_file="team.yaml")
    assert [e.subject for e in all_tokens(server, tmp_path)] == ["alice", "bob", "ops-bot"]


def test_the_same_token_twice_is_refused(tmp_path):
    twice = ServerConfig(
        tokens=[TokenEntry(sha256="a" * 64, subject="alice"), TokenEntry(sha256="A" * 64, subject="b")]
    )
    with pytest.raises(ConfigError, match="listed twice"):
        all_tokens(twice, tmp_path)


@pytest.mark.parametrize(
    ("text", "says"),
    [("tokens: [", "cannot read it"), ("just a string", "expected a list"), ("- subject: x\n", "sha256")],
)
def test_a_bad_tokens_file_names_the_file_and_the_problem(tmp_path, text, says):
    path = tmp_path / "tokens.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_tokens_file(path)
    assert str(path) in str(raised.value) and says in str(raised.value)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.8.0.1", True), ("0.0.0.0", False),
     ("10.0.0.5", False), ("ff.example.com", False)],
)  # fmt: skip
def test_loopback_is_only_this_machine(host, loopback):
    assert is_loopback(host) is loopback
