"""What the `proactive` commands share: the agent's settings as options, the data directory,
and answering a proposal at the terminal. Every command module imports from here (and from
nowhere else in `cli/`), so the commands do not depend on one another."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = ".proactive"
"""Where memory, checkpoints, profiles and the workspace live when no directory is given."""


def database(args: argparse.Namespace) -> str | None:
    """The checkpoint database URL: --db, else $PROACTIVE_DB, else None (the data directory's
    SQLite file)."""
    return getattr(args, "db", None) or os.environ.get("PROACTIVE_DB") or None


def postgres_database(args: argparse.Namespace, needs: str) -> str:
    """The database URL, which must be PostgreSQL's; SettingsError saying why (`needs`)."""
    db = database(args)
    if not db or not db.startswith(("postgresql://", "postgres://")):
        raise SettingsError(f"{needs}: --db postgresql://... (or PROACTIVE_DB)")
    return db


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
        choices=("simulated", "human", "inbox"),
        help="who answers proposals: the judge (simulated, default), you at this terminal "
        "(human), or you later in the browser (inbox: `proactive ui`; the run stops at a "
        "waiting proposal and the next run goes on after your answer)",
    )
    parser.add_argument("--data-dir", help="directory of the on-disk memory and workspace")
    parser.add_argument(
        "--db",
        help="checkpoint database: sqlite:///path (default <data dir>/checkpoints.sqlite) or "
        "postgresql://user@host:port/db (also PROACTIVE_DB)",
    )
    parser.add_argument("--workspace", help="directory the executor's file tools are confined to")
    parser.add_argument(
        "--project-root",
        help="folder the executor may read (your project, read-only; default the workspace; "
        "also PROACTIVE_PROJECT_ROOT)",
    )
    parser.add_argument("--thread", help="thread id (memory and state namespace)")
    parser.add_argument("--user", help="user id (memory namespace)")
    parser.add_argument(
        "--local-only",
        action="store_true",
        default=None,
        help="refuse any non-local model backend (also PROACTIVE_LOCAL_ONLY=1)",
    )


class SettingsError(ValueError):
    """Settings given on the command line that cannot be used; the message says which."""


def make_context(args: argparse.Namespace, data_dir: str) -> Any:
    """The run's settings from the command line; :class:`SettingsError` names a bad one
    (checked here, before the first event: an empty user id, a remote backend with
    --local-only, a threshold out of range)."""
    from graphs.context import Context  # noqa: PLC0415

    given = {
        "agent_backend": args.agent,
        "judge_backend": args.judge,
        "executor_backend": args.executor,
        "need_threshold": args.threshold,
        "max_refinements": args.max_refinements,
        "feedback_mode": "human" if args.feedback == "inbox" else args.feedback,
        "workspace": args.workspace,
        "project_root": getattr(args, "project_root", None),
        "user_id": args.user,
        "local_only": getattr(args, "local_only", None),
    }
    try:
        context = Context(memory_dir=data_dir, **{k: v for k, v in given.items() if v is not None})
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    use_models_of(data_dir)
    return context


def use_models_of(data_dir: str) -> None:
    """Run on the models `proactive train` put in the data directory, when it has sound ones;
    a notice on standard error when they are damaged (the shipped ones run then)."""
    from backends.local import use_data_dir  # noqa: PLC0415

    notice = use_data_dir(data_dir)
    if notice:
        print(notice, file=sys.stderr)


def answerer(args: argparse.Namespace) -> Any:
    """Who answers a review: the terminal with --feedback human; nobody (the inbox) otherwise."""
    return ask_on_terminal if getattr(args, "feedback", None) == "human" else None


def ask_on_terminal(payload: Any) -> Any:
    """Answer a review interrupt (an Agent Inbox `HumanInterrupt` list) at the terminal, with
    an Agent Inbox `HumanResponse`."""
    request = payload[0] if isinstance(payload, list) and payload else payload
    details = request.get("proactive", {})
    print(f"      proposal: {request['action_request']['args']['task']}", file=sys.stderr)
    if details.get("error"):
        print(f"      ({details['error']})", file=sys.stderr)
    with open("/dev/tty") as tty:
        sys.stderr.write("      answer [a]ccept / [r]eject / [e]dit / [i]gnore: ")
        sys.stderr.flush()
        choice = tty.readline().strip().lower()[:1]
        if choice == "r":
            sys.stderr.write("      reason (optional): ")
            sys.stderr.flush()
            return {"type": "response", "args": tty.readline().strip()}
        if choice == "e":
            sys.stderr.write("      changed task: ")
            sys.stderr.flush()
            task = tty.readline().strip()
            return {"type": "edit", "args": {"action": "proactive_task", "args": {"task": task}}}
        return {"type": {"a": "accept", "i": "ignore"}.get(choice, choice), "args": None}


