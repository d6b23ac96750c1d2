"""refine: a new draft that uses the feedback and differs from the rejected ones."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from backends.agent import ProposalRequest
from backends.schema import ModelOutputError
from graphs.context import Context
from graphs.state import State
from nodes import personal
from nodes.common import run_settings
from nodes.draft import candidates_with_fallback, failure_update, fallback_update
from nodes.personal import merge, notice_update


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def refine(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Draft again with the rejections of this event in view; give up if nothing new comes or
    the personal model, having just heard a refusal, would rather stay silent."""
    ctx = run_settings(runtime, state)
    assert state.draft is not None, "refine follows a rejected draft"
    rejected = [*state.rejected, state.draft]
    answers = [
        f for f in state.feedback if f.event_index == state.current_index and f.answer == "reject"
    ]
    request = ProposalRequest(
        events=state.events[: state.current + 1],
        memories=state.memories,
        rejected=rejected,
        feedback=answers,
        offered=[p.task for p in state.proposals],
    )
    base = {"rejected": rejected, "refinements": state.refinements + 1}
    try:
        drafts, failed = candidates_with_fallback(ctx, request)
    except ModelOutputError as exc:
        return base | failure_update(state, "agent", exc)
    base = merge(base, fallback_update(state, "agent", ctx, failed))
    turned_down = {_normal(d.task) for d in rejected}
    drafts = [d for d in drafts if _normal(d.task) not in turned_down]
    if not drafts:
        return merge(base, {"draft": None, "status": "gave_up", "decision": "nothing new"})
    chosen, choice, notice = personal.pick(state, ctx, drafts)
    status = "proposed" if chosen is not None else "gave_up"
    decided = {"draft": chosen, "status": status, "decision": choice.reason}
    return merge(base, decided, notice_update(state, notice))
