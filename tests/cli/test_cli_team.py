"""``firstfifteen token new`` and the refusals of ``serve --transport http`` before it listens."""

from __future__ import annotations

import json

import anyio
import pytest
import yaml

from mcp_server.cli.main import main
from mcp_server.http_access import HashedTokenVerifier
from mcp_server.team_auth import hash_token, load_tokens_file


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_token_new_prints_the_token_once_and_the_entry_that_admits_it(capsys):
    code, out, _ = run(capsys, "token", "new", "--subject", "alice", "--scope", "write")
    token, _, rest = out.partition("\n")
    listed = yaml.safe_load(rest)
    assert code == 0 and token.startswith("ff_")
    assert listed == [{"sha256": hash_token(token), "subject": "alice", "scopes": ["read", "write"]}]
    assert token not in rest


def test_token_new_into_a_tokens_file_keeps_earlier_entries_and_the_server_accepts_it(capsys, tmp_path):
    path = tmp_path / "tokens.yaml"
    first = json.loads(run(capsys, "token", "new", "--subject", "alice", "--tokens-file", str(path), "--json")[1])
    code, out, _ = run(capsys, "token", "new", "--subject", "bob", "--expires", "now+30d", "--tokens-file", str(path))
    entries = load_tokens_file(path)
    assert code == 0 and [e.subject for e in entries] == ["alice", "bob"]
    assert entries[1].expires is not None and entries[0].scopes == ["read"]
    assert out.strip().startswith("ff_") and "sha256" not in out  # only the token: the entry is in the file
    assert path.stat().st_mode & 0o077 == 0
    access = anyio.run(HashedTokenVerifier(entries).verify_token, first["token"])
    assert access is not None and access.client_id == "alice"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--subject", "two words"], "--subject: must be 1-100 characters"),
        (["--subject", "alice", "--expires", "now-1h"], "in the past"),
        (["--subject", "alice", "--expires", "someday"], "invalid time"),
    ],
)
def test_token_new_refuses_bad_input_and_writes_nothing(capsys, tmp_path, argv, says):
    path = tmp_path / "tokens.yaml"
    code, out, err = run(capsys, "token", "new", *argv, "--tokens-file", str(path))
    assert code == 2 and says in err and out == ""
    assert not path.exists()


def test_token_new_refuses_to_append_to_a_broken_tokens_file(capsys, tmp_path):
    path = tmp_path / "tokens.yaml"
    path.write_text("tokens: [", encoding="utf-8")
    code, _, err = run(capsys, "token", "new", "--subject", "alice", "--tokens-file", str(path))
    assert code == 2 and "cannot read it" in err
    assert path.read_text(encoding="utf-8") == "tokens: ["


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--host", "0.0.0.0", "--no-auth"], "may only listen on loopback"),
        (["--no-auth", "--host", "10.1.2.3"], "may only listen on loopback"),
        ([], "needs at least one token"),
    ],
)
def test_serve_http_refuses_to_start_open_or_without_tokens(capsys, monkeypatch, argv, says):
    monkeypatch.delenv("FIRSTFIFTEEN_TOKENS_FILE", raising=False)
    code, out, err = run(capsys, "serve", "--transport", "http", "--port", "1", *argv)
    assert code == 2 and says in err and out == ""


def test_serve_http_beyond_loopback_needs_the_host_names_clients_use(capsys, tmp_path, monkeypatch):
    tokens = tmp_path / "tokens.yaml"
    assert run(capsys, "token", "new", "--subject", "alice", "--tokens-file", str(tokens))[0] == 0
    monkeypatch.setenv("FIRSTFIFTEEN_TOKENS_FILE", str(tokens))
    code, _, err = run(capsys, "serve", "--transport", "http", "--host", "0.0.0.0", "--port", "1")
    assert code == 2 and "no host name is allowed" in err and "--allowed-host" in err
