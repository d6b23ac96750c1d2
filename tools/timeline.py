"""`dated_items`: the dated lines of project documents put in date order, one heading per day.

Every line of the documents given that names a date (bookings, an itinerary, a schedule,
deadlines) is kept verbatim with its file and line, under the day it names; a line that names
several days (a check-in and a check-out) stands under each, its clock time read beside that
date. Days without items get no heading, and the days between the first and the last that hold
nothing are listed once. A date without a year takes the document's own year, else the year the
caller gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.dates import day_heading, day_text, document_year, find_clock, find_dates
from tools.paging import paged
from tools.project import ProjectFileError, read_text, relative

MAX_FILES = 5
"""Most documents read at once."""
MAX_ITEM_CHARS = 200
"""Longer lines are cut with '...'."""
MAX_GAP_DAYS = 31
"""Empty days are listed only when the items span at most this many days."""
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?")
_CLAUSE_START = re.compile(r"^.*[,;.(:]\s*", re.DOTALL)
_TRAILING_WORD = re.compile(r"\s+(?:on|at|by|before|from|until|till|to|for|is|the)$", re.I)
MAX_LABEL_WORDS = 3
"""A line's words before a date name that date ('check-out') only when they are this few."""


@dataclass(frozen=True)
class DatedItem:
    """One line of a document under one day it names."""

    day: date
    """The day."""
    clock: str
    """The clock time beside that date (HH:MM), or ''."""
    label: str
    """The words just before the date when the line names several days ('check-out')."""
    path: str
    """The document."""
    line: int
    """The line."""
    text: str
    """The line as written, its bullet left off."""


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_ITEM_CHARS else text[: MAX_ITEM_CHARS - 3] + "..."


def _label(before: str) -> str:
    """The short clause just before a date ('check-out'), or '' when it is a whole sentence."""
    clause = _CLAUSE_START.sub("", before).strip()
    clause = _TRAILING_WORD.sub("", re.sub(r"^[\d\s:.]+", "", clause)).strip()
    return clause if 0 < len(clause.split()) <= MAX_LABEL_WORDS else ""


def items_of(text: str, name: str, fallback_year: int) -> list[DatedItem]:
    """The dated lines of one document."""
    year = document_year(text, fallback_year)
    found: list[DatedItem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        body = _BULLET.sub("", raw).strip()
        dates = find_dates(body, year)
        seen: set[date] = set()
        for index, at in enumerate(dates):
            if at.day in seen:
                continue
            seen.add(at.day)
            following = dates[index + 1].start if index + 1 < len(dates) else len(body)
            # The time beside this date; a line with one date may give its time first.
            clock = find_clock(body[at.end : following] if len(dates) > 1 else body) or ""
            label = _label(body[dates[index - 1].end if index else 0 : at.start])
            label = label if len(dates) > 1 else ""
            found.append(DatedItem(at.day, clock, label, name, number, _cut(body)))
    return found


def dated_items(root: Path, paths: list[str], year: int = 0) -> str:
    """The dated lines of project documents by day, as text, or 'Error: ...'."""
    fallback = year or date.today().year
    items: list[DatedItem] = []
    refused: list[str] = []
    for path in list(dict.fromkeys(paths))[:MAX_FILES]:
        try:
            real, text = read_text(root, path)
        except ProjectFileError as err:
            refused.append(str(err))
            continue
        items += items_of(text, relative(root, real), fallback)
    if not items:
        reason = "; ".join(refused) or "none of their lines names a date"
        return f"Error: no dated items: {reason}"
    # By day, then timed items by their time, then the untimed in document order.
    items.sort(key=lambda i: (i.day, i.clock == "", i.clock, i.path, i.line))
    lines: list[str] = []
    for day in dict.fromkeys(i.day for i in items):
        lines += ["", f"## {day_heading(day)}"]
        for item in (i for i in items if i.day == day):
            when = f"{item.clock} " if item.clock else ""
            label = f"({item.label}) " if item.label else ""
            lines.append(f"- {when}{label}{item.text} ({item.path} line {item.line})")
    first, last = items[0].day, items[-1].day
    busy = {i.day for i in items}
    # The empty days in between matter on a trip or a week's plan, not across half a year.
    if (last - first).days <= MAX_GAP_DAYS and (last - first).days < 2 * len(busy):
        empty = [
            first + timedelta(days=n)
            for n in range((last - first).days + 1)
            if first + timedelta(days=n) not in busy
        ]
        if empty:
            lines += ["", "No items on: " + ", ".join(day_heading(d) for d in empty) + "."]
    head = (
        f"{len(items)} dated items from {day_text(first)} to {day_text(last)}, "
        f"on {len({i.day for i in items})} days:"
    )
    lines = [head, *lines]
    if refused:
        lines.append("Not read: " + "; ".join(refused))
    return "\n".join(lines)


class DatedItemsInput(BaseModel):
    """Arguments of dated_items."""

    paths: list[str] = Field(
        min_length=1, max_length=MAX_FILES, description="Documents, relative to the project root."
    )
    year: int = Field(
        default=0, ge=0, le=2200, description="The year of dates that give none (0: this year)."
    )
    part: int = Field(
        default=1, ge=1, le=50, description="Which part of a long answer to return (1: the first)."
    )


def timeline_tools(root: Path) -> list[BaseTool]:
    """dated_items over the project folder `root`."""
    root = Path(root).resolve()

    def dated_items_tool(paths: list[str], year: int = 0, part: int = 1) -> str:
        return paged(dated_items(root, paths, year), part)

    return [
        StructuredTool.from_function(
            func=dated_items_tool,
            name="dated_items",
            description=(
                "Put every dated line of the given documents (bookings, itinerary, schedule, "
                "deadlines) in date order under one heading per day, each quoted with its file "
                "and line, and list the empty days in between."
            ),
            args_schema=DatedItemsInput,
        )
    ]
