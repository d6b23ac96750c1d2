"""`fact_check`: the arithmetic and calendar facts of a document, checked against themselves.

A person asks "check the numbers add up" before a report goes out; a spell-checker cannot, a
reader rarely does. This reads a markdown / text document of the project and reports, each by its
line: a table's (or a list's) stated total that is not the sum of its rows, a total stated in
prose that differs from the table counting the same thing, a weekday that is not the weekday of
its date or a date no calendar has, one noun counted twice with different numbers, a count
announced before a list of another length, shares in percent that do not make 100, a sum or a
percentage change written out wrongly, an average row that is not the rows' mean, and a date
range that ends before it starts; in a JSON file, a total beside a list of items that no sum of
the items makes. Only what the text itself states is compared, so a finding names the stated
value and the computed one and nothing else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.contradictions import contradiction_messages
from tools.project import ProjectFileError, clip, read_text, relative

MAX_FACT_BYTES = 1_000_000
"""Largest document checked."""
MAX_FINDINGS = 30
"""Findings listed."""
MAX_EQUATION_LINE = 2000
"""Longer lines are not searched for written-out sums (the search is quadratic in a line)."""
TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".rst", ".text", "")
"""Documents fact_check reads."""
JSON_SUFFIXES = (".json",)
"""Data whose stated totals fact_check compares with the items beside them."""
_TOTAL_KEY = re.compile(r"^(?:grand_?|sub_?)?(?:total|sum)(?:_?\w+)?$|^\w+_total$", re.I)
_QUANTITY = re.compile(r"^(?:qty|quantity|count|units|number)$", re.I)
_PRICE = re.compile(r"^(?:unit_?)?(?:price|cost|rate)$", re.I)

_NUMBER = r"[-−]?[£$€¥]?\s?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-−]?[£$€¥]?\s?\d+(?:\.\d+)?"
_AMOUNT = re.compile(rf"^\s*\(?({_NUMBER})\)?\s*(%|[£$€¥]|[A-Za-z]{{0,3}})\s*$")
_TOTAL_LABEL = re.compile(r"^\W*(?:grand\s+)?(?:total|sum|overall)\b[^,;=]{0,30}$", re.I)
_AVERAGE_LABEL = re.compile(r"^\W*(?:average|mean|avg)\b[\w\s()/-]{0,20}$", re.I)
_SUBTOTAL_LABEL = re.compile(r"^\W*sub-?\s?total\b", re.I)
_LIST_LINE = re.compile(
    r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?(?P<label>[^\d:|=]{1,60}?)\s*"
    r"(?::|=|—|–| - |\.{3,}|\s(?=[£$€¥])|\s{2,}(?=[-£$€¥\d(]))\s*"
    rf"(?P<num>{_NUMBER})\s*(?P<unit>%|[A-Za-z]{{0,5}})?\s*\.?\s*$"
)
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
"""Small counts written as words ('three speakers:')."""
_ANNOUNCED = re.compile(
    r"\b(?P<n>\d{1,2}|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
    r"\s+(?:[a-z-]+\s+){0,2}?(?P<noun>[a-z-]+s)\b(?P<rest>(?:\s+[a-z]+){0,3}):\s*(?P<inline>.*)$",
    re.I,
)
_ANNOUNCED_AFTER = re.compile(
    r"^\W*(?P<noun>[a-z][a-z -]{1,30}?s)\s*\((?P<n>\d{1,2})\)\s*:\s*(?P<inline>.*)$", re.I
)
"""'Attendees (5): ...'."""
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+\S")
_TOTAL_WORD = re.compile(
    r"\b(?:total|in all(?!\s+[a-z])|altogether|combined|overall|all told)\b", re.I
)
_PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(?:%|percent\b|per cent\b)", re.I)
_MONTHS = (
    "january february march april may june july august september october november december".split()
)
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"  # noqa: E501
_DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_WEEKDAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday|sday)?\.?"
_YEAR = r"(?:19|20)\d\d"
_ORD = r"(?:st|nd|rd|th)?"
_WEEKDAY_DATES = (
    # Saturday 14 November 2025 / Sat, 14 Nov / Monday the 3rd of March 2026
    re.compile(
        rf"\b(?P<wd>{_WEEKDAY}),?\s+(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}(?:\s+of)?\s+(?P<m>{_MONTH})"
        rf"(?:,?\s+(?P<y>{_YEAR}))?\b",
        re.I,
    ),
    # Monday, March 3, 2026 / Mon March 3rd
    re.compile(
        rf"\b(?P<wd>{_WEEKDAY}),?\s+(?P<m>{_MONTH})\s+(?P<d>\d{{1,2}}){_ORD}\b"
        rf"(?:,?\s+(?P<y>{_YEAR}))?",
        re.I,
    ),
    # 2026-03-03 (Tue) / 2026-03-03, Tuesday
    re.compile(
        rf"\b(?P<y>{_YEAR})-(?P<mn>\d\d)-(?P<d>\d\d)\s*(?:\(\s*|,\s*|\s)(?P<wd>{_WEEKDAY})\b\)?",
        re.I,
    ),
    # Tue 2026-03-03
    re.compile(rf"\b(?P<wd>{_WEEKDAY}),?\s+(?P<y>{_YEAR})-(?P<mn>\d\d)-(?P<d>\d\d)\b", re.I),
    # 14 November 2025 (Friday) / 14 Nov, Fri
    re.compile(
        rf"\b(?P<d>\d{{1,2}}){_ORD}\s+(?P<m>{_MONTH})(?:,?\s+(?P<y>{_YEAR}))?"
        rf"\s*(?:\(\s*|,\s*)(?P<wd>{_WEEKDAY})\b\)?",
        re.I,
    ),
    # November 14, 2025 (Friday)
    re.compile(
        rf"\b(?P<m>{_MONTH})\s+(?P<d>\d{{1,2}}){_ORD}(?:,?\s+(?P<y>{_YEAR}))?"
        rf"\s*\(\s*(?P<wd>{_WEEKDAY})\s*\)",
        re.I,
    ),
)
_DAY_MONTH = rf"(?P<{{p}}d>\d{{{{1,2}}}}){_ORD}\s+(?P<{{p}}m>{_MONTH})(?:,?\s+(?P<{{p}}y>{_YEAR}))?"
_RANGE_SEP = r"\s*(?:–|—|-|\bto\b|\buntil\b|\btill\b|\bthrough\b)\s*"
_RANGES = (
    re.compile(
        r"\b" + _DAY_MONTH.format(p="a") + _RANGE_SEP + _DAY_MONTH.format(p="b") + r"\b", re.I
    ),
    re.compile(
        rf"\b(?P<ad>\d{{1,2}}){_ORD}{_RANGE_SEP}(?P<bd>\d{{1,2}}){_ORD}\s+(?P<bm>{_MONTH})"
        rf"(?:,?\s+(?P<by>{_YEAR}))?\b",
        re.I,
    ),
    re.compile(
        rf"\b(?P<am>{_MONTH})\s+(?P<ad>\d{{1,2}}){_ORD}{_RANGE_SEP}(?:(?P<bm>{_MONTH})\s+)?"
        rf"(?P<bd>\d{{1,2}}){_ORD}\b(?:,?\s+(?P<by>{_YEAR}))?",
        re.I,
    ),
    re.compile(
        rf"\b(?P<ay>{_YEAR})-(?P<amn>\d\d)-(?P<ad>\d\d){_RANGE_SEP}"
        rf"(?P<by>{_YEAR})-(?P<bmn>\d\d)-(?P<bd>\d\d)\b"
    ),
)
_COUNT = re.compile(
    r"(?<![\w.,£$€¥-])(\d{1,3}(?:,\d{3})+|\d+)(?![\w.,%:/-]|\.\d)((?:\s+[a-z][a-z-]*){1,3})", re.I
)
_NOT_COUNTED = frozenset(
    """second seconds minute minutes min mins hour hours hr hrs day days week weeks month months
    year years time times percent per cent am pm km kg g mg ml l m cm mm mi miles mile metres meters
    pounds dollars euros gbp usd eur pages page point points x am pm of and or to the a an in on
    at by for from with""".split()
    + _MONTHS
    + _DAYS
)
"""Words after a number that are units, dates or glue, not things counted."""
_QUALIFIERS = frozenset(
    """more new additional extra other fewer less per each another further than times or and
    out of""".split()
)
"""A number qualified by one of these is not a second statement of the same count."""


@dataclass(frozen=True)
class Finding:
    """One fact that does not hold: where, and what is wrong."""

    line: int
    """1-based line of the document."""
    message: str
    """Stated vs computed, in plain words."""


def parse_number(text: str) -> float | None:
    """A number as a document writes it ('£9,850', '1,240', '12.5', '(1,200)'), else None."""
    match = _AMOUNT.match(text.replace("*", "").replace("−", "-"))
    if match is None:
        return None
    raw = re.sub(r"[£$€¥,\s]", "", match.group(1))
    try:
        return float(raw)
    except ValueError:
        return None


def show(value: float) -> str:
    """A computed number written as the document would: thousands separators, no '.0'."""
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [cell.strip() for cell in inner.split("|")]


@dataclass
class Table:
    """A markdown table: its header cells and its body rows with their lines."""

    header_line: int
    """Line of the header row."""
    header: list[str]
    """Header cells."""
    rows: list[tuple[int, list[str]]]
    """(line, cells) of each body row."""


def tables(lines: list[str]) -> list[Table]:
    """The markdown tables of a document (a header, a '---' separator, body rows)."""
    found: list[Table] = []
    number = 0
    while number < len(lines):
        line = lines[number]
        is_separator = number + 1 < len(lines) and re.match(
            r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$", lines[number + 1]
        )
        if "|" in line and is_separator:
            table = Table(number + 1, _cells(line), [])
            number += 2
            while number < len(lines) and "|" in lines[number] and lines[number].strip():
                table.rows.append((number + 1, _cells(lines[number])))
                number += 1
            found.append(table)
            continue
        number += 1
    return found


def _label(cells: list[str]) -> str:
    return next((c.replace("*", "").replace("_", " ").strip() for c in cells if c.strip()), "")


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.005, 1e-9 * abs(b))


def _sum_check(
    what: str, stated: float, parts: list[float], line: int, stated_text: str
) -> Finding | None:
    computed = sum(parts)
    if len(parts) < 2 or _close(stated, computed):
        return None
    shown = " + ".join(show(p) for p in parts) if len(parts) <= 8 else f"{len(parts)} rows"
    return Finding(
        line,
        f"{what} is stated as {stated_text.strip('* ')}, but the rows above add up to "
        f"{show(computed)} ({shown}): stated {show(stated)}, computed {show(computed)}",
    )


@dataclass(frozen=True)
class Total:
    """A total the document states and the sum its rows really make."""

    line: int
    """Line of the total."""
    words: frozenset[str]
    """Words naming what is totalled (the column header)."""
    stated: float
    """The total as written."""
    computed: float
    """The sum of the rows."""
    explicit: bool = True
    """Whether the table states this total in a row (else: a column the table leaves unsummed)."""


def _table_findings(table: Table, totals: list[Total]) -> Iterator[Finding]:
    width = len(table.header)
    for column in range(1, width):
        name = table.header[column].replace("*", "").strip() or f"column {column + 1}"
        parts: list[float] = []
        section: list[float] = []
        percents: list[float] = []
        stated_total = False
        for line, cells in table.rows:
            if column >= len(cells):
                continue
            label, cell = _label(cells), cells[column].replace("*", "").strip()
            value = parse_number(cell)
            if _AVERAGE_LABEL.match(label):
                if value is not None and len(parts) >= 2:
                    mean = sum(parts) / len(parts)
                    if abs(mean - value) > max(0.05, abs(mean) * 0.005):
                        yield Finding(
                            line,
                            f"The average of '{name}' is stated as {cell.strip('* ')}, but the "
                            f"{len(parts)} rows above average {show(round(mean, 2))}: stated "
                            f"{show(value)}, computed {show(round(mean, 2))}",
                        )
                continue
            if _SUBTOTAL_LABEL.match(label):
                if value is not None:
                    finding = _sum_check(f"The subtotal of '{name}'", value, section, line, cell)
                    if finding:
                        yield finding
                section = []
                continue
            if _TOTAL_LABEL.match(label):
                if value is not None:
                    finding = _sum_check(f"The total of '{name}'", value, parts, line, cell)
                    if finding:
                        yield finding
                    totals.append(Total(line, _words(name), value, sum(parts)))
                    stated_total = True
                elif len(percents) >= 2 and len(percents) == len(parts):
                    yield from _percent_check(f"the shares in '{name}'", percents, line)
                parts, section, percents = [], [], []
                continue
            if value is not None:
                parts.append(value)
                section.append(value)
                if cell.endswith("%") or "%" in name:
                    percents.append(value)
        if len(percents) >= 2 and len(percents) == len(parts):
            yield from _percent_check(f"the shares in '{name}'", percents, table.rows[-1][0])
        elif len(parts) >= 2 and not stated_total:
            totals.append(Total(table.header_line, _words(name), 0, sum(parts), explicit=False))


def _percent_check(what: str, values: list[float], line: int) -> Iterator[Finding]:
    total = sum(values)
    integers = all(v == int(v) for v in values)
    slack = max(1.0, 0.5 * len(values)) if integers else 0.5 * len(values) * 0.1 + 0.05
    if 80 <= total <= 120 and abs(total - 100) > slack:
        shown = " + ".join(f"{show(v)}%" for v in values)
        yield Finding(line, f"{what} do not add up to 100%: {shown} = {show(total)}%, not 100%")


def _list_findings(lines: list[str]) -> Iterator[Finding]:
    """Runs of 'label: amount' lines closed by a 'Total: amount' line."""
    run: list[float] = []
    percents: list[float] = []
    percent_line = 0
    for number, line in enumerate(lines, start=1):
        match = _LIST_LINE.match(line)
        if match is None or "|" in line:
            if len(percents) >= 2:
                yield from _percent_check("the percentages listed", percents, percent_line)
            run, percents = [], []
            continue
        value = parse_number(match["num"])
        if value is None:
            continue
        if _TOTAL_LABEL.match(match["label"]):
            finding = _sum_check(
                f"The total '{match['label'].strip()}'", value, run, number, match["num"]
            )
            if finding:
                yield finding
            run, percents = [], []
            continue
        run.append(value)
        if match["unit"] == "%":
            percents.append(value)
            percent_line = number
    if len(percents) >= 2:
        yield from _percent_check("the percentages listed", percents, percent_line)


def _words(text: str) -> frozenset[str]:
    return frozenset(_singular(w) for w in re.findall(r"[a-z]{3,}", text.lower()))


def _singular(word: str) -> str:
    word = word.lower()
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _counts(lines: list[str]) -> list[tuple[int, float, str, str]]:
    """(line, number, noun, phrase) of each 'NUMBER [adjective] noun' outside tables."""
    found = []
    for number, line in enumerate(lines, start=1):
        if "|" in line or line.lstrip().startswith("#"):
            continue
        for match in _COUNT.finditer(line):
            words = match.group(2).split()
            if not words or words[0].lower() in _NOT_COUNTED:
                continue
            before = line[: match.start()].lower().split()[-2:]
            if set(before) & {"than", "per", "each", "another", "£", "$", "€"}:
                continue
            noun = ""
            for position, word in enumerate(words):
                low = word.lower()
                if low in _QUALIFIERS or low in _NOT_COUNTED:
                    break
                if low.endswith("s") and len(low) > 3:
                    noun = low
                    words = words[: position + 1]
                    break
            if not noun or set(w.lower() for w in words) & _QUALIFIERS:
                continue
            value = float(match.group(1).replace(",", ""))
            phrase = f"{match.group(1)} {' '.join(words)}"
            found.append((number, value, _singular(noun), phrase))
    return found


def _comparable(a: float, b: float) -> bool:
    """Two counts close enough to be two statements of one number (not 35 and 10,000)."""
    low, high = sorted((abs(a), abs(b)))
    return low > 0 and high <= 2 * low


def _count_findings(lines: list[str], totals: list[Total]) -> Iterator[Finding]:
    counts = _counts(lines)
    by_noun: dict[str, list[tuple[int, float, str]]] = {}
    for line, value, noun, phrase in counts:
        by_noun.setdefault(noun, []).append((line, value, phrase))
    for noun in sorted(by_noun, key=lambda n: by_noun[n][0][0]):
        stated = by_noun[noun]
        values = sorted({value for _, value, _ in stated})
        # A noun counted many ways ("35 events", "1,000 events") is a measure, not a fact.
        if len(values) != 2 or len(stated) > 4 or not _comparable(*values):
            continue
        first, *others = stated
        for line, value, phrase in others:
            if value != first[1]:
                yield Finding(
                    line,
                    f"'{phrase}' here, but '{first[2]}' on line {first[0]}: the same "
                    f"count stated as {show(first[1])} and {show(value)}; check which is right",
                )
    for line, value, noun, phrase in counts:
        for total in totals:
            if not total.explicit or noun not in total.words or line == total.line:
                continue
            if _close(value, total.computed):
                continue
            if not _comparable(value, total.computed) or total.computed != int(total.computed):
                continue
            yield Finding(
                line,
                f"'{phrase}' is stated here, but the table at line {total.line} adds up to "
                f"{show(total.computed)}: stated {show(value)}, computed {show(total.computed)}",
            )
            break


def _repeated_totals(lines: list[str], totals: list[Total]) -> Iterator[Finding]:
    """Prose that repeats a table's wrong total ('we raised £2,450' for rows that make 2,335)."""
    wrong = [t for t in totals if t.explicit and not _close(t.stated, t.computed)]
    for number, line in enumerate(lines, start=1):
        if "|" in line or not wrong:
            continue
        for match in re.finditer(rf"(?<![\w.,]){_NUMBER}(?![\w%]|[.,]\d)", line):
            value = parse_number(match.group(0))
            for total in wrong:
                if value is not None and _close(value, total.stated) and number != total.line:
                    yield Finding(
                        number,
                        f"{match.group(0).strip()} repeats the total stated on line {total.line}, "
                        f"but those rows add up to {show(total.computed)}: stated "
                        f"{show(total.stated)}, computed {show(total.computed)}",
                    )


