"""The ``comms`` command: draft every audience's update, post a confirmed draft, see what is due."""

from __future__ import annotations

import argparse
import asyncio

from adapters.errors import QueryError
from mcp_server.cli.common import AddParser, Handler, config_of
from mcp_server.comms.drafting import DraftSet, draft_for_incident
from mcp_server.comms.posting import CHANNELS, PostOutcome, check_token, post_draft
from mcp_server.comms.schedule import AudiencePlan, due_updates
from mcp_server.config import Config
from mcp_server.runtime import open_runtime
from mcp_server.triage.engine import run_triage


def add_parsers(add: AddParser) -> dict[str, Handler]:
    """Add ``comms draft``, ``comms post`` and ``comms schedule``."""
    comms = add("comms", help="draft, post and schedule incident communications")
    actions = comms.add_subparsers(dest="action", required=True)
    draft = actions.add_parser("draft", help="draft the status page, chat, executive email and support brief")
    draft.add_argument("incident", help="incident id, e.g. INC-3")
    draft.add_argument("--impact", required=True, help="what customers notice, in plain words")
    draft.add_argument(
        "--state", default="investigating", choices=["investigating", "identified", "monitoring", "resolved"]
    )
    draft.add_argument("--cause", default="")
    draft.add_argument("--workaround", default="")
    draft.add_argument("--no-triage", action="store_true", help="do not fill known/ruled out from a fresh triage")
    draft.add_argument("--json", action="store_true")
    post = actions.add_parser("post", help="post one confirmed draft (status page, chat or executive email)")
    post.add_argument("draft", help="draft id, e.g. D-4")
    post.add_argument(
        "--token",
        required=True,
        help="the draft's confirmation token, e.g. k7qm-4hx2-r9tc-wn3e (an older one starting with '-': --token=T)",
    )
    post.add_argument("--confirmed-by", required=True, help="who approved it")
    schedule = actions.add_parser("schedule", help="when each audience is due its next update")
    schedule.add_argument("incident")
    for parser in (draft, post, schedule):
        parser.add_argument("--config", default=None)
        parser.add_argument("--env", default=None)
    return {"comms": lambda args: run_comms(config_of(args), args)}


async def _draft(config: Config, args: argparse.Namespace) -> DraftSet:
    async with open_runtime(config) as runtime:
        incident = runtime.store.get_incident(args.incident)
        result = None if args.no_triage else await run_triage(runtime, runtime.reference_time())
        return await draft_for_incident(
            runtime, incident, args.impact, result, state=args.state, cause=args.cause, workaround=args.workaround
        )


async def _post(config: Config, args: argparse.Namespace) -> PostOutcome:
    async with open_runtime(config) as runtime:
        draft = runtime.store.get_draft(args.draft)
        channel = next((c for c in CHANNELS if c == draft.audience), None)
        if channel is None:
            raise QueryError(f"{draft.id} is a {draft.audience} draft: it is handed over, not posted")
        if draft.post is None:
            check_token(draft, args.token, args.confirmed_by)
        return await post_draft(runtime, draft.id, channel, args.confirmed_by, "token")


async def _schedule(config: Config, incident_id: str) -> dict[str, AudiencePlan]:
    async with open_runtime(config) as runtime:
        drafts = runtime.store.list_drafts(incident_id)
        return due_updates(drafts, config.comms.update_every_minutes, runtime.reference_time())


def run_comms(config: Config, args: argparse.Namespace) -> int:
    """``firstfifteen comms draft|post|schedule``."""
    if args.action == "draft":
        drafts = asyncio.run(_draft(config, args))
        print(drafts.model_dump_json(indent=2) if args.json else _render(drafts))
    elif args.action == "post":
        outcome = asyncio.run(_post(config, args))
        where = outcome.result.target if outcome.result else "?"
        print(f"{outcome.draft_id}: {'already posted' if outcome.already_posted else 'posted'} to {where}")
    else:
        for audience, plan in asyncio.run(_schedule(config, args.incident)).items():
            print(f"{audience}: {plan['reminder']}")
    return 0


def _render(drafts: DraftSet) -> str:
    lines = [f"# Drafts for {drafts.incident_id} (nothing is posted)"]
    for d in drafts.drafts:
        lines.append(f"## {d.id} {d.audience} -> {d.channel}  token: {d.confirmation_token}")
        lines += [f"BLOCKED {f.rule}: {f.text!r} ({f.message})" for f in d.findings]
        lines.append((f"Subject: {d.subject}\n" if d.subject else "") + d.body)
    lines += [f"{audience}: not drafted, {why}" for audience, why in drafts.skipped.items()]
    lines.append("Post one with: firstfifteen comms post D-N --token TOKEN --confirmed-by NAME")
    return "\n".join(lines)
