"""`check_against`: a text (a draft email, a message, a summary) checked against a reference
file (a contract, notes, an order) for facts that differ: dates, amounts and quantities with a
unit, and how a person the reference names is addressed (title and surname).

A person about to send a message wants to know what in it contradicts the document it quotes:
"delivery on 15 June" where the contract says 30 June, a fee that adds an option the contract
leaves out, "Mr." for a doctor. A fact of the text that the reference also states is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.factcheck import parse_number
from tools.project import ProjectFileError, clip, read_text, relative

MAX_CHECK_BYTES = 500_000
"""Largest file read on either side."""
MAX_FINDINGS = 20
"""Findings listed."""

_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_MONTH = r"(?P<m>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"  # noqa: E501
_DATES = (
    re.compile(
        rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\s*,?\s+(?P<y>\d{{4}})\b", re.I
    ),
    re.compile(rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+(?P<y>\d{{4}})\b", re.I),
    re.compile(r"\b(?P<y>\d{4})-(?P<mn>\d{1,2})-(?P<d>\d{1,2})\b"),
)
_UNITS = (
    r"eur|euros?|usd|dollars?|gbp|pounds?|chf|days?|weeks?|months?|years?|hours?|hrs?"
    r"|minutes?|mins?|items?|units?|pieces?|seats?|people|licen[cs]es?|%|percent"
)
_QUANTITY = re.compile(
    rf"(?P<pre>[£$€])?\s?(?P<n>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:\s?(?P<unit>{_UNITS})\b|(?P<pct>%))?",
    re.I,
)
_TITLE = re.compile(
    r"\b(?P<t>Dr|Mr|Mrs|Ms|Mx|Miss|Prof|Professor|Sir|Dame)\b\.?\s+(?P<first>[A-Z][a-z]+\s+)?"
    r"(?P<last>[A-Z][\w'-]+)"
)
_EXCLUDED = re.compile(r"\b(?:not included|excluded|optional|extra|on top|additional)\b", re.I)
_CURRENCY = {"€": "eur", "$": "usd", "£": "gbp", "euro": "eur", "euros": "eur", "dollar": "usd"}


@dataclass(frozen=True)
class Fact:
    """One fact of a line: its kind, normalised value, the text as written, and the line."""

    kind: str
    """'date', or a unit ('eur', 'days', '%')."""
    value: float | date
    """The normalised value."""
    text: str
    """The words as the file writes them."""
    line: int
    """1-based line."""
    context: str
    """The whole line."""


def _unit(match: re.Match[str]) -> str | None:
    unit = (match["unit"] or match["pct"] or match["pre"] or "").lower()
    if not unit:
        return None
    unit = _CURRENCY.get(unit, unit)
    if unit in ("percent",):
        return "%"
    return unit.rstrip("s") if len(unit) > 3 else unit


def facts(text: str) -> list[Fact]:
    """The dates and quantities with a unit on every line of `text`."""
    found: list[Fact] = []
    for number, line in enumerate(text.splitlines(), start=1):
        spans: list[tuple[int, int]] = []
        for pattern in _DATES:
            for match in pattern.finditer(line):
                month = (
                    int(match["mn"])
                    if "mn" in match.groupdict() and match["mn"]
                    else next(
                        i for i, m in enumerate(_MONTHS, 1) if m.startswith(match["m"][:3].lower())
                    )
                )
                try:
                    day = date(int(match["y"]), month, int(match["d"]))
                except ValueError:
                    continue
                spans.append(match.span())
                found.append(Fact("date", day, match.group().strip(), number, line.strip()))
        for match in _QUANTITY.finditer(line):
            unit = _unit(match)
            if unit is None or any(a <= match.start("n") < b for a, b in spans):
                continue
            value = parse_number(match["n"])
            if value is not None:
                found.append(Fact(unit, value, match.group().strip(), number, line.strip()))
    return found


_STOP = frozenset(
    "that this with from have will your there their about which were been into than then "
    "also only just some more most such what when where after before euro euros dollars "
    "pounds".split()
)


def content_words(text: str) -> list[str]:
    """The stems of a line's words that say what it is about ('deliv' for delivery, deliver)."""
    words = re.findall(r"[a-z]+", text.lower())
    return [w[:5] for w in words if len(w) > 3 and w not in _STOP]


def _closest(fact: Fact, candidates: list[Fact]) -> Fact:
    """The reference fact whose line shares the most words with the fact's own line."""
    words = set(content_words(fact.context))
    return max(candidates, key=lambda c: (len(words & set(content_words(c.context))), -c.line))


