"""The agent's long-term memory: past events, feedback and executions in a Chroma vector store.

Layout:
- one collection per user (its name is a readable slug of the user id plus a stable hash of it, so
  two user ids never share a collection and one user's memories never come back for another);
- every record carries `record` ('event', 'feedback' or 'execution'), `thread` and `time` metadata;
  feedback and executions also carry `kind` (the kind of help) and `task`;
- ids are derived from what identifies a record (thread and event index for an event), and writes
  are upserts, so replaying a step never stores a record twice.

A store on disk writes in batches (`batch`, default `WRITE_BATCH` records): each write is first
committed to a small journal (`memory/journal.py`), seen by searches and reads at once, and
upserted into Chroma with the rest of its batch (one Chroma upsert costs about 20 ms however few
records it carries). A killed process's pending writes are upserted by the next store opened on
the directory. Writes are flushed when the batch is full, on `flush()`, `count()`, `close()` and
at process exit.

`MemoryStore(None)` keeps everything in process memory. Chroma's in-memory clients all share one
process-wide system, so each in-memory store gets a database of its own inside it (dropped when
the store is closed or garbage collected): two in-memory stores never see each other's data.
"""

from __future__ import annotations

import atexit
import hashlib
import re
import threading
import time as _time
import uuid
import weakref
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection as ChromaCollection
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.config import Settings
from pydantic import BaseModel, ConfigDict, ValidationError

from graphs.state import Event, Feedback, MemoryHit, parse_time
from memory.embedding import HashingEmbedding
from memory.journal import JOURNAL_FILE, WriteJournal

RecordKind = Literal["event", "feedback", "execution"]
RECORD_KINDS: frozenset[str] = frozenset({"event", "feedback", "execution"})
"""What a memory record can be (`MemoryHit.kind`)."""

MAX_K = 100
"""Most hits one search returns."""
MAX_QUERY_CHARS = 4000
"""Longer queries are cut before embedding."""

COLLECTION_CONFIGURATION: Any = {"hnsw": {"space": "cosine", "sync_threshold": 100}}
"""Cosine space (the embedding is L2-normalised). Chroma's default sync_threshold of 1000 makes
single-record upserts slow down linearly as unsynced records pile up (6 ms to 20 ms each, measured);
syncing every 100 keeps them at about 5 ms (docs/memory.md)."""

OVERFETCH = 24
"""A filtered search first takes this many (at least 2k) nearest records without the filter and
keeps those that pass it: Chroma's own filtered search scans the collection's metadata and costs
0.2-1.2 s at 100k records, against about 5 ms for this (docs/memory.md). When fewer than k of them
pass (a rare kind, a small thread), Chroma's filtered search answers instead."""

WRITE_BATCH = 64
"""Records a store on disk collects before one upsert into Chroma (see `memory/journal.py`)."""

_SLUG_CHARS = re.compile(r"[^a-zA-Z0-9_-]+")
_SLUG_MAX = 48


class _UserCollection(NamedTuple):
    collection: ChromaCollection
    embedding: EmbeddingFunction[Documents]
    space: str
    """The collection's distance: "cosine", "l2" or "ip"."""


class _Pending(NamedTuple):
    """A write waiting for the next batch upsert (its vector made already)."""

    seq: int
    user: str
    id: str
    text: str
    vector: Any
    metadata: dict[str, Any]


class FeedbackRecord(BaseModel):
    """A stored answer to a proposal, with when and where it was given."""

    model_config = ConfigDict(frozen=True)

    feedback: Feedback
    """The answer, rebuilt from stored metadata."""
    time: float
    """When it was given (seconds, as passed to `add_feedback`)."""
    thread: str
    """The thread it was given in."""


_FeedbackEntries = dict[str, tuple[tuple[float, int], FeedbackRecord]]
"""A collection's feedback records by id, each with its recency key (time, stored_ns)."""

_feedback_cache: dict[tuple[str, str], _FeedbackEntries] = {}
"""Feedback records per (store location, collection), loaded from Chroma on first use and kept up to
date by `add_feedback` and `forget_user`. Reading them back from Chroma on every `recent_feedback`
(twice per drafted event) costs a metadata scan that grows with the collection (about 50 ms at 100k
records). Keyed by location, so every store object on one directory in this process shares it, as
they share Chroma's client; a Chroma directory is not to be written by two processes at once."""
_feedback_lock = threading.Lock()


