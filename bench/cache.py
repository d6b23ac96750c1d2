"""An on-disk cache of chat-model calls, so an interrupted benchmark run resumes for free.

One SQLite file (`calls.sqlite` in the cache directory). A call is keyed by a SHA-256 of the
backend setting, the OpenAI-compatible endpoint in use (the same model name on another server is
another model) and the exact messages (type and content, in order). The value is the reply text
and the token usage the backend reported, if any. Only successful calls are stored: a call that
raised is not, so a rerun tries it again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage

CACHE_FILE = "calls.sqlite"
"""File name of the cache inside its directory."""


def call_key(spec: str, messages: Sequence[BaseMessage]) -> str:
    """The cache key of one call: a hash of (backend setting, endpoint, messages)."""
    payload = {
        "spec": spec.strip(),
        "endpoint": os.environ.get("OPENAI_BASE_URL", "") if not spec.startswith("custom:") else "",
        "messages": [[m.type, _content(m.content)] for m in messages],
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _content(content: Any) -> Any:
    return content if isinstance(content, str) else json.loads(json.dumps(content, default=str))


@dataclass(frozen=True)
class CachedCall:
    """A stored reply."""

    text: str
    """The reply's text content."""
    usage: dict[str, Any] | None
    """Token usage the backend reported (input_tokens, output_tokens, total_tokens), if any."""


class CallCache:
    """A thread-safe SQLite store of model replies; `None` directory means no caching."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.hits = 0
        """Lookups answered from the store during this process."""
        self.misses = 0
        """Lookups not found (the caller then made the call)."""
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(directory / CACHE_FILE, check_same_thread=False)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, spec TEXT, "
                "text TEXT NOT NULL, usage TEXT)"
            )
            self._db.commit()

    @property
    def enabled(self) -> bool:
        return self._db is not None

    def get(self, key: str) -> CachedCall | None:
        """The stored reply for a key, or None."""
        if self._db is None:
            return None
        with self._lock:
            row = self._db.execute("SELECT text, usage FROM calls WHERE key = ?", (key,)).fetchone()
            if row is None:
                self.misses += 1
                return None
            self.hits += 1
        return CachedCall(text=row[0], usage=json.loads(row[1]) if row[1] else None)

    def put(self, key: str, spec: str, text: str, usage: dict[str, Any] | None) -> None:
        """Store a reply (committed at once, so a crash loses at most the call in flight)."""
        if self._db is None:
            return
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO calls (key, spec, text, usage) VALUES (?, ?, ?, ?)",
                (key, spec, text, json.dumps(usage) if usage else None),
            )
            self._db.commit()

    def __len__(self) -> int:
        if self._db is None:
            return 0
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM calls").fetchone()[0])

    def close(self) -> None:
        if self._db is not None:
            with self._lock:
                self._db.close()
                self._db = None
