"""`evaluate_formula`: a spreadsheet formula worked out against the sheets exported as CSV.

A formula such as `=SUMIFS(Expenses!C:C, Expenses!B:B, A2, Expenses!D:D, "Approved")` names
whole columns of a sheet; the sheet is the project's CSV file of the same name (`expenses.csv`
for `Expenses`), its columns lettered A, B, C... in header order. Cell references (`A2`) are
read from the file that shows the formula (`A2: Travel` lines, as a formula bar export shows
them). SUM, SUMIF(S), COUNT, COUNTIF(S), AVERAGE, AVERAGEIF(S), MIN and MAX are worked out row
by row, and the result says which rows were counted, which were left out and by which condition,
so a hand total that differs can be traced. Anything else is said plainly as not evaluated.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, clip, iter_files, read_text, relative
from tools.rowformula import ROW_FUNCTIONS, RowFormulaError, work_out

MAX_FORMULAS = 20
"""Most formulas worked out from one file."""
MAX_ROWS = 20_000
"""Most rows of a sheet read."""
MAX_LISTED = 12
"""Most rows listed as counted or left out."""
_FORMULA = re.compile(r"=\s*(?P<func>[A-Z][A-Z0-9.]*)\((?P<args>.*)\)\s*$")
_CELL_LINE = re.compile(r"^\s*(?P<cell>[A-Z]{1,3}\d{1,6})\s*[:=]\s*(?P<value>.*?)\s*$")
_RANGE = re.compile(
    r"^(?:'?(?P<sheet>[^'!]+)'?!)?\$?(?P<col>[A-Z]{1,3})\$?(?P<r1>\d*):\$?(?P<col2>[A-Z]{1,3})\$?(?P<r2>\d*)$"
)
_CELL = re.compile(r"^\$?(?P<col>[A-Z]{1,3})\$?(?P<row>\d{1,6})$")
_DATE_CALL = re.compile(
    r"DATE\(\s*(?P<y>\d{4})\s*,\s*(?P<m>\d{1,2})\s*,\s*(?P<d>\d{1,2})\s*\)", re.I
)
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_CONDITION = re.compile(r"^(?P<op><>|>=|<=|=|>|<)?(?P<value>.*)$", re.S)
SUPPORTED = (
    "SUM",
    "SUMIF",
    "SUMIFS",
    "COUNT",
    "COUNTIF",
    "COUNTIFS",
    "AVERAGE",
    "AVERAGEIF",
    "AVERAGEIFS",
    "MIN",
    "MAX",
)


class FormulaError(ValueError):
    """A formula that cannot be worked out; the message says why."""


@dataclass
class Column:
    """A whole column of a sheet read from its CSV export."""

    sheet: str
    """The sheet's name as the formula writes it."""
    file: str
    """The CSV file it was read from."""
    letter: str
    """The column's letter."""
    header: str
    """Its header cell."""
    cells: list[str]
    """Its cells below the header, in row order (row 2 first)."""


def _letter_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def _split_args(text: str, seps: str = ",;") -> list[str]:
    """A formula's arguments, split on commas outside quotes and parentheses (or on `seps`)."""
    args, depth, quote, current = [], 0, False, ""
    for char in text:
        if char == '"':
            quote = not quote
        elif not quote and char in "(":
            depth += 1
        elif not quote and char in ")":
            depth -= 1
        if char in seps and not quote and depth == 0:
            args.append(current.strip())
            current = ""
        else:
            current += char
    args.append(current.strip())
    return args


def _number(text: str) -> float | None:
    cleaned = text.strip().replace(",", "").lstrip("$€£")
    try:
        return float(cleaned)
    except ValueError:
        return None


