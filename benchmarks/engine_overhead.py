"""What LangGraph's engine costs per event, apart from any node's work.

    python -m benchmarks.engine_overhead [--events 300]

Builds a graph with the agent's state schema and a chain of 1, 3 and 7 nodes that do nothing
(the first one appends an event and trims the window as `observe` does), starts it from a full
state window (64 events, 32 proposals, answers and executions), and times `invoke` per event with
in-memory checkpoints, at durability "exit" (one checkpoint per event) and "async" (one per step,
LangGraph's default). The difference between chain lengths is the cost of a step; what is left at
one node is the cost of an `invoke` itself (its thread pool, reading the state back, the final
checkpoint).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from graphs.context import Context
from graphs.serde import checkpoint_serde
from graphs.state import (
    EVENT_WINDOW,
    RECORD_WINDOW,
    Event,
    Execution,
    Feedback,
    InputState,
    Proposal,
    State,
    ToolCall,
    Trim,
)

NODES = ("observe", "remember", "detect", "draft", "feedback", "refine", "execute")


def no_op(name: str) -> Callable[[State], dict[str, Any]]:
    def node(state: State) -> dict[str, Any]:
        if name == "observe":  # keep the window full and moving, as the real observe does
            text = "The user saves notes.md."
            return {"events": [Trim(drop=1), Event(time=1.0, text=text)], "event": None}
        return {"status": "observing"}

    node.__name__ = name
    return node


def chain(length: int) -> Any:
    builder = StateGraph(State, input_schema=InputState, context_schema=Context)
    names = NODES[:length]
    for name in names:
        builder.add_node(name, no_op(name))
    builder.add_edge(START, names[0])
    for first, then in zip(names, names[1:], strict=False):
        builder.add_edge(first, then)
    builder.add_edge(names[-1], END)
    return builder.compile(checkpointer=InMemorySaver(serde=checkpoint_serde()))


def full_window() -> dict[str, Any]:
    text = "The user runs the tests and sees a TypeError raised in module_{}.py."
    return {
        "events": [Event(time=float(i), text=text.format(i)) for i in range(EVENT_WINDOW)],
        "proposals": [
            Proposal(
                event_index=i,
                task="Explain the TypeError",
                kind="fix_error",
                round=0,
                outcome="accept",
            )
            for i in range(RECORD_WINDOW)
        ],
        "feedback": [
            Feedback(
                answer="accept",
                task="Explain the TypeError",
                kind="fix_error",
                event_index=i,
                time=float(i),
            )
            for i in range(RECORD_WINDOW)
        ],
        "executions": [
            Execution(
                task="Explain the TypeError",
                kind="fix_error",
                calls=[
                    ToolCall(
                        tool="search_text",
                        args={"query": "TypeError"},
                        output="module_3.py:12: ...",
                    )
                ]
                * 3,
            )
            for _ in range(RECORD_WINDOW)
        ],
    }


def per_event_ms(length: int, durability: str, events: int) -> float:
    graph = chain(length)
    config: dict[str, Any] = {"configurable": {"thread_id": "overhead"}}
    graph.update_state(config, full_window(), as_node=NODES[length - 1])
    times = []
    for i in range(events):
        started = time.perf_counter()
        graph.invoke({"event": {"time": i, "text": "x"}}, config, durability=durability)
        times.append(time.perf_counter() - started)
    return statistics.median(times[10:]) * 1000  # the first few warm caches up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300, help="invokes per measurement")
    args = parser.parse_args(argv)
    print(f"median ms per invoke, {args.events} invokes, full state window, no-op nodes")
    print(f"{'nodes':>6}{'exit':>9}{'async':>9}")
    rows = {}
    for length in (1, 3, 7):
        rows[length] = {d: per_event_ms(length, d, args.events) for d in ("exit", "async")}
        print(f"{length:>6}{rows[length]['exit']:>9.2f}{rows[length]['async']:>9.2f}")
    step = (rows[7]["exit"] - rows[1]["exit"]) / 6
    print(
        f"per step (exit): {step:.2f} ms; per invoke beyond its steps: "
        f"{rows[1]['exit'] - step:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
