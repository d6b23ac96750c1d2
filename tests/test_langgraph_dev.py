"""The graph served by a real `langgraph dev` server, driven through `langgraph_sdk`."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import wait_serving

ROOT = Path(__file__).resolve().parents[1]
OFFLINE_ENV = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    "LANGSMITH_TRACING": "false",
}


SERVED_MEMORY = Path(tempfile.mkdtemp(prefix="served-memory-"))
"""The served graph's data directory: the server's PROACTIVE_MEMORY_DIR."""


SERVER_LOG: list[Path] = []
"""The served log of the module's server (read by the last test)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def langgraph_dev(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """`langgraph dev` on a free loopback port with these environment variables added, its
    log in `log_path`; yields its URL."""
    cli = shutil.which("langgraph", path=str(Path(sys.executable).parent)) or shutil.which(
        "langgraph"
    )
    if cli is None:
        pytest.fail("the langgraph CLI is not installed (pip install -e '.[dev]')")
    port = free_port()
    # langgraph dev keeps its threads and runs in `.langgraph_api/` under its working folder and
    # loads them at start: each server runs in a folder of its own (the project's files linked
    # in), so servers started at once (pytest -n) or one after another share no state.
    run_dir = Path(tempfile.mkdtemp(prefix="langgraph-dev-"))
    for entry in ROOT.iterdir():
        if entry.name != ".langgraph_api":
            (run_dir / entry.name).symlink_to(entry)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [cli, "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1", "--port", str(port)],
            cwd=run_dir,
            env={**os.environ, **OFFLINE_ENV, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_serving(
            f"{url}/ok",
            proc,
            "langgraph dev",
            lambda: "\n" + log_path.read_text()[-3000:],
            timeout=90,
            pause=0.5,
        )
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`langgraph dev` serving one person (no token database), with its log kept."""
    SERVED_MEMORY.mkdir(parents=True, exist_ok=True)
    log_path = tmp_path_factory.mktemp("served-log") / "langgraph-dev.log"
    SERVER_LOG.append(log_path)
    with langgraph_dev({"PROACTIVE_MEMORY_DIR": str(SERVED_MEMORY)}, log_path) as url:
        yield url


@pytest.mark.server
def test_langgraph_dev_serves_the_agent_graph(server: str) -> None:
    from langgraph_sdk import get_client

    async def scenario() -> tuple[list[str], dict]:
        client = get_client(url=server)
        thread = await client.threads.create()
        seen: list[str] = []
        events = [
            {"time": 1_767_000_000, "text": "The user opens 'main.py' in Visual Studio Code."},
            {
                "time": 1_767_000_030,
                "text": 'The terminal shows "ModuleNotFoundError: No module '
                "named 'requests'\" after the user runs 'python main.py'.",
            },
        ]
        for ev in events:
            async for chunk in client.runs.stream(
                thread["thread_id"],
                "proactive_agent",
                input={"event": ev},
                context={"need_threshold": 0.0},
                stream_mode="updates",
            ):
                if chunk.event == "updates":
                    seen.extend(chunk.data.keys())
        state = await client.threads.get_state(thread["thread_id"])
        return seen, state["values"]

    seen, values = asyncio.run(scenario())
    assert {"observe", "remember", "detect", "draft", "feedback"} <= set(seen)
    user_events = [e for e in values["events"] if e["source"] == "user"]
    assert len(user_events) == 2
    assert values["proposals"], "with threshold 0 the agent proposes at each event"
    assert values["status"] in ("executed", "gave_up")


