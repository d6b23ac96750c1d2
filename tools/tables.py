"""`group_totals`: a CSV's amounts totalled per category, with its malformed rows named.

Reads one CSV or TSV file of the project: the amount column (named, else the one whose header
says amount/total/cost/price..., else the numeric one) summed per value of a category-like text
column (named, else one whose header says category/type/group..., else the text column whose
values repeat most), with counts, sorted, and the grand total. A row whose field count differs
from the header's is named with its line; it is repaired only when that is unambiguous (one
unquoted thousands separator, "1,020.00" read as two fields), else left out and said so. Sums
use decimal arithmetic, so a total is exactly the sum of what the file holds.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.paging import paged
from tools.project import ProjectFileError, read_text, relative

MAX_GROUPS = 25
"""Most categories listed (the rest are summed into one line)."""
MAX_ROWS = 100_000
"""Most data rows read."""
_AMOUNT_NAMES = re.compile(
    r"amount|total|cost|price|value|spend|spent|sum|paid|expense|revenue|sales|fee|net|gross",
    re.IGNORECASE,
)
_GROUP_NAMES = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"categor",
        r"type|kind|group|class|tag",
        r"department|dept|team|account|project|region|status|owner",
        r"vendor|supplier|customer|product|item",
    )
)
"""Header names of a grouping column, the likeliest first."""
_NUMBER = re.compile(r"^\s*[-+(]?\s*[£$€¥]?\s*-?\d[\d,]*(?:\.\d+)?\s*\)?\s*$")
_THOUSANDS_HEAD = re.compile(r"^\s*-?[£$€¥]?\d{1,3}$")
_THOUSANDS_TAIL = re.compile(r"^\d{3}(?:\.\d+)?\s*$")


class TableError(ValueError):
    """A table the tool cannot total; the message is the one-line reason."""


def to_number(text: str) -> Decimal | None:
    """A cell's number ('£1,020.00', '(12.50)', '-3'), or None when it holds none."""
    if not _NUMBER.match(text or ""):
        return None
    negative = "(" in text or "-" in text
    digits = re.sub(r"[^\d.]", "", text)
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    return -value if negative else value


@dataclass
class Table:
    """A CSV read with its malformed rows."""

    header: list[str]
    """The header's column names."""
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    """(line, fields) of the rows that fit the header (repaired ones included)."""
    repaired: list[str] = field(default_factory=list)
    """One sentence per row repaired."""
    skipped: list[str] = field(default_factory=list)
    """One sentence per row left out."""


def _repair(fields: list[str], width: int) -> tuple[list[str], str] | None:
    """The row with one unquoted thousands separator joined back, when exactly one pair of
    neighbouring fields reads as one; None when that is not the one unambiguous repair."""
    if len(fields) != width + 1:
        return None
    joins = [
        i
        for i in range(len(fields) - 1)
        if _THOUSANDS_HEAD.match(fields[i]) and _THOUSANDS_TAIL.match(fields[i + 1])
    ]
    if len(joins) != 1:
        return None
    i = joins[0]
    joined = f"{fields[i].strip()},{fields[i + 1].strip()}"
    note = f"'{fields[i]}' and '{fields[i + 1]}' read as {joined} (an unquoted thousands separator)"
    return [*fields[:i], joined, *fields[i + 2 :]], note


def read_table(text: str, delimiter: str) -> Table:
    """The rows of a CSV text with their line numbers, malformed ones repaired or skipped."""
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise TableError("it has no header line")
    header = next(csv.reader([lines[0]], delimiter=delimiter))
    table = Table([h.strip() for h in header])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader)
    for fields in reader:
        if len(table.rows) >= MAX_ROWS:
            break
        number = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) == len(header):
            table.rows.append((number, fields))
            continue
        fixed = _repair(fields, len(header))
        said = f"line {number}: {len(fields)} fields, the header has {len(header)}"
        if fixed is None:
            table.skipped.append(f"{said}; left out (no unambiguous repair)")
        else:
            table.rows.append((number, fixed[0]))
            table.repaired.append(f"{said}; repaired: {fixed[1]}")
    return table


