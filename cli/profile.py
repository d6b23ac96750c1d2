"""`proactive profile show|forget --user U`: what the assistant has learned about a person.

On one machine the data directory holds it all. On the shared deployment (docs/deploy.md) the
answers live on the memory server (`--memory http://host:port`: profiles are rebuilt from it, as
workers do) and the users are those of the inbox (`list --db postgresql://...`)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from cli.common import data_dir, storage_errors, use_models_of


def add_parser(sub: Any) -> None:
    """Register `profile` and its commands on the top-level subparsers."""
    profile = sub.add_parser(
        "profile", help="show or forget what the assistant learned from a user's answers"
    )
    actions = profile.add_subparsers(dest="action", required=True)
    for name, text in (
        ("show", "the user's personal model: their answers and how readily they accept help"),
        ("forget", "delete the user's personal model and the answers it learned from"),
        ("list", "the users with a personal model in the data directory"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--data-dir", help="the data directory (default .proactive)")
        if name == "list":
            action.add_argument(
                "--db", help="the shared deployment's PostgreSQL: list the users of its inbox"
            )
        else:
            action.add_argument(
                "--memory",
                help="the shared deployment's memory server (http://host:port): the user's "
                "answers and memories there",
            )
        if name != "list":
            action.add_argument("--user", required=True, help="the user id")
        if name == "forget":
            action.add_argument(
                "--all",
                action="store_true",
                help="also forget everything else remembered about the user (events, executions)",
            )
        action.add_argument("--json", action="store_true", help="print one JSON object")


def _known(directory: str, db: str = "") -> list[str]:
    """Users with a profile in the data directory, or (with `db`) with events in the inbox."""
    if db:
        return _inbox_users(db)
    from memory.profile import open_profiles  # noqa: PLC0415

    return open_profiles(directory).users()


def _inbox_users(db: str) -> list[str]:
    from service.events import EventInbox  # noqa: PLC0415

    inbox = EventInbox(db)
    try:
        inbox.setup()
        with inbox.conn.cursor() as cur:
            cur.execute("SELECT DISTINCT user_id FROM proactive_events ORDER BY user_id")
            return [row["user_id"] for row in cur.fetchall()]
    finally:
        inbox.close()


def run(args: argparse.Namespace) -> int:
    """Run one profile command; 2 with a message for an unknown user or data directory."""
    from pathlib import Path  # noqa: PLC0415

    directory = data_dir(args)
    shared = getattr(args, "memory", None) or ""
    db = getattr(args, "db", None) or ""
    if shared and not shared.startswith(("http://", "https://", "postgresql://", "postgres://")):
        print(f"error: --memory must be a memory server URL, got {shared!r}", file=sys.stderr)
        return 2
    if not Path(directory).is_dir() and not (shared or db):
        print(f"error: no data directory {directory}", file=sys.stderr)
        return 2
    if args.action == "list":
        with storage_errors(directory):
            users = _known(directory, db)
        print(json.dumps({"users": users}) if args.json else "\n".join(users) or "(no profiles)")
        return 0
    from memory.profile import ProfileError  # noqa: PLC0415

    try:
        with storage_errors(directory):
            if args.action == "show":
                report = show(directory, args.user, shared=shared)
            else:
                report = forget(directory, args.user, everything=args.all, shared=shared)
    except ProfileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    assert report is not None
    print(json.dumps(report, sort_keys=True) if args.json else _text(args.action, report))
    return 0


def _stores(directory: str, shared: str = "") -> tuple[Any, Any, Any]:
    """The profiles, the memory and the personal prior: the data directory's, or (with
    `shared`) those rebuilt from the memory server."""
    from pathlib import Path  # noqa: PLC0415

    from backends.local import load_models  # noqa: PLC0415
    from memory import open_memory  # noqa: PLC0415
    from memory.profile import open_profiles  # noqa: PLC0415

    if Path(directory).is_dir():
        use_models_of(directory)  # the personal prior the data directory's training fitted
    if shared:
        return open_profiles(None, shared=shared), open_memory(shared), load_models().personal
    return open_profiles(directory), open_memory(directory), load_models().personal


def _unknown(directory: str, user: str, shared: str = "") -> Exception:
    from memory.profile import ProfileError  # noqa: PLC0415

    if shared:
        return ProfileError(f"no remembered answers or memories for user {user!r} on {shared}")
    known = _known(directory)
    listed = ", ".join(repr(u) for u in known[:10]) or "none"
    return ProfileError(
        f"no profile or remembered answers for user {user!r} in {directory} "
        f"(users with a profile: {listed})"
    )


def show(directory: str, user: str, *, shared: str = "") -> dict[str, Any]:
    """The user's profile as a report (raises ProfileError for an unknown user)."""
    from memory.profile import ProfileError, remembered  # noqa: PLC0415

    profiles, memory, prior = _stores(directory, shared)
    if not isinstance(user, str) or not user.strip():
        raise ProfileError("the user id must be a non-empty string")
    path = profiles.path(user)
    stored = path is not None and path.exists()
    if not stored and not memory.recent_feedback(user=user, limit=1):
        raise _unknown(directory, user, shared)
    profile, notice = profiles.load(user, prior, remembered(memory))
    counts = profile.counts()
    answered = len(profile.answers)
    accepted = counts["accept"] + counts["edit"]
    return {
        "user": user,
        "file": str(path) if path is not None else shared,
        "answers": answered,
        "counts": counts,
        "accept_rate": accepted / answered if answered else None,
        "bias": round(profile.bias, 4),
        "odds_vs_new_user": round(math.exp(profile.bias), 3),
        "prior": {"bias_sd": prior.bias_sd, "fitted_on_people": prior.people},
        "latest": [
            {"answer": a.answer, "kind": a.kind, "task": a.task, "time": a.time}
            for a in reversed(profile.answers[-5:])
        ],
        "notice": notice,
    }


