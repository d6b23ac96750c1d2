"""refine: a new draft that uses the feedback and differs from the rejected ones."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from backends.agent import ProposalRequest
from backends.schema import ModelOutputError
from graphs.context import Context
from graphs.state import State
from nodes.common import run_settings
from nodes.draft import (
    failure_update,
    fallback_update,
    propose_with_fallback,
    recently_rejected_kinds,
)


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def refine(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Draft again with the rejections of this event in view; give up if nothing new comes."""
    ctx = run_settings(runtime)
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
        avoid_kinds=recently_rejected_kinds(ctx, state.events[state.current].time),
    )
    base = {"rejected": rejected, "refinements": state.refinements + 1}
    try:
        proposal, failed = propose_with_fallback(ctx, request)
    except ModelOutputError as exc:
        return base | failure_update(state, "agent", exc)
    base |= fallback_update(state, "agent", ctx, failed)
    if proposal is None or _normal(proposal.task) in {_normal(d.task) for d in rejected}:
        return base | {"draft": None, "status": "gave_up"}
    return base | {"draft": proposal, "status": "proposed"}
