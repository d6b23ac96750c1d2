"""The agent's memory: a per-user Chroma vector store of events, feedback and executions.

Importing this package registers the offline hashing embedding with Chroma, which is what lets a
new process reopen a collection that an earlier process persisted.
"""

from __future__ import annotations

import threading
from pathlib import Path

from memory.embedding import HashingEmbedding
from memory.pg import SCHEMES as PG_SCHEMES
from memory.pg import PgMemoryStore
from memory.store import (
    RECORD_KINDS,
    FeedbackRecord,
    MemoryStore,
    collection_name,
    format_hits,
)

__all__ = [
    "RECORD_KINDS",
    "FeedbackRecord",
    "HashingEmbedding",
    "MemoryStore",
    "PgMemoryStore",
    "collection_name",
    "format_hits",
    "open_memory",
]

_stores: dict[str | None, MemoryStore] = {}
_stores_lock = threading.Lock()
_by_name: dict[str, str | None] = {}
"""Paths as given (strings) -> their resolved key in `_stores`."""


def open_memory(path: str | Path | None) -> MemoryStore:
    """The process's store for `path`, one per resolved directory; None: the shared in-memory one;
    an http(s):// URL: a Chroma server; a postgresql:// URL: PostgreSQL with pgvector.

    Graph nodes call this on every step, so it must be cheap and must not open a second Chroma
    client on a directory that is already open.
    """
    if path is not None and (not isinstance(path, str | Path) or not str(path).strip()):
        raise ValueError(f"path must be a directory path or None, got {path!r}")
    if isinstance(path, str) and path.startswith(PG_SCHEMES):
        with _stores_lock:  # PostgreSQL with pgvector: one store (one connection) per URL
            store = _stores.get(path)
            if store is None or store.closed:
                store = _stores[path] = PgMemoryStore(path)
            return store
    if isinstance(path, str) and path.startswith(("http://", "https://")):
        with _stores_lock:  # a Chroma server: one store per URL
            store = _stores.get(path)
            if store is None or store.closed:
                store = _stores[path] = MemoryStore(path)
            return store
    known = _stores.get(_by_name[path]) if isinstance(path, str) and path in _by_name else None
    if known is not None and not known.closed:
        return known  # graph nodes ask on every step: skip resolving the same path again
    key = None if path is None else str(Path(path).expanduser().resolve())
    if isinstance(path, str) and path.startswith("/"):  # a relative path depends on the cwd
        _by_name[path] = key
    with _stores_lock:
        store = _stores.get(key)
        if store is None or store.closed:
            store = MemoryStore(key)
            _stores[key] = store
        return store
