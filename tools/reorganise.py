"""`regroup_checklist`, `merge_duplicates` and `sort_notes`: a person's list restructured as a task
asks, every entry kept verbatim.

A to-do list is regrouped by the field its items carry (a '(Project)' label, a '#tag', an
'@context', a 'project: X' field), each group in due-date order and the done items moved to a
'Done' section. A CSV's rows that share a key (an email compared ignoring case) are merged into
the fullest row, its blanks filled from the others, and sorted by a column. Loose notes are sorted
into topic sections (the ones named, else the common topics their words point to), nothing lost:
what fits no section stays under 'Other'. Each only moves the person's own lines; nothing is
invented.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.dates import document_year, find_dates
from tools.paging import paged
from tools.project import ProjectFileError, read_text, relative

MAX_ENTRIES = 2_000
"""Most entries one document's restructuring reads."""

# --- to-do lists --------------------------------------------------------------------------------

_CHECKBOX = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+\[(?P<mark>[ xX✓-])\]\s+(?P<text>.*\S)")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(?P<text>.*\S)")
_DONE_WORDS = re.compile(r"~~.+~~|\((?:done|completed?)\)|\b(?:DONE|done:)|✅", re.UNICODE)
_FIELDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("label", re.compile(r"\((?P<v>[A-Z][\w&/ .'-]{0,30}?)\)")),
    ("tag", re.compile(r"(?<![\w/#])#(?P<v>[A-Za-z][\w-]*)")),
    ("context", re.compile(r"(?<![\w.])@(?P<v>[A-Za-z][\w-]*)")),
    ("field", re.compile(r"\b(?:project|area|team|category|list)\s*[:=]\s*(?P<v>[\w&/-]+)", re.I)),
    ("bracket", re.compile(r"^\[(?P<v>[A-Z][\w&/ .'-]{0,30})\]")),
)
"""Ways an item names its group, tried in this order."""
_DUE_WORDS = re.compile(r"\b(?:due|by|deadline|until|before)\b[:\s]*$", re.I)


@dataclass(frozen=True)
class Todo:
    """One item of a to-do list."""

    line: int
    """Its line in the document."""
    text: str
    """Its text without the bullet and box."""
    done: bool
    """Whether it is ticked (or struck out, or marked done)."""
    due: date | None
    """The date it names (after 'due'/'by' when several)."""
    group: str
    """The group it names ('' when none)."""


def _due_of(text: str, year: int) -> date | None:
    found = find_dates(text, year)
    if not found:
        return None
    flagged = [f for f in found if _DUE_WORDS.search(text[: f.start])]
    return (flagged or found)[0].day


