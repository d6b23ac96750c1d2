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


def group_totals(root: Path, path: str, by: str = "", amount: str = "", rows: bool = False) -> str:
    """Totals of a project CSV's amount column per category, as text, or 'Error: ...';
    `rows`: each group's rows listed under it (line and cells as written)."""
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
        wide = None if amount else wide_totals(table, name)
        if wide is not None:
            return wide
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
    members: dict[str, list[str]] = {}
    for number, fields in table.rows if rows else ():
        if to_number(fields[value_at]) is None:
            continue
        label = fields[group_at].strip() or "(blank)"
        key = (_period_of(label, period) if date_at is not None else label).lower()
        cells = [f.strip() for i, f in enumerate(fields) if i != group_at and f.strip()]
        members.setdefault(key, []).append(f"  - line {number}: {', '.join(cells)}")
    for key in ranked[:MAX_GROUPS]:
        said = "row" if counts[key] == 1 else "rows"
        lines.append(f"- {labels[key]}: {_shown(totals[key], places)} ({counts[key]} {said})")
        lines += members.get(key, [])
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


_MONTH_WORDS = (
    "jan feb mar apr may jun jul aug sep oct nov dec".split(),
    "january february march april may june july august september october november december".split(),
)
_PERIOD_HEADER = re.compile(
    r"^(?:(?:fy|cy)?\s*'?(?:19|20)?\d\d\s*[-/ ]?\s*)?(?:q[1-4]|h[12]|s[12])(?:\s*[-/ ]?\s*"
    r"(?:fy|cy)?'?(?:19|20)?\d\d)?$"  # Q1, Q1 2026, 2026 Q1, FY25 H1
    r"|^(?:19|20)\d\d(?:[-/](?:0?[1-9]|1[0-2]))?$"  # 2025, 2025-03
    r"|^(?:week|wk|w|month|period|p|day|quarter|year)\s*[-_ ]?\d{1,2}$",  # week 3, w12, p4
    re.I,
)
"""A column header that names a period (a quarter, a year, a numbered week)."""


def _month_index(header: str) -> int | None:
    """0-11 for a header naming a month ('Jan', 'march', 'Mar 2026', 'mar-26'), else None."""
    word = re.sub(r"[\s_'-]*(?:(?:19|20)?\d\d)$", "", header.strip().lower()).rstrip(".")
    for names in _MONTH_WORDS:
        if word in names:
            return names.index(word)
    return None


def _period_columns(table: Table) -> list[int]:
    """The numeric columns whose headers name periods of one kind (months, quarters, years,
    numbered weeks), in the table's order; [] when fewer than two."""
    numeric = [
        i
        for i in range(len(table.header))
        if table.rows
        and all(to_number(r[i]) is not None for _, r in table.rows if r[i].strip())
        and any(r[i].strip() for _, r in table.rows)
    ]
    months = [i for i in numeric if _month_index(table.header[i]) is not None]
    named = [i for i in numeric if _PERIOD_HEADER.match(table.header[i].strip())]
    found = months if len(months) >= len(named) else named
    return found if len(found) >= 2 else []


def _percent(change: Decimal, base: Decimal) -> str:
    if base == 0:
        return ""
    return f", {change / abs(base) * 100:+.1f}%"


