"""The event inbox: every user's incoming events, in PostgreSQL, in order per thread.

`proactive_events(thread, seq, user_id, event, received)`: the stream of each thread, `seq` 0,
1, 2, ... without gaps (appends to one thread are serialised by a transaction-level advisory
lock). A thread belongs to the user of its first event; another user's event for it is refused.
An event stays in the table: the thread's checkpoint records how many it has taken
(`proactive_inputs`), which is what makes processing exactly once; `proactive_progress` is only
an index of the work left, updated after each commit (a stale row costs a look, nothing more).

Events are stored normalised (`nodes.observe.normalise_event`: unix seconds, `text`), so a row
always has the shape a worker feeds. An event a worker still cannot process (a row an older
version stored raw, or one the graph fails on) gets a row in `proactive_dead_letters` with the
reason: its thread is held there (in order, nothing after it is fed) and shown as held, every
other thread goes on, and `proactive worker --requeue THREAD` lets it be tried again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 3
"""The version of these tables this code writes; a database with a newer one is refused
(1: events and progress; 2: access tokens; 3: dead letters)."""

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""What PostgreSQL refuses in text: NUL, and lone surrogates (not UTF-8)."""


class InboxError(RuntimeError):
    """A request the inbox refuses; the message says why."""


class InboxUnavailable(RuntimeError):
    """The database does not answer; the message says why in one line."""


@dataclass(frozen=True)
class Work:
    """A thread with events not yet taken."""

    thread: str
    user: str
    waiting: int
    """Events appended beyond what the progress index says was taken."""


def connect(dsn: str) -> Any:
    """A session for the inbox (autocommit; transactions are explicit)."""
    import psycopg
    from psycopg.rows import dict_row

    return psycopg.connect(dsn, autocommit=True, row_factory=dict_row, connect_timeout=10)


