"""Durable runs: a killed `proactive run` restarts where it stopped; nothing lost or repeated."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from cli.runner import (
    DIGEST_KEY,
    INPUTS_KEY,
    ThreadMismatchError,
    chain_digest,
    read_events,
    run_stream,
)
from graphs.context import Context
from graphs.persistence import CHECKPOINT_FILE, build_durable_graph
from memory import open_memory
from memory.journal import JOURNAL_FILE

ROOT = Path(__file__).resolve().parents[1]
ENV = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}

APPS = ("Visual Studio Code", "the terminal", "Chrome", "Slack", "Word", "Excel")
ACTIONS = (
    "opens {f} in {a}.",
    "scrolls through {f} in {a}.",
    "renames a variable in {f}.",
    "types a function in {f} using {a}.",
    "runs the tests and sees a TypeError raised in {f}.",
    "searches the web for how to fix an ImportError in {f}.",
    "writes a paragraph about {f} in {a}.",
)


def make_events(path: Path, n: int, seed: int = 7) -> list[dict]:
    """`n` varied events (each text unique), written as JSON lines."""
    rng = random.Random(seed)
    events = []
    for i in range(n):
        file = f"module_{rng.randrange(40)}.py"
        action = rng.choice(ACTIONS).format(f=file, a=rng.choice(APPS))
        events.append({"time": 1767261600 + 13 * i, "text": f"Step {i}: the user {action}"})
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return events


def thread_values(data_dir: Path, thread: str) -> tuple[dict, dict, tuple]:
    graph = build_durable_graph(data_dir)
    try:
        snapshot = graph.get_state({"configurable": {"thread_id": thread}})
        return snapshot.values, dict(snapshot.metadata or {}), snapshot.next
    finally:
        graph.checkpointer.conn.close()


def memory_inputs(data_dir: Path, thread: str) -> list[tuple[int, str, float]]:
    """(number, text, time) of the thread's user events in memory, by number."""
    memory = open_memory(data_dir)
    memory.flush()  # read Chroma itself below: writes of this process must be there
    entry = memory._collection("default", create=False)
    assert entry is not None
    where = {"$and": [{"thread": thread}, {"record": "event"}, {"source": "user"}]}
    got = entry.collection.get(where=where, include=["documents", "metadatas"])
    rows = [
        (int(meta["index"]), text, float(meta["time"]))
        for text, meta in zip(got["documents"], got["metadatas"], strict=True)
    ]
    return sorted(rows)


def assert_each_input_once(data_dir: Path, thread: str, events: list[dict]) -> dict:
    values, metadata, pending = thread_values(data_dir, thread)
    assert pending == ()
    stored = values["events"]
    inputs = [e for e in stored if e.source != "agent"]
    # The state keeps the latest events only (a window); they are the stream's last ones.
    assert 0 < len(inputs) <= len(events)
    tail = events[len(events) - len(inputs) :]
    assert [e.text for e in inputs] == [e["text"] for e in tail]  # in order, none twice
    assert [e.time for e in inputs] == [float(e["time"]) for e in tail]
    assert metadata[INPUTS_KEY] == len(events)
    # Memory holds every input once, in order: it keys events by (thread, number), so a
    # replayed step cannot add a second copy, and the checkpoint's count agrees with it.
    remembered = memory_inputs(data_dir, thread)
    assert [text for _, text, _ in remembered] == [e["text"] for e in events]
    assert [t for _, _, t in remembered] == [float(e["time"]) for e in events]
    assert len({number for number, _, _ in remembered}) == len(events)
    memory = open_memory(data_dir)
    total = values.get("event_base", 0) + len(stored)  # every event the thread ever had
    assert memory.count(user="default", thread=thread, kind="event") == total - len(
        values.get("errors", [])
    )
    return values


def pending_journal_writes(data_dir: Path) -> int:
    """Memory writes in the journal that have not reached the vector store yet."""
    path = data_dir / JOURNAL_FILE
    assert path.is_file(), f"no memory journal at {path}"
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT COUNT(*) FROM pending").fetchone()[0])
    finally:
        db.close()


