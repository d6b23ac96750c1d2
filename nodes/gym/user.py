"""The simulated user: takes on the scene's persona and decides the next action.

Offline it plays the scene's example events in order, skipping those that describe the
assistant ("The agent ..."): they are the assistant's part, not the user's.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from backends.schema import ModelOutputError
from gym import prompts
from gym.scenes import Scene
from gym.schema import GymContext, GymState, UserTurn
from nodes.gym.common import (
    ask_model,
    failure_record,
    gym_settings,
    recent_events,
    record,
    render_entities,
    scene_of,
    uses_model,
)
from nodes.gym.environment import EXAMPLES_SHOWN


def is_assistant_line(text: str) -> bool:
    """An example event that describes the assistant's action, not the user's."""
    return text.lower().startswith(("the agent", "the assistant"))


def as_user_line(text: str) -> str:
    """An assistant line rewritten as the user's own action ("The agent opens" -> "The user
    opens"): some scenes describe the person's activity as the agent's."""
    words = text.split(" ", 2)
    return f"The user {words[2]}" if len(words) == 3 else text


def next_scripted(scene: Scene, start: int) -> tuple[str | None, int]:
    """The next user line of the scene's examples at or after ``start``, and the next place.

    Lines about the assistant are skipped; in a scene with no user line at all they are the
    person's activity, converted to user lines.
    """
    lines = scene.environment.events_example
    convert = all(is_assistant_line(line) for line in lines)
    for i in range(start, len(lines)):
        if convert:
            return as_user_line(lines[i]), i + 1
        if not is_assistant_line(lines[i]):
            return lines[i], i + 1
    return None, len(lines)


def user_act(state: GymState, runtime: Runtime[GymContext]) -> dict[str, Any]:
    """The user's next action, or the end of the session (goal done or step budget spent)."""
    ctx = gym_settings(runtime)
    scene = scene_of(state)
    if state.steps >= ctx.max_steps:
        return {"activity": None, "log": [record("end", state, reason="step budget spent")]}
    scripted, place = next_scripted(scene, state.script)
    update: dict[str, Any] = {"script": place}
    log = []
    action, done = scripted, scripted is None
    if uses_model(ctx):
        request = prompts.USER_TURN.format(
            entities=render_entities(state.entities),
            events=recent_events(state),
            examples="\n".join(
                e
                for e in scene.environment.events_example[:EXAMPLES_SHOWN]
                if not is_assistant_line(e)
            ),
        )
        system = prompts.USER_SYSTEM.format(persona=scene.user.description, goal=scene.user.goal)
        try:
            turn = ask_model(ctx, system, request, UserTurn, "user")
            action, done = turn.action or None, turn.goal_done or not turn.action
            update["script"] = state.script  # the script is the fallback, kept in place
        except ModelOutputError as exc:
            log.append(failure_record(state, "user", exc))  # fall back on the script
    failed = [r.data["error"] for r in log]
    if done or action is None:
        log.append(record("end", state, reason="goal done"))
        return update | {"activity": None, "goal_done": True, "log": log, "failures": failed}
    return update | {"activity": action, "steps": state.steps + 1, "log": log, "failures": failed}
