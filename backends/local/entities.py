"""The names a window of events mentions: files, search queries, errors, pages, applications.

The drafter fills its task templates with these, and the judge checks whether a proposed task
is about them. Everything is rule-based (see `text.read_event`) and lists are most recent first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from backends.local.text import content_words, read_event
from graphs.state import Event

_TOKEN = re.compile(r"[^\W_]+")

MAX_PER_FIELD = 5
"""At most this many names are kept per field: older ones rarely matter for the next step."""

_TOPIC_WINDOW = 6
"""Topic words are counted over this many most recent events."""

_TOPIC_STOP = frozenset(
    """visual studio code vscode google chrome bing firefox safari edge microsoft word docs
    deepseek kimi chatgpt terminal github stack overflow arxiv file files project folder markdown
    notes note content contents website websites site page pages program programs tool tools
    window windows screen information details""".split()
)
"""Words that say where the user is, not what about: application names and containers."""

NAME_WINDOW = 12
"""Names are taken from this many most recent events: older ones are rarely what the user is on."""


@dataclass(frozen=True)
class Entities:
    """Names found in a window of events, most recent first, without repeats."""

    files: tuple[str, ...] = ()
    """File names with an extension ('CheckName.rb')."""
    queries: tuple[str, ...] = ()
    """Search queries the user typed."""
    errors: tuple[str, ...] = ()
    """Error messages that were shown."""
    pages: tuple[str, ...] = ()
    """Titles of pages, links, sites or sections the user looked at."""
    apps: tuple[str, ...] = ()
    """Applications named (Visual Studio Code, Google Chrome, ...)."""
    topics: tuple[str, ...] = ()
    """Content words of the recent events, most frequent (then most recent) first."""

    def words(self) -> frozenset[str]:
        """Every content word of every name, for overlap checks."""
        names = (*self.files, *self.queries, *self.errors, *self.pages)
        words = {w for name in names for w in content_words(name)}
        return frozenset(words | {t.lower() for t in self.topics})


def _collect(values: list[tuple[str, ...]]) -> tuple[str, ...]:
    """Flatten per-event name lists (already newest event first), dropping repeats."""
    seen: dict[str, None] = {}
    for names in values:
        for name in names:
            key = name.casefold()
            if key not in {k.casefold() for k in seen}:
                seen[name] = None
            if len(seen) >= MAX_PER_FIELD:
                return tuple(seen)
    return tuple(seen)


def _cased(word: str, texts: Sequence[str]) -> str:
    """The word as the most recent text that contains it writes it ('Katla', not 'katla')."""
    for text in texts:
        for token in _TOKEN.findall(text):
            if token.lower() == word:
                return token
    return word


def extract_entities(events: Sequence[Event], window: int = NAME_WINDOW) -> Entities:
    """Names mentioned by the last `window` events (agent events skipped), most recent first."""
    user_events = [e for e in events if e.source != "agent"][-window:]
    texts = [e.text for e in reversed(user_events)]
    facts = [read_event(t) for t in texts]
    counts: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    for age, fact in enumerate(facts[:_TOPIC_WINDOW]):
        for word in fact.words:
            if word in _TOPIC_STOP:
                continue
            counts[word] += 1
            first_seen.setdefault(word, age)
    ranked = sorted(counts, key=lambda w: (-counts[w], first_seen[w], w))[: MAX_PER_FIELD + 3]
    topics = [_cased(w, texts[:_TOPIC_WINDOW]) for w in ranked]
    return Entities(
        files=_collect([f.files for f in facts]),
        queries=_collect([f.queries for f in facts]),
        errors=_collect([f.errors for f in facts]),
        pages=_collect([f.pages for f in facts]),
        apps=_collect([f.apps for f in facts]),
        topics=tuple(topics),
    )
