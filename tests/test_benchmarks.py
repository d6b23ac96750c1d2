"""The latency benchmark's plain calls are the graph's steps; the personal-model benchmark runs."""

from __future__ import annotations

import json
from collections import defaultdict
from importlib import resources
from pathlib import Path

import pytest

from benchmarks import personal_latency
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


@pytest.mark.data
def test_personal_latency_benchmark_runs(
    bench_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    argv = sys.argv
    sys.argv = ["personal_latency", "--data", str(bench_data), "--repeat", "1"]
    try:
        assert personal_latency.main() == 0
    finally:
        sys.argv = argv
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert {(r[0], r[1]) for r in rows} >= {("0", "personal"), ("200", "personal")}
    assert all(float(r[2]) > 0 for r in rows)
