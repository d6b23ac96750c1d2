"""`sort_by_deadline`: a to-do list rewritten as one list in deadline order.

Each item's deadline is read from its own words in the many shapes people write ("by 30/04",
"due Apr 10", "Sat 18 April", "8 April", "2026-04-22", "by Friday" against a reference day); the
date after a cue ('by', 'due', 'before', 'deadline') wins when an item names several. An item
with no date of its own that must come "before" another item (its words point at that item) is
placed just ahead of it with the same deadline; items with no deadline at all follow, as they
were. Every deadline is written in the format asked, and each item gets the tag asked: its own
label ("Lab: ...", "[Lab]", "#lab", "(Lab)") when that is one of the tags, else the one tag no
item names (the catch-all, such as "Personal"). Every item is kept; nothing is invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.dates import MONTHS, _make, find_dates, relative_day
from tools.paging import paged
from tools.project import ProjectFileError, read_text, relative

MAX_ITEMS = 1_000
"""Most items one list's sort reads."""

_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(?:\[(?P<box>[ xX])\]\s+)?(?P<text>.*\S)")
_RELATIVE_WORD = re.compile(
    r"\b(?:today|tonight|tomorrow|next week|end of (?:the )?week"
    r"|(?:this |next )?(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b",
    re.I,
)
_PLAIN = re.compile(r"^\s*(?P<box>)(?P<text>\S.*\S|\S)\s*$")
_SHORT_SLASHED = re.compile(r"(?<![\d/.])(?P<a>[0-3]?\d)[/.](?P<b>[0-3]?\d)(?![\d/.]|\.\d)")
_CUE = re.compile(r"\b(?:by|due|before|deadline|until|till|no later than|on)\b[:\s]*$", re.I)
_BEFORE = re.compile(r"\b(?:before|prior to|ahead of)\s+(?:I\s+|we\s+)?(?P<what>[^,;()]+)", re.I)
_LABEL_FORMS = (
    re.compile(r"^(?P<label>[A-Z][\w&/ -]{0,24}):\s+"),
    re.compile(r"^\[(?P<label>[^\]]{1,25})\]\s*"),
    re.compile(r"^\((?P<label>[^)]{1,25})\)\s*"),
    re.compile(r"(?<![\w/#])#(?P<label>[A-Za-z][\w-]{0,24})\b"),
)
"""Ways an item names its own group: 'Lab: x', '[Lab] x', '(Lab) x', 'x #lab'."""
_CATCH_ALL = ("personal", "other", "misc", "general", "home", "life", "admin")
"""Tag names people use for 'everything else', preferred as the default tag."""
_WEEKDAY_BEFORE = re.compile(
    r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:[a-z]*day)?\.?,?\s*$", re.I
)
_STOP = frozenset("a an the to of for and or in on at my our i we it is be by send".split())


@dataclass
class Item:
    """One item of the list."""

    line: int
    """Its line in the document."""
    text: str
    """Its words, without bullet or box."""
    box: str = ""
    """Its checkbox as written ('[ ] ', '[x] '), '' when it has none."""
    due: date | None = None
    """Its deadline."""
    span: tuple[int, int] | None = None
    """Where the deadline's words stand in `text`."""
    after: int | None = None
    """The line of the item it must come before, when it has no date of its own."""


def _short_dates(text: str, year: int, month_first: bool) -> list[tuple[date, int, int]]:
    """'30/04', '15.04' (no year): day first unless the list writes month first."""
    found = []
    for match in _SHORT_SLASHED.finditer(text):
        a, b = int(match["a"]), int(match["b"])
        day, month = (b, a) if month_first else (a, b)
        made = _make(year, month, day)
        if made:
            found.append((made, match.start(), match.end()))
    return found


def _month_first(texts: list[str]) -> bool:
    """Whether the list's short dates are written month first (a first number over 12 says day
    first; a second over 12 says month first)."""
    votes = 0
    for text in texts:
        for match in _SHORT_SLASHED.finditer(text):
            a, b = int(match["a"]), int(match["b"])
            votes += (a <= 12 < b) - (b <= 12 < a)
    return votes > 0