class Workbook:
    """The sheets a formula reads: CSV files of the project by name, cells of its own file."""

    def __init__(
        self, root: Path, cells: dict[str, str], near: Path | None, text: str = ""
    ) -> None:
        self.root = root
        self.cells = cells
        self.near = near
        self.text = text
        """The formula's own file: a CSV it names is the sheet its unnamed ranges read."""
        self._sheets: dict[str, tuple[str, list[list[str]]]] = {}

    def _unnamed(self) -> Path | None:
        """The sheet of ranges with no sheet name (`C:C`): the CSV file the formula's file
        names, else the project's only CSV file."""
        exports = [p for p in iter_files(self.root) if p.suffix.lower() in (".csv", ".tsv")]
        named = [p for p in exports if re.search(rf"(?<![\w.-]){re.escape(p.name)}\b", self.text)]
        if len(named) == 1:
            return named[0]
        return exports[0] if len(exports) == 1 else None

    def _csv_for(self, sheet: str) -> Path | None:
        wanted = re.sub(r"\W+", "_", sheet.strip().lower())
        found = []
        for path in iter_files(self.root):
            if path.suffix.lower() in (".csv", ".tsv"):
                if re.sub(r"\W+", "_", path.stem.lower()) == wanted:
                    found.append(path)
        if not found:
            return None
        # The export beside the formula's own file first, then the shortest path.
        return sorted(found, key=lambda p: (self.near is None or p.parent != self.near, str(p)))[0]

    def sheet(self, name: str) -> tuple[str, list[list[str]]]:
        if name not in self._sheets:
            path = self._csv_for(name) if name else self._unnamed()
            if path is None:
                raise FormulaError(f"no CSV export of the sheet '{name or '(this sheet)'}' found")
            real, text = read_text(self.root, relative(self.root, path))
            dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
            rows = list(csv.reader(io.StringIO(text), dialect))[: MAX_ROWS + 1]
            self._sheets[name] = (relative(self.root, real), rows)
        return self._sheets[name]

    def column(self, ref: str) -> Column:
        match = _RANGE.match(ref.replace(" ", ""))
        if not match or match["col"] != match["col2"]:
            raise FormulaError(f"'{ref}' is not a single column range such as Sheet!C:C")
        file, rows = self.sheet(match["sheet"] or "")
        index = _letter_index(match["col"])
        header = rows[0][index] if rows and index < len(rows[0]) else ""
        first = int(match["r1"]) if match["r1"] else 2
        last = int(match["r2"]) if match["r2"] else len(rows)
        cells = [
            (rows[r - 1][index] if index < len(rows[r - 1]) else "")
            for r in range(max(first, 2), min(last, len(rows)) + 1)
        ]
        return Column(match["sheet"] or "", file, match["col"], header, cells)

    def value(self, arg: str) -> str:
        """A criterion's text: a quoted string, a number, or a cell of the formula's sheet."""
        arg = arg.strip()
        pieces = _split_args(arg, "&") if "&" in arg else [arg]
        if len(pieces) > 1:  # ">="&DATE(2026,2,1) or "<"&B1: the pieces joined
            return "".join(self.value(piece) for piece in pieces)
        date = _DATE_CALL.fullmatch(arg)
        if date:
            year, month, day = (int(date[k]) for k in ("y", "m", "d"))
            return f"{year:04d}-{month:02d}-{day:02d}"
        if len(arg) >= 2 and arg[0] == arg[-1] == '"':
            return arg[1:-1]
        if _CELL.match(arg):
            if arg.replace("$", "") not in self.cells:
                raise FormulaError(f"the cell {arg} is not shown in the formula's file")
            return self.cells[arg.replace("$", "")]
        return arg


def _matches(cell: str, condition: str) -> bool:
    """A SUMIF-style condition ("Approved", ">100", "<>Travel") applied to a cell."""
    parsed = _CONDITION.match(condition)
    op, wanted = (parsed["op"] or "="), parsed["value"]
    left, right = _number(cell), _number(wanted)
    if left is None and right is None:
        # Dates compare as dates (a sheet's dates are day numbers; its CSV export writes ISO)
        left, right = _date_number(cell), _date_number(wanted)
    if left is not None and right is not None:
        return {
            "=": left == right,
            "<>": left != right,
            ">": left > right,
            "<": left < right,
            ">=": left >= right,
            "<=": left <= right,
        }[op]
    same = cell.strip().lower() == wanted.strip().lower()
    if "*" in wanted or "?" in wanted:
        pattern = re.escape(wanted.lower()).replace(r"\*", ".*").replace(r"\?", ".")
        same = re.fullmatch(pattern, cell.strip().lower()) is not None
    return same if op == "=" else not same if op == "<>" else False


def _date_number(text: str) -> float | None:
    """An ISO date (2026-02-01) as a number that orders like the date; None otherwise."""
    match = _ISO_DATE.match(text)
    return int(match[1]) * 10_000 + int(match[2]) * 100 + int(match[3]) if match else None


def _shown(value: float) -> str:
    return f"{value:,.2f}" if value != int(value) or abs(value) >= 1000 else f"{value:.2f}"


def _conditions(
    book: Workbook, func: str, args: list[str]
) -> tuple[Column | None, list[tuple[Column, str, str]]]:
    """(the column added up, [(criteria column, condition, how it was written)])."""
    if func in ("SUMIFS", "AVERAGEIFS"):
        target, pairs = book.column(args[0]), args[1:]
    elif func == "COUNTIFS":
        target, pairs = None, args
    elif func in ("SUMIF", "AVERAGEIF"):
        pairs = args[:2]
        target = book.column(args[2]) if len(args) > 2 else book.column(args[0])
    elif func == "COUNTIF":
        target, pairs = None, args[:2]
    else:
        return book.column(args[0]), []
    if len(pairs) % 2:
        raise FormulaError(f"{func} needs its ranges and conditions in pairs")
    conditions = []
    for at in range(0, len(pairs), 2):
        written = pairs[at + 1].strip()
        conditions.append((book.column(pairs[at]), book.value(written), written))
    return target, conditions