def _announced_counts(lines: list[str]) -> Iterator[Finding]:
    """'three speakers:' followed by a list of another length (bullets below, or inline)."""
    for number, line in enumerate(lines, start=1):
        match = _ANNOUNCED.search(line) or _ANNOUNCED_AFTER.search(line)
        if match is None or "|" in line:
            continue
        said = match["n"].lower()
        expected = int(said) if said.isdigit() else _NUMBER_WORDS[said]
        if not 2 <= expected <= 20:
            continue
        inline = match["inline"].strip().rstrip(".")
        if inline:
            if re.search(r"[;()\[\]]|\d", inline):
                continue
            items = [i for i in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", inline) if i]
            if len(items) < 2 or any(len(i.split()) > 4 for i in items):
                continue
            listed = len(items)
        else:
            following = lines[number:]
            while following and not following[0].strip():
                following = following[1:]
            listed = 0
            for item in following:
                if not _BULLET.match(item):
                    break
                listed += 1
            if listed < 2:
                continue
        if listed != expected and abs(listed - expected) <= 2:
            yield Finding(
                number,
                f"'{match.group(0).split(':')[0].strip()}' announces {expected}, but "
                f"{listed} are listed: stated {expected}, counted {listed}",
            )


def _prose_totals(lines: list[str], totals: list[Total]) -> Iterator[Finding]:
    """A total said in prose ('in total £9,850') against a table column the table leaves
    unsummed, when the two are close enough to be the same sum."""
    columns = [t for t in totals if not t.explicit]
    for number, line in enumerate(lines, start=1):
        if "|" in line or not columns or not _TOTAL_WORD.search(line):
            continue
        said = [m.start() for m in _TOTAL_WORD.finditer(line)]
        for match in re.finditer(rf"(?<![\w.,]){_NUMBER}(?![\w%]|[.,]\d)", line):
            value = parse_number(match.group(0))
            if value is None or value == int(value) and 1900 <= value <= 2100:
                continue  # a year
            if min(abs(match.start() - at) for at in said) > 40 or abs(value) < 10:
                continue  # not the number the word 'total' is about
            for total in columns:
                near = 0.8 * abs(total.computed) <= abs(value) <= 1.25 * abs(total.computed)
                if near and not _close(value, total.computed):
                    yield Finding(
                        number,
                        f"{match.group(0).strip()} is given as the total, but the table at line "
                        f"{total.line} adds up to {show(total.computed)}: stated {show(value)}, "
                        f"computed {show(total.computed)}",
                    )
                    break


def _month(text: str) -> int:
    key = text.lower().rstrip(".")[:3]
    return next(i for i, name in enumerate(_MONTHS, start=1) if name.startswith(key))


def _document_year(text: str) -> int | None:
    years = re.findall(rf"\b({_YEAR})\b", text)
    if not years:
        return None
    return int(max(sorted(set(years)), key=years.count))


def _weekday_findings(lines: list[str], year: int | None) -> Iterator[Finding]:
    for number, line in enumerate(lines, start=1):
        seen: set[tuple[int, int]] = set()
        for pattern in _WEEKDAY_DATES:
            for match in pattern.finditer(line):
                parts = match.groupdict()
                month = int(parts["mn"]) if parts.get("mn") else _month(parts["m"])
                stated_year = int(parts["y"]) if parts.get("y") else year
                if stated_year is None or match.span() in seen:
                    continue
                seen.add(match.span())
                try:
                    real = date(stated_year, month, int(parts["d"]))
                except ValueError:
                    yield Finding(number, f"'{match.group(0)}' is not a date that exists")
                    continue
                said = parts["wd"].lower().rstrip(".")[:3]
                weekday = _DAYS[real.weekday()]
                if not weekday.startswith(said):
                    named = next(d for d in _DAYS if d.startswith(said)).capitalize()
                    where = "" if parts.get("y") else f" (taking the year as {stated_year})"
                    yield Finding(
                        number,
                        f"'{match.group(0)}': {real.day} {_MONTHS[month - 1].capitalize()} "
                        f"{stated_year} is a {weekday.capitalize()}, not a {named}{where}",
                    )


def _range_findings(lines: list[str], year: int | None) -> Iterator[Finding]:
    for number, line in enumerate(lines, start=1):
        for pattern in _RANGES:
            for match in pattern.finditer(line):
                parts = match.groupdict()
                try:
                    start, end = _range_dates(parts, year)
                except (ValueError, StopIteration):
                    continue
                if end < start:
                    yield Finding(
                        number,
                        f"the range '{match.group(0).strip()}' ends ({end.day} {end:%B %Y}) before "
                        f"it starts ({start.day} {start:%B %Y})",
                    )


def _range_dates(parts: dict[str, str | None], year: int | None) -> tuple[date, date]:
    def month(prefix: str) -> int | None:
        if parts.get(prefix + "mn"):
            return int(parts[prefix + "mn"] or 0)
        name = parts.get(prefix + "m")
        return _month(name) if name else None

    end_month = month("b") or month("a")
    start_month = month("a") or end_month
    end_year = int(parts.get("by") or parts.get("ay") or year or 2000)
    start_year = int(parts.get("ay") or end_year)
    if start_month is None or end_month is None:
        raise ValueError("no month")
    return (
        date(start_year, start_month, int(parts["ad"] or 0)),
        date(end_year, end_month, int(parts["bd"] or 0)),
    )


_DAYS_IN = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
"""Longest each month can be (February in a leap year)."""
_DAY_MONTH_DATE = re.compile(
    rf"\b(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<m>{_MONTH})(?:,?\s+(?P<y>{_YEAR}))?\b"
    rf"|\b(?P<m2>{_MONTH})\s+(?P<d2>\d{{1,2}}){_ORD}\b(?:,?\s+(?P<y2>{_YEAR}))?",
    re.I,
)


def _impossible_dates(lines: list[str], year: int | None) -> Iterator[Finding]:
    """Dates that no calendar has: 31 April, 30 February, 29 February of a common year."""
    for number, line in enumerate(lines, start=1):
        for match in _DAY_MONTH_DATE.finditer(line):
            day = int(match["d"] or match["d2"])
            month = _month(match["m"] or match["m2"])
            stated = match["y"] or match["y2"]
            when = int(stated) if stated else year
            longest = _DAYS_IN[month - 1]
            if month == 2 and when and not (when % 4 == 0 and (when % 100 or when % 400 == 0)):
                longest = 28
            if day > longest or day == 0:
                yield Finding(
                    number,
                    f"'{match.group(0).strip()}' is not a date that exists: "
                    f"{_MONTHS[month - 1].capitalize()} has {longest} days"
                    + (f" in {when}" if month == 2 and when else ""),
                )


_OPERATOR = r"(?:\s*[+×*/]\s*|\s+[x−-]\s+)"
_TERM = rf"(?:{_NUMBER})(?:\s+[A-Za-z]+){{0,2}}?"
"""A number in a written-out sum, with the unit words after it ('3 nights')."""
_EQUATION = re.compile(
    rf"(?<![\w.,/-])(?P<expr>{_TERM}(?:{_OPERATOR}{_TERM}){{1,8}})\s*=\s*"
    rf"(?P<result>{_NUMBER})(?![\w.,]\d|\d)"
)


def _evaluate(expression: str) -> float | None:
    """The value of 'a + b × c ...' with the usual precedence; None when it cannot be read."""
    tokens = re.split(rf"({_OPERATOR})", expression)
    values = [parse_number(re.sub(r"(?:\s+[A-Za-z]+)+$", "", t)) for t in tokens[::2]]
    operators = [
        t.strip().replace("×", "*").replace("x", "*").replace("−", "-") for t in tokens[1::2]
    ]
    if any(v is None for v in values):
        return None
    terms: list[float] = [values[0] or 0.0]
    signs: list[str] = []
    for operator, value in zip(operators, values[1:], strict=True):
        if operator in "*/":
            if operator == "/" and not value:
                return None
            terms[-1] = terms[-1] * value if operator == "*" else terms[-1] / (value or 1)
        else:
            signs.append(operator)
            terms.append(value or 0.0)
    total = terms[0]
    for sign, term in zip(signs, terms[1:], strict=True):
        total = total + term if sign == "+" else total - term
    return total


def _equations(lines: list[str]) -> Iterator[Finding]:
    """Sums written out in the text ('£1,200 + £800 = £2,100', '3 x 45 = 140')."""
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_EQUATION_LINE:
            continue  # a data dump, not prose: no sums written out
        for match in _EQUATION.finditer(line):
            stated = parse_number(match["result"])
            computed = _evaluate(match["expr"])
            if stated is None or computed is None or _close(stated, computed):
                continue
            yield Finding(
                number,
                f"'{match.group(0).strip()}' does not hold: {match['expr'].strip()} is "
                f"{show(round(computed, 2))}: stated {show(stated)}, computed "
                f"{show(round(computed, 2))}",
            )


_CHANGE = re.compile(rf"\bfrom\s+(?P<a>{_NUMBER})\s*(?:[a-z%]+\s+)?to\s+(?P<b>{_NUMBER})", re.I)
_CHANGE_PERCENT = re.compile(
    r"(?P<p>\d+(?:\.\d+)?)\s?%\s*(?:\w+\s+){0,2}?(?P<how>increase|rise|growth|jump|gain|up"
    r"|decrease|drop|fall|decline|cut|reduction|down|fewer|less|more|higher|lower)\b"
    r"|\b(?P<how2>up|down|rose|fell|grew|increased|decreased|dropped|rising|falling)\s+(?:by\s+)?"
    r"(?P<p2>\d+(?:\.\d+)?)\s?%",
    re.I,
)


def _percent_changes(lines: list[str]) -> Iterator[Finding]:
    """'from 200 to 250, a 20% increase': the change the two numbers really make."""
    for number, line in enumerate(lines, start=1):
        for sentence in re.split(r"(?<=[.!?;])\s+", line):
            change = _CHANGE.search(sentence)
            said = _CHANGE_PERCENT.search(sentence)
            if change is None or said is None:
                continue
            before, after = parse_number(change["a"]), parse_number(change["b"])
            if not before or after is None:
                continue
            stated = float(said["p"] or said["p2"])
            computed = abs(after - before) / abs(before) * 100
            if abs(stated - computed) >= 0.5 + 0.05 * (stated != int(stated)):
                yield Finding(
                    number,
                    f"from {change['a'].strip()} to {change['b'].strip()} is a change of "
                    f"{computed:.1f}%, not {said.group(0).strip()}: stated {show(stated)}%, "
                    f"computed {computed:.1f}%",
                )


def check_facts(text: str, year: int | None = None) -> list[Finding]:
    """Every fact of `text` that does not hold, in line order."""
    lines = text.splitlines()
    found: list[Finding] = []
    totals: list[Total] = []
    for table in tables(lines):
        found += _table_findings(table, totals)
    found += _list_findings(lines)
    own_year = _document_year(text) or year
    found += _weekday_findings(lines, own_year)
    found += _range_findings(lines, own_year)
    for number, line in enumerate(lines, start=1):
        percents = [float(v) for v in _PERCENT.findall(line)]
        if len(percents) >= 3 and "|" not in line:
            found += _percent_check("the percentages on this line", percents, number)
    counted = list(_count_findings(lines, totals))
    found += counted
    flagged = {f.line for f in counted}
    found += [f for f in _repeated_totals(lines, totals) if f.line not in flagged]
    found += _prose_totals(lines, totals)
    found += _announced_counts(lines)
    found += _equations(lines)
    found += _percent_changes(lines)
    found += [Finding(line, message) for line, message in contradiction_messages(lines)]
    weekdays = {f.line for f in found if "not a date that exists" in f.message}
    found += [f for f in _impossible_dates(lines, own_year) if f.line not in weekdays]
    unique = {(f.line, f.message): f for f in found}
    return sorted(unique.values(), key=lambda f: (f.line, f.message))


def _item_sums(items: list[dict]) -> dict[str, float]:
    """Per numeric field common to every item, its sum; and quantity x price when both exist."""
    fields = [k for k in items[0] if all(_plain_number(i.get(k)) for i in items)]
    sums = {k: sum(float(i[k]) for i in items) for k in fields}
    quantity = next((k for k in fields if _QUANTITY.match(k)), None)
    price = next((k for k in fields if _PRICE.match(k)), None)
    if quantity and price:
        sums[f"{quantity} x {price}"] = sum(float(i[quantity]) * float(i[price]) for i in items)
    return sums


def _plain_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _json_totals(data: object, where: str = "") -> Iterator[tuple[str, str, float, str, float]]:
    """(path, key, stated, what was summed, computed) for each total beside a list of items
    that no sum of the items makes."""
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield from _json_totals(item, f"{where}[{index}]")
        return
    if not isinstance(data, dict):
        return
    lists = [
        (k, v)
        for k, v in data.items()
        if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)
    ]
    sums = {
        f"{name}[].{field}": total
        for name, items in lists
        for field, total in _item_sums(items).items()
    }
    for key, value in data.items():
        if not (_TOTAL_KEY.match(str(key)) and _plain_number(value) and sums):
            continue
        if any(_close(float(value), total) for total in sums.values()):
            continue
        words = set(re.split(r"[_\W]+", str(key).lower())) - {"total", "sum", "grand", "sub", ""}
        last = {f: f.rsplit(".", 1)[-1] for f in sums}
        likely = [f for f in sums if words & set(re.split(r"[_\W]+", last[f].lower()))]
        likely += [f for f in sums if " x " in last[f]]
        likely += [f for f in sums if re.search(r"amount|total|price|cost|value", last[f], re.I)]
        if likely:
            field = likely[0]
            yield (f"{where}.{key}".lstrip("."), str(key), float(value), field, sums[field])
    for key, value in data.items():
        yield from _json_totals(value, f"{where}.{key}".lstrip("."))


