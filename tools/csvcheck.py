"""`check_csv_rows`: every row of a project CSV/TSV checked against its header and its columns.

`check_data_file` stops at the first fault, as a parser does; a person reviewing a table wants
all of them and why: a row one field too wide because "1,020.00" was written without quotes (so
its comma split the amount in two), or because a comma sits in unquoted text; a cell left empty
in a column that is otherwise full; a word in a column of numbers; a row entered twice; a
"Total" row that is not the sum of the rows above it. Each finding names its line and, where the
fix is mechanical, the repaired value.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.factcheck import parse_number, show
from tools.project import ProjectFileError, clip, read_text, relative

MAX_CSV_BYTES = 2_000_000
"""Largest file checked."""
MAX_FINDINGS = 30
"""Findings listed."""
MAX_MERGE = 3
"""Most extra fields a row may have for a cause and repair to be searched."""
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
"""Files check_csv_rows reads."""
_THOUSANDS_TAIL = re.compile(r"^\d{3}(?:\.\d+)?$")
_THOUSANDS_HEAD = re.compile(r"^[-£$€¥]?\d{1,3}$")
_TOTAL = re.compile(r"^\W*(?:grand\s+)?(?:total|sum)\b", re.I)


@dataclass(frozen=True)
class Row:
    """One record as read: the line it starts on and its fields."""

    line: int
    """1-based line of the file."""
    fields: list[str]
    """The fields, as csv.reader splits them."""


def _delimiter(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=lambda d: (counts[d], d == ",")) if any(counts.values()) else ","


def read_rows(text: str, delimiter: str) -> list[Row]:
    """Every non-blank record of a CSV text with the line it starts on."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    rows: list[Row] = []
    last = 0
    try:
        for fields in reader:
            first, last = last + 1, reader.line_num
            if any(f.strip() for f in fields):
                rows.append(Row(first, fields))
    except csv.Error:
        pass  # the rows read so far are checked; check_data_file names the parse fault
    return rows


def _numeric(value: str) -> bool:
    return parse_number(value.strip()) is not None


def _column_kinds(header: list[str], rows: list[Row]) -> list[bool]:
    """Per column: whether most of its filled cells (in rows of the right width) are numbers."""
    kinds = []
    for column in range(len(header)):
        cells = [r.fields[column].strip() for r in rows if len(r.fields) == len(header)]
        filled = [c for c in cells if c]
        numbers = sum(_numeric(c) for c in filled)
        kinds.append(bool(filled) and numbers >= max(2, 0.6 * len(filled)))
    return kinds


def _fit(candidate: list[str], kinds: list[bool]) -> int:
    """How many filled cells of a row have their column's kind (number or text)."""
    return sum(_numeric(value) == kinds[i] for i, value in enumerate(candidate) if value.strip())


def _repairs(fields: list[str], width: int, kinds: list[bool], delimiter: str) -> Iterator[str]:
    """The likely cause of a row `extra` fields too wide, and the repaired value."""
    extra = len(fields) - width
    # Values past the header's last column: a note with no column of its own.
    trailing = fields[width:]
    best: tuple[int, int, int, int] = (_fit(fields[:width], kinds), 0, 1, 0)
    chosen: tuple[int, str, bool] | None = None
    keys: list[tuple[int, int, int]] = []
    for start in range(width):
        split = fields[start : start + extra + 1]
        merged = delimiter.join(split)
        candidate = [*fields[:start], merged, *fields[start + extra + 1 :]]
        thousands = kinds[start] and _THOUSANDS_HEAD.match(split[0].strip()) is not None
        thousands = thousands and all(_THOUSANDS_TAIL.match(p) for p in split[1:])
        natural = all(p.startswith(" ") for p in split[1:])  # "Smith, Jones": a text comma
        key = (_fit(candidate, kinds), int(thousands), int(natural) * 2, -start)
        keys.append(key[:3])
        if key > best:
            best, chosen = key, (start, merged, thousands)
    if chosen is None:
        values = ", ".join(f"'{v}'" for v in trailing)
        yield (
            f"{values} after the last column ('{fields[width - 1]}'): a value the header has no "
            "column for; add a column to the header or remove it"
        )
        return
    start, merged, thousands = chosen
    if keys.count(best[:3]) > 1:  # several splits fit as well: say so rather than guess
        yield (
            f"{extra} value(s) too many, and more than one way to read it back; check the row "
            "against the header by hand"
        )
        return
    parts = " and ".join(f"'{p}'" for p in fields[start : start + extra + 1])
    if thousands:
        plain = merged.replace(delimiter, "")
        yield (
            f"an unquoted thousands separator: the number {merged} was split into {parts}; "
            f'write it as "{merged}" (quoted) or {plain}'
        )
    else:
        yield (
            f"an unquoted {'comma' if delimiter == ',' else 'delimiter'} inside the value "
            f"'{merged}' split it into {parts}; quote it: \"{merged}\""
        )


