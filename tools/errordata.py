"""`error_records`: the data records that make a line of code fail, found by reading the data.

An error raised while a loop walks a data file is caused by one record, not by the line: the
JSON item whose field is a string where every other item has a number (TypeError), the CSV row
whose date is written in another format than the one the code parses (ValueError), the group
with no values that leaves a count at zero (ZeroDivisionError). This tool reads the fields the
failing line uses (`item["qty"]`, `row["placed"]`), the data files the module opens (else those
of the project), and names each culprit by its id field and line, with the repair.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, iter_files, read_text, relative

MAX_DATA_BYTES = 2_000_000
"""Largest data file read."""
MAX_DATA_FILES = 4
"""Data files read when the module names none."""
MAX_RECORDS = 20_000
"""Records read from one data file."""
MAX_FINDINGS = 10
"""Records listed."""
DATA_SUFFIXES = (".json", ".csv", ".tsv")
"""Files whose records are read."""
_ID_KEY = re.compile(r"(?:^|_)(?:id|sku|code|key|name|number|no|ref)$|^(?:id|sku|name)", re.I)
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d %b %Y",
    "%b %d %Y",
    "%d %B %Y",
    "%B %d, %Y",
    "%Y%m%d",
)
_EXCEPTION = re.compile(r"\b(TypeError|ValueError|ZeroDivisionError)\b:?\s*(.*)")


@dataclass(frozen=True)
class Record:
    """One record of a data file: its fields and the line it is on."""

    fields: dict[str, object]
    """Field name -> value as parsed (JSON types; CSV strings)."""
    line: int
    """1-based line of the file."""


def _records(name: str, text: str) -> list[Record]:
    """The records of a JSON list of objects (or an object holding one) or of a CSV."""
    if name.endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError:
            return []
        if isinstance(data, dict):
            data = next((v for v in data.values() if isinstance(v, list)), [])
        items = [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []
        found, at, line = [], 0, 1
        for item in items[:MAX_RECORDS]:
            where = _json_at(text, item, at)
            if where >= 0:  # lines counted from the last item on: one pass over the text
                line += text.count("\n", at, where)
                at = where
            found.append(Record(item, line if where >= 0 else 0))
        return found
    delimiter = "\t" if name.endswith(".tsv") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    found = []
    try:
        for row in reader:
            found.append(Record(dict(row), reader.line_num))
            if len(found) >= MAX_RECORDS:
                break
    except csv.Error:
        return found
    return found


def _json_at(text: str, item: dict[str, object], start: int) -> int:
    """Where a JSON item's first string value is written, searched from `start` (items come
    in file order); -1 when it has none."""
    for value in item.values():
        if isinstance(value, str):
            return text.find(json.dumps(value, ensure_ascii=False), start)
    return -1


def _record_name(record: Record) -> str:
    """What a person calls a record: its id-like field's value, else its first text field."""
    for key, value in record.fields.items():
        if isinstance(value, str) and value and _ID_KEY.search(key):
            return f"{key} {value}"
    key, value = next(
        ((k, v) for k, v in record.fields.items() if isinstance(v, str) and v), ("", "")
    )
    return f"{key} {value}" if key else f"the record on line {record.line}"


def _keys_used(source: str, line: int) -> tuple[list[str], ast.AST | None]:
    """The string keys subscripted on `line` and the function around it (its keys too)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [], None
    function = None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.lineno <= line <= (node.end_lineno or node.lineno):
                function = node
    keys = [
        node.slice.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript)
        and node.lineno == line
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    ]
    return list(dict.fromkeys(keys)), function


def _function_keys(function: ast.AST | None) -> list[str]:
    if function is None:
        return []
    return list(
        dict.fromkeys(
            node.slice.value
            for node in ast.walk(function)
            if isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        )
    )


def _data_files(root: Path, source: str) -> list[str]:
    """The data files the module names in a string, else the project's."""
    named = [
        s
        for s in re.findall(r"[\"']([^\"'\n]+\.(?:json|csv|tsv))[\"']", source)
        if not s.startswith(("/", ".."))
    ]
    found = [
        relative(root, p)
        for p in sorted(iter_files(root))
        if p.suffix.lower() in DATA_SUFFIXES and p.name in {Path(n).name for n in named}
    ]
    if found:
        return found[:MAX_DATA_FILES]
    every = [relative(root, p) for p in sorted(iter_files(root)) if p.suffix in DATA_SUFFIXES]
    return every[:MAX_DATA_FILES]


