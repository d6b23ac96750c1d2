"""Memory scaling: write and query latency of the on-disk vector memory at 1k, 10k and 100k events.

The store is the project's own: `memory.open_memory(dir)` (a Chroma PersistentClient in a temporary
directory, one collection per user, the offline hashing embedding), used the way the agent uses it.
It is filled incrementally (1k, then 10k, then 100k) and measured at every size:

- fill: batched `add_events` (one write per thread chunk, as seeding memory from a trace does),
  in events a second;
- single write: `add_event` of one event, as the live agent's remember node does at every step;
- query: the remember node's `search(user=..., query=<event sentence>, k=memory_k + 1)`, no filter,
  median / p95 / p99 over `--queries` queries; also a thread-filtered and a two-kinds-filtered
  search (Chroma's metadata filtering), and the first search of a fresh process (cold open);
- disk size of the store directory and the process's resident memory.

Events are realistic sentences: the observation sentences of the shared ProactiveBench test traces
and reward rows plus the bundled scenarios (cli/scenarios/*.jsonl), varied by swapping their quoted
names and numbers so that (nearly) every stored sentence is distinct, spread over threads of 20-400
events with increasing times.

    .venv/bin/python -m benchmarks.memory_scaling [--sizes 1000,10000,100000] [--queries 200]
        [--out DIR] [--plot docs/img/memory_scaling.png] [--quick]

Prints a table (stdout), writes `memory_scaling.json` under --out, and the plot (log x). Progress
goes to stderr. About 4 minutes for the default sizes on two idle cores; --quick: 1k and 5k only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

if not __package__:  # run as a file: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backends.local.data import default_data_dir  # noqa: E402
from graphs.state import Event, Feedback  # noqa: E402
from memory import open_memory  # noqa: E402
from memory.store import MemoryStore  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
USER = "bench-user"
MEMORY_K = 4
"""graphs.context.Context.memory_k's default; the remember node asks for one more."""
TARGET_MS = 20.0
"""Issue 7's target for the query median at 100k events."""

_QUOTED = re.compile(r"'([^']{1,60})'")
_NUMBER = re.compile(r"\b\d{1,4}\b")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the events ---------------------------------------------------------------------------------


