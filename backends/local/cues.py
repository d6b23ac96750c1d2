"""Strong cues in the person's last action that name the help outright.

The drafter's kind model reads the whole window; some last actions say more than any window:
typing a heading into a document and pausing asks for that part to be drafted (or, when the
heading groups a data file just looked at "by" something, for that data organised), and
searching for what a piece of code on screen means asks for it explained. Needs are shown more
often than said: a question typed as a comment beside code, 'check?' typed (or a comment started)
beside a total, a message half-written that announces a summary, a question a colleague asks
about the files at hand (its words say which help: where things landed, whether they are right,
which items, how something works), a reply or a new email started, a text about to be sent, a
release prepared with a change log at hand, a new calendar event or a new column headed, a new
page laid out with a meeting's headings after reading notes. A cue gives one draft worded from
the names in the events themselves; the drafter offers it first (the judge and the personal
model still decide whether to speak).
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
LOG_EXTENSIONS = frozenset("log out err".split())
"""Logs: read to be summarised (what failed, how often), not drafted from."""

_HEADING_ACTION = re.compile(
    r"\b(?:types?|typed|typing|adds?|added|writes?|wrote|creates?|created|starts?|started"
    r"|(?:places?|puts?|moves?) the cursor|clicks?)\b[^'\"]{0,40}\bheading\b",
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
    r"\bsearch\w*\b[^'\"]{0,40}?\bfor\s+['\"]([^'\"]{1,120})['\"]", re.IGNORECASE
)
_SUMMARY_NAME = re.compile(
    r"summar|recap|minutes|digest|tl-?dr|overview|key-?points|key[- ]findings|takeaways"
    r"|highlights|where we (?:landed|are|stand)|wrap-?up|debrief|outcomes?\b|incident|post-?mortem"
    r"|retro(?:spective)?\b|lessons[- ]learned",
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
        facts = read_event(event.text)
        # A quoted name or command the event rules do not call a file ('less logs/app.log').
        quoted = [q for q in facts.quoted if q not in facts.files]
        for name in (f for q in (*facts.files, *quoted) for f in command_files(q)):
            if _extension(name) in extensions and name not in found and " " not in name:
                found.append(name)
    return found


def heading_typed(text: str) -> tuple[str, int] | None:
    """The heading an event says the person typed, and its level (1 for a title)."""
    if _COMMENT.search(text):
        return None  # '# why ...' typed as a comment in code is a note to self, not a heading
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
        or _typed_question_cue(seen, last)
        or _check_typed_cue(seen, last)
        or _tidy_typed_cue(seen, last)
        or _message_cue(seen, last)
        or _asked_cue(seen)
        or _about_to_send_cue(seen, last)
        or _release_cue(seen)
        or _new_event_cue(seen, last)
        or _new_column_cue(seen, last)
        or _reply_started_cue(seen, last)
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
    logs = _recent_files(events[:-1], LOG_EXTENSIONS)
    if logs and not data:
        # A section of a write-up started after reading a log ('Errors yesterday'): the log
        # summarised for it (what failed, how often, where), not prose drafted.
        task = f"Summarise the errors in '{logs[0]}' for the '{heading}' section."
        thoughts = f"The heading '{heading}' is for what '{logs[0]}' shows."
        return _draft(task, "summarise", thoughts, "a heading for a log just read")
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
    listed = _headings_given(events)
    notes = [f for f in sources if _extension(f) in DOCUMENT_EXTENSIONS]
    if notes and len(listed) >= 2 and not data:
        # A new document laid out with headings ('Decisions', 'Action items', ...) right after
        # reading notes: the notes are to be sorted under them, not new text written.
        names = ", ".join(listed[:-1]) + f" and {listed[-1]}"
        task = f"Organise '{notes[0]}' into '{document}' under the headings {names}."
        thoughts = f"The person laid out '{document}' to sort '{notes[0]}' under {names}."
        return _draft(task, "organise", thoughts, "headings laid out for notes just read")
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


def _headings_given(events: Sequence[Event]) -> list[str]:
    """The headings a recent event lists for a document ("creates 'x.md' with the headings
    Decisions, Action items and Open questions"), in order."""
    from backends.local.task_subjects import read_sections  # noqa: PLC0415 (no cycle at load)

    for event in reversed(events[-RECENT:]):
        # A list of several ('the headings A, B and C'), not one heading typed ('## Budget').
        if re.search(r"\bheadings\b|\bsections\b", event.text, re.I):
            listed = [h for h in read_sections(event.text) if not h.startswith("#")]
            if len(listed) >= 2:
                return listed
    return []


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
    readable = DOCUMENT_EXTENSIONS | DATA_EXTENSIONS | LOG_EXTENSIONS
    files = [f for f in _recent_files(earlier, readable) if f != made[0]]
    # A log read just before is what an incident write-up summarises, before any notes.
    files.sort(key=lambda f: _extension(f) not in LOG_EXTENSIONS)
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


_COMMENT = re.compile(r"\bcomments?\b", re.I)
_TYPES = re.compile(
    r"\b(?:types?|typed|typing|writes?|wrote|adds?|added|asks?|asked|leaves?|left|jots?|jotted"
    r"|scribbles?|posts?|posted|sends?|sent|says?|said|pastes?|pasted)\b",
    re.I,
)
_QUESTION = re.compile(
    r"\?\s*$|^\W*(?:why|what|how|when|where|which|who|is|are|does|do|did|can|could|should|will"
    r"|would)\b",
    re.I,
)
_CODE_NAME = re.compile(
    r"^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)|^\s*([A-Za-z_][\w.]*)\s*(?:=[^=]|\()"
)


_WEB_SEARCH = re.compile(r"\bsearch\w*|\bgoogl\w*|\bsearch results\b|\bbrowser\b", re.I)


def _typed_texts(text: str) -> list[str]:
    """What an event says the person typed or asked (its quoted spans), when it says so; not a
    search (what a search is after is read by the search cues)."""
    if not _TYPES.search(text) or _WEB_SEARCH.search(text):
        return []
    facts = read_event(text)
    return [q for q in facts.quoted if q not in facts.files]


def _typed_question_cue(events: Sequence[Event], last: str) -> Draft | None:
    """A question typed beside code on screen (a comment '# why does this ...?', a chat line):
    explain the code it is about, by the name on the line selected or quoted."""
    questions = [
        q
        for q in _typed_texts(last)
        if _QUESTION.search(q.lstrip("#/ -*")) and not _CHECK_TYPED.search(q)
    ]
    code = sorted(_recent_files(events, CODE_EXTENSIONS), key=_is_test)
    if not questions or not code:
        return None
    question = questions[0].lstrip("#/ -*").strip()
    quoted = [q for e in reversed(events[-RECENT:]) for q in read_event(e.text).quoted]
    names = [
        n
        for q in quoted
        if q not in code and q != questions[0]
        for m in [_CODE_NAME.match(q)]
        if m is not None
        for n in [m.group(1) or m.group(2)]
    ]
    subject = f"'{names[0]}' in '{code[0]}'" if names else f"the code in '{code[0]}'"
    task = f"Explain what {subject} does and answer '{question}', piece by piece."
    thoughts = f"The person asked '{question}' about {subject}."
    return _draft(task, "explain", thoughts, "a question typed beside the code")


_CHECK_TYPED = re.compile(
    r"\b(?:check|verify|right|correct|sure|add(?:s)? up|adds? up|sum|total|double-?check"
    r"|confirm|ok|accurate|wrong)\b\W*\?|^\W*\?{2,}\W*$|\bdoes (?:this|that|it) add up\b"
    r"|\b(?:double|cross|sanity)[- ]?check\w*|\breconcil\w*|\bverify\b|\bfact[- ]?check\w*",
    re.I,
)
"""A check the person types beside their figures ('check?', 'does this add up?', 'double-check
these match')."""


_TOTAL_NOTE = re.compile(
    r"\b(?:comment|note|flag|highlight)\w*\b[^.]{0,40}\b(?:total|sum|subtotal)s?\b", re.I
)
"""A comment started on a total ('types a comment on the 'Total' row'): the total is doubted."""


def _check_typed_cue(events: Sequence[Event], last: str) -> Draft | None:
    """'check?' or 'does this add up?' typed beside figures in a data file (else a document)
    just opened: review it, against the other document read beside it when there is one."""
    noted = _TOTAL_NOTE.search(last)
    if not noted and not any(_CHECK_TYPED.search(q) for q in _typed_texts(last)):
        return None
    data = _recent_files(events, DATA_EXTENSIONS)
    documents = _recent_files(events, DOCUMENT_EXTENSIONS)
    # The file the check is typed into comes first; a data file's figures before a document's.
    here = [f for f in read_event(last).files if f in data or f in documents]
    checked = here or data or documents
    if not checked:
        return None
    others = [f for f in documents if f != checked[0]]
    against = f" against '{others[0]}'" if others else ""
    what = "totals and figures" if checked[0] in data else "figures, dates and totals"
    task = f"Review '{checked[0]}'{against}: check that its {what} are right."
    thoughts = f"The person is checking the figures in '{checked[0]}'."
    return _draft(task, "review", thoughts, "a check typed beside the figures")


_TIDY_TYPED = re.compile(
    r"\b(?:sort|tidy|clean|straighten)\s+(?:this|these|it|them|that|everything|all this)\s+"
    r"(?:out|up)\b|\b(?:re-?)?organi[sz]e\b|\b(?:what|such)\s+a\s+mess\b|\bmessy\b"
    r"|\bin(?:to)?\s+(?:some\s+)?order\b",
    re.I,
)
"""A note to self that a document is a mess ('need to sort this out', 'tidy this up')."""


def _tidy_typed_cue(events: Sequence[Event], last: str) -> Draft | None:
    """'Need to sort this out' typed into a list or table just opened: organise it."""
    if not any(_TIDY_TYPED.search(q) for q in _typed_texts(last)):
        return None
    files = _recent_files(events, DOCUMENT_EXTENSIONS | DATA_EXTENSIONS)
    here = [f for f in read_event(last).files if f in files]
    chosen = here or files
    if not chosen:
        return None
    task = f"Organise '{chosen[0]}' into order, grouped and sorted as its items allow."
    thoughts = f"The person wants '{chosen[0]}' sorted out."
    return _draft(task, "organise", thoughts, "a note to sort a document out")


_MESSAGE = re.compile(
    r"\b(?:e-?mail|message|reply|chat|slack|teams|post|letter|memo)\b|\b(?:hi|hello|dear|hey)\b",
    re.I,
)
_ANNOUNCES = re.compile(
    r"\b(?:summary|summari[sz]\w*|recap|overview|breakdown|highlights|rundown|numbers|figures"
    r"|totals?|results|stats|update|digest|key points)\b",
    re.I,
)
_OPEN_END = re.compile(
    r"(?::|\.\.\.|\u2026|-|\b(?:are|is|was|were|by|of|below|to|at|about|around|comes to"
    r"|following))\s*$",
    re.I,
)
"""A message that stops mid-sentence, before the figure or list it announces."""
_BY_FIELD = re.compile(r"\b(?:by|per|for each)\s+([a-z][\w-]*)", re.I)


def _open_ended(quoted: str, text: str) -> bool:
    """Whether the typed text stops mid-thought ('... by region:', '... are'), as the event
    quotes it (its closing colon or dots included)."""
    raw = re.search(re.escape(quoted) + r"\s*([:\u2026-]|\.\.\.)", text)
    return raw is not None or _OPEN_END.search(quoted) is not None


def _message_cue(events: Sequence[Event], last: str) -> Draft | None:
    """A message half-written that announces figures or a summary ('Hi Sam, quick summary of Q1
    by region:') right after opening a data file or document: summarise that for the message."""
    typed = [q for q in _typed_texts(last) if _ANNOUNCES.search(q) and _open_ended(q, last)]
    context = " ".join(e.text for e in events[-RECENT:])
    if not typed or not _MESSAGE.search(context):
        return None
    sources = _recent_files(events, DATA_EXTENSIONS | DOCUMENT_EXTENSIONS)
    if not sources:
        return None
    line = typed[0].rstrip(" :.\u2026-")
    field = _BY_FIELD.search(line)
    by = (
        f" by {field.group(1).lower()}"
        if field and _extension(sources[0]) in DATA_EXTENSIONS
        else ""
    )
    task = f"Summarise '{sources[0]}'{by} for the message that starts '{line}'."
    thoughts = f"The person started a message announcing a summary of '{sources[0]}'."
    return _draft(task, "summarise", thoughts, "a message that announces a summary")


_ASKED = re.compile(
    r"\b(?:asks?|asked|messages|messaged|emails|emailed|comments|commented|replies|replied|writes"
    r"|wrote|says|said|posts|posted|pings|pinged|types|typed|wants to know|wonders)\b",
    re.I,
)
"""An event that quotes what someone asked or said (the person, a manager, a client)."""
_ASKED_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "summarise",
        re.compile(
            r"\bwhere (?:did|do|have) (?:we|they|things) (?:land|end up|stand|get)\w*"
            r"|\bwhat (?:did|have|was|were) (?:we|they|you)?\s*(?:agree|decide|settle)\w*"
            r"|\bwhat (?:was|got) (?:agreed|decided|settled)"
            r"|\b(?:status|recap|summary|gist|tl;?dr)\b"
            r"|\bcatch me up\b|\bwhat happened\b|\bwhere are we\b|\bfinal (?:date|numbers|plan)\b",
            re.I,
        ),
    ),
    (
        "review",
        re.compile(
            r"\b(?:consistent|correct|right|accurate|add(?:s)? up|sound|valid"
            r"|ok to (?:send|sign|merge)|good to go|ready to (?:send|sign|go|merge)"
            r"|any (?:mistakes|errors|issues|problems|gaps)"
            r"|look (?:ok|okay|right|good))\b",
            re.I,
        ),
    ),
    (
        "find_examples",
        re.compile(
            r"^\W*(?:which|who)\b|\b(?:still|outstanding|overdue|unpaid|open)\b.*\?\s*$"
            r"|\b(?:list|find) (?:all|every)\b|\bhow many\b",
            re.I,
        ),
    ),
    (
        "explain",
        re.compile(
            r"^\W*(?:can (?:someone|you|anyone) (?:tell|explain)|when|how|why|what does|what do"
            r"|what is|what are)\b|\bmean\b|\bexplain\b",
            re.I,
        ),
    ),
)
"""What a question asks for, by its words: where things landed, whether they are right, which
items, how or when something works."""


