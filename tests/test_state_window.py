"""The state keeps a window of the latest events and records, so a long thread costs the same per
step as a short one; events keep their numbers as the window moves, and memory keeps them all."""

from __future__ import annotations

from pathlib import Path

from graphs.agent import build_graph
from graphs.context import Context
from graphs.serde import checkpoint_serde
from graphs.state import (
    EVENT_WINDOW,
    RECORD_WINDOW,
    Event,
    State,
    Trim,
    append_events,
    keep_last,
)
from memory import open_memory


def ev(i: int, source: str = "user") -> Event:
    return Event(time=1_000 + i, text=f"event {i}", source=source)  # type: ignore[arg-type]


def test_append_events_applies_a_leading_trim_and_otherwise_appends() -> None:
    window = [ev(0), ev(1), ev(2)]
    assert append_events(window, [ev(3)]) == [ev(0), ev(1), ev(2), ev(3)]
    assert append_events(window, [Trim(drop=2), ev(3)]) == [ev(2), ev(3)]
    assert append_events(window, [Trim(drop=0), ev(3)]) == [*window, ev(3)]
    assert window == [ev(0), ev(1), ev(2)]  # the old value is not changed in place


def test_keep_last_keeps_the_latest_items_in_order() -> None:
    reduce = keep_last(3)
    assert reduce([1, 2], [3]) == [1, 2, 3]
    assert reduce([1, 2, 3], [4, 5]) == [3, 4, 5]


def test_event_numbers_survive_the_moving_window() -> None:
    state = State(events=[ev(10), ev(11), ev(12)], event_base=10, current=1)
    assert state.current_index == 11
    assert state.next_index == 13
    assert state.event_numbered(12) == ev(12)
    assert state.event_numbered(9) is None and state.event_numbered(13) is None


def test_a_long_thread_keeps_a_bounded_state_and_every_event_in_memory(tmp_path: Path) -> None:
    graph = build_graph()
    context = Context(memory_dir=str(tmp_path))
    config = {"configurable": {"thread_id": "long"}}
    n = EVENT_WINDOW + 40
    sizes = []
    for i in range(n):
        text = f"Step {i}: the user runs the tests and sees a TypeError in module_{i % 7}.py."
        out = graph.invoke(
            {"event": {"time": 1_767_261_600 + 20 * i, "text": text}}, config, context=context
        )
        if i in (EVENT_WINDOW + 5, n - 1):
            snapshot = graph.get_state(config)
            sizes.append(len(checkpoint_serde().dumps_typed(snapshot.values)[1]))
    events, base = out["events"], out["event_base"]
    assert len(events) <= EVENT_WINDOW + 10  # the window, plus the agent's events of one step
    assert base > 0
    current = events[out["current"]]
    assert current.source == "user" and current.text.startswith(f"Step {n - 1}:")
    # Inputs in the window are the stream's last ones, in order.
    users = [e.text.split(":")[0] for e in events if e.source == "user"]
    assert users == [f"Step {i}" for i in range(n - len(users), n)]
    for name in ("proposals", "feedback", "executions", "errors"):
        assert len(out[name]) <= RECORD_WINDOW
    # Proposals name their event by its number, which still finds it while it is in the window.
    state = State(events=events, event_base=base, current=out["current"])
    for proposal in out["proposals"]:
        found = state.event_numbered(proposal.event_index)
        assert found is None or found.source == "user"
    # Memory holds every event of the thread once: numbers 0 .. base + len(events) - 1.
    memory = open_memory(tmp_path)
    assert memory.count(user="default", thread="long", kind="event") == base + len(events) - len(
        out["errors"]
    )
    # A step's checkpoint no longer grows with the thread.
    assert sizes[1] < 1.5 * sizes[0]
