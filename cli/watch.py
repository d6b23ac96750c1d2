"""`proactive watch --aw URL`: feed live ActivityWatch activity into the agent graph."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from cli.common import answerer, context_args, data_dir, database, make_context, storage_errors

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
        "--notify",
        action="store_true",
        help="with --feedback inbox, show a desktop notification (notify-send) when a "
        "proposal waits",
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
    watch.add_argument(
        "--to",
        metavar="URL",
        help="send the events to a worker host's endpoint (`proactive worker --listen`) instead "
        "of running the agent here; with --token",
    )
    watch.add_argument("--token", help="your token for --to (also PROACTIVE_TOKEN)")
    context_args(watch)


def run(args: argparse.Namespace) -> int:
    from graphs.persistence import (  # noqa: PLC0415
        ThreadBusyError,
        build_durable_graph,
        thread_lease,
    )
    from memory import open_memory  # noqa: PLC0415
    from sources.activitywatch import (  # noqa: PLC0415
        ActivityWatchClient,
        ActivityWatchError,
        ActivityWatchSource,
    )

    if not args.deadline > 0 or not args.interval > 0:
        print("error: --deadline and --interval must be more than 0 seconds", file=sys.stderr)
        return 2
    if args.to:
        return _send(args)
    directory = data_dir(args)
    context = make_context(args, directory)  # bad settings stop here, before any polling
    try:
        client = ActivityWatchClient(args.aw, deadline=args.deadline)
        info = client.info()
    except ActivityWatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    answer = answerer(args)
    source = ActivityWatchSource(client, since=time.time() - 60 * args.since)
    thread = args.thread or "watch"
    try:
        # One watcher per thread for its whole life; each step also takes the thread's writer
        # lease, which `proactive ui` takes too when it resumes the thread with an answer.
        db = database(args)
        with storage_errors(directory), thread_lease(directory, f"watcher:{thread}", db=db):
            graph = build_durable_graph(directory, db=db)  # the inbox reads and resumes them
            open_memory(directory)  # what a killed run left in the journal is written now
            print(f"memory and workspace: {Path(directory).resolve()}")
            print(f"watching ActivityWatch {info.get('version', '?')} at {client.url}")
            sys.stdout.flush()
            return _watch(args, source, graph, thread, context, answer, directory, db)
    except ThreadBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _watch(
    args: argparse.Namespace,
    source: Any,
    graph: Any,
    thread: str,
    context: Any,
    answer: Any,
    directory: str,
    db: str | None = None,
) -> int:
    """Poll and feed the graph until interrupted (or once). While a proposal waits for an
    answer in the inbox, new events wait in order behind it."""
    from cli.runner import USER_KEY, AwaitingAnswer, RunSummary, step, thread_progress  # noqa: PLC0415
    from graphs.persistence import ThreadBusyError, thread_lease  # noqa: PLC0415
    from nodes.observe import BadEventError, parse_event  # noqa: PLC0415
    from sources.activitywatch import ActivityWatchError  # noqa: PLC0415

    summary = RunSummary()
    queue: list[dict[str, Any]] = []
    waiting = thread_progress(graph, thread).pending
    # A restarted watch reads the look-back window again: what the thread already took is
    # not fed twice.
    values = graph.get_state({"configurable": {"thread_id": thread}}).values or {}
    taken = [e.time for e in values.get("events", []) if e.source != "agent"]
    last_time = max(taken) if taken else float("-inf")

    def feed() -> bool:
        """Feed the queued events; False when the thread waits for an answer."""
        nonlocal waiting
        if waiting:
            if thread_progress(graph, thread).pending:
                return False
            waiting = False
            print(f"thread {thread}: answered in the inbox; going on", flush=True)
        while queue:
            try:
                with thread_lease(directory, thread, db=db, graph=graph):
                    report = step(
                        graph,
                        queue[0],
                        thread=thread,
                        context=context,
                        answer=answer,
                        metadata={USER_KEY: context.user_id},
                    )
            except ThreadBusyError:
                return True  # the inbox is resuming it right now: next poll
            except AwaitingAnswer as exc:
                queue.pop(0)
                [request] = exc.payload
                task = request["action_request"]["args"]["task"]
                print(f"thread {thread}: waiting for your answer to: {task}", flush=True)
                notify(args, task)
                waiting = True
                return False
            queue.pop(0)
            summary.add(report)
            print("\n".join(report.lines), flush=True)
        return True

    failures = 0  # polls failed in a row: the wait before the next one doubles with each
    try:
        while True:
            try:
                events = source.poll()
                failures = 0
            except ActivityWatchError as exc:
                failures += 1
                if not wait_after(args, failures, f"{exc}; polling again"):
                    return 2
                continue
            for warning in source.warnings:
                print(f"warning: ActivityWatch {warning}", file=sys.stderr)
            for event in events:
                try:
                    parse_event(event)  # what the graph would refuse is skipped, not fatal
                except BadEventError as exc:
                    print(f"warning: skipped an ActivityWatch event: {exc}", file=sys.stderr)
                    continue
                if float(event["time"]) <= last_time:
                    continue  # taken by an earlier watch of this thread
                queue.append(event)
            feed()
            if args.once:
                break
            time.sleep(max(0.1, args.interval))
    except KeyboardInterrupt:
        pass
    if queue:
        print(
            f"thread {thread}: {len(queue)} events still wait behind an unanswered proposal "
            "(they are read again from ActivityWatch by the next watch, with --since)",
            file=sys.stderr,
        )
    summary.waiting = waiting
    print(summary.text())
    return 0


def _send(args: argparse.Namespace) -> int:
    """`watch --to URL`: poll ActivityWatch and send the events to a worker host, in order.
    A restarted sender asks the host what it already holds and sends only what is newer; a
    host that cannot take them for a while (unreachable, 503) gets them again later."""
    import os  # noqa: PLC0415

    from nodes.observe import BadEventError, parse_event  # noqa: PLC0415
    from service.client import EventSender, SendError  # noqa: PLC0415
    from sources.activitywatch import (  # noqa: PLC0415
        ActivityWatchClient,
        ActivityWatchError,
        ActivityWatchSource,
    )

    thread = args.thread or "watch"
    try:
        sender = EventSender(args.to, args.token or os.environ.get("PROACTIVE_TOKEN", ""))
        client = ActivityWatchClient(args.aw, deadline=args.deadline)
        info = client.info()
        last = sender.last_time(thread)
    except (ValueError, ActivityWatchError, SendError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    last_time = float("-inf") if last is None else last
    source = ActivityWatchSource(client, since=time.time() - 60 * args.since)
    print(f"sending ActivityWatch {info.get('version', '?')} at {client.url} to {sender.url}")
    queue: list[dict[str, Any]] = []
    sent = 0
    failures = 0
    try:
        while True:
            try:
                for event in source.poll():
                    try:
                        parse_event(event)
                    except BadEventError as exc:
                        print(f"warning: skipped an ActivityWatch event: {exc}", file=sys.stderr)
                        continue
                    if float(event["time"]) > last_time:
                        queue.append(event)
                for warning in source.warnings:
                    print(f"warning: ActivityWatch {warning}", file=sys.stderr)
                while queue:
                    taken = sender.send(thread, queue)
                    last_time = max(float(e["time"]) for e in queue[:taken])
                    del queue[:taken]
                    sent += taken
                    print(f"thread {thread}: sent {taken} events", flush=True)
                failures = 0
            except SendError as exc:
                if exc.lasting:
                    print(f"error: {exc}", file=sys.stderr)
                    return 2
                failures += 1
                if not wait_after(args, failures, f"{exc}; sending again"):
                    return 2
                try:  # a request may have landed before its answer was lost: not twice
                    held = sender.last_time(thread)
                except SendError:
                    continue
                if held is not None:
                    queue = [e for e in queue if float(e["time"]) > held]
                continue
            except ActivityWatchError as exc:
                failures += 1
                if not wait_after(args, failures, f"{exc}; polling again"):
                    return 2
                continue
            if args.once:
                break
            time.sleep(max(0.1, args.interval))
    except KeyboardInterrupt:
        pass
    print(f"sent {sent} events to thread {thread!r} at {sender.url}")
    return 0


def wait_after(args: argparse.Namespace, failures: int, what: str) -> bool:
    """Say a failure ("<error>; polling again") and wait before the next try: doubling with
    each failure in a row, at most five minutes. False with --once: give up instead."""
    wait = min(MAX_BACKOFF_SECONDS, args.interval * 2 ** (failures - 1))
    print(f"error: {what} in {wait:g} s", file=sys.stderr, flush=True)
    if args.once:
        return False
    time.sleep(max(0.1, wait))
    return True


def notify(args: argparse.Namespace, task: str) -> None:
    """A desktop notification of a waiting proposal (`--notify`), where `notify-send` exists;
    silently nothing where it does not."""
    import shutil  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    if not getattr(args, "notify", False):
        return
    command = shutil.which("notify-send")
    if command is None:
        return
    try:
        subprocess.run(
            [command, "--app-name=proactive", "A proposal waits for you", task[:200]],
            timeout=5,
            check=False,
            capture_output=True,
        )
    except (OSError, subprocess.SubprocessError):
        pass  # no desktop session (or a broken notifier): the inbox still shows it
