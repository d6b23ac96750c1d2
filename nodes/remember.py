"""remember: write the new event to memory and retrieve related past events and feedback."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graphs.context import Context
from graphs.state import State
from nodes.common import memory, run_settings, thread_id


def remember(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Store the event (idempotently) and recall what relates to it."""
    ctx = run_settings(runtime)
    store = memory(ctx)
    event = state.events[state.current]
    thread = thread_id()
    # Recall before writing, so the event does not retrieve itself.
    hits = store.search(user=ctx.user_id, query=event.text, k=ctx.memory_k)
    store.add_event(user=ctx.user_id, thread=thread, index=state.current, event=event)
    return {"memories": hits}