class EventInbox:
    """The events table of one database."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.conn = connect(dsn)

    def setup(self) -> None:
        """Create the tables when missing; refuse a schema from a newer version."""
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtextextended('proactive:schema', 0))")
            cur.execute("CREATE TABLE IF NOT EXISTS proactive_schema (version INTEGER NOT NULL)")
            cur.execute("SELECT max(version) AS v FROM proactive_schema")
            version = cur.fetchone()["v"]
            if version is not None and version > SCHEMA_VERSION:
                raise InboxError(
                    f"the event tables were set up by a newer version (schema {version}, this "
                    f"one knows up to {SCHEMA_VERSION}); upgrade proactive-agent"
                )
            cur.execute(
                "CREATE TABLE IF NOT EXISTS proactive_events ("
                " thread TEXT NOT NULL, seq BIGINT NOT NULL, user_id TEXT NOT NULL,"
                " event JSONB NOT NULL, received TIMESTAMPTZ NOT NULL DEFAULT now(),"
                " PRIMARY KEY (thread, seq))"
            )
            cur.execute(
                "CREATE TABLE IF NOT EXISTS proactive_progress ("
                " thread TEXT PRIMARY KEY, taken BIGINT NOT NULL)"
            )
            cur.execute(
                "CREATE TABLE IF NOT EXISTS proactive_tokens ("
                " id TEXT PRIMARY KEY, user_id TEXT NOT NULL, digest TEXT NOT NULL,"
                " note TEXT NOT NULL DEFAULT '', created TIMESTAMPTZ NOT NULL DEFAULT now(),"
                " expires TIMESTAMPTZ, revoked TIMESTAMPTZ)"
            )
            cur.execute(
                "CREATE TABLE IF NOT EXISTS proactive_dead_letters ("
                " thread TEXT NOT NULL, seq BIGINT NOT NULL, user_id TEXT NOT NULL,"
                " event JSONB NOT NULL, reason TEXT NOT NULL,"
                " failed TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (thread, seq))"
            )
            if version is None:
                cur.execute("INSERT INTO proactive_schema VALUES (%s)", (SCHEMA_VERSION,))
            elif version < SCHEMA_VERSION:
                cur.execute("UPDATE proactive_schema SET version = %s", (SCHEMA_VERSION,))

    def append(self, user: str, thread: str, events: Sequence[dict[str, Any]]) -> list[int]:
        """Append events to a thread (in one transaction), normalised; returns their sequence
        numbers. InboxError when the thread belongs to another user, its name cannot be stored
        or an event is not valid (nothing is appended then)."""
        from nodes.observe import BadEventError, normalise_event  # noqa: PLC0415

        if not events:
            return []
        bad = _UNSTORABLE.search(thread) or _UNSTORABLE.search(user)
        if bad is not None:
            raise InboxError(
                f"a thread or user name cannot hold NUL or a lone surrogate (at {bad.start()})"
            )
        try:
            events = [normalise_event(e) for e in events]
        except BadEventError as exc:
            raise InboxError(f"an event is not valid: {exc}") from None
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ("ingest:" + thread,)
            )
            cur.execute(
                "SELECT user_id, seq FROM proactive_events WHERE thread = %s "
                "ORDER BY seq DESC LIMIT 1",
                (thread,),
            )
            last = cur.fetchone()
            if last is not None and last["user_id"] != user:
                raise InboxError(f"thread {thread!r} belongs to another user")
            start = 0 if last is None else int(last["seq"]) + 1
            seqs = list(range(start, start + len(events)))
            cur.executemany(
                "INSERT INTO proactive_events (thread, seq, user_id, event) "
                "VALUES (%s, %s, %s, %s)",
                [(thread, seq, user, json.dumps(e)) for seq, e in zip(seqs, events, strict=True)],
            )
            return seqs

    def work(self, limit: int = 100) -> list[Work]:
        """Threads with events beyond their recorded progress, most waiting first."""
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT e.thread, min(e.user_id) AS user_id, count(*) AS waiting "
                "FROM proactive_events e LEFT JOIN proactive_progress p ON p.thread = e.thread "
                "WHERE e.seq >= coalesce(p.taken, 0) AND NOT EXISTS ("
                " SELECT 1 FROM proactive_dead_letters d WHERE d.thread = e.thread) "
                "GROUP BY e.thread "
                "ORDER BY count(*) DESC, e.thread LIMIT %s",
                (limit,),
            )
            return [Work(r["thread"], r["user_id"], int(r["waiting"])) for r in cur.fetchall()]

    def events(self, thread: str, start: int) -> list[tuple[int, dict[str, Any]]]:
        """The thread's events from `start` on, in order."""
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT seq, event FROM proactive_events WHERE thread = %s AND seq >= %s "
                "ORDER BY seq",
                (thread, start),
            )
            return [(int(r["seq"]), r["event"]) for r in cur.fetchall()]

    def mark(self, thread: str, taken: int) -> None:
        """Record that the thread has taken its first `taken` events (never moves back)."""
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO proactive_progress (thread, taken) VALUES (%s, %s) "
                "ON CONFLICT (thread) DO UPDATE SET taken = greatest(proactive_progress.taken, "
                "excluded.taken)",
                (thread, taken),
            )

    def owner(self, thread: str) -> str | None:
        """The user a thread belongs to (None: no such thread)."""
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT user_id FROM proactive_events WHERE thread = %s AND seq = 0", (thread,)
            )
            row = cur.fetchone()
            return None if row is None else str(row["user_id"])

    def threads(self, user: str) -> list[dict[str, Any]]:
        """One user's threads: events received, taken (as the progress index says), when the
        last one came, the latest event time (a sender resuming skips what is older) and, for a
        thread held at a dead letter, its sequence number and reason."""
        with self.conn.cursor() as cur:
            # Only a number in range is read as a time: rows an older version stored raw may
            # hold a date string (or anything) there, and one bad row must not fail the list.
            cur.execute(
                "SELECT e.thread, count(*) AS received, coalesce(max(p.taken), 0) AS taken, "
                "max(e.received) AS last, max(CASE WHEN jsonb_typeof(e.event->'time') = 'number' "
                "AND (e.event->>'time')::numeric BETWEEN 0 AND 253402300799 "
                "THEN (e.event->>'time')::float8 END) AS last_time, "
                "min(d.seq) AS held_at, min(d.reason) AS held_for "
                "FROM proactive_events e LEFT JOIN proactive_progress p ON p.thread = e.thread "
                "LEFT JOIN LATERAL (SELECT seq, reason FROM proactive_dead_letters x "
                " WHERE x.thread = e.thread ORDER BY seq LIMIT 1) d ON true "
                "WHERE e.user_id = %s GROUP BY e.thread ORDER BY e.thread",
                (user,),
            )
            return [
                {
                    "thread": r["thread"],
                    "received": int(r["received"]),
                    "taken": int(r["taken"]),
                    "last_received": r["last"].isoformat(),
                    "last_event_time": r["last_time"],
                    "held": None
                    if r["held_at"] is None
                    else {"seq": int(r["held_at"]), "reason": r["held_for"]},
                }
                for r in cur.fetchall()
            ]

    def dead_letter(self, thread: str, seq: int, reason: str) -> None:
        """Record that the thread's event `seq` cannot be processed (the thread is held there
        until it is re-queued); the event stays in the stream."""
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO proactive_dead_letters (thread, seq, user_id, event, reason) "
                "SELECT thread, seq, user_id, event, %s FROM proactive_events "
                "WHERE thread = %s AND seq = %s "
                "ON CONFLICT (thread, seq) DO UPDATE SET reason = excluded.reason, failed = now()",
                (reason[:2000], thread, seq),
            )
            if cur.rowcount == 0:  # no such row (a gap): hold the thread all the same
                cur.execute(
                    "INSERT INTO proactive_dead_letters (thread, seq, user_id, event, reason) "
                    "SELECT thread, %s, user_id, 'null'::jsonb, %s FROM proactive_events "
                    "WHERE thread = %s AND seq = 0 ON CONFLICT (thread, seq) DO NOTHING",
                    (seq, reason[:2000], thread),
                )

    def dead_letters(self, user: str | None = None) -> list[dict[str, Any]]:
        """The events held as dead letters (one user's, or everyone's), oldest first."""
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT thread, seq, user_id, event, reason, failed FROM proactive_dead_letters "
                "WHERE %(user)s::text IS NULL OR user_id = %(user)s ORDER BY failed, thread, seq",
                {"user": user},
            )
            return [
                {
                    "thread": r["thread"],
                    "seq": int(r["seq"]),
                    "user": r["user_id"],
                    "event": r["event"],
                    "reason": r["reason"],
                    "failed": r["failed"].isoformat(),
                }
                for r in cur.fetchall()
            ]

    def requeue(self, thread: str) -> int:
        """Let a held thread be tried again from its dead letter; returns how many were
        cleared (0: the thread was not held)."""
        with self.conn.cursor() as cur:
            cur.execute("DELETE FROM proactive_dead_letters WHERE thread = %s", (thread,))
            return int(cur.rowcount)

    def count(self, thread: str) -> int:
        with self.conn.cursor() as cur:
            cur.execute("SELECT count(*) AS n FROM proactive_events WHERE thread = %s", (thread,))
            return int(cur.fetchone()["n"])

    def close(self) -> None:
        self.conn.close()


class InboxSession:
    """One session to the inbox shared by a server's requests, reopened after a failure; calls
    are serialised (each is a short statement or two)."""

    def __init__(self, dsn: str) -> None:
        import threading

        self.dsn = dsn
        self.lock = threading.Lock()
        self.inbox: EventInbox | None = None

    def call(self, fn: Callable[[EventInbox], Any]) -> Any:
        """`fn(inbox)`; InboxUnavailable when the database does not answer."""
        import psycopg

        with self.lock:
            try:
                if self.inbox is None or self.inbox.conn.closed:
                    self.inbox = EventInbox(self.dsn)
                    self.inbox.setup()
                return fn(self.inbox)
            except psycopg.OperationalError as exc:
                if self.inbox is not None:
                    self.inbox.close()
                self.inbox = None
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
                raise InboxUnavailable(f"the database is unavailable ({reason})") from None


def read_stream(lines: Iterable[str | bytes]) -> list[dict[str, Any]]:
    """Events from JSON lines, validated as `proactive run` validates them."""
    from cli.runner import read_events

    return [event for _, event in read_events(lines)]