def wide_totals(table: Table, name: str) -> str | None:
    """A table with one row per item (region, product) and one number column per period
    (jan, feb, mar; Q1..Q4; years): each row's total across the periods, the change from the
    first period to the last, the grand total, the largest and smallest rows and each period's
    total. None when the table is not of that shape."""
    periods = _period_columns(table)
    if not periods:
        return None
    labels_at = [
        i
        for i in range(len(table.header))
        if i not in periods and not all(to_number(r[i]) is not None for _, r in table.rows)
    ]
    if not labels_at:
        return None
    label_at = labels_at[0]
    seen = [r[label_at].strip().lower() for _, r in table.rows]
    if len(set(seen)) != len(seen):
        return None  # several rows per item: totals per category answer that
    places = max(
        (
            len(r[i].strip().rpartition(".")[2])
            for _, r in table.rows
            for i in periods
            if "." in r[i]
        ),
        default=0,
    )
    places = min(places, 4)
    first, last = table.header[periods[0]], table.header[periods[-1]]
    rows: list[tuple[str, Decimal, list[Decimal]]] = []
    for _, fields in table.rows:
        values = [to_number(fields[i]) or Decimal(0) for i in periods]
        rows.append((fields[label_at].strip() or "(blank)", sum(values, Decimal(0)), values))
    ranked = sorted(rows, key=lambda r: (-r[1], r[0].lower()))
    shown = ", ".join(table.header[i] for i in periods)
    lines = [
        f"Totals per {table.header[label_at]} across {shown} in {name} "
        f"({len(rows)} rows, {len(periods)} periods):"
    ]
    for label, total, values in ranked[:MAX_GROUPS]:
        change = values[-1] - values[0]
        trend = ""
        steps = [b - a for a, b in zip(values, values[1:], strict=False)]
        if len(steps) > 1 and all(d < 0 for d in steps):
            trend = "; down every period"
        elif len(steps) > 1 and all(d > 0 for d in steps):
            trend = "; up every period"
        lines.append(
            f"- {label}: {_shown(total, places)} ({first} {_shown(values[0], places)} -> {last} "
            f"{_shown(values[-1], places)}: {change:+,.{places}f}"
            f"{_percent(change, values[0])}{trend})"
        )
    grand = sum((r[1] for r in rows), Decimal(0))
    lines.append(f"Grand total: {_shown(grand, places)} over {len(rows)} rows.")
    lines.append(
        f"Largest: {ranked[0][0]} ({_shown(ranked[0][1], places)}); smallest: {ranked[-1][0]} "
        f"({_shown(ranked[-1][1], places)})."
    )
    moves = sorted(
        rows,
        key=lambda r: (-(r[2][-1] - r[2][0]) / abs(r[2][0]) if r[2][0] else 0, r[0].lower()),
    )
    grew = [r for r in moves if r[2][-1] > r[2][0]]
    fell = [r for r in moves if r[2][-1] < r[2][0]]
    if grew:
        top = grew[0]
        change = top[2][-1] - top[2][0]
        lines.append(
            f"Fastest growth from {first} to {last}: {top[0]} ({change:+,.{places}f}"
            f"{_percent(change, top[2][0])})."
        )
    if fell:
        said = ", ".join(
            f"{r[0]} ({r[2][-1] - r[2][0]:+,.{places}f}{_percent(r[2][-1] - r[2][0], r[2][0])})"
            for r in reversed(fell)
        )
        lines.append(f"Declining from {first} to {last}: {said}.")
    per_period = [
        f"{table.header[i]} {_shown(sum((r[2][k] for r in rows), Decimal(0)), places)}"
        for k, i in enumerate(periods)
    ]
    lines.append(f"Per period: {'; '.join(per_period)}.")
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


# --- profile_table: what a table holds, for a summary -------------------------------------------

_ID_HEADER = re.compile(r"^(?:id|no|nr|#|key|uuid)$|_id$|^id_|\bid$", re.IGNORECASE)
"""A column of identifiers: its numbers are not quantities to average."""
_THEME_STOP = frozenset(
    """a an the and or but if of to in on at for with from by as is are was were be been am it its
    this that these those there here not no nor so too very again always never more most less much
    many some any all each every our we you your i me my they them their he she his her us do does
    did done have has had can could would should will just only also than then please really still
    get got new""".split()
)
_WORD = re.compile(r"[a-zà-ÿ][a-zà-ÿ'-]*")
MAX_PROFILED = 8
"""Most columns described."""
MIN_THEME = 2
"""Rows that must share a phrase for it to be a theme."""


