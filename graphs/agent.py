"""The proactive agent graph: observe → remember → detect → draft → feedback → refine → execute.

One invocation handles one new event. Export both the builder (to compile with your own
checkpointer) and `graph`, compiled without one for the `langgraph dev` server.
"""

from __future__ import annotations

from typing import Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from graphs.context import Context, served
from graphs.serde import checkpoint_serde
from graphs.state import InputState, State
from nodes.detect import detect
from nodes.draft import draft
from nodes.execute import execute
from nodes.feedback import feedback
from nodes.observe import observe
from nodes.refine import refine
from nodes.remember import remember


def route_after_detect(state: State) -> Literal["draft", "__end__"]:
    """Draft only when help seems needed; otherwise the agent stays silent."""
    return "draft" if state.needs_help else END


def route_after_draft(state: State) -> Literal["feedback", "__end__"]:
    """A draft goes to the user agent; silence (or a failed model) ends the event."""
    return "feedback" if state.draft is not None else END


def route_after_feedback(state: State) -> Literal["execute", "refine", "__end__"]:
    """Accepted or edited → carry it out; rejected → try another draft; else stop."""
    if state.status in ("accepted", "edited"):
        return "execute"
    if state.status == "rejected":
        return "refine"
    return END  # gave up at the refinement bound, ignored (back off), or the judge failed


def route_after_refine(state: State) -> Literal["feedback", "__end__"]:
    """A new draft is judged again; if nothing new came, give up quietly."""
    return "feedback" if state.draft is not None else END


def make_builder(context_schema: type[Context] = Context) -> StateGraph:
    """The agent graph's nodes and edges, over `context_schema` (the served graph's refuses
    server settings from clients: `graphs.context.served`)."""
    builder = StateGraph(State, input_schema=InputState, context_schema=context_schema)
    builder.add_node("observe", observe)
    builder.add_node("remember", remember)
    builder.add_node("detect", detect)
    builder.add_node("draft", draft)
    builder.add_node("feedback", feedback)
    builder.add_node("refine", refine)
    builder.add_node("execute", execute)

    # Every event is validated, then remembered, before any decision reads memory.
    builder.add_edge(START, "observe")
    builder.add_edge("observe", "remember")
    builder.add_edge("remember", "detect")
    builder.add_conditional_edges("detect", route_after_detect)
    builder.add_conditional_edges("draft", route_after_draft)
    builder.add_conditional_edges("feedback", route_after_feedback)
    builder.add_conditional_edges("refine", route_after_refine)
    # What was executed is recorded as events; the next user event starts a new pass.
    builder.add_edge("execute", END)
    return builder


builder = make_builder()
"""The graph for scripts, tests and the CLI: every setting may be given."""


def build_graph(
    checkpointer: BaseCheckpointSaver | None = None, *, name: str = "proactive_agent"
) -> CompiledStateGraph:
    """The agent graph compiled with a checkpointer (in-memory by default) for scripts/tests."""
    saver = checkpointer if checkpointer is not None else InMemorySaver(serde=checkpoint_serde())
    return builder.compile(checkpointer=saver, name=name)


graph = make_builder(served(Context)).compile(name="proactive_agent")
"""Compiled without a checkpointer for the `langgraph dev` server, which supplies persistence;
its clients may set run settings only (paths, shell, user and local-only come from the
server's environment)."""