def base_sentences(data: Path) -> list[str]:
    """Distinct event sentences of the shared traces, reward rows and bundled scenarios."""
    seen: dict[str, None] = {}
    for path in sorted((data / "test_data").glob("*.json")):
        if path.name == "splits.json":
            continue
        for step in json.loads(path.read_text(encoding="utf-8")):
            seen.setdefault(step["observation"]["event"], None)
    rows = data / "reward_data" / "train_data.jsonl"
    if rows.is_file():
        for line in rows.read_text(encoding="utf-8").splitlines():
            if line.strip():
                for obs in json.loads(line)["obs"]:
                    seen.setdefault(obs["event"], None)
    for path in sorted((ROOT / "cli" / "scenarios").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                seen.setdefault(record.get("event") or record.get("text"), None)
    sentences = [" ".join(s.split()) for s in seen if s and s.strip()]
    if not sentences:
        raise SystemExit(f"no event sentences found under {data} or cli/scenarios")
    return sentences


class EventMaker:
    """Varied event sentences: a real sentence with its quoted names and numbers swapped."""

    def __init__(self, sentences: list[str], seed: int) -> None:
        self.sentences = sentences
        self.names = sorted({m for s in sentences for m in _QUOTED.findall(s)}) or ["notes.txt"]
        self.rng = random.Random(seed)

    def sentence(self) -> str:
        rng = self.rng
        text = rng.choice(self.sentences)
        if rng.random() < 0.8:
            text = _QUOTED.sub(lambda _m: f"'{self._name()}'", text)
        if rng.random() < 0.5:
            text = _NUMBER.sub(lambda _m: str(rng.randint(1, 2000)), text)
        return text

    def _name(self) -> str:
        name = self.rng.choice(self.names)
        if self.rng.random() < 0.5:  # a new variant of a name: 'report.py' -> 'report_417.py'
            stem, dot, ext = name.rpartition(".")
            suffix = str(self.rng.randint(2, 999))
            name = f"{stem}_{suffix}.{ext}" if dot and stem else f"{name} {suffix}"
        return name


class Threads:
    """Threads of 20-400 events each, times increasing within a thread."""

    def __init__(self, maker: EventMaker, seed: int) -> None:
        self.maker = maker
        self.rng = random.Random(seed)
        self.number = 0
        self.left = 0
        self.index = 0
        self.time = 1_767_261_600.0
        self.names: list[str] = []

    def take(self, n: int) -> list[tuple[str, int, list[Event]]]:
        """The next n events as (thread, start index, events) chunks."""
        chunks = []
        while n > 0:
            if self.left == 0:
                self.number += 1
                self.names.append(f"session-{self.number:05d}")
                self.left = self.rng.randint(20, 400)
                self.index = 0
                self.time += self.rng.uniform(3600, 86_400)
            size = min(n, self.left)
            events = []
            for _ in range(size):
                self.time += self.rng.uniform(2, 90)
                events.append(Event(time=self.time, text=self.maker.sentence()))
            chunks.append((self.names[-1], self.index, events))
            self.index += size
            self.left -= size
            n -= size
        return chunks


# --- measuring ----------------------------------------------------------------------------------


def rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def stats_ms(seconds: list[float]) -> dict[str, float]:
    arr = np.asarray(seconds) * 1000
    return {
        "median": round(float(np.median(arr)), 3),
        "p95": round(float(np.percentile(arr, 95)), 3),
        "p99": round(float(np.percentile(arr, 99)), 3),
        "mean": round(float(arr.mean()), 3),
        "n": len(seconds),
    }


def fill(store: MemoryStore, threads: Threads, n: int, batch: int) -> dict[str, float]:
    """Add n events with add_events, at most `batch` per write."""
    chunks = []
    for thread, start, events in threads.take(n):
        for offset in range(0, len(events), batch):
            chunks.append((thread, start + offset, events[offset : offset + batch]))
    started = time.perf_counter()
    done = 0
    last = started
    for thread, start, events in chunks:
        store.add_events(user=USER, thread=thread, events=events, start=start)
        done += len(events)
        now = time.perf_counter()
        if now - last > 10:
            rate = done / (now - started)
            log(f"  fill: {done}/{n} events, {rate:.0f}/s")
            last = now
    seconds = time.perf_counter() - started
    return {"events": n, "seconds": round(seconds, 3), "events_per_s": round(n / seconds, 1)}


def single_writes(store: MemoryStore, threads: Threads, n: int) -> list[float]:
    """n add_event calls, one event each, as the remember node makes them."""
    times = []
    for thread, start, events in threads.take(n):
        for i, event in enumerate(events):
            t0 = time.perf_counter()
            store.add_event(user=USER, thread=thread, index=start + i, event=event)
            times.append(time.perf_counter() - t0)
    return times


def feedback_writes(store: MemoryStore, threads: Threads, maker: EventMaker, n: int) -> list[float]:
    """n add_feedback calls (answers to proposals, as the feedback node stores them)."""
    times = []
    answers = ("accept", "reject", "ignore", "edit")
    for i in range(n):
        thread = threads.names[maker.rng.randrange(len(threads.names))]
        feedback = Feedback(
            answer=answers[i % 4],
            task=f"Explain '{maker._name()}' to the user.",
            kind="explain",
            reason="not now" if i % 4 == 1 else "",
            edited_task="Explain it briefly." if i % 4 == 3 else None,
            event_index=i,
        )
        t0 = time.perf_counter()
        store.add_feedback(user=USER, thread=thread, feedback=feedback, time=threads.time + i)
        times.append(time.perf_counter() - t0)
    return times


def queries(store: MemoryStore, texts: list[str], **kwargs: Any) -> list[float]:
    times = []
    for text in texts:
        t0 = time.perf_counter()
        store.search(user=USER, query=text, **kwargs)
        times.append(time.perf_counter() - t0)
    return times


COLD_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
from memory import open_memory
t1 = time.perf_counter()
store = open_memory(sys.argv[1])
t2 = time.perf_counter()
store.search(user=sys.argv[2], query=sys.argv[3], k=5)
t3 = time.perf_counter()
store.search(user=sys.argv[2], query=sys.argv[4], k=5)
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "open_s": t2 - t1, "first_search_ms": (t3 - t2) * 1000,
                  "second_search_ms": (t4 - t3) * 1000}))