class StorageError(RuntimeError):
    """A data directory that cannot be used (damaged, read-only, full); the message names the
    file and what to do. Nothing already stored is changed by the failed attempt."""


_DAMAGED = ("not a database", "malformed", "database disk image", "corrupt", "file is encrypted")
_READ_ONLY = ("readonly", "read-only", "unable to open database file", "permission denied")
_FULL = ("disk is full", "no space left")


def _failing_file(exc: BaseException, directory: Path) -> Path:
    """The file a storage exception came from, judged from where it was raised."""
    from graphs.persistence import CHECKPOINT_FILE  # noqa: PLC0415
    from memory.journal import JOURNAL_FILE  # noqa: PLC0415

    names = []
    tb = exc.__traceback__
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    filename = getattr(exc, "filename", None)
    if isinstance(filename, str) and filename:
        return Path(filename)
    for name in reversed(names):  # the innermost frame that is about one of our stores
        if "checkpoint" in name or name.endswith("persistence.py"):
            return directory / CHECKPOINT_FILE
        if name.endswith(("journal.py",)):
            return directory / JOURNAL_FILE
        if "chromadb" in name:
            return directory / "chroma.sqlite3"
    return directory


def storage_failure(exc: BaseException, directory: str | Path) -> str | None:
    """A one-line message for a failure of the data directory's storage, or None when `exc` is
    not one: a damaged file (restore or move it aside), a read-only or forbidden directory
    (permissions), a full disk (free space)."""
    import errno  # noqa: PLC0415
    import sqlite3  # noqa: PLC0415

    directory = Path(directory).expanduser().resolve()
    from graphs.persistence import DatabaseError  # noqa: PLC0415

    if isinstance(exc, DatabaseError):
        return str(exc)
    module = type(exc).__module__
    if module.startswith("psycopg"):
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        if "connect" in str(exc).lower() or "connection" in str(exc).lower():
            return (
                f"cannot reach the database ({reason}): is PostgreSQL running, and is --db right?"
            )
        return f"the database failed ({reason})"
    transport = any(c.__name__ == "TransportError" for c in type(exc).__mro__)
    unanswered = type(exc).__name__ == "MemoryServerUnavailable"
    if (module.startswith("httpx") and transport) or unanswered:
        # The Chroma server's client: the server went away or never answered.
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        return (
            f"the memory server is unavailable ({reason}): start it again and run the same "
            "command again; nothing acknowledged is lost"
        )
    chroma = module.startswith("chromadb")
    if not isinstance(exc, sqlite3.Error | OSError) and not chroma:
        return None
    text = str(exc).lower()
    code = getattr(exc, "errno", None)
    where = _failing_file(exc, directory)
    reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or any(t in text for t in _FULL):
        return (
            f"the disk holding {directory} is full ({reason}): free some space and run the "
            "same command again; what was processed before is kept"
        )
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or any(t in text for t in _READ_ONLY):
        return (
            f"cannot write to {where} ({reason}): the data directory is read-only or not "
            "yours; fix its permissions or mount, or give another --data-dir"
        )
    if any(t in text for t in _DAMAGED):
        return (
            f"{where} is damaged ({reason}): restore it from a backup, or move it aside to "
            "start that store afresh (the other files of the data directory are kept)"
        )
    return None


@contextmanager
def storage_errors(directory: str | Path) -> Iterator[None]:
    """Turn a failure of the data directory's storage into a :class:`StorageError` with its
    one-line message; anything else goes on as it is."""
    try:
        yield
    except StorageError:
        raise
    except Exception as exc:
        message = storage_failure(exc, directory)
        if message is None:
            raise
        raise StorageError(message) from exc


def redacted_url(url: str) -> str:
    """A database URL without its password, for messages."""
    import re  # noqa: PLC0415

    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