def _converted(code: str, key: str, kind: str) -> str:
    """The failing line with each read of `key` converted to `kind` (`int(item["qty"])`)."""
    read = re.compile(rf"""\b[\w.]+\[(["']){re.escape(key)}\1\]""")
    if kind not in ("int", "float") or not read.search(code):
        return f"{kind}(...[{key!r}])"
    return read.sub(lambda m: f"{kind}({m.group()})", code.strip())


def _type_culprits(name: str, records: list[Record], keys: list[str], code: str = "") -> list[str]:
    """Records whose field has another type than the same field of most records."""
    found = []
    for key in keys:
        kinds = Counter(type(r.fields[key]).__name__ for r in records if key in r.fields)
        if len(kinds) < 2:
            continue
        usual, _ = kinds.most_common(1)[0]
        for record in records:
            value = record.fields.get(key)
            if key in record.fields and type(value).__name__ != usual:
                found.append(
                    f"{name}:{record.line}: {_record_name(record)} has "
                    f"{json.dumps(key)}: {json.dumps(value)} (a {type(value).__name__}); the "
                    f"other records have {_article(usual)} {usual}: write {json.dumps(key)}: "
                    f"{_as(usual, value)} in the data, or convert it in the code: "
                    f"{_converted(code, key, usual)}"
                )
    return found


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _as(kind: str, value: object) -> str:
    try:
        if kind == "int":
            return str(int(str(value)))
        if kind == "float":
            return str(float(str(value)))
    except ValueError:
        pass
    return json.dumps(str(value))


def _value_culprits(
    name: str, records: list[Record], keys: list[str], value: str, code: str
) -> list[str]:
    """Records holding the value a ValueError quotes, with the date format it is written in."""
    found = []
    wanted = re.search(r"strptime\([^,]+,\s*[\"']([^\"']+)[\"']", code)
    for index, record in enumerate(records):
        for key, cell in record.fields.items():
            if cell != value or (keys and key not in keys):
                continue
            finding = f"{name}:{record.line}: {_record_name(record)} has {key} '{value}'"
            if wanted:
                finding += _date_repair(records, index, key, value, wanted.group(1))
            found.append(finding)
    return found


def _date_repair(records: list[Record], index: int, key: str, value: str, fmt: str) -> str:
    """Which format the odd date is in, read with its neighbours' dates, and its repair."""
    near = []
    for other in (*records[index - 1 : index][::-1], *records[index + 1 : index + 2]):
        try:
            near.append(datetime.strptime(str(other.fields.get(key, "")), fmt))
        except ValueError:
            continue
    readings = []
    for candidate in _DATE_FORMATS:
        try:
            readings.append((datetime.strptime(value, candidate), candidate))
        except ValueError:
            continue
    if not readings:
        return f", which is not written {fmt} like the others"
    if near:
        readings.sort(key=lambda r: (sum(abs((r[0] - n).days) for n in near), r[1]))
    day, form = readings[0]
    shown = day.strftime(fmt)
    why = (
        " (read next to its neighbours " + " and ".join(n.strftime(fmt) for n in near) + ")"
        if near and len(readings) > 1
        else ""
    )
    return (
        f", written {form} instead of {fmt}: it is {day:%d %B %Y}{why}; write it as {shown}, "
        f"or try {form!r} when {fmt!r} fails"
    )


