"""Per-event latency of the agent graph, by node, and what the LangGraph orchestration adds.

    python -m benchmarks.latency [--data DIR] [--rounds 4] [--out DIR]

Replays the ProactiveBench test traces event by event through the agent with the embedded
default (memory in Chroma on disk), in three ways, interleaved trace by trace so that load on
the machine falls on all of them alike:

- ``plain``: the same node functions called one after the other, the routers choosing the next
  one and the state's own reducers merging each update: no LangGraph at all (the steps come from
  the graph's builder, so they are the graph's steps);
- ``graph``: the compiled graph with in-memory checkpoints (what `langgraph dev` and programmatic
  callers get), one `invoke` per event;
- ``durable``: the graph as `proactive run` uses it: SQLite checkpoints, one commit per event.

Prints median, p95 and p99 per event for each, the overhead ratio graph/plain (median and mean),
and the mean time per node (from the plain calls, plus the graph's own per-node times taken with
callbacks in a separate pass). ``--out`` writes the numbers as JSON and a bar chart as PNG.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import statistics
import sys
import tempfile
import time
import typing
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.runnables.config import var_child_runnable_config
from langgraph.graph import END, START
from langgraph.runtime import Runtime

from backends.local import load_models
from backends.local.data import default_data_dir, load_test_traces
from graphs.agent import build_graph, builder
from graphs.context import Context
from graphs.persistence import sqlite_checkpointer
from graphs.state import State

Node = Callable[..., dict[str, Any]]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class PlainAgent:
    """The agent graph's steps as plain function calls (no LangGraph): nodes, edges and routers
    are read from the graph's builder, updates merged with the state's reducers."""

    def __init__(self, context: Context) -> None:
        self.runtime = Runtime(context=context)
        self.nodes: dict[str, Node] = {
            name: spec.runnable.func  # type: ignore[attr-defined]
            for name, spec in builder.nodes.items()
        }
        self.wants_runtime = {
            name: len(inspect.signature(fn).parameters) > 1 for name, fn in self.nodes.items()
        }
        self.next_fixed = {start: end for start, end in builder.edges}
        self.routers = {
            name: next(iter(branches.values())).path.func  # type: ignore[attr-defined]
            for name, branches in builder.branches.items()
        }
        hints = typing.get_type_hints(State, include_extras=True)
        self.reducers = {
            name: hint.__metadata__[0]
            for name, hint in hints.items()
            if hasattr(hint, "__metadata__") and callable(hint.__metadata__[0])
        }
        self.states: dict[str, State] = {}

    def apply(self, state: State, update: dict[str, Any]) -> State:
        merged = {
            key: self.reducers[key](getattr(state, key), value) if key in self.reducers else value
            for key, value in update.items()
        }
        return dataclasses.replace(state, **merged)

    def invoke(self, event: dict[str, Any], thread: str, times: dict[str, list[float]]) -> State:
        """Handle one event of `thread`; add each node's time (seconds) to `times`."""
        state = dataclasses.replace(self.states.get(thread) or State(), event=event)
        token = var_child_runnable_config.set({"configurable": {"thread_id": thread}})
        try:
            node = self.next_fixed[START]
            while node != END:
                fn = self.nodes[node]
                started = time.perf_counter()
                update = fn(state, self.runtime) if self.wants_runtime[node] else fn(state)
                times[node].append(time.perf_counter() - started)
                state = self.apply(state, update or {})
                router = self.routers.get(node)
                node = router(state) if router else self.next_fixed[node]
        finally:
            var_child_runnable_config.reset(token)
        self.states[thread] = state
        return state


class NodeTimer(BaseCallbackHandler):
    """Times the graph's node runs (chain runs named after a node of the graph)."""

    def __init__(self) -> None:
        self.started: dict[UUID, tuple[str, float]] = {}
        self.times: dict[str, list[float]] = defaultdict(list)

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name")
        if metadata and name is not None and metadata.get("langgraph_node") == name:
            self.started[run_id] = (name, time.perf_counter())

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        begun = self.started.pop(run_id, None)
        if begun is not None:
            self.times[begun[0]].append(time.perf_counter() - begun[1])


@contextmanager
def progress(total: int) -> Iterator[Callable[[str], None]]:
    done = 0
    started = time.perf_counter()

    def tick(label: str) -> None:
        nonlocal done
        done += 1
        sys.stderr.write(
            f"\r{done}/{total} trace replays ({label}), {time.perf_counter() - started:.0f} s "
        )
        sys.stderr.flush()

    yield tick
    sys.stderr.write("\n")