def _column(header: list[str], wanted: str) -> int | None:
    key = wanted.strip().lower().rstrip("s")
    for i, name in enumerate(header):
        if name.lower() == wanted.strip().lower() or name.lower().rstrip("s") == key:
            return i
    return None


def _amount_column(table: Table, wanted: str) -> int:
    if wanted:
        named = _column(table.header, wanted)
        if named is not None:
            return named
    numeric = [
        i
        for i in range(len(table.header))
        if table.rows
        and all(to_number(r[i]) is not None for _, r in table.rows if r[i].strip())
        and any(r[i].strip() for _, r in table.rows)
    ]
    named = [i for i in numeric if _AMOUNT_NAMES.search(table.header[i])]
    if named or numeric:
        return (named or numeric)[-1]
    raise TableError("it has no column of numbers to total")


def _group_column(table: Table, wanted: str, amount: int) -> int:
    if wanted:
        named = _column(table.header, wanted)
        if named is not None:
            return named
    text_columns = [
        i
        for i in range(len(table.header))
        if i != amount
        and not all(to_number(r[i]) is not None for _, r in table.rows)
        and not any(re.match(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", r[i]) for _, r in table.rows)
    ]
    distinct = {i: len({r[i].strip().lower() for _, r in table.rows}) for i in text_columns}
    repeating = [i for i in text_columns if distinct[i] < len(table.rows)]
    # A column named like a category whose values repeat; else the most repetitive text column.
    for pattern in _GROUP_NAMES:
        named = [i for i in repeating if pattern.search(table.header[i])]
        if named:
            return named[0]
    if repeating:
        return min(repeating, key=lambda i: (distinct[i], i))
    raise TableError("it has no text column whose values repeat, to group by")


_PERIODS = {"month": "month", "months": "month", "monthly": "month", "year": "year"}
"""Grouping words that mean a period of a date column, not a column of their own."""
_ISO_DAY = re.compile(r"^\s*((?:19|20)\d\d)-([01]\d)(?:-[0-3]\d)?")
_MONTH_NAMES = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def _date_column(table: Table) -> int | None:
    """The column whose every value is an ISO date (2026-03-01), if any."""
    for i in range(len(table.header)):
        if table.rows and all(_ISO_DAY.match(r[i]) for _, r in table.rows):
            return i
    return None


def _period_of(value: str, period: str) -> str:
    match = _ISO_DAY.match(value)
    if not match:
        return value
    year, month = match.group(1), int(match.group(2))
    if period == "year" or not 1 <= month <= 12:
        return year
    return f"{year}-{month:02d} ({_MONTH_NAMES[month - 1]} {year})"


def _shown(value: Decimal, places: int) -> str:
    return f"{value:,.{places}f}"


def group_totals(root: Path, path: str, by: str = "", amount: str = "") -> str:
    """Totals of a project CSV's amount column per category, as text, or 'Error: ...'."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    delimiter = "\t" if name.lower().endswith(".tsv") else ","
    first = text.split("\n", 1)[0]
    if delimiter == "," and first.count(";") > first.count(","):
        delimiter = ";"
    try:
        table = read_table(text, delimiter)
        value_at = _amount_column(table, amount)
        period = _PERIODS.get(by.strip().lower(), "")
        date_at = _date_column(table) if period and _column(table.header, by) is None else None
        group_at = date_at if date_at is not None else _group_column(table, by, value_at)
    except (TableError, csv.Error) as err:
        return f"Error: {name} cannot be totalled: {err}"
    totals: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    labels: dict[str, str] = {}
    places = 0
    for _, fields in table.rows:
        value = to_number(fields[value_at])
        if value is None:
            continue
        places = max(
            places,
            len(fields[value_at].strip().rpartition(".")[2]) if "." in fields[value_at] else 0,
        )
        label = fields[group_at].strip() or "(blank)"
        if date_at is not None:
            label = _period_of(label, period)
        key = label.lower()
        labels.setdefault(key, label)
        totals[key] = totals.get(key, Decimal(0)) + value
        counts[key] = counts.get(key, 0) + 1
    places = min(places, 4)
    # Periods in time order; categories largest first.
    ranked = (
        sorted(totals) if date_at is not None else sorted(totals, key=lambda k: (-totals[k], k))
    )
    column, grouped = table.header[value_at], table.header[group_at]
    if date_at is not None:
        grouped = f"{period} of {grouped}"
    lines = [f"Totals of '{column}' by '{grouped}' in {name} ({sum(counts.values())} rows):"]
    for key in ranked[:MAX_GROUPS]:
        rows = "row" if counts[key] == 1 else "rows"
        lines.append(f"- {labels[key]}: {_shown(totals[key], places)} ({counts[key]} {rows})")
    if len(ranked) > MAX_GROUPS:
        rest = ranked[MAX_GROUPS:]
        other = sum((totals[k] for k in rest), Decimal(0))
        lines.append(f"- {len(rest)} other values: {_shown(other, places)}")
    grand = sum(totals.values(), Decimal(0))
    lines.append(f"Grand total: {_shown(grand, places)} over {sum(counts.values())} rows.")
    if date_at is None and len(ranked) > 1:
        top = ranked[0]
        lines.append(f"Largest: {labels[top]} ({_shown(totals[top], places)}).")
        lines += _changes(table, value_at, group_at, places)
    if table.repaired or table.skipped:
        lines.append("Malformed rows:")
        lines += [f"- {said}" for said in [*table.repaired, *table.skipped]]
    return "\n".join(lines)


def _changes(table: Table, value_at: int, group_at: int, places: int) -> list[str]:
    """Per group, the change from its first period to its last, when the table has a date or
    month column spanning two periods or more; largest relative growth first."""
    date_at = _date_column(table)
    if date_at is None or date_at == group_at:
        return []
    sums: dict[tuple[str, str], Decimal] = {}
    labels: dict[str, str] = {}
    for _, fields in table.rows:
        value = to_number(fields[value_at])
        match = _ISO_DAY.match(fields[date_at])
        if value is None or not match:
            continue
        period = f"{match.group(1)}-{match.group(2)}"
        label = fields[group_at].strip() or "(blank)"
        labels.setdefault(label.lower(), label)
        key = (label.lower(), period)
        sums[key] = sums.get(key, Decimal(0)) + value
    periods = sorted({p for _, p in sums})
    if len(periods) < 2:
        return []
    first, last = periods[0], periods[-1]
    rows: list[tuple[Decimal, str]] = []
    for key in sorted(labels):
        start, end = sums.get((key, first)), sums.get((key, last))
        if start is None or end is None:
            continue
        change = end - start
        pct = change / start * 100 if start else None
        sign = "+" if change >= 0 else "-"
        said = f"{sign}{_shown(abs(change), places)}"
        said += f" ({sign}{abs(pct):.1f}%)" if pct is not None else ""
        line = f"- {labels[key]}: {_shown(start, places)} -> {_shown(end, places)}, {said}"
        rows.append((pct if pct is not None else change, line))
    if len(rows) < 2:
        return []
    rows.sort(key=lambda r: -r[0])
    best = rows[0][1][2:].split(":", 1)[0]
    column = table.header[date_at]
    return [
        f"Change per '{table.header[group_at]}' from {first} to {last} (by '{column}'):",
        *(line for _, line in rows),
        f"Grew the most (relative to {first}): {best}.",
    ]


class GroupTotalsInput(BaseModel):
    """Arguments of group_totals."""

    path: str = Field(min_length=1, description="A CSV or TSV file, relative to the project root.")
    by: str = Field(
        default="", description="The column to group by; empty: a category-like column."
    )
    amount: str = Field(default="", description="The column to total; empty: the amount column.")
    part: int = Field(
        default=1, ge=1, le=50, description="Which part of a long answer to return (1: the first)."
    )


def table_tools(root: Path) -> list[BaseTool]:
    """group_totals over the project folder `root`."""
    root = Path(root).resolve()

    def group_totals_tool(path: str, by: str = "", amount: str = "", part: int = 1) -> str:
        return paged(group_totals(root, path, by, amount), part)

    return [
        StructuredTool.from_function(
            func=group_totals_tool,
            name="group_totals",
            description=(
                "Total a CSV's amount column per category (counts, sorted, grand total), naming "
                "each malformed row with its line and repairing it only when unambiguous."
            ),
            args_schema=GroupTotalsInput,
        )
    ]
