"""What the `proactive` commands share: the agent's settings as options, the data directory,
and answering a proposal at the terminal. Every command module imports from here (and from
nowhere else in `cli/`), so the commands do not depend on one another."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

DEFAULT_DATA_DIR = ".proactive"
"""Where memory, checkpoints, profiles and the workspace live when no directory is given."""


def data_dir(args: argparse.Namespace) -> str:
    """The data directory: --data-dir, else $PROACTIVE_MEMORY_DIR, else `.proactive`."""
    return (
        getattr(args, "data_dir", None)
        or os.environ.get("PROACTIVE_MEMORY_DIR")
        or DEFAULT_DATA_DIR
    )


def context_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", help="agent backend: local (default), provider:model, ...")
    parser.add_argument("--judge", help="judge backend for simulated feedback")
    parser.add_argument("--executor", help="executor backend")
    parser.add_argument("--threshold", type=float, help="need threshold, 0..1")
    parser.add_argument("--max-refinements", type=int, help="refinements before giving up")
    parser.add_argument(
        "--feedback",
        choices=("simulated", "human"),
        help="who answers proposals (default simulated)",
    )
    parser.add_argument("--data-dir", help="directory of the on-disk memory and workspace")
    parser.add_argument("--workspace", help="directory the executor's file tools are confined to")
    parser.add_argument("--thread", help="thread id (memory and state namespace)")
    parser.add_argument("--user", help="user id (memory namespace)")
    parser.add_argument(
        "--local-only",
        action="store_true",
        default=None,
        help="refuse any non-local model backend (also PROACTIVE_LOCAL_ONLY=1)",
    )


def make_context(args: argparse.Namespace, data_dir: str) -> Any:
    from graphs.context import Context  # noqa: PLC0415

    given = {
        "agent_backend": args.agent,
        "judge_backend": args.judge,
        "executor_backend": args.executor,
        "need_threshold": args.threshold,
        "max_refinements": args.max_refinements,
        "feedback_mode": args.feedback,
        "workspace": args.workspace,
        "user_id": args.user,
        "local_only": getattr(args, "local_only", None),
    }
    return Context(memory_dir=data_dir, **{k: v for k, v in given.items() if v is not None})


def ask_on_terminal(payload: dict[str, Any]) -> Any:
    """Answer a review interrupt at the terminal."""
    print(f"      proposal: {payload['task']}", file=sys.stderr)
    if payload.get("error"):
        print(f"      ({payload['error']})", file=sys.stderr)
    with open("/dev/tty") as tty:
        sys.stderr.write("      answer [a]ccept / [r]eject / [e]dit / [i]gnore: ")
        sys.stderr.flush()
        choice = tty.readline().strip().lower()[:1]
        if choice == "r":
            sys.stderr.write("      reason (optional): ")
            sys.stderr.flush()
            return {"answer": "reject", "reason": tty.readline().strip()}
        if choice == "e":
            sys.stderr.write("      changed task: ")
            sys.stderr.flush()
            return {"answer": "edit", "task": tty.readline().strip()}
        return {"a": "accept", "i": "ignore"}.get(choice, choice)
