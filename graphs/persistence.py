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
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


_LEASE_CONNECTIONS: dict[str, tuple[Any, Any]] = {}
"""One PostgreSQL session per database (and the lock guarding it) for this process's advisory
locks, where the lease is not taken on a graph's own session."""


def _lease_connection(db: str) -> tuple[Any, Any]:
    import psycopg
    from psycopg.rows import dict_row

    held = _LEASE_CONNECTIONS.get(db)
    if held is None or held[0].closed:
        conn = psycopg.connect(
            db,
            autocommit=True,
            row_factory=dict_row,
            connect_timeout=10,
            application_name=f"proactive {os.getpid()}@{socket.gethostname()}",
        )
        held = _LEASE_CONNECTIONS[db] = (conn, threading.Lock())
    return held


_IN_PROCESS: dict[tuple[str, str], threading.Lock] = {}
"""One lock per (database or data directory, thread) held by a writer of this process: the
advisory lock is re-entrant within its session, and every request of a server shares the graph's
one session, so it alone would let two requests of one process write a thread at once."""

_IN_PROCESS_GUARD = threading.Lock()


@contextmanager
def _process_lease(where: str, thread: str) -> Iterator[None]:
    """The thread's lease among this process's own threads; :class:`ThreadBusyError` at once
    when another request of this process holds it."""
    with _IN_PROCESS_GUARD:
        lock = _IN_PROCESS.setdefault((where, thread), threading.Lock())
    if not lock.acquire(blocking=False):
        raise ThreadBusyError(
            f"thread {thread!r} is being written by another request of this process "
            f"(pid {os.getpid()}); wait for it to finish"
        )
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _postgres_lease(db: str, thread: str, graph: Any = None) -> Iterator[str]:
    """The thread's lease as a PostgreSQL advisory lock on this process's session: PostgreSQL
    releases it when the session ends, however the process died.

    Given the graph that will write, the lock is taken on the session its checkpointer writes
    through: a killed process's session aborts its open transaction before its locks go, so the
    next holder never meets a dead writer's transaction still running (with a second session,
    that one could end first and hand the thread over while the first still deletes old
    checkpoints: a deadlock for the next holder)."""
    saver = getattr(graph, "checkpointer", None)
    if type(saver).__name__ == "PostgresSaver" and getattr(saver, "conn", None) is not None:
        conn, guard = saver.conn, saver.lock
    else:
        conn, guard = _lease_connection(db)
    name = "proactive:" + thread
    with guard, conn.cursor() as cur:
        cur.execute(
            "SELECT pg_try_advisory_lock(hashtextextended(%s, 0)) AS ok, "
            "hashtextextended(%s, 0) AS key",
            (name, name),
        )
        row = cur.fetchone()
        if not row["ok"]:
            key = row["key"]
            cur.execute(
                "SELECT a.application_name AS who FROM pg_locks l JOIN pg_stat_activity a "
                "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                "AND l.objid::bigint = (%s & 4294967295) "
                "AND l.classid::bigint = ((%s >> 32) & 4294967295) LIMIT 1",
                (key, key),
            )
            found = cur.fetchone()
            who = (found or {}).get("who") or "another process"
            raise ThreadBusyError(
                f"thread {thread!r} in the database is being written by {who}; wait for it "
                "to finish, or use another thread"
            )
    try:
        yield name
    finally:
        if not conn.closed:
            with guard, conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (name,))


@contextmanager
def thread_lease(
    data_dir: str | Path, thread: str, *, db: str | None = None, graph: Any = None
) -> Iterator[Any]:
    """Hold the one-writer lease of a thread for the duration of the block.

    With a PostgreSQL database the lease is an advisory lock there, so writers on different
    machines exclude each other. Otherwise it is an exclusive `flock` on the thread's lock file
    in the data directory. Either way it is released when the holder exits or is killed, so a
    dead process's lease is simply taken over (the cut-short event is then finished from its
    checkpoint). A second writer gets :class:`ThreadBusyError` at once, naming the holder, and
    writes nothing: in another process, or in this one (a second request of the same server,
    which the advisory lock alone would let in: it is re-entrant within the session).
    """
    if is_postgres(db):
        with _process_lease(str(db), thread), _postgres_lease(str(db), thread, graph) as held:
            yield held
        return
    path = lease_path(data_dir, thread)
    with (
        _process_lease(str(path.expanduser().absolute()), thread),
        _flock_lease(path, data_dir, thread) as held,
    ):
        yield held


@contextmanager
def _flock_lease(path: Path, data_dir: str | Path, thread: str) -> Iterator[Path]:
    """The thread's lease as an exclusive `flock` on its lock file (released when the
    descriptor closes, however the process ended)."""
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


POSTGRES_SCHEMES = ("postgresql://", "postgres://")
"""Database URLs that name a PostgreSQL server."""


class DatabaseError(RuntimeError):
    """A checkpoint database that cannot be used; the message says which and what to do."""


def is_postgres(db: str | None) -> bool:
    """Whether a database URL names a PostgreSQL server."""
    return bool(db) and str(db).startswith(POSTGRES_SCHEMES)


