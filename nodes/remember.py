"""remember: write the new event to memory and retrieve related past events and feedback."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graphs.context import Context
from graphs.state import State
from nodes.common import memory, run_settings, thread_id


def remember(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Store the event (idempotently) and recall what relates to it."""
    ctx = run_settings(runtime, state)
    store = memory(ctx)
    event = state.events[state.current]
    thread = thread_id()
    # Recall before writing, so the event does not retrieve itself; a replayed step (after a
    # crash between the write and its checkpoint) finds it stored already, so drop that hit.
    hits = store.search(user=ctx.user_id, query=event.text, k=ctx.memory_k + 1)
    hits = [
        h
        for h in hits
        if not (
            h.metadata.get("thread") == thread and h.metadata.get("index") == state.current_index
        )
    ][: ctx.memory_k]
    store.add_event(user=ctx.user_id, thread=thread, index=state.current_index, event=event)
    return {"memories": hits}
