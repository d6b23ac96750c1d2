"""Issue 19, item 3: an answer lands on the proposal the person saw, or on nothing.

Through `proactive ui`'s app and through the worker host's HTTP endpoint (a real `proactive
worker --listen` on PostgreSQL): an answer written for a proposal that has since been answered
or refined is refused with 409 and the proposal that waits now, and changes nothing; of two
answers sent at once exactly one is applied (one checkpoint child, one remembered answer). The
thread lease excludes a second writer of the same process too.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.servers import chroma_server, postgres
from tests.test_service_http import call, new_token, worker_host
from tests.test_ui import SCENARIO, client, paused
from tests.test_workers import stream


def both_at_once(send: Callable[[], tuple[int, Any]]) -> list[tuple[int, Any]]:
    """`send` twice, released together."""
    start = threading.Barrier(2)

    def go() -> tuple[int, Any]:
        start.wait()
        return send()

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda _: go(), range(2)))


def sqlite_children(directory: Path, thread: str, parent: str) -> int:
    """How many checkpoints of `thread` were written on top of `parent` (SQLite)."""
    with sqlite3.connect(directory / "checkpoints.sqlite") as conn:
        return conn.execute(
            "SELECT count(*) FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '' "
            "AND parent_checkpoint_id = ?",
            (thread, parent),
        ).fetchone()[0]


def latest_checkpoint(directory: Path, thread: str) -> str:
    with sqlite3.connect(directory / "checkpoints.sqlite") as conn:
        return conn.execute(
            "SELECT max(checkpoint_id) FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ''",
            (thread,),
        ).fetchone()[0]


# --- the web inbox ---------------------------------------------------------------------------


def test_ui_an_answer_from_a_stale_tab_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    """Two tabs show the first proposal; one rejects it, the other then accepts what it still
    shows: that accept must not execute the refinement the person never saw."""
    paused(tmp_path, SCENARIO.read_text().splitlines()[:3])
    api = client(tmp_path)
    [first] = api.get("/api/pending").json()["pending"]
    assert first["proposal_id"]
    rejected = api.post(
        "/api/answer",
        json={
            "thread": "cli",
            "proposal_id": first["proposal_id"],
            "response": [{"type": "response", "args": "not now"}],
        },
    )
    assert rejected.status_code == 200, rejected.text
    [second] = rejected.json()["waiting"]
    assert second["proposal_id"] != first["proposal_id"] and second["round"] == 1
    before = latest_checkpoint(tmp_path, "cli")

    stale = api.post(
        "/api/answer",
        json={
            "thread": "cli",
            "proposal_id": first["proposal_id"],
            "response": [{"type": "accept"}],
        },
    )
    assert stale.status_code == 409
    reply = stale.json()
    assert "no longer waiting" in reply["error"]
    assert [p["proposal_id"] for p in reply["waiting"]] == [second["proposal_id"]]
    assert reply["waiting"][0]["task"] == second["task"]  # what waits now, to show instead
    assert latest_checkpoint(tmp_path, "cli") == before  # nothing was written
    assert api.get("/api/pending").json()["pending"] == [second]
    assert [h["answer"] for h in api.get("/api/history").json()["history"]] == ["reject"]

    missing = api.post("/api/answer", json={"thread": "cli", "response": [{"type": "accept"}]})
    assert missing.status_code == 400 and "proposal_id" in missing.json()["error"]

    accepted = api.post(
        "/api/answer",
        json={
            "thread": "cli",
            "proposal_id": second["proposal_id"],
            "response": [{"type": "accept"}],
        },
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "executed"
    again = api.post(
        "/api/answer",
        json={
            "thread": "cli",
            "proposal_id": second["proposal_id"],
            "response": [{"type": "accept"}],
        },
    )
    assert again.status_code == 409 and again.json()["waiting"] == []


def test_ui_two_answers_at_once_one_is_applied(tmp_path: Path) -> None:
    paused(tmp_path, SCENARIO.read_text().splitlines()[:3])
    api = client(tmp_path)
    [first] = api.get("/api/pending").json()["pending"]
    parent = latest_checkpoint(tmp_path, "cli")

    def reject() -> tuple[int, Any]:
        reply = api.post(
            "/api/answer",
            json={
                "thread": "cli",
                "proposal_id": first["proposal_id"],
                "response": [{"type": "response", "args": f"no {threading.get_ident()}"}],
            },
        )
        return reply.status_code, reply.json()

    replies = both_at_once(reject)
    assert sorted(status for status, _ in replies) == [200, 409], replies
    assert sqlite_children(tmp_path, "cli", parent) == 1  # no fork of the thread
    history = api.get("/api/history").json()["history"]
    assert [h["answer"] for h in history] == ["reject"]  # one answer remembered
    [applied] = [reply for status, reply in replies if status == 200]
    [refused] = [reply for status, reply in replies if status == 409]
    assert refused["waiting"] == applied["waiting"]  # the refusal shows the refinement


# --- the worker host's HTTP endpoint ---------------------------------------------------------


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    with postgres() as db, chroma_server() as memory:
        yield db, memory


def wait_for_proposal(base: str, token: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, waiting = call(base, "GET", "/proposals", token)
        if waiting["pending"]:
            return waiting["pending"][0]
        time.sleep(0.2)
    pytest.fail("no proposal came to wait")


@pytest.mark.postgres
def test_http_answers_at_once_and_stale_answers(servers: tuple[str, str], tmp_path: Path) -> None:
    import psycopg

    with worker_host(servers, "answers", tmp_path / "host", "--poll", "0.1",
                     "--feedback", "inbox") as host:  # fmt: skip
        db, base = host.db, host.base
        ana = new_token(db, "ana")
        events = stream("ana")[:3]
        status, _ = call(base, "POST", "/events", ana, {"thread": "ana-t", "events": events})
        assert status == 201
        first = wait_for_proposal(base, ana)
        path = f"/proposals/{first['thread']}/answer"
        with psycopg.connect(db) as conn:
            [parent] = conn.execute(
                "SELECT max(checkpoint_id) FROM checkpoints WHERE thread_id = %s "
                "AND checkpoint_ns = ''",
                (first["thread"],),
            ).fetchone()

        # Two rejects sent at once: one applied, the other refused; one child checkpoint.
        replies = both_at_once(
            lambda: call(
                base,
                "POST",
                path,
                ana,
                {
                    "answer": {"type": "response", "args": f"no {threading.get_ident()}"},
                    "proposal_id": first["proposal_id"],
                },
            )  # fmt: skip
        )
        assert sorted(status for status, _ in replies) == [200, 409], replies
        with psycopg.connect(db) as conn:
            [children] = conn.execute(
                "SELECT count(*) FROM checkpoints WHERE thread_id = %s AND checkpoint_ns = '' "
                "AND parent_checkpoint_id = %s",
                (first["thread"], parent),
            ).fetchone()
        assert children == 1
        [applied] = [reply for status, reply in replies if status == 200]
        [second] = applied["waiting"]
        assert second["round"] == 1
        _, profile = call(base, "GET", "/profile", ana)
        assert profile["answers"] == 1  # one answer learned, not two

        # An accept still naming the first proposal executes nothing.
        with psycopg.connect(db) as conn:
            count = "SELECT count(*) FROM checkpoints WHERE thread_id = %s"
            [before] = conn.execute(count, (first["thread"],)).fetchone()
        status, reply = call(
            base, "POST", path, ana,
            {"answer": {"type": "accept"}, "proposal_id": first["proposal_id"]},
        )  # fmt: skip
        assert status == 409 and "no longer waiting" in reply["error"]
        assert [p["proposal_id"] for p in reply["waiting"]] == [second["proposal_id"]]
        with psycopg.connect(db) as conn:
            assert conn.execute(count, (first["thread"],)).fetchone()[0] == before
        _, waiting = call(base, "GET", "/proposals", ana)
        assert [p["proposal_id"] for p in waiting["pending"]] == [second["proposal_id"]]

        status, reply = call(base, "POST", path, ana, {"answer": {"type": "accept"}})
        assert status == 400 and "proposal_id" in reply["error"]
        status, reply = call(
            base, "POST", path, ana,
            {"answer": {"type": "accept"}, "proposal_id": second["proposal_id"]},
        )  # fmt: skip
        assert status == 200 and reply["status"] == "executed", reply


@pytest.mark.postgres
def test_the_postgres_lease_excludes_a_second_writer_of_the_same_process(
    servers: tuple[str, str], tmp_path: Path
) -> None:
    """A session's advisory lock is re-entrant: on the graph's one connection, two requests of
    one server both 'held' it. The lease must refuse the second."""
    from graphs.persistence import ThreadBusyError, build_durable_graph, thread_lease

    db, _ = servers
    graph = build_durable_graph(tmp_path, db=db)
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with thread_lease(tmp_path, "shared", db=db, graph=graph):
            held.set()
            release.wait(30)

    first = threading.Thread(target=holder)
    first.start()
    try:
        assert held.wait(30)
        with pytest.raises(ThreadBusyError, match="another request of this process"):
            with thread_lease(tmp_path, "shared", db=db, graph=graph):
                pass
    finally:
        release.set()
        first.join(30)
    with thread_lease(tmp_path, "shared", db=db, graph=graph):  # free again once released
        pass