def sqlite_path(db: str) -> Path:
    """The file of a SQLite database URL, as SQLAlchemy reads them: `sqlite:///relative.db`,
    `sqlite:////absolute.db`; a bare path is taken as it is."""
    for prefix in ("sqlite:///", "sqlite:"):
        if db.startswith(prefix):
            return Path(db[len(prefix) :])
    return Path(db)


SETUP_WAIT_SECONDS = 300
"""How long a process waits for another one that sets up the checkpoint tables."""


def postgres_checkpointer(dsn: str) -> Any:
    """A PostgreSQL checkpointer (`langgraph-checkpoint-postgres`) with the project's serde, its
    tables created when missing. A database set up by a newer version is refused (its schema
    may not be read correctly)."""
    try:
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
    except ImportError:
        raise DatabaseError(
            "a postgresql:// database needs the 'postgres' extra: "
            "pip install 'proactive-agent[postgres]'"
        ) from None
    conn = psycopg.connect(
        dsn,
        autocommit=True,
        prepare_threshold=0,
        row_factory=dict_row,
        connect_timeout=10,
        application_name=f"proactive {os.getpid()}@{socket.gethostname()}",
    )
    saver = PostgresSaver(conn, serde=checkpoint_serde())
    # Workers starting together must not create the tables at once (PostgreSQL's CREATE TABLE
    # IF NOT EXISTS is not safe against itself). The lock is tried, not waited for: the
    # migrations build indexes CONCURRENTLY, which wait for every open transaction, a waiting
    # pg_advisory_lock included, and PostgreSQL would break that circle by killing a worker.
    deadline = time.monotonic() + SETUP_WAIT_SECONDS
    while True:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(hashtextextended('proactive:setup', 0)) AS ok")
            if cur.fetchone()["ok"]:
                break
        if time.monotonic() > deadline:
            conn.close()
            raise DatabaseError(
                f"another process has been setting up the checkpoint tables for over "
                f"{SETUP_WAIT_SECONDS} s; is one stuck? (see pg_stat_activity)"
            )
        time.sleep(0.05)
    try:
        _check_and_set_up(conn, saver)
    finally:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(hashtextextended('proactive:setup', 0))")
    return saver


def _check_and_set_up(conn: Any, saver: Any) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('checkpoint_migrations') IS NOT NULL AS present")
        row = cur.fetchone()
        if row and row["present"]:
            cur.execute("SELECT coalesce(max(v), -1) AS v FROM checkpoint_migrations")
            version = cur.fetchone()["v"]
            if version >= len(saver.MIGRATIONS):
                raise DatabaseError(
                    f"the checkpoint tables were set up by a newer version (schema {version}, "
                    f"this one knows up to {len(saver.MIGRATIONS) - 1}); upgrade proactive-agent"
                )
    saver.setup()


def open_checkpointer(db: str) -> Any:
    """The checkpointer a database URL names: `sqlite:///path` (a file) or `postgresql://...`."""
    if is_postgres(db):
        return postgres_checkpointer(db)
    return sqlite_checkpointer(sqlite_path(db))


def build_durable_graph(
    data_dir: str | Path, *, db: str | None = None, name: str = "proactive_agent"
) -> CompiledStateGraph:
    """The agent graph with its checkpoints in `db` (default: the SQLite file
    `<data_dir>/checkpoints.sqlite`)."""
    saver = (
        open_checkpointer(db)
        if db
        else sqlite_checkpointer(Path(data_dir).expanduser() / CHECKPOINT_FILE)
    )
    return build_graph(saver, name=name)


def thread_ids(graph: CompiledStateGraph) -> list[str]:
    """Every thread with a checkpoint in the graph's database (SQLite or PostgreSQL)."""
    saver = graph.checkpointer
    query = "SELECT DISTINCT thread_id FROM checkpoints WHERE checkpoint_ns = ''"
    if isinstance(saver, SqliteSaver):
        with saver.cursor(transaction=False) as cur:
            rows = [row[0] for row in cur.execute(query).fetchall()]
    else:
        with saver.lock, saver.conn.cursor() as cur:  # type: ignore[union-attr]
            cur.execute(query)
            rows = [row["thread_id"] for row in cur.fetchall()]
    return sorted(str(row) for row in rows)


def prune_history(graph: CompiledStateGraph, thread: str) -> int:
    """Delete a thread's checkpoints but its latest; return how many were deleted.

    Every checkpoint holds the whole state, so keeping them all grows the file with the square
    of the thread's length (about 250 MB after 300 events). Resuming needs only the latest one
    and its pending writes; older ones serve time travel (`get_state_history`), which this gives
    up. The deletes are one transaction, so a kill during them deletes nothing. A graph with
    delta channels (rebuilt from their ancestors' writes) or another saver is left as it is.
    """
    saver = graph.checkpointer
    if type(saver).__name__ == "PostgresSaver":
        saver.prune([thread], strategy="keep_latest")  # type: ignore[union-attr]
        return 0
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
