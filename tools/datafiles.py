"""`check_data_file`: parse a project's JSON, CSV, YAML or TOML file safely and say where it breaks.

Re-running the parse is how a person finds a fault the traceback only hints at, and for these
formats it is safe: nothing is executed, the file is size-capped, YAML is read with the safe
loader and refused when its aliases expand past the limit the scene loader uses (an alias bomb),
and CSV is read strictly so a stray quote or a row of the wrong width is named by its line.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

# The scene loader's alias limit, reused so every YAML the project reads has the same bound.
from gym.scenes import MAX_YAML_NODES, _expanded_size
from tools.project import ProjectFileError, clip, numbered, read_text, relative, resolve_in_root

MAX_DATA_BYTES = 2_000_000
"""Largest data file checked."""
MAX_KEYS_SHOWN = 20
"""Keys or columns listed in a shape."""
FORMATS = {
    ".json": "JSON",
    ".jsonl": "JSON Lines",
    ".ndjson": "JSON Lines",
    ".csv": "CSV",
    ".tsv": "CSV",
    ".yaml": "YAML",
    ".yml": "YAML",
    ".toml": "TOML",
}
"""File suffix -> the format it is checked as."""
_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


class DataFault(Exception):
    """Where a data file stops parsing: 1-based line, column (0 when unknown) and why."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


def _name(key: Any) -> str:
    """A key as the report shows it: bare, or quoted when spaces around it (a CSV header's
    ' Total') or a comma would hide what the parser really reads."""
    text = str(key)
    plain = text == text.strip() and text and "," not in text and not text.startswith("'")
    return text if plain else repr(text)


def _names(keys: list[Any]) -> str:
    shown = ", ".join(_name(k) for k in keys[:MAX_KEYS_SHOWN])
    more = len(keys) - MAX_KEYS_SHOWN
    return shown + (f", ... ({more} more)" if more > 0 else "") if keys else "none"


def _shape(data: Any) -> str:
    """A one-line description of parsed data: its top-level type and keys or length."""
    if isinstance(data, dict):
        return f"top-level object with {len(data)} keys: {_names(list(data))}"
    if isinstance(data, list):
        kinds = sorted({type(item).__name__ for item in data})
        shape = f"top-level array of {len(data)} items ({', '.join(kinds) or 'empty'})"
        keys: list[Any] = []
        for item in data[:50]:
            if isinstance(item, dict):
                keys.extend(k for k in item if k not in keys)
        return shape + (f"; item keys: {_names(keys)}" if keys else "")
    return f"a single {type(data).__name__} value"


def _check_json(text: str) -> str:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataFault(err.lineno, err.colno, err.msg) from err
    return _shape(data)


def _check_json_lines(text: str) -> str:
    records = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            json.loads(line)
        except json.JSONDecodeError as err:
            raise DataFault(number, err.colno, err.msg) from err
        records += 1
    return f"{records} JSON records, one a line"


def _dialect(text: str, suffix: str) -> type[csv.Dialect] | csv.Dialect:
    if suffix == ".tsv":
        return csv.excel_tab
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _check_csv(text: str, suffix: str) -> str:
    dialect = _dialect(text, suffix)
    reader = csv.reader(io.StringIO(text, newline=""), dialect, strict=True)
    header: list[str] | None = None
    rows = 0
    last_line = 0
    try:
        for row in reader:
            first_line, last_line = last_line + 1, reader.line_num
            if not row:
                continue
            if header is None:
                header = row
                continue
            if len(row) != len(header):
                raise DataFault(
                    first_line,
                    0,
                    f"this row has {len(row)} fields, the header has {len(header)} "
                    f"({_names(header)})",
                )
            rows += 1
    except csv.Error as err:
        raise DataFault(reader.line_num or 1, 0, str(err)) from err
    if header is None:
        return "an empty CSV file"
    delimiter = getattr(dialect, "delimiter", ",")
    if getattr(dialect, "skipinitialspace", False):
        # Shown as a plain csv.reader / DictReader reads them, which keeps the spaces after the
        # delimiter: the keys a program gets are ' Total', not 'Total'.
        first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
        plain = next(csv.reader([first], delimiter=delimiter), header)
        header = plain if len(plain) == len(header) else header
    repeated = sorted({name for name in header if header.count(name) > 1})
    note = f"; header repeats {_names(repeated)}" if repeated else ""
    return (
        f"header columns ({len(header)}, delimiter {delimiter!r}): {_names(header)}; "
        f"{rows} data rows{note}"
    )


