"""Strong cues in the person's last action that name the help outright.

The drafter's kind model reads the whole window; some last actions say more than any window:
typing a heading into a document and pausing asks for that part to be drafted (or, when the
heading groups a data file just looked at "by" something, for that data organised), and
searching for what a piece of code on screen means asks for it explained. A cue gives one
draft worded from the names in the events themselves; the drafter offers it first.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

from backends.local.text import command_files, read_event
from graphs.state import Draft, Event

RECENT = 6
"""How many of the latest events a cue looks back over for the files around the last action."""
DOCUMENT_EXTENSIONS = frozenset("md markdown txt rst docx doc odt tex org adoc pages".split())
DATA_EXTENSIONS = frozenset("csv tsv xlsx xls ods json".split())
CODE_EXTENSIONS = frozenset("py js ts tsx jsx rb go rs java kt c cc cpp h cs php sh sql".split())

_HEADING_ACTION = re.compile(
    r"\b(?:types?|typed|typing|adds?|added|writes?|wrote|creates?|created|starts?|started)\b"
    r"[^'\"]{0,40}\bheading\b",
    re.IGNORECASE,
)
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$")
_BY = re.compile(r"\bby ([a-z][\w-]*(?: [a-z][\w-]*)?)\s*$", re.IGNORECASE)
_SEARCH = re.compile(
    r"\b(?:search\w*|googl\w*|types? .{0,30}(?:search|address) (?:box|bar)|asks?)\b", re.IGNORECASE
)
_CODE_QUESTION = re.compile(
    r"[\[\]{}\\^$|]|\b(?:what does|what is|why does|how does|meaning of|what do)\b", re.IGNORECASE
)
_SEARCHED_FOR = re.compile(
    r"\bsearch\w*\b[^'\"]{0,40}?\bfor\s+['\"]([^'\"]{1,60})['\"]", re.IGNORECASE
)
_SUMMARY_NAME = re.compile(
    r"summar|recap|minutes|digest|tl-?dr|overview|key-?points|key[- ]findings|takeaways"
    r"|highlights|where we (?:landed|are|stand)|wrap-?up|debrief|outcomes?\b",
    re.I,
)
_CREATES = re.compile(r"\b(?:creates?|created|starts?|started|opens? a new|new)\b", re.I)
_REQUEST_TITLE = re.compile(
    r"\b(?:pull|merge) request\s+(?:#?\d+\s+)?['\"]([^'\"]{3,80})['\"]", re.I
)
_REVIEWING = re.compile(r"\breview(?:s|ing)?\b|\bpull request\b|\bmerge request\b", re.I)
_FORMULA = re.compile(r"^=\s*[A-Z][A-Z0-9.]*\(")
_CELL = re.compile(r"\bcell\s+([A-Z]{1,3}[0-9]{1,7})\b")
_IDENTIFIER = re.compile(r"^(?:[A-Z][A-Z0-9]*_[A-Z0-9_]+|[a-z]+_[a-z0-9_]+|[A-Za-z_]\w*\(\))$")


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _recent_files(events: Sequence[Event], extensions: frozenset[str]) -> list[str]:
    """Files of the given extensions the latest events name, most recent first."""
    found: list[str] = []
    for event in reversed(events[-RECENT:]):
        for name in (f for q in read_event(event.text).files for f in command_files(q)):
            if _extension(name) in extensions and name not in found:
                found.append(name)
    return found


def heading_typed(text: str) -> tuple[str, int] | None:
    """The heading an event says the person typed, and its level (1 for a title)."""
    facts = read_event(text)
    for quoted in facts.quoted:
        match = _MARKDOWN_HEADING.match(quoted)
        if match:
            return match.group(2).strip(), len(match.group(1))
    if _HEADING_ACTION.search(text):
        named = [q for q in facts.quoted if q not in facts.files and len(q) <= 80]
        if named:
            return named[0], 2
    return None


def cue_draft(events: Sequence[Event]) -> Draft | None:
    """A draft the last user event asks for outright, or None when it does not."""
    seen = [e for e in events if e.source != "agent"]
    if not seen:
        return None
    last = seen[-1].text
    return (
        _heading_cue(seen, last)
        or _rearrange_cue(seen, last)
        or _summary_cue(seen, last)
        or _review_cue(seen, last)
        or _formula_cue(seen)
        or _project_search_cue(seen)
        or _code_question_cue(seen, last)
    )


def _heading_cue(events: Sequence[Event], last: str) -> Draft | None:
    typed = heading_typed(last)
    if typed is None:
        return None
    heading, level = typed
    here = [f for f in read_event(last).files if _extension(f) in DOCUMENT_EXTENSIONS]
    documents = here or _recent_files(events, DOCUMENT_EXTENSIONS)
    document = documents[0] if documents else ""
    sources = [
        f
        for f in _recent_files(events[:-1], DOCUMENT_EXTENSIONS | DATA_EXTENSIONS | CODE_EXTENSIONS)
        if f != document
    ]
    data = [f for f in sources if _extension(f) in DATA_EXTENSIONS]
    searched = _last_search(events[:-1])
    if searched and searched.casefold() in heading.casefold():
        # A heading for what a search was after: the list it should hold is what to find.
        task = f"Find every '{searched}' in the project, with its file and line, for '{heading}'."
        thoughts = f"The heading '{heading}' collects what the search for '{searched}' was after."
        return _draft(task, "find_examples", thoughts, "a heading for a search typed")
    grouping = _BY.search(heading)
    if data and grouping:
        what = grouping.group(1)
        task = f"Organise '{data[0]}' by {what}, with the total of each, for '{heading}'."
        thoughts = f"The heading '{heading}' asks for '{data[0]}' by {what}."
        return _draft(task, "organise", thoughts, "a heading that groups data typed")
    if not document and not sources:
        return None
    read_before = document and any(document in read_event(e.text).files for e in events[:-1])
    created = any(document in read_event(e.text).files and _CREATES.search(e.text) for e in events)
    if read_before and not created and not sources:
        # A heading typed into the notes the person was reading, nothing else at hand: the
        # notes are being sorted under headings.
        task = f"Organise '{document}' under headings, starting with '{heading}'."
        thoughts = f"The person started sorting '{document}' under '{heading}'."
        return _draft(task, "organise", thoughts, "a heading typed into the notes being read")
    source = f" from '{sources[0]}'" if sources else ""
    place = f" of '{document}'" if document else ""
    # A section typed under a title the person just gave the document: the document is
    # being written, so the draft is of it all.
    title = next(
        (
            t[0]
            for e in reversed(events[-RECENT:-1])
            for t in [heading_typed(e.text)]
            if t is not None and t[1] == 1
        ),
        None,
    )
    if level > 1 and title:
        heading, level = title, 1
    if level == 1:
        where = f" in '{document}'" if document else ""
        task = f"Draft '{heading}'{where}{source}, section by section."
    else:
        task = f"Draft the '{heading}' section{place}{source}."
    thoughts = (
        f"The person typed the heading '{heading}' and paused; drafting it saves the blank page."
    )
    return _draft(task, "draft_text", thoughts, "a heading typed")


def _last_search(events: Sequence[Event]) -> str | None:
    """What the latest of `events` searched for ("searches the project for 'TODO'")."""
    for event in reversed(events[-RECENT:]):
        found = _SEARCHED_FOR.search(event.text)
        if found:
            return found.group(1).strip()
        queries = read_event(event.text).queries
        if queries:
            return queries[0]
    return None


def _summary_cue(events: Sequence[Event], last: str) -> Draft | None:
    """A new document named for a summary, right after reading something: summarise that."""
    facts = read_event(last)
    # A file named for a summary, or a page/slide titled as one ('Offsite - where we landed').
    made = [f for f in [*facts.files, *facts.quoted] if _SUMMARY_NAME.search(f)]
    if not made or not _CREATES.search(last):
        return None
    earlier = events[:-1][-RECENT:]
    files = [
        f for f in _recent_files(earlier, DOCUMENT_EXTENSIONS | DATA_EXTENSIONS) if f != made[0]
    ]
    pages = [p for e in reversed(earlier) for p in read_event(e.text).pages]
    source = files[0] if files else pages[0] if pages else None
    if source is None:
        return None
    task = f"Summarise '{source}' into '{made[0]}'."
    thoughts = f"The person started '{made[0]}' right after reading '{source}'."
    return _draft(task, "summarise", thoughts, "a summary document started")


def _review_cue(events: Sequence[Event], last: str) -> Draft | None:
    """A review started (a pull request's 'Review changes' on a file, 'Start a review'): review
    the file it names, else the change it is on, by its title."""
    if not _REVIEWING.search(last):
        return None
    facts = read_event(last)
    if facts.files:
        task = f"Review '{facts.files[0]}' for mistakes before it is merged, with the line of each."
        thoughts = f"The person is reviewing '{facts.files[0]}'."
        return _draft(task, "review", thoughts, "a review started")
    titles = [
        m.group(1)
        for e in reversed(events[-RECENT:])
        for m in [_REQUEST_TITLE.search(e.text)]
        if m is not None
    ]
    if not titles:
        return None
    task = (
        f"Review the files of '{titles[0]}' for mistakes before it is merged, with the line of "
        "each."
    )
    thoughts = f"The person started reviewing '{titles[0]}'."
    return _draft(task, "review", thoughts, "a review started")


_SHOWS = re.compile(
    r"\b(?:shows?|showed|prints?|printed|fails?|failed|crash\w*|traceback|raised in)\b", re.I
)


def error_on_screen(events: Sequence[Event]) -> bool:
    """Whether one of the last two events says an error was shown (not merely code that
    raises one), and the person has not moved on to searching about it."""
    last = events[-1].text if events else ""
    if read_event(last).queries and _SEARCH.search(last):
        return False  # a search after the error: what they search for comes first
    return any(_SHOWS.search(e.text) for e in events[-2:])


_NOT_MODULES = frozenset(
    """this test tests string time random copy code site types select signal token queue wave
    glob array calendar numbers email html http mailbox parser platform profile secrets shelve
    symbol tabnanny trace turtle uuid venv warnings weakref zipapp abc ast bisect cmd colorsys
    contextvars dataclasses decimal fractions graphlib keyword locale operator pickle pprint
    resource sched stat struct""".split()
)


def _library(query: str) -> str | None:
    """A library the query names: a dotted name ('json.dumps') or a standard module's name."""
    dotted = re.search(r"\b([a-z_]\w*\.[a-z_]\w*)\b", query)
    if dotted:
        return dotted.group(1)
    for word in re.findall(r"[a-z_][a-z0-9_]{3,}", query.lower()):
        if word in sys.stdlib_module_names and word not in _NOT_MODULES:
            return word
    return None


_REARRANGE = re.compile(
    r"\b(?:drags?|dragged|dragging|reorders?|rearrang\w*|moves? (?:the |some )?(?:bullets?|items?|"
    r"lines?|rows?|entries|notes?)|sorts? (?:the )?(?:bullets?|items?|lines?|entries|notes?))\b",
    re.I,
)


def _rearrange_cue(events: Sequence[Event], last: str) -> Draft | None:
    """Items dragged or reordered by hand in a document just opened: organise it."""
    if not _REARRANGE.search(last):
        return None
    documents = _recent_files(events, DOCUMENT_EXTENSIONS | DATA_EXTENSIONS)
    if not documents:
        return None
    heading = next(
        (t[0] for e in reversed(events[-RECENT:]) for t in [heading_typed(e.text)] if t), None
    )
    start = f", starting with '{heading}'" if heading else ""
    task = f"Organise '{documents[0]}' under headings{start}."
    thoughts = f"The person is rearranging '{documents[0]}' by hand."
    return _draft(task, "organise", thoughts, "items rearranged by hand")


_PROJECT_SEARCH = re.compile(
    r"\b(?:search panel|find in files|ctrl\+shift\+f|grep|searches the (?:project|repo\w*|code\w*)"
    r"|project-wide search)\b",
    re.I,
)


def _project_search_cue(events: Sequence[Event]) -> Draft | None:
    """A search through the project's own files (in the last two events): find every place it
    matches."""
    searched = [e.text for e in events[-2:] if _PROJECT_SEARCH.search(e.text)]
    if not searched:
        return None
    facts = read_event(searched[-1])
    terms = [q for q in (*facts.queries, *facts.quoted) if q not in facts.files and len(q) <= 60]
    if not terms:
        return None
    task = f"Find examples of '{terms[0]}' in the project, with the file and line of each."
    thoughts = f"The person is searching the project for '{terms[0]}'."
    return _draft(task, "find_examples", thoughts, "a search of the project")


def _formula_cue(events: Sequence[Event]) -> Draft | None:
    """A spreadsheet formula on screen in the latest events: explain it, with its value."""
    recent = list(reversed(events[-3:]))
    formula = next(
        (q for e in recent for q in read_event(e.text).quoted if _FORMULA.match(q)), None
    )
    if formula is None:
        return None
    cell = next((m.group(1) for e in recent for m in [_CELL.search(e.text)] if m), None)
    data = _recent_files(events, DATA_EXTENSIONS)
    where = f" in cell {cell}" if cell else ""
    source = f", with the value it gives on '{data[0]}'" if data else ""
    task = f"Explain the formula '{formula}'{where}{source}."
    thoughts = f"The person is checking the formula{where}."
    return _draft(task, "explain", thoughts, "a formula on screen")


def _code_question_cue(events: Sequence[Event], last: str) -> Draft | None:
    facts = read_event(last)
    searched = _SEARCHED_FOR.search(last)
    if not _SEARCH.search(last) or not (facts.queries or searched):
        return None
    query = facts.queries[0] if facts.queries else searched.group(1).strip() if searched else ""
    name = _library(query)
    if name and _recent_files(events, CODE_EXTENSIONS):
        task = f"Look up '{name}' in the installed documentation for '{query}'."
        thoughts = f"The search '{query}' asks about {name}."
        return _draft(task, "lookup_docs", thoughts, "a question about a library on screen")
    ran = any(re.search(r"\bruns?\b|\bran\b|\boutput\b", e.text) for e in events[-RECENT:])
    if not _CODE_QUESTION.search(query) and not (ran and len(query.split()) >= 4):
        return None
    # Tests exercise the code in question: the module and its names come before them.
    code = sorted(_recent_files(events, CODE_EXTENSIONS), key=_is_test)
    if not code:
        return None
    quoted = [q for e in reversed(events[-RECENT:]) for q in read_event(e.text).quoted]
    names = sorted((q for q in quoted if _IDENTIFIER.match(q) and q not in code), key=_is_test)
    if names:
        subject = f"'{names[0]}' in '{code[0]}'"
        task = f"Explain what {subject} does, piece by piece."
    else:
        subject = f"the code in '{code[0]}'"
        task = f"Explain why {subject} does what the search '{query}' describes, piece by piece."
    thoughts = f"The search '{query}' is about {subject}."
    return _draft(task, "explain", thoughts, "a question about the code on screen")


def _is_test(name: str) -> bool:
    """A test file or a test's name ('tests/test_x.py', 'test_parses_dates')."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.startswith("test_") or "/tests/" in f"/{name}" or base.endswith("_test.py")


def _draft(task: str, kind: str, thoughts: str, cue: str) -> Draft:
    body = task.rstrip(".")
    return Draft(
        task=task,
        kind=kind,
        thoughts=thoughts,
        response=f"Shall I {body[0].lower()}{body[1:]}?",
        score=1.0,
        cue=cue,
    )
