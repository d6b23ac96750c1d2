"""`locate_error`: resolve an error message or traceback to the file and line of the project.

People paste errors in many shapes: Python tracebacks (`File "x.py", line 7`), a sentence
("raised in 'x.py' line 7", "line 7 of x.py"), compiler and linter style (`x.py:7:3:`), and
parser messages that give a line but name the data file elsewhere (JSON, YAML, TOML). Each named
file is looked up under the project root (an absolute or foreign path by its trailing parts), and
the answer quotes the real line with the code around it. A data file named next to a parser error
is re-parsed (safely, see tools/datafiles.py) to find the fault exactly; a file that is not in the
project is said to be missing, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.datafiles import FORMATS, MAX_DATA_BYTES, check_data
from tools.project import (
    ProjectFileError,
    clip,
    iter_files,
    numbered,
    read_text,
    relative,
    resolve_in_root,
)

CONTEXT_LINES = 3
"""Lines shown before and after the located line."""
MAX_ERROR_CHARS = 20_000
"""Longest error text looked at (a traceback's end is kept: the innermost frame is there)."""
MAX_MENTIONS = 100
"""(file, line) pairs kept per pattern: a traceback's last ones (its innermost frames)."""
MAX_ERROR_LINE_CHARS = 1000
"""Each line of the error text is cut to this length before it is searched."""
_FILE = (
    r"""(?:"(?P<{0}q>[^"\n]{{1,255}}?\.\w{{1,10}})"|'(?P<{0}s>[^'\n]{{1,255}}?\.\w{{1,10}})'"""
    r"""|(?<![^\s'",:;()<>])(?P<{0}b>[^\s'",:;()<>]{{1,255}}\.[A-Za-z0-9]{{1,10}}))"""
)
"""A file name: double-quoted, single-quoted or bare ({0} prefixes the group names)."""
_PAIR_PATTERNS = (
    # Python's traceback frame: File "x.py", line 7
    re.compile(r'File "(?P<fq>[^"\n]{1,500})", line (?P<line>\d{1,9})'),
    # "x.py line 7", "in 'x.py', line 7", "x.py at line 7", "x.py on line 7"
    re.compile(_FILE.format("f") + r",?\s+(?:at\s+|on\s+)?line\s+(?P<line>\d{1,9})", re.IGNORECASE),
    # "line 7 of x.py", "line 7 in 'x.py'"
    re.compile(r"line\s+(?P<line>\d{1,9})\s+(?:of|in)\s+(?:file\s+)?" + _FILE.format("f"), re.I),
    # x.py:7 or x.py:7:3 (compilers, linters, pytest)
    re.compile(_FILE.format("f") + r":(?P<line>\d{1,9})\b"),
)
SOURCE_SUFFIXES = frozenset(
    (
        ".py .pyi .ipynb .js .jsx .ts .tsx .java .kt .go .rs .rb .php .c .h .cc .cpp .hpp .cs "
        ".swift .sh .sql .html .css .md .txt .rst .cfg .ini .xml .json .jsonl .csv .tsv .yaml "
        ".yml .toml"
    ).split()
)
"""Suffixes that mark a token as a file name when the error gives no line with it."""
_ANY_FILE = re.compile(_FILE.format("f"))
_ANY_LINE = re.compile(r"\bline\s+(\d{1,9})", re.IGNORECASE)
_EXCEPTION = re.compile(
    r"\b((?:[a-z_]\w{0,40}\.){0,5}[A-Z]\w{0,60}?(?:Error|Exception|Warning|Exit|Interrupt|Fault)"
    # A quoted word inside the message stays ('(not "float") to str'); the quote that closes the
    # event's quotation of the whole error ends it.
    r"\b(?::(?:[^\"\n]|\"\w{1,40}\"){0,200})?)"
)
_PARSER_ERROR = re.compile(
    r"JSONDecodeError|Expecting (?:value|property name|',' delimiter|':' delimiter)|"
    r"Extra data|Unterminated string|Invalid control character|ScannerError|ParserError|"
    r"ComposerError|ConstructorError|while (?:parsing|scanning)|TOMLDecodeError|csv\.Error|"
    r"\bfield larger than|\bexpected \d+ fields",
    re.IGNORECASE,
)
_QUOTED_SYMBOL = re.compile(r"""['"`]([A-Za-z_][\w.-]{0,80})['"`]""")


@dataclass(frozen=True)
class Mention:
    """A file the error text names, with the line it gives (0 when none) and where it stands."""

    file: str
    line: int
    at: int
    frame: bool


def _file_of(match: re.Match[str]) -> str:
    groups = match.groupdict()
    return next(groups[k] for k in ("fq", "fs", "fb") if groups.get(k))


def mentions(text: str) -> list[Mention]:
    """Every (file, line) pair the error text gives, in the order they appear."""
    found: list[tuple[int, int, Mention]] = []
    for index, pattern in enumerate(_PAIR_PATTERNS):
        for match in list(pattern.finditer(text))[-MAX_MENTIONS:]:  # innermost frames last
            start, end = match.span()
            if any(start < e and s < end for s, e, _ in found):
                continue  # the same mention, already read by a more specific pattern
            found.append(
                (start, end, Mention(_file_of(match), int(match["line"]), start, index == 0))
            )
    return [m for _, _, m in sorted(found, key=lambda item: item[0])]


class ProjectFiles:
    """The project's files, listed once, for matching a path a traceback gives."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._listing: list[str] | None = None
        self._found: dict[str, tuple[Path | None, list[str]]] = {}

    def listing(self) -> list[str]:
        """Relative paths of the project's files."""
        if self._listing is None:
            self._listing = [relative(self.root, p) for p in iter_files(self.root)]
        return self._listing

    def find(self, name: str) -> tuple[Path | None, list[str]]:
        """The project file `name` denotes (exactly or by its trailing parts), else candidates."""
        if name not in self._found:
            self._found[name] = self._find(name)
        return self._found[name]

    def _find(self, name: str) -> tuple[Path | None, list[str]]:
        cleaned = name.strip().replace("\\", "/")
        try:
            direct = resolve_in_root(self.root, cleaned)
            if direct.is_file():
                return direct, []
        except (ProjectFileError, OSError):
            pass  # not a project path as given (outside, or not a valid name): try its tail
        parts = [p for p in cleaned.split("/") if p and p not in (".", "..")]
        for size in range(len(parts), 0, -1):
            tail = "/".join(parts[-size:])
            hits = [f for f in self.listing() if f == tail or f.endswith("/" + tail)]
            if len(hits) == 1:
                return resolve_in_root(self.root, hits[0]), []
            if hits:
                return None, hits
        return None, []


def _around(lines: list[str], line: int) -> str:
    first = max(1, line - CONTEXT_LINES)
    last = min(len(lines), line + CONTEXT_LINES)
    return numbered(lines[first - 1 : last], first)


def _quote_line(root: Path, path: Path, line: int) -> str:
    """'path:line: code' and the lines around it, or an Error line when the line is not there."""
    name = relative(root, path)
    try:
        _, text = read_text(root, name)
    except ProjectFileError as err:
        return f"Error: {err}"
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return f"Error: {name} has {len(lines)} lines; the error names line {line}"
    return f"{name}:{line}: {clip(lines[line - 1].strip())}\n{_around(lines, line)}"


def error_text(text: str) -> str | None:
    """The last 'Type: message' an error text quotes, message whole (None when it has none)."""
    return _exception(text)


def _exception(text: str) -> str | None:
    found = _EXCEPTION.findall(text)
    return clip(found[-1].strip(), 200) if found else None


def _symbol_lines(root: Path, path: Path, text: str) -> str | None:
    """Lines of `path` holding a symbol the error quotes (a missing key, attribute or name)."""
    _, source = read_text(root, relative(root, path))
    lines = source.splitlines()
    for symbol in _QUOTED_SYMBOL.findall(text):
        if symbol == path.name or Path(symbol).suffix:
            continue
        pattern = re.compile(rf"(?<!\w){re.escape(symbol)}(?!\w)")
        hits = [n for n, code in enumerate(lines, start=1) if pattern.search(code)]
        if hits:
            name = relative(root, path)
            first = hits[0]
            others = ", ".join(f"line {n}" for n in hits[1:6])
            also = f"\n'{symbol}' also appears at {others}" if others else ""
            return (
                f"{name}:{first}: {clip(lines[first - 1].strip())}\n{_around(lines, first)}{also}"
            )
    return None


def locate_error(root: Path, text: str) -> str:
    """The project file and line an error text points at, quoted with the code around it."""
    if not isinstance(text, str) or not text.strip():
        return "Error: no error text given"
    text = "\n".join(line[:MAX_ERROR_LINE_CHARS] for line in text[-MAX_ERROR_CHARS:].splitlines())
    files = ProjectFiles(root)
    pairs = mentions(text)
    resolved: list[tuple[Mention, Path]] = []
    missing: list[str] = []
    ambiguous: list[str] = []
    for mention in pairs:
        path, candidates = files.find(mention.file)
        if path is not None:
            resolved.append((mention, path))
        elif candidates:
            ambiguous.append(f"{mention.file} (could be {', '.join(candidates[:5])})")
        else:
            missing.append(mention.file)
    named = [m.group(0) for m in _ANY_FILE.finditer(text)]
    named_paths: list[Path] = []
    for raw in named:
        path, _ = files.find(raw.strip("'\""))
        if path is not None and path not in named_paths:
            named_paths.append(path)
        elif path is None and Path(raw.strip("'\"")).suffix.lower() in SOURCE_SUFFIXES:
            missing.append(raw.strip("'\""))
    exception = _exception(text)
    tail = f"\nerror: {exception}" if exception else ""

    # A parser error next to a data file: re-parse the file, which finds the fault exactly.
    data_files = [p for p in named_paths if p.suffix.lower() in FORMATS]
    if data_files and (_PARSER_ERROR.search(text) or not resolved):
        for path in data_files:
            report = _data_fault(root, path)
            if report is not None:
                return report + tail

    if resolved:
        frames = [pair for pair in resolved if pair[0].frame]
        mention, path = frames[-1] if frames else resolved[0]  # a traceback's innermost frame
        body = _quote_line(root, path, mention.line)
        others = [f"{relative(root, p)}:{m.line}" for m, p in resolved if (m, p) != (mention, path)]
        extra = f"\nother places the error names: {', '.join(others[:8])}" if others else ""
        return body + tail + extra

    line = _ANY_LINE.search(text)
    if named_paths and line:
        return _quote_line(root, named_paths[0], int(line.group(1))) + tail
    if named_paths:
        path = named_paths[0]
        located = _symbol_lines(root, path, text)
        if located is not None:
            return located + tail
        return (
            f"{relative(root, path)}: the error names this file but no line in it, and quotes "
            f"nothing found in it{tail}"
        )
    if ambiguous:
        return f"Error: the error names {'; '.join(ambiguous)}: more than one project file fits"
    if missing:
        shown = ", ".join(dict.fromkeys(missing))
        return f"Error: the error names {shown}, which is not a file under the project root"
    return "Error: the error text names no file and line (nothing to locate)"


def _data_fault(root: Path, path: Path) -> str | None:
    """The data file's fault quoted as 'path:line: code' (None when it parses cleanly)."""
    name = relative(root, path)
    try:
        _, text = read_text(root, name, max_bytes=MAX_DATA_BYTES)
    except ProjectFileError:
        return None
    suffix = path.suffix.lower()
    report = check_data(name, text, FORMATS[suffix], suffix)
    found = re.match(rf"{re.escape(name)}:(\d+)(?::\d+)?: (.*)", report)
    if found is None:
        return None
    line = int(found.group(1))
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return report.splitlines()[0]
    return (
        f"{name}:{line}: {clip(lines[line - 1].strip())}\n{_around(lines, line)}\n"
        f"parser: {found.group(2)}"
    )


class LocateErrorInput(BaseModel):
    """Arguments of locate_error."""

    text: str = Field(
        min_length=1,
        description="The error message or traceback, as the person saw it.",
    )


def error_tools(root: Path) -> list[BaseTool]:
    """locate_error over the project folder `root`."""
    root = Path(root).resolve()

    def locate_error_tool(text: str) -> str:
        return locate_error(root, text)

    return [
        StructuredTool.from_function(
            func=locate_error_tool,
            name="locate_error",
            description=(
                "Find where an error points in the person's project: give the error message or "
                "traceback; returns 'path:line: code' and the numbered lines around it (a data "
                "file's parse error is located by re-parsing the file), or says the file is not "
                "in the project."
            ),
            args_schema=LocateErrorInput,
        )
    ]
