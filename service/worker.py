"""A worker: takes threads with waiting events, one at a time under the thread's lease, and feeds
their events to the agent graph exactly once.

Exactly once, whatever dies when: the thread's checkpoint (PostgreSQL) records in the same
commit as its state how many events it has taken (`proactive_inputs`) and their chained digest;
a worker reads that before feeding, finishes an event a dead worker left cut short (from its
last node, with `--durability sync`; by default workers commit once per event, so a cut-short
event was never committed and is fed again from its start), and feeds only the events after
it. The lease is a PostgreSQL advisory lock, released by the server when its holder's session
ends, so a killed worker's threads are taken over by the next worker that looks. Memory is a
shared Chroma server written through at once, and a worker forgets what it cached about a user
whenever it takes one of their threads, so nothing acknowledged lives only in one worker.

No event stops a worker: one it cannot process (a stored row that does not normalise, or one the
graph fails on) becomes a dead letter (`EventInbox.dead_letter`), its thread is held there and the
worker goes on with the others. A failure of what every event needs (the database, the memory
server, the disk) is not the event's fault: the worker says what is down, waits with back-off
(`OUTAGE_BACKOFF`), reopens its connections and goes on where the last commit left it (the
exactly-once protocol above makes that the same as a takeover after a kill); the event waits.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from langgraph.types import Durability

from cli.runner import DIGEST_KEY, INPUTS_KEY, AwaitingAnswer, chain_digest, step, thread_progress
from graphs.context import Context
from graphs.persistence import USER_KEY, ThreadBusyError, build_durable_graph, thread_lease
from nodes.observe import BadEventError, normalise_event
from service.events import EventInbox

OUTAGE_BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)
"""Seconds a worker waits before each retry while the database or the memory server is down
(the last one repeats): a brief outage costs half a second, a long one a look every 8 s."""

BATCH = 50
"""Events a worker feeds to one thread before it lets go of the lease and looks again (so a
busy thread does not starve the others)."""


@dataclass
class Stats:
    """What a worker did."""

    events: int = 0
    threads: set[str] = field(default_factory=set)
    busy: int = 0
    """Threads skipped because another worker held them."""
    resumed: int = 0
    """Events a dead worker left cut short, finished here."""
    waiting: int = 0
    """Threads left waiting for a person's answer."""
    retried: int = 0
    """Drains the database rolled back (a deadlock or a serialization failure), left for the
    next pass: what they committed stands, and the next drain goes on from there."""
    dead: int = 0
    """Events this worker could not process, held as dead letters."""
    outages: int = 0
    """Times the database, the memory server or the disk failed and the worker waited."""


class EventFailure(RuntimeError):
    """One event of a thread cannot be processed; the message says why."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.seq = seq


def is_infrastructure(exc: BaseException, data_dir: str) -> bool:
    """Whether a failure is of what every event needs (the database, the memory server, the
    disk): such a failure stops the worker instead of holding one thread."""
    import sqlite3  # noqa: PLC0415

    import psycopg  # noqa: PLC0415

    from cli.common import storage_failure  # noqa: PLC0415
    from graphs.persistence import DatabaseError  # noqa: PLC0415

    if isinstance(exc, psycopg.DataError):
        return False  # a value of this event the database refused
    if isinstance(exc, OSError | MemoryError | sqlite3.Error | psycopg.Error | DatabaseError):
        return True
    module = type(exc).__module__
    if module.startswith(("httpx", "httpcore", "chromadb")):
        return True
    return storage_failure(exc, data_dir) is not None


def what_is_down(exc: BaseException) -> str:
    """Which shared service an infrastructure failure is of, in words for the log."""
    module = type(exc).__module__
    if module.startswith("psycopg"):
        return "the database"
    if module.startswith(("httpx", "httpcore", "chromadb")):
        return "the memory server"
    if type(exc).__name__ == "MemoryServerUnavailable":
        return "the memory server"
    return "the storage"


def _reason(exc: BaseException) -> str:
    """One line for a dead letter: the exception's type and first line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__


