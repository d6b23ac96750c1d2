"""Checkpoints in PostgreSQL (`--db postgresql://...`), against a real server the tests start:
runs resume there, a killed run loses and repeats nothing, the thread lease is an advisory lock
that holds across data directories, and a bad database is one clear line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, proactive
from tests.servers import postgres

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def db() -> Iterator[str]:
    with postgres() as url:
        yield url


def events_file(path: Path, count: int, start: int = 0) -> Path:
    path.write_text(
        "".join(
            json.dumps(
                {"time": 1_767_000_000 + 20 * i, "event": f"Step {i}: the user edits 'm{i}.py'."}
            )
            + "\n"
            for i in range(start, start + count)
        )
    )
    return path


def state(db: str, thread: str) -> dict:
    from graphs.persistence import build_durable_graph

    graph = build_durable_graph("/nonexistent", db=db)
    return graph.get_state({"configurable": {"thread_id": thread}})


def test_a_run_keeps_its_thread_in_postgres_and_resumes(db: str, tmp_path: Path) -> None:
    events = events_file(tmp_path / "e.jsonl", 4)
    data = tmp_path / "data"
    first = proactive(
        "run", "--events", str(events), "--data-dir", str(data), "--db", db, "--thread", "pg-one"
    )
    assert first.returncode == 0, first.stderr
    assert not (data / "checkpoints.sqlite").exists()  # the thread is in the database
    snapshot = state(db, "pg-one")
    assert [e.text for e in snapshot.values["events"] if e.source == "user"][-1].startswith(
        "Step 3"
    )
    again = proactive(
        "run", "--events", str(events), "--data-dir", str(data), "--db", db, "--thread", "pg-one"
    )
    assert again.returncode == 0 and "skipped 4 events already processed" in again.stdout


def _inputs(db: str, thread: str) -> int:
    import psycopg

    with psycopg.connect(db) as conn:
        try:
            row = conn.execute(
                "SELECT max((metadata->>'proactive_inputs')::int) FROM checkpoints "
                "WHERE thread_id = %s",
                (thread,),
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0  # the run has not created its tables yet
    return int(row[0] or 0)


def test_a_killed_run_resumes_from_postgres_exactly_once(db: str, tmp_path: Path) -> None:
    from cli.runner import INPUTS_KEY

    assert INPUTS_KEY == "proactive_inputs"
    events = events_file(tmp_path / "e.jsonl", 40)
    data = tmp_path / "data"
    args = [
        sys.executable,
        "-m",
        "cli.main",
        "run",
        "--events",
        str(events),
        "--data-dir",
        str(data),
        "--db",
        db,
        "--thread",
        "pg-kill",
        "--durability",
        "sync",
    ]
    runner = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _inputs(db, "pg-kill") < 8 and time.monotonic() < deadline:
        time.sleep(0.05)  # poll the database: kill after some events are committed
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    taken = _inputs(db, "pg-kill")
    assert 8 <= taken < 40
    done = proactive(
        "run", "--events", str(events), "--data-dir", str(data), "--db", db, "--thread", "pg-kill"
    )
    assert done.returncode == 0, done.stderr
    snapshot = state(db, "pg-kill")
    texts = [e.text for e in snapshot.values["events"] if e.source == "user"]
    assert texts == [f"Step {i}: the user edits 'm{i}.py'." for i in range(40)][-len(texts) :]
    assert len(texts) == len(set(texts)) and _inputs(db, "pg-kill") == 40
    assert not snapshot.next


def test_the_lease_is_held_in_the_database(db: str, tmp_path: Path) -> None:
    """Two runs of one thread with different data directories (as on two machines): the second
    is refused by the advisory lock, naming the first."""
    # Enough events that the first run is still writing when the second starts (one process
    # start, about 2 s here, is the time of some 60 events).
    events = events_file(tmp_path / "e.jsonl", 600)
    args = [
        sys.executable,
        "-m",
        "cli.main",
        "run",
        "--events",
        str(events),
        "--db",
        db,
        "--thread",
        "pg-lease",
    ]
    first = subprocess.Popen(
        [*args, "--data-dir", str(tmp_path / "a")],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while _inputs(db, "pg-lease") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    second = proactive(
        "run",
        "--events",
        str(events),
        "--db",
        db,
        "--thread",
        "pg-lease",
        "--data-dir",
        str(tmp_path / "b"),
    )
    first.communicate(timeout=300)
    assert first.returncode == 0
    assert second.returncode == 2
    assert f"thread 'pg-lease' in the database is being written by proactive {first.pid}@" in (
        second.stderr
    )


def test_a_database_that_cannot_be_reached_is_one_line(tmp_path: Path) -> None:
    from tests.servers import _free_port

    url = f"postgresql://postgres@127.0.0.1:{_free_port()}/postgres"
    done = proactive(
        "run",
        "--events",
        str(events_file(tmp_path / "e.jsonl", 1)),
        "--data-dir",
        str(tmp_path / "d"),
        "--db",
        url,
    )
    assert done.returncode == 1
    [line] = [x for x in done.stderr.splitlines() if x.strip()]
    assert line.startswith("error: cannot reach the database") and "Traceback" not in done.stderr


def test_a_schema_from_a_newer_version_is_refused(db: str, tmp_path: Path) -> None:
    import psycopg

    newer = db.rsplit("/", 1)[0] + "/newer"
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE DATABASE newer")
    with psycopg.connect(newer, autocommit=True) as conn:
        conn.execute("CREATE TABLE checkpoint_migrations (v INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO checkpoint_migrations VALUES (999)")
    done = proactive(
        "run",
        "--events",
        str(events_file(tmp_path / "e.jsonl", 1)),
        "--data-dir",
        str(tmp_path / "d"),
        "--db",
        newer,
    )
    assert done.returncode == 1
    assert "error: the checkpoint tables were set up by a newer version (schema 999" in done.stderr


def test_the_inbox_answers_threads_kept_in_postgres(db: str, tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from graphs.context import Context
    from ui.app import Settings, create_app

    events = events_file(tmp_path / "e.jsonl", 2)
    data = tmp_path / "data"
    done = proactive(
        "run",
        "--events",
        str(events),
        "--data-dir",
        str(data),
        "--db",
        db,
        "--thread",
        "pg-inbox",
        "--feedback",
        "inbox",
    )
    assert done.returncode == 0 and "waiting for your answer" in done.stdout
    context = Context(memory_dir=str(data), feedback_mode="human")
    api = TestClient(
        create_app(Settings(data_dir=data, context=context, db=db, allowed_hosts=("testserver",)))
    )
    waiting = [p for p in api.get("/api/pending").json()["pending"] if p["thread"] == "pg-inbox"]
    assert len(waiting) == 1
    named = waiting[0]["proposal_id"]
    reply = api.post(
        "/api/answer",
        json={"thread": "pg-inbox", "response": [{"type": "accept"}], "proposal_id": named},
    )
    assert reply.status_code == 200 and reply.json()["status"] == "executed"


def test_processes_setting_up_a_fresh_database_at_once_all_start(db: str) -> None:
    """The checkpoint migrations build indexes CONCURRENTLY, which wait for every open
    transaction: a process waiting in pg_advisory_lock for the one setting up would close a
    circle that PostgreSQL breaks by killing it (a worker of three started together died so)."""
    from concurrent.futures import ThreadPoolExecutor

    import psycopg

    from graphs.persistence import postgres_checkpointer

    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE DATABASE setup_race")
    fresh = db.rsplit("/", 1)[0] + "/setup_race"

    def open_one(_: int) -> str:
        saver = postgres_checkpointer(fresh)
        saver.conn.close()
        return "ok"

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(open_one, range(6))) == ["ok"] * 6
