"""`explain_schedule`: when each entry of a crontab runs, in plain words.

A crontab line is five time fields (minute, hour, day of month, month, day of week) and a
command, or a nickname (`@daily`) and a command. Each field is expanded to the exact set of
values cron fires on (lists, ranges, steps, month and day names), and the sets are then said in
words: "at 02:30 on Monday to Friday (weekdays)", "every 10 minutes", "every 6 hours, at 00:00,
06:00, 12:00 and 18:00", "at 09:15 on the 1st of every month". Environment lines (`MAILTO=`) and
comments are skipped. Cron's own rule is kept: when both day fields are restricted, a day that
matches either one fires.
"""

from __future__ import annotations

import re
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, clip, read_text, relative

MAX_ENTRIES = 60
"""Most entries explained from one file."""
MAX_TIMES = 8
"""Most times of day listed one by one."""

_MONTHS = "January February March April May June July August September October November December"
MONTH_NAMES = _MONTHS.split()
DAY_NAMES = "Sunday Monday Tuesday Wednesday Thursday Friday Saturday".split()
_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))
_NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_ENTRY = re.compile(r"^\s*(?P<when>(?:\S+\s+){4}\S+)\s+(?P<command>\S.*)$")
_FIELD_ITEM = re.compile(r"^(?P<range>\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:/(?P<step>\d+))?$")


class CronError(ValueError):
    """A field that is not cron syntax; the message names it."""


def _value(token: str, name: str, low: int, high: int) -> int:
    """One field value, a number or a month/day name's first three letters."""
    names = MONTH_NAMES if name == "month" else DAY_NAMES if name == "weekday" else []
    lowered = token.lower()
    for index, full in enumerate(names):
        if lowered == full[:3].lower():
            return index + (1 if name == "month" else 0)
    if not token.isdigit() or not low <= int(token) <= high:
        raise CronError(f"{name} field value '{token}' is not between {low} and {high}")
    return int(token)


def expand(field: str, name: str, low: int, high: int) -> list[int]:
    """The sorted values a cron field fires on."""
    values: set[int] = set()
    for item in field.split(","):
        match = _FIELD_ITEM.match(item)
        if not match:
            raise CronError(f"{name} field '{field}' is not cron syntax")
        span, step = match["range"], int(match["step"] or 1)
        if step < 1:
            raise CronError(f"{name} field '{field}' has a step of 0")
        if span == "*":
            start, end = low, high
        elif "-" in span:
            first, last = span.split("-", 1)
            start, end = _value(first, name, low, high), _value(last, name, low, high)
        else:
            start = _value(span, name, low, high)
            end = high if match["step"] else start
        values.update(range(start, end + 1, step))
    if name == "weekday" and 7 in values:
        values = (values - {7}) | {0}  # 7 is Sunday too
    return sorted(values)


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _joined(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _step_of(values: list[int], low: int, high: int) -> int:
    """n when `values` are every n-th value from the field's start (0 when they are not)."""
    if len(values) < 2 or values[0] != low:
        return 0
    step = values[1] - values[0]
    expected = list(range(low, high + 1, step))
    return step if values == expected else 0


def _times(field_minute: str, minutes: list[int], hours: list[int]) -> str:
    """The times of day, in words."""
    all_minutes, all_hours = len(minutes) == 60, len(hours) == 24
    minute_step = _step_of(minutes, 0, 59)
    hour_step = _step_of(hours, 0, 23)
    if all_minutes:
        within = (
            ""
            if all_hours
            else f" during hour{'s' if len(hours) > 1 else ''} "
            + _joined([f"{h:02d}:00-{h:02d}:59" for h in hours])
        )
        return "every minute" + within
    if minute_step > 1 and "/" in field_minute:
        every = f"every {minute_step} minutes (at minutes {_joined([str(m) for m in minutes])})"
        if minute_step * len(minutes) == 60 and len(minutes) <= 1:
            every = "once an hour"
        if all_hours:
            return f"every {minute_step} minutes, all day"
        return every + " during hours " + _joined([f"{h:02d}" for h in hours])
    if all_hours and len(minutes) == 1:
        minute = minutes[0]
        return f"every hour at {minute} minutes past (00:{minute:02d}, 01:{minute:02d}, ...)"
    times = [f"{h:02d}:{m:02d}" for h in hours for m in minutes]
    if hour_step > 1 and len(minutes) == 1:
        shown = _joined(times) if len(times) <= MAX_TIMES else f"{times[0]}, {times[1]}, ..."
        return f"every {hour_step} hours, at {shown}"
    if len(times) <= MAX_TIMES:
        return "at " + _joined(times)
    if len(minutes) == 1 and hours == list(range(hours[0], hours[-1] + 1)):
        return f"every hour from {times[0]} to {times[-1]}"
    return (
        f"at minute{'s' if len(minutes) > 1 else ''} {_joined([str(m) for m in minutes])} "
        f"of hours {_joined([str(h) for h in hours])}"
    )


def _weekdays(days: list[int]) -> str:
    if days == [1, 2, 3, 4, 5]:
        return "Monday to Friday (weekdays)"
    if days == [0, 6]:
        return "Saturday and Sunday (weekends)"
    runs = len(days) > 2 and days == list(range(days[0], days[-1] + 1))
    if runs:
        return f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}"
    return _joined([DAY_NAMES[d] for d in days])


