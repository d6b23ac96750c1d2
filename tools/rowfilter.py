"""`filter_rows`: the rows of a CSV that meet every condition given, with their total.

"Every invoice over 1,000 that is unpaid and past its due date" is a filter over a table:
`amount > 1000`, `paid_date is empty`, `due_date < 2026-05-15`. Each condition is
"column op value" with op one of > >= < <= = != contains, or "column is empty" / "column is not
empty"; a condition without a column ("> 1000") applies to the amount column. Numbers compare
as numbers, dates as dates (ISO, "15 May 2026", ...), the rest as case-folded text. The matching
rows are listed with their lines, and the amount column totalled with decimal arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.mentions import read_date
from tools.project import ProjectFileError, read_text, relative
from tools.tables import Table, TableError, _amount_column, _column, read_table, to_number

MAX_CONDITIONS = 8
"""Conditions one call takes."""
MAX_LISTED = 60
"""Matching rows listed (all are totalled)."""
_CONDITION = re.compile(
    r"^\s*(?P<column>[^<>=!]*?)\s*(?P<op>>=|<=|!=|=|>|<|\bcontains\b|\bis not empty\b"
    r"|\bis empty\b)\s*(?P<value>.*?)\s*$",
    re.IGNORECASE,
)


class FilterError(ValueError):
    """A condition the tool cannot read; the message is the one-line reason."""


@dataclass(frozen=True)
class Condition:
    """One test a row must pass."""

    column: int
    """The column tested."""
    op: str
    """>, >=, <, <=, =, !=, contains, empty, filled."""
    value: str
    """What the cell is compared with."""

    def holds(self, cell: str) -> bool:
        """Whether `cell` passes."""
        cell = cell.strip()
        if self.op in ("empty", "filled"):
            return (not cell) == (self.op == "empty")
        if self.op == "contains":
            return self.value.casefold() in cell.casefold()
        left, right = _comparable(cell), _comparable(self.value)
        if type(left) is not type(right):
            return self.op == "!=" if cell else False
        return {
            ">": left > right,
            ">=": left >= right,
            "<": left < right,
            "<=": left <= right,
            "=": left == right,
            "!=": left != right,
        }[self.op]


_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{4})\s*$")


def cell_date(text: str) -> date | None:
    """The date a cell holds: ISO, written out ("15 May 2026"), or day/month/year (read as
    month/day/year only where the second number cannot be a month: 05/15/2026)."""
    numeric = _NUMERIC_DATE.match(text or "")
    if numeric:
        first, second, year = (int(g) for g in numeric.groups())
        day, month = (second, first) if second > 12 >= first else (first, second)
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return read_date(text) if re.search(r"\d", text or "") else None


def _comparable(text: str) -> Decimal | date | str:
    number = to_number(text)
    if number is not None:
        return number
    day = cell_date(text)
    return day if day is not None else text.strip().casefold()


def read_condition(table: Table, text: str) -> Condition:
    """A condition read against the table's header."""
    match = _CONDITION.match(text or "")
    if not match:
        raise FilterError(f"cannot read the condition {text!r} (write 'column op value')")
    name, op, value = match["column"], match["op"].lower(), match["value"]
    op = {"is empty": "empty", "is not empty": "filled"}.get(op, op)
    column = _column(table.header, name) if name else _amount_column(table, "")
    if column is None:
        named = [i for i, h in enumerate(table.header) if name.lower() in h.lower()]
        if len(named) != 1:
            raise FilterError(f"no column {name!r} (the columns: {', '.join(table.header)})")
        column = named[0]
    if op not in ("empty", "filled") and not value:
        raise FilterError(f"the condition {text!r} has no value")
    return Condition(column, op, value.strip("'\""))


def filter_rows(root: Path, path: str, conditions: list[str]) -> str:
    """The rows of the CSV at `path` meeting every condition, with the amount column's total."""
    if not conditions or len(conditions) > MAX_CONDITIONS:
        return f"Error: give 1 to {MAX_CONDITIONS} conditions"
    try:
        file, text = read_text(root, path)
        delimiter = "\t" if file.suffix.lower() == ".tsv" else ","
        table = read_table(text, delimiter)
        tests = [read_condition(table, c) for c in conditions]
        amount = _amount_column(table, "")
    except (ProjectFileError, TableError, FilterError, OSError) as err:
        return f"Error: {path}: {err}"
    kept = [(n, row) for n, row in table.rows if all(t.holds(row[t.column]) for t in tests)]
    said = "; ".join(_said(table, t) for t in tests)
    name = relative(root, file)
    out = [f"{name}: {len(kept)} of {len(table.rows)} rows where {said}"]
    for number, row in kept[:MAX_LISTED]:
        cells = ", ".join(f"{h}={v.strip()}" for h, v in zip(table.header, row, strict=True))
        out.append(f"line {number}: {cells}")
    if len(kept) > MAX_LISTED:
        out.append(f"... and {len(kept) - MAX_LISTED} more")
    values = [to_number(row[amount]) for _, row in kept]
    numbers = [v for v in values if v is not None]
    if numbers:
        places = max((-v.as_tuple().exponent for v in numbers), default=0)
        total = sum(numbers, Decimal(0))
        out.append(f"Total {table.header[amount]}: {total:,.{max(places, 0)}f}")
    out += [f"Note: {line}" for line in [*table.repaired, *table.skipped]]
    return "\n".join(out)


def _said(table: Table, test: Condition) -> str:
    column = table.header[test.column]
    if test.op == "empty":
        return f"{column} is empty"
    if test.op == "filled":
        return f"{column} is not empty"
    return f"{column} {test.op} {test.value}"


class FilterRowsInput(BaseModel):
    """Arguments of filter_rows."""

    path: str = Field(min_length=1, description="A CSV or TSV file, relative to the project root.")
    conditions: list[str] = Field(
        description=(
            "Conditions every row must meet: 'amount > 1000', 'paid_date is empty', "
            "'due_date < 2026-05-15', 'client = Contoso'; no column: the amount column."
        )
    )


def row_filter_tools(root: Path) -> list[BaseTool]:
    """filter_rows over the project folder `root`."""
    root = Path(root).resolve()

    def filter_rows_tool(path: str, conditions: list[str]) -> str:
        return filter_rows(root, path, conditions)

    return [
        StructuredTool.from_function(
            func=filter_rows_tool,
            name="filter_rows",
            description=(
                "List the rows of a CSV that meet every condition ('amount > 1000', "
                "'paid_date is empty', 'due_date < 2026-05-15'), each with its line, and the "
                "total of the amount column over them."
            ),
            args_schema=FilterRowsInput,
        )
    ]