@pytest.mark.parametrize("durability", ["exit", "sync"])
def test_a_killed_run_restarts_where_it_stopped(tmp_path: Path, durability: str) -> None:
    """Crash under load: kill -9 amid a 1,000-event run; the restart takes each event once."""
    total = 1000
    events_file, data_dir = tmp_path / "events.jsonl", tmp_path / "data"
    events = make_events(events_file, total)
    command = [
        sys.executable,
        "-m",
        "cli.main",
        "run",
        "--events",
        str(events_file),
        "--data-dir",
        str(data_dir),
        "--thread",
        "T",
        "--durability",
        durability,
    ]
    first = subprocess.Popen(
        command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # Each handled event prints a "[index] time text" line once its last checkpoint is written:
    # kill the process at a random moment once a good part of the stream went through.
    kill_after = random.randrange(total * 3 // 10, total * 7 // 10)
    handled = threading.Semaphore(0)

    def count_steps() -> None:
        assert first.stdout is not None
        for line in first.stdout:
            if line.startswith("["):
                handled.release()

    reader = threading.Thread(target=count_steps, daemon=True)
    reader.start()
    deadline = time.monotonic() + 600  # generous: a loaded CI machine may be slow
    try:
        for seen in range(kill_after):
            left = deadline - time.monotonic()
            assert handled.acquire(timeout=max(left, 0.01)), f"stuck after {seen} events"
        time.sleep(random.uniform(0.0, 0.05))  # anywhere in the next step
        assert first.poll() is None, first.stderr.read() if first.stderr else ""
        os.kill(first.pid, signal.SIGKILL)
    finally:
        if first.poll() is None:
            first.kill()
        first.wait(timeout=60)
        reader.join(timeout=60)
    assert first.returncode == -signal.SIGKILL
    _, metadata, _ = thread_values(data_dir, "T")
    cut_at = metadata[INPUTS_KEY]
    assert kill_after <= cut_at < total, (kill_after, cut_at)
    left_behind = pending_journal_writes(data_dir)  # writes the kill kept out of Chroma

    second = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=900)
    assert second.returncode == 0, second.stderr
    assert f"thread T: skipped {cut_at} events already processed" in second.stdout
    resumed = "thread T: finishing event" in second.stdout  # killed inside a step, or between
    assert f"(resumed {int(resumed)} cut short)" in second.stdout
    assert second.stdout.count("\n[") == total - cut_at + resumed
    print(
        f"{durability}: killed after {kill_after} events printed, checkpoint at {cut_at}, "
        f"{left_behind} memory writes left in the journal, resumed {int(resumed)} cut short"
    )
    # The finished run left no memory write behind in the journal (a killed one may have:
    # the restart replayed them), and memory and checkpoint agree on every event, once each.
    assert pending_journal_writes(data_dir) == 0
    assert_each_input_once(data_dir, "T", events)

    # Once all is done, running it again skips every event and processes none.
    third = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=900)
    assert third.returncode == 0, third.stderr
    assert f"thread T: skipped {total} events already processed (resumed 0" in third.stdout
    assert "\n[" not in third.stdout
    assert third.stdout.rstrip().splitlines()[-1].startswith("0 events: ")
    assert pending_journal_writes(data_dir) == 0
    _, metadata, pending = thread_values(data_dir, "T")
    assert (metadata[INPUTS_KEY], pending) == (total, ())
    # The CLI keeps only the latest checkpoint of a thread: the file grows linearly.
    db = sqlite3.connect(data_dir / CHECKPOINT_FILE)
    try:
        rows = db.execute("SELECT COUNT(*) FROM checkpoints WHERE thread_id = 'T'").fetchone()
    finally:
        db.close()
    assert rows == (1,)


def test_an_event_cut_short_mid_graph_is_finished_not_fed_again(tmp_path: Path) -> None:
    events_file = tmp_path / "events.jsonl"
    events = make_events(events_file, 6, seed=3)
    context = Context(memory_dir=str(tmp_path))
    graph = build_durable_graph(tmp_path)
    run_stream(
        graph,
        read_events(json.dumps(e) for e in events[:3]),
        thread="T",
        context=context,
        out=io.StringIO(),
        resume=True,
    )
    # The fourth event stops between `remember` and `detect`, as a kill there would leave it.
    digest = graph.get_state({"configurable": {"thread_id": "T"}}).metadata[DIGEST_KEY]
    fourth = next(e for _, e in read_events([json.dumps(events[3])]))
    config = {
        "configurable": {"thread_id": "T"},
        "metadata": {INPUTS_KEY: 4, DIGEST_KEY: chain_digest(digest, fourth)},
    }
    graph.invoke({"event": fourth}, config, context=context, interrupt_before=["detect"])
    assert graph.get_state(config).next == ("detect",)
    graph.checkpointer.conn.close()

    out = io.StringIO()
    restarted = build_durable_graph(tmp_path)
    summary = run_stream(
        restarted,
        read_events(events_file.read_text().splitlines()),
        thread="T",
        context=context,
        out=out,
        resume=True,
    )
    restarted.checkpointer.conn.close()
    text = out.getvalue()
    assert "thread T: finishing event 4, cut short by an earlier stop" in text
    assert "thread T: skipped 4 events already processed (resumed 1 cut short)" in text
    assert (summary.resumed, summary.skipped, summary.events) == (1, 4, 3)
    assert_each_input_once(tmp_path, "T", events)