"""


def cold_open(path: Path, first: str, second: str) -> dict[str, float] | None:
    """A fresh process opens the store and searches twice (the first search loads the index)."""
    done = subprocess.run(
        [sys.executable, "-c", COLD_SCRIPT, str(path), USER, first, second],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    if done.returncode != 0:
        log(f"  cold open failed: {done.stderr.strip()[-400:]}")
        return None
    values = json.loads(done.stdout.strip().splitlines()[-1])
    return {key: round(value, 3) for key, value in values.items()}


def measure_size(
    store: MemoryStore,
    path: Path,
    size: int,
    maker: EventMaker,
    thread: str,
    args: argparse.Namespace,
) -> dict[str, Any]:
    texts = [maker.sentence() for _ in range(args.queries)]
    store.search(user=USER, query=texts[0], k=MEMORY_K + 1)  # warm-up
    search = queries(store, texts, k=MEMORY_K + 1)
    few = texts[: max(20, args.queries // 4)]
    by_thread = queries(store, few, k=MEMORY_K + 1, thread=thread)
    by_kinds = queries(store, few, k=MEMORY_K + 1, kinds=["event", "feedback"])
    by_feedback = queries(store, few, k=MEMORY_K + 1, kinds=["feedback"])
    recent = []
    for _ in range(len(few)):
        t0 = time.perf_counter()
        store.recent_feedback(user=USER, limit=20)
        recent.append(time.perf_counter() - t0)
    return {
        "size": size,
        "count": store.count(user=USER),
        "search_ms": stats_ms(search),
        "search_thread_ms": stats_ms(by_thread),
        "search_two_kinds_ms": stats_ms(by_kinds),
        "search_feedback_ms": stats_ms(by_feedback),
        "recent_feedback_ms": stats_ms(recent),
        "disk_mb": round(disk_mb(path), 1),
        "rss_mb": round(rss_mb(), 1),
        "cold": None if args.no_cold else cold_open(path, texts[0], texts[1]),
    }


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib  # noqa: PLC0415 - slow to import

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    sizes = [r["size"] for r in rows]
    fig, ax = plt.subplots(figsize=(9.5, 4.2))
    med = [r["search_ms"]["median"] for r in rows]
    p95 = [r["search_ms"]["p95"] for r in rows]
    ax.plot(sizes, med, "o-", label="search (remember node, k=5): median")
    ax.plot(sizes, p95, "o--", color="C0", alpha=0.5, label="search: p95")
    ax.plot(
        sizes, [r["search_thread_ms"]["median"] for r in rows], "s-", label="search, one thread"
    )
    ax.plot(
        sizes,
        [r["search_two_kinds_ms"]["median"] for r in rows],
        "d-",
        label="search, kinds event+feedback",
    )
    ax.plot(sizes, [r["single_write_ms"]["median"] for r in rows], "^-", label="add_event: median")
    ax.plot(
        sizes,
        [1000 / r["fill"]["events_per_s"] for r in rows],
        "v-",
        label="add_events (batched fill): ms per event",
    )
    ax.plot(
        sizes,
        [r["recent_feedback_ms"]["median"] for r in rows],
        "x-",
        label="recent_feedback (draft node)",
    )
    ax.axhline(TARGET_MS, color="red", lw=0.8, ls=":", label=f"target {TARGET_MS:g} ms")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("records stored")
    ax.set_ylabel("ms")
    ax.set_title("Vector memory (Chroma on disk, hashing embedding): latency vs size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'records':>8} {'fill ev/s':>9} {'add_event ms':>14} {'search ms med/p95/p99':>22} "
        f"{'thread ms':>9} {'2 kinds ms':>10} {'feedback ms':>11} {'recent_fb ms':>12} "
        f"{'cold 1st ms':>11} {'disk MB':>8} {'RSS MB':>7}"
    )
    lines = [head]
    for r in rows:
        s = r["search_ms"]
        w = r["single_write_ms"]
        cold = r["cold"]["first_search_ms"] if r.get("cold") else float("nan")
        lines.append(
            f"{r['size']:>8} {r['fill']['events_per_s']:>9.0f} "
            f"{w['median']:>6.1f}/{w['p95']:>6.1f} "
            f"{s['median']:>7.2f}/{s['p95']:>6.2f}/{s['p99']:>6.2f} "
            f"{r['search_thread_ms']['median']:>9.2f} {r['search_two_kinds_ms']['median']:>10.2f} "
            f"{r['search_feedback_ms']['median']:>11.2f} "
            f"{r['recent_feedback_ms']['median']:>12.2f} "
            f"{cold:>11.1f} {r['disk_mb']:>8.1f} {r['rss_mb']:>7.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="ProactiveBench directory")
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated sizes")
    parser.add_argument("--queries", type=int, default=200, help="searches per size")
    parser.add_argument("--writes", type=int, default=200, help="single add_event calls per size")
    parser.add_argument("--feedback", type=int, default=20, help="add_feedback calls per size")
    parser.add_argument("--batch", type=int, default=1000, help="events per add_events in the fill")
    parser.add_argument("--out", type=Path, default=None, help="write memory_scaling.json here")
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "img" / "memory_scaling.png")
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--no-cold", action="store_true", help="skip the fresh-process search")
    parser.add_argument("--dir", type=Path, default=None, help="store here (default: a temp dir)")
    parser.add_argument("--quick", action="store_true", help="sizes 1000,5000; 50 queries")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--from-json", type=Path, default=None, help="print and plot a saved result (no measuring)"
    )
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads(args.from_json.read_text(encoding="utf-8"))
        print(table(saved["rows"]))
        if not args.no_plot:
            plot(saved["rows"], args.plot)
            log(f"plot: {args.plot}")
        return 0
    if args.quick:
        args.sizes, args.queries, args.writes = "1000,5000", 50, 50
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if not sizes or sizes[0] <= args.writes + args.feedback:
        parser.error("every size must exceed --writes plus --feedback")

    data = args.data or default_data_dir()
    maker = EventMaker(base_sentences(data), args.seed)
    threads = Threads(maker, args.seed + 1)
    log(f"{len(maker.sentences)} base sentences, {len(maker.names)} quoted names")

    tmp = None
    path = args.dir
    if path is None:
        tmp = tempfile.mkdtemp(prefix="memory-scaling-")
        path = Path(tmp)
    store = open_memory(path)
    rows: list[dict[str, Any]] = []
    stored = 0
    try:
        for size in sizes:
            log(f"filling to {size} events ...")
            fill_stats = fill(
                store, threads, size - stored - args.writes - args.feedback, args.batch
            )
            log(f"  fill: {fill_stats}")
            writes = single_writes(store, threads, args.writes)
            answers = feedback_writes(store, threads, maker, args.feedback)
            stored = size
            row = {
                "fill": fill_stats,
                "single_write_ms": stats_ms(writes),
                "feedback_write_ms": stats_ms(answers),
            }
            thread = threads.names[len(threads.names) // 2]
            row.update(measure_size(store, path, size, maker, thread, args))
            log(
                f"  {size}: search median {row['search_ms']['median']} ms, "
                f"add_event median {row['single_write_ms']['median']} ms"
            )
            rows.append(row)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    result = {
        "sizes": sizes,
        "rows": rows,
        "target_query_median_ms": TARGET_MS,
        "settings": {
            "k": MEMORY_K + 1,
            "queries": args.queries,
            "writes": args.writes,
            "feedback": args.feedback,
            "batch": args.batch,
            "embedding_dim": store.embedding.dim,  # type: ignore[attr-defined]
            "cpus": os.cpu_count(),
        },
        "command": "python -m benchmarks.memory_scaling " + " ".join(argv or sys.argv[1:]),
    }
    print(table(rows))
    last = rows[-1]["search_ms"]["median"]
    verdict = "meets" if last <= TARGET_MS else "MISSES"
    print(f"query median at {sizes[-1]}: {last:.2f} ms ({verdict} the {TARGET_MS:g} ms target)")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "memory_scaling.json").write_text(json.dumps(result, indent=2) + "\n")
    if not args.no_plot:
        plot(rows, args.plot)
        log(f"plot: {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
