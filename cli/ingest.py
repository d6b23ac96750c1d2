"""`proactive ingest`: append events to a user's thread in the PostgreSQL inbox."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cli.common import SettingsError, postgres_database


def add_parser(sub: Any) -> None:
    """Register `ingest` on the top-level subparsers."""
    ingest = sub.add_parser("ingest", help="append events to a thread of the PostgreSQL inbox")
    ingest.add_argument("--events", required=True, help="JSONL file, or - for standard input")
    ingest.add_argument("--user", required=True, help="whose events they are")
    ingest.add_argument("--thread", required=True, help="the thread (one stream of activity)")
    ingest.add_argument("--db", help="postgresql://... (also PROACTIVE_DB)")


def run(args: argparse.Namespace) -> int:
    from cli.runner import EventLineError  # noqa: PLC0415
    from service.events import InboxError, read_stream  # noqa: PLC0415
    from service.worker import ingest  # noqa: PLC0415

    db = postgres_database(args, "ingest appends to the PostgreSQL inbox")
    if not args.user.strip() or not args.thread.strip():
        raise SettingsError("--user and --thread must not be empty")
    try:
        source = sys.stdin.buffer if args.events == "-" else open(args.events, "rb")  # noqa: SIM115
        with source:
            events = read_stream(source)
    except EventLineError as exc:
        print(f"error: {args.events}: {exc}; nothing was appended", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from cli.common import storage_errors  # noqa: PLC0415

    try:
        with storage_errors("."):
            seqs = ingest(db, args.user, args.thread, events)
    except InboxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    first = f"{seqs[0]}..{seqs[-1]}" if seqs else "none"
    print(f"appended {len(seqs)} events to thread {args.thread!r} (sequence {first})")
    return 0
