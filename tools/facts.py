"""`note_facts`: the facts a page of notes states, each with its line, and the sums they imply.

A proposal, plan or announcement is built from what the person's notes already settle: the
dates (and how many nights or days they span), how many people, the options looked at and which
were ruled out, votes and decisions, goals, costs and a budget cap. Rates ("£150 per person per
night") are multiplied out by the head count and nights the same notes give, so the estimate is
arithmetic on the person's own numbers, each cited by line; nothing is assumed beyond them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, clip, read_text, relative

MAX_FACT_LINES = 60
"""Lines of notes read into facts (the rest are left out and said to be)."""

_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_WD = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_ORD = r"(?:st|nd|rd|th)?"
_DASH = r"\s*(?:-|–|—|to|until|through)\s*"
_DATE_RANGE = re.compile(
    rf"\b{_WD}(?P<d1>[0-3]?\d){_ORD}(?:\s+(?P<m1>{_MON})(?:,?\s+(?P<y0>20\d\d))?)?{_DASH}{_WD}"
    rf"(?P<d2>[0-3]?\d){_ORD}\s+"
    rf"(?P<m2>{_MON})(?:,?\s+(?P<y>20\d\d))?"
    rf"|\b(?P<m3>{_MON})\s+(?P<d3>[0-3]?\d){_ORD}{_DASH}(?:(?P<m4>{_MON})\s+)?(?P<d4>[0-3]?\d)"
    rf"{_ORD}\b(?:,?\s+(?P<y2>20\d\d))?"
    rf"|\b(?P<iso1>20\d\d-[01]\d-[0-3]\d){_DASH}(?P<iso2>20\d\d-[01]\d-[0-3]\d)\b",
    re.IGNORECASE,
)
_ONE_DATE = re.compile(
    rf"\b{_WD}(?:[0-3]?\d{_ORD}\s+{_MON}(?:,?\s+20\d\d)?|{_MON}\s+[0-3]?\d{_ORD}\b(?:,?\s+20\d\d)?"
    rf"|20\d\d-[01]\d-[0-3]\d)",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"(?P<cur>[£$€])\s?(?P<num>\d[\d,]*(?:\.\d+)?)(?P<k>\s?k\b)?"
    r"|\b(?P<num2>\d[\d,]*(?:\.\d+)?)\s?(?P<code>EUR|USD|GBP|CHF|euros?|dollars?|pounds?)\b",
    re.IGNORECASE,
)
_PER_PERSON = re.compile(r"^\W{0,3}(?:per (?:person|head|attendee|guest)|pp\b|a head|each)", re.I)
_PER_NIGHT = re.compile(r"\bper (?:person )?(?:per )?night\b|\ba night\b|\bnightly\b", re.I)
_PER_DAY = re.compile(r"\bper (?:person )?(?:per )?day\b|\ba day\b|\bdaily\b", re.I)
_CAP = re.compile(r"\b(?:budget|cap|limit|max(?:imum)?|up to|at most|ceiling|allowance)\b", re.I)
_PEOPLE = re.compile(
    r"\b(?P<n>\d{1,5})\s+(?:people|persons|attendees|guests|participants|staff|members|delegates"
    r"|employees|students|volunteers|colleagues|pax|adults|children|kids|pupils|players|singers"
    r"|runners|riders|families|speakers|visitors|travell?ers)\b"
    r"|\bwe are (?P<n3>\d{1,5})\b|\b(?P<n4>\d{1,5}) of us\b"
    r"|\b(?:group|party|class|team|crew) of (?P<n5>\d{1,5})\b"
    r"|\b(?:team size|headcount|head count|group size|attendees|participants|guests)\s*:?\s*"
    r"(?:of\s+|is\s+|=\s*)?(?P<n2>\d{1,5})\b",
    re.IGNORECASE,
)
_NIGHTS = re.compile(r"\b(?P<n>\d{1,3})\s+nights?\b", re.I)
_DAYS = re.compile(r"\b(?P<n>\d{1,3})\s+days?\b", re.I)
_RULED_OUT = re.compile(
    r"nobody liked|no one liked|rejected|ruled out|\bdropped\b|too expensive|too far|too small"
    r"|not available|unavailable|no longer|declined|won'?t work|doesn'?t work|cancell?ed"
    r"|decided against|not an option|vetoed|\bout\b:|scrapped|\bno go\b",
    re.I,
)
_CHOICE_INTRO = re.compile(
    r"option|venue|choice|candidate|alternative|looked at|shortlist|considered|vendor|supplier"
    r"|quote|provider|location|place|hotel|caterer",
    re.I,
)
_DECISION = re.compile(
    r"\b(?:decided|agreed|confirmed|chose|chosen|we will|we'll|going with|approved|signed off"
    r"|booked|settled on)\b",
    re.I,
)
_PRICE = re.compile(
    r"\b(?:prices?|tickets?|entry|admission|we (?:sell|charge)|selling|charge[sd]?|fee for)\b", re.I
)
"""A line of what the person charges (sold at), not what they spend."""
_GOALS = re.compile(r"\b(?:goals?|aims?|objectives?|purpose|want to|agenda|priorities)\b", re.I)
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?P<text>.+)$")
_NAMED_ITEM = re.compile(r"^(?P<name>[A-Z0-9][\w&'’.-]*(?:\s+[\w&'’.-]+){0,5}?)\s*(?::|—|–| - )\s*")


@dataclass
class _Amount:
    """A sum of money the notes state."""

    value: float
    """The number."""
    shown: str
    """As written ('£150')."""
    line: int
    """Its line."""
    text: str
    """The line's text."""
    per_person: bool = False
    """A rate per person."""
    per_night: bool = False
    """A rate per night."""
    per_day: bool = False
    """A rate per day."""


