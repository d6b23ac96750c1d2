"""The served graph behind per-user tokens: `langgraph dev` with the token database
(PROACTIVE_DB, a real PostgreSQL started here); two users, each denied the other's threads, and
each run's memory kept under its caller."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import postgres
from tests.test_langgraph_dev import langgraph_dev

pytestmark = [pytest.mark.postgres, pytest.mark.server]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """(server URL, database URL, the server's data directory)."""
    with postgres() as db:
        data = tmp_path_factory.mktemp("served-auth")
        env = {"PROACTIVE_DB": db, "PROACTIVE_MEMORY_DIR": str(data / "memory")}
        with langgraph_dev(env, data / "langgraph-dev.log") as url:
            yield url, db, data / "memory"


def tokens(db: str, *users: str) -> list[str]:
    from service.events import EventInbox
    from service.tokens import TokenStore

    inbox = EventInbox(db)
    inbox.setup()
    try:
        return [TokenStore(inbox.conn).create(user)[1] for user in users]
    finally:
        inbox.close()


def test_two_users_on_the_served_graph_each_denied_the_others_threads(
    served: tuple[str, str, Path],
) -> None:
    import httpx
    from langgraph_sdk import get_client
    from langgraph_sdk.errors import NotFoundError

    from memory import open_memory

    url, db, memory_dir = served
    ana_token, bo_token = tokens(db, "ana", "bo")
    ana = get_client(url=url, headers={"Authorization": f"Bearer {ana_token}"})
    bo = get_client(url=url, headers={"Authorization": f"Bearer {bo_token}"})
    event = {"time": 1_767_000_500, "text": "The user opens 'ana-secret-plan.md' in the editor."}

    async def scenario() -> None:
        thread = await ana.threads.create()
        tid = thread["thread_id"]
        assert thread["metadata"]["owner"] == "ana"
        await ana.runs.wait(tid, "proactive_agent", input={"event": event})
        assert (await ana.threads.get_state(tid))["values"]["events"]

        # Bo sees none of it, and cannot run on it.
        assert tid not in [t["thread_id"] for t in await bo.threads.search()]
        for attempt in (
            bo.threads.get(tid),
            bo.threads.get_state(tid),
            bo.runs.wait(tid, "proactive_agent", input={"event": event}),
            bo.threads.update(tid, metadata={"owner": "bo"}),
            bo.threads.delete(tid),
        ):
            with pytest.raises((NotFoundError, httpx.HTTPStatusError)) as err:
                await attempt
            assert "404" in str(err.value) or isinstance(err.value, NotFoundError)
        assert (await ana.threads.get(tid))["metadata"]["owner"] == "ana"  # still hers
        mine = await bo.threads.create(metadata={"owner": "ana"})  # claiming another's name
        assert mine["metadata"]["owner"] == "bo"
        await bo.runs.wait(mine["thread_id"], "proactive_agent", input={"event": event})

    asyncio.run(scenario())
    memory = open_memory(str(memory_dir))
    hits = memory.search(user="bo", query="ana-secret-plan.md", k=10)
    assert memory.count(user="ana") > 0 and memory.count(user="bo") > 0
    assert memory.count(user="default") == 0  # every run was its caller's, not the server's
    assert all(h.metadata.get("thread") != "ana" for h in hits)


def test_the_served_graph_refuses_a_missing_wrong_or_revoked_token(
    served: tuple[str, str, Path],
) -> None:
    import httpx
    from langgraph_sdk import get_client

    from service.events import EventInbox
    from service.tokens import TokenStore

    url, db, _ = served
    [token] = tokens(db, "cy")
    inbox = EventInbox(db)
    TokenStore(inbox.conn).revoke(token)
    inbox.close()
    for headers, reason in [
        ({}, "no token"),
        ({"Authorization": "Bearer pa_x_y"}, "wrong"),
        ({"Authorization": f"Bearer {token}"}, "revoked"),
        ({"Authorization": "Basic abc"}, "Bearer"),
    ]:
        client = get_client(url=url, headers=headers)
        with pytest.raises(httpx.HTTPStatusError) as err:
            asyncio.run(client.threads.search())
        assert err.value.response.status_code == 401
        assert reason in err.value.response.text
