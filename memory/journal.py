"""A write-ahead journal for memory writes that are not yet in the vector store.

A Chroma upsert on disk costs about 20 ms however few records it carries (it syncs its files),
and about 1.5 ms per record in batches. So a store on disk collects writes and upserts them in
batches; until then they wait here: one row per record in a small SQLite file (WAL mode, no sync
per commit, so an append costs a fraction of a millisecond), committed before the write returns.
A process killed with pending writes loses none: the next store opened on the directory upserts
what the journal holds before anything else. Upserts are idempotent (ids identify records), so
replaying a record that did reach Chroma before the kill stores it once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

JOURNAL_FILE = "memory-journal.sqlite"
"""Name of the journal inside a memory directory."""


class JournalRecord(NamedTuple):
    """One pending write: a record to upsert into a user's collection."""

    seq: int
    user: str
    id: str
    text: str
    metadata: dict[str, Any]


class WriteJournal:
    """Pending memory writes, durable across a killed process."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # check_same_thread=False: LangGraph may call nodes from worker threads; every use of the
        # connection holds `self._lock`.
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30.0)
        self._lock = threading.Lock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS pending (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                "user TEXT NOT NULL, id TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL)"
            )
            self._conn.commit()

    def append(
        self,
        user: str,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> list[int]:
        """Store records as pending, in one transaction; return their sequence numbers."""
        with self._lock, self._conn:
            seqs = []
            for record_id, text, metadata in zip(ids, texts, metadatas, strict=True):
                cursor = self._conn.execute(
                    "INSERT INTO pending (user, id, text, metadata) VALUES (?, ?, ?, ?)",
                    (user, record_id, text, json.dumps(metadata, ensure_ascii=False)),
                )
                seqs.append(int(cursor.lastrowid or 0))
            return seqs

    def pending(self) -> list[JournalRecord]:
        """Every pending record, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, user, id, text, metadata FROM pending ORDER BY seq"
            ).fetchall()
        return [
            JournalRecord(int(seq), user, record_id, text, json.loads(metadata))
            for seq, user, record_id, text, metadata in rows
        ]

    def discard(self, upto: int, user: str | None = None) -> None:
        """Forget the pending records numbered up to `upto` (of one user, or of all)."""
        with self._lock, self._conn:
            if user is None:
                self._conn.execute("DELETE FROM pending WHERE seq <= ?", (upto,))
            else:
                self._conn.execute("DELETE FROM pending WHERE seq <= ? AND user = ?", (upto, user))

    def close(self) -> None:
        with self._lock:
            self._conn.close()