def _group_field(texts: list[str], by: str) -> re.Pattern[str] | None:
    """The way most items name a group; the one `by` spells out ('tag', 'project') first."""
    if by:
        wanted = by.lower()
        if wanted.startswith("tag"):
            return dict(_FIELDS)["tag"]
        if wanted.startswith(("context", "@")):
            return dict(_FIELDS)["context"]
    # The form most items use; on a tie, the earlier (more specific) one in _FIELDS.
    counts = [sum(bool(pattern.search(t)) for t in texts) for _, pattern in _FIELDS]
    best = max(range(len(_FIELDS)), key=lambda i: (counts[i], -i))
    return _FIELDS[best][1] if counts[best] >= max(2, len(texts) // 2) else None


def read_todos(text: str, year: int, by: str = "") -> tuple[str, list[Todo]]:
    """A document's title line ('' when none) and its list items, each with done, due, group."""
    title = ""
    raw: list[tuple[int, str, bool]] = []
    for number, line in enumerate(text.splitlines()[:MAX_ENTRIES], start=1):
        if not title and line.startswith("# "):
            title = line.strip()
        box = _CHECKBOX.match(line)
        if box:
            done = box["mark"] != " " or bool(_DONE_WORDS.search(box["text"]))
            raw.append((number, box["text"], done))
            continue
        bullet = _BULLET.match(line)
        if bullet:
            raw.append((number, bullet["text"], bool(_DONE_WORDS.search(bullet["text"]))))
    pattern = _group_field([t for _, t, _ in raw], by)
    todos = []
    for number, item, done in raw:
        match = pattern.search(item) if pattern else None
        group = match["v"].strip() if match else ""
        todos.append(Todo(number, item, done, _due_of(item, year), group))
    return title, todos


def regroup_checklist(root: Path, path: str, by: str = "", year: int = 0) -> str:
    """A to-do list regrouped: a heading per group, each in due order, done items last."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    title, todos = read_todos(text, document_year(text, year or date.today().year), by)
    if not todos:
        return f"Error: {name} holds no list items ('- ' or '- [ ] ' lines) to regroup"
    open_items = [t for t in todos if not t.done]
    done = [t for t in todos if t.done]

    def order(item: Todo) -> tuple[bool, date, int]:
        return (item.due is None, item.due or date.max, item.line)

    groups: dict[str, list[Todo]] = {}
    for item in sorted(open_items, key=order):
        groups.setdefault(item.group, []).append(item)
    # Groups by their most urgent item, so the heading to act on first comes first.
    ranked = sorted(groups, key=lambda g: (g == "", order(groups[g][0]), g.lower()))
    lines = [title] if title else []
    for group in ranked:
        lines += ["", f"## {group or 'No group'}"]
        lines += [f"- [ ] {t.text}" for t in groups[group]]
    if done:
        lines += ["", "## Done"]
        lines += [f"- [x] {t.text}" for t in sorted(done, key=order)]
    body = "\n".join(lines).strip("\n")
    kept = f"{len(open_items)} open, {len(done)} done"
    return f"{name} regrouped ({kept}; every item kept, each group by due date):\n\n{body}"


# --- duplicate rows ------------------------------------------------------------------------------

_KEY_HINTS = re.compile(r"e-?mail|\bid\b|_id$|phone|username|login|sku|code", re.I)


def _column(header: list[str], wanted: str, full: int | None = None) -> int | None:
    """The column a word names: its header, or one whose header holds the word ('last name'
    finds 'last_name', 'surname' too)."""
    key = re.sub(r"[^a-z0-9]", "", wanted.lower())
    if not key:
        return None
    flat = [re.sub(r"[^a-z0-9]", "", h.lower()) for h in header]
    for i, name in enumerate(flat):
        if name == key or name.rstrip("s") == key.rstrip("s"):
            return i
    # A part of a name the table has no column for is read from its full-name column.
    if full is None:
        full = next((i for i, h in enumerate(header) if _NAME_HEADER.search(h.strip())), None)
    if key in ("surname", "familyname", "last", "lastname"):
        return next((i for i, n in enumerate(flat) if n in ("lastname", "surname")), full)
    if key in ("first", "firstname", "givenname", "forename"):
        return next((i for i, n in enumerate(flat) if n in ("firstname", "givenname")), full)
    hits = [i for i, n in enumerate(flat) if key in n or (len(n) > 2 and n in key)]
    return hits[0] if len(hits) == 1 else None


def _fullness(row: list[str]) -> int:
    return sum(bool(v.strip()) for v in row)


_EMAIL_HEADER = re.compile(r"e-?mail", re.I)
_NAME_HEADER = re.compile(
    r"^(?:full[ _-]?)?name$|^(?:contact|member|person|customer)[ _-]?name$", re.I
)
_PHONE_HEADER = re.compile(r"phone|mobile|tel\b|cell", re.I)
_LAST_WORDS = ("last", "surname", "family")
_FIRST_WORDS = ("first", "given", "forename")


def first_last(name: str) -> str:
    """A person's name as 'First Last': 'Kim, Dana' turned round, one-case names capitalised
    ('liam abbott' -> 'Liam Abbott'); a name already in mixed case keeps its own spelling."""
    text = " ".join(name.split())
    if text.count(",") == 1:
        last, first = (p.strip() for p in text.split(","))
        if first and last:
            text = f"{first} {last}"
    if text and (text.islower() or text.isupper()):
        text = " ".join(w[:1].upper() + w[1:].lower() for w in text.split(" "))
    return text


_PERSON = re.compile(r"^[A-Za-z][A-Za-z'.-]+(?:,? [A-Za-z][A-Za-z'.-]+){1,3}$")
"""A cell that reads as a person's name: two to four words, maybe 'Last, First'."""


def name_column(header: list[str], rows: list[list[str]]) -> int | None:
    """The column of people's full names: its header says so ('name', 'member_name'), else it
    is the one column whose cells mostly read as names ('volunteer': 'Okafor, Chidi')."""
    for i, h in enumerate(header):
        if _NAME_HEADER.search(h.strip()):
            return i
    named = [
        i
        for i, h in enumerate(header)
        if not _EMAIL_HEADER.search(h)
        and sum(bool(_PERSON.match(r[i].strip())) for r in rows if i < len(r)) * 4 >= len(rows) * 3
    ]
    return named[0] if len(named) == 1 else None


def _tidy(header: str, value: str, tidy: bool, is_name: bool) -> str:
    """A cell written the one way the task asks (`tidy`): emails in lower case, names as
    'First Last'; as written otherwise."""
    value = value.strip()
    if tidy and _EMAIL_HEADER.search(header):
        return value.lower()
    if tidy and is_name:
        return first_last(value)
    return value


def _match_key(header: str, value: str, is_name: bool) -> str:
    """The form duplicates share: case and spacing ignored; a phone's digits; a name's order."""
    if _PHONE_HEADER.search(header):
        return re.sub(r"\D", "", value)
    if is_name:
        value = first_last(value)
    return " ".join(value.split()).casefold()


def _day_of(value: str) -> date | None:
    found = find_dates(value, 1)
    return found[0].day if len(found) == 1 and found[0].explicit_year else None


def _sort_value(header: str, value: str, wanted: str, is_name: bool) -> str:
    """What a row sorts on: a full-name column sorts on the surname (or given name) when the
    task asks for that part of the name."""
    word = wanted.lower()
    if is_name and not any(w in header.lower() for w in _LAST_WORDS):
        parts = first_last(value).split()
        if parts and any(w in word for w in _LAST_WORDS):
            return " ".join([parts[-1], *parts[:-1]]).casefold()
        if parts and any(w in word for w in _FIRST_WORDS):
            return " ".join(parts).casefold()
    return value.strip().casefold()


def _csv_rows(root: Path, path: str) -> tuple[str, list[str], list[list[str]]] | str:
    """A project CSV (or TSV) as its name, stripped header and non-blank data rows (at most
    MAX_ENTRIES), or an 'Error: ...' line saying why it cannot be read as one."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    delimiter = "\t" if name.lower().endswith(".tsv") else ","
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))[: MAX_ENTRIES + 1]
    except csv.Error as err:
        return f"Error: {name} does not parse as CSV: {err}"
    rows = [r for r in rows if any(v.strip() for v in r)]
    if len(rows) < 2:
        return f"Error: {name} has no data rows under its header"
    return name, [h.strip() for h in rows[0]], rows[1:]


def merge_duplicates(
    root: Path,
    path: str,
    key: str = "",
    sort_by: str = "",
    columns: list[str] | None = None,
    names_first: bool = False,
    dates: str = "",
) -> str:
    """A CSV's rows merged by a key column compared ignoring case and spaces (the fullest row
    kept, its blanks filled from its duplicates; a date column's earliest or latest value when
    `dates` says so), sorted by a column, only the `columns` asked; with `names_first`, names
    written 'First Last' and emails in lower case. The CSV text."""
    read = _csv_rows(root, path)
    if isinstance(read, str):
        return read
    name, header, data = read
    delimiter = "\t" if name.lower().endswith(".tsv") else ","
    at = _column(header, key) if key else None
    if at is None and not key:
        hinted = [i for i, h in enumerate(header) if _KEY_HINTS.search(h)]
        at = hinted[0] if hinted else None
    if at is None:
        wanted = f"'{key}'" if key else "an email or id column"
        return f"Error: {name} has no {wanted} to match duplicates by (columns: {header})"
    width = len(header)
    person = name_column(header, data)
    picked = [_column(header, c, person) for c in columns or []]
    shown = [i for i in dict.fromkeys(picked) if i is not None] or list(range(width))
    unknown = [c for c, i in zip(columns or [], picked, strict=True) if i is None]
    merged: dict[str, list[str]] = {}
    sources: dict[str, list[int]] = {}
    changed_dates: list[str] = []
    for number, raw in enumerate(data, start=2):
        row = [
            _tidy(h, v, names_first, i == person)
            for i, (h, v) in enumerate(zip(header, (raw + [""] * width)[:width], strict=True))
        ]
        match_key = _match_key(header[at], row[at], at == person) or f"(blank row {number})"
        sources.setdefault(match_key, []).append(number)
        kept = merged.get(match_key)
        if kept is None:
            merged[match_key] = row
            continue
        fuller, other = (row, kept) if _fullness(row) > _fullness(kept) else (kept, row)
        joined = [f if f.strip() else o for f, o in zip(fuller, other, strict=True)]
        for i, (a, b) in enumerate(zip(kept, row, strict=True)):
            day_a, day_b = _day_of(a), _day_of(b)
            if dates and day_a and day_b and day_a != day_b:
                later = day_b > day_a
                joined[i] = (b if later else a) if dates == "latest" else (a if later else b)
                changed_dates.append(header[i])
        merged[match_key] = joined
    order = _column(header, sort_by, person) if sort_by else None
    result = list(merged.values())
    if order is not None:
        result.sort(
            key=lambda r: (
                _sort_value(header[order], r[order], sort_by, order == person),
                r[at].casefold(),
            )
        )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow([header[i] for i in shown])
    writer.writerows([[r[i] for i in shown] for r in result])
    merges = [
        f"- rows on lines {', '.join(map(str, lines))} share {header[at]} "
        f"'{merged[k][at]}': merged into one"
        for k, lines in sources.items()
        if len(lines) > 1
    ]
    part = ""
    if (
        order is not None
        and sort_by
        and _sort_value(header[order], "a b", sort_by, order == person) == "b a"
    ):
        part = " (surname)"
    sorted_by = f", sorted by {header[order]}{part}" if order is not None else ""
    kept_dates = ""
    if changed_dates:
        kept_dates = f"; the {dates} {', '.join(dict.fromkeys(changed_dates))} kept"
    said = [
        f"{name}: {len(data)} rows, {len(result)} after merging duplicates of {header[at]} "
        f"(ignoring case){sorted_by}; the fullest row of each kept, blanks filled from the "
        f"others{kept_dates}.",
        *(merges or ["- no duplicates found"]),
        *([f"- no column {', '.join(map(repr, unknown))} in {name}; left out"] if unknown else []),
        "",
        out.getvalue().rstrip("\n"),
    ]
    return "\n".join(said)


def pick_columns(root: Path, path: str, columns: list[str], sort_by: str = "") -> str:
    """A CSV with only the `columns` asked, in that order (sorted by a column when asked):
    a line saying what was kept, a blank line, then the CSV text."""
    read = _csv_rows(root, path)
    if isinstance(read, str):
        return read
    name, header, data = read
    delimiter = "\t" if name.lower().endswith(".tsv") else ","
    person = name_column(header, data)
    picked = [(c, _column(header, c, person)) for c in columns]
    missing = [c for c, i in picked if i is None]
    if missing:
        return f"Error: {name} has no column {', '.join(map(repr, missing))} (columns: {header})"
    at = [i for _, i in picked if i is not None]
    width = len(header)
    data = [(r + [""] * width)[:width] for r in data]
    order = _column(header, sort_by, person) if sort_by else None
    if order is not None:
        data.sort(key=lambda r: _sort_value(header[order], r[order], sort_by, order == person))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow([header[i] for i in at])
    writer.writerows([[r[i].strip() for i in at] for r in data])
    sorted_by = f", sorted by {header[order]}" if order is not None else ""
    if order is not None and _sort_value(header[order], "a b", sort_by, order == person) == "b a":
        sorted_by += " (surname)"
    said = f"{name}: {len(data)} rows, columns {', '.join(header[i] for i in at)} kept{sorted_by}."
    return f"{said}\n\n" + out.getvalue().rstrip("\n")


# --- repeated lines of a list -------------------------------------------------------------------

_LEAD = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?")


def _line_key(text: str) -> str:
    """What two lines that say the same thing share: no bullet, case, spacing or end stop;
    a name written 'Last, First' read as 'First Last'."""
    bare = _LEAD.sub("", text).strip().rstrip(".;,")
    if re.fullmatch(r"[^\W\d_][\w'.-]*, [^\W\d_][\w' .-]*", bare):
        bare = first_last(bare)
    return " ".join(bare.split()).casefold()


def dedupe_lines(root: Path, path: str) -> str:
    """A list's lines with repeats dropped (compared ignoring bullets, case, spacing and name
    order), the first of each kept where it stands: what was dropped, a blank line, the list."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    kept: list[str] = []
    first: dict[str, int] = {}
    dropped: list[str] = []
    for number, line in enumerate(text.splitlines()[:MAX_ENTRIES], start=1):
        key = _line_key(line)
        if not key or line.lstrip().startswith("#"):
            kept.append(line)
            continue
        if key in first:
            dropped.append(
                f"line {number} repeats line {first[key]} ({_LEAD.sub('', line).strip()})"
            )
            continue
        first[key] = number
        kept.append(line)
    if not first:
        return f"Error: {name} has no lines to compare"
    said = f"{name}: {len(first) + len(dropped)} entries, {len(dropped)} repeated"
    said += (
        f", dropped (the first of each kept in place): {'; '.join(dropped)}."
        if dropped
        else ("; nothing to drop.")
    )
    # One line of what was done, then the list: the list may hold blank lines of its own.
    return f"{said}\n\n" + "\n".join(kept).strip("\n")


