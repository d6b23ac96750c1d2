"""Structured replies are requested by schema (the OpenAI chat API's `response_format`) through the
real `ChatOpenAI` client, with the reply's text parsed only as the fallback for a server that
refuses the format; a reply cut at the token limit is re-asked, never half-parsed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backends import llm
from backends.agent import ChatAgent, ProposalRequest
from backends.judge import ChatJudge
from backends.llm import RetryPolicy, structured_reply
from backends.schema import Judgement, ModelOutputError
from graphs.state import Event
from tests.fakes import Fault, OpenAICompatibleServer, ScriptedChatModel, agent_json, judge_json

EVENTS = [Event(time=1_767_000_000, text="The user opens 'invoice_parser.py' in the editor.")]
TASK = "Explain the function 'parse_total' in 'invoice_parser.py'"
NO_WAIT = RetryPolicy(attempts=3, base_delay_s=5.0, sleep=lambda s: None)
"""Retries that would wait 5 s and more: a refused format must not go through them."""


def responder(body: dict[str, Any]) -> dict[str, Any]:
    """Plays the judge (recognised by its system prompt) and the agent."""
    if "stand in for the person" in body["messages"][0]["content"]:
        return {"content": judge_json(True, "the user is reading that function")}
    return {"content": agent_json(TASK)}


def kinds(server: OpenAICompatibleServer) -> list[str | None]:
    """The `response_format` type of each request (None: asked in the prompt alone)."""
    return [(body.get("response_format") or {}).get("type") for body in server.requests]


@pytest.fixture(autouse=True)
def fresh_formats(monkeypatch: pytest.MonkeyPatch) -> None:
    # A refusal is remembered per endpoint; a later test's server may reuse a port.
    monkeypatch.setattr(llm, "_format_of", {})


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Any:
    refused, status = getattr(request, "param", (frozenset(), 400))
    with OpenAICompatibleServer(responder, refused_formats=refused, refusal_status=status) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        yield srv


def test_agent_and_judge_request_their_reply_by_json_schema(endpoint: Any) -> None:
    [draft] = ChatAgent("openai:test-model", 1, NO_WAIT).candidates(ProposalRequest(EVENTS))
    verdict = ChatJudge("openai:test-model", 1, NO_WAIT).judge(EVENTS, TASK)

    assert draft.task == TASK and verdict.accepted
    agent_format, judge_format = (body["response_format"] for body in endpoint.requests)
    assert agent_format["type"] == "json_schema"
    agent_schema = agent_format["json_schema"]["schema"]
    # The paper's field names, as the reply must spell them.
    assert {"Purpose", "Thoughts", "Proactive Task"} <= set(agent_schema["required"])
    assert judge_format["json_schema"]["name"] == "Judgement"
    assert "accepted" in judge_format["json_schema"]["schema"]["properties"]


@pytest.mark.parametrize("endpoint", [(frozenset({"json_schema"}), 500)], indirect=True)
def test_refused_json_schema_is_asked_as_json_object_with_the_schema_and_remembered(
    endpoint: Any,
) -> None:
    """As llama-cpp-python's server: HTTP 500 naming response_format for `json_schema`."""
    judge = ChatJudge("openai:test-model", 1, NO_WAIT)

    assert judge.judge(EVENTS, TASK).accepted
    assert judge.judge(EVENTS, TASK).accepted

    # Refused once, asked again at once (no retry of the refusal), then asked right.
    assert kinds(endpoint) == ["json_schema", "json_object", "json_object"]
    assert endpoint.requests[1]["response_format"]["schema"]["required"] == ["accepted"]


@pytest.mark.parametrize(
    "endpoint", [(frozenset({"json_schema", "json_object"}), 400)], indirect=True
)
def test_a_server_refusing_every_format_is_asked_in_the_prompt_and_its_text_parsed(
    endpoint: Any,
) -> None:
    [draft] = ChatAgent("openai:test-model", 1, NO_WAIT).candidates(ProposalRequest(EVENTS))

    assert draft.task == TASK
    assert kinds(endpoint) == ["json_schema", "json_object", None]


def test_a_reply_cut_at_the_token_limit_is_reasked_not_half_parsed(endpoint: Any) -> None:
    # A lenient parser would close this object and accept it with the reason lost.
    cut = '{"accepted": false, "reason": "the user is'
    endpoint.inject(Fault(content=cut, finish_reason="length"))

    verdict = ChatJudge("openai:test-model", 1, NO_WAIT).judge(EVENTS, TASK)

    assert verdict.accepted and verdict.reason == "the user is reading that function"
    reask = endpoint.requests[1]["messages"]
    assert reask[-2] == {"role": "assistant", "content": cut}
    assert "cut off at the token limit" in reask[-1]["content"]


def test_a_reply_that_stays_cut_is_a_model_failure(endpoint: Any) -> None:
    endpoint.inject(Fault(content='{"accepted": tr', finish_reason="length"), times=2)

    with pytest.raises(ModelOutputError, match="malformed reply: the reply was cut off"):
        ChatJudge("openai:test-model", 1, NO_WAIT).judge(EVENTS, TASK)
    assert len(endpoint.requests) == 2


def test_a_chat_model_without_response_format_is_asked_in_the_prompt() -> None:
    model = ScriptedChatModel([json.dumps({"accepted": True, "reason": "ok"})])

    reply = structured_reply(model, [], Judgement, role="judge", max_retries=0)

    assert reply.accepted and model.seen == [[]]
    assert llm.schema_format(model) == "text"
