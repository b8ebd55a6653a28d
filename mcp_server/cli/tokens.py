"""``firstfifteen token new``: a bearer token for the team's HTTP server, and the entry that admits it.

The token is printed once and never stored; the server keeps only its hash (docs/team-server.md).
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path

import yaml
from pydantic import ValidationError

from adapters.errors import ConfigError
from adapters.models import utcnow
from mcp_server.cli.common import AddParser, Handler
from mcp_server.clock import parse_time
from mcp_server.team_auth import Scope, TokenEntry, append_entry, entry_data, hash_token, new_token, scopes_for


def add_parsers(add: AddParser) -> dict[str, Handler]:
    """Add ``token`` (one action for now: ``new``)."""
    token = add("token", help="make a bearer token for `serve --transport http`")
    token.add_argument("action", choices=["new"])
    token.add_argument("--subject", required=True, help="who holds it (e.g. alice): the actor of their calls")
    token.add_argument("--scope", choices=["read", "write"], default="read", help="write implies read (default read)")
    token.add_argument("--expires", default=None, help="RFC3339 with a timezone, or now+30d style (default: never)")
    token.add_argument(
        "--tokens-file", default=None, help="append the entry to this YAML tokens file (made if missing)"
    )
    token.add_argument("--json", action="store_true", help="print {token, entry} as JSON")
    return {"token": run_token}


def make_entry(subject: str, scope: Scope, expires: datetime | None) -> tuple[str, TokenEntry]:
    """A new token and its entry; a bad subject or expiry is a ConfigError naming what is accepted."""
    token = new_token()
    try:
        entry = TokenEntry(sha256=hash_token(token), subject=subject, scopes=scopes_for(scope), expires=expires)
    except ValidationError as exc:
        problems = "; ".join(f"--{e['loc'][0]}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors())
        raise ConfigError(f"token new: {problems}", hint="Fix it and run again; nothing was written.") from None
    return token, entry


def run_token(args: argparse.Namespace) -> int:
    """Print a new token once; add its entry to --tokens-file, or print the entry to paste."""
    expires = parse_time(args.expires) if args.expires else None
    if expires is not None and expires <= utcnow():
        raise ConfigError(f"--expires {args.expires}: that is in the past", hint="Give a future time, e.g. now+30d.")
    token, entry = make_entry(args.subject, args.scope, expires)
    if args.tokens_file:
        append_entry(Path(args.tokens_file).expanduser(), entry)
    if args.json:
        print(json.dumps({"token": token, "entry": entry_data(entry)}, indent=2))
        return 0
    print(token)
    if not args.tokens_file:
        listing = yaml.safe_dump([entry_data(entry)], sort_keys=False)
        print(f"\n# give the token above to {entry.subject} (it is shown once); add this under server.tokens:")
        print(listing.rstrip())
    return 0
