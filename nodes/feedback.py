"""feedback: the user agent answers the current draft.

`simulated`: the judge model answers as the user would. `human`: the graph interrupts with a
payload listing the allowed answers and resumes with the person's answer. `auto`: the judge
answers when the personal model is sure what this user would say, and the person is asked when
its accept probability for them falls inside the band `auto_band_low..auto_band_high`. All end
in the same code path: the answer is recorded, remembered, teaches the user's personal model,
and decides the route.
"""

from __future__ import annotations

import hashlib
from typing import Any

from langgraph._internal._constants import CONFIG_KEY_SCRATCHPAD
from langgraph.config import get_config
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

REVIEW_ACTION = "proactive_task"
"""The `action` of the review's action request: the task the assistant offers to carry out."""

REVIEW_CONFIG = {
    "allow_accept": True,
    "allow_edit": True,
    "allow_respond": True,
    "allow_ignore": True,
}
"""Every answer is allowed: accept, edit the task, respond (reject, with a reason), ignore."""

MAX_COOLDOWN_FACTOR = 8
"""Consecutive ignored proposals double the cooldown, up to this factor."""


PROPOSAL_KEY = "proposal_id"
"""Where an answer names the proposal it answers (in a `HumanResponse`, or an older answer's
dict), and where the review payload's `proactive` details carry it."""


class BadAnswerError(ValueError):
    """A resume value that is not one of the allowed answers."""


class StaleAnswerError(BadAnswerError):
    """An answer that names a proposal other than the one waiting (the person saw another)."""


def proposal_id(event_index: int, round: int, draft: Draft) -> str:
    """The id of a proposal as the person saw it: the event it follows, the round, and a digest
    of the offered task and its kind. A refinement, or the same words at a later event, gets
    another id; asking again after a bad answer keeps it."""
    text = f"{event_index}\n{round}\n{draft.kind}\n{draft.task}".encode()
    digest = hashlib.blake2b(text, digest_size=8).hexdigest()
    return f"e{event_index}r{round}-{digest}"


def answered_proposal(value: Any) -> str | None:
    """The proposal id an answer names, if it names one."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    named = value.get(PROPOSAL_KEY) if isinstance(value, dict) else None
    return named if isinstance(named, str) and named else None


def review_request(state: State, draft: Draft, error: str | None = None) -> list[dict[str, Any]]:
    """The interrupt payload shown to a person, in LangChain's human-interrupt schema (a list
    holding one `HumanInterrupt`, as LangChain's Agent Inbox reads it). `proactive` carries the
    details this project's own clients show (the event, the kind of help, the round, ...)."""
    event = state.events[state.current]
    why = draft.thoughts or state.decision
    # The first line is plain text: Agent Inbox's list shows its first characters as they are.
    offered = f"Offered ({draft.kind.replace('_', ' ')}): {draft.task}"
    lines = [offered, f"**After:** {event.text}"]
    if why:
        lines.append(f"**Why:** {why}")
    if draft.response:
        lines.append(draft.response)
    if error:
        lines.append(f"**Your last answer could not be used:** {error}")
    lines.append(
        "Accept to carry it out, edit the task to change it, respond to turn it down (with a "
        "reason, if you like), or ignore it for now."
    )
    details: dict[str, Any] = {
        "event": event.text,
        "time": event.time,
        "event_index": state.current_index,
        "kind": draft.kind,
        "round": state.refinements,
        "reason": why,
        "response": draft.response,
        "personal": draft.personal,
        PROPOSAL_KEY: proposal_id(state.current_index, state.refinements, draft),
    }
    if error:
        details["error"] = error
    return [
        {
            "action_request": {"action": REVIEW_ACTION, "args": {"task": draft.task}},
            "config": dict(REVIEW_CONFIG),
            "description": "\n\n".join(lines),
            "proactive": details,
        }
    ]


_LEGACY = ("accept", "reject", "edit", "ignore")