def _days(dom: list[int], months: list[int], dow: list[int]) -> str:
    """The days, in words (cron fires on a day matching either restricted day field)."""
    all_dom, all_months, all_dow = len(dom) == 31, len(months) == 12, len(dow) == 7
    of_months = "every month" if all_months else _joined([MONTH_NAMES[m - 1] for m in months])
    parts = []
    if not all_dom:
        parts.append(f"on the {_joined([_ordinal(d) for d in dom])} of {of_months}")
    if not all_dow:
        on = f"on {_weekdays(dow)}"
        parts.append(on if all_months or not all_dom else f"{on} in {of_months}")
    if not parts:
        return "every day" if all_months else f"every day in {of_months}"
    return " or ".join(parts)


def describe(when: str) -> str:
    """The five time fields of an entry, in words."""
    fields = when.split()
    if len(fields) != 5:
        raise CronError(f"'{when}' does not have five time fields")
    minutes, hours, dom, months, dow = (
        expand(f, name, low, high) for f, (name, low, high) in zip(fields, _FIELDS, strict=True)
    )
    return f"{_times(fields[0], minutes, hours)}, {_days(dom, months, dow)}"


def runs_a_day(when: str) -> str:
    """How many times an entry fires on a day it runs ("4 times"): every minute value at every
    hour value; what people ask next after when."""
    fields = when.split()
    runs = len(expand(fields[0], *_FIELDS[0])) * len(expand(fields[1], *_FIELDS[1]))
    return "once" if runs == 1 else "twice" if runs == 2 else f"{runs} times"


def explain_schedule(root: Path, path: str) -> str:
    """Every crontab entry of the file `path`, with when it runs in plain words."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    out: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or re.match(r"^\w+\s*=", stripped):
            continue
        nickname = stripped.split(None, 1)
        if nickname[0] in _NICKNAMES and len(nickname) == 2:
            when, command = _NICKNAMES[nickname[0]], nickname[1]
        else:
            entry = _ENTRY.match(stripped)
            if not entry:
                continue
            when, command = entry["when"], entry["command"]
        try:
            words = describe(when)
        except CronError as err:
            if any(c.isdigit() or c == "*" for c in when.split()[0]):
                out.append(f"{name}:{number}: {clip(stripped)}\n  not a valid schedule: {err}")
            continue
        out.append(
            f"{name}:{number}: {clip(stripped)}\n  runs {command.strip()} {words} "
            f"({runs_a_day(when)} a day on those days)."
        )
        if len(out) >= MAX_ENTRIES:
            break
    if not out:
        return f"{name} holds no crontab entry (five time fields and a command)."
    return f"{name}: {len(out)} crontab entr{'y' if len(out) == 1 else 'ies'}\n" + "\n".join(out)


class ExplainScheduleInput(BaseModel):
    """Arguments of explain_schedule."""

    path: str = Field(description="A crontab file under the project root.")


def schedule_tools(root: Path) -> list[BaseTool]:
    """explain_schedule over the project folder `root`."""
    root = Path(root).resolve()

    def explain_schedule_tool(path: str) -> str:
        return explain_schedule(root, path)

    return [
        StructuredTool.from_function(
            func=explain_schedule_tool,
            name="explain_schedule",
            description=(
                "Explain when each entry of a crontab file runs, in plain words (times of day, "
                "every N minutes/hours, days of the month, weekdays, months), field by field as "
                "cron reads them."
            ),
            args_schema=ExplainScheduleInput,
        )
    ]