@pytest.mark.server
def test_langgraph_dev_interrupt_and_resume_with_each_answer(server: str) -> None:
    """A person answers the served graph's review interrupt through langgraph_sdk."""
    from langgraph_sdk import get_client

    context = {"need_threshold": 0.0, "feedback_mode": "human", "max_refinements": 1}
    stuck = {
        "time": 1_767_000_100,
        "text": "The terminal shows \"KeyError: 'total'\" in 'invoice_parser.py'.",
    }

    async def propose(client, thread_id: str) -> dict:
        await client.runs.wait(
            thread_id, "proactive_agent", input={"event": stuck}, context=context
        )
        state = await client.threads.get_state(thread_id)
        [task] = [t for t in state["tasks"] if t.get("interrupts")]
        return task["interrupts"][0]["value"]

    async def answer(client, thread_id: str, value) -> dict:
        await client.runs.wait(
            thread_id, "proactive_agent", command={"resume": value}, context=context
        )
        return await client.threads.get_state(thread_id)

    async def scenario() -> dict[str, dict]:
        client = get_client(url=server)
        results = {}
        for name, value in (
            # Agent Inbox's HumanResponse, as its web app sends it (a list of one)
            ("accept", [{"type": "accept", "args": None}]),
            (
                "edit",
                [
                    {
                        "type": "edit",
                        "args": {"action": "proactive_task", "args": {"task": "Explain KeyError"}},
                    }
                ],
            ),
            ("reject", [{"type": "response", "args": "not now"}]),
            ("ignore", [{"type": "ignore", "args": None}]),
            # older clients' answers still work
            ("legacy accept", {"answer": "accept"}),
            ("legacy reject", {"answer": "reject", "reason": "not now"}),
            ("legacy ignore", "ignore"),
        ):
            thread = await client.threads.create()
            [request] = await propose(client, thread["thread_id"])
            assert request["action_request"]["action"] == "proactive_task"
            assert request["config"]["allow_respond"] and request["config"]["allow_edit"]
            assert request["action_request"]["args"]["task"] in request["description"]
            results[name] = await answer(client, thread["thread_id"], value)
        return results

    results = asyncio.run(scenario())
    for legacy in ("accept", "reject", "ignore"):
        assert (
            results[f"legacy {legacy}"]["values"]["status"] == results[legacy]["values"]["status"]
        )
    assert results["accept"]["values"]["status"] == "executed"
    assert results["edit"]["values"]["executions"][-1]["task"] == "Explain KeyError"
    rejected = results["reject"]
    assert rejected["values"]["feedback"][-1]["reason"] == "not now"
    assert rejected["next"] == ["feedback"]  # a refined draft waits for the next answer
    assert results["ignore"]["values"]["status"] == "ignored"
    assert results["ignore"]["values"]["cooldown"] > 0


# --- issue 13: a client sets run settings only ----------------------------------------------


@pytest.mark.server
@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"memory_dir": "{target}"}, "memory_dir: server setting"),
        ({"workspace": "{target}"}, "workspace: server setting"),
        ({"allow_shell": True}, "allow_shell: server setting"),
        ({"user_id": "someone-else"}, "user_id: server setting"),
        ({"local_only": False}, "local_only: server setting"),
        ({"agent_backend": "openai:gpt-4o"}, "not a backend this server allows"),
    ],
)
def test_a_client_cannot_set_server_settings(
    server: str, tmp_path: Path, context: dict, message: str
) -> None:
    from langgraph_sdk import get_client

    target = tmp_path / "chosen-by-the-client"
    context = {k: (str(target) if v == "{target}" else v) for k, v in context.items()}
    event = {"time": 1_767_000_000, "text": "The user opens 'main.py' in Visual Studio Code."}

    async def scenario() -> tuple[dict, list]:
        client = get_client(url=server)
        thread = await client.threads.create()
        result = await client.runs.wait(
            thread["thread_id"],
            "proactive_agent",
            input={"event": event},
            context={**context, "need_threshold": 0.0},
            raise_error=False,
        )
        runs = await client.runs.list(thread["thread_id"])
        return result, runs

    result, runs = asyncio.run(scenario())
    assert runs and runs[0]["status"] == "error"
    assert message in str(result)
    assert not target.exists()  # nothing was written where the client pointed


@pytest.mark.server
def test_a_client_run_writes_where_the_server_says(server: str) -> None:
    """The served graph's memory is the server's own PROACTIVE_MEMORY_DIR."""
    from langgraph_sdk import get_client

    async def scenario() -> dict:
        client = get_client(url=server)
        thread = await client.threads.create()
        return await client.runs.wait(
            thread["thread_id"],
            "proactive_agent",
            input={"event": {"time": 1_767_000_500, "text": "The user saves 'served.py'."}},
            context={"need_threshold": 0.0, "personal_target_f1": 0.5},
        )

    values = asyncio.run(scenario())
    assert values["events"][0]["text"] == "The user saves 'served.py'."
    assert any(SERVED_MEMORY.glob("chroma.sqlite3"))


@pytest.mark.server
def test_the_server_reads_the_state_back_with_the_projects_serde(server: str) -> None:
    """langgraph.json's checkpointer keeps the served threads with the project's serde: the
    state reads back with no warning about unregistered record types, and survives restarts
    (the file is in the server's own data directory)."""
    from langgraph_sdk import get_client

    async def scenario() -> dict:
        client = get_client(url=server)
        thread = await client.threads.create()
        await client.runs.wait(
            thread["thread_id"],
            "proactive_agent",
            input={"event": {"time": 1_767_000_900, "text": "The user opens 'notes.md'."}},
        )
        return await client.threads.get_state(thread["thread_id"])

    state = asyncio.run(scenario())
    texts = [e["text"] for e in state["values"]["events"]]
    assert "The user opens 'notes.md'." in texts
    assert (SERVED_MEMORY / "served-checkpoints.sqlite").exists()
    log = SERVER_LOG[0].read_text()
    assert "Using custom checkpointer: StampedSqliteSaver" in log
    for warning in ("unregistered type", "Blocked deserialization", "not in the deserialization"):
        assert warning not in log