def summary(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "events": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 0.95), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="ProactiveBench data directory")
    parser.add_argument("--rounds", type=int, default=4, help="replays of every trace per mode")
    parser.add_argument("--out", type=Path, default=None, help="write latency.json and a PNG here")
    args = parser.parse_args(argv)
    traces = load_test_traces(args.data or default_data_dir())
    load_models()  # loaded once, before any timing
    root = Path(tempfile.mkdtemp(prefix="proactive-latency-"))
    contexts = {
        mode: Context(memory_dir=str(root / mode)) for mode in ("plain", "graph", "durable")
    }
    plain = PlainAgent(contexts["plain"])
    graph = build_graph()
    durable = build_graph(sqlite_checkpointer(root / "checkpoints.sqlite"))
    per_event: dict[str, list[float]] = {"plain": [], "graph": [], "durable": []}
    plain_nodes: dict[str, list[float]] = defaultdict(list)
    timer = NodeTimer()

    def feed(mode: str, thread: str, event: dict[str, Any], nodes: Any = None) -> float:
        started = time.perf_counter()
        if mode == "plain":
            plain.invoke(event, thread, nodes if nodes is not None else defaultdict(list))
        else:
            config: dict[str, Any] = {"configurable": {"thread_id": thread}}
            if nodes is not None:
                config["callbacks"] = [nodes]
            target = graph if mode == "graph" else durable
            durability = "exit" if mode == "durable" else "async"
            target.invoke({"event": event}, config, context=contexts[mode], durability=durability)
        return time.perf_counter() - started

    # Warm-up: one replay per mode, not counted (imports, first Chroma writes, caches).
    for mode in per_event:
        for event in traces[0].events[:10]:
            feed(mode, "warm-up", event.model_dump())
    with progress(args.rounds * len(traces) * 3 + len(traces)) as tick:
        for round_no in range(args.rounds):
            for trace in traces:
                thread = f"{trace.name}-{round_no}"
                for mode in per_event:
                    for event in trace.events:
                        nodes = plain_nodes if mode == "plain" else None
                        per_event[mode].append(feed(mode, thread, event.model_dump(), nodes))
                    tick(mode)
        for trace in traces:  # the graph's per-node times, with callbacks (slower: not counted)
            for event in trace.events:
                feed("graph", f"{trace.name}-timed", event.model_dump(), timer)
            tick("graph, per node")

    result: dict[str, Any] = {mode: summary(values) for mode, values in per_event.items()}
    result["overhead_ratio_median"] = round(
        result["graph"]["median_ms"] / result["plain"]["median_ms"], 3
    )
    result["overhead_ratio_mean"] = round(
        result["graph"]["mean_ms"] / result["plain"]["mean_ms"], 3
    )
    events_total = len(per_event["plain"])
    graph_events = sum(len(t.events) for t in traces)
    result["nodes"] = {
        name: {
            "runs": len(plain_nodes[name]),
            "plain_ms_per_event": round(sum(plain_nodes[name]) * 1000 / events_total, 3),
            "plain_median_ms_per_run": round(statistics.median(plain_nodes[name]) * 1000, 3),
            "graph_ms_per_event": round(sum(timer.times[name]) * 1000 / graph_events, 3),
        }
        for name in builder.nodes
        if plain_nodes.get(name)
    }
    print(f"{events_total} events per mode ({args.rounds} replays of {len(traces)} traces)")
    print(f"{'mode':<10}{'median ms':>11}{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    for mode in per_event:
        s = result[mode]
        print(
            f"{mode:<10}{s['median_ms']:>11.2f}{s['p95_ms']:>9.2f}{s['p99_ms']:>9.2f}"
            f"{s['mean_ms']:>9.2f}"
        )
    print(
        f"orchestration overhead graph/plain: {result['overhead_ratio_median']:.3f}x (median), "
        f"{result['overhead_ratio_mean']:.3f}x (mean)"
    )
    print(f"{'node':<10}{'runs':>6}{'plain ms/event':>16}{'graph ms/event':>16}")
    for name, row in result["nodes"].items():
        print(
            f"{name:<10}{row['runs']:>6}{row['plain_ms_per_event']:>16.3f}"
            f"{row['graph_ms_per_event']:>16.3f}"
        )
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "latency.json").write_text(json.dumps(result, indent=2) + "\n")
        plot(result, args.out / "latency.png")
        print(f"wrote {args.out / 'latency.json'} and {args.out / 'latency.png'}")
    return 0


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    nodes = result["nodes"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    names = list(nodes)
    plain = [nodes[n]["plain_ms_per_event"] for n in names]
    graph = [nodes[n]["graph_ms_per_event"] for n in names]
    xs = range(len(names))
    left.bar([x - 0.2 for x in xs], plain, width=0.4, label="plain calls")
    left.bar([x + 0.2 for x in xs], graph, width=0.4, label="in the graph")
    left.set_xticks(list(xs), names, rotation=30)
    left.set_ylabel("ms per event (mean)")
    left.set_title("Time per node")
    left.legend()
    modes = ["plain", "graph", "durable"]
    for q, offset in (("median_ms", -0.25), ("p95_ms", 0.0), ("p99_ms", 0.25)):
        right.bar(
            [i + offset for i in range(len(modes))],
            [result[m][q] for m in modes],
            width=0.25,
            label=q.replace("_ms", ""),
        )
    right.set_xticks(range(len(modes)), ["plain calls", "graph (in-memory)", "graph (SQLite)"])
    right.set_ylabel("ms per event")
    right.set_title(f"Per event; overhead {result['overhead_ratio_median']:.2f}x (median)")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