def asked_kind(question: str) -> str | None:
    """The kind of help a question someone asked calls for; None when its words say none (an
    instruction with ordering words ('must be alphabetical, no duplicates') is organising)."""
    for kind, pattern in _ASKED_KINDS:
        if pattern.search(question):
            return kind
    from backends.local.task_subjects import _ARRANGED  # noqa: PLC0415 (no cycle at load)

    return "organise" if _ARRANGED.search(question.lower()) else None


def _asked_cue(events: Sequence[Event]) -> Draft | None:
    """A question or request someone just put (in a chat, an email, a margin comment) about
    the files at hand: the help its words ask for, on those files."""
    for event in reversed(events[-2:]):
        if not _ASKED.search(event.text) or _WEB_SEARCH.search(event.text):
            continue  # a web search is read by the search cues
        facts = read_event(event.text)
        said = [q for q in facts.quoted if q not in facts.files and len(q.split()) >= 3]
        said = [q for q in said if not _FORMULA.match(q)]
        kind = asked_kind(said[0]) if said else None
        if kind is None:
            continue
        readable = DOCUMENT_EXTENSIONS | DATA_EXTENSIONS | CODE_EXTENSIONS | LOG_EXTENSIONS
        files = _recent_files(events, readable)
        if not files:
            return None
        # Data and logs hold the facts a question is about; notes beside them are the measure.
        files.sort(key=lambda f: _extension(f) not in DATA_EXTENSIONS | LOG_EXTENSIONS)
        question = said[0].rstrip()
        return _asked_draft(kind, question, files)
    return None


