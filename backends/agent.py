"""The proactive agent's model role: given the events so far, draft one task or stay silent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from backends import prompts
from backends.llm import ChatRole, RetryPolicy, is_local
from backends.schema import AgentReply
from graphs.state import Draft, Event, Feedback, MemoryHit

HISTORY_EVENTS = 30
"""Events shown to a language model: enough context for a work session, bounded cost."""

CANDIDATES = 2
"""Candidates the embedded drafter offers per event; the personal model picks among them."""


@dataclass(frozen=True)
class ProposalRequest:
    """Everything the agent may use to draft a task for the latest event."""

    events: Sequence[Event]
    """The thread's events, oldest first; the last one is the event being handled."""
    memories: Sequence[MemoryHit] = ()
    """Related past events and feedback from memory."""
    rejected: Sequence[Draft] = ()
    """Drafts already turned down at this event: the new draft must differ."""
    feedback: Sequence[Feedback] = ()
    """The answers that turned them down (with reasons), in order."""
    offered: Sequence[str] = ()
    """Tasks already offered in this thread lately (whatever the answer): the embedded drafter,
    whose templates repeat, does not offer them again (a language model sees what was done in
    the events and decides for itself)."""


class ProposalModel(Protocol):
    """Something that drafts candidate tasks (none: it would stay silent)."""

    def candidates(self, request: ProposalRequest) -> list[Draft]: ...


class LocalAgent:
    """The embedded drafter: kinds of help learned from annotated data, filled with entities."""

    def candidates(self, request: ProposalRequest) -> list[Draft]:
        """The drafter's best few drafts, best first; a refinement avoids the rejected drafts
        and their kinds."""
        from backends.local import load_models  # noqa: PLC0415 - keeps LLM-only runs light

        return load_models().drafter.candidates(
            request.events,
            avoid_kinds={d.kind for d in request.rejected},
            avoid_tasks=[*(d.task for d in request.rejected), *request.offered],
            k=CANDIDATES,
        )


class ChatAgent(ChatRole):
    """A chat model replying in the paper's JSON format."""

    def candidates(self, request: ProposalRequest) -> list[Draft]:
        """The model's one task, or none when it chose silence."""
        reply = self.ask(agent_messages(request), AgentReply, role="agent")
        if reply.proactive_task is None:
            return []
        task = reply.proactive_task.strip()
        if any(_same_task(task, d.task) for d in request.rejected):
            return []  # a rewording of a turned-down offer is no refinement
        draft = Draft(
            task=task,
            kind="llm",
            purpose=reply.purpose,
            thoughts=reply.thoughts,
            response=reply.response,
            score=1.0,
        )
        return [draft]


def agent_messages(request: ProposalRequest) -> list[BaseMessage]:
    """The conversation a chat model sees for one event (and its refinements)."""
    history = request.events[-HISTORY_EVENTS:]
    body = "Recent events, oldest first:\n" + prompts.render_events(history)
    if request.memories:
        body += "\n\n" + prompts.AGENT_CONTEXT.format(
            memories="\n".join(f"- {m.text}" for m in request.memories)
        )
    messages: list[BaseMessage] = [
        SystemMessage(content=prompts.AGENT_SYSTEM),
        HumanMessage(content=body),
    ]
    reasons = [f.reason for f in request.feedback]
    for i, draft in enumerate(request.rejected):
        reason = reasons[i] if i < len(reasons) and reasons[i] else ""
        messages.append(AIMessage(content=json.dumps(_reply_json(draft))))
        messages.append(
            HumanMessage(
                content=prompts.AGENT_REFINE.format(
                    task=draft.task,
                    reason=f" (reason: {reason})" if reason else "",
                    rejected="; ".join(f'"{d.task}"' for d in request.rejected),
                )
            )
        )
    return messages


def _reply_json(draft: Draft) -> dict[str, str | None]:
    return {
        "Purpose": draft.purpose,
        "Thoughts": draft.thoughts,
        "Proactive Task": draft.task,
        "Response": draft.response,
    }


def _same_task(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


@cache
def agent_for(
    spec: str,
    max_retries: int = 2,
    retry: RetryPolicy | None = None,
    timeout: float | None = None,
) -> ProposalModel:
    """The proposal model named by a backend setting (a chat model's requests go through
    ``retry`` and each may take ``timeout`` seconds)."""
    return LocalAgent() if is_local(spec) else ChatAgent(spec, max_retries, retry, timeout)
