"""Statements of one document that contradict each other.

Two statements contradict when they are about the same thing (at least two subject words in
common, the unit aside) and give it different amounts of the same unit: "claims within 30 days"
in one section and "claims more than 14 days after ... are rejected" in another; "up to 150
EUR per night" in the text and "Hotel, per night | 120 EUR" in a table. Each side is given with
its line and the heading of its section, so a reader can find both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_HEADING = re.compile(r"^\s*(#{1,6})\s+(?P<title>\S.*?)\s*#*\s*$")
_AMOUNT = re.compile(
    r"(?P<pre>[€$£])\s?(?P<a>\d+(?:[.,]\d+)?)"
    r"|(?<![\w.,])(?P<b>\d+(?:[.,]\d+)?)\s?(?P<unit>%|[A-Za-z€$£]+)",
)
_UNITS = {
    "€": "eur",
    "euro": "eur",
    "euros": "eur",
    "$": "usd",
    "dollar": "usd",
    "dollars": "usd",
    "£": "gbp",
    "pound": "gbp",
    "pounds": "gbp",
    "h": "hour",
    "hr": "hour",
    "hrs": "hour",
    "min": "minute",
    "mins": "minute",
    "%": "percent",
    "pct": "percent",
}
_KNOWN_UNITS = frozenset(
    """eur usd gbp chf hour minute day week month year percent km kg mb gb""".split()
)
"""Units an amount is compared in (other words after a number are things counted)."""
_STOP = frozenset(
    """the and for with that this from are is be been was were will shall must may can any all
    each per not but than more less under over after before within into onto its their your our
    where when which who what unless only also other same such both there these those have has
    had one two three four five six seven eight nine ten""".split()
)


@dataclass(frozen=True)
class Statement:
    """One sentence or table row that gives an amount."""

    line: int
    """1-based line of the document."""
    section: str
    """The heading it stands under, as written ('' before the first heading)."""
    text: str
    """The sentence or row, verbatim."""
    amounts: tuple[tuple[float, str], ...]
    """(value, unit) of each amount it gives."""
    words: frozenset[str]
    """Its subject words, singular, lower-case, units left out."""


@dataclass(frozen=True)
class Contradiction:
    """Two statements that give one thing two amounts."""

    first: Statement
    """The earlier statement."""
    second: Statement
    """The later statement."""
    unit: str
    """The unit both amounts are in."""


def _unit(word: str) -> str:
    lowered = word.lower()
    unit = _UNITS.get(lowered, lowered)
    if unit not in _UNITS.values() and unit.endswith("s") and len(unit) > 3:
        unit = unit[:-1]
    return unit


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _amounts(text: str) -> tuple[tuple[float, str], ...]:
    found = []
    for match in _AMOUNT.finditer(text):
        raw = match["a"] or match["b"]
        unit = _unit(match["pre"] or match["unit"])
        if unit not in _KNOWN_UNITS:
            continue
        value = float(raw.replace(",", "."))
        if unit == "year" or 1900 <= value <= 2100:
            continue  # a year, or years of a duration, is not a limit stated twice
        found.append((value, unit))
    return tuple(found)


def _subject(text: str) -> frozenset[str]:
    words = (_singular(w) for w in re.findall(r"[a-z]{3,}", text.lower()))
    return frozenset(w for w in words if w not in _STOP and w not in _KNOWN_UNITS)


def statements(lines: list[str]) -> list[Statement]:
    """The sentences and table rows of a document that give an amount in a known unit."""
    found: list[Statement] = []
    section = ""
    for number, line in enumerate(lines, start=1):
        heading = _HEADING.match(line)
        if heading:
            section = line.strip()
            continue
        if "|" in line:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                continue
            parts = [": ".join(c for c in cells if c)]  # no " | ": fact_check's separator
        else:
            parts = [s for s in re.split(r"(?<=[.;!?])\s+", line.strip()) if s]
        for part in parts:
            amounts = _amounts(part)
            if amounts:
                found.append(Statement(number, section, part, amounts, _subject(part)))
    return found


def contradictions(lines: list[str], shared: int = 2) -> list[Contradiction]:
    """Pairs of statements on different lines, about the same subject (`shared` subject words
    in common), that give different amounts of one unit; each pair once, in line order."""
    found: list[Contradiction] = []
    said = statements(lines)
    for i, first in enumerate(said):
        for second in said[i + 1 :]:
            if second.line == first.line or len(first.words & second.words) < shared:
                continue
            for unit in sorted({u for _, u in first.amounts} & {u for _, u in second.amounts}):
                ones = {v for v, u in first.amounts if u == unit}
                others = {v for v, u in second.amounts if u == unit}
                if ones.isdisjoint(others):
                    found.append(Contradiction(first, second, unit))
                    break
    return found


def contradiction_messages(lines: list[str]) -> Iterator[tuple[int, str]]:
    """(line, message) of each contradiction: both places quoted, each with its section."""
    for pair in contradictions(lines):
        yield (
            pair.first.line,
            f"contradicts line {pair.second.line}: {_place(pair.first)} says "
            f'"{pair.first.text}", but {_place(pair.second)} says "{pair.second.text}"',
        )


def _place(statement: Statement) -> str:
    where = f"line {statement.line}"
    return f"{where} (under '{statement.section}')" if statement.section else where
