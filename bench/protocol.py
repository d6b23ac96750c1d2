"""The ProactiveBench agent protocol (Lu et al. 2025): the exact messages, and model calls that
report their usage and go through the call cache.

One conversation per trace:

    system     backends.prompts.AGENT_SYSTEM
    user       "[<render_time(time)>] <event text>"        (event 1)
    assistant  the agent's reply JSON for event 1
    user       "[<render_time(time)>] <event text>"        (event 2)
    ...

At event k the agent receives the system message, the user turns of events 1..k and its own
replies to events 1..k-1 (see :func:`event_turn` for the one user-turn format). An assistant
turn is always the normalised JSON object of :func:`reply_json` with exactly the keys
"Purpose", "Thoughts", "Proactive Task" (a string or null) and "Response", whatever the model
wrote around it. A malformed reply is shown back to the model with the parse error (as
:func:`backends.llm.structured_reply` does) up to ``max_retries`` times; those correction turns
are not kept in the trace's conversation. A reply still unusable after the retries is recorded as
a failure, counts as "no task", and joins the conversation as :data:`FAILED_REPLY` (task null),
so later turns stay well-formed.

The judge sees the same request as :class:`backends.judge.ChatJudge`: the events up to the
current one and the offer (a task, or silence), in a fresh conversation of its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.utils.json import parse_json_markdown
from pydantic import BaseModel, ValidationError

from backends import prompts
from backends.judge import judge_messages  # noqa: F401 - re-exported: the bench's judge request
from backends.llm import (  # the graph's retry policy and its error, shared with the bench
    RetryPolicy,
    TransportError,  # noqa: F401 - re-exported
    _short_error,
)
from backends.schema import AgentReply
from bench.cache import CallCache, call_key
from graphs.state import Event

T = TypeVar("T", bound=BaseModel)

PROTOCOL = (
    "ProactiveBench agent protocol (Lu et al. 2025): one conversation per trace; each event is "
    "appended as a user turn '[<time>] <event>' after the system prompt; the agent's JSON reply "
    "(Purpose, Thoughts, Proactive Task or null, Response) joins as the assistant turn; a separate "
    "judge accepts or rejects that output given the observations up to the event; TP/FP/TN/FN "
    "per bench.metrics.AgentCounts"
)
"""One-line description of the protocol, reported with every result."""

FAILED_REPLY: dict[str, Any] = {
    "Purpose": "",
    "Thoughts": "",
    "Proactive Task": None,
    "Response": "",
}
"""The assistant turn that stands in for a reply that could not be parsed (no task)."""

CORRECTION = (
    "That reply could not be used: {error}. Answer again with only the JSON object in the "
    "required format."
)
"""The user turn sent after a malformed reply (the wording of backends.llm.structured_reply)."""


def event_turn(event: Event) -> str:
    """The user turn for one event: "[<render_time(event.time)>] <event text>"."""
    return f"[{prompts.render_time(event.time)}] {event.text}"


def reply_json(
    purpose: str = "", thoughts: str = "", task: str | None = None, response: str = ""
) -> str:
    """An assistant turn: the paper's reply object, keys in the paper's order."""
    return json.dumps(
        {"Purpose": purpose, "Thoughts": thoughts, "Proactive Task": task, "Response": response},
        ensure_ascii=False,
    )


def agent_reply_json(reply: AgentReply) -> str:
    """The assistant turn for a parsed reply (a "null" / empty task becomes null)."""
    return reply_json(reply.purpose, reply.thoughts, reply.proactive_task, reply.response)


class Conversation:
    """The one conversation of a trace: system prompt, then a user turn per event and the
    agent's reply after each."""

    def __init__(self) -> None:
        self.messages: list[BaseMessage] = [SystemMessage(content=prompts.AGENT_SYSTEM)]

    def add_event(self, event: Event) -> list[BaseMessage]:
        """Append the event's user turn; returns the messages the agent now receives."""
        if isinstance(self.messages[-1], HumanMessage):
            raise ValueError("the previous event has no reply yet")
        self.messages.append(HumanMessage(content=event_turn(event)))
        return list(self.messages)

    def add_reply(self, reply: str) -> None:
        """Append the agent's reply (a JSON object text from :func:`reply_json`)."""
        if not isinstance(self.messages[-1], HumanMessage):
            raise ValueError("a reply needs an event before it")
        self.messages.append(AIMessage(content=reply))


def messages_at(events: Sequence[Event], replies: Sequence[str]) -> list[BaseMessage]:
    """The exact messages the agent receives at event ``len(events)``, given its replies to
    the earlier events (``len(replies) == len(events) - 1``)."""
    if len(replies) != len(events) - 1:
        raise ValueError(f"{len(events)} events need {len(events) - 1} replies, got {len(replies)}")
    conversation = Conversation()
    for i, event in enumerate(events):
        conversation.add_event(event)
        if i < len(replies):
            conversation.add_reply(replies[i])
    return conversation.messages