@dataclass
class _Facts:
    """What the notes settle."""

    lines: list[str] = field(default_factory=list)
    """The tool's output lines, in order."""
    people: tuple[int, int] | None = None
    """(count, line)."""
    nights: tuple[int, int] | None = None
    """(count, line) of nights."""
    days: tuple[int, int] | None = None
    """(count, line) of days."""
    options: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Option name -> (line, its text), in order; ruled-out ones left out."""
    ruled_out: dict[str, int] = field(default_factory=dict)
    """Options the notes rule out -> their line."""
    votes: dict[str, int] = field(default_factory=dict)
    """Option name -> votes."""
    chosen: tuple[str, str] | None = None
    """(option, why) the notes lead to."""
    amounts: list[_Amount] = field(default_factory=list)
    """Every sum the notes state, in order."""


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _money(value: float, like: str) -> str:
    """`value` written the way `like` ('£9,000', '150 EUR') writes money."""
    shown = f"{value:,.2f}".removesuffix(".00")
    symbol = re.match(r"[£$€]", like)
    if symbol:
        return f"{symbol.group(0)}{shown}"
    code = re.search(r"[A-Za-z]+$", like)
    return f"{shown} {code.group(0)}" if code else shown


def _amounts(line: str, number: int) -> list[_Amount]:
    out = []
    for match in _MONEY.finditer(line):
        value = _number(match["num"] or match["num2"]) * (1000 if match["k"] else 1)
        after = line[match.end() : match.end() + 40]
        out.append(
            _Amount(
                value=value,
                shown=match.group(0).strip(),
                line=number,
                text=line.strip(),
                per_person=bool(_PER_PERSON.search(after)),
                per_night=bool(_PER_NIGHT.search(after[:30])),
                per_day=bool(_PER_DAY.search(after[:30])),
            )
        )
    return out


def weekdays(first: date, last: date) -> int:
    """Monday-to-Friday days from `first` to `last`, both counted."""
    days = (last - first).days + 1
    return sum(1 for n in range(max(days, 0)) if (first + timedelta(days=n)).weekday() < 5)


def _date_range(match: re.Match[str], year_hint: int | None) -> tuple[date, date] | None:
    try:
        if match["iso1"]:
            return date.fromisoformat(match["iso1"]), date.fromisoformat(match["iso2"])
        if match["d1"]:
            m2 = _MONTHS.index(match["m2"][:3].lower()) + 1
            m1 = _MONTHS.index(match["m1"][:3].lower()) + 1 if match["m1"] else m2
            year = int(match["y"] or match["y0"] or 0) or year_hint
            if year is None:
                return None
            start_year = int(match["y0"]) if match["y0"] else year
            return date(start_year, m1, int(match["d1"])), date(year, m2, int(match["d2"]))
        m3 = _MONTHS.index(match["m3"][:3].lower()) + 1
        m4 = _MONTHS.index(match["m4"][:3].lower()) + 1 if match["m4"] else m3
        year = int(match["y2"]) if match["y2"] else year_hint
        if year is None:
            return None
        return date(year, m3, int(match["d3"])), date(year, m4, int(match["d4"]))
    except ValueError:
        return None


def _items(lines: list[str]) -> list[tuple[int, str, int]]:
    """(line, text, block) of list items, an indented continuation joined to its item; items
    in one run share a block number."""
    out: list[tuple[int, str, int]] = []
    block = 0
    previous_item = False
    for number, line in enumerate(lines, 1):
        item = _ITEM.match(line)
        if item:
            block += 0 if previous_item else 1
            out.append((number, item["text"].strip(), block))
            previous_item = True
        elif previous_item and line.startswith((" ", "\t")) and line.strip() and out:
            last = out[-1]
            out[-1] = (last[0], f"{last[1]} {line.strip()}", last[2])
        else:
            previous_item = previous_item and not line.strip() and False
    return out


def read_facts(text: str, shown: str) -> _Facts:
    """The facts of a notes text (see the module's docstring)."""
    lines = text.splitlines()[:MAX_FACT_LINES]
    facts = _Facts()
    out = facts.lines
    year_hint = next((int(y) for y in re.findall(r"\b(20\d\d)\b", text)), None)
    items = _items(lines)
    item_lines = {n for n, _, _ in items}
    blocks: dict[int, list[tuple[int, str]]] = {}
    for number, item_text, block in items:
        blocks.setdefault(block, []).append((number, item_text))
    for block_items in blocks.values():
        named = [(n, t, _NAMED_ITEM.match(t)) for n, t in block_items]
        intro = lines[block_items[0][0] - 2] if block_items[0][0] >= 2 else ""
        intro = intro or (lines[block_items[0][0] - 3] if block_items[0][0] >= 3 else "")
        with_money = sum(1 for _, t, _ in named if _MONEY.search(t))
        if sum(1 for *_, m in named if m) < 2 or not (_CHOICE_INTRO.search(intro) or with_money):
            continue
        for number, item_text, match in named:
            if not match:
                continue
            name = match["name"].strip()
            if _RULED_OUT.search(item_text):
                facts.ruled_out[name] = number
                out.append(clip(f"line {number}: ruled out: {item_text}"))
            else:
                facts.options[name] = (number, item_text)
                out.append(clip(f"line {number}: option: {item_text}"))
    option_lines = {n for n, _ in facts.options.values()} | set(facts.ruled_out.values())
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if number == 1 and line.startswith("#"):
            out.append(f"line 1: title: {line.lstrip('#').strip()}")
        people = _PEOPLE.search(line)
        if people and facts.people is None:
            count = next(people[g] for g in ("n", "n2", "n3", "n4", "n5") if people[g])
            facts.people = (int(count), number)
            out.append(clip(f"line {number}: people: {facts.people[0]} ({line})"))
        for match in _DATE_RANGE.finditer(line):
            span = _date_range(match, year_hint)
            nights = _NIGHTS.search(line)
            extra = ""
            if span and span[1] >= span[0]:
                count = (span[1] - span[0]).days
                extra = f" ({span[0].isoformat()} to {span[1].isoformat()}, {count + 1} days"
                extra += f", {count} night{'s' if count != 1 else ''}"
                extra += f", {weekdays(span[0], span[1])} weekdays)"
                if facts.nights is None and not nights:
                    facts.nights, facts.days = (count, number), (count + 1, number)
            out.append(clip(f"line {number}: dates: {' '.join(match.group(0).split())}{extra}"))
        one = _ONE_DATE.search(line)
        if one and not _DATE_RANGE.search(line) and number not in item_lines:
            out.append(clip(f"line {number}: date: {' '.join(one.group(0).split())} ({line})"))
        nights = _NIGHTS.search(line)
        if nights and (facts.nights is None or facts.nights[1] == number):
            facts.nights = (int(nights["n"]), number)
        days = _DAYS.search(line)
        if days and facts.days is None:
            facts.days = (int(days["n"]), number)
        amounts = _amounts(line, number)
        facts.amounts += amounts
        if number not in option_lines:
            for amount in amounts:
                kind = "budget cap" if _CAP.search(line) else "cost"
                kind = "price" if _PRICE.search(line) else kind
                out.append(clip(f"line {number}: {kind}: {amount.shown} ({line})"))
        names = [n for n in [*facts.options, *facts.ruled_out] if n.lower() in line.lower()]
        if len(names) >= 2 and re.search(r"\bvot|\bpoll|\branked|\bprefer", line, re.I):
            for name in names:
                count = re.search(rf"{re.escape(name)}\W{{0,3}}(\d+)", line, re.I)
                if count:
                    facts.votes[name] = int(count.group(1))
            if facts.votes:
                said = ", ".join(f"{n} {v}" for n, v in facts.votes.items())
                out.append(f"line {number}: votes: {said}")
        if _DECISION.search(line) and number not in option_lines:
            out.append(clip(f"line {number}: decision: {line}"))
            picked = [n for n in facts.options if n.lower() in line.lower()]
            if len(picked) == 1:
                facts.chosen = (picked[0], f"decided on line {number}")
        if _GOALS.search(line) and not line.startswith("#"):
            out.append(clip(f"line {number}: goals: {line}"))
    if facts.chosen is None and facts.votes:
        standing = {n: v for n, v in facts.votes.items() if n in facts.options}
        if standing:
            best = max(standing, key=lambda n: (standing[n], -list(standing).index(n)))
            facts.chosen = (best, "most votes")
    if facts.chosen is None and len(facts.options) == 1 and facts.ruled_out:
        facts.chosen = (next(iter(facts.options)), "the only option not ruled out")
    if facts.chosen:
        line = facts.options[facts.chosen[0]][0]
        out.append(f"line {line}: leading option: {facts.chosen[0]} ({facts.chosen[1]})")
    out.sort(key=lambda text: int(text.split(":")[0].removeprefix("line ")))  # by line, stable
    out += _estimate(facts)
    if len(text.splitlines()) > MAX_FACT_LINES:
        out.append(f"only the first {MAX_FACT_LINES} lines of {shown} were read")
    return facts


def _estimate(facts: _Facts) -> list[str]:
    """The cost of the leading option (or of the notes' rates when there are no options) with
    the other costs, against the budget cap."""
    option_lines = {n for n, _ in facts.options.values()} | set(facts.ruled_out.values())
    chosen_line = facts.options[facts.chosen[0]][0] if facts.chosen else None
    caps = [a for a in facts.amounts if a.line not in option_lines and _CAP.search(a.text)]
    costs = [
        a
        for a in facts.amounts
        if (a.line == chosen_line or a.line not in option_lines)
        and a not in caps
        and not _PRICE.search(a.text)
    ]
    if facts.options and chosen_line is None:
        costs = [a for a in costs if a.line not in option_lines]
    out: list[str] = []
    total = 0.0
    like = ""
    for amount in costs:
        unit = " per person" if amount.per_person else ""
        unit += " per night" if amount.per_night else " per day" if amount.per_day else ""
        factors = [f"{amount.shown}{unit}"]
        value = amount.value
        lines = [amount.line]
        if amount.per_person:
            if facts.people is None:
                out.append(f"estimate: {amount.shown} per person (line {amount.line}): head count")
                continue
            value *= facts.people[0]
            factors.append(f"{facts.people[0]} people")
            lines.append(facts.people[1])
        if amount.per_night and facts.nights:
            value *= facts.nights[0]
            factors.append(f"{facts.nights[0]} nights")
            lines.append(facts.nights[1])
        elif amount.per_day and facts.days:
            value *= facts.days[0]
            factors.append(f"{facts.days[0]} days")
            lines.append(facts.days[1])
        label = amount.text.split(":")[0] if ":" in amount.text else amount.text[:40]
        label = next(
            (n for n, (line, _) in facts.options.items() if line == amount.line),
            label.lstrip("-*+ ").strip(),
        )
        cited = ", ".join(str(n) for n in dict.fromkeys(lines))
        shown = _money(value, amount.shown)
        if len(factors) > 1:
            out.append(f"estimate: {label}: {' × '.join(factors)} = {shown} (lines {cited})")
        else:
            out.append(f"estimate: {label}: {shown} (line {cited})")
        total += value
        like = like or amount.shown
    if len(costs) > 1 and like:
        out.append(f"estimate: total {_money(total, like)}")
    if caps and like:
        cap = caps[0]
        room = cap.value - total
        verdict = (
            f"within the budget cap of {cap.shown} (line {cap.line}), {_money(room, like)} to spare"
            if room >= 0
            else f"over the budget cap of {cap.shown} (line {cap.line}) by {_money(-room, like)}"
        )
        out.append(f"estimate: {_money(total, like)} is {verdict}")
    return out


def note_facts(root: Path, path: str) -> str:
    """The tool's answer: the notes' facts, or an error line."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    shown = relative(root, real)
    facts = read_facts(text, shown)
    if not facts.lines:
        return f"{shown}: no dates, counts, options, costs, decisions or goals found"
    return "\n".join([f"{shown}: facts, each with its line", *facts.lines])


class NoteFactsInput(BaseModel):
    """Arguments of note_facts."""

    path: str = Field(description="The notes file.")


def fact_tools(root: Path) -> list[BaseTool]:
    """note_facts over the project folder `root`."""
    root = Path(root).resolve()

    def note_facts_tool(path: str) -> str:
        return note_facts(root, path)

    return [
        StructuredTool.from_function(
            func=note_facts_tool,
            name="note_facts",
            description=(
                "Facts a notes file states, each with its line: dates, head count, options (and "
                "those ruled out), votes, decisions, goals, costs, budget cap; rates multiplied "
                "out into an estimate against the cap."
            ),
            args_schema=NoteFactsInput,
        )
    ]
