"""Issue 19, items 4 and 8: a thread keeps the settings it started with, a person's answer is
the person's, and every user's work stays in their own workspace.

4. Agent Inbox resumes a served thread with no run context: the thread must still be reviewed by
   the person it started with (feedback_mode "human"), and "Not now, I am fixing it myself." must
   be recorded as that person's rejection, never re-decided by the judge and executed.
8. Two users on one deployment: the executor's notes of each land in their own folder, and one
   user's file and search tools never see the other's files.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphs.context import Context
from nodes.common import workspace
from tests.conftest import proactive
from tests.test_langgraph_dev import langgraph_dev
from tools import ToolRunner, build_tools

NOT_NOW = "Not now, I am fixing it myself."
INBOX_NOT_NOW = [{"type": "response", "args": NOT_NOW}]
"""Agent Inbox's `HumanResponse` for a person who turns the proposal down with a reason."""

STUCK = {
    "time": 1_767_000_100,
    "text": "The terminal shows \"KeyError: 'total'\" in 'invoice_parser.py'.",
}
ANA_EVENT = "The terminal shows \"KeyError: 'total'\" in 'ana_ledger.py'."
"""Ana's event: the executor's note about it names 'ana_ledger.py'."""
BO_EVENT = "The user opens 'bo_thesis.md' in the editor and scrolls through its 'Results' section."
"""Bo's event: the executor's note about it names 'bo_thesis.md'."""


# --- item 4 on the served graph ----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`langgraph dev` with the server's default feedback mode (simulated); (URL, data dir)."""
    data = tmp_path_factory.mktemp("trust-served")
    with langgraph_dev({"PROACTIVE_MEMORY_DIR": str(data / "memory")}, data / "dev.log") as url:
        yield url, data / "memory"


async def _interrupted(client: Any, thread_id: str, context: dict[str, Any]) -> list[dict]:
    """Run the stuck event on the thread with `context`; the review the person is shown."""
    await client.runs.wait(thread_id, "proactive_agent", input={"event": STUCK}, context=context)
    state = await client.threads.get_state(thread_id)
    [task] = [t for t in state["tasks"] if t.get("interrupts")]
    return task["interrupts"][0]["value"]


@pytest.mark.server
def test_agent_inbox_resume_without_context_records_the_persons_no(
    server: tuple[str, Path],
) -> None:
    from langgraph_sdk import get_client

    url, _ = server

    async def scenario() -> dict:
        client = get_client(url=url)
        thread = await client.threads.create()
        tid = thread["thread_id"]
        first = {"feedback_mode": "human", "need_threshold": 0.0, "max_refinements": 0}
        [request] = await _interrupted(client, tid, first)
        assert request["action_request"]["action"] == "proactive_task"
        # As Agent Inbox resumes: the command alone, no context.
        await client.runs.wait(tid, "proactive_agent", command={"resume": INBOX_NOT_NOW})
        return await client.threads.get_state(tid)

    state = asyncio.run(scenario())
    values = state["values"]
    answer = values["feedback"][-1]
    assert (answer["answer"], answer["by"], answer["reason"]) == ("reject", "human", NOT_NOW)
    assert [f["by"] for f in values["feedback"]] == ["human"]
    assert values["executions"] == []
    # max_refinements 0 from the first run held too: no refinement, quiet at once.
    assert values["status"] == "gave_up" and state["next"] == []
    assert values["settings"]["feedback_mode"] == "human"


@pytest.mark.server
def test_a_later_run_cannot_turn_a_human_thread_into_a_simulated_one(
    server: tuple[str, Path],
) -> None:
    """The served thread's settings are fixed at its first event: a later run's context asking
    for the judge is ignored, and the next proposal waits for the person again."""
    from langgraph_sdk import get_client

    url, _ = server

    async def scenario() -> tuple[list[dict], dict]:
        client = get_client(url=url)
        tid = (await client.threads.create())["thread_id"]
        await _interrupted(client, tid, {"feedback_mode": "human", "need_threshold": 0.0})
        await client.runs.wait(
            tid, "proactive_agent", command={"resume": [{"type": "ignore", "args": None}]}
        )
        later = {**STUCK, "time": STUCK["time"] + 3600}
        await client.runs.wait(
            tid,
            "proactive_agent",
            input={"event": later},
            context={"feedback_mode": "simulated", "need_threshold": 0.0, "ignore_cooldown": 0},
        )
        state = await client.threads.get_state(tid)
        return [t for t in state["tasks"] if t.get("interrupts")], state["values"]

    waiting, values = asyncio.run(scenario())
    assert all(f["by"] == "human" for f in values["feedback"])
    if values["status"] != "cooling_down":  # a proposal was made: the person is asked
        assert waiting and values["status"] == "observing"
    assert values["settings"]["feedback_mode"] == "human"


# --- item 4 through the command line -----------------------------------------------------------


def _events(path: Path, *texts: str) -> Path:
    path.write_text(
        "".join(
            json.dumps({"time": 1_767_000_000 + 60 * i, "text": t}) + "\n"
            for i, t in enumerate(texts)
        )
    )
    return path