def collection_name(user: str) -> str:
    """Chroma collection name of a user: `u-<slug>-<hash>`, 3-512 chars of [a-zA-Z0-9_-].

    The slug keeps names readable; the hash of the full id keeps distinct ids distinct even when
    their slugs collide ("a.b" and "a/b") or are cut short.
    """
    _check_text("user", user)
    slug = _SLUG_CHARS.sub("-", user).strip("-_")[:_SLUG_MAX].strip("-_")
    digest = hashlib.blake2b(user.encode("utf-8"), digest_size=8).hexdigest()
    return f"u-{slug}-{digest}" if slug else f"u-{digest}"


def _check_text(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{field} must not be empty")
    return value


def _check_time(field: str, value: Any) -> float:
    try:
        return parse_time(value)
    except ValueError as err:
        raise ValueError(f"{field}: {err}") from err


def _sentence(text: str) -> str:
    """`text` on one line, ending with a full stop unless it already ends a sentence."""
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?" else text + "."


def _stable_id(prefix: str, *parts: object) -> str:
    digest = hashlib.blake2b(
        "\x1f".join(str(part) for part in parts).encode("utf-8"), digest_size=12
    )
    return f"{prefix}:{digest.hexdigest()}"


class MemoryServerUnavailable(ConnectionError):
    """The Chroma server does not answer (chromadb says so with a plain ValueError)."""


class MemoryStore:
    """Per-user vector memory of events, feedback and executions over Chroma."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        embedding: EmbeddingFunction[Documents] | None = None,
        batch: int | None = None,
    ) -> None:
        """Open the store under `path` on disk, or in process memory when `path` is None.

        `embedding` is used for users whose collection does not exist yet (default: the offline
        `HashingEmbedding`); an existing collection keeps the embedding it was created with.
        `batch`: records a store on disk collects before upserting them into Chroma (default
        `WRITE_BATCH`; 1 writes every record through at once). An in-memory store writes
        through.
        """
        if batch is not None and (
            not isinstance(batch, int) or isinstance(batch, bool) or batch < 1
        ):
            raise ValueError(f"batch must be a positive integer, got {batch!r}")
        self._pending: list[_Pending] = []
        self._journal: WriteJournal | None = None
        self.embedding = embedding or HashingEmbedding()
        self.path: Path | None = None
        self._collections: dict[str, _UserCollection] = {}
        self._lock = threading.RLock()
        self._closed = False
        self.url: str | None = None
        """The Chroma server this store writes through to (None: embedded)."""
        if isinstance(path, str) and path.startswith(("http://", "https://")):
            # A Chroma server, shared by every worker: each write goes through at once (no
            # batch, no local journal), so nothing acknowledged lives only in this process.
            parts = urlsplit(path)
            if not parts.hostname:
                raise ValueError(f"{path!r} is not a Chroma server URL")
            secure = parts.scheme == "https"
            self.url = path.rstrip("/")
            self._database = None
            self._scope = self.url
            try:
                self._client = chromadb.HttpClient(
                    host=parts.hostname,
                    port=parts.port or (443 if secure else 8000),
                    ssl=secure,
                    settings=Settings(anonymized_telemetry=False),
                )
            except ValueError as exc:  # chromadb's own words when nothing answers
                if "could not connect" not in str(exc).lower():
                    raise
                raise MemoryServerUnavailable(f"no answer from {self.url}") from None
            self._finalizer = None
        elif path is None:
            # All in-memory Chroma clients of a process share one system: a private database
            # inside it is what keeps this store's records away from every other store's.
            self._database = "memory_" + uuid.uuid4().hex
            settings = Settings()
            settings.is_persistent = False
            admin = chromadb.AdminClient(settings)
            admin.create_database(self._database)
            self._client: ClientAPI = chromadb.EphemeralClient(database=self._database)
            self._finalizer = weakref.finalize(self, _drop_database, admin, self._database)
            self._scope = "memory:" + self._database
            # Not at exit: the cache dies with the process, and a thread still holding the lock
            # must not block the exit.
            weakref.finalize(self, _drop_feedback_cache, self._scope).atexit = False
        else:
            if not isinstance(path, str | Path) or not str(path).strip():
                raise ValueError(f"path must be a directory path or None, got {path!r}")
            self.path = Path(path).expanduser().resolve()
            if self.path.exists() and not self.path.is_dir():
                raise ValueError(f"path {self.path} exists and is not a directory")
            self.path.mkdir(parents=True, exist_ok=True)
            self._database = None
            self._scope = str(self.path)
            self._client = chromadb.PersistentClient(path=str(self.path))
            self._finalizer = None
        self.batch = 1 if self.path is None else (WRITE_BATCH if batch is None else batch)
        """Records collected before one upsert into Chroma."""
        if self.path is not None:
            self._journal = WriteJournal(self.path / JOURNAL_FILE)
            self._replay_journal()
            atexit.register(_flush_at_exit, weakref.ref(self))

    def heartbeat(self) -> None:
        """Raise when the memory's backing store does not answer (a Chroma server that is down)."""
        self._client.heartbeat()

    def __repr__(self) -> str:
        return f"MemoryStore({self.url or (str(self.path) if self.path else None)!r})"

    def drop_cache(self, user: str) -> None:
        """Forget what this process cached about a user (their answers): another process may
        have written since (a lease that changed hands)."""
        with _feedback_lock:
            _feedback_cache.pop((self._scope, collection_name(user)), None)

    @property
    def closed(self) -> bool:
        """True once `close` was called."""
        return self._closed

    def close(self) -> None:
        """Write what is pending, drop an in-memory store's data (a store on disk keeps its
        files); later calls fail."""
        with _feedback_lock, self._lock:
            if self._closed:
                return
            self.flush()
            if self._journal is not None:
                self._journal.close()
            self._closed = True
            self._collections.clear()
            if self._finalizer is not None:
                self._finalizer()
                for key in [key for key in _feedback_cache if key[0] == self._scope]:
                    del _feedback_cache[key]  # (_drop_feedback_cache, with the lock held)

    def flush(self) -> int:
        """Upsert the pending writes into Chroma now; return how many records were written."""
        with self._lock:
            written = 0
            while self._pending:
                user = self._pending[0].user
                latest: dict[str, _Pending] = {}  # a later write of an id replaces an earlier one
                for record in self._pending:
                    if record.user == user:
                        latest[record.id] = record
                entry = self._collection(user, create=True)
                assert entry is not None
                batch = list(latest.values())
                entry.collection.upsert(
                    ids=[r.id for r in batch],
                    documents=[r.text for r in batch],
                    embeddings=np.stack([r.vector for r in batch]),
                    metadatas=[r.metadata for r in batch],
                )
                written += len(batch)
                # User by user: a failure leaves only the users not yet written pending.
                upto = max(r.seq for r in self._pending if r.user == user)
                self._pending = [r for r in self._pending if r.user != user]
                if self._journal is not None:
                    self._journal.discard(upto, user)
            return written

    def _replay_journal(self) -> None:
        """Upsert the writes that a killed process left in the journal."""
        assert self._journal is not None
        for record in self._journal.pending():
            entry = self._collection(record.user, create=True)
            assert entry is not None
            vector = np.asarray(entry.embedding([record.text])[0], dtype=np.float32)
            self._pending.append(
                _Pending(record.seq, record.user, record.id, record.text, vector, record.metadata)
            )
        self.flush()

    # -- writing ---------------------------------------------------------------------------

    def add_event(self, *, user: str, thread: str, index: int, event: Event) -> None:
        """Remember one event of a thread; adding the same (thread, index) again replaces it."""
        _check_text("thread", thread)
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise ValueError(f"index must be a non-negative integer, got {index!r}")
        event = _as_event(event)
        metadata = {
            "record": "event",
            "thread": thread,
            "time": event.time,
            "index": index,
            "source": event.source,
        }
        self._upsert(user, f"event:{thread}#{index}", event.text, metadata)

    def add_events(
        self, *, user: str, thread: str, events: Sequence[Event], start: int = 0
    ) -> None:
        """Remember many events of a thread in one write, at indexes start, start + 1, ...

        One write of n events costs about as much as one write of a single event, so seeding
        memory from a recorded trace should use this rather than `add_event` in a loop.
        """
        ids, texts, metadatas = _event_rows(thread, events, start)
        if ids:
            self._upsert_many(user, ids, texts, metadatas)

    def add_feedback(self, *, user: str, thread: str, feedback: Feedback, time: float) -> None:
        """Remember an answer to a proposal (rejections are what later drafts must avoid)."""
        _check_text("thread", thread)
        feedback = _as_feedback(feedback)
        when = _check_time("time", time)
        answer = {"accept": "Accepted", "reject": "Rejected", "edit": "Edited", "ignore": "Ignored"}
        text = (
            f"{answer[feedback.answer]} proposal (kind {feedback.kind}): {_sentence(feedback.task)}"
        )
        if feedback.edited_task:
            text += f" Changed to: {_sentence(feedback.edited_task)}"
        if feedback.reason:
            text += f" Reason: {_sentence(feedback.reason)}"
        metadata: dict[str, Any] = {
            "record": "feedback",
            "thread": thread,
            "time": when,
            "answer": feedback.answer,
            "kind": feedback.kind,
            "task": feedback.task,
            "reason": feedback.reason,
            "by": feedback.by,
            "event_index": feedback.event_index,
        }
        if feedback.edited_task is not None:
            metadata["edited_task"] = feedback.edited_task
        for name in ("p_accept", "p_silence"):  # Chroma metadata holds no None
            if getattr(feedback, name) is not None:
                metadata[name] = float(getattr(feedback, name))
        record_id = _stable_id(
            "feedback", thread, feedback.event_index, when, feedback.answer, feedback.task
        )
        key = (self._scope, collection_name(user))
        with _feedback_lock:  # held across the write: a concurrent first load sees it or not
            self._upsert(user, record_id, text, metadata)
            cached = _feedback_cache.get(key)
            if cached is not None:
                cached[record_id] = _feedback_entry(metadata)

    def add_execution(
        self,
        *,
        user: str,
        thread: str,
        task: str,
        kind: str,
        summary: str,
        time: float,
        events: Sequence[Event] = (),
        start: int = 0,
    ) -> None:
        """Remember a task the executor carried out and how it went, with the events its
        actions became (at indexes start, start + 1, ...), in one write: with a memory server
        each write is a round trip and a commit there."""
        _check_text("thread", thread)
        _check_text("task", task)
        _check_text("kind", kind)
        if not isinstance(summary, str):
            raise ValueError(f"summary must be a string, got {type(summary).__name__}")
        when = _check_time("time", time)
        ids, texts, metadatas = _event_rows(thread, events, start)
        text = f"Carried out (kind {kind}): {_sentence(task)}"
        if summary.strip():
            text += f" Outcome: {_sentence(summary)}"
        metadata = {
            "record": "execution",
            "thread": thread,
            "time": when,
            "kind": kind,
            "task": task,
            "summary": summary,
        }
        ids.append(_stable_id("execution", thread, when, kind, task))
        texts.append(text)
        metadatas.append(metadata)
        self._upsert_many(user, ids, texts, metadatas)

    def forget_user(self, *, user: str) -> None:
        """Delete everything remembered about a user."""
        name = collection_name(user)
        with _feedback_lock, self._lock:
            _feedback_cache.pop((self._scope, name), None)
            mine = [r.seq for r in self._pending if r.user == user]
            self._pending = [r for r in self._pending if r.user != user]
            if mine and self._journal is not None:
                self._journal.discard(max(mine), user)
            self._collections.pop(name, None)
            try:
                self._client.delete_collection(name)
            except Exception:  # Chroma raises NotFoundError (or ValueError in older releases)
                pass

    def forget_feedback(self, *, user: str) -> int:
        """Delete a user's remembered answers (their events and executions stay); return how
        many were deleted."""
        name = collection_name(user)
        with _feedback_lock, self._lock:
            self.flush()
            _feedback_cache.pop((self._scope, name), None)
            entry = self._collection(user, create=False)
            if entry is None:
                return 0
            ids = entry.collection.get(where={"record": "feedback"}, include=[])["ids"]
            if ids:
                entry.collection.delete(ids=ids)
            return len(ids)

    # -- reading ---------------------------------------------------------------------------

    def search(
        self,
        *,
        user: str,
        query: str,
        k: int = 4,
        thread: str | None = None,
        kinds: Collection[str] | None = None,
    ) -> list[MemoryHit]:
        """The `k` memories of `user` nearest to `query`, nearest first.

        `thread` keeps only that thread's memories; `kinds` keeps only those record kinds.
        """
        _check_text("query", query)
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        where = self._where(thread=thread, kinds=kinds)
        entry = self._collection(user, create=False)
        if entry is None:
            return []
        collection, embedding, space = entry
        vector = embedding.embed_query([query[:MAX_QUERY_CHARS]])
        n = min(k, MAX_K)
        rows = None
        if where is not None:
            rows = _post_filtered(collection, vector, n, thread=thread, kinds=kinds)
        if rows is None:
            rows = _query(collection, vector, n, where)
        pending = self._pending_of(user, thread=thread, kinds=kinds)
        if pending:  # not in Chroma yet: scored here and merged (a newer write of an id wins)
            newer = {r.id for r in pending}
            scores = np.stack([r.vector for r in pending]) @ np.asarray(vector[0], np.float32)
            rows = [row for row in rows if row[0] not in newer] + [
                (r.id, r.text, r.metadata, _distance(space, float(score)))
                for r, score in zip(pending, scores, strict=True)
            ]
            rows = sorted(rows, key=lambda row: row[3])[:n]
        hits = []
        for _, text, metadata, distance in rows:
            meta = dict(metadata or {})
            hits.append(
                MemoryHit(
                    text=text or "",
                    kind=meta.get("record", "event"),
                    distance=float(distance),
                    metadata=meta,
                )
            )
        return hits

    def searcher(self, *, user: str, k: int = 4, thread: str | None = None) -> Callable[[str], str]:
        """A `query -> text` function over this user's memory (for `tools.build_tools`)."""
        _check_text("user", user)

        def search_memory(query: str) -> str:
            return format_hits(self.search(user=user, query=query, k=k, thread=thread))

        return search_memory

    def recent_feedback(
        self, *, user: str, limit: int = 20, thread: str | None = None
    ) -> list[FeedbackRecord]:
        """The user's latest answers to proposals, newest first (optionally of one thread)."""
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValueError(f"limit must be a positive integer, got {limit!r}")
        if thread is not None:
            _check_text("thread", thread)
        entry = self._collection(user, create=False)
        if entry is None:
            return []
        key = (self._scope, collection_name(user))
        with _feedback_lock:
            cached = _feedback_cache.get(key)
            if cached is None:
                stored = entry.collection.get(where={"record": "feedback"}, include=["metadatas"])
                cached = {
                    record_id: _feedback_entry(dict(meta or {}))
                    for record_id, meta in zip(
                        stored.get("ids") or [], stored.get("metadatas") or [], strict=True
                    )
                }
                for record in self._pending_of(user, thread=None, kinds=["feedback"]):
                    cached[record.id] = _feedback_entry(record.metadata)
                _feedback_cache[key] = cached
            records = [
                pair for pair in cached.values() if thread is None or pair[1].thread == thread
            ]
        records.sort(key=lambda pair: pair[0], reverse=True)
        return [record for _, record in records[:limit]]

    def count(self, *, user: str, thread: str | None = None, kind: str | None = None) -> int:
        """How many memories a user has (optionally of one thread and one record kind)."""
        self.flush()
        where = self._where(
            thread=thread, kinds=None if kind is None else [kind], kinds_field="kind"
        )
        entry = self._collection(user, create=False)
        if entry is None:
            return 0
        if where is None:
            return entry.collection.count()
        return len(entry.collection.get(where=where, include=[])["ids"])

    # -- internals ----------------------------------------------------------------------------

    def _collection(self, user: str, *, create: bool) -> _UserCollection | None:
        """The user's collection and the embedding its vectors were made with (None if absent)."""
        name = collection_name(user)
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self!r} is closed")
            cached = self._collections.get(name)
            if cached is not None:
                return cached
            try:
                # Without an embedding argument Chroma rebuilds the stored one from its config
                # (registered by importing `memory`), so a collection made with other settings
                # keeps being written and searched with the embedding its vectors came from.
                collection = self._client.get_collection(name)
            except Exception as err:  # NotFoundError in Chroma 1.x
                if type(err).__name__ != "NotFoundError" and "does not exist" not in str(err):
                    raise
                if not create:
                    return None
                collection = self._client.get_or_create_collection(
                    name,
                    embedding_function=self.embedding,  # type: ignore[arg-type]
                    configuration=COLLECTION_CONFIGURATION,
                    metadata={"user": user},
                )
            stored = (collection.configuration or {}).get("embedding_function")
            embedding = self.embedding
            if isinstance(stored, EmbeddingFunction) and not _same_embedding(stored, embedding):
                embedding = stored
            space = str(((collection.configuration or {}).get("hnsw") or {}).get("space") or "l2")
            entry = _UserCollection(collection, embedding, space)  # type: ignore[arg-type]
            self._collections[name] = entry
            return entry

    def _upsert(self, user: str, record_id: str, text: str, metadata: dict[str, Any]) -> None:
        self._upsert_many(user, [record_id], [text], [metadata])

    def _upsert_many(
        self, user: str, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]]
    ) -> None:
        # Everything is checked and embedded before the single upsert: a bad record fails the
        # call without touching what is stored.
        stored_ns = _time.time_ns()
        for offset, metadata in enumerate(metadatas):
            metadata["stored_ns"] = stored_ns + offset
        entry = self._collection(user, create=True)
        assert entry is not None
        vectors = entry.embedding(texts)
        if self.batch <= 1:
            entry.collection.upsert(
                ids=ids, documents=texts, embeddings=vectors, metadatas=metadatas
            )
            return
        with self._lock:
            assert self._journal is not None
            seqs = self._journal.append(user, ids, texts, metadatas)  # durable before we return
            self._pending += [
                _Pending(seq, user, i, t, np.asarray(v, dtype=np.float32), m)
                for seq, i, t, v, m in zip(seqs, ids, texts, vectors, metadatas, strict=True)
            ]
            if len(self._pending) >= self.batch:
                self.flush()

    def _pending_of(
        self, user: str, *, thread: str | None, kinds: Collection[str] | None
    ) -> list[_Pending]:
        """The user's pending writes that a read with these filters sees (the latest per id)."""
        if not self._pending:
            return []
        wanted = None if kinds is None else {kinds} if isinstance(kinds, str) else set(kinds)
        latest: dict[str, _Pending] = {}
        with self._lock:
            for r in self._pending:
                if r.user != user or (thread is not None and r.metadata.get("thread") != thread):
                    continue
                if wanted is None or r.metadata.get("record") in wanted:
                    latest[r.id] = r
        return list(latest.values())

    @staticmethod
    def _where(
        *, thread: str | None, kinds: Collection[str] | None, kinds_field: str = "kinds"
    ) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if thread is not None:
            clauses.append({"thread": _check_text("thread", thread)})
        if kinds is not None:
            if isinstance(kinds, str):
                kinds = [kinds]
            wanted = sorted(set(kinds))
            unknown = [kind for kind in wanted if kind not in RECORD_KINDS]
            if not wanted or unknown:
                known = sorted(RECORD_KINDS)
                raise ValueError(
                    f"{kinds_field} must be one or more of {known}, got {list(kinds)!r}"
                )
            clauses.append(
                {"record": wanted[0]} if len(wanted) == 1 else {"record": {"$in": wanted}}
            )
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def format_hits(hits: Sequence[MemoryHit]) -> str:
    """Memory hits as short lines for a prompt or a tool answer, nearest first."""
    if not hits:
        return ""
    lines = []
    for hit in hits:
        thread = hit.metadata.get("thread", "?")
        lines.append(f"- [{hit.kind}, thread {thread}, distance {hit.distance:.2f}] {hit.text}")
    return "\n".join(lines)


