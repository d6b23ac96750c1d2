"""LLM roles through the real `ChatOpenAI` client against a local OpenAI-compatible server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from graphs.agent import build_graph
from graphs.context import Context
from nodes.common import user_folder
from tests.fakes import OpenAICompatibleServer, agent_json, judge_json, tool_call


def responder(body: dict[str, Any]) -> dict[str, Any]:
    """Plays agent, judge and executor, recognising each by its system prompt."""
    system = body["messages"][0]["content"]
    if body.get("tools"):  # the executor: one tool call, then a closing sentence
        if body["messages"][-1]["role"] == "tool":
            return {"content": "I wrote a note about the ModuleNotFoundError."}
        return tool_call(
            "write_note",
            {"title": "Installing requests", "body": "Run pip install requests in the venv."},
        )
    if "stand in for the person" in system:
        return {"content": judge_json(True, "the user is stuck on an import error")}
    return {
        "content": "```json\n"
        + agent_json("Explain how to install 'requests' in the venv")
        + "\n```"
    }


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Any:
    with OpenAICompatibleServer(responder) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        yield server


def test_openai_compatible_server_drives_agent_judge_and_executor(
    endpoint: Any, tmp_path: Any
) -> None:
    graph = build_graph()
    spec = "openai:test-model"
    ctx = Context(
        agent_backend=spec,
        judge_backend=spec,
        executor_backend=spec,
        memory_dir=str(tmp_path / "m"),
        workspace=str(tmp_path / "ws"),
    )
    ev = {
        "time": 1_767_000_000,
        "text": "The terminal shows \"ModuleNotFoundError: No module named 'requests'\".",
    }
    out = graph.invoke({"event": ev}, {"configurable": {"thread_id": "o"}}, context=ctx)

    assert out["status"] == "executed"
    assert out["proposals"][0].task == "Explain how to install 'requests' in the venv"
    assert out["feedback"][0].reason == "the user is stuck on an import error"
    [call] = out["executions"][0].calls
    assert call.tool == "write_note" and call.ok
    note = tmp_path / "ws" / user_folder("default") / "assistant-notes.md"  # the user's own folder
    assert "pip install requests" in note.read_text()
    # The agent saw the event in its request, as a real client sends it.
    first = endpoint.requests[0]
    assert first["model"] == "test-model"
    assert "ModuleNotFoundError" in json.dumps(first["messages"])
    assert any(r.get("tools") for r in endpoint.requests)


def test_unreachable_endpoint_is_a_recorded_failure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    graph = build_graph()
    ctx = Context(agent_backend="openai:nowhere", memory_dir=str(tmp_path / "m"))
    ev = {"time": 1, "text": "The user opens 'a.py'."}
    out = graph.invoke({"event": ev}, {"configurable": {"thread_id": "x"}}, context=ctx)
    assert out["status"] == "failed"
    assert "Connection" in out["errors"][0]