def _deadline(text: str, year: int, reference: date | None, month_first: bool) -> Item:
    found = [(f.day, f.start, f.end) for f in find_dates(text, year)]
    taken = [(s, e) for _, s, e in found]
    found += [
        d
        for d in _short_dates(text, year, month_first)
        if not any(s < d[2] and d[1] < e for s, e in taken)
    ]
    found.sort(key=lambda d: d[1])
    if not found and reference is not None:
        cue = re.search(r"\b(?:by|due|before|on|until)\s+(?:this\s+|next\s+)?(\w+)", text, re.I)
        day = relative_day(text[cue.start() :], reference) if cue else None
        if day and cue:
            return Item(0, text, due=day, span=(cue.start(), cue.end()))
        # "call the vet tomorrow", "gym Thursday": a relative day with no cue before it.
        bare = _RELATIVE_WORD.search(text)
        day = relative_day(text[bare.start() :], reference) if bare else None
        if day and bare:
            return Item(0, text, due=day, span=(bare.start(), bare.end()))
    if not found:
        return Item(0, text)
    cued = [d for d in found if _CUE.search(text[: d[1]])]
    day, start, end = (cued or found)[0]
    return Item(0, text, due=day, span=(start, end))


def date_format(spec: str) -> str:
    """A strftime format from the way people spell one ('YYYY-MM-DD', 'DD/MM/YYYY', 'D Month
    YYYY', 'Mon D'); ISO when the spelling is not understood."""
    tokens = (
        ("YYYY", "%Y"),
        ("MMMM", "%B"),
        ("Month", "%B"),
        ("MMM", "%b"),
        ("Mon", "%b"),
        ("YY", "%y"),
        ("MM", "%m"),
        ("DD", "%d"),
        ("D", "%-d"),
    )
    out, rest = "", spec.strip()
    while rest:
        for token, code in tokens:
            if rest.startswith(token):
                out, rest = out + code, rest[len(token) :]
                break
        else:
            out, rest = out + rest[0].replace("%", "%%"), rest[1:]
    return out if "%" in out and "%d" in out or "%-d" in out else "%Y-%m-%d"


def _written(day: date, fmt: str) -> str:
    if "%-d" in fmt:
        fmt = fmt.replace("%-d", str(day.day))
    if "%B" in fmt:
        fmt = fmt.replace("%B", MONTHS[day.month - 1].title())
    if "%b" in fmt:
        fmt = fmt.replace("%b", MONTHS[day.month - 1][:3].title())
    return day.strftime(fmt)


def _label(text: str, tags: list[str]) -> tuple[str, str]:
    """The tag an item's own label names (and the text without that label), else ('', text)."""
    for form in _LABEL_FORMS:
        match = form.search(text)
        if not match:
            continue
        label = match["label"].strip()
        tag = next((t for t in tags if t.casefold() == label.casefold()), None)
        if tag is None and tags:
            continue
        rest = (text[: match.start()] + text[match.end() :]).strip()
        return (tag or label), re.sub(r"\s{2,}", " ", rest)
    return "", text


def _without_deadline(text: str, span: tuple[int, int], shown: str) -> str:
    """The item's words with its deadline taken out when it only says when (a trailing 'by X',
    '(by X)', '— due X'), else the date written in the asked format where it stands."""
    start, end = span
    while start > 0 and _WEEKDAY_BEFORE.search(text[:start]):
        start = _WEEKDAY_BEFORE.search(text[:start]).start()  # "Sat 18 April": the weekday too
    before, after = text[:start], text[end:]
    cue = re.search(
        r"\s*(?:[—–-]\s*)?(?:\(\s*)?(?:(?:due|by|deadline|until|before|on|for)\s*:?\s*)?$",
        before,
        re.I,
    )
    opened = "(" in cue.group(0) if cue else False
    closing = re.match(r"\s*\)", after)
    if cue and (not after.strip() or (opened and closing)):
        rest = before[: cue.start()] + (after[closing.end() :] if opened and closing else after)
        return rest.strip(" —–-,;")
    return f"{text[:start]}{shown}{after}".strip()


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP}


def _alike(a: str, b: str) -> bool:
    """Two words alike: equal, or one an abbreviation ('ch', 'chapter') of the other."""
    return a == b or (min(len(a), len(b)) >= 2 and (a.startswith(b) or b.startswith(a)))


def _points_at(what: str, items: list[Item], own: int) -> int | None:
    """The item a 'before ...' phrase names: the one sharing most words with it (two at least)."""
    wanted = _words(what)
    best, best_score = None, 1
    for item in items:
        if item.line == own:
            continue
        words = _words(item.text)
        score = sum(any(_alike(w, v) for v in words) for w in wanted)
        if score > best_score:
            best, best_score = item.line, score
    return best