def _event_rows(
    thread: str, events: Sequence[Event], start: int
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """Ids, texts and metadata of a thread's events at indexes start, start + 1, ..."""
    _check_text("thread", thread)
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        raise ValueError(f"start must be a non-negative integer, got {start!r}")
    if isinstance(events, str | bytes) or not isinstance(events, Sequence):
        raise ValueError(f"events must be a sequence of Event, got {type(events).__name__}")
    checked = [_as_event(event, field=f"events[{i}]") for i, event in enumerate(events)]
    ids = [f"event:{thread}#{start + i}" for i in range(len(checked))]
    metadatas: list[dict[str, Any]] = [
        {
            "record": "event",
            "thread": thread,
            "time": event.time,
            "index": start + i,
            "source": event.source,
        }
        for i, event in enumerate(checked)
    ]
    return ids, [event.text for event in checked], metadatas


def _as_event(event: Any, *, field: str = "event") -> Event:
    if isinstance(event, Event):
        return event
    if isinstance(event, Mapping):
        try:
            return Event.model_validate(dict(event))
        except ValidationError as err:
            raise ValueError(f"{field} is not a valid Event: {err}") from err
    raise ValueError(f"{field} must be an Event, got {type(event).__name__}")


def _as_feedback(feedback: Any) -> Feedback:
    if isinstance(feedback, Feedback):
        return feedback
    if isinstance(feedback, Mapping):
        try:
            return Feedback.model_validate(dict(feedback))
        except ValidationError as err:
            raise ValueError(f"feedback is not a valid Feedback: {err}") from err
    raise ValueError(f"feedback must be a Feedback, got {type(feedback).__name__}")


def _same_embedding(
    left: EmbeddingFunction[Documents], right: EmbeddingFunction[Documents]
) -> bool:
    try:
        return bool(left.name() == right.name() and left.get_config() == right.get_config())
    except Exception:  # a legacy embedding without name() or get_config()
        return False


def _distance(space: str, similarity: float) -> float:
    """Chroma's distance for a dot product of two unit vectors, in a collection's space."""
    if space == "l2":
        return max(0.0, 2.0 - 2.0 * similarity)  # Chroma's l2 is the squared distance
    return 1.0 - similarity  # cosine and inner product


def _flush_at_exit(ref: weakref.ReferenceType[MemoryStore]) -> None:
    store = ref()
    if store is not None and not store.closed:
        try:
            store.flush()
        except Exception:  # the journal keeps the writes: the next store on the directory
            pass  # upserts them


def _drop_feedback_cache(scope: str) -> None:
    with _feedback_lock:
        for key in [key for key in _feedback_cache if key[0] == scope]:
            del _feedback_cache[key]


def _drop_database(admin: ClientAPI, database: str) -> None:
    try:
        admin.delete_database(database)  # type: ignore[attr-defined]
    except Exception:  # the process may be shutting down; the data dies with it anyway
        pass


def _feedback_entry(meta: Mapping[str, Any]) -> tuple[tuple[float, int], FeedbackRecord]:
    """A stored feedback record's recency key and the record, rebuilt from its metadata."""
    fields: dict[str, Any] = {
        "answer": meta["answer"],
        "reason": meta.get("reason", ""),
        "task": meta.get("task", ""),
        "kind": meta.get("kind", "other"),
        "edited_task": meta.get("edited_task"),
        "by": meta.get("by", "judge"),
        "event_index": int(meta.get("event_index", 0)),
        "time": float(meta.get("time", 0.0)),
        "p_accept": meta.get("p_accept"),
        "p_silence": meta.get("p_silence"),
    }
    feedback = Feedback(**{k: v for k, v in fields.items() if k in Feedback.model_fields})
    when = float(meta.get("time", 0.0))
    order = (when, int(meta.get("stored_ns", 0)))
    return order, FeedbackRecord(feedback=feedback, time=when, thread=meta["thread"])


_Row = tuple[str, str | None, Mapping[str, Any] | None, float]
"""A search hit: id, text, metadata, distance."""


def _query(
    collection: ChromaCollection, vector: Any, n: int, where: dict[str, Any] | None
) -> list[_Row]:
    """Chroma's search: the n nearest records that pass `where`, nearest first."""
    # Chroma answers with fewer hits when fewer match: no count() round trip is needed.
    result = collection.query(
        query_embeddings=vector,
        n_results=n,
        where=where,
        include=["documents", "metadatas", "distances"],
    )
    ids = (result.get("ids") or [[]])[0]
    documents = (result.get("documents") or [[]])[0]
    metadatas = (result.get("metadatas") or [[]])[0]
    distances = (result.get("distances") or [[]])[0]
    return list(zip(ids, documents, metadatas, distances, strict=True))


def _post_filtered(
    collection: ChromaCollection,
    vector: Any,
    n: int,
    *,
    thread: str | None,
    kinds: Collection[str] | None,
) -> list[_Row] | None:
    """The n nearest records of `thread` and `kinds` found among the OVERFETCH nearest records,
    or None when fewer pass (the caller then asks Chroma with the filter).

    The answer is the same as a filtered search's: any passing record nearer than the n-th one
    kept would be among the unfiltered nearest too.
    """
    wanted = None if kinds is None else {kinds} if isinstance(kinds, str) else set(kinds)
    fetch = max(OVERFETCH, 2 * n)
    rows = _query(collection, vector, fetch, None)
    kept = [
        row
        for row in rows
        if (thread is None or (row[2] or {}).get("thread") == thread)
        and (wanted is None or (row[2] or {}).get("record") in wanted)
    ]
    if len(kept) >= n or len(rows) < fetch:  # enough, or every record was looked at
        return kept[:n]
    return None
