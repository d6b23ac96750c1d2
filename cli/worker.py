"""`proactive worker`: process every user's event stream from the PostgreSQL inbox."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

from cli.common import (
    SettingsError,
    context_args,
    data_dir,
    make_context,
    postgres_database,
    redacted_url,
    storage_errors,
)
from cli.serve import address, serve_in_background


def add_parser(sub: Any) -> None:
    """Register `worker` on the top-level subparsers."""
    worker = sub.add_parser(
        "worker",
        help="process users' event streams from the PostgreSQL inbox (run several for more)",
    )
    worker.add_argument(
        "--memory",
        help="the shared memory: a Chroma server, http://host:port, or PostgreSQL with pgvector, "
        "postgresql://... (needed: every worker must see every write at once)",
    )
    worker.add_argument("--poll", type=float, default=0.5, help="seconds between idle looks")
    worker.add_argument(
        "--until-idle", action="store_true", help="stop when no thread has events waiting"
    )
    worker.add_argument("--name", default=f"worker-{os.getpid()}", help="name in the log")
    worker.add_argument(
        "--durability",
        choices=["exit", "sync"],
        default="exit",
        help="commit each thread's state once per event (exit, default: a killed worker's event "
        "is redone from its start, still exactly once) or after every node (sync: it resumes "
        "inside the event; about 8 commits per event instead of 1, measured 1.3x the CPU)",
    )
    worker.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help="also serve the HTTP endpoint (POST /events and each user's proposals, memory and "
        "profile, with per-user tokens from `proactive token create`) on this address",
    )
    worker.add_argument(
        "--dead-letters",
        action="store_true",
        help="list the events workers could not process (each holds its thread) and stop",
    )
    worker.add_argument(
        "--requeue",
        metavar="THREAD",
        help="let a thread held at a dead letter be tried again (after a fix) and stop",
    )
    context_args(worker)


def run(args: argparse.Namespace) -> int:
    from service.events import InboxError  # noqa: PLC0415
    from service.worker import Worker  # noqa: PLC0415

    db = postgres_database(args, "a worker needs the PostgreSQL inbox")
    if args.dead_letters or args.requeue is not None:
        with storage_errors("."):  # an unreachable database is one line
            return _dead_letters(db, args.requeue)
    memory = args.memory or os.environ.get("PROACTIVE_MEMORY_SERVER", "")
    if not memory.startswith(("http://", "https://", "postgresql://", "postgres://")):
        raise SettingsError(
            "a worker needs the shared memory: --memory http://host:port (a Chroma server; "
            "`chroma run --path DIR --port PORT` starts one) or --memory postgresql://... "
            "(PostgreSQL with pgvector)"
        )
    directory = data_dir(args)
    context = make_context(args, directory)
    context.memory_server = memory
    listen = address(args.listen) if args.listen else None
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    server = None
    try:
        with storage_errors(directory):
            worker = Worker(
                db, context, data_dir=directory, name=args.name, durability=args.durability
            )
            print(f"{args.name}: working on {redacted_url(db)}, memory {memory}", flush=True)
            if listen is not None:
                server = serve_in_background(db, directory, context, *listen)
                print(f"{args.name}: serving http://{listen[0]}:{listen[1]}/events", flush=True)
            stats = worker.run(
                poll=args.poll, until_idle=args.until_idle, stop=lambda: bool(stopping)
            )
    except InboxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        if server is not None:
            server.should_exit = True
    print(
        f"{args.name}: {stats.events} events in {len(stats.threads)} threads "
        f"({stats.resumed} resumed, {stats.busy} busy looks, {stats.retried} retried, "
        f"{stats.waiting} waiting for answers, {stats.dead} dead letters, "
        f"{stats.outages} outages waited out)",
        flush=True,
    )
    return 0


def _dead_letters(db: str, requeue: str | None) -> int:
    """List the dead letters (one line each: thread, event number, user, when, why), or clear
    one thread's so the next worker tries it again."""
    from service.events import EventInbox  # noqa: PLC0415

    inbox = EventInbox(db)
    try:
        inbox.setup()
        if requeue is not None:
            cleared = inbox.requeue(requeue)
            if not cleared:
                raise SettingsError(f"thread {requeue!r} is not held at a dead letter")
            print(f"{requeue}: re-queued ({cleared} dead letter(s) cleared)")
            return 0
        held = inbox.dead_letters()
        for item in held:
            print(
                f"{item['thread']}\t{item['seq']}\t{item['user']}\t{item['failed']}\t"
                f"{item['reason']}"
            )
        if not held:
            print("no dead letters")
        return 0
    finally:
        inbox.close()