def _as_answer(value: Any) -> tuple[str, str, str | None]:
    """(answer, reason, edited task) from a resume value: an Agent Inbox `HumanResponse`
    (alone or in a list of one), or the older forms ("accept", {"answer": "reject", ...})."""
    if isinstance(value, list):
        if len(value) != 1:
            raise BadAnswerError(f"expected one response, got a list of {len(value)}")
        value = value[0]
    if isinstance(value, dict) and "type" in value:
        kind, args = value["type"], value.get("args")
        if kind in ("accept", "ignore"):
            return kind, "", None
        if kind == "response":
            if args is not None and not isinstance(args, str):
                raise BadAnswerError("a response's args must be the reason, as text")
            return "reject", (args or "").strip(), None
        if kind == "edit":
            task = None
            if isinstance(args, dict):
                inner = args.get("args") if isinstance(args.get("args"), dict) else args
                task = inner.get("task")
            if not (isinstance(task, str) and task.strip()):
                raise BadAnswerError(
                    'an edit needs the changed task: {"type": "edit", "args": {"action": '
                    f'"{REVIEW_ACTION}", "args": {{"task": "..."}}}}}}'
                )
            return "edit", "", task.strip()
        raise BadAnswerError(
            f"type must be accept, edit, response or ignore, got {str(kind)[:40]!r}"
        )
    data = {"answer": value} if isinstance(value, str) else value
    if not isinstance(data, dict) or data.get("answer") not in _LEGACY:
        raise BadAnswerError(
            'answer with an Agent Inbox response ({"type": "accept" | "edit" | '
            '"response" | "ignore", "args": ...}) or one of accept, reject, edit, ignore '
            f'(as a string or {{"answer": ...}}), got {value!r:.80}'
        )
    edited = data.get("task")
    if data["answer"] == "edit" and not (isinstance(edited, str) and edited.strip()):
        raise BadAnswerError('an edit needs the changed task: {"answer": "edit", "task": "..."}')
    edited = edited.strip() if data["answer"] == "edit" else None
    return data["answer"], str(data.get("reason") or ""), edited


def parse_answer(
    value: Any, draft: Draft, index: int, time: float, expected: str | None = None
) -> Feedback:
    """A person's resume value as a :class:`Feedback`; :class:`BadAnswerError` says why not.
    An answer that names a proposal (`proposal_id`) must name `expected`, the one waiting
    (:class:`StaleAnswerError`); one that names none (the Agent Inbox's) answers what waits."""
    answer, reason, edited = _as_answer(value)
    named = answered_proposal(value)
    if named is not None and expected is not None and named != expected:
        raise StaleAnswerError(
            f"this answer was for proposal {named[:40]!r}, but the one waiting now is "
            f"{expected!r} (it changed since the answer was written)"
        )
    return Feedback(
        answer=answer,
        reason=reason,
        task=draft.task,
        kind=draft.kind,
        edited_task=edited,
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
            expected = proposal_id(state.current_index, state.refinements, draft)
            return parse_answer(value, draft, state.current_index, now, expected)
        except BadAnswerError as exc:
            error = str(exc)  # ask again, saying what was wrong


def answer_waits() -> bool:
    """True when this run resumes the node with an answer to the review it showed a person
    (the value `interrupt()` would return). LangGraph keeps it in the task's scratchpad; there
    is no public accessor."""
    try:
        scratchpad = get_config()["configurable"].get(CONFIG_KEY_SCRATCHPAD)
    except RuntimeError:  # called outside a graph run
        return False
    if scratchpad is None:
        return False
    return bool(scratchpad.resume) or scratchpad.get_null_resume(False) is not None


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


def dismissed_update(state: State, runtime: Runtime[Context] | None) -> dict[str, Any]:
    """A proposal still waiting when the thread's next event comes was dismissed unanswered
    (Agent Inbox's "Mark as Resolved" ends the run and records nothing): it counts as the
    person's "ignore", so memory, the back-off and the personal model learn from it."""
    draft = state.draft
    if state.status != "proposed" or draft is None or not state.events:
        return {}
    ctx = run_settings(runtime, state)
    answer = Feedback(
        answer="ignore",
        task=draft.task,
        kind=draft.kind,
        by="human",
        event_index=state.current_index,
        time=state.events[state.current].time,
        p_accept=draft.p_accept,
        p_silence=draft.p_silence,
    )
    memory(ctx).add_feedback(
        user=ctx.user_id, thread=thread_id(), feedback=answer, time=answer.time
    )
    notice = personal.learn(ctx, answer)
    proposal = Proposal(
        event_index=state.current_index,
        task=draft.task,
        kind=draft.kind,
        round=state.refinements,
        outcome="ignore",
    )
    return {
        "feedback": [answer],
        "proposals": [proposal],
        "cooldown": ignore_cooldown(state, ctx),
    } | ({"errors": [notice]} if notice else {})


def feedback(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Get the answer to the draft, remember it, and set the status the routes read."""
    ctx = run_settings(runtime, state)
    draft = state.draft
    if draft is None:
        raise ValueError("feedback reached without a draft")
    fell_back: dict[str, Any] = {}
    if ctx.feedback_mode == "human" or answer_waits():
        # A resume answers the review a person was shown: it is theirs, whatever this run's
        # settings say, and the judge never decides it again.
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
