"""Dense features of how a proposed task fits the events just before it (numpy-free, cheap).

The judge's sparse features (`judge.judge_features`) say what the situation is and what the
task says; these say how the two relate: how much of the task's wording comes from the last
event, the last three events or the whole window, whether the task names a file, query, page or
error the user just touched, whether it quotes names that occur nowhere in the events, how long
and how generic it is, and which kind of help meets which last action. Every value is a float in
a fixed order (`FIT_NAMES`) so that a tree ensemble can read them as one vector.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

from backends.local.kinds import KINDS, kind_of
from backends.local.static_embedding import load_table
from backends.local.text import ACTIONS, content_words, read_event, tokens
from graphs.state import Event

_GENERIC = frozenset(
    """help assist assistance offer provide suggest suggestions resources questions any more
    information tips guidance support related relevant further additional general better useful
    ideas""".split()
)
"""Words of a generic offer ("offer help with any questions"): the less specific a task, the
more of its words are in here."""

_QUOTE = re.compile(
    r"'([^'\n]{2,200}?)'(?![\w])|\"([^\"\n]{2,200}?)\"|\u201c([^\u201d]{2,200})\u201d"
)

FAMILIES: frozenset[str] = frozenset(
    {"overlap", "names", "specificity", "length", "kind_action", "embedding"}
)
"""Feature families; `ENABLED` says which ones `fit_features` computes (the ablation turns
them off one at a time)."""

SHIPPED: frozenset[str] = FAMILIES - {"embedding"}
"""Families the shipped judge uses. "embedding" (cosines in a static word space distilled from
multilingual-e5-small) measured no gain under grouped CV (docs/judge.md), so its 1.2 MB table is
not shipped; benchmarks/judge_ablation.py measures it from a table built outside the project."""

ENABLED: set[str] = set(SHIPPED)
"""Families in use (module state so that benchmarks/judge_ablation.py can switch them)."""

WORDS_DIR: Path | None = None
"""Directory of the static word table (`static_embedding.WORDS`/`VECTORS`) for the "embedding"
family; None: no table, the family gives nothing."""

_RECENT = 3
"""Events counted as 'recent' (the last one included)."""

_KIND_GROUPS = {
    "explain": "explain",
    "lookup_docs": "find",
    "find_examples": "find",
    "fix_error": "fix",
    "summarise": "write",
    "draft_text": "write",
    "organise": "write",
    "review": "write",
    "other": "other",
}
"""Kinds of help folded into four groups for the kind x action crosses."""

_ACTION_GROUPS = ("search", "error", "write", "read", "run", "idle", "open", "switch")
"""Last-event actions that the crosses look at."""


def _names_of(facts) -> list[str]:
    return [n for n in (*facts.files, *facts.queries, *facts.errors, *facts.pages) if len(n) > 2]


def _share(mine: set[str], words: set[str]) -> float:
    return len(mine & words) / len(mine) if mine else 0.0


def _cover(mine: set[str], words: set[str]) -> float:
    return len(mine & words) / len(words) if words else 0.0


FIT_NAMES: tuple[str, ...] = (
    "null",
    "ov_last1",
    "ov_last3",
    "ov_all",
    "cover_last1",
    "cover_last3",
    "ov_last1_only",
    "name_last1",
    "name_last3",
    "name_any",
    "quotes",
    "quotes_unseen",
    "generic_share",
    "n_content",
    "n_tokens",
    "n_events",
    "emb_last1",
    "emb_last3",
    "emb_all",
    "emb_soft_last1",
    "emb_soft_last3",
    *(f"kind:{k}" for k in (*KINDS, "other")),
    *(f"last:{a}" for a in _ACTION_GROUPS),
    *(f"cross:{g}|{a}" for g in ("explain", "find", "fix", "write") for a in _ACTION_GROUPS),
)
"""The order of the values `fit_vector` returns."""


def fit_features(events: Sequence[Event], task: str | None) -> dict[str, float]:
    """Named fit features of (events, task); only non-zero values are present.

    `events` are the user's events (agent events already left out), oldest first.
    """
    if not ENABLED:
        return {}
    if task is None or not task.strip():
        return {"null": 1.0, "n_events": math.log1p(len(events))}
    facts = [read_event(e.text) for e in events]
    last = facts[-1] if facts else None
    mine = set(content_words(task))
    words1 = set(last.words) if last else set()
    words3 = {w for f in facts[-_RECENT:] for w in f.words}
    words_all = {w for f in facts for w in f.words}
    lowered = task.casefold()

    def named(window: Sequence) -> float:
        return float(any(n.casefold() in lowered for f in window for n in _names_of(f)))

    quotes = [next(g for g in m.groups() if g) for m in _QUOTE.finditer(task)]
    seen_text = " ".join(e.text for e in events).casefold()
    unseen = [q for q in quotes if q.casefold() not in seen_text]
    toks = tokens(task)
    out: dict[str, float] = {"n_events": math.log1p(len(events))}
    if "overlap" in ENABLED:
        out.update(
            ov_last1=_share(mine, words1),
            ov_last3=_share(mine, words3),
            ov_all=_share(mine, words_all),
            cover_last1=_cover(mine, words1),
            cover_last3=_cover(mine, words3),
            ov_last1_only=_share(mine, words1 - {w for f in facts[:-1] for w in f.words}),
        )
    if "names" in ENABLED:
        out.update(
            name_last1=named(facts[-1:]),
            name_last3=named(facts[-_RECENT:]),
            name_any=named(facts),
            quotes=math.log1p(len(quotes)),
            quotes_unseen=math.log1p(len(unseen)),
        )
    if "specificity" in ENABLED:
        out["generic_share"] = sum(t in _GENERIC for t in toks) / len(toks) if toks else 0.0
    if "length" in ENABLED:
        out["n_content"] = math.log1p(len(mine)) / 3.0
        out["n_tokens"] = math.log1p(len(toks)) / 3.0
    if "embedding" in ENABLED:
        out.update(_embedding(content_words(task), facts))
    if "kind_action" in ENABLED:
        kind = kind_of(task)
        out["kind:" + kind] = 1.0
        group = _KIND_GROUPS.get(kind, "other")
        for action in _ACTION_GROUPS:
            if last is not None and action in last.actions:
                out["last:" + action] = 1.0
                if group != "other":
                    out[f"cross:{group}|{action}"] = 1.0
    return {k: v for k, v in out.items() if v}


def _embedding(task_words: list[str], facts: Sequence) -> dict[str, float]:
    """Cosines between the task and the last, last three and all events in the static word
    space, and the mean best match of each task word among the recent events' words."""
    table = load_table(WORDS_DIR) if WORDS_DIR is not None else None
    if table is None or not facts:
        return {}
    task_vec = table.mean(task_words)
    if task_vec is None:
        return {}
    out: dict[str, float] = {}
    for name, window in (("last1", facts[-1:]), ("last3", facts[-_RECENT:]), ("all", facts)):
        vec = table.mean(w for f in window for w in f.words)
        if vec is not None:
            out["emb_" + name] = float(task_vec @ vec)
    task_m = table.matrix(task_words)
    for name, window in (("last1", facts[-1:]), ("last3", facts[-_RECENT:])):
        ev = table.matrix(w for f in window for w in f.words)
        if ev.size:
            out["emb_soft_" + name] = float((task_m @ ev.T).max(axis=1).mean())
    return out


def fit_vector(events: Sequence[Event], task: str | None) -> list[float]:
    """`fit_features` as a list in `FIT_NAMES` order (absent features are 0)."""
    named = fit_features(events, task)
    return [named.get(name, 0.0) for name in FIT_NAMES]


assert all(a in ACTIONS for a in _ACTION_GROUPS)