def _asked_draft(kind: str, question: str, files: Sequence[str]) -> Draft:
    main, others = files[0], [f for f in files[1:] if f != files[0]]
    against = f" against '{others[0]}'" if others else ""
    tasks = {
        "summarise": f"Summarise '{main}' to answer '{question}'.",
        "review": f"Review '{main}'{against} to answer '{question}', with the line of each "
        "problem.",
        "find_examples": f"Find the entries of '{main}' that answer '{question}', with the line "
        "of each.",
        "explain": f"Explain '{main}' to answer '{question}', piece by piece.",
        "organise": f"Organise '{main}' as asked: '{question}'.",
    }
    thoughts = f"'{question}' was asked about '{main}'."
    return _draft(tasks[kind], kind, thoughts, "a question asked about the files at hand")


_REPLY_STARTED = re.compile(
    r"\bclicks? '?reply\b|\breply (?:box|window|pane) opens\b|\bstarts? (?:a|the) reply\b"
    r"|\b(?:starts?|opens?|begins?) (?:a )?new (?:e-?mail|message|letter)\b[^.]*\bto\b",
    re.I,
)
_GREETING_ONLY = re.compile(
    r"^\s*(?:hi|hello|dear|hey|good (?:morning|afternoon))\b[^.!?:]{0,40},?\s*$", re.I
)
_ADDRESSEE = re.compile(
    r"\b(?:addressed\s+)?to\s+(?:(?:their|his|her|my|the)\s+)?((?:[a-z]+\s+){0,2}?"
    r"[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)"
)
"""Whom a new message is to ('to their manager Ruth', 'to Patricia Osei')."""
_SUBJECT_LINE = re.compile(r"\bsubject(?: line)?\s*:?\s*['\"]([^'\"\n]{2,100})['\"]", re.I)
_FOR_APPROVAL = re.compile(r"\bfor (?:approval|sign-?off|review|checking)\b", re.I)