def evaluate(formula: str, book: Workbook) -> list[str]:
    """One formula worked out: its value, then the rows counted and the rows left out."""
    match = _FORMULA.search(formula.strip())
    if not match:
        raise FormulaError("not a formula of the form =FUNCTION(...)")
    func = match["func"].upper()
    if func not in SUPPORTED:
        raise FormulaError(f"{func} is not one this tool works out ({', '.join(SUPPORTED)})")
    args = _split_args(match["args"])
    target, conditions = _conditions(book, func, args)
    rows = len(target.cells) if target else len(conditions[0][0].cells)
    counted: list[int] = []
    left_out: list[tuple[int, str]] = []
    for row in range(rows):
        failed = [
            f"{col.header or col.letter} is '{col.cells[row]}', not '{cond}'"
            + (f" ({written})" if _CELL.match(written) else "")
            for col, cond, written in conditions
            if not _matches(col.cells[row] if row < len(col.cells) else "", cond)
        ]
        if not failed:
            counted.append(row)
        elif len(conditions) == 1 or len(failed) < len(conditions):
            # With several conditions, the rows that meet some: the likely hand-count slips.
            left_out.append((row, "; ".join(failed)))
    values = [
        (row, _number(target.cells[row])) for row in counted if target and row < len(target.cells)
    ]
    numbers = [(row, v) for row, v in values if v is not None]
    total = sum(v for _, v in numbers)
    if func.startswith("SUM"):
        result = _shown(total)
    elif func.startswith("COUNT"):
        result = str(len(counted) if conditions else len(numbers))
    elif func.startswith("AVERAGE"):
        result = _shown(total / len(numbers)) if numbers else "#DIV/0! (no row counted)"
    elif func == "MIN":
        result = _shown(min(v for _, v in numbers)) if numbers else "0"
    else:
        result = _shown(max(v for _, v in numbers)) if numbers else "0"
    source = conditions[0][0].file if conditions else target.file if target else ""
    words = []
    if target:
        words.append(f"{func} of {target.header or target.letter} (column {target.letter})")
    if conditions:
        words.append(
            "over the rows where "
            + " and ".join(
                f"{col.header or col.letter} (column {col.letter}) is "
                + (
                    f"{written} = '{cond}'"
                    if written != cond and _CELL.match(written)
                    else repr(cond)
                )
                for col, cond, written in conditions
            )
        )
    out = [f"= {result}: {' '.join(words)} in {source}"]
    if numbers and func.startswith(("SUM", "AVERAGE")):
        added = " + ".join(target.cells[row].strip() for row, _ in numbers[:MAX_LISTED])
        more = f" + ... ({len(numbers) - MAX_LISTED} more)" if len(numbers) > MAX_LISTED else ""
        summed = f" = {_shown(total)}" + (
            f", / {len(numbers)} = {result}" if func.startswith("AVERAGE") else ""
        )
        out.append(f"  counted ({len(numbers)} rows): {added}{more}{summed}")
    for row, _ in numbers[:MAX_LISTED]:
        out.append(f"  {source}:{row + 2}: {_row_text(book, source, row)}")
    if left_out:
        which = "rows that meet only some conditions" if len(conditions) > 1 else "rows"
        out.append(f"  left out ({len(left_out)} {which}):")
        for row, why in left_out[:MAX_LISTED]:
            out.append(f"  {source}:{row + 2}: {_row_text(book, source, row)} ({why})")
    return out


def _row_text(book: Workbook, file: str, row: int) -> str:
    for _, (name, rows) in book._sheets.items():
        if name == file and row + 1 < len(rows):
            return clip(",".join(rows[row + 1]))
    return ""


def _cells(text: str) -> dict[str, str]:
    return {m["cell"]: m["value"] for m in map(_CELL_LINE.match, text.splitlines()) if m}


_CELL_SAID = re.compile(r"\bcell\s+\$?([A-Z]{1,3}\$?\d{1,6})\b")
"""A cell a formula's file names in words ("column E (Tax), cell E2:")."""
_ROW_FORMULA = re.compile(r"^\s*=\s*[-+(]*(?:[A-Z][A-Z0-9.]*\(|\$?[A-Z]{1,3}\$?\d)")
"""A line that is a formula of cells and functions ("=B2*C2", "=IFERROR(VLOOKUP(...),0)*D2")."""
_SHEET_NAMED = re.compile(
    r"\bsheet\s+[\"'“]?([\w .-]{1,40}?)[\"'”]?(?=[\s,.:;)]|$)"
    r"|[\"'“]([\w .-]{1,40})[\"'”]\s+sheet\b",
    re.I,
)


