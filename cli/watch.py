"""`proactive watch --aw URL`: feed live ActivityWatch activity into the agent graph."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from cli.common import ask_on_terminal, context_args, data_dir, make_context, storage_errors

MAX_BACKOFF_SECONDS = 300.0
"""Longest wait between polls after failures in a row."""


def add_parser(sub: Any) -> None:
    """Register `watch` on the top-level subparsers."""
    watch = sub.add_parser(
        "watch", help="run the agent on live activity from an ActivityWatch server"
    )
    watch.add_argument(
        "--aw",
        default="http://127.0.0.1:5600",
        metavar="URL",
        help="ActivityWatch server (default http://127.0.0.1:5600)",
    )
    watch.add_argument(
        "--interval", type=float, default=10.0, help="seconds between polls (default 10)"
    )
    watch.add_argument(
        "--once", action="store_true", help="process what the server has now, then exit"
    )
    watch.add_argument(
        "--deadline",
        type=float,
        default=30.0,
        help="seconds one request to ActivityWatch may take in all (default 30)",
    )
    watch.add_argument(
        "--since",
        type=float,
        default=60.0,
        metavar="MINUTES",
        help="at start, read activity from this many minutes back (default 60)",
    )
    context_args(watch)


def run(args: argparse.Namespace) -> int:
    from graphs.agent import build_graph  # noqa: PLC0415
    from graphs.persistence import ThreadBusyError, thread_lease  # noqa: PLC0415
    from memory import open_memory  # noqa: PLC0415
    from sources.activitywatch import (  # noqa: PLC0415
        ActivityWatchClient,
        ActivityWatchError,
        ActivityWatchSource,
    )

    directory = data_dir(args)
    context = make_context(args, directory)  # bad settings stop here, before any polling
    if not args.deadline > 0 or not args.interval > 0:
        print("error: --deadline and --interval must be more than 0 seconds", file=sys.stderr)
        return 2
    try:
        client = ActivityWatchClient(args.aw, deadline=args.deadline)
        info = client.info()
    except ActivityWatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    answer = ask_on_terminal if context.feedback_mode == "human" else None
    source = ActivityWatchSource(client, since=time.time() - 60 * args.since)
    graph = build_graph()
    thread = args.thread or "watch"
    try:
        with storage_errors(directory), thread_lease(directory, thread):
            open_memory(directory)  # what a killed run left in the journal is written now
            print(f"memory and workspace: {Path(directory).resolve()}")
            print(f"watching ActivityWatch {info.get('version', '?')} at {client.url}")
            sys.stdout.flush()
            return _watch(args, source, graph, thread, context, answer)
    except ThreadBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _watch(
    args: argparse.Namespace, source: Any, graph: Any, thread: str, context: Any, answer: Any
) -> int:
    """Poll and feed the graph until interrupted (or once)."""
    from cli.runner import RunSummary, step  # noqa: PLC0415
    from nodes.observe import BadEventError, parse_event  # noqa: PLC0415
    from sources.activitywatch import ActivityWatchError  # noqa: PLC0415

    summary = RunSummary()
    failures = 0  # polls failed in a row: the wait before the next one doubles with each
    try:
        while True:
            try:
                events = source.poll()
                failures = 0
            except ActivityWatchError as exc:
                failures += 1
                wait = min(MAX_BACKOFF_SECONDS, args.interval * 2 ** (failures - 1))
                print(f"error: {exc}; polling again in {wait:g} s", file=sys.stderr, flush=True)
                if args.once:
                    return 2
                time.sleep(max(0.1, wait))
                continue
            for warning in source.warnings:
                print(f"warning: ActivityWatch {warning}", file=sys.stderr)
            for event in events:
                try:
                    parse_event(event)  # what the graph would refuse is skipped, not fatal
                except BadEventError as exc:
                    print(f"warning: skipped an ActivityWatch event: {exc}", file=sys.stderr)
                    continue
                report = step(graph, event, thread=thread, context=context, answer=answer)
                summary.add(report)
                print("\n".join(report.lines), flush=True)
            if args.once:
                break
            time.sleep(max(0.1, args.interval))
    except KeyboardInterrupt:
        pass
    print(summary.text())
    return 0