# --- loose notes into sections -------------------------------------------------------------------

TOPICS: dict[str, tuple[str, ...]] = {
    "Travel": (
        "train",
        "flight",
        "fly",
        "plane",
        "airport",
        "hotel",
        "check-in",
        "checkin",
        "booking",
        "boarding",
        "coach",
        "seat",
        "taxi",
        "uber",
        "car",
        "bus",
        "ferry",
        "rail",
        "return",
        "rebook",
        "depart",
        "arrive",
        "arrival",
        "departure",
        "visa",
        "passport",
        "luggage",
        "accommodation",
        "airbnb",
        "stay",
        "trip",
        "route",
        "van",
        "hire",
        "rental",
        "drive",
    ),
    "Talk": (
        "slides",
        "slide",
        "talk",
        "presentation",
        "present",
        "demo",
        "speaker",
        "rehearse",
        "rehearsal",
        "keynote",
        "deck",
        "audience",
        "q&a",
        "abstract",
        "session",
        "panel",
    ),
    "Budget": (
        "eur",
        "usd",
        "gbp",
        "€",
        "$",
        "£",
        "cost",
        "costs",
        "fee",
        "fees",
        "per-diem",
        "perdiem",
        "reimbursable",
        "reimburse",
        "reimbursement",
        "receipt",
        "receipts",
        "paid",
        "pay",
        "invoice",
        "budget",
        "expense",
        "expenses",
        "price",
        "card",
        "refund",
        "allowance",
    ),
    "Meetings": ("meet", "meeting", "call", "lunch", "dinner", "coffee", "catch", "sync"),
    "To do": ("todo", "to-do", "remember", "don't forget", "need", "must", "should"),
}
"""Common topics of loose notes and the words that point to each (the section a task names
uses its own name as its word, plus the topic whose name it matches or is like)."""
_SYNONYMS = {
    "presentation": "Talk",
    "slides": "Talk",
    "speaking": "Talk",
    "talks": "Talk",
    "money": "Budget",
    "costs": "Budget",
    "expenses": "Budget",
    "finance": "Budget",
    "finances": "Budget",
    "reimbursement": "Budget",
    "logistics": "Travel",
    "transport": "Travel",
    "accommodation": "Travel",
    "trip": "Travel",
    "todo": "To do",
    "tasks": "To do",
}


