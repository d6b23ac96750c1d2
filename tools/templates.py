"""`fill_template`: raw notes sorted into the empty sections of a document the person set up.

A person often takes notes as they come (a call, a meeting, a chat) and then makes a structured
document with empty headings: Decisions, Action items, Open questions, Attendees, Notes... Each
note line is placed under the heading whose kind it is: a question or something still unclear
under the questions heading, what was agreed or decided under the decisions one, who does what by
when under the actions one (its owner and due date read from the line), and otherwise under the
heading whose words it shares, else an 'Other notes' section so nothing is lost. Lines are quoted
as written; only the owner and due date an action line itself names are added beside it.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.dates import day_heading, document_year, find_dates
from tools.paging import paged
from tools.project import ProjectFileError, read_text, relative

MAX_LINES = 1_000
"""Most note lines one fill reads."""

_HEADING = re.compile(
    r"^(?:(?P<hashes>#{1,6})\s+(?P<name>.*\S)|(?P<label>[A-Z][\w /&'-]{1,40}):)\s*$"
)
"""A heading: markdown ('## Decisions') or a label alone on its line ('Decisions:')."""


def _level(match: re.Match[str]) -> int:
    return len(match["hashes"]) if match["hashes"] else 7


_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?")
SECTION_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "question",
        re.compile(r"question|unresolved|unknown|parking|open (?:points|issues)|tbd", re.I),
    ),
    (
        "decision",
        re.compile(r"decision|decided|agreed|agreement|outcome|resolution|conclusion", re.I),
    ),
    (
        "action",
        re.compile(r"action|to-?dos?|tasks?|next steps?|follow-?ups?|owners?|who does", re.I),
    ),
    ("people", re.compile(r"attendees|participants|present|people|who was there", re.I)),
)
"""What kind of line a heading collects, read from its name."""
_QUESTION = re.compile(
    r"\?|\b(?:unclear|not (?:yet )?(?:sure|decided|clear|known|agreed|confirmed)|undecided|tbd|tbc"
    r"|to be (?:decided|confirmed)|open question|unknown|no idea|don'?t know|whether|wondering)\b",
    re.I,
)
_DECISION = re.compile(
    r"\b(?:agreed|decided|decision|we(?:'ll| will) go with|go(?:ing)? with|approved|signed off"
    r"|settled on|chose|chosen|confirmed|final(?:ised|ized)?)\b",
    re.I,
)
_ACTION = re.compile(
    r"\b(?:will|to do|needs? to|must|should|has to|have to|owes?|action|todo|follow up|sends?"
    r"|emails?|books?|calls?|checks?|asks?|gets?|prepares?|drafts?|shares?|writes?)\b",
    re.I,
)
_DUE = re.compile(r"\b(?:by|before|due|until|no later than|deadline)\b", re.I)
_OWNER = re.compile(
    r"^(?:(?:action|todo)\s*[:\-]\s*)?(?P<who>I|we|[A-Z][a-z]+(?: [A-Z][a-z]+)?)"
    r"(?:\s*\([^)]*\))?\s+(?:will|to|needs? to|must|should|has to|have to|is going to|[a-z]+s)\b"
)
_OWNER_LATE = re.compile(r"\b(?P<who>[A-Z][a-z]+)\s+(?:will|to|is going to)\s+\w+")
_NOT_NAMES = frozenset(
    "The They This That These Those We It There Then Also Still Maybe Need Next Call Contract "
    "Agreed Pilot Send Ask Check Book".split()
)


def _kind_of(heading: str) -> str:
    for kind, pattern in SECTION_KINDS:
        if pattern.search(heading):
            return kind
    return "topic"


def _kind_of_line(text: str, kinds: set[str]) -> str | None:
    """The kind of section a note line belongs in, among those the template has."""
    decided = _DECISION.search(text) and not re.search(
        r"\bnot (?:yet )?\w*\s*decided\b", text, re.I
    )
    if "decision" in kinds and decided and "?" not in text:
        return "decision"  # a question mark makes it open, whatever it says was signed off
    if "question" in kinds and _QUESTION.search(text):
        return "question"
    if "action" in kinds and (_OWNER.search(text) or (_ACTION.search(text) and _DUE.search(text))):
        return "action"
    if "decision" in kinds and decided:
        return "decision"
    return None


def _owner(text: str) -> str:
    match = _OWNER.search(text) or _OWNER_LATE.search(text)
    if not match or match["who"] in _NOT_NAMES:
        return ""
    who = match["who"]
    return "me" if who == "I" else "us" if who.lower() == "we" else who


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{3,}", text.lower())}


def fill_template(root: Path, path: str, notes_path: str, year: int = 0) -> str:
    """The document at `path` with each of its headings filled with the lines of `notes_path`
    that belong there: a line saying what was placed where, a blank line, then the new text."""
    try:
        real, template = read_text(root, path)
        real_notes, notes = read_text(root, notes_path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name, source = relative(root, real), relative(root, real_notes)
    lines = template.splitlines()
    found = [(i, m) for i, line in enumerate(lines) if (m := _HEADING.match(line))]
    top = min((_level(m) for _, m in found), default=1)
    # A document's title (its one top-level heading over deeper ones) collects nothing.
    titled = sum(_level(m) == top for _, m in found) == 1 and len(found) > 1
    headings = [(i, m["name"] or m["label"]) for i, m in found if not (titled and _level(m) == top)]
    kinds = {i: _kind_of(h) for i, h in headings}
    if sum(k != "topic" for k in kinds.values()) < 1 or len(headings) < 2:
        return f"Error: {name} has no headings such as Decisions, Action items or Open questions"
    year = document_year(notes + "\n" + template, year or date.today().year)
    placed: dict[int, list[str]] = {i: [] for i, _ in headings}
    other: list[str] = []
    by_kind = {k: i for i, k in reversed(list(kinds.items()))}
    topics = {i: _words(h) for i, h in headings if kinds[i] == "topic"}
    note_lines = [ln for ln in notes.splitlines()[:MAX_LINES] if ln.strip()]
    for number, raw in enumerate(note_lines, start=1):
        if _HEADING.match(raw):
            continue
        text = _BULLET.sub("", raw).strip()
        if number == 1 and not _BULLET.match(raw) and "people" not in kinds.values():
            continue  # the notes' own title line: who and when, already the document's title
        kind = _kind_of_line(text, set(kinds.values()))
        if kind is None and number == 1:
            kind = "people" if "people" in kinds.values() else None
        if kind is not None:
            entry = text
            if kind == "action":
                owner = _owner(text)
                due = [f for f in find_dates(text, year) if _DUE.search(text[: f.start])]
                extra = [
                    f"owner: {owner}" if owner else "",
                    f"due {day_heading(due[0].day)}" if due else "",
                ]
                extra = [e for e in extra if e]
                entry += f" ({'; '.join(extra)})" if extra else ""
            placed[by_kind[kind]].append(entry)
            # An open question someone promised to answer is also that person's action.
            owner = _owner(text) if kind == "question" and "action" in kinds.values() else ""
            if owner and owner not in ("me", "us") and _OWNER_LATE.search(text):
                placed[by_kind["action"]].append(f"{owner} to find out: {text}")
            continue
        shared = {i: len(_words(text) & w) for i, w in topics.items()}
        best = max(shared, key=lambda i: (shared[i], -i)) if shared else None
        if best is not None and shared[best] > 0:
            placed[best].append(text)
        else:
            other.append(text)
    out: list[str] = []
    ends = [i for i, _ in headings[1:]] + [len(lines)]
    out += lines[: headings[0][0]]
    for (start, _), end in zip(headings, ends, strict=True):
        body = [ln for ln in lines[start + 1 : end]]
        while body and not body[-1].strip():
            body.pop()
        out += [lines[start], *body]
        out += [f"- {t}" for t in placed[start]]
        out.append("")
    if other:
        out += ["## Other notes", *[f"- {t}" for t in other], ""]
    count = {h: len(placed[i]) for i, h in headings}
    said = ", ".join(f"{n} under '{h}'" for h, n in count.items())
    said += f", {len(other)} under 'Other notes'" if other else ""
    return f"{name} filled from {source}: {said}.\n\n" + "\n".join(out).rstrip("\n") + "\n"


class FillTemplateInput(BaseModel):
    """Arguments of fill_template."""

    path: str = Field(min_length=1, description="The structured document with the headings.")
    notes_path: str = Field(min_length=1, description="The raw notes to sort into it.")
    year: int = Field(
        default=0, description="The year of dates written without one; 0: the notes'."
    )
    part: int = Field(default=1, ge=1, le=50, description="Which part of a long answer.")


def template_tools(root: Path) -> list[BaseTool]:
    """fill_template over the project folder `root`."""
    root = Path(root).resolve()

    def fill_tool(path: str, notes_path: str, year: int = 0, part: int = 1) -> str:
        return paged(fill_template(root, path, notes_path, year), part)

    return [
        StructuredTool.from_function(
            func=fill_tool,
            name="fill_template",
            description=(
                "Sort raw notes into the headings of a structured document (Decisions, Action "
                "items with owner and due date, Open questions, topic headings); every note kept."
            ),
            args_schema=FillTemplateInput,
        )
    ]
