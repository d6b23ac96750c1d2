"""The proactive agent's model role: given the events so far, draft one task or stay silent."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from backends import prompts
from backends.llm import ChatRole, RetryPolicy, is_local
from backends.schema import AgentReply
from graphs.state import Draft, Event, Feedback, MemoryHit

HISTORY_EVENTS = 30
"""Events shown to a language model: enough context for a work session, bounded cost."""

PREFERENCE_CANDIDATES = 2
"""Candidates the embedded drafter ranks; an accepted kind may win among them."""

PREFERENCE_MARGIN = 0.8
"""A preferred kind wins when its score is at least this fraction of the best score."""


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
    avoid_kinds: Collection[str] = field(default_factory=frozenset)
    """Kinds of help recently rejected by this user: not proposed again right away."""
    prefer_kinds: Collection[str] = field(default_factory=frozenset)
    """Kinds of help this user accepted before: preferred among close candidates."""


class ProposalModel(Protocol):
    """Something that drafts a task, or None for silence."""

    def propose(self, request: ProposalRequest) -> Draft | None: ...


class LocalAgent:
    """The embedded drafter: kinds of help learned from annotated data, filled with entities."""

    def propose(self, request: ProposalRequest) -> Draft | None:
        from backends.local import load_models  # noqa: PLC0415 - keeps LLM-only runs light

        avoid_kinds = set(request.avoid_kinds) | {d.kind for d in request.rejected}
        candidates = load_models().drafter.candidates(
            request.events,
            avoid_kinds=avoid_kinds,
            avoid_tasks=[d.task for d in request.rejected],
            k=PREFERENCE_CANDIDATES,
        )
        if not candidates:
            return None
        # An accepted kind of help wins only against close runners-up, so one accepted
        # proposal does not lock the agent into one kind.
        best = candidates[0]
        for candidate in candidates[1:]:
            if (
                best.kind not in request.prefer_kinds
                and candidate.kind in request.prefer_kinds
                and candidate.score >= PREFERENCE_MARGIN * best.score
            ):
                return candidate
        return best


class ChatAgent(ChatRole):
    """A chat model replying in the paper's JSON format."""

    def propose(self, request: ProposalRequest) -> Draft | None:
        reply = self.ask(agent_messages(request), AgentReply, role="agent")
        if reply.proactive_task is None:
            return None
        task = reply.proactive_task.strip()
        if any(_same_task(task, d.task) for d in request.rejected):
            return None  # a rewording of a turned-down offer is no refinement
        return Draft(
            task=task,
            kind="llm",
            purpose=reply.purpose,
            thoughts=reply.thoughts,
            response=reply.response,
            score=1.0,
        )


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
