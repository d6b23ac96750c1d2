"""Row formulas of a spreadsheet read and worked out row by row, never run as code.

A formula such as `=IFERROR(VLOOKUP(B2,Rates!A:D,3,FALSE),0)*D2` sits in one cell and is filled
down: for each row of its sheet (the CSV export of the same name) its relative cells (`B2`,
`D2`) move to that row. This module parses such a formula (numbers, text, cells, ranges,
operators, comparisons and the common functions: lookups, IF/IFERROR, rounding, sums), says
what each function does with the arguments written (which column a lookup returns, by its
header), and works it out for every row with the lookups it made, so a value can be checked.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.formulas import Workbook

MAX_ROWS_SHOWN = 12
"""Most rows a worked-out answer lists."""
MAX_DEPTH = 40
"""Deepest nesting parsed (a hostile formula cannot exhaust the stack)."""
_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?%?)|(?P<str>\"(?:[^\"]|\"\")*\")"
    r"|(?P<bool>TRUE|FALSE)\b(?!\s*\()"
    r"|(?P<ref>(?:(?:'[^']+'|[A-Za-z_][\w.]*)!)?\$?[A-Z]{1,3}"
    r"(?:\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?|\$?\d*:\$?[A-Z]{1,3}\$?\d*)(?![\w(]))"
    r"|(?P<name>[A-Za-z_][\w.]*)(?=\s*\()"
    r"|(?P<op><>|<=|>=|[-+*/^&=<>(),;]))"
)
_REF = re.compile(
    r"^(?:'?(?P<sheet>[^'!]+)'?!)?\$?(?P<col>[A-Z]{1,3})\$?(?P<row>\d*)"
    r"(?::\$?(?P<col2>[A-Z]{1,3})\$?(?P<row2>\d*))?$"
)


class RowFormulaError(ValueError):
    """A formula this module cannot read or work out; the message says why."""


class NotFound(Exception):
    """A spreadsheet error value (#N/A, #DIV/0!, #VALUE!) raised while working a row out."""

    def __init__(self, code: str, why: str) -> None:
        super().__init__(why)
        self.code = code
        self.why = why


@dataclass
class Node:
    """One piece of a parsed formula."""

    kind: str
    """'num', 'str', 'bool', 'ref', 'call', 'op' or 'neg'."""
    value: object = None
    """The number, text, reference, function name or operator."""
    args: list[Node] = field(default_factory=list)
    """Operands or arguments."""

    def text(self) -> str:
        """The piece as written (normalised spacing)."""
        if self.kind == "call":
            return f"{self.value}({', '.join(a.text() for a in self.args)})"
        if self.kind == "op":
            return f"{self.args[0].text()}{self.value}{self.args[1].text()}"
        if self.kind == "neg":
            return f"-{self.args[0].text()}"
        if self.kind == "str":
            return f'"{self.value}"'
        if self.kind == "bool":
            return "TRUE" if self.value else "FALSE"
        if self.kind == "num" and isinstance(self.value, float) and self.value.is_integer():
            return str(int(self.value))
        return str(self.value)


def _tokens(formula: str) -> list[tuple[str, str]]:
    text = formula.strip().removeprefix("=")
    out: list[tuple[str, str]] = []
    at = 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if not match or match.end() == at:
            raise RowFormulaError(f"cannot read the formula at '{text[at : at + 12]}'")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind).strip()))
        at = match.end()
    return out


_PRECEDENCE = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3}
_PRECEDENCE |= {"*": 4, "/": 4, "^": 5}


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.at += 1
        return token

    def expression(self, level: int = 0, depth: int = 0) -> Node:
        if depth > MAX_DEPTH:
            raise RowFormulaError("the formula is nested too deeply")
        left = self.unary(depth)
        while True:
            kind, value = self.peek()
            if kind != "op" or value not in _PRECEDENCE or _PRECEDENCE[value] <= level:
                return left
            self.take()
            right = self.expression(_PRECEDENCE[value], depth + 1)
            left = Node("op", value, [left, right])

    def unary(self, depth: int) -> Node:
        kind, value = self.take()
        if kind == "op" and value == "-":
            return Node("neg", None, [self.unary(depth + 1)])
        if kind == "op" and value == "+":
            return self.unary(depth + 1)
        if kind == "op" and value == "(":
            inner = self.expression(0, depth + 1)
            if self.take() != ("op", ")"):
                raise RowFormulaError("a parenthesis is not closed")
            return inner
        if kind == "num":
            number = float(value.rstrip("%")) / (100 if value.endswith("%") else 1)
            return Node("num", number)
        if kind == "str":
            return Node("str", value[1:-1].replace('""', '"'))
        if kind == "bool":
            return Node("bool", value == "TRUE")
        if kind == "ref":
            return Node("ref", value.replace("$", ""))
        if kind == "name":
            self.take()  # "("
            args: list[Node] = []
            if self.peek() != ("op", ")"):
                while True:
                    args.append(self.expression(0, depth + 1))
                    if self.peek() in (("op", ","), ("op", ";")):
                        self.take()
                        continue
                    break
            if self.take() != ("op", ")"):
                raise RowFormulaError(f"the arguments of {value.upper()} are not closed")
            return Node("call", value.upper(), args)
        raise RowFormulaError(f"unexpected '{value or 'end of formula'}'")