class Killed(BaseException):
    """Stands for a kill -9: nothing after it runs (not even `except Exception`)."""


def test_a_kill_after_a_node_saved_its_writes_finishes_that_event(tmp_path: Path) -> None:
    """With sync durability a node's writes are saved before the checkpoint they lead to.

    Killed in between, the thread's latest checkpoint has its next task done (`get_state`
    shows the writes applied and `next` empty) but not applied: the event must be finished
    from there, not taken as done (a new input would discard those writes and lose it).
    """
    events_file = tmp_path / "events.jsonl"
    events = make_events(events_file, 6, seed=3)
    lines = events_file.read_text().splitlines()
    context = Context(memory_dir=str(tmp_path))
    graph = build_durable_graph(tmp_path)
    run_stream(
        graph,
        read_events(lines[:3]),
        thread="T",
        context=context,
        out=io.StringIO(),
        resume=True,
        durability="sync",
    )
    put = graph.checkpointer.put

    def killed_at_the_window_checkpoint(config, checkpoint, metadata, new_versions):  # noqa: ANN001, ANN202
        if "events" in new_versions:  # `observe` ran and its writes are saved
            raise Killed
        return put(config, checkpoint, metadata, new_versions)

    graph.checkpointer.put = killed_at_the_window_checkpoint  # type: ignore[method-assign]
    with pytest.raises(Killed):
        run_stream(
            graph,
            read_events(lines[:4]),
            thread="T",
            context=context,
            out=io.StringIO(),
            resume=True,
            durability="sync",
        )
    graph.checkpointer.conn.close()
    stopped = build_durable_graph(tmp_path)
    snapshot = stopped.get_state({"configurable": {"thread_id": "T"}})
    assert [task.name for task in snapshot.tasks] == ["observe"]  # done, not applied
    out = io.StringIO()
    run_stream(
        stopped,
        read_events(lines),
        thread="T",
        context=context,
        out=out,
        resume=True,
        durability="sync",
    )
    stopped.checkpointer.conn.close()
    assert "thread T: finishing event 4, cut short by an earlier stop" in out.getvalue()
    assert_each_input_once(tmp_path, "T", events)


def test_other_events_on_a_processed_thread_are_refused(tmp_path: Path) -> None:
    context = Context(memory_dir=str(tmp_path))
    graph = build_durable_graph(tmp_path)
    first = make_events(tmp_path / "a.jsonl", 3, seed=1)
    other = make_events(tmp_path / "b.jsonl", 5, seed=2)
    run_stream(
        graph,
        read_events(json.dumps(e) for e in first),
        thread="T",
        context=context,
        out=io.StringIO(),
        resume=True,
    )
    with pytest.raises(ThreadMismatchError, match="already processed 3 events"):
        run_stream(
            graph,
            read_events(json.dumps(e) for e in other),
            thread="T",
            context=context,
            out=io.StringIO(),
            resume=True,
        )
    graph.checkpointer.conn.close()
    assert_each_input_once(tmp_path, "T", first)  # nothing of the other stream was fed


def test_a_durable_graph_keeps_a_thread_across_processes(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        from graphs.context import Context
        from graphs.persistence import build_durable_graph

        data_dir, text = sys.argv[1], sys.argv[2]
        graph = build_durable_graph(data_dir)
        config = {"configurable": {"thread_id": "shared"}}
        before = len(graph.get_state(config).values.get("events", []))
        event = {"time": 1767261600 + before, "text": text}
        graph.invoke({"event": event}, config, context=Context(memory_dir=data_dir))
        print(before)
        """
    )
    texts = ["The user opens 'notes.md' in Word.", "The user scrolls through 'notes.md'."]
    seen = []
    for text in texts:
        done = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path), text],
            cwd=ROOT,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        seen.append(int(done.stdout.split()[-1]))
    assert seen[0] == 0 and seen[1] >= 1  # the second process saw what the first stored
    assert (tmp_path / CHECKPOINT_FILE).is_file()
    values, _, pending = thread_values(tmp_path, "shared")
    assert pending == ()
    assert [e.text for e in values["events"] if e.source == "user"] == texts
