"""The agent's long-term memory: past events, feedback and executions in a Chroma vector store.

Layout:
- one collection per user (its name is a readable slug of the user id plus a stable hash of it, so
  two user ids never share a collection and one user's memories never come back for another);
- every record carries `record` ('event', 'feedback' or 'execution'), `thread` and `time` metadata;
  feedback and executions also carry `kind` (the kind of help) and `task`;
- ids are derived from what identifies a record (thread and event index for an event), and writes
  are upserts, so replaying a step never stores a record twice.

`MemoryStore(None)` keeps everything in process memory. Chroma's in-memory clients all share one
process-wide system, so each in-memory store gets a database of its own inside it (dropped when
the store is closed or garbage collected): two in-memory stores never see each other's data.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time as _time
import uuid
import weakref
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection as ChromaCollection
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.config import Settings
from pydantic import BaseModel, ConfigDict, ValidationError

from graphs.state import Event, Feedback, MemoryHit, parse_time
from memory.embedding import HashingEmbedding

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

_SLUG_CHARS = re.compile(r"[^a-zA-Z0-9_-]+")
_SLUG_MAX = 48


class _UserCollection(NamedTuple):
    collection: ChromaCollection
    embedding: EmbeddingFunction[Documents]


class FeedbackRecord(BaseModel):
    """A stored answer to a proposal, with when and where it was given."""

    model_config = ConfigDict(frozen=True)

    feedback: Feedback
    """The answer, rebuilt from stored metadata."""
    time: float
    """When it was given (seconds, as passed to `add_feedback`)."""
    thread: str
    """The thread it was given in."""


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


class MemoryStore:
    """Per-user vector memory of events, feedback and executions over Chroma."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        embedding: EmbeddingFunction[Documents] | None = None,
    ) -> None:
        """Open the store under `path` on disk, or in process memory when `path` is None.

        `embedding` is used for users whose collection does not exist yet (default: the offline
        `HashingEmbedding`); an existing collection keeps the embedding it was created with.
        """
        self.embedding = embedding or HashingEmbedding()
        self.path: Path | None = None
        self._collections: dict[str, _UserCollection] = {}
        self._lock = threading.RLock()
        self._closed = False
        if path is None:
            # All in-memory Chroma clients of a process share one system: a private database
            # inside it is what keeps this store's records away from every other store's.
            self._database = "memory_" + uuid.uuid4().hex
            settings = Settings()
            settings.is_persistent = False
            admin = chromadb.AdminClient(settings)
            admin.create_database(self._database)
            self._client: ClientAPI = chromadb.EphemeralClient(database=self._database)
            self._finalizer = weakref.finalize(self, _drop_database, admin, self._database)
        else:
            if not isinstance(path, str | Path) or not str(path).strip():
                raise ValueError(f"path must be a directory path or None, got {path!r}")
            self.path = Path(path).expanduser().resolve()
            if self.path.exists() and not self.path.is_dir():
                raise ValueError(f"path {self.path} exists and is not a directory")
            self.path.mkdir(parents=True, exist_ok=True)
            self._database = None
            self._client = chromadb.PersistentClient(path=str(self.path))
            self._finalizer = None

    def __repr__(self) -> str:
        return f"MemoryStore({str(self.path) if self.path else None!r})"

    @property
    def closed(self) -> bool:
        """True once `close` was called."""
        return self._closed

    def close(self) -> None:
        """Drop an in-memory store's data (a store on disk keeps its files); later calls fail."""
        with self._lock:
            self._closed = True
            self._collections.clear()
            if self._finalizer is not None:
                self._finalizer()

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
        _check_text("thread", thread)
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            raise ValueError(f"start must be a non-negative integer, got {start!r}")
        if isinstance(events, str | bytes) or not isinstance(events, Sequence):
            raise ValueError(f"events must be a sequence of Event, got {type(events).__name__}")
        checked = [_as_event(event, field=f"events[{i}]") for i, event in enumerate(events)]
        if not checked:
            return
        ids = [f"event:{thread}#{start + i}" for i in range(len(checked))]
        metadatas = [
            {
                "record": "event",
                "thread": thread,
                "time": event.time,
                "index": start + i,
                "source": event.source,
            }
            for i, event in enumerate(checked)
        ]
        self._upsert_many(user, ids, [event.text for event in checked], metadatas)

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
        record_id = _stable_id(
            "feedback", thread, feedback.event_index, when, feedback.answer, feedback.task
        )
        self._upsert(user, record_id, text, metadata)

    def add_execution(
        self, *, user: str, thread: str, task: str, kind: str, summary: str, time: float
    ) -> None:
        """Remember a task the executor carried out and how it went."""
        _check_text("thread", thread)
        _check_text("task", task)
        _check_text("kind", kind)
        if not isinstance(summary, str):
            raise ValueError(f"summary must be a string, got {type(summary).__name__}")
        when = _check_time("time", time)
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
        self._upsert(user, _stable_id("execution", thread, when, kind, task), text, metadata)

    def forget_user(self, *, user: str) -> None:
        """Delete everything remembered about a user."""
        name = collection_name(user)
        with self._lock:
            self._collections.pop(name, None)
            try:
                self._client.delete_collection(name)
            except Exception:  # Chroma raises NotFoundError (or ValueError in older releases)
                pass

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
        collection, embedding = entry
        vector = embedding.embed_query([query[:MAX_QUERY_CHARS]])
        # Chroma answers with fewer hits when fewer match: no count() round trip is needed.
        result = collection.query(
            query_embeddings=vector,
            n_results=min(k, MAX_K),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        documents = (result.get("documents") or [[]])[0]
        metadatas = (result.get("metadatas") or [[]])[0]
        distances = (result.get("distances") or [[]])[0]
        hits = []
        for text, metadata, distance in zip(documents, metadatas, distances, strict=True):
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
        where = self._where(thread=thread, kinds=["feedback"])
        entry = self._collection(user, create=False)
        if entry is None:
            return []
        stored = entry.collection.get(where=where, include=["metadatas"])
        records = []
        for meta in stored.get("metadatas") or []:
            meta = dict(meta or {})
            fields: dict[str, Any] = {
                "answer": meta["answer"],
                "reason": meta.get("reason", ""),
                "task": meta.get("task", ""),
                "kind": meta.get("kind", "other"),
                "edited_task": meta.get("edited_task"),
                "by": meta.get("by", "judge"),
                "event_index": int(meta.get("event_index", 0)),
                "time": float(meta.get("time", 0.0)),
            }
            feedback = Feedback(**{k: v for k, v in fields.items() if k in Feedback.model_fields})
            order = (float(meta.get("time", 0.0)), int(meta.get("stored_ns", 0)))
            records.append(
                (
                    order,
                    FeedbackRecord(
                        feedback=feedback, time=float(meta.get("time", 0.0)), thread=meta["thread"]
                    ),
                )
            )
        records.sort(key=lambda pair: pair[0], reverse=True)
        return [record for _, record in records[:limit]]

    def count(self, *, user: str, thread: str | None = None, kind: str | None = None) -> int:
        """How many memories a user has (optionally of one thread and one record kind)."""
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
            entry = _UserCollection(collection, embedding)  # type: ignore[arg-type]
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
        entry.collection.upsert(ids=ids, documents=texts, embeddings=vectors, metadatas=metadatas)

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


def _drop_database(admin: ClientAPI, database: str) -> None:
    try:
        admin.delete_database(database)  # type: ignore[attr-defined]
    except Exception:  # the process may be shutting down; the data dies with it anyway
        pass
