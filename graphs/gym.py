"""The gym graph (ProactiveAgent §3): a simulated environment and user around the proactive
agent, generating the traces its training data come from.

setup_environment → user_act → apply_activity → agent_observe (per pending event) →
execute_operation when the user accepted a task → … → user_act, until the user's goal is done
or the step budget is spent. The agent graph runs as a subgraph with its own checkpoint
namespace (`checkpointer=True`), so its per-thread state lives on between events of a session.
Compile with a checkpointer (`build_gym`); `graph` has none for the `langgraph dev` server.
"""

from __future__ import annotations

from typing import Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from graphs.agent import builder as agent_builder
from graphs.context import served
from graphs.serde import STATE_TYPES
from gym.scenes import Environment, Scene, UserPersona
from gym.schema import EntityState, GymContext, GymInput, GymState, Operation, TraceRecord
from nodes.gym.agent import make_agent_observer
from nodes.gym.environment import apply_activity, setup_environment
from nodes.gym.executor import execute_operation
from nodes.gym.user import user_act


def route_after_user(state: GymState) -> Literal["apply_activity", "__end__"]:
    """An action goes to the environment; no action (goal done, budget spent) ends the session."""
    return "apply_activity" if state.activity is not None else END


def route_after_agent(
    state: GymState,
) -> Literal["execute_operation", "agent_observe", "user_act"]:
    """An accepted task is carried out first; then the agent observes what is still pending;
    when it has seen everything, the user acts again."""
    if state.accepted is not None:
        return "execute_operation"
    if state.pending:
        return "agent_observe"
    return "user_act"


agent_subgraph = agent_builder.compile(checkpointer=True, name="proactive_agent")
"""The agent graph, keeping its own state per gym thread (its own checkpoint namespace)."""


def make_builder(context_schema: type[GymContext] = GymContext) -> StateGraph:
    """The gym graph's nodes and edges, over `context_schema` (the served graph's refuses
    server settings from clients: `graphs.context.served`)."""
    builder = StateGraph(GymState, input_schema=GymInput, context_schema=context_schema)
    builder.add_node("setup_environment", setup_environment)
    builder.add_node("user_act", user_act)
    builder.add_node("apply_activity", apply_activity)
    builder.add_node("agent_observe", make_agent_observer(agent_subgraph))
    builder.add_node("execute_operation", execute_operation)

    # The scene is expanded and the persona taken on before the user's first move.
    builder.add_edge(START, "setup_environment")
    builder.add_edge("setup_environment", "user_act")
    builder.add_conditional_edges("user_act", route_after_user)
    # Every user action yields events the agent must observe.
    builder.add_edge("apply_activity", "agent_observe")
    builder.add_conditional_edges("agent_observe", route_after_agent)
    # An operation's effects are events too: the agent observes them before the user moves.
    builder.add_edge("execute_operation", "agent_observe")
    return builder


builder = make_builder()
"""The gym graph for runs and tests: every setting may be given."""

GYM_TYPES = (*STATE_TYPES, Scene, Environment, UserPersona, EntityState, Operation, TraceRecord)
"""Types stored in gym checkpoints, allowed when a checkpoint is read back."""


def gym_serde() -> JsonPlusSerializer:
    """A checkpoint serializer that reads back the gym's and the agent's state types."""
    return JsonPlusSerializer(allowed_msgpack_modules=GYM_TYPES)


def build_gym(
    checkpointer: BaseCheckpointSaver | None = None, *, name: str = "proactive_gym"
) -> CompiledStateGraph:
    """The gym graph compiled with a checkpointer (in-memory by default) for runs and tests."""
    saver = checkpointer if checkpointer is not None else InMemorySaver(serde=gym_serde())
    return builder.compile(checkpointer=saver, name=name)


graph = make_builder(served(GymContext)).compile(name="proactive_gym")
"""Compiled without a checkpointer for the `langgraph dev` server, which supplies persistence;
its clients may set run settings only (`graphs.context.served`)."""
