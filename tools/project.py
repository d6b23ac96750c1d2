"""The person's project, read-only: path confinement, safe text reads, `read_lines`, `find_usages`.

The project root is a folder the person grants for reading (the `project_root` setting; by default
the workspace). Every path a tool is given is resolved, symlinks included, and refused unless it
stays under that root; binary files (a NUL byte in the first 8 KB) and files over the size caps
are refused with a one-line reason rather than read. Outputs cite paths relative to the root and
real 1-based line numbers, so a result built from them can only point at what exists.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

MAX_READ_BYTES = 2_000_000
"""Largest file a tool reads whole."""
MAX_SCAN_BYTES = 1_000_000
"""Scans over the project (usages, file lookup) skip files larger than this."""
MAX_SCAN_FILES = 5_000
"""Scans look at no more than this many files."""
BINARY_PROBE_BYTES = 8192
"""A NUL byte within this many leading bytes marks a file as binary."""
MAX_LINES = 400
"""read_lines returns at most this many lines."""
MAX_LINES_CHARS = 1800
"""read_lines stops before its output passes this many characters (the runner keeps 2,000)."""
MAX_LINE_CHARS = 300
"""Longest line shown; longer ones are cut with '...'."""
MAX_USAGES = 50
"""find_usages stops after this many lines."""
SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})
"""Folders never scanned (besides hidden ones): generated or installed code, not the project's."""
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class ProjectFileError(ValueError):
    """A path or file a project tool refuses; the message is the one-line reason."""


def resolve_in_root(root: Path, path: str) -> Path:
    """`path` (relative to `root`, or absolute inside it) resolved; refused if it leaves `root`."""
    if not isinstance(path, str) or not path.strip():
        raise ProjectFileError("no path given")
    if "\0" in path:
        raise ProjectFileError(f"{path!r} is not a valid path")
    given = Path(path.strip()).expanduser()
    candidate = given if given.is_absolute() else root / given
    try:
        real = candidate.resolve()
    except (OSError, RuntimeError) as err:  # a symlink loop
        raise ProjectFileError(f"{path} cannot be resolved: {err}") from err
    if not real.is_relative_to(root):
        raise ProjectFileError(f"{path} is outside the project root (symlinks out are refused)")
    return real


def relative(root: Path, path: Path) -> str:
    """`path` as the tools cite it: relative to `root`, with forward slashes."""
    return path.relative_to(root).as_posix() or "."


def is_binary(data: bytes) -> bool:
    """Whether `data` looks binary (a NUL byte near the start)."""
    return b"\0" in data[:BINARY_PROBE_BYTES]


def read_text(root: Path, path: str, *, max_bytes: int = MAX_READ_BYTES) -> tuple[Path, str]:
    """The resolved path and text of a project file; ProjectFileError says why it cannot be read."""
    real = resolve_in_root(root, path)
    shown = path.strip()
    try:
        if not real.exists():
            raise ProjectFileError(f"{shown} does not exist under the project root")
        if not real.is_file():
            raise ProjectFileError(f"{shown} is not a file")
        size = real.stat().st_size
        if size > max_bytes:
            raise ProjectFileError(f"{shown} is {size:,} bytes, over the limit of {max_bytes:,}")
        data = real.read_bytes()
    except OSError as err:  # a name too long, a permission refused
        raise ProjectFileError(f"{shown[:200]} cannot be read: {err.strerror or err}") from err
    if is_binary(data):
        raise ProjectFileError(f"{shown} is a binary file, not text")
    return real, data.decode("utf-8", errors="replace")


def clip(line: str, limit: int = MAX_LINE_CHARS) -> str:
    """A line without its line break, cut to `limit` characters."""
    line = line.rstrip("\r\n")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def numbered(lines: list[str], start: int) -> str:
    """`lines` as "N: text", numbered from `start`."""
    return "\n".join(f"{start + i}: {clip(line)}" for i, line in enumerate(lines))


def iter_files(root: Path, skip: frozenset[str] = frozenset()) -> Iterator[Path]:
    """Regular files under `root` in a stable order, never leaving it; `skip` names top-level
    entries to leave out (the assistant's own notes when the root is the workspace)."""
    seen = 0
    for folder, dirs, files in os.walk(root):  # os.walk does not follow folder symlinks
        top = Path(folder) == root
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".") and d not in SKIPPED_DIRS and not (top and d in skip)
        )
        for name in sorted(files):
            if name.startswith(".") or (top and name in skip):
                continue
            seen += 1
            if seen > MAX_SCAN_FILES:
                return
            path = Path(folder) / name
            try:
                real = path.resolve()
            except (OSError, RuntimeError):
                continue
            if real.is_relative_to(root) and real.is_file():  # no symlink leading out
                yield path