def _mean(values: list[Decimal]) -> str:
    """An average to two decimals."""
    return f"{sum(values, Decimal(0)) / len(values):,.2f}"


def _plain(value: Decimal) -> str:
    """A number as the file would write it: whole numbers bare, else two decimals."""
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def _kinds(table: Table) -> dict[int, str]:
    """Each column's kind: 'number', 'category' (few values that repeat), 'text' (free text,
    mostly distinct phrases), or 'id'."""
    kinds: dict[int, str] = {}
    for i, name in enumerate(table.header):
        cells = [f[i].strip() for _, f in table.rows if f[i].strip()]
        if not cells:
            continue
        numbers = [to_number(c) for c in cells]
        distinct = len({c.lower() for c in cells})
        numeric = sum(n is not None for n in numbers) >= 0.8 * len(cells)
        unique_words = distinct == len(cells) == len(table.rows) and all(
            len(c.split()) == 1 for c in cells
        )
        if _ID_HEADER.search(name.strip()) or (unique_words and not numeric):
            kinds[i] = "id"
        elif numeric:
            kinds[i] = "number"
        elif distinct <= max(1, len(cells) // 2):
            kinds[i] = "category"
        elif sum(len(c.split()) for c in cells) >= 2 * len(cells):
            kinds[i] = "text"
    return kinds


def _named(header: list[str], question: str) -> list[int]:
    """The columns the question names (by the words of their header), in header order."""
    asked = {w.rstrip("s") for w in re.findall(r"[a-z]+", question.lower()) if len(w) > 2}
    return [
        i
        for i, name in enumerate(header)
        if {w.rstrip("s") for w in re.findall(r"[a-z]+", name.lower()) if len(w) > 2} & asked
    ]


def _themes(cells: list[tuple[int, str]]) -> list[tuple[str, list[int]]]:
    """Phrases (two words, else one) that several rows' free text share, with those rows' lines;
    a plural and its singular count as one."""
    found: dict[str, list[int]] = {}
    shown: dict[str, str] = {}
    for line, text in cells:
        words = [w.strip("'-") for w in _WORD.findall(text.lower())]
        grams: set[tuple[str, str]] = set()
        for a, b in zip(words, words[1:], strict=False):
            if a not in _THEME_STOP and b not in _THEME_STOP:
                grams.add((f"{a.rstrip('s')} {b.rstrip('s')}", f"{a} {b}"))
        for w in words:
            if w not in _THEME_STOP and len(w) > 3:
                grams.add((w.rstrip("s"), w))
        for key, surface in sorted(grams):
            found.setdefault(key, []).append(line)
            shown.setdefault(key, surface)
    ranked = sorted(
        ((k, v) for k, v in found.items() if len(v) >= MIN_THEME),
        key=lambda kv: (-len(kv[1]), -len(kv[0].split()), kv[0]),
    )
    out: list[tuple[str, list[int]]] = []
    for key, lines in ranked:
        # A word inside a phrase already listed with the same rows adds nothing.
        if any(key in k and set(lines) <= set(ls) for k, ls in out):
            continue
        out.append((shown[key], lines))
    return [(shown.get(k, k), ls) for k, ls in out][:3]


def profile_table(root: Path, path: str, question: str = "") -> str:
    """A project CSV described for a summary: its row count; each number column's average,
    range and most common value; each category column's groups with their averages (lowest
    and highest); each free-text column's recurring themes. Columns the question names first."""
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
    except (TableError, csv.Error) as err:
        return f"Error: {name} cannot be read as a table: {err}"
    if not table.rows:
        return f"Error: {name} has a header but no rows."
    kinds = _kinds(table)
    named = [i for i in _named(table.header, question) if i in kinds]
    order = [*named, *(i for i in kinds if i not in named)][:MAX_PROFILED]
    numbers = [i for i in order if kinds[i] == "number"]
    head = table.header
    lines = [f"{name}: {len(table.rows)} rows (columns: {', '.join(head)})."]
    for i in numbers:
        values = [v for _, f in table.rows if (v := to_number(f[i])) is not None]
        counts: dict[Decimal, int] = {}
        for v in values:
            counts[v] = counts.get(v, 0) + 1
        mode, times = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        line = (
            f"- {head[i]}: average {(_mean(values))} over {len(values)} rows "
            f"(lowest {_plain(min(values))}, highest {_plain(max(values))})"
        )
        if times > 1:
            line += f"; {_plain(mode)} is the most common {head[i]} value ({times} rows)"
        lines.append(line + ".")
    for g in [i for i in order if kinds[i] == "category"][:2]:
        for i in numbers[:3]:
            groups: dict[str, list[Decimal]] = {}
            for _, f in table.rows:
                value = to_number(f[i])
                if value is not None and f[g].strip():
                    groups.setdefault(f[g].strip(), []).append(value)
            if len(groups) < 2:
                continue
            ranked = sorted(
                groups.items(), key=lambda kv: (sum(kv[1], Decimal(0)) / len(kv[1]), kv[0])
            )
            listed = ", ".join(f"{k} {(_mean(v))} ({len(v)} rows)" for k, v in ranked)
            low, high = ranked[0], ranked[-1]
            lines.append(
                f"- Average {head[i]} by {head[g]}: {listed}; lowest {low[0]} "
                f"{(_mean(low[1]))}, highest {high[0]} {(_mean(high[1]))}."
            )
    for i in [i for i in order if kinds[i] == "text"]:
        cells = [(n, f[i]) for n, f in table.rows if f[i].strip()]
        themes = _themes(cells)
        line = f"- {head[i]}: filled in {len(cells)} of {len(table.rows)} rows"
        if themes:
            said = "; ".join(
                f"'{t}' in {len(ls)} rows (lines {', '.join(map(str, ls))})" for t, ls in themes
            )
            line += f"; recurring themes: {said}"
        lines.append(line + ".")
    if table.repaired or table.skipped:
        lines.append("Malformed rows:")
        lines += [f"- {said}" for said in [*table.repaired, *table.skipped]]
    return "\n".join(lines)


# --- sort_rows: a table's rows in the order asked -----------------------------------------------

_SORT_DAY = re.compile(r"^\s*(\d{4})-(\d\d)-(\d\d)")
"""An ISO date at a cell's start, sorted by its day."""


def _order_key(cell: str, numeric: bool) -> tuple[int, Decimal, str]:
    """A cell's sort key: numbers by value, ISO dates by day, else text without case; blanks
    last."""
    if not cell.strip():
        return (2, Decimal(0), "")
    if numeric:
        value = to_number(cell)
        return (0, value, "") if value is not None else (1, Decimal(0), cell.casefold())
    day = _SORT_DAY.match(cell)
    if day:
        return (0, Decimal("".join(day.groups())), "")
    return (1, Decimal(0), " ".join(cell.casefold().split()))


def _wanted_column(header: list[str], wanted: str) -> int | None:
    """The column a phrase names: its exact header, else the header sharing its words."""
    exact = _column(header, wanted)
    if exact is not None:
        return exact
    words = {w.rstrip("s") for w in re.findall(r"[a-z]+", wanted.lower()) if len(w) > 1}
    scored = [
        (len(words & {w.rstrip("s") for w in re.findall(r"[a-z]+", h.lower())}), -i, i)
        for i, h in enumerate(header)
    ]
    best = max(scored, default=(0, 0, -1))
    return best[2] if best[0] else None


def sort_rows(root: Path, path: str, by: str, descending: bool = False) -> str:
    """A project CSV's rows sorted by the column `by` names (numbers by value, ISO dates by day,
    text A-Z without case), the header kept on top, as a report and then the new CSV text."""
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
    except (TableError, csv.Error) as err:
        return f"Error: {name} cannot be read as a table: {err}"
    at = _wanted_column(table.header, by)
    if at is None:
        return f"Error: {name} has no column '{by}' (its columns: {', '.join(table.header)})"
    cells = [f[at] for _, f in table.rows if f[at].strip()]
    numeric = bool(cells) and all(to_number(c) is not None for c in cells)
    ordered = sorted(table.rows, key=lambda row: (_order_key(row[1][at], numeric), row[0]))
    if descending:
        filled = [r for r in ordered if r[1][at].strip()][::-1]
        ordered = filled + [r for r in ordered if not r[1][at].strip()]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows(f for _, f in ordered)
    how = "largest first" if descending and numeric else "descending" if descending else "ascending"
    head = f"{len(ordered)} rows of {name} sorted by '{table.header[at]}' ({how})"
    moved = ", ".join(str(n) for n, _ in ordered[:MAX_GROUPS])
    head += f"; the file's lines in the new order: {moved}."
    if table.skipped:
        head += " Left out: " + "; ".join(table.skipped) + "."
    return f"{head}\n\n{out.getvalue()}"


class SortRowsInput(BaseModel):
    """Arguments of sort_rows."""

    path: str = Field(min_length=1, description="A CSV or TSV file, relative to the project root.")
    by: str = Field(min_length=1, description="The column to sort by (its header or its words).")
    descending: bool = Field(default=False, description="Largest, latest or Z first.")
    part: int = Field(
        default=1, ge=1, le=50, description="Which part of a long answer to return (1: the first)."
    )


class ProfileTableInput(BaseModel):
    """Arguments of profile_table."""

    path: str = Field(min_length=1, description="A CSV or TSV file, relative to the project root.")
    question: str = Field(
        default="", description="What the summary is for; the columns it names come first."
    )
    part: int = Field(
        default=1, ge=1, le=50, description="Which part of a long answer to return (1: the first)."
    )


class GroupTotalsInput(BaseModel):
    """Arguments of group_totals."""

    path: str = Field(min_length=1, description="A CSV or TSV file, relative to the project root.")
    by: str = Field(
        default="", description="The column to group by; empty: a category-like column."
    )
    amount: str = Field(default="", description="The column to total; empty: the amount column.")
    rows: bool = Field(default=False, description="List each group's rows under its total.")
    part: int = Field(
        default=1, ge=1, le=50, description="Which part of a long answer to return (1: the first)."
    )


def table_tools(root: Path) -> list[BaseTool]:
    """group_totals, profile_table and sort_rows over the project folder `root`."""
    root = Path(root).resolve()

    def group_totals_tool(
        path: str, by: str = "", amount: str = "", rows: bool = False, part: int = 1
    ) -> str:
        return paged(group_totals(root, path, by, amount, rows), part)

    def profile_table_tool(path: str, question: str = "", part: int = 1) -> str:
        return paged(profile_table(root, path, question), part)

    def sort_rows_tool(path: str, by: str, descending: bool = False, part: int = 1) -> str:
        return paged(sort_rows(root, path, by, descending), part)

    return [
        StructuredTool.from_function(
            func=sort_rows_tool,
            name="sort_rows",
            description=(
                "Sort a CSV's rows by one column (numbers by value, ISO dates by day, text A-Z), "
                "the header kept on top; returns the sorted CSV text."
            ),
            args_schema=SortRowsInput,
        ),
        StructuredTool.from_function(
            func=profile_table_tool,
            name="profile_table",
            description=(
                "Describe a CSV for a summary: row count, each number column's average, range "
                "and most common value, averages per category (lowest, highest) and the themes "
                "that recur in free-text columns."
            ),
            args_schema=ProfileTableInput,
        ),
        StructuredTool.from_function(
            func=group_totals_tool,
            name="group_totals",
            description=(
                "Total a CSV's amount column per category (counts, sorted, grand total), naming "
                "each malformed row with its line and repairing it only when unambiguous."
            ),
            args_schema=GroupTotalsInput,
        ),
    ]
