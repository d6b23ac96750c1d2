"""The gym's executor: an accepted task is carried out with one of the scene's agent
operations, which the environment applies; its effects become events the agent observes.

Offline the operation is the one whose name and parameters share the most words with the
task, called with the task's quoted names (or its key words) as arguments.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from langgraph.runtime import Runtime
from pydantic import create_model

from backends.schema import ModelOutputError
from graphs.state import Draft, Source
from gym import prompts
from gym.schema import EntityState, GymContext, GymState, Operation, OperationCall
from nodes.gym.common import (
    ask_model,
    event_records,
    failure_record,
    gym_settings,
    merge_entities,
    recent_events,
    record,
    render_entities,
    scene_of,
    timed_events,
    uses_model,
)

_SIGNATURE = re.compile(r"^\s*([\w.]+)\s*(?:\((.*)\))?\s*$")
_STOP = {"the", "and", "for", "with", "that", "this", "from", "into", "your", "user", "their"}


def operation_name(signature: str) -> str:
    """'doc_search(keyword)' -> 'doc_search'."""
    match = _SIGNATURE.match(signature)
    return match.group(1) if match else signature.split("(")[0].strip()


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2 and w not in _STOP}


def choose_operation(task: str, signatures: list[str]) -> str:
    """The scene operation that best matches the task (the first one on a tie)."""
    if not signatures:
        return "assist(task)"
    wanted = _words(task)
    return max(signatures, key=lambda sig: len(wanted & _words(sig.replace("_", " "))))


def task_arguments(task: str, signature: str) -> list[str]:
    """Arguments for an operation from the task: its quoted names, else its key words."""
    match = _SIGNATURE.match(signature)
    params = [p for p in (match.group(2) or "").split(",") if p.strip()] if match else []
    quoted = re.findall(r"'([^']{2,80})'", task)
    if not params:
        return []
    keywords = " ".join([w for w in re.findall(r"[\w.-]+", task) if w.lower() not in _STOP][:5])
    values = quoted or [keywords]
    return [values[i] if i < len(values) else values[-1] for i in range(min(len(params), 2))]


def call_text(name: str, arguments: list[str]) -> str:
    """How an operation call reads in an event: doc_search('ruby capitalize')."""
    return f"{name}({', '.join(repr(a) for a in arguments)})"


def operation_schema(signatures: list[str]) -> type[OperationCall]:
    """OperationCall whose operation must be one of the scene's (a wrong name is retried)."""
    names = tuple(dict.fromkeys(operation_name(s) for s in signatures)) or ("assist",)
    return create_model(  # type: ignore[call-overload,no-any-return]
        "SceneOperationCall", __base__=OperationCall, operation=(Literal[names], ...)
    )


def scripted_operation(draft: Draft, signatures: list[str]) -> OperationCall:
    """The offline executor's operation for a task."""
    signature = choose_operation(draft.task, signatures)
    name = operation_name(signature)
    args = task_arguments(draft.task, signature)
    return OperationCall(
        operation=name,
        arguments=args,
        result=f"The result of {call_text(name, args)} is shown to the user.",
    )


def execute_operation(state: GymState, runtime: Runtime[GymContext]) -> dict[str, Any]:
    """Apply the accepted task as a scene operation and emit its effects as events."""
    ctx = gym_settings(runtime)
    draft = state.accepted
    assert draft is not None, "execute_operation follows an accepted task"
    scene = scene_of(state)
    signatures = scene.environment.agent_ops
    call, by, log = scripted_operation(draft, signatures), "script", []
    if uses_model(ctx):
        request = prompts.EXECUTOR.format(
            operations="\n".join(f"- {s}" for s in signatures) or "- assist(task)",
            entities=render_entities(state.entities),
            events=recent_events(state),
            task=draft.task,
        )
        try:
            call = ask_model(
                ctx, "You carry out tasks.", request, operation_schema(signatures), "executor"
            )
            by = "model"
        except ModelOutputError as exc:
            log.append(failure_record(state, "executor", exc))
    text = call_text(call.operation, call.arguments)
    updates = call.entity_updates or [
        EntityState(name=e.name, status="updated by the assistant", properties={"last": text})
        for e in state.entities
        if any(w in e.name.lower() for w in _words(" ".join(call.arguments)))
    ]
    texts: list[tuple[str, Source]] = [
        (f"The assistant ran {text} for the task: {draft.task}", "agent"),
        (call.result, "agent"),
    ]
    events, clock = timed_events(state.clock, texts)
    entities = merge_entities(state.entities, updates)
    operation = Operation(task=draft.task, call=text, result=call.result, by=by)
    log.append(record("operation", state, events[0].time, **operation.model_dump()))
    log += event_records(state, events)
    if updates:
        log.append(record("entities", state, clock, entities=[e.model_dump() for e in entities]))
    return {
        "accepted": None,
        "operations": [operation],
        "history": events,
        "pending": [*state.pending, *events],
        "entities": entities,
        "clock": clock,
        "log": log,
        "failures": [r.data["error"] for r in log if r.kind == "failure"],
    }