NAMED_TOPICS: dict[str, tuple[str, ...]] = {
    "venue": (
        "venue",
        "hall",
        "room",
        "space",
        "capacity",
        "parking",
        "location",
        "address",
        "floor",
        "tables",
        "chairs",
        "access",
        "ramp",
        "centre",
        "center",
    ),
    "food": (
        "food",
        "catering",
        "caterer",
        "lunch",
        "dinner",
        "breakfast",
        "sandwiches",
        "cake",
        "snacks",
        "drinks",
        "coffee",
        "menu",
        "vegetarian",
        "vegan",
        "allergies",
        "deli",
    ),
    "guests": (
        "guests",
        "guest",
        "invite",
        "invites",
        "invitation",
        "invitations",
        "rsvp",
        "attendees",
        "cousins",
        "family",
        "friends",
        "plus-one",
        "seating",
    ),
    "music": (
        "music",
        "band",
        "dj",
        "playlist",
        "speakers",
        "sound",
        "song",
        "songs",
        "mic",
        "microphone",
        "piano",
    ),
    "accommodation": ("hotel", "room", "check-in", "airbnb", "hostel", "stay", "nights"),
    "kids": ("kids", "children", "child", "school", "nursery", "babysitter", "homework"),
    "health": ("doctor", "dentist", "gp", "pharmacy", "prescription", "appointment", "gym"),
    "work": ("client", "report", "deadline", "manager", "colleague", "office", "project"),
    "shopping": ("buy", "order", "shop", "groceries", "amazon", "store", "pick up"),
}
"""Further topics a task may name as sections, with the words that point to each (offered only
when named, so unasked notes are not split finer than the common topics)."""
_NAMED_SYNONYMS = {
    "catering": "food",
    "meals": "food",
    "drinks": "food",
    "people": "guests",
    "invitations": "guests",
    "entertainment": "music",
    "location": "venue",
    "place": "venue",
    "hotel": "accommodation",
    "lodging": "accommodation",
    "children": "kids",
    "family": "kids",
    "medical": "health",
    "job": "work",
    "errands": "shopping",
    "groceries": "shopping",
}


