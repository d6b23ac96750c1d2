"""feedback: the user agent answers the current draft.

`simulated`: the judge model answers as the user would. `human`: the graph interrupts with a
payload listing the allowed answers and resumes with the person's answer. `auto`: the judge
answers when the personal model is sure what this user would say, and the person is asked when
its accept probability for them falls inside the band `auto_band_low..auto_band_high`. All end
in the same code path: the answer is recorded, remembered, teaches the user's personal model,
and decides the route.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from backends.judge import judge_for
from backends.schema import ModelOutputError
from graphs.context import Context
from graphs.state import Draft, Feedback, Proposal, State
from nodes import personal
from nodes.common import llm_retry, memory, run_settings, thread_id, with_fallback
from nodes.draft import failure_update, fallback_update
from nodes.personal import merge, notice_update

ALLOWED_ANSWERS: list[dict[str, Any]] = [
    {"answer": "accept", "description": "Carry out the task as proposed."},
    {"answer": "reject", "reason": "why (optional)", "description": "Not this; maybe another."},
    {"answer": "edit", "task": "the changed task", "description": "Carry out this task instead."},
    {"answer": "ignore", "description": "Not now; the assistant backs off for a while."},
]


MAX_COOLDOWN_FACTOR = 8
"""Consecutive ignored proposals double the cooldown, up to this factor."""


class BadAnswerError(ValueError):
    """A resume value that is not one of the allowed answers."""


def review_request(state: State, draft: Draft, error: str | None = None) -> dict[str, Any]:
    """The interrupt payload shown to a person."""
    payload: dict[str, Any] = {
        "type": "proposal_review",
        "event": state.events[state.current].text,
        "task": draft.task,
        "kind": draft.kind,
        "response": draft.response,
        "round": state.refinements,
        "allowed": ALLOWED_ANSWERS,
    }
    if error:
        payload["error"] = error
    return payload


def parse_answer(value: Any, draft: Draft, index: int, time: float) -> Feedback:
    """A person's resume value as a :class:`Feedback` (a bare string names the answer)."""
    data = {"answer": value} if isinstance(value, str) else value
    if not isinstance(data, dict) or data.get("answer") not in (
        "accept",
        "reject",
        "edit",
        "ignore",
    ):
        raise BadAnswerError(
            f"answer must be accept, reject, edit or ignore (as a string or "
            f'{{"answer": ...}}), got {value!r:.80}'
        )
    edited = data.get("task")
    if data["answer"] == "edit" and not (isinstance(edited, str) and edited.strip()):
        raise BadAnswerError('an edit needs the changed task: {"answer": "edit", "task": "..."}')
    return Feedback(
        answer=data["answer"],
        reason=str(data.get("reason") or ""),
        task=draft.task,
        kind=draft.kind,
        edited_task=edited.strip() if data["answer"] == "edit" else None,
        by="human",
        event_index=index,
        time=time,
        p_accept=draft.p_accept,
        p_silence=draft.p_silence,
    )


def ask_person(state: State, draft: Draft) -> Feedback:
    """Interrupt until the person gives an allowed answer."""
    now = state.events[state.current].time
    error = None
    while True:
        value = interrupt(review_request(state, draft, error))
        try:
            return parse_answer(value, draft, state.current_index, now)
        except BadAnswerError as exc:
            error = str(exc)  # ask again, saying what was wrong


def ask_judge(
    state: State, draft: Draft, ctx: Context
) -> tuple[Feedback, float | None, ModelOutputError | None]:
    """The judge model's verdict as a :class:`Feedback`, with its accept probability and the
    judge model's failure when the ``fallback`` backend answered instead."""
    events = [e for e in state.events[: state.current + 1] if e.source != "agent"]
    verdict, failed = with_fallback(
        ctx,
        "judge",
        ctx.judge_backend,
        lambda spec: judge_for(spec, ctx.max_retries, llm_retry(ctx), ctx.llm_timeout).judge(
            events, draft.task
        ),
    )
    answer = Feedback(
        answer="accept" if verdict.accepted else "reject",
        reason=verdict.reason,
        task=draft.task,
        kind=draft.kind,
        by="judge",
        event_index=state.current_index,
        time=state.events[state.current].time,
        p_accept=draft.p_accept,
        p_silence=draft.p_silence,
    )
    return answer, verdict.probability, failed


def judge_is_unsure(probability: float | None, ctx: Context) -> bool:
    """In auto mode, whether the person should be asked: the probability that this user accepts
    (the personal model's, else the judge's) is inside the band. A judge without a probability is
    taken at its word."""
    return probability is not None and ctx.auto_band_low <= probability <= ctx.auto_band_high


def ignore_cooldown(state: State, ctx: Context) -> int:
    """The back-off after an ignore: doubled for each ignore just before it, capped."""
    if not ctx.learn_from_feedback:
        return 0
    streak = 0
    for answer in reversed(state.feedback):
        if answer.answer != "ignore":
            break
        streak += 1
    return ctx.ignore_cooldown * min(2**streak, MAX_COOLDOWN_FACTOR)


def feedback(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Get the answer to the draft, remember it, and set the status the routes read."""
    ctx = run_settings(runtime)
    draft = state.draft
    if draft is None:
        raise ValueError("feedback reached without a draft")
    fell_back: dict[str, Any] = {}
    if ctx.feedback_mode == "human":
        answer = ask_person(state, draft)
    else:
        try:
            answer, probability, failed = ask_judge(state, draft, ctx)
        except ModelOutputError as exc:
            return failure_update(state, "judge", exc)
        fell_back = fallback_update(state, "judge", ctx, failed)
        unsure = draft.personal if draft.personal is not None else probability
        if ctx.feedback_mode == "auto" and judge_is_unsure(unsure, ctx):
            answer = ask_person(state, draft)
    memory(ctx).add_feedback(
        user=ctx.user_id, thread=thread_id(), feedback=answer, time=answer.time
    )
    learned = notice_update(state, personal.learn(ctx, answer))
    update: dict[str, Any] = merge(fell_back, learned) | {
        "feedback": [answer],
        "proposals": [
            Proposal(
                event_index=state.current_index,
                task=draft.task,
                kind=draft.kind,
                round=state.refinements,
                outcome=answer.answer,
            )
        ],
    }
    if answer.answer == "accept":
        update["status"] = "accepted"
    elif answer.answer == "edit":
        update["status"] = "edited"
        update["draft"] = draft.model_copy(update={"task": answer.edited_task})
    elif answer.answer == "ignore":
        update["status"] = "ignored"
        update["cooldown"] = ignore_cooldown(state, ctx)
    elif state.refinements < ctx.max_refinements:
        update["status"] = "rejected"
    else:
        update["status"] = "gave_up"
        update["decision"] = "rejected at the refinement bound"
    return update
