"""execute: carry out the accepted (or edited) task with tools and record what was done."""

from __future__ import annotations

import json
from typing import Any

from langgraph.runtime import Runtime

from backends.executor import executor_for
from backends.local.task_subjects import kind_of_edit
from backends.schema import ModelOutputError
from graphs.context import Context
from graphs.state import Event, Execution, State, ToolCall
from nodes.common import llm_retry, memory, run_settings, thread_id, with_fallback, workspace
from nodes.draft import fallback_update
from tools import ToolRunner, build_tools

MEMORY_KINDS = ("event", "execution")
"""Memory records the executor may search (feedback records are left out)."""

ACTING_TOOLS = frozenset({"write_file", "write_note", "write_outline", "set_reminder", "run_shell"})
"""Tools whose calls change the person's world (files, reminders, commands): each becomes its own
event. Successful reads and analyses are named together in the closing event instead: an execution
of twenty reads would otherwise push the person's own events out of the state's 64-event window
and cost a memory record each."""


def describe_call(call: ToolCall) -> str:
    """One sentence for the event log about a tool call."""
    args = json.dumps(call.args, ensure_ascii=False)
    if len(args) > 160:
        args = args[:157] + "..."
    outcome = "done" if call.ok else f"refused: {call.output[:120]}"
    return f"The assistant called {call.tool} with {args} ({outcome})."


MISSING = ("does not exist", "not found", "no such file")
"""Words of a tool's error for a path that is not there: a miss, not a refusal."""


def missed(call: ToolCall) -> bool:
    """A read of something that is not there (named in the closing event, not an event itself)."""
    return not call.ok and call.tool not in ACTING_TOOLS and any(m in call.output for m in MISSING)


def on_record(call: ToolCall) -> bool:
    """Whether a call is its own event: it changed something, or it was refused (an attempt to
    read outside the root, or a tool not offered, stays visible in the event log)."""
    return call.tool in ACTING_TOOLS or (not call.ok and not missed(call))


def tools_used(calls: list[ToolCall]) -> str:
    """The reads an execution made, in first-use order, with counts ("read_lines x2")."""
    counts: dict[str, int] = {}
    for call in calls:
        if not on_record(call) and not missed(call):
            counts[call.tool] = counts.get(call.tool, 0) + 1
    return ", ".join(f"{name} x{n}" if n > 1 else name for name, n in counts.items())


def execution_events(calls: list[ToolCall], summary: str, now: float) -> list[Event]:
    """The events an execution becomes: one per acting or refused call, then a closing event
    with the outcome and the reads."""
    records = [
        Event(time=now, text=describe_call(c), source="agent") for c in calls if on_record(c)
    ]
    closing = summary or "The assistant finished."
    used = tools_used(calls)
    if used:
        closing += f" (read with: {used})"
    absent = sorted({str(next(iter(c.args.values()), "")) for c in calls if missed(c)} - {""})
    if absent:
        closing += f" (not found: {', '.join(absent[:5])}{', ...' if len(absent) > 5 else ''})"
    records.append(Event(time=now, text=closing, source="agent"))
    return records


def execute(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Run the executor on the draft; what it changed and its outcome become agent events."""
    ctx = run_settings(runtime, state)
    draft = state.draft
    assert draft is not None, "execute follows an accepted draft"
    if state.status == "edited":
        # The person's edit may ask for another kind of help than the one drafted.
        draft = draft.model_copy(update={"kind": kind_of_edit(draft.task, draft.kind)})
    store = memory(ctx)
    user, thread = ctx.user_id, thread_id()

    def search_memory(query: str) -> str:
        # What the person did and what was carried out; never the answers to proposals (another
        # thread's rejections say nothing about this task).
        hits = store.search(user=user, query=query, k=5, kinds=MEMORY_KINDS)
        return "\n".join(f"- {h.text}" for h in hits) or "nothing related remembered"

    tools = build_tools(
        workspace(ctx),
        memory_search=search_memory,
        allow_shell=ctx.allow_shell,
        project_root=ctx.project_root or None,
    )
    events = [e for e in state.events[: state.current + 1] if e.source != "agent"]
    runner = ToolRunner(tools)
    errors: list[str] = []
    fell_back: dict[str, Any] = {}
    try:
        result, failed = with_fallback(
            ctx,
            "executor",
            ctx.executor_backend,
            lambda spec: executor_for(spec, llm_retry(ctx), ctx.llm_timeout).execute(
                draft, events, tools, runner
            ),
        )
        fell_back = fallback_update(state, "executor", ctx, failed)
        done = failed.calls if failed is not None else []
    except ModelOutputError as exc:
        result = Execution(
            task=draft.task, kind=draft.kind, calls=exc.calls, summary=str(exc), ok=False
        )
        errors.append(str(exc))
        done = []
    now = state.events[state.current].time
    # Tool calls a failed chat executor made before the fallback took over stay on record.
    records = [Event(time=now, text=describe_call(c), source="agent") for c in done]
    records += fell_back.get("events", [])
    records += execution_events(result.calls, result.summary, now)
    store.add_execution(
        user=user,
        thread=thread,
        task=draft.task,
        kind=draft.kind,
        summary=result.summary,
        time=now,
        events=records,
        start=state.next_index,
    )
    return {
        "executions": [result],
        "events": records,
        "errors": errors + fell_back.get("errors", []),
        "status": "executed" if result.ok else "failed",
    }
