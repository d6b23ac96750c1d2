"""`find_mentions`: every mention of a name or term across the person's documents (notes,
minutes, emails), each dated by where it sits, in date order.

"What was said about X, and when" is answered by the mentions and their dates, not by a
search's file order. A mention's date is the one nearest above it: a dated heading
("## 8 Jan 2026") or a message's `Date:` line; else the date in the file's name
(2026-01-08-notes.md); else the first date near the file's top. Undated mentions come last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, clip, iter_files, relative, resolve_in_root, scan_text

DOCUMENT_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".rst", ".eml", ".org", ".text"})
"""Files read as documents."""
MAX_MENTIONS = 60
"""Mentions listed."""
MAX_ALIASES = 6
"""Alternative names ("A|B") one search takes at most."""
HEAD_LINES = 5
"""A file's top lines searched for its date when neither heading nor name gives one."""
_MONTHS = "january february march april may june july august september october november december"
_MONTH_NAMES = _MONTHS.split()
_MON = "|".join(m[:3] for m in _MONTH_NAMES)
_ISO = re.compile(r"(?<!\d)(20\d\d|19\d\d)[-_/.]?(0[1-9]|1[0-2])[-_/.]?(0[1-9]|[12]\d|3[01])(?!\d)")
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MON})[a-z]*\.?(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE
)
_MONTH_DAY = re.compile(
    rf"\b({_MON})[a-z]*\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.IGNORECASE
)
_HEADING = re.compile(r"^\s{0,3}(?:#{1,6}\s|=+\s*$|-{3,}\s*$)|^\*\*.+\*\*\s*$")
_DATE_LINE = re.compile(r"^\s*(?:>\s*)*(?:date|sent|on)\b\s*:?", re.IGNORECASE)
_WROTE = re.compile(r"^\s*(?:>\s*)*on\s.+\bwrote:\s*$", re.IGNORECASE)
_DATED_START = re.compile(
    rf"^\s*(?:[-*]\s+)?(?:\*\*)?(?:(?:mon|tue|wed|thu|fri|sat|sun)\w*,?\s+)?"
    rf"(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MON})|(?:{_MON})\w*\.?\s+\d{{1,2}}\b)",
    re.IGNORECASE,
)
"""A line that starts with a date ("2026-01-08 standup", "Mon 8 Jan: ...") dates what follows."""
SECTION_LINES = 6
"""Lines of a section quoted under a mention in its heading."""


def read_date(text: str, year: int | None = None) -> date | None:
    """The first calendar date a text writes (2026-01-08, 8 Jan 2026, Jan 8, 2026); a date
    without a year takes `year` (None: not a full date)."""
    found: list[tuple[int, date]] = []
    for match in _ISO.finditer(text):
        y, m, d = (int(g) for g in match.groups())
        found += _valid(match.start(), y, m, d)
    for match in _DAY_MONTH.finditer(text):
        day, month, y = match.groups()
        found += _valid(match.start(), _year(y, year), _month(month), int(day))
    for match in _MONTH_DAY.finditer(text):
        month, day, y = match.groups()
        found += _valid(match.start(), _year(y, year), _month(month), int(day))
    return min(found)[1] if found else None


def _year(written: str | None, default: int | None) -> int | None:
    return int(written) if written else default


def _month(name: str) -> int:
    return next(i for i, m in enumerate(_MONTH_NAMES, 1) if m.startswith(name.lower()[:3]))


def _valid(at: int, year: int | None, month: int, day: int) -> list[tuple[int, date]]:
    if year is None:
        return []
    try:
        return [(at, date(year, month, day))]
    except ValueError:
        return []


@dataclass
class Mention:
    """One line that mentions the term."""

    path: str
    """The document, relative to the project root."""
    line: int
    """Its 1-based line."""
    text: str
    """The line, stripped."""
    when: date | None
    """The date of the section, message or file it sits in."""
    dated_by: str
    """Where the date came from ('heading line 1', 'file name', ...)."""
    section: list[tuple[int, str]] = field(default_factory=list)
    """For a mention in a heading: the section's first lines (number, text)."""


def _file_dates(name: str, lines: list[str]) -> tuple[date | None, str, int | None]:
    """(the file's own date, where from, the year to give dates written without one)."""
    named = read_date(Path(name).name)
    if named:
        return named, "file name", named.year
    for number, line in enumerate(lines[:HEAD_LINES], start=1):
        found = read_date(line)
        if found:
            return found, f"line {number}", found.year
    years = re.findall(r"\b(20\d\d)\b", "\n".join(lines[:50]))
    return None, "", int(years[0]) if years else None


