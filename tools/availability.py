"""`common_slots`: the times every person of a shared availability (or busy) list is free.

A file such as "Sara: Mon 14:00-17:00, Tue 09:00-11:00" gives each person's hours by weekday or
date. Weekdays are placed in the week the file's first date starts ("week of Monday 8 June
2026"). When the file speaks of busy times ("busy", "booked", "blocked"), each person's free time
is the working day less those. The hours all listed people share are intersected, and every
window long enough for the meeting is given, with the line of each person's hours, so that a
chosen time can be checked against the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.messages import _DATE, _DURATION, _RANGE, WORKDAY, _clock, _day_of, _minutes, _year_in
from tools.project import ProjectFileError, read_text, relative

MAX_PEOPLE = 20
"""People read from one file."""
_WEEKDAYS = "mon tue wed thu fri sat sun".split()
_PERSON = re.compile(
    r"^\s*(?:[-*+]\s+)?\**(?P<name>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2})\**\s*[:：]\s*(?P<rest>.+)$"
)
_ALONE = re.compile(
    r"^\s*(?:#{1,6}\s+|[-*+]\s+)?\**(?P<name>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2})\**\s*:?\s*$"
)
"""A person's name on a line of its own, heading the lines of their hours."""
_NOT_PEOPLE = frozenset(
    """need purpose goal topic agenda note notes availability free busy hours week times time
    monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun
    calendar schedule""".split()
)
"""Words that head a line or a section without naming a person."""
_DAY_WORD = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?", re.IGNORECASE)
_BUSY = re.compile(r"\b(?:busy|booked|blocked|unavailable|not available|taken)\b", re.I)
_ZONE = re.compile(r"\b(UTC(?:[+-]\d{1,2})?|GMT|CES?T|EES?T|WES?T|BST|[ECMP][SD]T)\b")
_NEED = re.compile(r"\b(?:need|needs|needed|length|duration|meeting of|for)\b", re.I)


@dataclass(frozen=True)
class Hours:
    """One span of a person's hours."""

    day: date
    """The day."""
    start: int
    """Minutes from midnight."""
    end: int
    """Minutes from midnight."""
    line: int
    """The file line it comes from."""


def _cells(line: str) -> str:
    """A table row ('| Sara | Mon 9-12 |') as 'Sara: Mon 9-12'; other lines as they are."""
    if not line.strip().startswith("|"):
        return line
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) < 2 or set("".join(cells)) <= set("-: "):
        return ""
    return f"{cells[0]}: {', '.join(c for c in cells[1:] if c)}"


def _week_day(base: date, word: str) -> date:
    """The date of a weekday in the week starting at `base` (on or after it)."""
    wanted = _WEEKDAYS.index(word[:3].lower())
    return base + timedelta(days=(wanted - base.weekday()) % 7)


def _person_hours(rest: str, number: int, base: date | None, year: int | None) -> list[Hours]:
    """The spans one person's line gives ("Mon 14:00-17:00, Tue 09:00-11:00")."""
    found: list[Hours] = []
    day: date | None = None
    for chunk in re.split(r"[,;]|\band\b", rest):
        dated = _DATE.search(chunk)
        named = _DAY_WORD.search(chunk)
        if dated and (dated["iso"] or dated["day1"] or dated["day2"]):
            day = _day_of(dated, year) or day
        elif named and base is not None:
            day = _week_day(base, named.group(1))
        if day is None:
            continue
        for span in _RANGE.finditer(chunk):
            start, end = _minutes(span["start"]), _minutes(span["end"])
            if start is not None and end is not None and start < end:
                found.append(Hours(day, start, end, number))
    return found


def _free_of(busy: list[Hours], days: list[date]) -> list[Hours]:
    """The working hours of each day less the busy spans."""
    free: list[Hours] = []
    for day in days:
        at = WORKDAY[0]
        for span in sorted((b for b in busy if b.day == day), key=lambda b: b.start):
            if span.start > at:
                free.append(Hours(day, at, min(span.start, WORKDAY[1]), span.line))
            at = max(at, span.end)
        if at < WORKDAY[1]:
            free.append(Hours(day, at, WORKDAY[1], 0))
    return [f for f in free if f.start < f.end]


def _intersect(people: dict[str, list[Hours]], day: date) -> list[tuple[int, int]]:
    """The spans of `day` inside some span of every person."""
    shared = [(0, 1440)]
    for spans in people.values():
        mine = [(s.start, s.end) for s in spans if s.day == day]
        shared = [
            (max(a, c), min(b, d)) for a, b in shared for c, d in mine if max(a, c) < min(b, d)
        ]
    return sorted(shared)


