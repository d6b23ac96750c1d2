"""The latency benchmark's plain calls are the graph's steps: same decisions, event by event."""

from __future__ import annotations

import json
from collections import defaultdict
from importlib import resources
from pathlib import Path

from benchmarks.latency import PlainAgent
from graphs.agent import build_graph
from graphs.context import Context


def test_plain_calls_make_the_same_decisions_as_the_graph(tmp_path: Path) -> None:
    text = resources.files("cli.scenarios").joinpath("coding.jsonl").read_text()
    events = [
        {"time": row["time"], "text": row["event"]}
        for row in map(json.loads, text.splitlines())
        if row
    ]
    plain = PlainAgent(Context(memory_dir=str(tmp_path / "plain")))
    graph = build_graph()
    context = Context(memory_dir=str(tmp_path / "graph"))
    config = {"configurable": {"thread_id": "same"}}
    times: dict[str, list[float]] = defaultdict(list)
    for event in events:
        mine = plain.invoke(event, "same", times)
        theirs = graph.invoke({"event": event}, config, context=context)
        assert mine.status == theirs["status"], event["text"]
        assert mine.proposals == theirs["proposals"]
        assert mine.events == theirs["events"]
    assert set(times) >= {"observe", "remember", "detect", "draft", "feedback", "execute"}
    assert len(times["observe"]) == len(events)