def _reply_started_cue(events: Sequence[Event], last: str) -> Draft | None:
    """A reply or a new message to someone just started (empty, or a bare greeting): draft it
    from the message and files at hand; a message that sends figures 'for approval' asks for
    them checked first."""
    recent = [e.text for e in events[-3:]]
    started = next((t for t in reversed(recent) if _REPLY_STARTED.search(t)), None)
    greeting = any(_GREETING_ONLY.match(q) for q in _typed_texts(last))
    if started is None and not greeting:
        return None
    readable = DOCUMENT_EXTENSIONS | DATA_EXTENSIONS
    files = _recent_files(events, readable)
    if not files:
        return None
    if started is not None and _FOR_APPROVAL.search(started):
        data = [f for f in files if _extension(f) in DATA_EXTENSIONS] or files
        others = [f for f in files if f != data[0]]
        against = f" against '{others[0]}'" if others else ""
        task = (
            f"Review '{data[0]}'{against} before it goes for approval, with the line of each "
            "problem."
        )
        thoughts = f"'{data[0]}' is about to be sent for approval."
        return _draft(task, "review", thoughts, "figures about to be sent for approval")
    # The message replied to first (an inbox file), then what the reply draws on.
    # The file the reply is typed into is the draft itself, not a source.
    files = [f for f in files if f not in read_event(last).files or not greeting]
    inbox = [f for f in files if re.search(r"inbox|mail|message|ticket|complaint|thread", f, re.I)]
    message = inbox[0] if inbox else None
    # What the reply draws on, in the order the person opened it (the first is its subject).
    in_order = sorted(files, key=lambda f: _first_named(events, f))
    sources = [f for f in in_order if f != message][:3]
    named = ", ".join(f"'{f}'" for f in sources[:-1]) + (" and " if len(sources) > 1 else "")
    named += f"'{sources[-1]}'" if sources else ""
    if message:
        using = f" using {named}" if sources else ""
        task = f"Draft a reply to the message in '{message}'{using}."
    else:
        to = _ADDRESSEE.search(started or "")
        whom = f" to {to.group(1)}" if to else ""
        subject = _SUBJECT_LINE.search(started or "")
        about = f" about '{subject.group(1)}'" if subject else ""
        task = f"Draft the email{whom}{about} from {named}."
    thoughts = "The person started a message and paused."
    return _draft(task, "draft_text", thoughts, "a reply started")


