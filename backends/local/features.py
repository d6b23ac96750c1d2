"""Features of an event window, as named values that the linear models hash.

A feature is a name ("a:search", "w:ruby", "dt:<30s") and a value. Models hash the names
(`text.stable_hash`) into a fixed space, so artifacts hold no vocabulary (no dataset words) and
new words at inference cost nothing. Named hand features keep decisions explainable: the judge
turns the largest contributions back into a reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from backends.local.entities import Entities
from backends.local.text import EventFacts, content_words, read_event
from graphs.state import Event

FEATURE_VERSION = 1
"""Bumped whenever a feature's name or value changes: artifacts record it and refuse a mismatch."""

HISTORY = 10
"""Events looked back at for repeats (a repeated search, a page seen before)."""

WINDOW = 5
"""Events counted for the window statistics (searches, application switches)."""

_QUESTION_STARTS = ("how", "what", "why", "which", "when", "where", "can", "is", "does", "best")

# Seconds since the previous event, in roughly logarithmic bins: bursts, pauses, breaks.
_DT_BINS = ((5.0, "<5s"), (30.0, "<30s"), (120.0, "<2m"), (600.0, "<10m"), (3600.0, "<1h"))
_POS_BINS = ((1, "0"), (2, "1"), (3, "2"), (5, "3-4"), (10, "5-9"), (20, "10-19"))
_LEN_BINS = ((8, "<8"), (14, "<14"), (20, "<20"), (30, "<30"))

Features = dict[str, float]
"""Feature name -> value."""


def _bin(value: float, bins: Sequence[tuple[float, str]], last: str) -> str:
    for bound, name in bins:
        if value < bound:
            return name
    return last


def _jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def _add_bag(out: Features, prefix: str, items: Sequence[str]) -> None:
    """Add a bag of words scaled to unit length, so long sentences do not shout."""
    unique = list(dict.fromkeys(items))
    if not unique:
        return
    value = 1.0 / math.sqrt(len(unique))
    for item in unique:
        out[prefix + item] = out.get(prefix + item, 0.0) + value


def user_events(events: Sequence[Event]) -> list[Event]:
    """The events that describe the user's activity (the agent's own events are left out)."""
    return [e for e in events if e.source != "agent"]


def window_features(events: Sequence[Event]) -> Features:
    """Features of the situation at the last event, given the events before it.

    Agent events are ignored. An empty window gives only the "empty" feature.
    """
    seen = user_events(events)
    if not seen:
        return {"empty": 1.0}
    last = seen[-1]
    facts = read_event(last.text)
    history = [read_event(e.text) for e in seen[-HISTORY - 1 : -1]]
    prev1 = history[-1] if history else None
    prev2 = history[-2] if len(history) > 1 else None
    out: Features = {}

    # The last event itself: its words, its phrasing, what it does and where.
    _add_bag(out, "w:", facts.words)
    _add_bag(out, "b:", [f"{a}_{b}" for a, b in zip(facts.shape, facts.shape[1:], strict=False)])
    actions = sorted(facts.actions) or ["none"]
    for action in actions:
        out["a:" + action] = 1.0
        out[f"a*app:{action}|{facts.app_category}"] = 1.0
    out["app:" + facts.app_category] = 1.0
    for role, names in (
        ("file", facts.files),
        ("query", facts.queries),
        ("error", facts.errors),
        ("page", facts.pages),
    ):
        if names:
            out["has:" + role] = 1.0
    if any(q.lower().startswith(_QUESTION_STARTS) or q.endswith("?") for q in facts.queries):
        out["q:question"] = 1.0
    out["len:" + _bin(len(last.text.split()), _LEN_BINS, "30+")] = 1.0

    # Its place in the trace and the pause before it.
    out["pos:" + _bin(len(seen) - 1, _POS_BINS, "20+")] = 1.0
    if len(seen) > 1:
        dt = max(0.0, last.time - seen[-2].time)
        out["dt:" + _bin(dt, _DT_BINS, "1h+")] = 1.0
    else:
        out["first"] = 1.0

    # The events just before: what the user did and how this step follows from it.
    for prefix, prev in (("p1", prev1), ("p2", prev2)):
        if prev is None:
            continue
        _add_bag(out, prefix + "w:", prev.words)
        for action in sorted(prev.actions) or ["none"]:
            out[f"{prefix}a:{action}"] = 1.0
    if prev1 is not None:
        for before in sorted(prev1.actions) or ["none"]:
            for now in actions:
                out[f"t:{before}>{now}"] = 1.0
        same = facts.app_category == prev1.app_category
        out["app:same" if same else "app:changed"] = 1.0

    # Signs of being stuck or going in circles: repeated searches, pages seen again, errors.
    out.update(_repeats(facts, history))
    recent = history[-(WINDOW - 1) :]
    searches = sum("search" in h.actions for h in recent)
    out[f"win:search={min(searches, 3)}"] = 1.0
    cats = [h.app_category for h in recent] + [facts.app_category]
    switches = sum(a != b for a, b in zip(cats, cats[1:], strict=False))
    out[f"win:switch={min(switches, 3)}"] = 1.0
    if any("error" in h.actions for h in recent):
        out["win:error"] = 1.0
    return out


def _repeats(facts: EventFacts, history: Sequence[EventFacts]) -> Features:
    """Whether the last event repeats a search, a name, or a whole step seen recently."""
    out: Features = {}
    past_queries = [q for h in history for q in h.queries]
    for query in facts.queries:
        words = content_words(query) or [query.casefold()]
        if any(
            q.casefold() == query.casefold() or _jaccard(words, content_words(q)) >= 0.5
            for q in past_queries
        ):
            out["rep:search"] = 1.0
    if "search" in facts.actions and any("search" in h.actions for h in history[-2:]):
        out["rep:search_streak"] = 1.0
    past_names = {n.casefold() for h in history for n in (*h.files, *h.pages)}
    if any(n.casefold() in past_names for n in (*facts.files, *facts.pages)):
        out["rep:name"] = 1.0
    if any(_jaccard(facts.words, h.words) >= 0.8 for h in history):
        out["rep:event"] = 1.0
    return out


def task_words(task: str) -> list[str]:
    """Content words of a task text."""
    return content_words(task)


def overlap(task: str, words: Sequence[str] | frozenset[str]) -> float:
    """Share of the task's content words that also occur in `words` (0 when the task has none)."""
    mine = set(task_words(task))
    if not mine:
        return 0.0
    return len(mine & set(words)) / len(mine)


def mentions(task: str, entities: Entities) -> dict[str, bool]:
    """Which kinds of names from the events the task text quotes or mentions."""
    lowered = task.casefold()
    return {
        role: any(name.casefold() in lowered for name in names if len(name) > 2)
        for role, names in (
            ("file", entities.files),
            ("query", entities.queries),
            ("error", entities.errors),
            ("page", entities.pages),
            ("app", entities.apps),
        )
    }


def prefixed(features: Mapping[str, float], prefix: str) -> Features:
    """The same features under a namespace (e.g. one block per judge situation)."""
    return {prefix + name: value for name, value in features.items()}