def common_slots(root: Path, path: str, minutes: int = 0, people: str = "") -> str:
    """The tool's answer: every window all the people are free for `minutes`, with their lines."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    shown = relative(root, real)
    year = _year_in(text)
    first = next((d for m in _DATE.finditer(text) if (d := _day_of(m, year))), None)
    lines = text.splitlines()
    if minutes <= 0:
        need = next((ln for ln in lines if _NEED.search(ln) and _DURATION.search(ln)), "")
        length = _DURATION.search(need)
        minutes = 30
        if length:
            count = {"a": 1, "an": 1, "one": 1, "two": 2}.get(length["n"].lower())
            amount = (
                count if count is not None else int(length["n"]) if length["n"].isdigit() else 1
            )
            minutes = amount * (60 if length["unit"].lower().startswith("h") else 1)
    wanted = {p.strip().lower() for p in re.split(r"[,;]|\band\b", people) if p.strip()}
    hours: dict[str, list[Hours]] = {}
    said: dict[str, list[tuple[int, str]]] = {}
    owner = ""  # a name on a line of its own ("## Sara", "Sara:") owns the lines below it
    for number, raw in enumerate(lines, 1):
        line = _cells(raw)
        person = _PERSON.match(line)
        alone = _ALONE.match(line)
        if alone and not _RANGE.search(line):
            owner = alone["name"].strip() if alone["name"].lower() not in _NOT_PEOPLE else ""
            continue
        if person and _RANGE.search(person["rest"]) and person["name"].lower() not in _NOT_PEOPLE:
            name, rest = person["name"].strip(), person["rest"]
        elif owner and _RANGE.search(line):
            name, rest = owner, line
        else:
            continue
        if len(hours) >= MAX_PEOPLE and name not in hours:
            continue
        if wanted and name.lower() not in wanted and name.split()[0].lower() not in wanted:
            continue
        spans = _person_hours(rest, number, first, year)
        if spans:
            hours.setdefault(name, []).extend(spans)
            said.setdefault(name, []).append((number, raw.strip()))
    if len(hours) < 2:
        return f"{shown}: no lines of two or more people's hours ('Name: Mon 09:00-12:00') found"
    busy = bool(_BUSY.search(text))
    days = sorted({s.day for spans in hours.values() for s in spans})
    if busy:
        hours = {name: _free_of(spans, days) for name, spans in hours.items()}
    zone = _ZONE.search(text)
    zone_text = f" ({zone.group(1)})" if zone else ""
    names = ", ".join(hours)
    how = "busy times (free = 09:00-17:00 less them)" if busy else "available hours"
    out = [f"{shown}: {how} of {names}; meeting length {minutes} minutes{zone_text}"]
    windows = [(day, a, b) for day in days for a, b in _intersect(hours, day) if b - a >= minutes]
    if not windows:
        out.append(f"No time when all of {names} are free for {minutes} minutes.")
    else:
        out.append(f"Times when all of {names} are free for {minutes} minutes: {len(windows)}")
        for day, a, b in windows:
            slot = f"{_clock(a)}-{_clock(a + minutes)}"
            whole = f" (all free {_clock(a)}-{_clock(b)})" if b - a > minutes else ""
            out.append(f"{day.isoformat()} {day:%A} {day.day} {day:%B %Y}: {slot}{whole}")
    out.append("Each person's hours, by line:")
    out += [f"line {n} ({name}): {line}" for name, rows in said.items() for n, line in rows]
    return "\n".join(out)


class CommonSlotsInput(BaseModel):
    """Arguments of common_slots."""

    path: str = Field(description="The file listing each person's hours ('Sara: Mon 9-12').")
    minutes: int = Field(
        default=0, ge=0, le=600, description="Meeting length; 0: as the file says, else 30."
    )
    people: str = Field(default="", description="Only these people, comma-separated; '': all.")


def availability_tools(root: Path) -> list[BaseTool]:
    """common_slots over the project folder `root`."""
    root = Path(root).resolve()

    def common_slots_tool(path: str, minutes: int = 0, people: str = "") -> str:
        return common_slots(root, path, minutes, people)

    return [
        StructuredTool.from_function(
            func=common_slots_tool,
            name="common_slots",
            description=(
                "Find the times when every person listed in a file of hours ('Sara: Mon "
                "14:00-17:00, Thu 10:00-12:00'; available hours, or busy ones) is free for a "
                "meeting of the given length: each window with its date, and each person's line."
            ),
            args_schema=CommonSlotsInput,
        )
    ]
