"""`read_message` and `free_slots`: what a message asks, and when the person is free.

A reply answers the latest message of a thread: who sent it, what it asks (questions, requests),
how long a meeting it wants and which times it offers. Whether an offered time fits is read from
the person's own calendar file (a markdown list or table of days and busy times, or an .ics
file): each offered time is checked against the busy times of its day, and a clash is cited with
its line. Everything is parsed from the files; nothing is sent or booked.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, clip, read_text, relative

MAX_ASKS = 8
"""Requests listed from one message."""
MAX_DAYS = 31
"""Days of a calendar listed."""
WORKDAY = (9 * 60, 17 * 60)
"""The hours (minutes from midnight) free windows are looked for in when no time is offered."""

_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    rf"(?:\b(?P<weekday>{_WEEKDAY}),?\s+)?"
    rf"(?:(?P<iso>\b20\d\d-[01]\d-[0-3]\d\b)"
    rf"|\b(?P<day1>[0-3]?\d)(?:st|nd|rd|th)?\s+(?P<month1>{_MONTH})(?:,?\s+(?P<year1>20\d\d))?"
    rf"|\b(?P<month2>{_MONTH})\s+(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+(?P<year2>20\d\d))?)",
    re.IGNORECASE,
)
_LONE_WEEKDAY = re.compile(rf"\b(?P<weekday>{_WEEKDAY})\b", re.IGNORECASE)
_CLOCK = r"(?:[01]?\d|2[0-3])(?:[:.][0-5]\d)?\s*(?:[ap]\.?m\.?)?"
_TIME = re.compile(
    r"(?<![\d:])(?P<h>[01]?\d|2[0-3])(?:[:.](?P<m>[0-5]\d))?\s*(?P<ap>[ap])?\.?(?:m\b\.?)?(?![\d:])",
    re.IGNORECASE,
)
_RANGE = re.compile(
    rf"(?<![\d:])(?P<start>{_CLOCK})\s*(?:-|–|—|to|until)\s*(?P<end>{_CLOCK})(?![\d:])",
    re.IGNORECASE,
)
_DURATION = re.compile(
    r"\b(?P<n>\d{1,3}|an?|one|two|half an?)[- ]?(?P<unit>minutes?|mins?|hours?|hrs?|h)\b",
    re.IGNORECASE,
)
_ASK = re.compile(
    r"\?|\b(?:please|could you|can you|would you|let me know|send me|confirm|do you)\b", re.I
)
_HEADER = re.compile(r"^(from|to|cc|subject|date|sent):\s*(.*)$", re.IGNORECASE)
_GREETING = re.compile(r"^(?:hi|hello|dear|hey)\b[^,]{0,40},\s*", re.IGNORECASE)
"""A greeting in front of a sentence ('Hi Kim, could we ...')."""
_ALL_DAY = re.compile(
    r"all[- ]day|busy|away|off\b|holiday|leave|out of (?:the )?office|travel|offsite|closed", re.I
)


def _minutes(text: str) -> int | None:
    """Minutes from midnight of a clock time ('9', '09:30', '3 pm', '15.00')."""
    match = _TIME.fullmatch(text.strip())
    if not match:
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if match["ap"]:
        hour = hour % 12 + (12 if match["ap"].lower() == "p" else 0)
    return hour * 60 + minute


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day_of(match: re.Match[str], year: int | None) -> date | None:
    """The date a _DATE match names; a date without a year takes `year`."""
    try:
        if match["iso"]:
            return date.fromisoformat(match["iso"])
        day = int(match["day1"] or match["day2"])
        month = _MONTHS.index((match["month1"] or match["month2"])[:3].lower()) + 1
        given = match["year1"] or match["year2"]
        if given is None and year is None:
            return None
        return date(int(given) if given else year or 0, month, day)
    except ValueError:
        return None


def _year_in(text: str) -> int | None:
    found = re.search(r"\b(20\d\d)\b", text)
    return int(found.group(1)) if found else None


# --- messages ------------------------------------------------------------------------------


@dataclass
class _Message:
    """One message of a thread file."""

    start: int
    """Its first line (1-based)."""
    lines: list[str]
    """Its lines."""
    headers: dict[str, tuple[str, int]]
    """Header name (lower-case) -> (value, line)."""

    def sent(self) -> datetime | None:
        value = self.headers.get("date", ("", 0))[0]
        try:
            return email.utils.parsedate_to_datetime(value).replace(tzinfo=None)
        except (TypeError, ValueError, IndexError):
            pass
        found = _DATE.search(value)
        day = _day_of(found, _year_in(value)) if found else None
        return datetime(day.year, day.month, day.day) if day else None


def _messages(text: str) -> list[_Message]:
    """The messages of a file: a new one starts at each 'From:' header line."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"^from:\s", line, re.I)] or [0]
    if starts[0] != 0 and any(line.strip() for line in lines[: starts[0]]):
        starts.insert(0, 0)
    found = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        headers: dict[str, tuple[str, int]] = {}
        for offset, line in enumerate(lines[start:end]):
            match = _HEADER.match(line)
            if not match:
                if line.strip() and headers:
                    break
                continue
            headers.setdefault(match.group(1).lower(), (match.group(2).strip(), start + offset + 1))
        found.append(_Message(start=start + 1, lines=lines[start:end], headers=headers))
    return found


