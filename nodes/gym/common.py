"""What the gym's nodes share: the clock, the scene, entity bookkeeping, trace records and the
call of a role's language model."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel

from backends.llm import chat_model, is_local, structured_reply
from backends.prompts import render_events
from graphs.context import settings
from graphs.state import Event, Source
from gym.scenes import Scene
from gym.schema import EntityState, GymContext, GymState, RecordKind, TraceRecord

T = TypeVar("T", bound=BaseModel)

MIN_GAP, MAX_GAP = 30, 90
"""Seconds the clock advances per event: deterministic, from the event's text."""


def gym_settings(runtime: Runtime[GymContext] | None) -> GymContext:
    """The run's gym settings (defaults when the caller gave none or gave agent settings)."""
    given = runtime.context if runtime is not None else None
    if isinstance(given, dict):  # e.g. the `context` of a `langgraph dev` run
        return GymContext(**given)
    ctx = settings(given)
    return ctx if isinstance(ctx, GymContext) else GymContext(**vars(ctx))


def uses_model(ctx: GymContext) -> bool:
    """True when the environment, user and executor roles are played by a language model."""
    return not is_local(ctx.gym_model)


def scene_of(state: GymState) -> Scene:
    """The session's scene, validated."""
    if state.scene is None:
        raise ValueError("a gym session needs a scene")
    return state.scene if isinstance(state.scene, Scene) else Scene.model_validate(state.scene)


def tick(clock: float, text: str) -> float:
    """The clock after one more event: +30..90 s, the same for the same text."""
    return clock + MIN_GAP + zlib.crc32(text.encode("utf-8")) % (MAX_GAP - MIN_GAP + 1)


def timed_events(clock: float, texts: Iterable[tuple[str, Source]]) -> tuple[list[Event], float]:
    """Events stamped by the gym clock, and the clock after them."""
    events = []
    for text, source in texts:
        clock = tick(clock, text)
        events.append(Event(time=clock, text=text, source=source))
    return events, clock


def record(
    kind: RecordKind, state: GymState, clock: float | None = None, /, **data: Any
) -> TraceRecord:
    """A trace line at the current step (positional parameters: ``data`` may hold a 'kind')."""
    now = state.clock if clock is None else clock
    return TraceRecord(kind=kind, step=state.steps, time=now, data=data)


def event_records(state: GymState, events: Sequence[Event]) -> list[TraceRecord]:
    """One trace line per event."""
    return [record("event", state, e.time, text=e.text, source=e.source) for e in events]


def failure_record(state: GymState, role: str, error: Exception) -> TraceRecord:
    """A trace line for a model failure (the session goes on)."""
    return record("failure", state, role=role, error=str(error))


def merge_entities(
    entities: Sequence[EntityState], updates: Sequence[EntityState]
) -> list[EntityState]:
    """Entities with updates applied by name (a new name is a new entity)."""
    merged = {e.name.lower(): e for e in entities}
    for update in updates:
        key = update.name.lower()
        if key in merged:
            old = merged[key]
            merged[key] = old.model_copy(
                update={
                    "status": update.status or old.status,
                    "properties": {**old.properties, **update.properties},
                }
            )
        else:
            merged[key] = update
    return list(merged.values())


def render_entities(entities: Sequence[EntityState]) -> str:
    """Entities as lines for a prompt."""
    lines = []
    for e in entities:
        props = ", ".join(f"{k}: {v}" for k, v in e.properties.items())
        lines.append(f"- {e.name} ({e.status})" + (f" [{props}]" if props else ""))
    return "\n".join(lines) or "(none)"


def recent_events(state: GymState, n: int = 15) -> str:
    """The last events of the session for a prompt."""
    return render_events(state.history[-n:]) or "(nothing yet)"


def ask_model(ctx: GymContext, system: str, request: str | None, schema: type[T], role: str) -> T:
    """A role model's reply parsed into ``schema`` (retried with the error shown to it)."""
    messages: list[Any] = [SystemMessage(content=system)]
    if request:
        messages.append(HumanMessage(content=request))
    return structured_reply(
        chat_model(ctx.gym_model), messages, schema, role=role, max_retries=ctx.max_retries
    )
