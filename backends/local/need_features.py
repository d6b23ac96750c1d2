"""Compact, named features for the need detector: what the user is doing at the last event.

`window_features` (the judge's and drafter's view) hashes every word of the last events; with
sixteen training traces the need detector over-fits those words (held-out ROC AUC 0.47 against
`task_status`). These ~60 features describe the situation instead of its wording: the last event's
action classes and application, whether the user is consuming a result (reading, scrolling,
clicking) or producing (typing, writing), the switch that led there, the dwell time before it
relative to the trace's own pace, and signs of searching in circles. See docs/need.md for the
ablation that chose them.

Values are in 0..1, so one L2 strength suits them all; inference needs only `read_event`.

Two label sources train the detector and they disagree (the reward rows' `help_needed` matches
the test traces' `task_status` on about 63% of shared events; e.g. typing a search query is
"needed" for one and not for the other). `in_domain` applies feature augmentation (Daume,
"Frustratingly easy domain adaptation", 2007): every feature gets a shared copy and a copy
private to its label source, plus a per-source bias. The fit shares what the sources agree on
and lets each correct the rest; inference reads the `task_status` domain (`TARGET_DOMAIN`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from backends.local.features import Features, user_events
from backends.local.text import ACTIONS, EventFacts, read_event
from graphs.state import Event

NEED_FEATURES_VERSION = 1
"""Bumped whenever a need feature's name or value changes: need.json records it."""

DOMAINS = ("task", "help")
"""Label sources: the test traces' `task_status` and the reward rows' `help_needed`."""

TARGET_DOMAIN = "task"
"""The domain the detector predicts at inference: the annotators' `task_status`."""

HISTORY = 5
"""Events before the last one that the window statistics look at."""

CATEGORIES = ("editor", "browser", "terminal", "document", "other")
"""Application categories kept apart; any other category counts as 'other'."""

FAMILIES: dict[str, tuple[str, ...]] = {
    "actions": ("a:", "nact"),
    "app": ("app:",),
    "content": ("has:", "len"),
    "situation": ("consume", "typing_query", "produce"),
    "position": ("pos", "first"),
    "transition": ("app_changed", "to_", "p1", "after_search"),
    "dwell": ("dt_",),
    "window": ("win_", "since_search", "rep_"),
}
"""Feature families by name prefix (for the ablation in benchmarks/need_ablation.py)."""

_CONSUME = frozenset({"read", "scroll", "click"})
_PRODUCE = frozenset({"type", "write"})
_PREV_ACTIONS = ("search", "read", "scroll", "click", "type", "write", "error", "run", "switch")


def _category(facts: EventFacts) -> str:
    return facts.app_category if facts.app_category in CATEGORIES else "other"


def _consumes(facts: EventFacts) -> bool:
    return bool(facts.actions & _CONSUME) and not facts.actions & _PRODUCE


def need_features(events: Sequence[Event]) -> Features:
    """Features of the situation at the last user event (agent events ignored).

    An empty window gives only the "empty" feature.
    """
    seen = user_events(events)
    if not seen:
        return {"empty": 1.0}
    last = seen[-1]
    facts = read_event(last.text)
    history = [read_event(e.text) for e in seen[-HISTORY - 1 : -1]]
    prev = history[-1] if history else None
    cat = _category(facts)
    out: Features = {}

    # The last event: what it does, where, and what it names.
    for action in ACTIONS:
        out["a:" + action] = float(action in facts.actions)
    for name in CATEGORIES:
        out["app:" + name] = float(cat == name)
    for role, names in (
        ("query", facts.queries),
        ("file", facts.files),
        ("error", facts.errors),
        ("page", facts.pages),
    ):
        out["has:" + role] = float(bool(names))
    out["nact"] = min(len(facts.actions), 4) / 4
    out["len"] = min(len(last.text.split()), 40) / 40

    # The situation: consuming a result, typing a query, or producing text or code.
    consume = _consumes(facts)
    out["consume"] = float(consume)
    out["consume_web"] = float(consume and cat in ("browser", "other"))
    out["typing_query"] = float("search" in facts.actions and "type" in facts.actions)
    out["produce"] = float(bool(facts.actions & _PRODUCE) and cat in ("editor", "document"))

    # Its place in the trace.
    out["pos"] = math.log1p(len(seen) - 1) / 3
    out["first"] = float(len(seen) == 1)

    # How it follows from the event before.
    if prev is not None:
        pcat = _category(prev)
        changed = pcat != cat
        out["app_changed"] = float(changed)
        out["to_editor"] = float(changed and cat in ("editor", "document"))
        out["to_web"] = float(changed and cat in ("browser", "other"))
        for action in _PREV_ACTIONS:
            out["p1:" + action] = float(action in prev.actions)
        out["p1_consume"] = float(_consumes(prev))
        out["after_search"] = float("search" in prev.actions)
        out["p1:app_" + pcat] = 1.0

    # Dwell time before it, absolute and relative to the trace's median pause (test traces are
    # in real seconds, many reward traces in synthetic 5- to 15-minute steps).
    times = [e.time for e in seen[-HISTORY - 1 :]]
    gaps = [max(0.0, b - a) for a, b in zip(times, times[1:], strict=False)]
    if gaps:
        dt = gaps[-1]
        median = sorted(gaps)[len(gaps) // 2]
        out["dt_log"] = min(math.log1p(dt), 7.0) / 7
        out["dt_rel"] = min(dt / median if median > 0 else 1.0, 5.0) / 5
        out["dt_zero"] = float(dt <= 1.0)

    # Searching in circles, errors, switching back and forth.
    out["win_search"] = sum("search" in h.actions for h in history) / HISTORY
    out["win_error"] = float(any("error" in h.actions for h in (*history, facts)))
    cats = [h.app_category for h in history] + [facts.app_category]
    out["win_switch"] = sum(a != b for a, b in zip(cats, cats[1:], strict=False)) / HISTORY
    since = next((k for k, h in enumerate(reversed(history)) if "search" in h.actions), None)
    out["since_search"] = (since + 1) / (HISTORY + 1) if since is not None else 1.0
    past_queries = {q.casefold() for h in history for q in h.queries}
    out["rep_query"] = float(any(q.casefold() in past_queries for q in facts.queries))
    past_names = {n.casefold() for h in history for n in (*h.files, *h.pages)}
    out["rep_name"] = float(any(n.casefold() in past_names for n in (*facts.files, *facts.pages)))
    return out


def in_domain(features: Features, domain: str) -> Features:
    """`features` augmented for one label source: the shared copy, a copy private to the
    domain ("task|a:search") and the domain's bias ("task|bias")."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown need label domain {domain!r}; expected one of {DOMAINS}")
    out = dict(features)
    prefix = domain + "|"
    for name, value in features.items():
        out[prefix + name] = value
    out[prefix + "bias"] = 1.0
    return out


def target_features(events: Sequence[Event]) -> Features:
    """What the shipped detector scores: `need_features` in the `task_status` domain."""
    return in_domain(need_features(events), TARGET_DOMAIN)
