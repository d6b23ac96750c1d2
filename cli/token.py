"""`proactive token`: the per-user tokens of the worker host's HTTP endpoint (an admin command:
whoever can reach the database runs it)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cli.common import postgres_database, storage_errors


def add_parser(sub: Any) -> None:
    """Register `token` on the top-level subparsers."""
    token = sub.add_parser("token", help="create, list and revoke users' tokens for POST /events")
    actions = token.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a new token for a user (shown once)")
    create.add_argument("--user", required=True, help="whose token it is")
    create.add_argument(
        "--days", type=float, help="valid for this many days (default: until revoked)"
    )
    create.add_argument("--note", default="", help="what it is for (shown by list)")
    listing = actions.add_parser("list", help="tokens, without their secrets")
    listing.add_argument("--user", help="only this user's")
    listing.add_argument("--json", action="store_true", help="print JSON")
    revoke = actions.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("id", help="the token's id (or the token)")
    for parser in (create, listing, revoke):
        parser.add_argument("--db", help="postgresql://... (also PROACTIVE_DB)")


def run(args: argparse.Namespace) -> int:
    from service.events import EventInbox, InboxError  # noqa: PLC0415
    from service.tokens import TokenError, TokenStore  # noqa: PLC0415

    db = postgres_database(args, "tokens are kept in the PostgreSQL inbox")
    try:
        with storage_errors("."):
            inbox = EventInbox(db)
            try:
                inbox.setup()
                return _act(args, TokenStore(inbox.conn))
            finally:
                inbox.close()
    except (InboxError, TokenError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _act(args: argparse.Namespace, tokens: Any) -> int:
    if args.action == "create":
        token_id, token = tokens.create(args.user, days=args.days, note=args.note)
        print(token)
        until = f"for {args.days:g} days" if args.days is not None else "until revoked"
        print(
            f"token {token_id} for user {args.user!r}, valid {until}; it is shown only now",
            file=sys.stderr,
        )
        return 0
    if args.action == "list":
        rows = tokens.list(args.user)
        if args.json:
            print(
                json.dumps(
                    [
                        {
                            "id": t.id,
                            "user": t.user,
                            "note": t.note,
                            "state": t.state(),
                            "created": t.created.isoformat(),
                            "expires": t.expires.isoformat() if t.expires else None,
                        }
                        for t in rows
                    ]
                )
            )
        else:
            for t in rows:
                expires = t.expires.isoformat(timespec="minutes") if t.expires else "never"
                print(f"{t.id}  {t.user}  {t.state()}  expires {expires}  {t.note}".rstrip())
            if not rows:
                print("(no tokens)")
        return 0
    if not tokens.revoke(args.id):
        print(f"error: no token {args.id!r}", file=sys.stderr)
        return 2
    print(f"revoked {args.id}")
    return 0
