"""Workers on PostgreSQL and a Chroma server, started by the tests: every user's stream is
processed exactly once, through a worker killed mid-stream and taken over, a 10 s database outage
and a memory-server restart (the workers wait and go on by themselves), and ends exactly as a
single process would have left it."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, proactive
from tests.servers import chroma_server, outage, postgres

pytestmark = pytest.mark.postgres

USERS = [f"user{i}" for i in range(8)]
EVENTS_PER_USER = 56  # 448 events in all
ACTIONS = (
    "opens {f} in Visual Studio Code.",
    "runs the tests and sees a KeyError raised in {f}.",
    "searches the web for 'python {w} example'.",
    "reads the documentation page on {w}.",
    "types a function that parses {w} in {f}.",
    "scrolls through {f} looking for the bug.",
    "writes a paragraph about {w} in the notes.",
)
WORDS = ("csv headers", "dataclasses", "asyncio tasks", "regex groups", "pytest fixtures")


def stream(user: str, n: int = EVENTS_PER_USER) -> list[dict]:
    """A user's activity: varied sentences 40 s apart, the same for the same user."""
    rng = random.Random(user)
    return [
        {
            "time": 1_767_000_000 + 40 * i,
            "text": f"{user} step {i}: the user "
            + rng.choice(ACTIONS).format(f=f"mod_{rng.randrange(9)}.py", w=rng.choice(WORDS)),
        }
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str, str, str]]:
    """One PostgreSQL with two databases (the workers' and a reference), two Chroma servers."""
    import psycopg

    with postgres() as url, chroma_server() as memory, chroma_server() as reference_memory:
        base = url.rsplit("/", 1)[0]
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE workers")
            conn.execute("CREATE DATABASE reference")
        yield f"{base}/workers", memory, f"{base}/reference", reference_memory


def context(memory: str, data: Path):  # noqa: ANN201
    from graphs.context import Context

    return Context(memory_dir=str(data), memory_server=memory)


def thread_state(db: str, thread: str) -> dict:
    from graphs.persistence import build_durable_graph

    snapshot = build_durable_graph("/nonexistent", db=db).get_state(
        {"configurable": {"thread_id": thread}}
    )
    return {"values": snapshot.values, "metadata": snapshot.metadata, "next": snapshot.next}


def comparable(values: dict) -> dict:
    return {
        "events": [(e.time, e.text, e.source) for e in values["events"]],
        "proposals": [p.model_dump() for p in values["proposals"]],
        "feedback": [f.model_dump() for f in values["feedback"]],
        "executions": [
            (x.task, x.kind, x.ok, [c.tool for c in x.calls]) for x in values["executions"]
        ],
    }


def committed(db: str) -> int:
    import psycopg

    with psycopg.connect(db) as conn:
        if not conn.execute("SELECT to_regclass('checkpoints') IS NOT NULL").fetchone()[0]:
            return 0  # no worker has set up its tables yet
        row = conn.execute(
            "SELECT coalesce(sum(taken), 0) FROM ("
            " SELECT thread_id, max((metadata->>'proactive_inputs')::int) AS taken"
            " FROM checkpoints GROUP BY thread_id) t"
        ).fetchone()
    return int(row[0])