def _latest(messages: list[_Message]) -> _Message:
    dated = [(m.sent(), n) for n, m in enumerate(messages)]
    if all(sent is not None for sent, _ in dated):
        return messages[max(dated, key=lambda d: (d[0], d[1]))[1]]
    return messages[-1]


def _sender_name(message: _Message) -> str:
    value = message.headers.get("from", ("", 0))[0]
    name, address = email.utils.parseaddr(value)
    name = name or (value.split("<")[0].strip() if "<" in value else "")
    if name:
        return name.split()[0]
    for line in reversed(message.lines):  # the signature: the last short line of words
        if re.fullmatch(r"[A-Z][a-z]+", line.strip()):
            return line.strip()
    return address.split("@")[0].split(".")[0].capitalize() if address else ""


def _body(message: _Message) -> list[tuple[int, str]]:
    """(line, text) of the message's own words: no headers, no quoted lines."""
    out = []
    in_headers = bool(message.headers)
    for offset, line in enumerate(message.lines):
        if in_headers:
            if _HEADER.match(line) or not line.strip():
                in_headers = not (not line.strip() and offset > 0)
                continue
            in_headers = False
        if line.lstrip().startswith(">") or re.match(r"^on .+ wrote:$", line.strip(), re.I):
            continue
        out.append((message.start + offset, line))
    return out