def _json_findings(text: str) -> list[Finding]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return []
    found = []
    offset = 0
    for place, key, stated, summed, computed in _json_totals(data):
        line = 1
        for match in re.finditer(rf'"{re.escape(key)}"\s*:\s*(-?[\d.eE+-]+)', text[offset:]):
            if _close(float(match.group(1)), stated):
                line = text.count("\n", 0, offset + match.start()) + 1
                offset += match.end()
                break
        found.append(
            Finding(
                line,
                f"'{place}' is stated as {show(stated)}, but the {summed} of the items add up to "
                f"{show(round(computed, 2))}: stated {show(stated)}, computed "
                f"{show(round(computed, 2))}",
            )
        )
    return found


def fact_check(root: Path, path: str, year: int | None = None) -> str:
    """The findings on a project document, one 'path:line: what is wrong' a line."""
    try:
        real, text = read_text(root, path, max_bytes=MAX_FACT_BYTES)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    suffix = real.suffix.lower()
    if suffix not in TEXT_SUFFIXES + JSON_SUFFIXES:
        return (
            f"Error: fact_check reads text documents (.md, .txt, .rst) and .json; {name} is not one"
        )
    findings = _json_findings(text) if suffix in JSON_SUFFIXES else check_facts(text, year)
    if not findings:
        return (
            f"{name}: no findings (totals, percentages, weekdays of dates, date ranges and "
            "repeated counts agree)"
        )
    lines = text.splitlines()
    shown = [
        f"{name}:{f.line}: {f.message} | {clip(lines[f.line - 1].strip(), 160)}"
        for f in findings[:MAX_FINDINGS]
    ]
    if len(findings) > MAX_FINDINGS:
        shown.append(f"... and {len(findings) - MAX_FINDINGS} more")
    return "\n".join(shown)


class FactCheckInput(BaseModel):
    """Arguments of fact_check."""

    path: str = Field(min_length=1, description="A .md, .txt, .rst or .json file.")
    year: int = Field(
        default=0,
        ge=0,
        le=2200,
        description="Year for dates written without one (0: the document's own).",
    )


def fact_check_tools(root: Path) -> list[BaseTool]:
    """fact_check over the project folder `root`."""
    root = Path(root).resolve()

    def fact_check_tool(path: str, year: int = 0) -> str:
        return fact_check(root, path, year or None)

    return [
        StructuredTool.from_function(
            func=fact_check_tool,
            name="fact_check",
            description=(
                "Check a document's numbers and dates against themselves: totals vs their "
                "rows, weekdays vs dates, counts stated twice, shares not making 100%, ranges "
                "ending before they start; in .json, totals vs their items. One 'path:line: "
                "finding' a line."
            ),
            args_schema=FactCheckInput,
        )
    ]
