"""draft: one concrete task for the current event, or silence."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from backends.agent import ProposalRequest, agent_for
from backends.schema import ModelOutputError
from graphs.context import Context
from graphs.state import Event, State
from nodes.common import memory, run_settings


def recently_rejected_kinds(ctx: Context, now: float) -> set[str]:
    """Kinds of help this user rejected within the hold window (read from memory)."""
    if not ctx.learn_from_feedback:
        return set()
    recent = memory(ctx).recent_feedback(user=ctx.user_id, limit=20)
    return {
        r.feedback.kind
        for r in recent
        if r.feedback.answer == "reject" and 0 <= now - r.time <= ctx.reject_hold_seconds
    }


def accepted_kinds(ctx: Context) -> set[str]:
    """Kinds of help this user accepted (or edited) among their latest answers."""
    if not ctx.learn_from_feedback:
        return set()
    recent = memory(ctx).recent_feedback(user=ctx.user_id, limit=20)
    return {r.feedback.kind for r in recent if r.feedback.answer in ("accept", "edit")}


def failure_update(state: State, role: str, error: Exception) -> dict[str, Any]:
    """Record a model failure as an agent event and end the handling of this event quietly."""
    now = state.events[state.current].time
    text = f"The assistant's {role} model failed and it stayed silent: {error}"
    return {
        "draft": None,
        "status": "failed",
        "errors": [str(error)],
        "events": [Event(time=now, text=text, source="agent")],
    }


def draft(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Ask the agent model for a task, avoiding kinds of help the user just turned down."""
    ctx = run_settings(runtime)
    now = state.events[state.current].time
    request = ProposalRequest(
        events=state.events[: state.current + 1],
        memories=state.memories,
        avoid_kinds=recently_rejected_kinds(ctx, now),
        prefer_kinds=accepted_kinds(ctx),
    )
    try:
        proposal = agent_for(ctx.agent_backend, ctx.max_retries).propose(request)
    except ModelOutputError as exc:
        return failure_update(state, "agent", exc)
    if proposal is None:
        return {"draft": None, "status": "silent"}
    return {"draft": proposal, "status": "proposed"}