def parse(formula: str) -> Node:
    """The formula's tree, or RowFormulaError."""
    parser = _Parser(_tokens(formula))
    node = parser.expression()
    if parser.at != len(parser.tokens):
        raise RowFormulaError(f"unexpected '{parser.peek()[1]}'")
    return node


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def _number(value: object) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(",", "").lstrip("$€£")
    if text == "":
        return 0.0
    try:
        return float(text)
    except ValueError:
        raise NotFound("#VALUE!", f"'{value}' is not a number") from None


def shown(value: object) -> str:
    """A value as a sheet shows it: numbers with two decimals when they have any."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and not math.isfinite(value):
        return "#NUM!"
    if isinstance(value, float):
        return f"{value:,.2f}" if value != int(value) or abs(value) >= 1000 else f"{value:.2f}"
    return str(value)


class RowContext:
    """Works a formula out for one row of its home sheet, recording the lookups it makes."""

    def __init__(self, book: Workbook, home: str, origin: int, row: int) -> None:
        self.book = book
        self.home = home
        self.shift = row - origin
        self.notes: list[str] = []
        self.cells: dict[str, str] = {}

    def _rows(self, sheet: str) -> tuple[str, list[list[str]]]:
        try:
            return self.book.sheet(sheet or self.home)
        except Exception as err:  # noqa: BLE001 (a sheet that is not exported is said plainly)
            raise RowFormulaError(str(err)) from None

    def cell(self, ref: str) -> str:
        match = _REF.match(ref)
        if not match or not match["row"] or match["col2"]:
            raise RowFormulaError(f"'{ref}' is not a single cell")
        row = int(match["row"]) + (self.shift if not match["sheet"] else 0)
        _, rows = self._rows(match["sheet"] or "")
        col = _index(match["col"])
        value = rows[row - 1][col] if row - 1 < len(rows) and col < len(rows[row - 1]) else ""
        shown_ref = f"{match['sheet'] + '!' if match['sheet'] else ''}{match['col']}{row}"
        self.cells.setdefault(shown_ref, value)
        return value

    def table(self, ref: str) -> tuple[str, list[str], list[list[str]], int]:
        """(file, header, data rows, first column index) of a range such as Rates!A:D."""
        match = _REF.match(ref)
        if not match or not match["col2"]:
            raise RowFormulaError(f"'{ref}' is not a range")
        file, rows = self._rows(match["sheet"] or "")
        first, last = _index(match["col"]), _index(match["col2"])
        top = int(match["row"]) if match["row"] else 1
        bottom = int(match["row2"]) if match["row2"] else len(rows)
        header = rows[0] if rows else []
        body = rows[max(top, 2) - 1 : bottom] if top <= 1 else rows[top - 1 : bottom]
        cut = [r[first : last + 1] for r in body]
        return file, header[first : last + 1], cut, max(top, 2) if top <= 1 else top

    def value(self, node: Node) -> object:
        if node.kind in ("num", "str", "bool"):
            return node.value
        if node.kind == "ref":
            return self.cell(str(node.value))
        if node.kind == "neg":
            return -_number(self.value(node.args[0]))
        if node.kind == "op":
            return self._operator(node)
        function = _FUNCTIONS.get(str(node.value))
        if function is None:
            raise RowFormulaError(f"{node.value} is not a function this tool works out")
        return function(self, node.args)

    def _operator(self, node: Node) -> object:
        left, right = (self.value(a) for a in node.args)
        op = str(node.value)
        if op == "&":
            return f"{shown(left)}{shown(right)}"
        if op in ("=", "<>", "<", ">", "<=", ">="):
            try:
                a, b = _number(left), _number(right)
            except NotFound:
                a, b = str(left).lower(), str(right).lower()  # type: ignore[assignment]
            return {
                "=": a == b,
                "<>": a != b,
                "<": a < b,
                ">": a > b,
                "<=": a <= b,
                ">=": a >= b,
            }[op]
        a, b = _number(left), _number(right)
        if op == "/" and b == 0:
            raise NotFound("#DIV/0!", "it divides by 0")
        try:
            result = _ARITHMETIC[op](a, b)
        except (OverflowError, ValueError, ZeroDivisionError) as err:
            raise NotFound("#NUM!", f"{node.text()} cannot be worked out ({err})") from None
        if not math.isfinite(result):
            raise NotFound("#NUM!", f"{node.text()} is too large")
        return result


def _too_large() -> float:
    raise OverflowError("the power is too large")


_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "^": lambda a, b: float(a**b) if abs(b) <= 64 else _too_large(),
}
"""Only the operator asked is worked out (a power too large is an error, not a hang)."""


def _vlookup(ctx: RowContext, args: list[Node]) -> object:
    if len(args) < 3:
        raise RowFormulaError("VLOOKUP needs a value, a range and a column number")
    wanted = ctx.value(args[0])
    file, header, rows, top = ctx.table(str(args[1].value))
    column = int(_number(ctx.value(args[2])))
    exact = len(args) < 4 or not bool(ctx.value(args[3])) or ctx.value(args[3]) in (0, 0.0)
    if not 1 <= column <= len(header):
        raise NotFound("#REF!", f"column {column} is outside the range {args[1].value}")
    name = header[column - 1] if column - 1 < len(header) else ""
    for offset, row in enumerate(rows):
        if row and str(row[0]).strip().lower() == str(wanted).strip().lower():
            found = row[column - 1] if column - 1 < len(row) else ""
            ctx.notes.append(
                f"{shown(wanted)} found in {file} line {top + offset}: {name} = {found}"
            )
            return found
    if not exact:
        numeric = [(r, _number(r[0])) for r in rows if r and re.match(r"^-?[\d.]+$", r[0])]
        below = [(r, v) for r, v in numeric if v <= _number(wanted)]
        if below:
            row = max(below, key=lambda rv: rv[1])[0]
            return row[column - 1]
    raise NotFound("#N/A", f"{shown(wanted)} is not in the first column of {file}")


def _xlookup(ctx: RowContext, args: list[Node]) -> object:
    wanted = ctx.value(args[0])
    file, _, keys, top = ctx.table(str(args[1].value))
    _, header, values, _ = ctx.table(str(args[2].value))
    for offset, (key, value) in enumerate(zip(keys, values, strict=False)):
        if key and str(key[0]).strip().lower() == str(wanted).strip().lower():
            ctx.notes.append(
                f"{shown(wanted)} found in {file} line {top + offset}: "
                f"{header[0] if header else ''} = {value[0]}"
            )
            return value[0] if value else ""
    if len(args) > 3:
        return ctx.value(args[3])
    raise NotFound("#N/A", f"{shown(wanted)} is not in {args[1].value} of {file}")


def _iferror(ctx: RowContext, args: list[Node]) -> object:
    try:
        return ctx.value(args[0])
    except NotFound as err:
        ctx.notes.append(f"{err.code}: {err.why}; IFERROR gives {args[1].text()}")
        return ctx.value(args[1])


def _if(ctx: RowContext, args: list[Node]) -> object:
    test = ctx.value(args[0])
    chosen = args[1] if bool(test) and test not in ("", "FALSE") else (args[2:3] or [None])[0]
    return ctx.value(chosen) if chosen is not None else False


def _round(ctx: RowContext, args: list[Node]) -> object:
    places = int(_number(ctx.value(args[1]))) if len(args) > 1 else 0
    value = _number(ctx.value(args[0]))
    scale = 10**places
    # Spreadsheets round half away from zero (Python's round() would round half to even).
    return float(int(abs(value) * scale + 0.5 + 1e-9) / scale) * (1 if value >= 0 else -1)


def _numbers(ctx: RowContext, args: list[Node]) -> list[float]:
    out: list[float] = []
    for arg in args:
        if arg.kind == "ref" and ":" in str(arg.value):
            _, _, rows, _ = ctx.table(str(arg.value))
            for row in rows:
                for cell in row:
                    try:
                        out.append(_number(cell)) if cell.strip() else None
                    except NotFound:
                        continue
        else:
            out.append(_number(ctx.value(arg)))
    return out


_FUNCTIONS: dict[str, Callable[[RowContext, list[Node]], object]] = {
    "VLOOKUP": _vlookup,
    "XLOOKUP": _xlookup,
    "IFERROR": _iferror,
    "IFNA": _iferror,
    "IF": _if,
    "ROUND": _round,
    "SUM": lambda c, a: sum(_numbers(c, a)),
    "MIN": lambda c, a: min(_numbers(c, a), default=0.0),
    "MAX": lambda c, a: max(_numbers(c, a), default=0.0),
    "ABS": lambda c, a: abs(_number(c.value(a[0]))),
    "AND": lambda c, a: all(bool(c.value(x)) for x in a),
    "OR": lambda c, a: any(bool(c.value(x)) for x in a),
    "NOT": lambda c, a: not bool(c.value(a[0])),
}
"""The functions worked out row by row."""
ROW_FUNCTIONS = frozenset(_FUNCTIONS)
"""Their names."""


def describe(node: Node, ctx: RowContext) -> list[str]:
    """What each function of the formula does with the arguments written, outermost first."""
    out: list[str] = []
    if node.kind == "call":
        name, args = str(node.value), node.args
        if name == "VLOOKUP" and len(args) >= 3 and args[1].kind == "ref":
            match = _REF.match(str(args[1].value))
            try:
                file, header, _, _ = ctx.table(str(args[1].value))
            except (RowFormulaError, NotFound):
                file, header = "", []
            column = int(args[2].value) if args[2].kind == "num" else 0
            col_name = header[column - 1] if 0 < column <= len(header) else ""
            letter = _letter(_index(match["col"]) + column - 1) if match and column else ""
            exact = len(args) < 4 or args[3].text() in ("FALSE", "0")
            key = args[0].text()
            key_header = ""
            key_match = _REF.match(key)
            if args[0].kind == "ref" and key_match and not key_match["sheet"]:
                _, home_rows = ctx._rows("")
                at = _index(key_match["col"])
                key_header = home_rows[0][at] if home_rows and at < len(home_rows[0]) else ""
            first = header[0] if header else "its first column"
            out.append(
                f"{node.text()}: looks up {key}"
                + (f" (the row's {key_header})" if key_header else "")
                + f" in the first column ({first}) of {args[1].value}"
                + (f" ({file})" if file else "")
                + (
                    ", exact match only"
                    if exact
                    else ", nearest smaller match (sorted first column)"
                )
                + f", and returns the {_ordinal(column)} column of the range"
                + (f": column {letter}, {col_name}" if col_name else "")
                + "; a value not found gives #N/A."
            )
        elif name in ("IFERROR", "IFNA") and len(args) == 2:
            out.append(
                f"{name}(..., {args[1].text()}): gives {args[1].text()} instead of an error "
                "(#N/A when the lookup finds no match), so a missing code shows "
                f"{args[1].text()}."
            )
        elif name == "XLOOKUP" and len(args) >= 3:
            out.append(
                f"{node.text()}: finds {args[0].text()} in {args[1].text()} and returns the "
                f"value beside it in {args[2].text()}"
                + (
                    f"; {args[3].text()} when not found."
                    if len(args) > 3
                    else "; #N/A when not found."
                )
            )
        elif name == "IF" and len(args) >= 2:
            other = args[2].text() if len(args) > 2 else "FALSE"
            out.append(f"IF: {args[1].text()} when {args[0].text()}, else {other}.")
        elif name == "ROUND" and len(args) == 2:
            out.append(f"ROUND(..., {args[1].text()}): rounded to {args[1].text()} decimals.")
        for arg in node.args:
            out += describe(arg, ctx)
    elif node.kind == "op":
        for index, side in enumerate(node.args):
            if side.kind == "ref" and node.value in ("*", "/", "+", "-"):
                word = {"*": "multiplied by", "/": "divided by", "+": "plus", "-": "minus"}
                if index == 1:
                    out.append(
                        f"{node.value} {side.text()}: {word[str(node.value)]} {side.text()}"
                        + _header_of(side, ctx)
                        + "."
                    )
            out += describe(side, ctx)
    return out


def _header_of(node: Node, ctx: RowContext) -> str:
    match = _REF.match(str(node.value))
    if not match or match["sheet"]:
        return ""
    try:
        _, rows = ctx._rows("")
    except RowFormulaError:
        return ""
    at = _index(match["col"])
    return f" (the row's {rows[0][at]})" if rows and at < len(rows[0]) else ""


def work_out(formula: str, book: Workbook, home: str, cell: str) -> list[str]:
    """The formula explained piece by piece and worked out for each row of its home sheet."""
    tree = parse(formula)
    origin = int(re.sub(r"\D", "", cell) or 2)
    probe = RowContext(book, home, origin, origin)
    file, rows = probe._rows("")
    lines = [
        f"= a value for each row of {home or 'its sheet'} ({file}), the formula filled down "
        "(its cells move with the row):"
    ]
    lines += describe(tree, probe)
    label_at = 0
    for number in range(2, min(len(rows), MAX_ROWS_SHOWN + 1) + 1):
        ctx = RowContext(book, home, origin, number)
        try:
            result = shown(ctx.value(tree))
        except NotFound as err:
            result = f"{err.code} ({err.why})"
        used = ", ".join(f"{k} = {v}" for k, v in ctx.cells.items())
        row = rows[number - 1]
        label = row[label_at] if row and label_at < len(row) else ""
        notes = "; ".join(ctx.notes)
        lines.append(
            f"{file}:{number}: {label}: {used}" + (f"; {notes}" if notes else "") + f" -> {result}"
        )
    if len(rows) - 1 > MAX_ROWS_SHOWN:
        lines.append(f"... and {len(rows) - 1 - MAX_ROWS_SHOWN} more rows")
    return lines
