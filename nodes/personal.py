"""The personal user model in the graph: which draft to offer this user now, if any, and what
their answers teach it (`backends/local/personal.py` has the model, `memory/profile.py` keeps
each user's profile with their memory).

The embedded judge scores each candidate draft and the silence; the user's profile adds their
bias; the draft this user most likely accepts is offered when that raises the expected F1 at the
run's `personal_target_f1`, otherwise the agent stays silent. With `learn_from_feedback` off the
profile is neither read nor written: every user is the new user of the global model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from backends.local import load_models
from backends.local.personal import Choice, Prior, choose
from graphs.context import Context
from graphs.state import Draft, Event, Feedback, State
from memory.profile import Profile, ProfileStore, open_profiles, remembered
from nodes.common import memory
from nodes.detect import user_window


def prior() -> Prior:
    """The global part of the personal model (shipped with the embedded models)."""
    return load_models().personal


def profiles(ctx: Context) -> ProfileStore:
    """The profiles kept with the run's memory: files in the memory directory, or, with a
    shared Chroma server, rebuilt in each process from the answers the server remembers."""
    if ctx.memory_server:
        return open_profiles(None, shared=ctx.memory_server)
    return open_profiles(ctx.memory_dir or None)


def user_profile(ctx: Context) -> tuple[Profile | None, str | None]:
    """The run's user's profile (None when learning is off) and a notice if it was rebuilt."""
    if not ctx.learn_from_feedback:
        return None, None
    return profiles(ctx).load(ctx.user_id, prior(), remembered(memory(ctx)))


def pick(state: State, ctx: Context, drafts: Sequence[Draft]) -> tuple[Draft | None, Choice, str]:
    """The draft to offer (None: stay silent), the model's choice, and any profile notice
    ("" when none). Every returned draft carries the judge's and the personal probabilities."""
    judge = load_models().judge
    events = user_window(state)
    p_silence = judge.judge(events, None).accept_probability
    scored = [
        d.model_copy(
            update={
                "p_accept": judge.judge(events, d.task).accept_probability,
                "p_silence": p_silence,
            }
        )
        for d in drafts
    ]
    profile, notice = user_profile(ctx)
    bias = profile.bias if profile is not None else 0.0
    choice = choose(
        prior(), bias, [d.p_accept or 0.0 for d in scored], p_silence, ctx.personal_target_f1
    )
    if choice.index is None:
        return None, choice, notice or ""
    # Whether to speak is the judge's and the person's model's call; what to offer, when the
    # last action asked for a help outright, is that help.
    index = next((i for i, d in enumerate(scored) if d.cue), choice.index)
    chosen = scored[index].model_copy(update={"personal": round(choice.accept, 4)})
    return chosen, choice, notice or ""


def learn(ctx: Context, answer: Feedback) -> str:
    """Teach the user's profile one answer (nothing when learning is off); any rebuild notice."""
    if not ctx.learn_from_feedback:
        return ""
    _, notice = profiles(ctx).learn(ctx.user_id, answer, prior(), remembered(memory(ctx)))
    return notice or ""


def notice_update(state: State, notice: str) -> dict[str, Any]:
    """A profile notice recorded as an agent event and an error (nothing when empty)."""
    if not notice:
        return {}
    now = state.events[state.current].time
    return {
        "errors": [notice],
        "events": [Event(time=now, text=f"The assistant's user profile: {notice}", source="agent")],
    }


def merge(*updates: dict[str, Any]) -> dict[str, Any]:
    """Node updates combined; their event and error lists are concatenated, not replaced."""
    out: dict[str, Any] = {}
    for update in updates:
        for key, value in update.items():
            if key in ("events", "errors") and key in out:
                out[key] = [*out[key], *value]
            else:
                out[key] = value
    return out