def forget(
    directory: str, user: str, *, everything: bool = False, shared: str = ""
) -> dict[str, Any]:
    """Delete the user's profile and remembered answers (with `everything`, all their memory);
    raises ProfileError for an unknown user. On a memory server the profile is rebuilt from the
    answers, so deleting those is what forgets it (workers rebuild from the server each time)."""
    profiles, memory, _ = _stores(directory, shared)
    path = profiles.path(user)
    had_profile = path is not None and path.exists()
    if not had_profile and not memory.count(user=user):
        raise _unknown(directory, user, shared)
    profiles.forget(user)
    if everything:
        records = memory.count(user=user)
        memory.forget_user(user=user)
        return {"user": user, "profile_deleted": had_profile, "memories_deleted": records}
    answers = memory.forget_feedback(user=user)
    return {"user": user, "profile_deleted": had_profile, "answers_deleted": answers}


def _text(action: str, report: dict[str, Any]) -> str:
    if action == "forget":
        gone = report.get("answers_deleted", report.get("memories_deleted"))
        what = "remembered answers" if "answers_deleted" in report else "memories"
        return (
            f"forgot user {report['user']!r}: profile "
            f"{'deleted' if report['profile_deleted'] else '(none)'}, {gone} {what} deleted"
        )
    lines = [f"user {report['user']!r} ({report['file']})"]
    if report["notice"]:
        lines.append(f"note: {report['notice']}")
    counts = ", ".join(f"{n} {k}" for k, n in report["counts"].items())
    lines.append(f"answers: {report['answers']} ({counts})")
    if report["answers"]:
        lines.append(
            f"accepts {report['accept_rate']:.0%} of proposals; bias {report['bias']:+.2f} "
            f"(odds {report['odds_vs_new_user']:.2f}x those of a new user)"
        )
    else:
        lines.append("no answers learned yet: treated as a new user (the global model)")
    for item in report["latest"]:
        lines.append(f"  {item['answer']:<6} {item['kind']:<14} {item['task'][:70]}")
    return "\n".join(lines)
