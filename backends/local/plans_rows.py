"""The plan that finds the rows of a table a task describes: "every invoice over 1,000 that is
unpaid and past its due date ... and their total" (`filter_rows`).

The task's words become conditions on the table's own columns, by general rules: a threshold
("over 1,000", "at least 50", "under 20") on the column named beside it, else the amount
column; a negated column word ("unpaid", "not shipped", "without a reviewer") makes that column
empty; "past its due date" / "overdue" / "before 1 May" compare a date column with the day the
task gives ("Today is 15 May 2026"); a cell value the task names ("from Contoso") must match.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from backends.local.plans import Outcome, Work, _code
from backends.local.plans_statements import CODE_WORDS
from backends.local.task_subjects import TaskSubjects, extension
from graphs.state import Event
from tools.mentions import read_date
from tools.rowfilter import cell_date

_TABLE_TYPES = frozenset({"csv", "tsv"})
_NUMBER = r"[£$€]?\s?(\d[\d,]*(?:\.\d+)?)\s?(k\b)?"
_THRESHOLDS: tuple[tuple[str, str], ...] = (
    (r"at least|no less than|minimum of|or more", ">="),
    (r"at most|no more than|up to|maximum of|or less", "<="),
    (r"over|above|more than|greater than|exceeding|larger than|bigger than|higher than", ">"),
    (r"under|below|less than|smaller than|lower than|cheaper than", "<"),
)
"""Threshold words and their comparison, the two-word forms first."""
_DUE = re.compile(
    r"\bpast (?:its|their|the)\s+(?:(\w+)\s+)?date\b|\boverdue\b|\bpast due\b|\blate\b", re.I
)
_BEFORE_AFTER = re.compile(
    r"\b(before|after|since|by|until)\s+(.{6,24}?)(?=[,.;]|\s+and\b|$)", re.I
)
_TODAY = re.compile(
    r"\b(?:today is|as of|it is(?: now)?|it's|the date is|now is)\s+(.{6,30}?)(?=[,.;]|$)", re.I
)
_ASKS_ROWS = re.compile(
    r"\b(?:every|all|each|which|any)\b|\blist\b|\bfind\b|\bshow\b|\btotal\b|\bhow many\b", re.I
)


def _table(work: Work, subjects: TaskSubjects) -> tuple[str, list[str], list[list[str]]] | None:
    """(path, header, rows) of the first CSV / TSV the task names."""
    named = [f for f in subjects.files if f in subjects.task]
    # A table only the events name is the subject unless the task is about code.
    seen = [] if CODE_WORDS.search(subjects.task) else [f for f in subjects.files if f not in named]
    for name in [*named, *seen]:
        if extension(name) not in _TABLE_TYPES:
            continue
        path = work.resolve(name)
        text = work.output("read_lines", path=path, start=1) if path else None
        if not path or not text:
            continue
        lines = [ln.split(": ", 1)[-1] if ": " in ln else "" for ln in text.splitlines()[1:]]
        delimiter = "\t" if extension(name) == "tsv" else ","
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
        if rows and len(rows[0]) > 1:
            return path, [h.strip() for h in rows[0]], rows[1:]
    return None


def _today(subjects: TaskSubjects, events: Sequence[Event]) -> date | None:
    """The day the task or the latest event says it is."""
    for text in [subjects.task, *(e.text for e in reversed(events))]:
        found = _TODAY.search(text)
        day = read_date(found.group(1)) if found else None
        if day:
            return day
    return None


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _words(header: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", header.lower()) if len(w) > 2]


def _is_date(rows: list[list[str]], i: int) -> bool:
    cells = [r[i] for r in rows if i < len(r) and r[i].strip()]
    return bool(cells) and all(cell_date(c) for c in cells)


def _is_number(rows: list[list[str]], i: int) -> bool:
    cells = [r[i].strip() for r in rows if i < len(r) and r[i].strip()]
    return bool(cells) and all(re.fullmatch(r"[-£$€]?\d[\d,]*(?:\.\d+)?", c) for c in cells)


def read_conditions(
    task: str, header: list[str], rows: list[list[str]], today: date | None
) -> list[str]:
    """The filter_rows conditions the task's words set on this table."""
    conditions: list[str] = []
    lowered = task.lower()
    numbers = [i for i in range(len(header)) if _is_number(rows, i)]
    for words, op in _THRESHOLDS:
        for match in re.finditer(rf"\b(?:{words})\s+{_NUMBER}", task, re.I):
            value = match.group(1).replace(",", "")
            if match.group(2):  # "2k"
                value = _plain(Decimal(value) * 1000)
            near = lowered[max(0, match.start() - 40) : match.end() + 20]
            named = [i for i in numbers if any(w in near for w in _words(header[i]))]
            column = header[named[0]] if len(named) == 1 else ""
            conditions.append(f"{column} {op} {value}".strip())
        lowered = re.sub(rf"\b(?:{words})\s+{_NUMBER}", " ", lowered)
    for name in header:
        for word in _words(name):
            if word == "date":
                continue
            negated = rf"\b(?:un{word}|not(?: yet)? {word}|no {word}|without (?:an? )?{word})\b"
            if re.search(negated, lowered):
                conditions.append(f"{name} is empty")
                break
    dates = [i for i in range(len(header)) if _is_date(rows, i)]
    due = _DUE.search(task)
    if due and today and dates:
        said = (due.group(1) or "due").lower()
        named = [i for i in dates if said in header[i].lower()] or dates
        conditions.append(f"{header[named[0]]} < {today.isoformat()}")
    for match in _BEFORE_AFTER.finditer(task):
        day = read_date(match.group(2))
        if day and dates and not (due and today and day == today):
            op = {"before": "<", "by": "<=", "until": "<="}.get(match.group(1).lower(), ">=")
            conditions.append(f"{header[dates[0]]} {op} {day.isoformat()}")
    for i, name in enumerate(header):
        if i in numbers or i in dates:
            continue
        values = sorted({r[i].strip() for r in rows if i < len(r) and len(r[i].strip()) > 2})
        named = [v for v in values if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", task, re.I)]
        if len(named) == 1 and named[0].lower() != name.lower():
            conditions.append(f"{name} = {named[0]}")
    return list(dict.fromkeys(conditions))


def table_rows(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> Outcome | None:
    """The rows of the named table the task's conditions pick, with their total, or None."""
    if not _ASKS_ROWS.search(subjects.task):
        return None
    table = _table(work, subjects)
    if table is None:
        return None
    path, header, rows = table
    today = _today(subjects, events)
    conditions = read_conditions(subjects.task, header, rows, today)
    if not conditions:
        return None
    output = work.output("filter_rows", path=path, conditions=conditions)
    if not output or output.startswith("Error"):
        return None
    lines = output.splitlines()
    head, body = lines[0], lines[1:]
    listed = [ln for ln in body if ln.startswith("line ")]
    rest = [ln for ln in body if not ln.startswith("line ")]
    out = [*rest, "", head.replace(f"{path}:", f"{_code(path)}:", 1), *[f"- {ln}" for ln in listed]]
    if _DUE.search(subjects.task) and today is None:
        out.append("The task gives no date for today, so due dates were not compared.")
    return Outcome(
        title=f"Rows of {path}",
        lines=out,
        did=f"listed the rows of {path} where {'; '.join(conditions)}",
    )
