"""draft: one concrete task for the current event, or silence."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from backends.agent import ProposalRequest, agent_for
from backends.schema import ModelOutputError
from graphs.context import Context
from graphs.state import Draft, Event, State
from nodes.common import llm_retry, memory, run_settings, with_fallback


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


def fallback_update(
    state: State, role: str, ctx: Context, error: ModelOutputError | None
) -> dict[str, Any]:
    """Record that the ``fallback`` backend answered for a failed model (nothing when the
    role's own model answered): an agent event and an entry in ``errors``."""
    if error is None:
        return {}
    now = state.events[state.current].time
    text = (
        f"The assistant's {role} model failed, so the {ctx.fallback.strip()} model answered "
        f"instead: {error}"
    )
    return {"errors": [str(error)], "events": [Event(time=now, text=text, source="agent")]}


def propose_with_fallback(
    ctx: Context, request: ProposalRequest
) -> tuple[Draft | None, ModelOutputError | None]:
    """The agent model's draft (or the fallback's, with the failure it stands in for)."""
    return with_fallback(
        ctx,
        "agent",
        ctx.agent_backend,
        lambda spec: agent_for(spec, ctx.max_retries, llm_retry(ctx), ctx.llm_timeout).propose(
            request
        ),
    )


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
        proposal, failed = propose_with_fallback(ctx, request)
    except ModelOutputError as exc:
        return failure_update(state, "agent", exc)
    fell_back = fallback_update(state, "agent", ctx, failed)
    if proposal is None:
        return {"draft": None, "status": "silent"} | fell_back
    return {"draft": proposal, "status": "proposed"} | fell_back
