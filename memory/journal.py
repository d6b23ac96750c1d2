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
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from memory.safe_json import MAX_LINE_BYTES, loads

_log = logging.getLogger(__name__)

JOURNAL_FILE = "memory-journal.sqlite"
"""Name of the journal inside a memory directory."""


class JournalRecord(NamedTuple):
    """One pending write: a record to upsert into a user's collection."""

    seq: int
    user: str
    id: str
    text: str
    metadata: dict[str, Any]


_SCALARS = (str, int, float, bool)
"""Metadata values a vector store accepts."""


def _record(seq: Any, user: Any, record_id: Any, text: Any, metadata: Any) -> JournalRecord:
    """One row as a record; ValueError says what is wrong with a row this journal did not write."""
    for name, value in (("user", user), ("id", record_id), ("text", text)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} is not a non-empty text")
        if len(value) > MAX_LINE_BYTES:
            raise ValueError(f"{name} is longer than {MAX_LINE_BYTES} characters")
    if not isinstance(metadata, str):
        raise ValueError("metadata is not JSON text")
    decoded = loads(metadata)  # JsonLineError (a ValueError): too long, too deep, not JSON
    if not isinstance(decoded, dict) or not all(
        isinstance(k, str) and isinstance(v, _SCALARS) for k, v in decoded.items()
    ):
        raise ValueError("metadata is not an object of plain values")
    return JournalRecord(int(seq), user, record_id, text, decoded)


class WriteJournal:
    """Pending memory writes, durable across a killed process."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # check_same_thread=False: LangGraph may call nodes from worker threads; every use of the
        # connection holds `self._lock`.
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30.0)
        self._lock = threading.Lock()
        self.notices: list[str] = []
        """What reading the journal set aside, one line each."""
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
        """Every pending record, oldest first. A row that is not a record this journal could
        have written (hostile or damaged content) is moved to the `damaged` table, kept for a
        person to inspect, and named in `notices`: it must not stop every start."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, user, id, text, metadata FROM pending ORDER BY seq"
            ).fetchall()
        records, damaged = [], []
        for seq, user, record_id, text, metadata in rows:
            try:
                records.append(_record(seq, user, record_id, text, metadata))
            except ValueError as err:
                damaged.append(int(seq))
                self.notices.append(
                    f"memory journal {self.path}: pending write {seq} is damaged ({err}); "
                    "it was moved to the journal's 'damaged' table and skipped"
                )
                _log.warning("%s", self.notices[-1])
        if damaged:
            self._set_aside(damaged)
        return records

    def _set_aside(self, seqs: list[int]) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS damaged (seq INTEGER PRIMARY KEY, user, id, text, "
                "metadata)"
            )
            for seq in seqs:
                self._conn.execute(
                    "INSERT OR REPLACE INTO damaged SELECT seq, user, id, text, metadata "
                    "FROM pending WHERE seq = ?",
                    (seq,),
                )
                self._conn.execute("DELETE FROM pending WHERE seq = ?", (seq,))

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
