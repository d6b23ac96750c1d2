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
    database,
    make_context,
    storage_errors,
)


def add_parser(sub: Any) -> None:
    """Register `worker` on the top-level subparsers."""
    worker = sub.add_parser(
        "worker",
        help="process users' event streams from the PostgreSQL inbox (run several for more)",
    )
    worker.add_argument(
        "--memory",
        help="the shared memory: a Chroma server, http://host:port (needed: every worker must "
        "see every write at once)",
    )
    worker.add_argument("--poll", type=float, default=0.5, help="seconds between idle looks")
    worker.add_argument(
        "--until-idle", action="store_true", help="stop when no thread has events waiting"
    )
    worker.add_argument("--name", default=f"worker-{os.getpid()}", help="name in the log")
    context_args(worker)


def run(args: argparse.Namespace) -> int:
    from service.events import InboxError  # noqa: PLC0415
    from service.worker import Worker  # noqa: PLC0415

    db = database(args)
    if not db or not db.startswith(("postgresql://", "postgres://")):
        raise SettingsError("a worker needs the PostgreSQL inbox: --db postgresql://...")
    memory = args.memory or os.environ.get("PROACTIVE_MEMORY_SERVER", "")
    if not memory.startswith(("http://", "https://")):
        raise SettingsError(
            "a worker needs the shared memory: --memory http://host:port (a Chroma server; "
            "`chroma run --path DIR --port PORT` starts one)"
        )
    directory = data_dir(args)
    context = make_context(args, directory)
    context.memory_server = memory
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        with storage_errors(directory):
            worker = Worker(db, context, data_dir=directory, name=args.name)
            print(f"{args.name}: working on {_redacted(db)}, memory {memory}", flush=True)
            stats = worker.run(
                poll=args.poll, until_idle=args.until_idle, stop=lambda: bool(stopping)
            )
    except InboxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(
        f"{args.name}: {stats.events} events in {len(stats.threads)} threads "
        f"({stats.resumed} resumed, {stats.busy} busy looks, {stats.waiting} waiting for answers)",
        flush=True,
    )
    return 0


def _redacted(url: str) -> str:
    import re  # noqa: PLC0415

    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