def _check_yaml(text: str) -> str:
    loader = yaml.SafeLoader(text)
    shapes: list[str] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if _expanded_size(node, {}, set()) > MAX_YAML_NODES:
                raise DataFault(
                    node.start_mark.line + 1,
                    node.start_mark.column + 1,
                    f"refused: its aliases expand to more than {MAX_YAML_NODES:,} values "
                    "(an alias bomb?); not loaded",
                )
            shapes.append(_shape(loader.construct_document(node)))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        why = " ".join(part for part in (err.context, err.problem) if part) or str(err)
        if mark is None:
            raise DataFault(1, 0, why) from err
        raise DataFault(mark.line + 1, mark.column + 1, why) from err
    except yaml.YAMLError as err:
        raise DataFault(1, 0, str(err)) from err
    except ValueError as err:  # a recursive alias
        raise DataFault(1, 0, f"refused: {err}") from err
    finally:
        loader.dispose()
    if not shapes:
        return "an empty YAML document"
    if len(shapes) == 1:
        return shapes[0]
    return f"{len(shapes)} documents; the first: {shapes[0]}"


def _check_toml(text: str) -> str:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        where = _TOML_AT.search(message)
        line, column = (int(where.group(1)), int(where.group(2))) if where else (1, 0)
        raise DataFault(line, column, _TOML_AT.sub("", message).strip()) from err
    return _shape(data)


def check_data(name: str, text: str, kind: str, suffix: str) -> str:
    """The report on `text`, the content of data file `name` (cited relative to the root)."""
    checks = {
        "JSON": _check_json,
        "JSON Lines": _check_json_lines,
        "CSV": lambda t: _check_csv(t, suffix),
        "YAML": _check_yaml,
        "TOML": _check_toml,
    }
    try:
        try:
            shape = checks[kind](text)
        except RecursionError as err:  # '[[[[...' a hundred thousand deep
            raise DataFault(1, 0, "refused: nested too deeply to check safely") from err
    except DataFault as fault:
        lines = text.splitlines()
        where = f"{name}:{fault.line}" + (f":{fault.column}" if fault.column else "")
        report = [f"{where}: {kind} does not parse: {fault.message}"]
        if 1 <= fault.line <= len(lines):
            report.append(f"{fault.line}: {clip(lines[fault.line - 1])}")
            first = max(1, fault.line - 2)
            report.append("lines around it:")
            report.append(numbered(lines[first - 1 : fault.line + 1], first))
        return "\n".join(report)
    return f"{name} parses cleanly as {kind}: {shape}"


def check_data_file(root: Path, path: str) -> str:
    """Parse the project file `path` by its suffix; report its first fault or its shape."""
    try:
        resolve_in_root(root, path)  # confinement first: a link out is refused whatever its name
        suffix = Path(path.strip()).suffix.lower()
        kind = FORMATS.get(suffix)
        if kind is None:
            known = ", ".join(FORMATS)
            return f"Error: check_data_file reads {known} files; {path!r} is none of these"
        real, text = read_text(root, path, max_bytes=MAX_DATA_BYTES)
    except ProjectFileError as err:
        return f"Error: {err}"
    return check_data(relative(root, real), text, kind, suffix)


class CheckDataFileInput(BaseModel):
    """Arguments of check_data_file."""

    path: str = Field(
        min_length=1,
        description="A .json, .jsonl, .csv, .tsv, .yaml, .yml or .toml file, relative to the "
        "project root.",
    )


def data_file_tools(root: Path) -> list[BaseTool]:
    """check_data_file over the project folder `root`."""
    root = Path(root).resolve()

    def check_data_file_tool(path: str) -> str:
        return check_data_file(root, path)

    return [
        StructuredTool.from_function(
            func=check_data_file_tool,
            name="check_data_file",
            description=(
                "Parse a JSON, CSV, YAML or TOML file of the person's project safely and report "
                "the first fault as 'path:line:column: why' with the offending line, or that it "
                "parses cleanly with its shape (keys, CSV header columns and row count)."
            ),
            args_schema=CheckDataFileInput,
        )
    ]
