"""The simulated environment: it expands the scene into entities, and turns each user action
into events and entity updates (time advancing per event)."""

from __future__ import annotations

import re
from typing import Any

from langgraph.runtime import Runtime

from backends.schema import ModelOutputError
from graphs.state import Source
from gym import prompts
from gym.schema import EntityState, EnvironmentSetup, EnvironmentUpdate, GymContext, GymState
from nodes.gym.common import (
    ask_model,
    event_records,
    failure_record,
    gym_settings,
    merge_entities,
    record,
    render_entities,
    scene_of,
    timed_events,
    uses_model,
)

EXAMPLES_SHOWN = 8
"""Example events of the scene shown to the environment and user models."""


def scripted_entities(names: list[str]) -> list[EntityState]:
    """The scene's entities, all idle: the offline environment's starting point."""
    return [EntityState(name=name, status="idle") for name in names]


def setup_environment(state: GymState, runtime: Runtime[GymContext]) -> dict[str, Any]:
    """Expand the scene into entities with status and properties; the user takes on the persona."""
    ctx = gym_settings(runtime)
    scene = scene_of(state)
    env = scene.environment
    persona = f"{scene.user.description} Goal: {scene.user.goal}"
    log = [record("scene", state, theme=env.theme, goal=scene.user.goal, persona=persona)]
    entities = scripted_entities(env.entities)
    if uses_model(ctx):
        request = prompts.ENVIRONMENT_SETUP.format(
            theme=env.theme, description=env.description, entities=", ".join(env.entities)
        )
        try:
            reply = ask_model(
                ctx, "You simulate a work environment.", request, EnvironmentSetup, "environment"
            )
            entities = merge_entities(entities, reply.entities)
        except ModelOutputError as exc:
            log.append(failure_record(state, "environment", exc))
    log.append(record("entities", state, entities=[e.model_dump() for e in entities]))
    failures = [r.data["error"] for r in log if r.kind == "failure"]
    return {
        "scene": scene,
        "persona": persona,
        "entities": entities,
        "log": log,
        "failures": failures,
    }


def source_of(text: str) -> Source:
    """Who an environment sentence is about: the user's own action, or its surroundings."""
    return "user" if text.lower().startswith(("the user", "user ")) else "environment"


def touched_entities(entities: list[EntityState], text: str) -> list[EntityState]:
    """Offline entity updates: entities the event names become active."""
    lowered = text.lower()
    touched = []
    for entity in entities:
        words = [w for w in re.findall(r"[a-z0-9]+", entity.name.lower()) if len(w) > 3]
        if entity.name.lower() in lowered or any(
            re.search(rf"\b{re.escape(w)}", lowered) for w in words
        ):
            touched.append(
                EntityState(name=entity.name, status="in use", properties={"last_event": text})
            )
    return touched


def apply_activity(state: GymState, runtime: Runtime[GymContext]) -> dict[str, Any]:
    """Turn the user's action into events and entity updates; the agent will observe them."""
    ctx = gym_settings(runtime)
    assert state.activity is not None, "apply_activity follows a user action"
    scene = scene_of(state)
    texts: list[tuple[str, Source]] = [(state.activity, "user")]
    updates = touched_entities(state.entities, state.activity)
    log = []
    if uses_model(ctx):
        request = prompts.ENVIRONMENT_STEP.format(
            description=scene.environment.description,
            entities=render_entities(state.entities),
            examples="\n".join(scene.environment.events_example[:EXAMPLES_SHOWN]),
            action=state.activity,
        )
        try:
            reply = ask_model(
                ctx, "You simulate a work environment.", request, EnvironmentUpdate, "environment"
            )
            texts = [(t, source_of(t)) for t in reply.events]
            if texts[0][1] != "user":  # the action itself always comes first
                texts.insert(0, (state.activity, "user"))
            updates = reply.entity_updates
        except ModelOutputError as exc:
            log.append(failure_record(state, "environment", exc))
    events, clock = timed_events(state.clock, texts)
    entities = merge_entities(state.entities, updates)
    log += event_records(state, events)
    if updates:
        log.append(record("entities", state, clock, entities=[e.model_dump() for e in entities]))
    return {
        "history": events,
        "pending": [*state.pending, *events],
        "entities": entities,
        "clock": clock,
        "activity": None,
        "log": log,
        "failures": [r.data["error"] for r in log if r.kind == "failure"],
    }