def _empty_groups(name: str, records: list[Record], keys: list[str]) -> list[str]:
    """Groups (values of one field) whose rows all leave another field empty: a count of zero."""
    found = []
    for group in keys:
        for value_key in keys:
            if value_key == group:
                continue
            rows: dict[str, list[Record]] = {}
            for record in records:
                if group in record.fields and value_key in record.fields:
                    rows.setdefault(str(record.fields[group]), []).append(record)
            if len(rows) < 2 or len(rows) == len(records):
                continue
            empty = [
                g for g, rs in rows.items() if all(not str(r.fields[value_key]).strip() for r in rs)
            ]
            if not empty or len(empty) == len(rows):
                continue
            for g in empty:
                lines = ", ".join(str(r.line) for r in rows[g])
                found.append(
                    f"{name}:{rows[g][0].line}: {group} {g} has no {value_key} in any of its "
                    f"rows (lines {lines}), so its count stays 0"
                )
    return found


def _guarded(code: str, source: str, line: int) -> str | None:
    """The failing line with its division guarded: a comprehension filtered on the divisor."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod)
            and node.lineno == line
        ):
            divisor = ast.unparse(node.right)
            comp = next(
                (
                    c
                    for c in ast.walk(tree)
                    if isinstance(c, ast.DictComp | ast.ListComp | ast.SetComp | ast.GeneratorExp)
                    and c.lineno == line
                ),
                None,
            )
            if comp is not None:
                comp.generators[-1].ifs.append(ast.parse(divisor, mode="eval").body)
                whole = ast.get_source_segment(source, comp)
                if whole and whole in code:
                    return code.replace(whole, ast.unparse(comp))
            return f"skip the division when {divisor} is 0 (if {divisor}: ...)"
    return None


def error_records(root: Path, path: str, line: int, error: str) -> str:
    """The records behind an error raised at `path` line `line`, with their repair."""
    try:
        real, source = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    match = _EXCEPTION.search(error)
    if match is None:
        return "Error: error_records explains a TypeError, ValueError or ZeroDivisionError"
    exc, message = match.group(1), match.group(2)
    lines = source.splitlines()
    if not 1 <= line <= len(lines):
        return f"Error: {relative(root, real)} has no line {line}"
    code = lines[line - 1]
    keys, function = _keys_used(source, line)
    found: list[str] = []
    for name in _data_files(root, source):
        try:
            _, text = read_text(root, name, max_bytes=MAX_DATA_BYTES)
        except ProjectFileError:
            continue
        records = _records(name, text)
        if not records:
            continue
        if exc == "TypeError":
            found += _type_culprits(name, records, keys or _function_keys(function), code)
        elif exc == "ValueError":
            quoted = re.findall(r"'([^'\n]{1,80})'", message)
            if quoted:
                found += _value_culprits(name, records, _function_keys(function), quoted[0], code)
        else:
            found += _empty_groups(name, records, _function_keys(function))
    if exc == "ZeroDivisionError":
        guarded = _guarded(code, source, line)
        if guarded:
            found.append(f"{relative(root, real)}:{line}: fix: {guarded.strip()}")
    if not found:
        return f"No record in the project's data explains the {exc} at line {line}."
    return "\n".join(found[:MAX_FINDINGS])


class ErrorRecordsInput(BaseModel):
    """Arguments of error_records."""

    path: str = Field(min_length=1, description="The Python file the error was raised in.")
    line: int = Field(ge=1, description="The line the error was raised at.")
    error: str = Field(min_length=1, description="The error message ('TypeError: ...').")


def error_data_tools(root: Path) -> list[BaseTool]:
    """error_records over the project folder `root`."""
    root = Path(root).resolve()

    def error_records_tool(path: str, line: int, error: str) -> str:
        return error_records(root, path, line, error)

    return [
        StructuredTool.from_function(
            func=error_records_tool,
            name="error_records",
            description=(
                "For a TypeError, ValueError or ZeroDivisionError raised while code reads a "
                "JSON/CSV file: the records that cause it (a field of another type, a value in "
                "another format, a group with no values), by id and line, with the repair."
            ),
            args_schema=ErrorRecordsInput,
        )
    ]