def _aggregate(formula: str) -> bool:
    """Whether the formula is one call of a function worked out over whole columns (SUMIF...)."""
    match = _FORMULA.search(formula.strip())
    if not match or not re.fullmatch(r"=\s*[A-Z][A-Z0-9.]*\(.*\)\s*", formula.strip()):
        return False
    if match["func"].upper() in SUPPORTED:
        return True
    # One call of a function the row evaluator does not know (MEDIAN over a column) is said
    # plainly as not worked out, by the column evaluator.
    return match["func"].upper() not in ROW_FUNCTIONS


def _home_sheet(book: Workbook, text: str) -> str:
    """The sheet a file's formulas sit in, by the name it gives ('Sheet "Orders"'); '' when
    it names none that is exported (the unnamed sheet is then the one CSV it names)."""
    for match in _SHEET_NAMED.finditer(text):
        name = (match.group(1) or match.group(2) or "").strip()
        if name and book._csv_for(name) is not None:
            return name
    return ""


def evaluate_formula(root: Path, formula: str = "", path: str = "") -> str:
    """Work out `formula`, or every formula written in the file `path`."""
    texts: list[tuple[str, int, str, str]] = []  # (file, line, cell, formula)
    cells: dict[str, str] = {}
    near: Path | None = None
    shown_in = ""  # the text of the file that shows a typed formula
    if path:
        try:
            real, text = read_text(root, path)
        except ProjectFileError as err:
            return f"Error: {err}"
        near, cells = real.parent, _cells(text)
        name = relative(root, real)
        named_cell = ""
        for number, line in enumerate(text.splitlines(), start=1):
            cell = _CELL_LINE.match(line)
            said = _CELL_SAID.search(line)
            named_cell = said.group(1) if said else named_cell
            if cell and cell["value"].startswith("="):
                texts.append((name, number, cell["cell"], cell["value"]))
            elif "=" in line and _FORMULA.search(line.strip()) and not cell:
                texts.append((name, number, named_cell, line.strip()[line.strip().index("=") :]))
            elif _ROW_FORMULA.match(line) and not cell:
                texts.append((name, number, named_cell, line.strip()))
    elif formula.strip():
        formula = formula.strip()
        # The cells it refers to are read from a file that shows the formula.
        for file in iter_files(root):
            if file.suffix.lower() not in (".txt", ".md", ".csv", ".tsv"):
                continue
            try:
                _, text = read_text(root, relative(root, file))
            except ProjectFileError:
                continue
            if formula in text:
                near, cells, shown_in = file.parent, _cells(text), text
                break
        texts.append(("", 0, "", formula))
    else:
        return "Error: give a formula, or the path of a file that shows formulas"
    book = Workbook(root, cells, near, text if path else shown_in)
    home = _home_sheet(book, text if path else shown_in)
    out: list[str] = []
    for file, number, cell, text in texts[:MAX_FORMULAS]:
        where = f"{file}:{number}: " if file else ""
        label = f"{cell}: " if cell else ""
        out.append(f"{where}{label}{clip(text)}")
        if not _aggregate(text):
            try:
                out += ["  " + line for line in work_out(text, book, home, cell or "A2")]
            except (RowFormulaError, FormulaError, ProjectFileError, IndexError) as err:
                out.append(f"  not worked out: {err}")
            continue
        try:
            out += [
                "  " + line if not line.startswith("  ") else line for line in evaluate(text, book)
            ]
        except (FormulaError, ProjectFileError, IndexError, ValueError) as err:
            out.append(f"  not worked out: {err}")
    if not out:
        return f"{path} shows no spreadsheet formula."
    return "\n".join(out)


class EvaluateFormulaInput(BaseModel):
    """Arguments of evaluate_formula."""

    formula: str = Field(
        default="", max_length=2000, description="e.g. '=SUMIF(Sheet!B:B, \"x\", Sheet!C:C)'."
    )
    path: str = Field(
        default="", description="Or a text file under the project root showing formulas."
    )


def formula_tools(root: Path) -> list[BaseTool]:
    """evaluate_formula over the project folder `root`."""
    root = Path(root).resolve()

    def evaluate_formula_tool(formula: str = "", path: str = "") -> str:
        return evaluate_formula(root, formula, path)

    return [
        StructuredTool.from_function(
            func=evaluate_formula_tool,
            name="evaluate_formula",
            description=(
                "Work out a spreadsheet formula (SUM, SUMIF(S), COUNTIF(S), AVERAGEIF(S), MIN, "
                "MAX) against the sheets exported as CSV files of the same name: its value, the "
                "rows counted and the rows left out by a condition."
            ),
            args_schema=EvaluateFormulaInput,
        )
    ]
