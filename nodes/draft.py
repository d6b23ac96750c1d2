"""draft: one concrete task for the current event, or silence."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from backends.agent import ProposalRequest, agent_for
from backends.schema import ModelOutputError
from graphs.context import Context
from graphs.state import Draft, Event, State
from nodes import personal
from nodes.common import llm_retry, run_settings, with_fallback
from nodes.personal import merge, notice_update


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


def candidates_with_fallback(
    ctx: Context, request: ProposalRequest
) -> tuple[list[Draft], ModelOutputError | None]:
    """The agent model's drafts (or the fallback's, with the failure it stands in for)."""
    return with_fallback(
        ctx,
        "agent",
        ctx.agent_backend,
        lambda spec: agent_for(spec, ctx.max_retries, llm_retry(ctx), ctx.llm_timeout).candidates(
            request
        ),
    )


def draft(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Ask the agent model for drafts; the personal model offers the one this user most likely
    accepts, or keeps silent when interrupting them now is more likely to annoy than help."""
    ctx = run_settings(runtime, state)
    request = ProposalRequest(
        events=state.events[: state.current + 1],
        memories=state.memories,
        offered=[p.task for p in state.proposals],
    )
    try:
        drafts, failed = candidates_with_fallback(ctx, request)
    except ModelOutputError as exc:
        return failure_update(state, "agent", exc)
    fell_back = fallback_update(state, "agent", ctx, failed)
    if not drafts:
        nothing = {"draft": None, "status": "silent", "decision": "nothing new to offer"}
        return merge(nothing, fell_back)
    chosen, choice, notice = personal.pick(state, ctx, drafts)
    status = "proposed" if chosen is not None else "silent"
    decided = {"draft": chosen, "status": status, "decision": choice.reason}
    return merge(decided, fell_back, notice_update(state, notice))