_ABOUT_TO_SEND = re.compile(
    r"\b(?:hovers?|hovering|rests? the (?:mouse|cursor)|moves? the (?:mouse|cursor))\b[^.]{0,30}"
    r"\b(?:send|submit|post|publish)\b|\babout to (?:send|submit|post|publish)\b",
    re.I,
)
"""The person is about to send a text (hovering over 'Send'): a last check is due."""
_DRAFT_NAME = re.compile(r"draft|reply|e-?mail|letter|message|post|announcement", re.I)


def _about_to_send_cue(events: Sequence[Event], last: str) -> Draft | None:
    """About to send a text that another document governs (a contract, a policy): review the
    text against it before it goes."""
    if not _ABOUT_TO_SEND.search(last):
        return None
    documents = sorted(
        _recent_files(events, DOCUMENT_EXTENSIONS), key=lambda f: _first_named(events, f)
    )
    drafts = [f for f in documents if _DRAFT_NAME.search(f.rsplit("/", 1)[-1])]
    text = drafts[0] if drafts else documents[0] if documents else None
    if text is None:
        return None
    others = [f for f in documents if f != text]
    against = f" against '{others[0]}'" if others else ""
    task = f"Review '{text}'{against} before it is sent and list anything that is wrong."
    thoughts = f"The person is about to send '{text}'."
    return _draft(task, "review", thoughts, "a text about to be sent")