_LABEL = re.compile(r"^([A-Za-z][A-Za-z -]{1,24}?)\s*:\s+\S")
"""An entry's own leading label ('exam: bring a calculator')."""


def _own_labels(entries: list[str]) -> list[str]:
    """Topics the entries name themselves: a leading label whose word recurs in two entries or
    more ('meiosis: ...', '... (meiosis)'), in order of first use."""
    labels = dict.fromkeys(m[1].strip().lower() for e in entries if (m := _LABEL.match(e)))
    found = []
    for label in labels:
        pattern = re.compile(rf"\b{re.escape(label)}\b", re.IGNORECASE)
        if sum(bool(pattern.search(e)) for e in entries) >= 2:
            found.append(label[:1].upper() + label[1:])
    return found


def _words_of(section: str) -> tuple[str, ...]:
    """The words that point to a section: its own name, and those of the topic it names."""
    key = section.strip().lower()
    topic = next((t for t in TOPICS if t.lower() == key), _SYNONYMS.get(key))
    named = key if key in NAMED_TOPICS else _NAMED_SYNONYMS.get(key)
    more = TOPICS[topic] if topic else NAMED_TOPICS[named] if named else ()
    return (key, *more)


def _score(text: str, words: tuple[str, ...]) -> int:
    lowered = text.lower()
    tokens = set(re.findall(r"[a-z][a-z&'-]*|[€$£]", lowered))
    return sum(
        (w in tokens) if re.fullmatch(r"[a-z&'-]+|[€$£]", w) else (w in lowered) for w in words
    )