def test_a_waiting_proposal_is_not_judged_by_a_later_run_nor_by_a_resume(tmp_path: Path) -> None:
    """`proactive run --feedback inbox` leaves a proposal waiting; a later `proactive run` with
    the default (simulated) settings finishes that thread's step as the person's again (it
    keeps waiting), and an answer given with simulated settings is still the person's."""
    data = tmp_path / "data"
    events = _events(tmp_path / "e.jsonl", STUCK["text"])
    args = ["run", "--events", str(events), "--data-dir", str(data), "--threshold", "0"]
    first = proactive(*args, "--feedback", "inbox", "--max-refinements", "0")
    assert first.returncode == 0, first.stderr
    assert "waiting for your answer" in first.stdout
    again = proactive(*args)  # no --feedback: the default would be the judge
    assert again.returncode == 0, again.stderr
    assert "waiting for your answer" in again.stdout
    assert "judge:" not in again.stdout, again.stdout

    from graphs.persistence import build_durable_graph
    from service import answers

    graph = build_durable_graph(data)
    # feedback_mode left at "simulated"; max_refinements 0 as the thread's first run had it
    simulated = Context(memory_dir=str(data), max_refinements=0)
    result = answers.answer(graph, data, simulated, "cli", INBOX_NOT_NOW)
    assert result["status"] == "gave_up" and result["executions"] == []
    values = graph.get_state({"configurable": {"thread_id": "cli"}}).values
    answer = values["feedback"][-1]
    assert (answer.answer, answer.by, answer.reason) == ("reject", "human", NOT_NOW)
    assert values["executions"] == []


# --- item 8: every user's workspace is their own -----------------------------------------------


def _note(folder: Path) -> str:
    return (
        (folder / "assistant-notes.md").read_text()
        if (folder / "assistant-notes.md").exists()
        else ""
    )


def test_two_users_of_one_data_dir_each_work_in_their_own_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for user, text in (("ana", ANA_EVENT), ("bo", BO_EVENT)):
        events = _events(tmp_path / f"{user}.jsonl", text)
        done = proactive(
            "run", "--events", str(events), "--data-dir", str(data), "--threshold", "0",
            "--user", user, "--thread", f"{user}-thread",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "executed write_note" in done.stdout, done.stdout
    ana = workspace(Context(memory_dir=str(data), user_id="ana"))
    bo = workspace(Context(memory_dir=str(data), user_id="bo"))
    assert ana != bo and ana.parent == bo.parent == (data / "workspace").resolve()
    assert "ana_ledger.py" in _note(ana) and "ana_ledger.py" not in _note(bo)
    assert "bo_thesis.md" in _note(bo) and "bo_thesis.md" not in _note(ana)
    assert not (data / "workspace" / "assistant-notes.md").exists()  # nothing in a shared folder

    runner = ToolRunner(build_tools(bo))  # Bo's executor's tools, as `execute` builds them
    found = runner.call("search_text", {"text": "ana_ledger"})
    assert found.output.startswith("No line contains 'ana_ledger'"), found.output
    mine = runner.call("read_file", {"file_path": "assistant-notes.md"})
    assert mine.ok and "bo_thesis.md" in mine.output and "ana_ledger" not in mine.output
    theirs = runner.call("read_file", {"file_path": f"../{ana.name}/assistant-notes.md"})
    assert "ana_ledger" not in theirs.output.replace(f"../{ana.name}/assistant-notes.md", "")
    listed = runner.call("list_directory", {"dir_path": ".."})
    assert ana.name not in listed.output


def test_the_inbox_shows_only_its_users_workspace(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from nodes.common import user_folder
    from ui.app import Settings, create_app

    for user in ("ana", "bo"):
        folder = workspace(Context(memory_dir=str(tmp_path), user_id=user))
        (folder / f"{user}-plan.md").write_text(f"{user}'s plan\n")
    app = create_app(
        Settings(
            data_dir=tmp_path,
            context=Context(memory_dir=str(tmp_path), user_id="bo", feedback_mode="human"),
            allowed_hosts=("testserver",),
        )
    )
    api = TestClient(app)
    assert api.get("/api/history").json()["files"] == ["bo-plan.md"]
    assert api.get("/files/bo-plan.md").text == "bo's plan\n"
    ana = user_folder("ana")
    assert api.get(f"/files/../{ana}/ana-plan.md").status_code == 404
    assert api.get("/files/ana-plan.md").status_code == 404


@pytest.mark.parametrize(
    ("one", "other"), [("Ana", "ana"), ("a b", "a-b"), ("..", "."), ("ana/../bo", "bo")]
)
def test_user_folders_never_merge_nor_escape(tmp_path: Path, one: str, other: str) -> None:
    first = workspace(Context(workspace=str(tmp_path), user_id=one))
    second = workspace(Context(workspace=str(tmp_path), user_id=other))
    assert first != second
    for folder in (first, second):
        assert folder.parent == tmp_path.resolve() and not folder.name.startswith(".")