def compare(text: str, reference: str, ref_name: str) -> Iterator[tuple[int, str]]:
    """(line, finding) for each fact of `text` that differs from what `reference` states."""
    own, theirs = facts(text), facts(reference)
    for fact in own:
        same_kind = [t for t in theirs if t.kind == fact.kind]
        if not same_kind or any(t.value == fact.value for t in same_kind):
            continue
        told = f"{ref_name} line {{line}} says {{value}} ({{context}})"
        if fact.kind != "date":
            parts = _sum_of(fact, same_kind)
            if parts:
                shown = " + ".join(p.text for p in parts)
                extra = [p for p in parts if _EXCLUDED.search(p.context)]
                why = "".join(
                    f"; {ref_name} line {p.line} says: {clip(p.context, 140)}" for p in extra
                )
                yield (
                    fact.line,
                    f"{fact.text} is {shown} added together{why}; the agreed amount is "
                    f"{next((p.text for p in parts if p not in extra), parts[0].text)}",
                )
                continue
        ref = _closest(fact, same_kind)
        if fact.kind != "date" and not set(content_words(fact.context)) & set(
            content_words(ref.context)
        ):
            continue  # an amount about something the reference does not state (a ticket price)
        yield (
            fact.line,
            f"says {fact.text}, but "
            + told.format(line=ref.line, value=ref.text, context=clip(ref.context, 140)),
        )
    yield from _titles(text, reference, ref_name)


def _sum_of(fact: Fact, candidates: list[Fact]) -> list[Fact]:
    """Two reference amounts that add up to the fact's (a fee with an option added)."""
    values = {}
    for c in candidates:
        values.setdefault(c.value, c)
    for a, b in combinations(sorted(values, key=float), 2):  # type: ignore[arg-type]
        if abs(float(a) + float(b) - float(fact.value)) < 0.005:  # type: ignore[arg-type]
            return [values[b], values[a]]
    return []


def _titles(text: str, reference: str, ref_name: str) -> Iterator[tuple[int, str]]:
    """A person the reference gives a title (Dr. Adaeze Okonkwo) addressed with another."""
    known: dict[str, tuple[str, int, str]] = {}
    for number, line in enumerate(reference.splitlines(), start=1):
        for match in _TITLE.finditer(line):
            known.setdefault(match["last"], (match["t"], number, match.group()))
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _TITLE.finditer(line):
            ref = known.get(match["last"])
            if ref and ref[0].rstrip(".").lower() != match["t"].lower():
                yield (
                    number,
                    f"addresses {match.group()}, but {ref_name} line {ref[1]} names "
                    f"{ref[2]}: write {ref[0]}. {match['last']}",
                )


def check_against(root: Path, path: str, reference: str) -> str:
    """Every fact of `path` that `reference` states otherwise, 'path:line: finding | line'."""
    try:
        real, text = read_text(root, path, max_bytes=MAX_CHECK_BYTES)
        ref_real, ref_text = read_text(root, reference, max_bytes=MAX_CHECK_BYTES)
    except ProjectFileError as err:
        return f"Error: {err}"
    name, ref_name = relative(root, real), relative(root, ref_real)
    found = sorted(set(compare(text, ref_text, ref_name)))
    if not found:
        return (
            f"{name}: no findings against {ref_name} (its dates, amounts and the names' titles "
            "agree)"
        )
    lines = text.splitlines()
    shown = [
        f"{name}:{number}: {finding} | {clip(lines[number - 1], 160)}"
        for number, finding in found[:MAX_FINDINGS]
    ]
    if len(found) > MAX_FINDINGS:
        shown.append(f"... and {len(found) - MAX_FINDINGS} more")
    return "\n".join(shown)


class CheckAgainstInput(BaseModel):
    """Arguments of check_against."""

    path: str = Field(min_length=1, description="The text to check (a draft email, a message).")
    reference: str = Field(
        min_length=1, description="The file that states the facts (a contract, notes)."
    )


def cross_check_tools(root: Path) -> list[BaseTool]:
    """check_against over the project folder `root`."""
    root = Path(root).resolve()

    def check_against_tool(path: str, reference: str) -> str:
        return check_against(root, path, reference)

    return [
        StructuredTool.from_function(
            func=check_against_tool,
            name="check_against",
            description=(
                "Check a text (a draft email or message) against a reference file (a contract, "
                "notes): dates, amounts and quantities that differ, and people addressed with "
                "the wrong title; each with the reference's line."
            ),
            args_schema=CheckAgainstInput,
        )
    ]