def sort_notes(
    root: Path, path: str, sections: list[str] | None = None, only_named: bool = False
) -> str:
    """A document's loose entries sorted into topic sections, each entry verbatim and kept;
    `only_named`: the sections given (and 'Other') only, no common topics added."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    title = ""
    entries: list[str] = []
    present: list[str] = []
    for line in text.splitlines()[:MAX_ENTRIES]:
        stripped = line.strip()
        if not stripped:
            continue
        heading = re.match(r"^#{1,6}\s+(.*\S)", stripped)
        if heading:
            if not title and stripped.startswith("# "):
                title = stripped
            else:
                present.append(heading.group(1))
            continue
        bullet = _BULLET.match(line)
        entries.append(bullet["text"] if bullet else stripped)
    if not entries:
        return f"Error: {name} holds no entries to sort"
    named = [s.strip() for s in (sections or []) if s.strip()] + present
    chosen = list(dict.fromkeys(named))
    # Topics the entries point to complete the named ones (two entries or more each).
    for topic, words in () if only_named and named else TOPICS.items():
        if any(_words_of(c) == _words_of(topic) for c in chosen):
            continue
        if sum(_score(e, words) > 0 for e in entries) >= 2:
            chosen.append(topic)
    if not (only_named and named):
        chosen += [
            t
            for t in _own_labels(entries)
            if all(_words_of(c) != (t.lower(),) and t.lower() not in _words_of(c) for c in chosen)
        ]
    placed: dict[str, list[str]] = {c: [] for c in [*chosen, "Other"]}
    for entry in entries:
        label = _LABEL.match(entry)
        own = label and next((c for c in chosen if c.lower() == label[1].lower()), None)
        if own:
            # An entry labelled with a section's name ('exam: ...') belongs there.
            placed[own].append(entry)
            continue
        scores = [(_score(entry, _words_of(c)), -i, c) for i, c in enumerate(chosen)]
        best = max(scores) if scores else (0, 0, "Other")
        placed[best[2] if best[0] > 0 else "Other"].append(entry)
    lines = [title] if title else []
    for section, items in placed.items():
        if items:
            lines += ["", f"## {section}", *(f"- {e}" for e in items)]
    shown = [s for s, items in placed.items() if items]
    body = "\n".join(lines).strip("\n")
    return (
        f"{name} sorted into {len(shown)} sections ({', '.join(shown)}); all {len(entries)} "
        f"entries kept, each as written:\n\n{body}"
    )


# --- the tools -----------------------------------------------------------------------------------


class RegroupInput(BaseModel):
    """Arguments of regroup_checklist."""

    path: str = Field(min_length=1, description="A markdown/text to-do list under the project.")
    by: str = Field(default="", description="What to group by ('tag', 'project'); empty: guess.")
    year: int = Field(default=0, ge=0, le=2200, description="Year for dates that give none.")
    part: int = Field(default=1, ge=1, le=50, description="Which part of a long answer.")


class MergeInput(BaseModel):
    """Arguments of merge_duplicates."""

    path: str = Field(min_length=1, description="A CSV or TSV file under the project root.")
    key: str = Field(default="", description="The column duplicates share (e.g. 'email').")
    sort_by: str = Field(
        default="",
        description="The column to sort the rows by ('last name' sorts a full-name "
        "column by surname); empty: none.",
    )
    columns: list[str] = Field(
        default_factory=list, description="The columns to keep, in order; empty: all."
    )
    names_first: bool = Field(
        default=False,
        description="Write names as 'First Last' (not 'Last, First') and emails in lower case.",
    )
    dates: str = Field(
        default="", description="'earliest' or 'latest': which date a merged row keeps."
    )
    part: int = Field(default=1, ge=1, le=50, description="Which part of a long answer.")


class PickColumnsInput(BaseModel):
    """Arguments of pick_columns."""

    path: str = Field(min_length=1, description="A CSV or TSV file under the project root.")
    columns: list[str] = Field(min_length=1, description="The columns to keep, in order.")
    sort_by: str = Field(default="", description="The column to sort the rows by; empty: none.")
    part: int = Field(default=1, ge=1, le=50, description="Which part of a long answer.")


class DedupeLinesInput(BaseModel):
    """Arguments of dedupe_lines."""

    path: str = Field(min_length=1, description="A list (one entry a line) under the project root.")
    part: int = Field(default=1, ge=1, le=50, description="Which part of a long answer.")


class SortNotesInput(BaseModel):
    """Arguments of sort_notes."""

    path: str = Field(min_length=1, description="A markdown/text document of loose notes.")
    sections: list[str] = Field(
        default_factory=list, description="Section names to sort into; empty: common topics."
    )
    only_named: bool = Field(
        default=False, description="Only the sections given (and 'Other'), no topics added."
    )
    part: int = Field(default=1, ge=1, le=50, description="Which part of a long answer.")


def reorganise_tools(root: Path) -> list[BaseTool]:
    """regroup_checklist, merge_duplicates, dedupe_lines and sort_notes over the project folder
    `root`."""
    root = Path(root).resolve()

    def regroup_tool(path: str, by: str = "", year: int = 0, part: int = 1) -> str:
        return paged(regroup_checklist(root, path, by, year), part)

    def merge_tool(
        path: str,
        key: str = "",
        sort_by: str = "",
        columns: list[str] | None = None,
        names_first: bool = False,
        dates: str = "",
        part: int = 1,
    ) -> str:
        report = merge_duplicates(root, path, key, sort_by, columns, names_first, dates)
        return paged(report, part)

    def sort_tool(
        path: str, sections: list[str] | None = None, only_named: bool = False, part: int = 1
    ) -> str:
        return paged(sort_notes(root, path, sections, only_named), part)

    def dedupe_tool(path: str, part: int = 1) -> str:
        return paged(dedupe_lines(root, path), part)

    def pick_tool(path: str, columns: list[str], sort_by: str = "", part: int = 1) -> str:
        return paged(pick_columns(root, path, columns, sort_by), part)

    return [
        StructuredTool.from_function(
            func=pick_tool,
            name="pick_columns",
            description=(
                "A CSV with only the columns named, in that order, optionally sorted by a "
                "column ('surname' sorts a full-name column by last name); returns the CSV."
            ),
            args_schema=PickColumnsInput,
        ),
        StructuredTool.from_function(
            func=dedupe_tool,
            name="dedupe_lines",
            description=(
                "Drop the repeated entries of a list (one a line), compared ignoring bullets, "
                "case, spacing and 'Last, First' order; the first of each kept in place."
            ),
            args_schema=DedupeLinesInput,
        ),
        StructuredTool.from_function(
            func=regroup_tool,
            name="regroup_checklist",
            description=(
                "Regroup a to-do list: a heading per project/tag its items name, each group "
                "sorted by due date, done items moved to a 'Done' section; every item kept."
            ),
            args_schema=RegroupInput,
        ),
        StructuredTool.from_function(
            func=merge_tool,
            name="merge_duplicates",
            description=(
                "Merge a CSV's duplicate rows (same key column, ignoring case): keep the fullest "
                "row, fill its blanks from the others, sort by a column; returns the CSV."
            ),
            args_schema=MergeInput,
        ),
        StructuredTool.from_function(
            func=sort_tool,
            name="sort_notes",
            description=(
                "Sort a document's loose notes into topic sections (the ones named, else common "
                "topics such as Travel, Talk, Budget); every entry kept verbatim."
            ),
            args_schema=SortNotesInput,
        ),
    ]