def mentions_in(name: str, text: str, pattern: re.Pattern[str]) -> list[Mention]:
    """The mentions of `pattern` in one document, each with its date."""
    lines = text.splitlines()
    file_date, file_from, year = _file_dates(name, lines)
    found: list[Mention] = []
    current: tuple[date | None, str] = (file_date, file_from)
    for number, line in enumerate(lines, start=1):
        heading = _HEADING.match(line)
        dated = heading or _DATE_LINE.match(line) or _WROTE.match(line)
        if dated or _DATED_START.match(line):
            when = read_date(line, year)
            if when is not None:
                current = (when, f"line {number}")
        if pattern.search(line):
            mention = Mention(name, number, clip(line.strip()), current[0], current[1])
            if heading and line.lstrip().startswith("#"):
                mention.section = _section(lines, number)
            found.append(mention)
    return found


def _section(lines: list[str], heading: int) -> list[tuple[int, str]]:
    """The non-empty lines under a heading, up to the next heading (at most SECTION_LINES)."""
    body: list[tuple[int, str]] = []
    for number in range(heading + 1, len(lines) + 1):
        text = lines[number - 1]
        if text.lstrip().startswith("#") or len(body) >= SECTION_LINES:
            break
        if text.strip():
            body.append((number, clip(text.strip())))
    return body


def find_mentions(
    root: Path, term: str, path: str = ".", skip: frozenset[str] = frozenset()
) -> str:
    """Every line of the documents under `path` that mentions `term`, dated, in date order."""
    term = " ".join(term.split()) if isinstance(term, str) else ""
    if len(term) < 2 or len(term) > 200:
        return "Error: give a name or term of 2 to 200 characters"
    # "Northwind|NW Logistics": one name and its aliases, found as one list.
    names = [n.strip() for n in term.split("|") if len(n.strip()) >= 2][:MAX_ALIASES]
    if not names:
        return "Error: give a name or term of 2 to 200 characters"
    forms = [r"[\s_-]+".join(re.escape(w) for w in name.split()) for name in names]
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(forms) + r")(?!\w)", re.IGNORECASE)
    try:
        base = resolve_in_root(root, path or ".")
    except ProjectFileError as err:
        return f"Error: {err}"
    if not base.exists():
        return f"Error: {path} does not exist under the project root"
    candidates = [base] if base.is_file() else list(iter_files(root, skip))
    found: list[Mention] = []
    for file in candidates:
        if file.suffix.lower() not in DOCUMENT_SUFFIXES or not file.resolve().is_relative_to(base):
            continue
        text = scan_text(file)
        if text is None or not pattern.search(text):
            continue
        found += mentions_in(relative(root, file), text, pattern)
    scope = "the project" if (path or ".").strip() in (".", "") else path.strip()
    if not found:
        return f"No document under {scope} mentions {term!r}."
    found.sort(key=lambda m: (m.when is None, m.when or date.min, m.path, m.line))
    out = [f"Mentions of {term!r} in the documents under {scope}, in date order: {len(found)}"]
    for mention in found[:MAX_MENTIONS]:
        when = (
            f"{mention.when.isoformat()} ({mention.when:%a} {mention.when.day} "
            f"{mention.when:%b %Y}, from {mention.dated_by})"
            if mention.when
            else "undated"
        )
        out.append(f"{mention.path}:{mention.line}: {mention.text}  -- {when}")
        out += [f"  | {mention.path}:{n}: {text}" for n, text in mention.section]
    if len(found) > MAX_MENTIONS:
        out.append(f"... and {len(found) - MAX_MENTIONS} more")
    return "\n".join(out)


class FindMentionsInput(BaseModel):
    """Arguments of find_mentions."""

    term: str = Field(
        min_length=2,
        max_length=200,
        description="The name or term: 'Brightline'; aliases joined by '|': 'Brightline|BL Ltd'.",
    )
    path: str = Field(default=".", description="A folder or document under the project root.")


def mention_tools(root: Path, skip: frozenset[str] = frozenset()) -> list[BaseTool]:
    """find_mentions over the project folder `root`."""
    root = Path(root).resolve()

    def find_mentions_tool(term: str, path: str = ".") -> str:
        return find_mentions(root, term, path, skip)

    return [
        StructuredTool.from_function(
            func=find_mentions_tool,
            name="find_mentions",
            description=(
                "Find every line of the person's documents (notes, minutes, emails: .md, .txt, "
                ".rst, .eml) that mentions a name or term as a whole word, each with the date of "
                "the section, message or file it sits in, listed in date order: "
                "'path:line: text -- date'."
            ),
            args_schema=FindMentionsInput,
        )
    ]
