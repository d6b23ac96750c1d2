"""The user agent's model role: would the user accept this proposal (or this silence)?"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Protocol

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from backends import prompts
from backends.llm import ChatRole, RetryPolicy, is_local
from backends.schema import Judgement
from graphs.state import Event

HISTORY_EVENTS = 30
"""Events shown to a language-model judge."""


class JudgeModel(Protocol):
    """Something that judges a proposal like the user would."""

    def judge(self, events: Sequence[Event], task: str | None) -> Judgement: ...


class LocalJudge:
    """The embedded judge, trained on the human-annotated reward rows."""

    def judge(self, events: Sequence[Event], task: str | None) -> Judgement:
        from backends.local import load_models  # noqa: PLC0415 - keeps LLM-only runs light

        verdict = load_models().judge.judge(events, task)
        return Judgement(
            accepted=verdict.accepted,
            reason=verdict.reason,
            probability=float(verdict.accept_probability),
        )


class ChatJudge(ChatRole):
    """A chat model answering as the user."""

    def judge(self, events: Sequence[Event], task: str | None) -> Judgement:
        return self.ask(judge_messages(events, task), Judgement, role="judge")


def judge_messages(events: Sequence[Event], task: str | None) -> list[BaseMessage]:
    """The request a chat-model judge receives: the events so far and the offer (or none)."""
    offer = f'the task "{task}"' if task else "nothing (it stayed silent)"
    return [
        SystemMessage(content=prompts.JUDGE_SYSTEM),
        HumanMessage(
            content=prompts.JUDGE_REQUEST.format(
                events=prompts.render_events(events[-HISTORY_EVENTS:]), offer=offer
            )
        ),
    ]


@cache
def judge_for(
    spec: str,
    max_retries: int = 2,
    retry: RetryPolicy | None = None,
    timeout: float | None = None,
) -> JudgeModel:
    """The judge named by a backend setting (a chat model's requests go through ``retry`` and
    each may take ``timeout`` seconds)."""
    return LocalJudge() if is_local(spec) else ChatJudge(spec, max_retries, retry, timeout)
