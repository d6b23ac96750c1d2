"""LLM faults through the real `ChatOpenAI` client against a local OpenAI-compatible server.

Each fault (timeout, HTTP 500, 429 with Retry-After, refused connection, unreadable response,
malformed JSON, valid JSON with the wrong fields) is retried (or re-asked) a bounded number of
times, then recorded as a failure; the next event of the thread is handled as usual; with the
`fallback` setting the embedded model answers for the failed role instead.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

import pytest

from backends.llm import RetryPolicy, TransportError, is_retryable, register_chat_model, retry_after
from graphs.agent import build_graph
from graphs.context import Context
from tests.fakes import (
    Fault,
    OpenAICompatibleServer,
    ScriptedChatModel,
    agent_json,
    closed_port_url,
    judge_json,
    tool_call,
)

SPEC = "openai:test-model"
RETRIES = 2
"""Transport retries in these tests: every failing call is tried RETRIES + 1 times."""

REASKS = 1
"""Re-asks of a malformed reply in these tests (the `max_retries` setting)."""

TASK = "Explain how to install 'requests' in the venv"
JUDGE_REASON = "the user is stuck on an import error"

EVENTS = [
    "The terminal shows \"ModuleNotFoundError: No module named 'requests'\".",
    "The user runs 'pytest' and sees \"KeyError: 'total'\" in 'invoice_parser.py'.",
    "The user opens 'invoice_parser.py' in Visual Studio Code.",
]


def is_executor(body: dict[str, Any]) -> bool:
    return bool(body.get("tools"))


def is_judge(body: dict[str, Any]) -> bool:
    return "stand in for the person" in body["messages"][0]["content"]


def is_agent(body: dict[str, Any]) -> bool:
    return not is_executor(body) and not is_judge(body)


ROLE = {"agent": is_agent, "judge": is_judge, "executor": is_executor}


def responder(body: dict[str, Any]) -> dict[str, Any]:
    """Plays agent, judge and executor (recognised by tools and system prompt)."""
    if is_executor(body):
        if body["messages"][-1]["role"] == "tool":
            return {"content": "I wrote a note about the missing module."}
        return tool_call("write_note", {"title": "requests", "body": "pip install requests"})
    if is_judge(body):
        return {"content": judge_json(True, JUDGE_REASON)}
    return {"content": agent_json(TASK)}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Any:
    with OpenAICompatibleServer(responder) as endpoint:
        monkeypatch.setenv("OPENAI_BASE_URL", endpoint.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        yield endpoint


def settings(tmp_path: Any, **overrides: Any) -> Context:
    """All roles on the fake server, with tiny backoff and timeout so that faults are quick."""
    values: dict[str, Any] = {
        "agent_backend": SPEC,
        "judge_backend": SPEC,
        "executor_backend": SPEC,
        "user_id": f"faults-{tmp_path.name}",  # in-process memory, one user per test
        "workspace": str(tmp_path / "ws"),
        "llm_retries": RETRIES,
        "llm_backoff_seconds": 0.01,
        "llm_timeout": 0.5,
        "llm_retry_budget_seconds": 20.0,
        "max_retries": REASKS,
    }
    return Context(**(values | overrides))


class Thread:
    """One thread of the graph, fed event after event."""

    def __init__(self, ctx: Context, name: str = "faults") -> None:
        self.graph = build_graph()
        self.ctx = ctx
        self.config = {"configurable": {"thread_id": name}}
        self.time = 1_767_000_000

    def send(self, text: str) -> dict[str, Any]:
        self.time += 60
        event = {"time": self.time, "text": text}
        return self.graph.invoke({"event": event}, self.config, context=self.ctx)


def count(server: OpenAICompatibleServer, role: str) -> int:
    return sum(1 for body in server.requests if ROLE[role](body))


def agent_texts(out: dict[str, Any]) -> list[str]:
    return [e.text for e in out["events"] if e.source == "agent"]


def assert_next_event_runs(thread: Thread, server: OpenAICompatibleServer, errors: int) -> None:
    """The loop goes on: the next event is handled normally, with no new error."""
    before = len(server.requests)
    out = thread.send(EVENTS[1])
    assert out["status"] == "executed", out["errors"]
    assert len(server.requests) > before
    assert len(out["errors"]) == errors
    assert out["proposals"][-1].task == TASK


TRANSPORT_FAULTS = {
    "http_500": (Fault(status=500), "Error code: 500"),
    "http_429": (Fault(status=429, retry_after=0.2), "Error code: 429"),
    "timeout": (Fault(delay=1.5), "TimeoutError"),
    "unreadable_body": (Fault(body=b"<html>502 Bad Gateway</html>"), "JSONDecodeError"),
}


@pytest.mark.parametrize("name", sorted(TRANSPORT_FAULTS))
def test_transport_fault_is_retried_then_recorded_and_the_loop_goes_on(
    name: str, server: OpenAICompatibleServer, tmp_path: Any
) -> None:
    fault, error_type = TRANSPORT_FAULTS[name]
    server.inject(dataclasses.replace(fault, when=is_agent), times=RETRIES + 1)
    thread = Thread(settings(tmp_path, llm_timeout=0.4))

    out = thread.send(EVENTS[0])

    assert out["status"] == "failed"
    assert count(server, "agent") == RETRIES + 1  # tried, then retried twice
    assert len(server.requests) == RETRIES + 1  # nothing after the failed agent
    [error] = out["errors"]
    assert error_type in error and f"after {RETRIES + 1} attempt(s)" in error
    assert any("agent model failed" in text for text in agent_texts(out))
    if name == "http_429":  # the server's Retry-After (0.2 s) outweighs the 0.01 s backoff
        gaps = [b - a for a, b in zip(server.arrivals, server.arrivals[1:], strict=False)]
        assert min(gaps) >= 0.19
    assert_next_event_runs(thread, server, errors=1)


def test_transient_fault_recovers_within_the_retries(
    server: OpenAICompatibleServer, tmp_path: Any
) -> None:
    server.inject(Fault(status=503, when=is_judge), times=RETRIES)
    server.inject(Fault(status=500, when=is_executor), times=1)
    out = Thread(settings(tmp_path)).send(EVENTS[0])
    assert out["status"] == "executed"
    assert out["errors"] == []
    assert count(server, "judge") == RETRIES + 1
    assert count(server, "executor") == 3  # a failed round, then the tool call and the summary
    assert out["feedback"][0].reason == JUDGE_REASON


def test_refused_connection_is_retried_then_recorded_and_the_loop_goes_on(
    server: OpenAICompatibleServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", closed_port_url())
    thread = Thread(settings(tmp_path, llm_backoff_seconds=0.1))
    start = time.monotonic()
    out = thread.send(EVENTS[0])
    elapsed = time.monotonic() - start

    assert out["status"] == "failed"
    [error] = out["errors"]
    assert "ConnectionError" in error and f"after {RETRIES + 1} attempt(s)" in error
    assert elapsed >= 0.75 * (0.1 + 0.2)  # the two backoff waits, less their jitter
    assert server.requests == []

    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)  # the server is back
    assert_next_event_runs(thread, server, errors=1)


def test_client_error_is_not_retried(server: OpenAICompatibleServer, tmp_path: Any) -> None:
    server.inject(Fault(status=401, when=is_agent), times=RETRIES + 1)
    thread = Thread(settings(tmp_path))
    out = thread.send(EVENTS[0])
    assert out["status"] == "failed"
    assert count(server, "agent") == 1  # a refused key stays refused: no retry
    assert "Error code: 401" in out["errors"][0]
    server.faults.clear()
    assert_next_event_runs(thread, server, errors=1)


MALFORMED = {
    "malformed_json": ('{"Purpose": "Fixing an import", "Thoughts": ', "malformed reply"),
    "wrong_fields": (json.dumps({"task": TASK, "confidence": 0.9}), "field Purpose"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_reply_is_reasked_then_recorded_and_the_loop_goes_on(
    name: str, server: OpenAICompatibleServer, tmp_path: Any
) -> None:
    content, expected = MALFORMED[name]
    server.inject(Fault(content=content, when=is_agent), times=REASKS + 1)
    thread = Thread(settings(tmp_path))

    out = thread.send(EVENTS[0])

    assert out["status"] == "failed"
    assert count(server, "agent") == REASKS + 1
    # The re-ask shows the model its reply and what was wrong with it.
    reask = server.requests[1]["messages"]
    assert reask[-2] == {"role": "assistant", "content": content}
    assert reask[-1]["content"].startswith("That reply could not be used")
    [error] = out["errors"]
    assert expected in error and "malformed reply" in error
    assert_next_event_runs(thread, server, errors=1)


def test_judge_with_wrong_fields_is_recorded(server: OpenAICompatibleServer, tmp_path: Any) -> None:
    server.inject(Fault(content='{"verdict": "yes"}', when=is_judge), times=REASKS + 1)
    thread = Thread(settings(tmp_path))
    out = thread.send(EVENTS[0])
    assert out["status"] == "failed"
    assert count(server, "judge") == REASKS + 1
    assert "judge model failed" in out["errors"][0] and "field accepted" in out["errors"][0]
    assert_next_event_runs(thread, server, errors=1)


def test_executor_failure_is_recorded(server: OpenAICompatibleServer, tmp_path: Any) -> None:
    server.inject(Fault(status=500, when=is_executor), times=RETRIES + 1)
    thread = Thread(settings(tmp_path))
    out = thread.send(EVENTS[0])
    assert out["status"] == "failed"
    assert count(server, "executor") == RETRIES + 1
    assert not out["executions"][0].ok
    [error] = out["errors"]
    assert "executor model failed" in error and "Error code: 500" in error
    assert any("executor model failed" in text for text in agent_texts(out))
    assert_next_event_runs(thread, server, errors=1)


def test_tool_calls_before_an_executor_failure_stay_on_record(
    server: OpenAICompatibleServer, tmp_path: Any
) -> None:
    def after_a_tool(body: dict[str, Any]) -> bool:
        return is_executor(body) and body["messages"][-1]["role"] == "tool"

    server.inject(Fault(status=502, when=after_a_tool), times=RETRIES + 1)
    out = Thread(settings(tmp_path)).send(EVENTS[0])
    assert out["status"] == "failed"
    [call] = out["executions"][0].calls
    assert call.tool == "write_note" and call.ok
    assert any(t.startswith("The assistant called write_note") for t in agent_texts(out))
    assert "Error code: 502" in out["errors"][0]


@pytest.mark.parametrize("role", ["agent", "judge", "executor"])
def test_fallback_local_answers_for_a_failed_role(
    role: str, server: OpenAICompatibleServer, tmp_path: Any
) -> None:
    server.inject(Fault(status=500, when=ROLE[role]), times=RETRIES + 1)
    thread = Thread(settings(tmp_path, fallback="local"))

    out = thread.send(EVENTS[0])

    assert out["status"] != "failed"
    assert count(server, role) == RETRIES + 1  # retried before falling back
    [error] = out["errors"]
    assert f"{role} model failed" in error and "Error code: 500" in error
    [note] = [t for t in agent_texts(out) if "answered instead" in t]
    assert note.startswith(f"The assistant's {role} model failed, so the local model answered")
    if role == "agent":
        assert out["proposals"][0].kind != "llm"  # drafted by the embedded drafter
        assert out["proposals"][0].task != TASK
    elif role == "judge":
        assert out["feedback"][0].reason != JUDGE_REASON  # the embedded judge's reason
        assert out["proposals"][0].task == TASK
    else:
        assert out["status"] == "executed"
        execution = out["executions"][0]
        # The LocalExecutor's plan ends by writing its result.
        assert execution.ok and execution.calls[-1].tool in ("write_note", "write_outline")

    # The next event goes back to the language model, which answers again.
    assert_next_event_runs(thread, server, errors=1)


def test_fallback_that_fails_too_is_recorded(server: OpenAICompatibleServer, tmp_path: Any) -> None:
    register_chat_model("faults-broken", ScriptedChatModel([]))  # raises on every call
    server.inject(Fault(status=500, when=is_agent), times=RETRIES + 1)
    thread = Thread(settings(tmp_path, fallback="custom:faults-broken"))
    out = thread.send(EVENTS[0])
    assert out["status"] == "failed"
    [error] = out["errors"]
    assert "Error code: 500" in error and "the fallback 'custom:faults-broken' failed" in error
    assert_next_event_runs(thread, server, errors=1)


def test_fault_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROACTIVE_FALLBACK", "local")
    monkeypatch.setenv("PROACTIVE_LLM_RETRIES", "5")
    monkeypatch.setenv("PROACTIVE_LLM_TIMEOUT", "2.5")
    ctx = Context()
    assert (ctx.fallback, ctx.llm_retries, ctx.llm_timeout) == ("local", 5, 2.5)
    with pytest.raises(ValueError, match="llm_retries"):
        Context(llm_retries=-1)


class _Response:
    def __init__(self, status: int, headers: dict[str, str]) -> None:
        self.status_code = status
        self.headers = headers


class _HTTPError(Exception):
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.response = _Response(status, headers or {})


def test_retry_policy_backoff_jitter_retry_after_and_budget() -> None:
    waits: list[float] = []
    policy = RetryPolicy(attempts=4, base_delay_s=1.0, jitter=0.25, sleep=waits.append)
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 4:
            raise ConnectionError("refused")
        return "ok"

    assert policy.call(flaky) == "ok"
    assert len(waits) == 3
    for n, wait in enumerate(waits):  # 1, 2, 4 s, each cut by at most a quarter
        assert 0.75 * 2**n <= wait <= 2**n

    # A server's Retry-After outweighs the backoff, up to max_delay_s.
    assert retry_after(_HTTPError(429, {"retry-after": "3"})) == 3.0
    assert retry_after(_HTTPError(429, {"retry-after-ms": "250"})) == 0.25
    assert retry_after(_HTTPError(429)) is None
    exact = RetryPolicy(base_delay_s=0.1, max_delay_s=5.0)
    assert exact.delay(0, 3.0) == 3.0 and exact.delay(0, 60.0) == 5.0

    # 4xx other than 408/409/429 is final; 5xx, timeouts and refused connections are not.
    assert not is_retryable(_HTTPError(400)) and not is_retryable(_HTTPError(404))
    assert is_retryable(_HTTPError(429)) and is_retryable(_HTTPError(503))
    assert is_retryable(TimeoutError()) and is_retryable(ConnectionRefusedError())

    # No retry starts when its wait would end past the budget.
    slept: list[float] = []
    bounded = RetryPolicy(attempts=10, base_delay_s=1.0, budget_s=2.5, sleep=slept.append)
    with pytest.raises(TransportError, match="failed 2 time"):
        bounded.call(lambda: (_ for _ in ()).throw(_HTTPError(500)))
    assert slept == [1.0]
