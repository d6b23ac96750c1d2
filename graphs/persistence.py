"""Durable runs: the agent graph over a SQLite checkpointer that outlives the process.

Every super-step of a run is committed to `<data_dir>/checkpoints.sqlite` (one SQLite
transaction holding the checkpoint and its metadata) before the next step starts, so a process
killed at any point leaves the thread at its last finished step. Reopening the same file and
thread continues from there: a checkpoint with pending nodes (`get_state(config).next`) is an
event whose handling was cut short; `graph.invoke(None, config)` finishes it.

The CLI also writes how many input events a thread has taken into each checkpoint's metadata
(see `cli.runner`), so a restarted `proactive run` knows which inputs to skip.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph.state import CompiledStateGraph

from graphs.agent import build_graph
from graphs.serde import checkpoint_serde

CHECKPOINT_FILE = "checkpoints.sqlite"
"""Name of the checkpoint database inside a data directory."""

USER_KEY = "proactive_user"
"""Checkpoint metadata: the user a thread runs for (the inbox lists a user's threads)."""

LEASE_DIR = "leases"
"""Folder of the thread leases inside a data directory."""


class ThreadBusyError(RuntimeError):
    """Another process holds the thread's lease; the message names it and what to do."""


def lease_path(data_dir: str | Path, thread: str) -> Path:
    """The lock file of one thread: a readable slug of its id and a hash of it."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", thread).strip("-")[:40] or "thread"
    digest = hashlib.blake2b(thread.encode("utf-8"), digest_size=6).hexdigest()
    return Path(data_dir).expanduser() / LEASE_DIR / f"{slug}-{digest}.lock"


@contextmanager
def thread_lease(data_dir: str | Path, thread: str) -> Iterator[Path]:
    """Hold the one-writer lease of a thread for the duration of the block.

    The lease is an exclusive `flock` on the thread's lock file: the operating system releases
    it when the holder exits or is killed, so a dead process's lease is simply taken over (the
    cut-short event is then finished from its checkpoint). A second writer gets
    :class:`ThreadBusyError` at once, naming the holder, and writes nothing.
    """
    path = lease_path(data_dir, thread)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            raise ThreadBusyError(
                f"thread {thread!r} in {Path(data_dir).expanduser()} is being written by "
                f"{holder}; wait for it to finish, or use another thread"
            ) from None
        os.ftruncate(fd, 0)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        os.pwrite(fd, json.dumps(info).encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _holder(fd: int) -> str:
    """Who holds a lease, in words, from what its holder wrote into the file."""
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(info["since"])))
        return f"process {int(info['pid'])} on {info['host']} (since {since})"
    except (ValueError, KeyError, TypeError, OSError):
        return "another process"


def sqlite_checkpointer(path: str | Path) -> SqliteSaver:
    """A SQLite checkpointer over `path` (created if missing), in WAL mode.

    WAL lets a reader (a test, `get_state` from another process) look at the file while a run
    writes it. `synchronous=NORMAL` is the usual WAL setting: a commit survives the process
    being killed; only an OS crash or power loss may drop the latest commits, and never leaves
    the file inconsistent.
    """
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    # check_same_thread=False: LangGraph may write from worker threads; SqliteSaver serialises
    # every use of the connection with its own lock.
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    saver = SqliteSaver(conn, serde=checkpoint_serde())
    saver.setup()
    return saver


def build_durable_graph(
    data_dir: str | Path, *, name: str = "proactive_agent"
) -> CompiledStateGraph:
    """The agent graph with its checkpoints stored at `<data_dir>/checkpoints.sqlite`."""
    return build_graph(
        sqlite_checkpointer(Path(data_dir).expanduser() / CHECKPOINT_FILE), name=name
    )


def prune_history(graph: CompiledStateGraph, thread: str) -> int:
    """Delete a thread's checkpoints but its latest; return how many were deleted.

    Every checkpoint holds the whole state, so keeping them all grows the file with the square
    of the thread's length (about 250 MB after 300 events). Resuming needs only the latest one
    and its pending writes; older ones serve time travel (`get_state_history`), which this gives
    up. The deletes are one transaction, so a kill during them deletes nothing. A graph with
    delta channels (rebuilt from their ancestors' writes) or another saver is left as it is.
    """
    saver = graph.checkpointer
    if not isinstance(saver, SqliteSaver):
        return 0
    if any("Delta" in type(channel).__name__ for channel in graph.channels.values()):
        return 0
    with saver.cursor() as cur:
        # The latest checkpoint as SqliteSaver finds it: the greatest id of the thread.
        row = cur.execute(
            "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '' "
            "ORDER BY checkpoint_id DESC LIMIT 1",
            (thread,),
        ).fetchone()
        if row is None:
            return 0
        keep = (thread, row[0])
        cur.execute(
            "DELETE FROM writes WHERE thread_id = ? AND checkpoint_ns = '' AND checkpoint_id != ?",
            keep,
        )
        cur.execute(
            "DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '' "
            "AND checkpoint_id != ?",
            keep,
        )
        return cur.rowcount