def check_rows(name: str, text: str, suffix: str) -> list[str]:
    """Findings on the CSV `text` of file `name`, one 'name:line: finding' each."""
    delimiter = _delimiter(text, suffix)
    rows = read_rows(text, delimiter)
    if not rows:
        return []
    header, body = rows[0].fields, rows[1:]
    width = len(header)
    kinds = _column_kinds(header, body)
    found: list[str] = []
    for row in body:
        if len(row.fields) > width:
            extra = len(row.fields) - width
            repairs = (
                _repairs(row.fields, width, kinds, delimiter) if extra <= MAX_MERGE else iter(())
            )
            why = next(repairs, "")
            found.append(
                f"{name}:{row.line}: this row has {len(row.fields)} fields, the header has "
                f"{width}" + (f": {why}" if why else "")
            )
        elif len(row.fields) < width:
            missing = ", ".join(header[len(row.fields) :])
            found.append(
                f"{name}:{row.line}: this row has {len(row.fields)} fields, the header has "
                f"{width}: no value for {missing}"
            )
    fitting = [r for r in body if len(r.fields) == width]
    records = [r for r in fitting if not _TOTAL.match(_label(r))]
    found += _column_findings(name, header, records, kinds)
    seen: dict[tuple[str, ...], int] = {}
    for row in fitting:
        key = tuple(f.strip() for f in row.fields)
        if key in seen:
            found.append(f"{name}:{row.line}: a duplicate of the row on line {seen[key]}")
        else:
            seen[key] = row.line
    if len(fitting) == len(body):  # a sum over misread rows would be wrong itself
        formulas = _formula_findings(name, header, records, kinds)
        found += [f for _, f in formulas]
        found += _total_findings(name, header, fitting, kinds, _fixes(formulas))
    return sorted(found, key=lambda f: int(f.split(":")[len(name.split(":"))]))


def _label(row: Row) -> str:
    return next((f.strip() for f in row.fields if f.strip()), "")


def _column_findings(name: str, header: list[str], rows: list[Row], kinds: list[bool]) -> list[str]:
    found = []
    for column, title in enumerate(header):
        cells = [(r, r.fields[column].strip()) for r in rows]
        empty = [r for r, c in cells if not c]
        if empty and len(cells) >= 3 and len(empty) <= len(cells) // 3:
            found += [
                f"{name}:{r.line}: the '{title}' cell is empty (every other row has one)"
                for r in empty
            ]
        found += _date_findings(name, title, cells)
        if kinds[column]:
            found += [
                f"{name}:{r.line}: '{c}' in the numeric column '{title}' is not a number"
                for r, c in cells
                if c and not _numeric(c) and not _TOTAL.match(c)
            ]
    return found


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def _date_findings(name: str, title: str, cells: list[tuple[Row, str]]) -> list[str]:
    """In a column of ISO dates: a date that does not exist (2026-02-30) or another format."""
    filled = [(r, c) for r, c in cells if c]
    dated = [(r, c, _ISO_DATE.match(c)) for r, c in filled]
    if len(filled) < 3 or sum(1 for *_, m in dated if m) < 0.6 * len(filled):
        return []
    found = []
    for row, cell, match in dated:
        if match is None:
            found.append(
                f"{name}:{row.line}: '{cell}' in the date column '{title}' is not written "
                "YYYY-MM-DD like the others"
            )
            continue
        try:
            date(*(int(g) for g in match.groups()))
        except ValueError:
            found.append(f"{name}:{row.line}: '{cell}' in '{title}' is not a date that exists")
    return found


def _total_findings(
    name: str,
    header: list[str],
    rows: list[Row],
    kinds: list[bool],
    fixed: dict[tuple[int, int], float] | None = None,
) -> list[str]:
    """A 'Total' row against the sum of the rows above it, and against that sum once the
    cells a row formula found wrong are corrected (`fixed`: (line, column) -> right value)."""
    found = []
    fixed = fixed or {}
    sums = [0.0] * len(header)
    right = [0.0] * len(header)
    for row in rows:
        if not _TOTAL.match(_label(row)):
            for column, value in enumerate(row.fields):
                number = (parse_number(value.strip()) if kinds[column] else None) or 0.0
                sums[column] += number
                right[column] += fixed.get((row.line, column), number)
            continue
        for column, value in enumerate(row.fields):
            stated = parse_number(value.strip()) if kinds[column] else None
            if stated is None:
                continue
            if abs(stated - sums[column]) > 0.005:
                found.append(
                    f"{name}:{row.line}: the '{header[column]}' total is stated as "
                    f"{value.strip()}, the rows above add up to {show(sums[column])}"
                )
            if abs(right[column] - sums[column]) > 0.005:
                found.append(
                    f"{name}:{row.line}: the '{header[column]}' Total row states "
                    f"{value.strip()}; once the wrong line(s) are corrected, the rows "
                    f"add up to {show(right[column])}"
                )
        sums = [0.0] * len(header)
        right = [0.0] * len(header)
    return found