def test_three_workers_a_kill_outages_and_a_takeover_process_each_event_once(
    servers: tuple[str, str, str, str], tmp_path: Path
) -> None:
    from cli.runner import chain_digest
    from service.worker import Worker, ingest

    db, memory, reference_db, reference_memory = servers
    for user in USERS:
        ingest(db, user, f"t-{user}", stream(user))
        ingest(reference_db, user, f"t-{user}", stream(user))

    # The reference: one worker, in this process, alone.
    reference = Worker(
        reference_db,
        context(reference_memory, tmp_path / "ref"),
        data_dir=str(tmp_path / "ref"),
        out=open(os.devnull, "w"),
    )
    reference.run(until_idle=True, poll=0.1)
    assert reference.stats.events == len(USERS) * EVENTS_PER_USER

    def start(name: str) -> subprocess.Popen:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cli.main",
                "worker",
                "--db",
                db,
                "--memory",
                memory,
                "--data-dir",
                str(tmp_path / name),
                "--until-idle",
                "--poll",
                "0.1",
                "--name",
                name,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    workers = [start(f"w{i}") for i in range(3)]
    deadline = time.monotonic() + 120
    while committed(db) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)  # poll the database: the kill comes after real commits
    os.kill(workers[0].pid, signal.SIGKILL)
    workers[0].wait()
    at_kill = committed(db)
    assert 60 <= at_kill < len(USERS) * EVENTS_PER_USER  # killed mid-way, with work left
    workers.append(start("w3"))  # the replacement

    def wait_committed(n: int) -> None:
        deadline = time.monotonic() + 300
        while committed(db) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        assert committed(db) < len(USERS) * EVENTS_PER_USER, "no work left for the outage"

    # Then the database stops for 10 s and the memory server restarts; nobody restarts a worker.
    wait_committed(at_kill + 60)
    outage(db, 10)
    wait_committed(committed(db) + 40)
    outage(memory, 3)
    outputs = [w.communicate(timeout=600) for w in workers[1:]]
    for w, (_, err) in zip(workers[1:], outputs, strict=True):
        assert w.returncode == 0, err

    for user in USERS:
        thread = f"t-{user}"
        got, want = thread_state(db, thread), thread_state(reference_db, thread)
        events = stream(user)
        digest = ""
        for event in events:
            digest = chain_digest(digest, event)
        assert got["metadata"]["proactive_inputs"] == len(events)
        assert got["metadata"]["proactive_inputs_digest"] == digest
        assert not got["next"]  # nothing pending
        assert comparable(got["values"]) == comparable(want["values"]), thread
    # Each (thread, event) was fed by exactly one worker, bar at most one event the killed
    # worker left cut short, which its successor finished (logged "resumed") and fed no more.
    fed = [line.split() for out, _ in outputs for line in out.splitlines() if line.count(" ") == 2]
    fed_keys = [(parts[1], parts[2]) for parts in fed]
    assert len(fed_keys) == len(set(fed_keys))
    logs = "".join(out for out, _ in outputs)
    assert "the database is unavailable" in logs and "the memory server is unavailable" in logs
    assert "back after" in logs


def test_ingest_checks_its_input_and_the_threads_owner(
    servers: tuple[str, str, str, str], tmp_path: Path
) -> None:
    db = servers[0]
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"time": 1_767_000_000, "event": "The user opens 'a.py'."}) + "\n")
    done = proactive(
        "ingest", "--db", db, "--user", "ana", "--thread", "ana-notes", "--events", str(good)
    )
    assert done.returncode == 0 and "appended 1 events" in done.stdout
    other = proactive(
        "ingest", "--db", db, "--user", "bo", "--thread", "ana-notes", "--events", str(good)
    )
    assert other.returncode == 2 and "belongs to another user" in other.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good.read_text() + '{"time": 1, "event": ""}\n')
    refused = proactive(
        "ingest", "--db", db, "--user", "ana", "--thread", "ana-notes", "--events", str(bad)
    )
    assert (
        refused.returncode == 2
        and "line 2" in refused.stderr
        and "nothing was appended" in refused.stderr
    )
    from service.events import EventInbox

    assert EventInbox(db).count("ana-notes") == 1


def test_a_worker_refuses_to_start_without_its_servers(tmp_path: Path) -> None:
    from tests.servers import _free_port

    no_memory = proactive(
        "worker", "--db", "postgresql://x@127.0.0.1:1/x", "--data-dir", str(tmp_path)
    )
    assert no_memory.returncode == 2 and "--memory http://host:port" in no_memory.stderr
    url = f"postgresql://postgres@127.0.0.1:{_free_port()}/postgres"
    no_db = proactive(
        "worker", "--db", url, "--memory", "http://127.0.0.1:9", "--data-dir", str(tmp_path)
    )
    assert no_db.returncode == 1 and "error: cannot reach the database" in no_db.stderr