def _sentences(body: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """(first line, sentence) of the body's prose (paragraphs joined, split at . ? !)."""
    out: list[tuple[int, str]] = []
    paragraph: list[tuple[int, str]] = []
    for number, line in [*body, (0, "")]:
        if line.strip():
            paragraph.append((number, line.strip()))
            continue
        if paragraph:
            joined = ""
            starts: list[tuple[int, int]] = []
            for number_, text in paragraph:
                starts.append((len(joined), number_))
                joined += text + " "
            for match in re.finditer(r"[^.?!]+(?:[.?!]+|$)", joined):
                sentence = match.group(0).strip()
                if sentence:
                    line_no = max(n for pos, n in starts if pos <= match.start() + 1)
                    out.append((line_no, sentence))
            paragraph = []
    return out


def _offered(sentences: list[tuple[int, str]], sent: datetime | None) -> list[tuple[str, int, str]]:
    """(YYYY-MM-DD HH:MM, line, the words) of each day-and-time the message offers."""
    year = sent.year if sent else None
    out = []
    for line, sentence in sentences:
        dates = [(m.end(), m) for m in _DATE.finditer(sentence)]
        for time in re.finditer(rf"\b(?:at|from|@)\s+(?P<t>{_CLOCK})", sentence, re.I):
            before = [m for end, m in dates if end <= time.start() and time.start() - end < 12]
            day = _day_of(before[-1], year) if before else None
            words_start = before[-1].start() if before else None
            if day is None and sent is not None:
                lone = [
                    w
                    for w in _LONE_WEEKDAY.finditer(sentence[: time.start()])
                    if time.start() - w.end() < 12
                ]
                if lone:
                    index = [d[:3] for d in _WEEKDAYS].index(lone[-1]["weekday"][:3].lower())
                    ahead = (index - sent.weekday()) % 7 or 7
                    day = (sent + timedelta(days=ahead)).date()
                    words_start = lone[-1].start()
            minutes = _minutes(time["t"])
            if day is None or minutes is None or words_start is None:
                continue
            words = " ".join(sentence[words_start : time.end()].split())
            out.append((f"{day.isoformat()} {_clock(minutes)}", line, words))
    return out


def read_message(root: Path, path: str) -> str:
    """The latest message of a message or thread file: sender, subject, asks, times offered."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    messages = _messages(text)
    message = _latest(messages)
    shown = relative(root, real)
    end = message.start + len(message.lines) - 1
    lines = [
        f"{shown} lines {message.start}-{end}: the latest of {len(messages)} message(s) in the file"
    ]
    for key in ("from", "to", "subject", "date"):
        if key in message.headers:
            value, line = message.headers[key]
            lines.append(f"{key}: {clip(value, 160)} (line {line})")
    name = _sender_name(message)
    if name:
        lines.append(f"sender's name: {name}")
    sentences = _sentences(_body(message))
    asks = [(n, _GREETING.sub("", s).strip()) for n, s in sentences if _ASK.search(s)]
    for line, sentence in asks[:MAX_ASKS]:
        lines.append(clip(f"line {line}: asks: {sentence}"))
    for line, sentence in sentences:
        duration = _DURATION.search(sentence)
        if duration:
            count = duration["n"].lower()
            amount = {"a": 1, "an": 1, "one": 1, "two": 2}.get(count)
            minutes = (
                30
                if count.startswith("half")
                else (amount or int(count))
                * (60 if duration["unit"].lower().startswith("h") else 1)
            )
            lines.append(f"duration asked: {minutes} minutes ('{duration.group(0)}', line {line})")
            break
    for when, line, words in _offered(sentences, message.sent()):
        lines.append(f"time offered: {when} ('{words}', line {line})")
    if not sentences:
        lines.append("the message has no text")
    return "\n".join(lines)


# --- calendars ------------------------------------------------------------------------------


@dataclass
class _Busy:
    """A busy time of the calendar."""

    day: date
    """Its day."""
    start: int
    """Minutes from midnight."""
    end: int
    """Minutes from midnight (1440: the end of the day)."""
    line: int
    """The calendar line that says it."""
    text: str
    """That line."""


def _ics_busy(text: str) -> list[_Busy]:
    out = []
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if not line.startswith("DTSTART"):
            continue
        start = re.search(r"(\d{8})(?:T(\d{4}))?", line)
        end_line = next((x for x in lines[n : n + 12] if x.startswith("DTEND")), "")
        end = re.search(r"(\d{8})(?:T(\d{4}))?", end_line)
        begin = max((i for i in range(n + 1) if lines[i].startswith("BEGIN:VEVENT")), default=0)
        block = lines[
            begin : next((i for i in range(n, len(lines)) if lines[i].startswith("END:")), n) + 1
        ]
        summary = next((x for x in block if x.startswith("SUMMARY")), line)
        if not start:
            continue
        day = datetime.strptime(start.group(1), "%Y%m%d").date()
        first = int(start.group(2)[:2]) * 60 + int(start.group(2)[2:]) if start.group(2) else 0
        last = 1440
        if end and end.group(2) and end.group(1) == start.group(1):
            last = int(end.group(2)[:2]) * 60 + int(end.group(2)[2:])
        out.append(_Busy(day, first, last, n + 1, summary.split(":", 1)[-1]))
    return out


def _text_busy(text: str, year: int | None) -> tuple[list[_Busy], list[date]]:
    """Busy times of a markdown/plain calendar, and every day it names."""
    busy: list[_Busy] = []
    days: list[date] = []
    current: date | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        found = _DATE.search(line)
        if found:
            current = _day_of(found, year)
            if current and current not in days:
                days.append(current)
        if current is None or not line:
            continue
        rest = _DATE.sub(" ", line) if found else line
        ranges = [(_minutes(m["start"]), _minutes(m["end"])) for m in _RANGE.finditer(rest)]
        spans = [(a, b) for a, b in ranges if a is not None and b is not None and a < b]
        words = re.sub(r"[^a-z]+", " ", _RANGE.sub(" ", rest).lower()).split()
        if spans:
            busy += [_Busy(current, a, b, n, line) for a, b in spans]
            continue
        free = re.search(
            rf"\bfree\b(?:\s+(?P<how>after|from|before|until)\s+(?P<t>{_CLOCK}))?", rest, re.I
        )
        if free:
            at = _minutes(free["t"]) if free["t"] else None
            if at is not None and free["how"].lower() in {"after", "from"}:
                busy.append(_Busy(current, 0, at, n, line))
            elif at is not None:
                busy.append(_Busy(current, at, 1440, n, line))
            continue
        if not words or line.startswith("#") or line.endswith(":"):
            continue  # a day's heading: its busy times follow
        single = [m for m in _TIME.finditer(rest) if ":" in m.group(0) or m["ap"]]
        if len(single) == 2:
            a, b = _minutes(single[0].group(0)), _minutes(single[1].group(0))
            if a is not None and b is not None and a < b:
                busy.append(_Busy(current, a, b, n, line))
                continue
        if len(single) == 1 and (a := _minutes(single[0].group(0))) is not None:
            busy.append(_Busy(current, a, min(a + 60, 1440), n, line))  # an hour, when no end
        elif _ALL_DAY.search(rest) or found:
            busy.append(_Busy(current, 0, 1440, n, line))
    return busy, days


def _span(busy: _Busy) -> str:
    return (
        "all day"
        if (busy.start, busy.end) == (0, 1440)
        else (f"{_clock(busy.start)}-{_clock(busy.end) if busy.end < 1440 else '24:00'}")
    )


def free_slots(root: Path, path: str, minutes: int = 30, times: str = "") -> str:
    """Check offered times (or list free windows) against the calendar file's busy times."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    offered = []
    for item in re.split(r"[;,\n]", times):
        match = re.fullmatch(r"\s*(20\d\d-\d\d-\d\d)[ T](\d{1,2}:\d\d)\s*", item)
        if match:
            day = date.fromisoformat(match.group(1))
            start = _minutes(match.group(2))
            if start is not None:
                offered.append((day, start))
        elif item.strip():
            return f"Error: times must be 'YYYY-MM-DD HH:MM' separated by ';', got {item.strip()!r}"
    year = _year_in(text) or (offered[0][0].year if offered else None)
    if "BEGIN:VEVENT" in text:
        busy = _ics_busy(text)
        days = sorted({b.day for b in busy})
    else:
        busy, days = _text_busy(text, year)
    shown = relative(root, real)
    if not days:
        return f"{shown}: no dated days found in this file, so it says nothing about free time"
    lines = [f"{shown}: busy times of {len(days)} day(s), {minutes}-minute slots"]
    for day in sorted(days)[:MAX_DAYS]:
        todays = [b for b in busy if b.day == day]
        said = "; ".join(f"{_span(b)} (line {b.line})" for b in todays) or "nothing busy"
        lines.append(f"- {day.isoformat()} ({_WEEKDAYS[day.weekday()][:3].title()}): {said}")
    for day, start in offered:
        end = start + minutes
        clash = [b for b in busy if b.day == day and b.start < end and start < b.end]
        slot = f"{day.isoformat()} {_clock(start)}-{_clock(end)}"
        if day not in days:
            lines.append(f"{slot}: the calendar does not list this day")
        elif clash:
            lines.append(clip(f"{slot}: clashes with line {clash[0].line}: {clash[0].text}"))
        else:
            lines.append(f"{slot}: free")
    if not offered:
        for day in sorted(days)[:MAX_DAYS]:
            todays = sorted((b.start, b.end) for b in busy if b.day == day)
            cursor, windows = WORKDAY[0], []
            for first, last in [*todays, (WORKDAY[1], WORKDAY[1])]:
                if min(first, WORKDAY[1]) - cursor >= minutes:
                    windows.append(f"{_clock(cursor)}-{_clock(min(first, WORKDAY[1]))}")
                cursor = max(cursor, last)
            if windows:
                lines.append(f"{day.isoformat()}: free {', '.join(windows)}")
    return "\n".join(lines)


class ReadMessageInput(BaseModel):
    """Arguments of read_message."""

    path: str = Field(description="The message or thread file.")


class FreeSlotsInput(BaseModel):
    """Arguments of free_slots."""

    path: str = Field(description="The calendar file.")
    minutes: int = Field(default=30, ge=5, le=24 * 60, description="The meeting's length.")
    times: str = Field(
        default="", max_length=2000, description="'YYYY-MM-DD HH:MM; ...' (may be empty)."
    )


def message_tools(root: Path) -> list[BaseTool]:
    """read_message and free_slots over the project folder `root`."""
    root = Path(root).resolve()

    def read_message_tool(path: str) -> str:
        return read_message(root, path)

    def free_slots_tool(path: str, minutes: int = 30, times: str = "") -> str:
        return free_slots(root, path, minutes, times)

    return [
        StructuredTool.from_function(
            func=read_message_tool,
            name="read_message",
            description=(
                "The latest message of an email/thread file: sender, subject, each request with "
                "its line, the meeting length asked and the times offered (YYYY-MM-DD HH:MM)."
            ),
            args_schema=ReadMessageInput,
        ),
        StructuredTool.from_function(
            func=free_slots_tool,
            name="free_slots",
            description=(
                "Check start times against a calendar file's busy times (markdown or .ics): free, "
                "or the clashing line; without times, each day's free windows."
            ),
            args_schema=FreeSlotsInput,
        ),
    ]