_RELEASE = re.compile(r"\brelease\b", re.I)
_VERSION = re.compile(r"(?<![\w.])v?\d+\.\d+(?:\.\d+)?(?![\w.])")
_LOGLIKE = re.compile(r"log|commit|change|history|news|unreleased", re.I)


def _release_cue(events: Sequence[Event]) -> Draft | None:
    """A release being prepared (a draft release for a tag, the version bumped) with a change
    log at hand: draft its release notes, in the template's shape when one is open."""
    recent = [e.text for e in events[-2:]]
    if not any(_RELEASE.search(t) for t in recent):
        return None
    versions = [
        v for t in reversed([e.text for e in events[-RECENT:]]) for v in _VERSION.findall(t)
    ]
    files = sorted(
        _recent_files(events, DOCUMENT_EXTENSIONS | LOG_EXTENSIONS),
        key=lambda f: _first_named(events, f),
    )
    templates = [f for f in files if "template" in f.lower()]
    logs = [f for f in files if f not in templates and _LOGLIKE.search(f.rsplit("/", 1)[-1])]
    if not logs:
        return None
    version = f" for {versions[0]}" if versions else ""
    shape = f", following '{templates[0]}'" if templates else ""
    task = f"Draft the release notes{version} from '{logs[0]}'{shape}."
    thoughts = f"A release{version} is being prepared from '{logs[0]}'."
    return _draft(task, "draft_text", thoughts, "a release being prepared")


_NEW_EVENT = re.compile(
    r"\bnew (?:calendar )?(?:event|meeting|invite|invitation|meeting request|appointment)\b"
    r"[^.]*?\b(?:titled|called|named|for)\s+['\"]([^'\"]{2,80})['\"]",
    re.I,
)


def _new_event_cue(events: Sequence[Event], last: str) -> Draft | None:
    """A new calendar event started with its time left open, availability notes at hand:
    draft the invitation at a time every one is free."""
    started = _NEW_EVENT.search(last)
    if started is None:
        return None
    documents = _recent_files(events, DOCUMENT_EXTENSIONS | DATA_EXTENSIONS)
    if not documents:
        return None
    title = started.group(1)
    task = (
        f"Draft the meeting invitation for '{title}' at a time when everyone is free, according "
        f"to '{documents[0]}'."
    )
    thoughts = f"The person is setting up '{title}'."
    return _draft(task, "draft_text", thoughts, "a new calendar event")


_NEW_COLUMN = re.compile(
    r"\b(?:inserts?|adds?|creates?|types?)\b[^.]{0,40}\bcolumn\b[^.]*?"
    r"\b(?:header|heading|title|named|called)\s+['\"]([^'\"]{2,40})['\"]",
    re.I,
)
_CATEGORY_LIKE = re.compile(r"categor|type|kind|group|class|bucket|label|tag", re.I)


def _new_column_cue(events: Sequence[Event], last: str) -> Draft | None:
    """A new column headed in a data file, a rules document read beside it: fill the column by
    those rules, with a subtotal per value."""
    added = _NEW_COLUMN.search(last)
    if added is None:
        return None
    data = _recent_files(events, DATA_EXTENSIONS)
    rules = _recent_files(events, DOCUMENT_EXTENSIONS)
    if not data or not rules:
        return None
    header = added.group(1)
    using = "using the categories in" if _CATEGORY_LIKE.search(header) else "following"
    task = (
        f"Add a '{header}' column to '{data[0]}' {using} '{rules[0]}', and give the subtotal "
        f"per {header.lower()}."
    )
    thoughts = f"The person started a '{header}' column in '{data[0]}'."
    return _draft(task, "organise", thoughts, "a new column headed")


def _first_named(events: Sequence[Event], name: str) -> tuple[int, int]:
    """Where a file is first named in the latest events: (event, position in its text)."""
    recent = events[-RECENT:]
    for index, event in enumerate(recent):
        at = event.text.find(name)
        if at >= 0:
            return index, at
    return len(recent), 0


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
