"""Calendar dates and clock times as people write them in notes, emails and bookings.

Shared by the digest, table and timeline tools: every date is read from the text itself ("10 Apr
2026", "April 10", "2026-04-10", "10/04/2026", "Fri 10 Apr"), a day without a year takes the
year the caller gives (the document's own, else the events'), and a relative day ("by Friday",
"tomorrow") is resolved against a reference day. Nothing here guesses a date a text does not name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = (
    "january february march april may june july august september october november december"
).split()
"""Month names, January first."""
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
"""Weekday names, Monday first (date.weekday() order)."""

_MON = "|".join(m[:3] for m in MONTHS)
_DAY_FIRST = re.compile(
    rf"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?:\s*[-–]\s*[0-3]?\d)?\s+(?:of\s+)?"
    rf"(?P<month>(?:{_MON})[a-z]*)\.?(?:,?\s+(?P<year>(?:19|20)\d\d))?\b",
    re.IGNORECASE,
)
_MONTH_FIRST = re.compile(
    rf"\b(?P<month>(?:{_MON})[a-z]*)\.?\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b"
    rf"(?:,?\s+(?P<year>(?:19|20)\d\d))?",
    re.IGNORECASE,
)
_ISO = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b")
_SLASHED = re.compile(r"\b(?P<day>[0-3]?\d)/(?P<month>[01]?\d)/(?P<year>(?:19|20)\d\d)\b")
_CLOCK = re.compile(
    r"(?<![\d:.])(?P<h>[01]?\d|2[0-3])(?::(?P<m>[0-5]\d))?\s*(?P<ampm>[ap]\.?m\.?)(?![a-z])"
    r"|(?<![\d:.])(?P<h24>[01]?\d|2[0-3]):(?P<m24>[0-5]\d)(?![\d:])",
    re.IGNORECASE,
)
_WEEKDAY = re.compile(
    r"\b(?P<name>mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)"
    r"(?:day)?\b",
    re.IGNORECASE,
)
_RELATIVE = re.compile(r"\b(today|tonight|tomorrow|next week|end of (?:the )?week)\b", re.I)


@dataclass(frozen=True)
class FoundDate:
    """One calendar date a text names, where it stands in the text."""

    day: date
    """The date (the year filled in when the text leaves it out)."""
    start: int
    """Offset of the date's words in the text."""
    end: int
    """Offset just past them."""
    explicit_year: bool
    """Whether the text itself gives the year."""


def _month(name: str) -> int:
    return [m[:3] for m in MONTHS].index(name[:3].lower()) + 1


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:  # 31 April, month 13: not a date
        return None


def find_dates(text: str, year: int) -> list[FoundDate]:
    """Every date `text` names, in text order; `year` where the text gives none."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_ISO, _SLASHED, _DAY_FIRST, _MONTH_FIRST):
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            month_text = match["month"]
            month = int(month_text) if month_text.isdigit() else _month(month_text)
            given = match["year"]
            day = _make(int(given) if given else year, month, int(match["day"]))
            if day is None:
                continue
            taken.append((match.start(), match.end()))
            found.append(FoundDate(day, match.start(), match.end(), bool(given)))
    return sorted(found, key=lambda f: f.start)


def find_clock(text: str) -> str | None:
    """The first clock time in `text` as HH:MM (24-hour), or None."""
    match = _CLOCK.search(text)
    if not match:
        return None
    if match["h24"] is not None:
        return f"{int(match['h24']):02d}:{match['m24']}"
    hour = int(match["h"]) % 12 + (12 if match["ampm"].lower().startswith("p") else 0)
    return f"{hour:02d}:{match['m'] or '00'}"


def relative_day(text: str, reference: date) -> date | None:
    """The day a relative phrase names ('by Friday', 'tomorrow', 'next Tuesday'), counted from
    `reference`; a bare weekday is the next one after the reference day."""
    relative = _RELATIVE.search(text)
    weekday = _WEEKDAY.search(text)
    if weekday and (relative is None or weekday.start() < relative.start()):
        name = weekday["name"].lower()
        index = next(i for i, w in enumerate(WEEKDAYS) if w.startswith(name[:3]))
        ahead = (index - reference.weekday()) % 7 or 7
        return reference + timedelta(days=ahead)
    if relative is None:
        return None
    word = relative.group(1).lower()
    if word in ("today", "tonight"):
        return reference
    if word == "tomorrow":
        return reference + timedelta(days=1)
    if word == "next week":
        return reference + timedelta(days=7)
    return reference + timedelta(days=(4 - reference.weekday()) % 7)  # end of the week: Friday


def document_year(text: str, fallback: int) -> int:
    """The year a document's dates carry most often, or `fallback` when none gives one."""
    counts: dict[int, int] = {}
    for found in find_dates(text, fallback):
        if found.explicit_year:
            counts[found.day.year] = counts.get(found.day.year, 0) + 1
    if not counts:
        return fallback
    return max(sorted(counts), key=lambda y: counts[y])


def day_text(day: date) -> str:
    """A date as '24 Feb 2026'."""
    return f"{day.day} {MONTHS[day.month - 1][:3].title()} {day.year}"


def day_heading(day: date) -> str:
    """A date with its weekday, as 'Fri 10 Apr 2026'."""
    return f"{WEEKDAYS[day.weekday()][:3].title()} {day_text(day)}"


def parse_iso_day(value: str) -> date | None:
    """A 'YYYY-MM-DD' (or longer ISO) string's date, or None."""
    match = _ISO.match(value.strip()) if value else None
    return _make(int(match["year"]), int(match["month"]), int(match["day"])) if match else None