def sort_by_deadline(
    root: Path,
    path: str,
    year: int = 0,
    fmt: str = "YYYY-MM-DD",
    tags: list[str] | None = None,
    today: str = "",
) -> str:
    """A list's items in deadline order (earliest first), each led by its deadline in `fmt`
    and its tag; a line saying what was done, a blank line, then the new list."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    lines = text.splitlines()[:MAX_ITEMS]
    raw = [(n, m) for n, line in enumerate(lines, start=1) if (m := _ITEM.match(line))]
    bullet = "- "
    if len(raw) < 2:
        # A plain list, one item a line (a todo.txt without bullets): every line that is not
        # a heading is an item, and the list stays without bullets.
        raw = [
            (n, m)
            for n, line in enumerate(lines, start=1)
            if line.strip() and not line.lstrip().startswith("#") and (m := _PLAIN.match(line))
        ]
        bullet = ""
        dated = sum(
            bool(find_dates(m["text"], 2000) or _SHORT_SLASHED.search(m["text"])) for _, m in raw
        )
        if dated * 2 < len(raw):
            raw = []  # prose, not a list of things to do by a date
    if len(raw) < 2:
        return (
            f"Error: {name} holds fewer than two list items ('- ' lines, or lines that are "
            "mostly dated) to sort"
        )
    reference = None
    if today:
        found = find_dates(today, year or date.today().year)
        reference = found[0].day if found else None
    year = year or (reference.year if reference else date.today().year)
    texts = [m["text"] for _, m in raw]
    month_first = _month_first(texts)
    items = []
    for number, match in raw:
        item = _deadline(match["text"], year, reference, month_first)
        item.line = number
        item.box = f"[{match['box']}] " if match["box"] else ""
        items.append(item)
    by_line = {i.line: i for i in items}
    for item in items:
        before = _BEFORE.search(item.text) if item.due is None else None
        target = _points_at(before["what"], items, item.line) if before else None
        if target is not None and by_line[target].due is not None:
            item.after, item.due = target, by_line[target].due
    fmt_code = date_format(fmt)
    wanted = list(dict.fromkeys(t.strip() for t in tags or [] if t.strip()))
    labelled = {_label(i.text, wanted)[0] for i in items}
    spare = [t for t in wanted if t not in labelled]
    default = next((t for t in spare if t.casefold() in _CATCH_ALL), spare[-1] if spare else "")

    def order(item: Item) -> tuple[bool, date, int, int]:
        lead = by_line[item.after].line if item.after else item.line
        return (item.due is None, item.due or date.max, lead, 0 if item.after else 1)

    out, moved = [], []
    for item in sorted(items, key=order):
        # Tags only when the task asks for them; else each item keeps its own label as written.
        tag, words = _label(item.text, wanted) if wanted else ("", item.text)
        tag = tag or default
        shown = _written(item.due, fmt_code) if item.due else ""
        if item.span:
            words = _without_deadline(
                words,
                _span_in(item, words),
                shown,
            )
        if item.after:
            moved.append(f"line {item.line} has no date; placed before line {item.after}")
        lead = " ".join(p for p in (shown or "no deadline", f"[{tag}]" if tag else "") if p)
        out.append(f"{bullet}{item.box}{lead} {words}".rstrip())
    undated = sum(i.due is None for i in items)
    said = f"{name}: {len(items)} items sorted by deadline, earliest first"
    said += f", dates written as {fmt}" if fmt else ""
    said += f"; {undated} without a deadline last" if undated else ""
    said += f"; {'; '.join(moved)}" if moved else ""
    # The list's own title and lines before its first item stay on top.
    top = [line for line in lines[: raw[0][0] - 1]]
    while top and not top[-1].strip():
        top.pop()
    return f"{said}.\n\n" + "\n".join([*top, *([""] if top else []), *out])


def _span_in(item: Item, words: str) -> tuple[int, int]:
    """The deadline's span in the item's words once a leading label is taken off."""
    assert item.span is not None
    shift = len(item.text) - len(words) if item.text.endswith(words) else 0
    start, end = item.span
    if item.text[start:end] != words[start - shift : end - shift]:
        found = words.find(item.text[start:end])
        return (found, found + end - start) if found >= 0 else (len(words), len(words))
    return start - shift, end - shift


_LEVEL = "high|medium|med|low"
_PRIORITY = (
    (re.compile(r"^\(([A-E])\)\s"), lambda m: "ABCDE".index(m.group(1))),
    (re.compile(r"\bP([0-4])\b"), lambda m: int(m.group(1))),
    (re.compile(r"\b(?:urgent|critical|asap|blocker)\b|!!!", re.I), lambda m: 0),
    (
        # A level only where it is said to be the priority: 'priority: high', 'low priority',
        # '(low)', '[high]', '— low' at the end; not the 'low' of 'low-fat milk'.
        re.compile(
            rf"\bpriority\s*[:=]?\s*(?P<a>{_LEVEL})\b|\b(?P<b>{_LEVEL})[- ]priority\b"
            rf"|[(\[](?P<c>{_LEVEL})[)\]]|[—–-]\s*(?P<d>{_LEVEL})\s*$",
            re.I,
        ),
        lambda m: {"high": 1, "med": 2, "medium": 2}.get(
            next(g for g in m.groups() if g).lower(), 3
        ),
    ),
)
"""How people mark priority, most urgent rank 0: '(A) x', 'P1', 'urgent', 'high/medium/low'."""


def _rank(text: str) -> int | None:
    for pattern, rank in _PRIORITY:
        match = pattern.search(text)
        if match:
            return rank(match)
    return None


def sort_by_priority(root: Path, path: str) -> str:
    """A list's items most urgent first ('(A)', 'P1', 'urgent', 'high' before 'low'), the
    unmarked after the marked, each rank in the list's own order: a line saying what was done,
    a blank line, then the list with its text unchanged."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    lines = text.splitlines()[:MAX_ITEMS]
    at = [n for n, line in enumerate(lines) if _ITEM.match(line)]
    if len(at) < 2:
        return f"Error: {name} holds fewer than two list items ('- ' lines) to sort"
    ranks = {n: _rank(_ITEM.match(lines[n])["text"]) for n in at}
    marked = sum(r is not None for r in ranks.values())
    if marked == 0:
        return f"Error: no item of {name} marks a priority ('(A)', 'P1', 'high', 'urgent')"
    ordered = sorted(at, key=lambda n: (ranks[n] is None, ranks[n] or 0, n))
    top = lines[: at[0]]
    while top and not top[-1].strip():
        top.pop()
    said = (
        f"{name}: {len(at)} items, most urgent first ({marked} marked with a priority"
        f"{f', {len(at) - marked} unmarked last' if marked < len(at) else ''})."
    )
    return f"{said}\n\n" + "\n".join([*top, *([""] if top else []), *(lines[n] for n in ordered)])