@dataclass
class Usage:
    """Token counts (and cost, where the backend reports one) summed over calls."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cost: float = 0.0
    calls: int = 0
    """Model calls made (not answered by the cache)."""
    cached_calls: int = 0
    """Calls answered by the cache (their recorded tokens are still counted)."""
    reported: bool = False
    """Whether any call reported token usage."""

    def add(self, usage: dict[str, Any] | None, cached: bool) -> None:
        if cached:
            self.cached_calls += 1
        else:
            self.calls += 1
        if not usage:
            return
        self.reported = True
        self.input_tokens += int(usage.get("input_tokens") or 0)
        self.output_tokens += int(usage.get("output_tokens") or 0)
        self.total_tokens += int(usage.get("total_tokens") or 0)
        self.cost += float(usage.get("cost") or 0.0)

    def merge(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.total_tokens += other.total_tokens
        self.cost += other.cost
        self.calls += other.calls
        self.cached_calls += other.cached_calls
        self.reported = self.reported or other.reported

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "calls": self.calls,
            "cached_calls": self.cached_calls,
        }
        if self.reported:
            out.update(
                input_tokens=self.input_tokens,
                output_tokens=self.output_tokens,
                total_tokens=self.total_tokens,
            )
            if self.cost:
                out["cost"] = round(self.cost, 8)
        return out


def message_usage(message: Any) -> dict[str, Any] | None:
    """Token usage of a reply: LangChain's ``usage_metadata``, plus a cost if reported."""
    meta = getattr(message, "usage_metadata", None) or {}
    usage = {
        k: int(meta[k]) for k in ("input_tokens", "output_tokens", "total_tokens") if k in meta
    }
    response_meta = getattr(message, "response_metadata", None) or {}
    token_usage = response_meta.get("token_usage") or {}
    cost = token_usage.get("cost") if isinstance(token_usage, dict) else None
    if cost is None:
        cost = response_meta.get("cost")
    if isinstance(cost, int | float):
        usage["cost"] = float(cost)
    return usage or None


def call_model(
    model: BaseChatModel,
    spec: str,
    messages: Sequence[BaseMessage],
    cache: CallCache,
    retry: RetryPolicy,
    usage: Usage,
) -> str:
    """One model call through the cache, retried with backoff when it raises (the graph's
    :class:`backends.llm.RetryPolicy`).

    Returns the reply text; raises :class:`TransportError` when the tries are spent (or at once
    for an error that no retry mends, such as HTTP 401).
    """
    key = call_key(spec, messages)
    hit = cache.get(key)
    if hit is not None:
        usage.add(hit.usage, cached=True)
        return hit.text
    reply = retry.call(lambda: model.invoke(list(messages)), label=spec)
    content = reply.content
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    reply_usage = message_usage(reply)
    usage.add(reply_usage, cached=False)
    cache.put(key, spec, text, reply_usage)
    return text


@dataclass
class StructuredResult:
    """What a structured call produced."""

    value: BaseModel | None
    """The parsed reply, or None when every attempt was malformed."""
    raw: str
    """The last reply text (the one parsed, or the last malformed one)."""
    error: str | None
    """Why the last attempt could not be used (None on success)."""
    attempts: int
    """Replies asked for (1 + corrections)."""
    usage: Usage = field(default_factory=Usage)


def structured_call(
    model: BaseChatModel,
    spec: str,
    messages: Sequence[BaseMessage],
    schema: type[T],
    *,
    max_retries: int,
    cache: CallCache,
    retry: RetryPolicy,
) -> StructuredResult:
    """Like :func:`backends.llm.structured_reply`, but reporting usage, going through the
    cache, and returning (not raising) when the reply stays malformed.

    A malformed reply is sent back with the error (:data:`CORRECTION`), up to ``max_retries``
    times. Transport failures raise :class:`TransportError` after ``retry``'s attempts.
    """
    conversation = list(messages)
    usage = Usage()
    error = "no reply"
    text = ""
    for attempt in range(max_retries + 1):
        text = call_model(model, spec, conversation, cache, retry, usage)
        try:
            data = parse_json_markdown(text)
            if not isinstance(data, dict):
                raise ValueError(f"expected a JSON object, got {type(data).__name__}")
            value = schema.model_validate(data)
            return StructuredResult(value, text, None, attempt + 1, usage)
        except (ValueError, ValidationError, json.JSONDecodeError) as exc:
            error = _short_error(exc)
            conversation += [
                AIMessage(content=text),
                HumanMessage(content=CORRECTION.format(error=error)),
            ]
    return StructuredResult(None, text, f"malformed reply: {error}", max_retries + 1, usage)