def scan_text(path: Path) -> str | None:
    """The text of a file met in a scan, or None when it is too large, binary or unreadable."""
    try:
        if path.stat().st_size > MAX_SCAN_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return None if is_binary(data) else data.decode("utf-8", errors="replace")


def read_lines(root: Path, path: str, start: int = 1, end: int | None = None) -> str:
    """Lines `start`..`end` of a project file, each as "N: text" (at most `MAX_LINES`)."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    lines = text.splitlines()
    name = relative(root, real)
    if not lines:
        return f"{name} is empty."
    first = max(1, int(start))
    if first > len(lines):
        return f"Error: {name} has {len(lines)} lines; there is no line {first}"
    last = len(lines) if end is None else min(int(end), len(lines))
    if last < first:
        return f"Error: end ({end}) is before start ({first})"
    last = min(last, first + MAX_LINES - 1)
    shown: list[str] = []
    size = 0
    for number in range(first, last + 1):
        entry = f"{number}: {clip(lines[number - 1])}"
        size += len(entry) + 1
        if shown and size > MAX_LINES_CHARS:
            break  # the runner keeps ~2,000 characters: stop where the next call can resume
        shown.append(entry)
    shown_last = first + len(shown) - 1
    header = f"{name} lines {first}-{shown_last} of {len(lines)}:"
    wanted = len(lines) if end is None else min(int(end), len(lines))
    note = (
        f"\n... [more lines follow: ask for start={shown_last + 1}]" if shown_last < wanted else ""
    )
    return "\n".join([header, *shown]) + note


def find_usages(root: Path, name: str, skip: frozenset[str] = frozenset()) -> str:
    """Every line of the project's text files where identifier `name` occurs as a whole word."""
    name = name.strip() if isinstance(name, str) else ""
    if not _IDENTIFIER.match(name):
        return f"Error: {name!r} is not an identifier (letters, digits, '_', dots between parts)"
    pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
    hits: list[str] = []
    for path in iter_files(root, skip):
        text = scan_text(path)
        if text is None or name not in text:
            continue
        shown = relative(root, path)
        for number, line in enumerate(text.splitlines(), start=1):
            if pattern.search(line):
                hits.append(f"{shown}:{number}: {clip(line.strip())}")
                if len(hits) >= MAX_USAGES:
                    hits.append(f"... stopped after {MAX_USAGES} lines")
                    return "\n".join(hits)
    if not hits:
        return f"No line under the project root uses {name!r}."
    return "\n".join(hits)


class ReadLinesInput(BaseModel):
    """Arguments of read_lines."""

    path: str = Field(min_length=1, description="File path relative to the project root.")
    start: int = Field(default=1, ge=1, description="First line to show (1-based).")
    end: int = Field(
        default=0,
        ge=0,
        description=f"Last line to show (0: to the end; {MAX_LINES} lines a call at most).",
    )


class FindUsagesInput(BaseModel):
    """Arguments of find_usages."""

    name: str = Field(
        min_length=1, max_length=200, description="An identifier, e.g. 'parse_totals'."
    )


def project_tools(root: Path, skip: frozenset[str] = frozenset()) -> list[BaseTool]:
    """read_lines and find_usages over the project folder `root`."""
    root = Path(root).resolve()

    def read_lines_tool(path: str, start: int = 1, end: int = 0) -> str:
        return read_lines(root, path, start, end or None)

    def find_usages_tool(name: str) -> str:
        return find_usages(root, name, skip)

    return [
        StructuredTool.from_function(
            func=read_lines_tool,
            name="read_lines",
            description=(
                "Read lines of a text file in the person's project, each prefixed 'N: ' with its "
                f"1-based line number (at most {MAX_LINES} lines a call). path is relative to the "
                "project root."
            ),
            args_schema=ReadLinesInput,
        ),
        StructuredTool.from_function(
            func=find_usages_tool,
            name="find_usages",
            description=(
                "Find every line in the person's project where an identifier (a function, class "
                f"or variable name) occurs as a whole word; returns 'path:line: code' (at most "
                f"{MAX_USAGES})."
            ),
            args_schema=FindUsagesInput,
        ),
    ]