class DeadlineInput(BaseModel):
    """Arguments of sort_by_deadline."""

    path: str = Field(min_length=1, description="A to-do list ('- ' items) under the project root.")
    year: int = Field(default=0, description="The year of dates written without one; 0: this year.")
    fmt: str = Field(default="YYYY-MM-DD", description="How to write each deadline ('DD/MM/YYYY').")
    tags: list[str] = Field(default_factory=list, description="Tags to give each item ('Lab').")
    today: str = Field(default="", description="Today's date, for 'by Friday'; empty: none.")
    part: int = Field(default=1, ge=1, le=50, description="Which part of a long answer.")


class PriorityInput(BaseModel):
    """Arguments of sort_by_priority."""

    path: str = Field(min_length=1, description="A to-do list ('- ' items) under the project root.")
    part: int = Field(default=1, ge=1, le=50, description="Which part of a long answer.")


def deadline_tools(root: Path) -> list[BaseTool]:
    """sort_by_deadline and sort_by_priority over the project folder `root`."""
    root = Path(root).resolve()

    def deadline_tool(
        path: str,
        year: int = 0,
        fmt: str = "YYYY-MM-DD",
        tags: list[str] | None = None,
        today: str = "",
        part: int = 1,
    ) -> str:
        return paged(sort_by_deadline(root, path, year, fmt, tags, today), part)

    def priority_tool(path: str, part: int = 1) -> str:
        return paged(sort_by_priority(root, path), part)

    return [
        StructuredTool.from_function(
            func=deadline_tool,
            name="sort_by_deadline",
            description=(
                "Rewrite a to-do list as one list sorted by deadline (dates read in any common "
                "shape, written in the format asked), each item tagged; every item kept."
            ),
            args_schema=DeadlineInput,
        ),
        StructuredTool.from_function(
            func=priority_tool,
            name="sort_by_priority",
            description=(
                "Reorder a to-do list most urgent first by the priority its items mark ('(A)', "
                "'P1', 'urgent', 'high'/'medium'/'low'); every item kept as written."
            ),
            args_schema=PriorityInput,
        ),
    ]
