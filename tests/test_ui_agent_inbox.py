"""What LangChain's Agent Inbox meets on the served graph (a real `langgraph dev`, driven through
`langgraph_sdk` the way Agent Inbox's web app calls it): a description whose first line reads as
plain text in its list, and "Mark as Resolved" counted as the person dismissing the proposal."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_langgraph_dev import langgraph_dev

CONTEXT = {"need_threshold": 0.0, "feedback_mode": "human", "max_refinements": 1}
STUCK = {"time": 1_767_000_100, "text": "The terminal shows \"KeyError: 'total'\" in 'parser.py'."}
LATER = {"time": 1_767_000_400, "text": "The user scrolls through 'parser.py' in the editor."}
SERVER_ENV = {"PROACTIVE_FEEDBACK_MODE": "human", "PROACTIVE_NEED_THRESHOLD": "0.0"}
"""The server's settings, as the README's Agent Inbox section sets them (Agent Inbox sends
no run context: every thread's settings come from here; the threshold makes each test event
draw a proposal)."""
LIST_PREVIEW = 65
"""How many raw characters of the description Agent Inbox's list shows (/work/shared/NOTES.md)."""


@pytest.fixture(scope="module")
def inbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`langgraph dev` serving one person, with a data directory of its own."""
    memory = tmp_path_factory.mktemp("agent-inbox-memory")
    log = memory / "langgraph-dev.log"
    with langgraph_dev({**SERVER_ENV, "PROACTIVE_MEMORY_DIR": str(memory)}, log) as url:
        yield url


async def _propose(client: object, thread_id: str, event: dict) -> list[dict]:
    """Send one event (no run context); the interrupts waiting after it (Agent Inbox lists
    these)."""
    await client.runs.wait(thread_id, "proactive_agent", input={"event": event})  # type: ignore[attr-defined]
    state = await client.threads.get_state(thread_id)  # type: ignore[attr-defined]
    return [i["value"] for t in state["tasks"] for i in t.get("interrupts", [])]


@pytest.mark.server
def test_the_list_preview_reads_as_plain_text(inbox_server: str) -> None:
    from langgraph_sdk import get_client

    async def scenario() -> dict:
        client = get_client(url=inbox_server)
        thread = await client.threads.create()
        [[request]] = await _propose(client, thread["thread_id"], STUCK)
        return request

    request = asyncio.run(scenario())
    task = request["action_request"]["args"]["task"]
    first = request["description"].splitlines()[0]
    kind = request["proactive"]["kind"]
    assert first == f"Offered ({kind.replace('_', ' ')}): {task}"
    preview = request["description"][:LIST_PREVIEW]
    assert "*" not in preview, preview
    assert "_" not in kind or f"({kind})" not in preview, preview
    assert preview.startswith("Offered (")
    # The thread view still renders the rest as markdown.
    assert "**After:**" in request["description"]


@pytest.mark.server
def test_mark_as_resolved_counts_as_dismissing_the_proposal(inbox_server: str) -> None:
    from langgraph_sdk import get_client

    async def scenario() -> tuple[dict, dict, dict]:
        client = get_client(url=inbox_server)
        thread = (await client.threads.create())["thread_id"]
        [[request]] = await _propose(client, thread, STUCK)
        # Agent Inbox's "Mark as Resolved": a state update as `__end__`, and nothing else.
        await client.threads.update_state(thread, None, as_node="__end__")
        resolved = await client.threads.get_state(thread)
        await _propose(client, thread, LATER)
        return request, resolved, await client.threads.get_state(thread)

    request, resolved, after = asyncio.run(scenario())
    task = request["action_request"]["args"]["task"]
    assert resolved["next"] == [] and resolved["values"]["status"] == "proposed"
    # The next event records it as the person's "ignore": in the proposals, the feedback that
    # memory and the personal model learn from, and the back-off that follows an ignore.
    [made] = [p for p in after["values"]["proposals"] if p["task"] == task]
    assert made["outcome"] == "ignore" and made["event_index"] == 0
    [answer] = [f for f in after["values"]["feedback"] if f["task"] == task]
    assert answer["answer"] == "ignore" and answer["by"] == "human"
    assert after["values"]["status"] in ("cooling_down", "proposed", "silent", "held_back")
    assert len(after["values"]["events"]) >= 2


def test_a_resolved_proposal_is_remembered_and_learned_as_ignored(tmp_path: Path) -> None:
    """The same "Mark as Resolved" on the graph in-process, where memory and the personal
    profile can be read: both hold the dismissal as an ignore by the person."""
    from graphs.agent import build_graph
    from graphs.context import Context
    from memory import open_memory
    from nodes.personal import user_profile

    ctx = Context(memory_dir=str(tmp_path), user_id="tester", **CONTEXT)
    graph = build_graph()
    config = {"configurable": {"thread_id": "inbox"}}
    [request] = graph.invoke({"event": STUCK}, config, context=ctx)["__interrupt__"][0].value
    task = request["action_request"]["args"]["task"]
    graph.update_state(config, None, as_node="__end__")
    assert graph.get_state(config).next == ()
    after = graph.invoke({"event": LATER}, config, context=ctx)
    # The back-off an ignore brings: the next event is not met with another proposal.
    assert after["status"] == "cooling_down", after["status"]
    remembered = open_memory(str(tmp_path)).recent_feedback(user="tester", limit=50)
    assert [(r.feedback.answer, r.feedback.by) for r in remembered] == [("ignore", "human")]
    assert remembered[0].feedback.task == task and remembered[0].thread == "inbox"
    profile, _ = user_profile(ctx)
    assert profile is not None and profile.counts()["ignore"] == 1
    assert [a.task for a in profile.answers] == [task]


def test_a_proposal_passed_over_by_the_next_event_counts_as_ignored(tmp_path: Path) -> None:
    """Without "Mark as Resolved", a new event on a waiting thread ends the wait the same way
    (LangGraph drops the interrupt): the proposal was not answered, which is an ignore."""
    from graphs.agent import build_graph
    from graphs.context import Context

    ctx = Context(memory_dir=str(tmp_path), user_id="tester", **CONTEXT)
    graph = build_graph()
    config = {"configurable": {"thread_id": "passed"}}
    [request] = graph.invoke({"event": STUCK}, config, context=ctx)["__interrupt__"][0].value
    after = graph.invoke({"event": LATER}, config, context=ctx)
    task = request["action_request"]["args"]["task"]
    assert [(p.task, p.outcome) for p in after["proposals"]][:1] == [(task, "ignore")]
    assert after["cooldown"] >= 0 and after["feedback"][0].answer == "ignore"


@pytest.mark.server
def test_an_answered_proposal_is_not_counted_twice(inbox_server: str) -> None:
    """Only a proposal left waiting is dismissed: an accepted one stays accepted."""
    from langgraph_sdk import get_client

    async def scenario() -> dict:
        client = get_client(url=inbox_server)
        thread = (await client.threads.create())["thread_id"]
        await _propose(client, thread, STUCK)
        # Agent Inbox's resume: the response alone, no run context
        await client.runs.wait(thread, "proactive_agent", command={"resume": [{"type": "accept"}]})
        await _propose(client, thread, LATER)
        return await client.threads.get_state(thread)

    after = asyncio.run(scenario())
    outcomes = [p["outcome"] for p in after["values"]["proposals"] if p["event_index"] == 0]
    assert outcomes == ["accept"]
