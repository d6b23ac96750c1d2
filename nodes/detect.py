"""detect: does the user need help now? A need score and a decision."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from backends.llm import is_local
from graphs.context import Context, parse_quiet_hours
from graphs.state import Event, State
from nodes.common import run_settings


def user_window(state: State) -> list[Event]:
    """The user's and environment's events up to the current one (what the detector reads)."""
    return [e for e in state.events[: state.current + 1] if e.source != "agent"]


def need_score(state: State) -> float:
    """The embedded need detector's score at the current event. (What this user answered
    before weighs in later, in `draft`: the personal model decides whether to interrupt.)"""
    from backends.local import load_models  # noqa: PLC0415 - keeps import of the graph light

    return load_models().need.score(user_window(state))


def interruption_limit(state: State, ctx: Context) -> str | None:
    """Why no proposal may be made now (budget, minimum gap, quiet hours), or None."""
    now = state.events[state.current].time
    quiet = parse_quiet_hours(ctx.quiet_hours)
    if quiet is not None:
        hour = int(now // 3600) % 24  # UTC hour of the event's time
        start, end = quiet
        inside = start <= hour < end if start <= end else (hour >= start or hour < end)
        if inside:
            return f"quiet hours {ctx.quiet_hours} (UTC)"
    # One interruption per event, however many refinements it took.
    # Times from the answers (each carries its event's time): they outlive the event window.
    asked = {f.event_index: f.time for f in state.feedback if f.event_index < state.current_index}
    times = sorted(asked.values())
    if ctx.min_gap_seconds > 0 and times and now - times[-1] < ctx.min_gap_seconds:
        return f"less than {ctx.min_gap_seconds:g} s since the last proposal"
    if ctx.max_proposals > 0:
        recent = [t for t in times if now - t < ctx.budget_window_seconds]
        if len(recent) >= ctx.max_proposals:
            return (
                f"{len(recent)} proposals in the last {ctx.budget_window_seconds:g} s "
                f"(budget {ctx.max_proposals})"
            )
    return None


def detect(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Score the need for help at the current event and decide whether to draft."""
    ctx = run_settings(runtime, state)
    event = state.events[state.current]
    if event.source == "agent":
        return {"needs_help": False, "status": "silent"}  # never react to our own actions
    if state.cooldown > 0:
        return {"needs_help": False, "status": "cooling_down"}
    if interruption_limit(state, ctx) is not None:
        return {"needs_help": False, "status": "held_back"}
    score = need_score(state)
    if is_local(ctx.agent_backend) or ctx.llm_gate:
        needs_help = score >= ctx.need_threshold
    else:
        needs_help = True  # the language model itself decides, by answering null or a task
    return {
        "need": round(score, 4),
        "needs_help": needs_help,
        "status": "observing" if needs_help else "silent",
    }