def test_a_drain_the_database_rolled_back_is_left_for_the_next_pass() -> None:
    """A deadlock or serialization failure costs one pass, not the worker."""
    import io

    from psycopg.errors import DeadlockDetected

    from service.events import Work
    from service.worker import Stats, Worker

    class Inbox:
        def work(self, limit: int = 100) -> list[Work]:
            return [Work("t-a", "a", 3), Work("t-b", "b", 2)]

    worker = object.__new__(Worker)
    worker.inbox, worker.stats, worker.name, worker.out = Inbox(), Stats(), "w", io.StringIO()
    drained = []

    def drain(thread: str, user: str) -> int:
        if thread == "t-a":
            raise DeadlockDetected("deadlock detected")
        drained.append(thread)
        return 2

    worker.drain = drain  # type: ignore[method-assign]
    assert worker.run_once() == 2 and drained == ["t-b"]
    assert worker.stats.retried == 1
    assert "w t-a retried later (deadlock detected)" in worker.out.getvalue()


def test_without_the_shared_memory_a_takeover_diverges(
    servers: tuple[str, str, str, str], tmp_path: Path
) -> None:
    """The divergence the write-through rule prevents: with each worker's memory on its own
    disk (the embedded store, as a single process runs it), the worker that takes a user over
    does not have what the first one remembered, so it recalls and decides from less than a
    single process would have; with the shared server it has every record."""
    import psycopg

    from graphs.context import Context
    from memory import open_memory
    from service.worker import Worker, ingest

    db, memory, _, _ = servers
    events = stream("zed")[:24]
    with psycopg.connect(db.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE apart")
        conn.execute("CREATE DATABASE shared")
    base = db.rsplit("/", 1)[0]
    counts = {}
    for mode in ("apart", "shared"):
        url = f"{base}/{mode}"
        ingest(url, "zed", "t-zed", events[:12])
        stores = []
        for name in ("first", "second"):  # the second takes the user over
            data = tmp_path / mode / name
            server = memory if mode == "shared" else ""
            ctx = Context(memory_dir=str(data), memory_server=server, user_id="zed")
            Worker(url, ctx, data_dir=str(data), out=open(os.devnull, "w")).run(
                until_idle=True, poll=0.1
            )
            stores.append(open_memory(server or str(data)))
            if name == "first":
                ingest(url, "zed", "t-zed", events[12:])
        second = stores[1]
        hits = second.search(user="zed", query=events[2]["text"], k=3)
        counts[mode] = (
            second.count(user="zed", kind="event"),
            any(h.text == events[2]["text"] for h in hits),
        )
    shared_events, shared_found = counts["shared"]
    apart_events, apart_found = counts["apart"]
    assert shared_found and not apart_found  # the early event: found only in the shared memory
    assert apart_events < shared_events  # the first worker's records are not there


def test_workers_committing_after_every_node_resume_a_killed_event_exactly_once(
    servers: tuple[str, str, str, str], tmp_path: Path
) -> None:
    """`--durability sync` (the default is exit, tested above): a commit after every node; the
    event a killed worker was in is finished from its last node by the next worker, and the
    threads end as a single process leaves them."""
    import psycopg

    from service.worker import Worker, ingest

    _, memory, _, reference_memory = servers
    base = servers[0].rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE oncesync")
        conn.execute("CREATE DATABASE onceref")
    db, reference_db = f"{base}/oncesync", f"{base}/onceref"
    users = ["x0", "x1"]
    for user in users:
        ingest(db, user, f"t-{user}", stream(user, 40))
        ingest(reference_db, user, f"t-{user}", stream(user, 40))
    reference = Worker(
        reference_db,
        context(reference_memory, tmp_path / "ref"),
        data_dir=str(tmp_path / "ref"),
        out=open(os.devnull, "w"),
    )
    reference.run(until_idle=True, poll=0.1)

    def start(name: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "cli.main", "worker", "--db", db, "--memory", memory,
             "--data-dir", str(tmp_path / name), "--until-idle", "--poll", "0.1",
             "--name", name, "--durability", "sync"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    first = start("e0")
    deadline = time.monotonic() + 120
    while committed(db) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    assert 20 <= committed(db) < 80
    second = start("e1")
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    for user in users:
        got, want = thread_state(db, f"t-{user}"), thread_state(reference_db, f"t-{user}")
        assert got["metadata"]["proactive_inputs"] == 40 and not got["next"]
        assert comparable(got["values"]) == comparable(want["values"]), user