class Worker:
    """Feeds the threads of one event inbox to the agent graph."""

    def __init__(
        self,
        db: str,
        context: Context,
        *,
        data_dir: str,
        out: IO[str] | None = None,
        name: str = "worker",
        durability: Durability = "exit",
    ) -> None:
        self.db = db
        self.durability: Durability = durability
        """LangGraph's: "exit" (the default) commits once per event (one commit instead of
        about eight; a cut-short event is fed again from its start, which the input count and
        digest make exactly once); "sync" after every node (it resumes inside the event)."""
        self.base = context
        self.data_dir = data_dir
        self.inbox = EventInbox(db)
        self.inbox.setup()
        self.graph = build_durable_graph(data_dir, db=db)
        self.out = out if out is not None else sys.stdout
        self.name = name
        self.stats = Stats()
        self.idle: set[str] = set()
        """Threads of the last pass that wait for an answer (nothing to do until it comes)."""

    def reconnect(self) -> None:
        """Reopen the inbox and checkpoint connections (after an outage they are dead)."""
        for closing in (self.inbox.close, self.graph.checkpointer.conn.close):  # type: ignore[union-attr]
            try:
                closing()
            except Exception:  # noqa: BLE001 - a dead connection may fail to close; it is dropped
                pass
        self.inbox = EventInbox(self.db)
        self.inbox.setup()
        self.graph = build_durable_graph(self.data_dir, db=self.db)

    def _forget(self, user: str, context: Context) -> None:
        """Drop what this process cached about a user: another worker may have written since."""
        from memory import open_memory
        from nodes.personal import profiles

        open_memory(context.memory_server or context.memory_dir or None).drop_cache(user)
        profiles(context).drop(user)

    def drain(self, thread: str, user: str) -> int:
        """Feed a thread's waiting events (at most `BATCH`); returns how many were taken.
        Raises ThreadBusyError when another worker holds the thread. An event that cannot be
        processed becomes a dead letter and the thread stops there."""
        context = dataclasses.replace(self.base, user_id=user)
        fed = 0
        with thread_lease(self.data_dir, thread, db=self.db, graph=self.graph):
            progress = thread_progress(self.graph, thread)
            if progress.waiting:  # a person answers first (`proactive ui`, POST .../answer)
                self.idle.add(thread)
                return 0
            self._forget(user, context)
            taken, digest = progress.inputs, progress.digest or ""
            try:
                if progress.pending:
                    meta = {INPUTS_KEY: taken, USER_KEY: user, DIGEST_KEY: digest}
                    self._step(taken - 1, None, thread, context, meta)
                    self.stats.resumed += 1
                    self.out.write(f"{self.name} {thread} {taken - 1} resumed\n")
                for seq, stored in self.inbox.events(thread, taken)[:BATCH]:
                    if seq != taken:
                        raise EventFailure(taken, f"event {seq} is stored where {taken} was due")
                    try:
                        event = normalise_event(stored)
                    except BadEventError as exc:
                        raise EventFailure(seq, f"the stored event is not valid: {exc}") from None
                    digest = chain_digest(digest, event)
                    meta = {INPUTS_KEY: seq + 1, USER_KEY: user, DIGEST_KEY: digest}
                    self._step(seq, event, thread, context, meta)
                    taken = seq + 1
                    fed += 1
                    self.stats.events += 1  # counted as committed, whatever follows
                    self.out.write(f"{self.name} {thread} {seq}\n")
                    self.out.flush()
            except AwaitingAnswer:
                self.stats.waiting += 1  # a person answers; then the next drain goes on
                self.idle.add(thread)
                taken = thread_progress(self.graph, thread).inputs
            except EventFailure as failure:
                # Held, not skipped: the events after it keep their order and wait for it.
                self.inbox.dead_letter(thread, failure.seq, str(failure))
                self.stats.dead += 1
                self.out.write(f"{self.name} {thread} {failure.seq} dead letter ({failure})\n")
                self.out.flush()
            self.inbox.mark(thread, taken)
        self.stats.threads.add(thread)
        return fed

    def _step(
        self,
        seq: int,
        event: dict[str, Any] | None,
        thread: str,
        context: Context,
        meta: dict[str, Any],
    ) -> None:
        """Feed one event (None: finish the cut-short one); a failure that is the event's own,
        not the infrastructure's, is an EventFailure for `seq`."""
        try:
            step(
                self.graph,
                event,
                thread=thread,
                context=context,
                metadata=meta,
                durability=self.durability,
            )
        except AwaitingAnswer:
            raise
        except Exception as exc:
            if is_infrastructure(exc, self.data_dir):
                raise
            raise EventFailure(seq, f"processing failed: {_reason(exc)}") from exc

    def run_once(self) -> int:
        """One pass over the threads with work; returns the events fed."""
        from psycopg.errors import DeadlockDetected, SerializationFailure

        fed = 0
        self.idle = set()
        for work in self.inbox.work():
            try:
                fed += self.drain(work.thread, work.user)
            except ThreadBusyError:
                self.stats.busy += 1
            except (DeadlockDetected, SerializationFailure) as exc:
                # PostgreSQL gave up one transaction to save others; nothing of it was kept.
                self.stats.retried += 1
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self.out.write(f"{self.name} {work.thread} retried later ({reason})\n")
                self.out.flush()
        return fed

    def run(
        self,
        *,
        poll: float = 0.5,
        until_idle: bool = False,
        stop: Callable[[], bool] = lambda: False,
    ) -> Stats:
        """Work until stopped (or, with `until_idle`, until a pass finds nothing to do). While
        the database, the memory server or the disk fails, wait with back-off and go on."""
        down = 0  # failed looks in a row
        while not stop():
            try:
                if down:
                    self.reconnect()
                fed = self.run_once()
                left = {w.thread for w in self.inbox.work()} if fed == 0 else set()
            except Exception as exc:
                if not is_infrastructure(exc, self.data_dir):
                    raise
                wait = OUTAGE_BACKOFF[min(down, len(OUTAGE_BACKOFF) - 1)]
                if down == 0:
                    self.stats.outages += 1
                down += 1
                self.out.write(
                    f"{self.name}: {what_is_down(exc)} is unavailable ({_reason(exc)}); "
                    f"waiting, retry {down} in {wait:g} s\n"
                )
                self.out.flush()
                _sleep(wait, stop)
                continue
            if down:
                self.out.write(f"{self.name}: back after {down} failed look(s)\n")
                self.out.flush()
                down = 0
            if fed == 0:
                if until_idle and left <= self.idle:
                    break  # nothing left but threads waiting for answers
                time.sleep(poll)
        return self.stats


def _sleep(seconds: float, stop: Callable[[], bool]) -> None:
    """Sleep, looking at `stop` every 0.1 s (a SIGTERM during an outage ends the wait)."""
    deadline = time.monotonic() + seconds
    while not stop() and time.monotonic() < deadline:
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


def ingest(db: str, user: str, thread: str, events: list[dict[str, Any]]) -> list[int]:
    """Append events to a thread's stream; returns their sequence numbers."""
    inbox = EventInbox(db)
    try:
        inbox.setup()
        return inbox.append(user, thread, events)
    finally:
        inbox.close()
