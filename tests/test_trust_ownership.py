"""Issue 19, item 5: a thread's owner comes from the authenticated identity alone.

`langgraph dev` with the token database (a real PostgreSQL started here), the checkpoints that
`proactive ui --db` reads in the same database. Mallory tries to file her threads under Alice
(thread metadata, run metadata, configurable, a later metadata update); the server stamps them
as Mallory's, so Alice's inbox never shows them and cannot run them in her workspace, while
Mallory's own run stays hers. The served graph also checks an answer that names its proposal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import postgres
from tests.test_langgraph_dev import langgraph_dev
from tests.test_served_auth import tokens

pytestmark = [pytest.mark.postgres, pytest.mark.server]

STUCK = {
    "time": 1_767_000_100,
    "text": "The terminal shows \"KeyError: 'total'\" in 'invoice_parser.py'.",
}
HUMAN = {"need_threshold": 0.0, "feedback_mode": "human", "max_refinements": 1}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """(server URL, database URL, a data directory for `proactive ui --db`)."""
    with postgres() as db:
        data = tmp_path_factory.mktemp("trust-owner")
        env = {"PROACTIVE_DB": db, "PROACTIVE_MEMORY_DIR": str(data / "memory")}
        with langgraph_dev(env, data / "langgraph-dev.log") as url:
            yield url, db, data


def checkpoint_owners(db: str, thread: str) -> set[Any]:
    import psycopg

    with psycopg.connect(db) as conn:
        rows = conn.execute(
            "SELECT metadata->>'proactive_user' FROM checkpoints WHERE thread_id = %s", (thread,)
        ).fetchall()
    return {row[0] for row in rows}


def test_a_user_cannot_plant_a_proposal_in_another_users_inbox(
    served: tuple[str, str, Path],
) -> None:
    from langgraph_sdk import get_client
    from starlette.testclient import TestClient

    from graphs.context import Context
    from graphs.persistence import build_durable_graph
    from service.answers import pending
    from ui.app import Settings, create_app

    url, db, data = served
    mallory_token, _ = tokens(db, "mallory", "alice")
    mallory = get_client(url=url, headers={"Authorization": f"Bearer {mallory_token}"})
    alice_claim = {"proactive_user": "alice", "owner": "alice"}

    async def scenario() -> list[str]:
        planted = await mallory.threads.create(metadata=alice_claim)
        assert planted["metadata"]["proactive_user"] == "mallory"
        assert planted["metadata"]["owner"] == "mallory"
        first = planted["thread_id"]
        await mallory.runs.wait(first, "proactive_agent", input={"event": STUCK}, context=HUMAN)
        updated = await mallory.threads.update(first, metadata=alice_claim)
        assert updated["metadata"]["proactive_user"] == "mallory"

        second = (await mallory.threads.create())["thread_id"]
        await mallory.runs.wait(
            second,
            "proactive_agent",
            input={"event": STUCK},
            context=HUMAN,
            metadata=alice_claim,
        )
        for thread in (first, second):
            state = await mallory.threads.get_state(thread)
            assert state["next"] == ["feedback"]  # her proposal waits, on her thread
        third = (await mallory.threads.create())["thread_id"]  # the claim as configurable
        await mallory.runs.wait(
            third, "proactive_agent", input={"event": STUCK}, config={"configurable": alice_claim}
        )
        return [first, second, third]

    threads = asyncio.run(scenario())
    for thread in threads:
        assert checkpoint_owners(db, thread) == {"mallory"}
    threads = threads[:2]  # the two with a proposal waiting

    graph = build_durable_graph(data, db=db)
    assert not [p for p in pending(graph, "alice") if p.thread in threads]
    assert sorted(p.thread for p in pending(graph, "mallory") if p.thread in threads) == sorted(
        threads
    )

    # Alice's `proactive ui --db`: none of it shows, and she cannot answer it.
    context = Context(memory_dir=str(data / "alice"), feedback_mode="human", user_id="alice")
    inbox = TestClient(
        create_app(Settings(data_dir=data, context=context, db=db, allowed_hosts=("testserver",)))
    )
    shown = inbox.get("/api/pending").json()["pending"]
    assert not [p for p in shown if p["thread"] in threads]
    [theirs] = [p for p in pending(graph, "mallory") if p.thread == threads[0]]
    reply = inbox.post(
        "/api/answer",
        json={
            "thread": threads[0],
            "proposal_id": theirs.proposal_id,
            "response": [{"type": "accept", "args": None}],
        },
    )
    assert reply.status_code == 400 and "no proposal waits" in reply.json()["error"]
    assert checkpoint_owners(db, threads[0]) == {"mallory"}


def test_the_served_graph_checks_a_named_proposal_and_takes_the_agent_inbox_answer(
    served: tuple[str, str, Path],
) -> None:
    from langgraph_sdk import get_client

    url, db, _ = served
    [token] = tokens(db, "dana")
    dana = get_client(url=url, headers={"Authorization": f"Bearer {token}"})

    async def scenario() -> tuple[dict, dict, dict]:
        thread = (await dana.threads.create())["thread_id"]
        await dana.runs.wait(thread, "proactive_agent", input={"event": STUCK}, context=HUMAN)
        waiting = await dana.threads.get_state(thread)
        stale = [{"type": "accept", "args": None, "proposal_id": "e0r9-not-the-one"}]
        await dana.runs.wait(thread, "proactive_agent", command={"resume": stale}, context=HUMAN)
        after_stale = await dana.threads.get_state(thread)
        inbox_answer = [{"type": "accept", "args": None}]  # the Agent Inbox names no proposal
        await dana.runs.wait(
            thread, "proactive_agent", command={"resume": inbox_answer}, context=HUMAN
        )
        return waiting, after_stale, await dana.threads.get_state(thread)

    waiting, after_stale, done = asyncio.run(scenario())
    [task] = [t for t in waiting["tasks"] if t.get("interrupts")]
    [request] = task["interrupts"][0]["value"]
    assert request["proactive"]["proposal_id"].startswith("e0r0-")
    assert after_stale["next"] == ["feedback"]  # not applied: the proposal still waits
    assert not after_stale["values"].get("feedback") and not after_stale["values"].get("executions")
    [task] = [t for t in after_stale["tasks"] if t.get("interrupts")]
    assert "e0r9-not-the-one" in task["interrupts"][0]["value"][0]["proactive"]["error"]
    assert done["values"]["status"] == "executed"