MIN_FORMULA_ROWS = 3
"""Rows that must agree with a formula (column = a x b, or a + b) before it is trusted."""
MAX_FORMULA_COLUMNS = 8
"""Numeric columns tried as a formula's parts (the search grows with their cube)."""
MAX_FORMULA_SAMPLE = 500
"""Rows the formula is searched on; every row is then checked against it."""


def _formula_findings(
    name: str, header: list[str], records: list[Row], kinds: list[bool]
) -> list[tuple[tuple[int, int, float], str]]:
    """Rows that break the formula most rows of a numeric column follow (a line total that is
    not quantity x unit price), each with the right value: ((line, column, right), finding)."""
    numeric = [i for i, kind in enumerate(kinds) if kind][:MAX_FORMULA_COLUMNS]
    values = [[parse_number(f.strip()) for f in r.fields] for r in records]
    sample = values[:MAX_FORMULA_SAMPLE]  # the formula is found on these, checked on all
    found: list[tuple[tuple[int, int, float], str]] = []
    for target in numeric:
        best: tuple[int, str, int, int] | None = None
        for a in numeric:
            for b in numeric:
                if target in (a, b) or b <= a:
                    continue
                for sign in ("x", "+"):
                    agree = sum(
                        1
                        for v in sample
                        if None not in (v[a], v[b], v[target])
                        and abs(_apply(sign, v[a], v[b]) - v[target]) < 0.006  # type: ignore[arg-type]
                    )
                    if best is None or agree > best[0]:
                        best = (agree, sign, a, b)
        if best is None:
            continue
        _, sign, a, b = best
        usable = [v for v in values if None not in (v[a], v[b], v[target])]
        agree = sum(1 for v in usable if abs(_apply(sign, v[a], v[b]) - v[target]) < 0.006)  # type: ignore[arg-type]
        if agree < max(MIN_FORMULA_ROWS, 0.6 * len(usable)) or agree == len(usable):
            continue
        for row, v in zip(records, values, strict=True):
            if None in (v[a], v[b], v[target]):
                continue
            right = _apply(sign, v[a], v[b])  # type: ignore[arg-type]
            if abs(right - v[target]) < 0.006:  # type: ignore[operator]
                continue
            gap = v[target] - right  # type: ignore[operator]
            what = "too high" if gap > 0 else "too low"
            found.append(
                (
                    (row.line, target, right),
                    f"{name}:{row.line}: '{_label(row)}': {header[target]} should be "
                    f"{header[a]} {sign} {header[b]} (as in {agree} other rows): "
                    f"{show(v[a])} {sign} {show(v[b])} = {show(right)}, but the row says "  # type: ignore[arg-type]
                    f"{row.fields[target].strip()} ({show(abs(gap))} {what})",
                )
            )
    return found


def _apply(sign: str, a: float, b: float) -> float:
    return a * b if sign == "x" else a + b


def _fixes(formulas: list[tuple[tuple[int, int, float], str]]) -> dict[tuple[int, int], float]:
    return {(line, column): right for (line, column, right), _ in formulas}


def check_csv_rows(root: Path, path: str) -> str:
    """Every row-level fault of a project CSV, one 'path:line: finding' a line."""
    try:
        real, text = read_text(root, path, max_bytes=MAX_CSV_BYTES)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    if real.suffix.lower() not in CSV_SUFFIXES:
        return f"Error: check_csv_rows reads .csv and .tsv files; {name} is not one"
    findings = check_rows(name, text, real.suffix.lower())
    if not findings:
        return f"{name}: no findings (every row fits the header; no empty, odd or repeated rows)"
    lines = text.splitlines()
    shown = []
    for finding in findings[:MAX_FINDINGS]:
        number = int(finding[len(name) + 1 :].split(":", 1)[0])
        quoted = clip(lines[number - 1], 160) if number <= len(lines) else ""
        shown.append(f"{finding} | {quoted}" if quoted else finding)
    if len(findings) > MAX_FINDINGS:
        shown.append(f"... and {len(findings) - MAX_FINDINGS} more")
    return "\n".join(shown)


class CheckCsvRowsInput(BaseModel):
    """Arguments of check_csv_rows."""

    path: str = Field(min_length=1, description="A .csv or .tsv file.")


def csv_check_tools(root: Path) -> list[BaseTool]:
    """check_csv_rows over the project folder `root`."""
    root = Path(root).resolve()

    def check_csv_rows_tool(path: str) -> str:
        return check_csv_rows(root, path)

    return [
        StructuredTool.from_function(
            func=check_csv_rows_tool,
            name="check_csv_rows",
            description=(
                "Check every row of a CSV/TSV file: wrong field counts (with the cause and "
                "repair), empty cells, words among numbers, duplicates, wrong 'Total' rows."
            ),
            args_schema=CheckCsvRowsInput,
        )
    ]
