"""What an accepted task is about, read from its text and the events before it.

The offline executor plans its tool calls from these names: the files, errors, Python names,
titles and sections a task (or the person's edit of it) and the recent events mention, and the
time a reminder should fire. Everything is read by general rules; nothing here knows a case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from backends.local.text import COMMAND, FILE_EXTENSIONS, command_files, content_words, read_event
from graphs.state import Event

DATA_EXTENSIONS = frozenset({"csv", "tsv", "json", "yaml", "yml", "toml"})
"""Files whose parse `check_data_file` can re-run to find a fault."""
DOCUMENT_EXTENSIONS = frozenset({"md", "txt", "rst", "tex", "html", "markdown"})
"""Text documents `summarise_document` can read."""
EVENT_WINDOW = 12
"""Most recent events read for names (older ones are rarely what the task is about)."""

_DOTTED = re.compile(r"(?<![\w./\\-])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?![\w/\\])")
_NOT_MODULE_TAIL = frozenset(FILE_EXTENSIONS) | {"com", "org", "net", "io", "edu", "gov", "dev"}
_ERROR = re.compile(
    r"\b[A-Z]\w*(?:Error|Exception)\b|\btraceback\b|\berror\b|\bexception\b", re.IGNORECASE
)
_NESTED = re.compile(r"(?<!\w)'(.{2,120}?)'(?=[\s.,;:!?)]|$)")
_EXCEPTION_NAME = re.compile(r"\b[A-Z]\w*(?:Error|Exception|Warning)\b")
_BACKTICKED = re.compile(r"`([^`\n]{1,80})`")
_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")
_SECTIONS = re.compile(
    r"\b(?:sections?|headings?|headers?|parts?|chapters?|covering)\b\s*"
    r"(?:for|on|about|called|named|titled|like|such as|:)?\s*(.+?)(?:[.;!?](?:\s|$)|$)",
    re.IGNORECASE,
)
_LIST_SPLIT = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s*;\s*|\s+&\s+|\s*/\s*")
_LIST_STOP = frozenset(
    "each with that so to in as which where using for leaving excluding except without omitting"
    " skipping ignoring but not".split()
)
_NAMED_SECTION = re.compile(
    r"['\"‘“]([^'\"’”\n]{1,60})['\"’”]\s+(?:section|heading|header|chapter)\b", re.IGNORECASE
)
"""One section named before its noun: "a 'New features' section and a 'Bug fixes' section"."""
_LIST_BEFORE = re.compile(
    r"\b(?:with|into|under|in)\s+(?:the\s+|an?\s+)?([^.;:!?]{3,200}?\s(?:and|&)\s[^,.;:!?]{1,60}?)"
    r"\s+(?:sections|headings|headers|chapters)\b",
    re.IGNORECASE,
)
"""A list of sections named before the plural noun: "with Features, Fixes and Notes sections"."""
_TITLE_AFTER = re.compile(
    r"\b(?:outline|draft|email|letter|proposal|plan|summary|agenda|report|memo|post|essay"
    r"|readme|announcement|paragraph)\s+(?:for|of|on|about|titled|called)\s+(?:the\s+|an?\s+)?"
    r"(.+?)(?=\s+(?:with|that|which|covering|including|in|using|so)\b|[,.;:!?]|$)",
    re.IGNORECASE,
)
_OBJECT = re.compile(
    r"^(?:please\s+)?(?:write|draft|compose|create|prepare|start)\s+(?:up\s+)?"
    r"(?:(?:a|an|the|some)\s+)?(?:one-page\s+|short\s+|first\s+)?"
    r"(.+?)(?=\s+(?:with|that|which|covering|including|using|so)\b|[,;:!?]|\.(?:\s|$)|$)",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"^(?:the|a|an|its|their|our|my)\s+", re.IGNORECASE)
_CLOCK = re.compile(r"\b(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s?m\b\.?", re.IGNORECASE)
_CLOCK_24 = re.compile(r"\b(?:at\s+)?([01]?\d|2[0-3]):([0-5]\d)\b")
_IN_DELTA = re.compile(r"\bin\s+(\d{1,3}|an?|one|two|half an)\s+(minute|min|hour|day)s?\b", re.I)
_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2}
_ISO_DATE = re.compile(r"\b(20\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b")
_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_NAMED_DATE = re.compile(
    r"\b(?:(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(m[:3] for m in _MONTHS) + r")[a-z]*"
    r"|(" + "|".join(m[:3] for m in _MONTHS) + r")[a-z]*\s+(\d{1,2})(?:st|nd|rd|th)?\b)"
    r"(?:,?\s+(20\d\d))?",
    re.IGNORECASE,
)


def _date_in(text: str, base: datetime) -> datetime | None:
    """The calendar day a text names ("2026-01-15", "15 January", "Jan 15, 2026"), at midnight;
    a day without a year is the next one on or after `base`'s day."""
    iso = _ISO_DATE.search(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    else:
        named = _NAMED_DATE.search(text)
        if not named:
            return None
        day_text = named.group(1) or named.group(4)
        month_text = (named.group(2) or named.group(3)).lower()
        month = next(i for i, m in enumerate(_MONTHS, 1) if m.startswith(month_text))
        day = int(day_text)
        year = int(named.group(5)) if named.group(5) else base.year
        try:
            if not named.group(5) and datetime(year, month, day) < base.replace(
                hour=0, minute=0, second=0, microsecond=0
            ):
                year += 1
        except ValueError:
            return None
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True)
class TaskSubjects:
    """The names a task is about, the task's own first, then the events' (most recent first)."""

    task: str
    """The task as accepted or edited."""
    files: tuple[str, ...]
    """File names with an extension."""
    errors: tuple[str, ...]
    """Error messages ("KeyError: 'total'")."""
    error_events: tuple[str, ...]
    """Texts of the events (and the task) that report an error, most recent first."""
    dotted: tuple[str, ...]
    """Dotted Python names (`csv.DictReader`), file names and web domains left out."""
    identifiers: tuple[str, ...]
    """Bare identifiers quoted or in backticks (`parse_totals`)."""
    queries: tuple[str, ...]
    """Search queries the person typed."""
    pages: tuple[str, ...]
    """Titles of pages and documents the person looked at."""
    names: tuple[str, ...]
    """Quoted spans of the task that are not files or errors (titles, topics)."""
    title: str
    """What a draft is titled: the task's quoted name, else the thing it is for."""
    sections: tuple[str, ...]
    """Section names the task lists ("with sections for need, impact and budget")."""
    words: tuple[str, ...]
    """Content words of the task."""

    @property
    def subject(self) -> str:
        """The single name that best says what the task is about."""
        for values in (self.names, self.errors, self.files, self.dotted, self.queries, self.pages):
            if values:
                return values[0]
        return self.title or self.task

    def files_with(self, extensions: frozenset[str]) -> tuple[str, ...]:
        """The named files whose extension is one of `extensions`."""
        return tuple(f for f in self.files if extension(f) in extensions)


def extension(name: str) -> str:
    """A file name's extension, lower-case, without the dot ('' when it has none)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        value = value.strip()
        if value and value.casefold() not in seen:
            seen[value.casefold()] = value
    return tuple(seen.values())


def dotted_names(text: str) -> list[str]:
    found = []
    for match in _DOTTED.finditer(text):
        name = match.group(1)
        parts = name.split(".")
        if parts[-1].lower() in _NOT_MODULE_TAIL or parts[0].lower() == "www":
            continue
        found.append(name)
    return found


def _identifiers(texts: Sequence[str], quoted: Sequence[str]) -> list[str]:
    names = [m.group(1) for text in texts for m in _BACKTICKED.finditer(text)]
    names += list(quoted)
    # Only code-like names: snake_case or CamelCase, not plain English words.
    return [
        n
        for n in names
        if _IDENTIFIER.match(n) and ("_" in n or re.search(r"[a-z][A-Z]", n) or n.isupper())
    ]


def read_sections(task: str) -> tuple[str, ...]:
    """The section names a task lists, in order ("sections for need, impact and budget")."""
    before = _LIST_BEFORE.search(task)
    if before:
        items = [
            _ARTICLE.sub("", i.strip(" '\"`‘’“”")).strip()
            for i in _LIST_SPLIT.split(before.group(1))
        ]
        if len(items) >= 2 and all(0 < len(i.split()) <= 6 for i in items):
            return _unique(items)
    named = [m.group(1).strip() for m in _NAMED_SECTION.finditer(task)]
    if len(named) >= 2:  # one ("Draft the 'Usage' section of ...") is the part to write
        return _unique(named)
    match = _SECTIONS.search(task)
    if not match:
        return ()
    items = []
    for raw in _LIST_SPLIT.split(match.group(1)):
        item = _ARTICLE.sub("", raw.strip(" '\"`()[]")).strip()
        words = item.split()
        if not words or words[0].lower() in _LIST_STOP or len(words) > 6:
            break
        items.append(item)
    return _unique(items) if len(items) >= 2 or (items and ":" in task) else ()


def _title(task: str, names: Sequence[str], files: Sequence[str], pages: Sequence[str]) -> str:
    if names:
        return names[0]
    match = _TITLE_AFTER.search(task)
    if match:
        return _ARTICLE.sub("", match.group(1).strip(" '\"")).strip()
    for name in (*files, *pages):
        return name
    # "Write release notes for version 2.4.0 with sections ..." -> "Release notes for version 2.4.0"
    obj = _OBJECT.search(task)
    if obj:
        phrase = obj.group(1).strip(" '\"")
        return phrase[:1].upper() + phrase[1:]
    return ""


def read_task(task: str, events: Sequence[Event], window: int = EVENT_WINDOW) -> TaskSubjects:
    """The names `task` and the last `window` non-agent events mention."""
    recent = [e.text for e in events if e.source != "agent"][-window:]
    newest_first = list(reversed(recent))
    own = read_event(task)
    facts = [read_event(text) for text in newest_first]
    # A drafted task quotes an error that holds quotes itself ("the error 'KeyError: 'total''").
    nested = [m.group(1) for m in _NESTED.finditer(task) if _EXCEPTION_NAME.search(m.group(1))]
    own_errors = [*nested, *(e for e in own.errors if not any(e in n for n in nested))]
    names = [q for q in own.quoted if q not in own.files and q not in own_errors]
    names = [n for n in names if not any(n in e for e in nested)]
    files = [*own.files, *(f for fact in facts for f in fact.files)]
    # A quoted path with an extension the event rules do not know ('logs/worker.log') is still
    # a file the person named; it comes after the known ones of the same text.
    files += [
        q
        for q in (*own.quoted, *(q for fact in facts for q in fact.quoted))
        if _PATH_LIKE.fullmatch(q) and q not in files
    ]
    # A quoted command line names the files it runs on ('python app.py logs/access.log').
    commands = [q for q in (*own.quoted, *(q for fact in facts for q in fact.quoted))]
    files += [f for q in commands if COMMAND.match(q) for f in command_files(q)]
    files = [f for name in files for f in command_files(name)]
    errors = [*own_errors, *(e for fact in facts for e in fact.errors)]
    # The events first: they carry the file and line; the task usually only names the error.
    error_events = [
        t for t, fact in zip(newest_first, facts, strict=True) if fact.errors or _ERROR.search(t)
    ]
    error_events += [task] if own_errors or _ERROR.search(task) else []
    dotted = dotted_names(task) + [d for text in newest_first for d in dotted_names(text)]
    quoted = [*own.quoted, *(q for fact in facts for q in fact.quoted)]
    pages = [*own.pages, *(p for fact in facts for p in fact.pages)]
    return TaskSubjects(
        task=task,
        files=_unique(files),
        errors=_unique(errors),
        error_events=_unique(error_events),
        dotted=_unique(dotted),
        identifiers=_unique(_identifiers([task, *newest_first], quoted)),
        queries=_unique([*own.queries, *(q for fact in facts for q in fact.queries)]),
        pages=_unique(pages),
        names=_unique(names),
        # A quoted section name ("a 'Risks' section") is no title.
        title=_title(task, [n for n in names if n not in read_sections(task)], own.files, pages),
        sections=read_sections(task),
        words=tuple(dict.fromkeys(content_words(task))),
    )


_IMPORT_ORDER = re.compile(
    r"\bimports?\b(?:[^.;]|\.(?=\w)){0,40}\b(?:order\w*|sort\w*|group\w*|pep ?8|unused)"
    r"|\b(?:order|sort|group|tidy|clean)\w*(?:\s+up)?\s+(?:the\s+|my\s+|its\s+)?imports?\b"
    r"|\bimport (?:order|block|groups?)\b|\bisort\b"
)
"""A task about a Python file's import block (its order, groups, unused ones): organising."""
_MAKES_TABLE = re.compile(
    r"^(?:please\s+)?(?:write|create|make|produce|generate|build|save)\b[^;]{0,60}?"
    r"'[^'\s]+\.(?:csv|tsv)'"
)
"""A task that makes a table file: its rows come from the person's data (organise), not prose."""
_DRAFT_WORDS = re.compile(
    r"^(?:please\s+)?(?:write|draft|compose|create|prepare)\b|\boutline\b", re.I
)
_CHECK_FACTS = re.compile(
    r"\b(?:numbers|totals|figures|sums|facts|dates|counts)\b(?:[^.?!]|\.(?=\w)){0,60}"
    r"\b(?:add up|agree|consistent|match|right|correct)\b"
)
"""A request to check a document's facts ("do the numbers add up?"): a review, whatever else."""
_REVIEW_WORDS = re.compile(
    r"\b(?:review|lint|proof-?read|fact-?check|double-check|sanity[- ]check|audit)\w*"
    r"|\b(?:look over|go through|flag)\b[^.?!]*\b(?:mistakes?|wrong|issues?)\b"
    r"|\b(?:for|any|spot|find|flag|catch)\s+(?:\w+\s+){0,2}?(?:mistakes?|issues?|typos?"
    r"|inconsistenc\w+)\b"
    r"|^(?:is|are)\b.*\b(?:correct|right|accurate|consistent)\b"
)
"""A request to check work for mistakes, in the words people use ('errors' and 'bugs' stay with
the error plan, which reviews the files named when the events show no error)."""
_FIX_WORDS = re.compile(
    r"\b[A-Z]\w*(?:Error|Exception)\b|(?i:\btraceback\b|\bwhat(?:'s| is) wrong\b"
    # Something that will not load, parse or run: "what stops X from loading", "fails to parse".
    r"|\bwhat(?:'s| is)?\s+(?:stops|stopping|prevents?|preventing|keeps|keeping|blocks?|blocking"
    r"|breaks|breaking)\b"
    r"|\b(?:won't|will not|doesn't|does not|can't|cannot|fails?\s+to|refuses?\s+to|unable\s+to)"
    r"\s+(?:be\s+)?(?:load|pars|run|start|open|import|compil|build|install|launch|read|validat)\w*)"
)


def kind_of_edit(task: str, drafted: str) -> str:
    """The kind of help an edited task asks for: the task's strongest signal first (a list of
    sections, a reminder, an exception, a summary, a review), then the keyword labeller's
    reading, then the drafted kind."""
    from backends.local.kinds import label_kind  # noqa: PLC0415 (kinds imports nothing here)

    lowered = task.lower()
    made = _MADE_THAT.match(lowered)
    if made and not read_sections(task):
        # "Create 'x.md' that groups the expenses by category": the file is the vehicle, the
        # verb after 'that' is the work.
        inner = _leading_kind(re.sub(r"s\b", "", made.group(1), count=1) + made.group(2))
        if inner in ("organise", "summarise"):
            return inner
    if _IMPORT_ORDER.search(lowered):
        return "organise"  # "Fix the import order of x.py", "Clean up the imports": PEP 8 groups
    leading = _leading_kind(lowered)
    if leading in (None, "draft_text") and _makes_arranged(task):
        return "organise"
    if leading:
        return leading
    if _MAKES_TABLE.match(lowered) and not read_sections(task):
        return "organise"  # "Create 'clean.csv' with one row per person": rows reshaped
    if read_sections(task) or _DRAFT_WORDS.search(task):
        return "draft_text"
    if _GROUP_WORDS.search(lowered):
        return "organise"  # "... and give me the subtotal per category"
    if "remind" in lowered:
        return "organise"
    if _FIX_WORDS.search(task):
        return "fix_error"
    words = _PATH_LIKE.sub(" ", lowered)  # 'q3-summary.md' names a file, it asks nothing
    if re.search(r"\bsummar", words):
        return "summarise"
    if _REVIEW_WORDS.search(words) or _CHECK_FACTS.search(lowered):
        return "review"
    if _EXPLAIN_WORDS.match(lowered):
        return "explain"  # "Explain why ... groupby ..." is not organising groups
    if _FIND_EVERY.match(lowered) and _FIND_QUERY.search(lowered):
        return "find_examples"  # "Find every call of open( without encoding=" is no doc look-up
    return label_kind(task) or drafted


_LEADING_VERBS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(rf"^(?:{verbs})\b"))
    for kind, verbs in (
        (
            "lookup_docs",
            r"(?:find|search|look)\b[^.;:]{0,40}\b(?:docs|documentation|pydoc|docstrings?)",
        ),
        (
            "fix_error",
            r"(?:find|figure|work)\s+(?:out\s+)?(?:what|why)\b[^;:]{0,40}\b(?:wrong|fail\w*|broken|error\w*|crash\w*"
            r"|stop\w*|prevent\w*|keep\w*|block\w*|break\w*|won't|can't|cannot|doesn't|isn't)"
            # "Find and fix ...", "Track down and repair ...": the fix is the work.
            r"|(?:find|spot|locate|track\s+down|identify|figure\s+out|work\s+out|check)"
            r"\s+(?:and|&|then)\s+(?:fix|correct|repair|resolve|patch)",
        ),
        (
            "lookup_docs",
            r"look\s+up|check\s+(?:in\s+)?the\s+(?:python\s+)?(?:docs|documentation)"
            r"|consult\s+the\s+(?:docs|documentation)|read\s+the\s+(?:docs|documentation)"
            # "Using the Python documentation of re.sub, explain ...": the source named first
            # "Using the installed Python's own logging documentation, explain ...".
            r"|(?:using|with|from|per|according\s+to|based\s+on|going\s+by)\s+(?:the\s+)?"
            r"(?:[\w.'\u2019-]+\s+){0,4}(?:docs|documentation|docstrings?|pydoc|help\(\))",
        ),
        (
            "organise",
            r"re-?organi[sz]e|organi[sz]e|categori[sz]e|group|sort|tidy|arrange|order|alphabeti[sz]e"
            r"|re-?order|re-?arrange|re-?sort|prioriti[sz]e"
            r"|put\b(?:[^.;:]|\.(?=\w)){0,60}\b(?:in|into)\s+(?:[\w-]+\s+){0,2}(?:order|sections?|groups?)\b"
            r"|merge|de-?dup\w*|de-?duplicate|remove\s+(?:the\s+)?duplicat",
        ),
        ("summarise", r"summari[sz]e|recap|sum\s+up|give\s+me\s+(?:a|the)\s+gist"),
        ("fix_error", r"fix|diagnose|debug|repair"),
        ("review", r"review|proofread|check|audit|verify|sanity[- ]check"),
        ("find_examples", r"find|list|locate|search|show\s+me\s+(?:every|all)"),
        ("explain", r"explain|walk\s+me\s+through"),
        ("draft_text", r"draft|write|compose|reply|prepare|create\s+(?:a|an|the)\b"),
    )
)
"""The kind a task's leading verb names outright ("Look up in the docs ...", "Reorganise ...")."""


_SETTING = re.compile(
    r"^(?:(?:today is|it is|it's|as of|now is|the date is|context:)[^.;!?]{0,60}[.;!?]\s+"
    r"|(?:in|from|for|using|with|across|under)\s+(?:the\s+|my\s+)?'[^']{1,120}'\s*,\s*)+"
)
"""Sentences and phrases before a task's request that only set its scene."""


def _leading_kind(lowered: str) -> str | None:
    """The kind the task's first verb names, after a polite opening; None when it names none.
    A leading "check"/"find" that a stronger word follows ("check the docs") is read as that."""
    text = re.sub(
        r"^(?:please|pls|kindly|can you|could you|would you)\b[\s,]*", "", lowered.strip()
    )
    # "Today is 15 May. In 'a.csv', find ...": the request follows its setting.
    text = _SETTING.sub("", text)
    text = re.sub(r"^(?:please|pls|kindly)\b[\s,]*", "", text)
    for kind, verbs in _LEADING_VERBS:
        if verbs.match(text):
            return kind
    return None


_MADE_THAT = re.compile(
    r"^(?:please\s+)?(?:write|draft|create|make|produce|prepare|generate|build)\b"
    r"(?:[^.;:]|[.:](?=\w)){0,80}?"
    r"\b(?:that|which)\s+(\w+)(.*)$",
    re.S,
)
"""A task that makes a file that does something ("Create X that groups ..."): the verb after."""
_MADE_ARRANGED = re.compile(
    r"^(?:please\s+)?(?:write|create|make|produce|generate|build|save|rewrite|output)\s+"
    r"(?:(?:a|an|the|one|new)\s+)?('[^']+'|\"[^\"]+\"|`[^`]+`|(?:clean(?:ed)?\s+|single\s+)?"
    r"(?:list|table|csv|spreadsheet|sheet|file|copy|version)\b)"
)
"""A task that makes a file or a list (its object right after the verb)."""
_ARRANGED = re.compile(
    r"\b(?:sort(?:ed|s)?|order(?:ed)?\s+by|in\s+(?:[\w-]+\s+){0,2}order|alphabetic\w*|a-z"
    r"|one\s+(?:row|line|entry|item)\s+(?:per|for\s+each)|de-?dup\w*|duplicat\w*|merg\w*"
    r"|group(?:ed)?\s+by|(?:earliest|latest|newest|oldest)\s+first)\b"
)
"""Words that say the material is re-arranged: sorted, de-duplicated, merged, grouped."""
_LETTER_WORDS = re.compile(
    r"\b(?:e-?mail|letter|reply|message|memo|post|essay|announcement|paragraph|speech|outline)s?\b"
)
"""Things written to a reader: a task that makes one is a draft, however it is ordered."""


def _makes_arranged(task: str) -> bool:
    """Whether a task makes a file or list of the material itself re-arranged ("Create
    'clean.csv' with one row per person, sorted by last name"), not a text for a reader."""
    lowered = task.lower()
    made = _MADE_ARRANGED.match(lowered)
    if not made or not _ARRANGED.search(lowered) or read_sections(task):
        return False
    if extension(made.group(1).strip("'\"`")) in DATA_EXTENSIONS | {"xlsx", "ods"}:
        return True  # a data file's columns may be called 'email' or 'message'
    return not _LETTER_WORDS.search(_PATH_LIKE.sub(" ", lowered))


_GROUP_WORDS = re.compile(
    r"\bsub-?totals?\b|\bgroup(?:ed)?\s+by\b|\btotals?\s+(?:per|by|for each)\b"
    r"|\b(?:per|by)\s+(?:category|project|person|month|week|team|region|owner|client)\b"
)
_EXPLAIN_WORDS = re.compile(r"^(?:please\s+)?(?:explain|why\b|what does|how does|walk me through)")
_FIND_EVERY = re.compile(
    r"^(?:please\s+)?(?:(?:find|list|show|locate)\s+(?:me\s+)?(?:every|all|each)\b"
    r"|(?:which|what)\s+(?:notes?|e-?mails?|messages?|files?|documents?|modules?|classes|"
    r"functions?|methods?|calls?|places?)\b)"
)
_FIND_QUERY = re.compile(
    r"\bmention\w*|\bcall(?:s|ed)?\b|\b(?:uses?|usages?|imports?)\s+(?:of\s+)?\S|\w=|\w\(|without"
    r"|\bsubclass|\binherit|\bderiv|\b(?:take|accept)s?\s"
)


_PATH_LIKE = re.compile(r"(?:[\w.-]+/)*[\w-][\w.-]*\.[A-Za-z][A-Za-z0-9]{0,4}")
"""A quoted name that looks like a file path: 'logs/worker.log', 'setup.cfg'."""


def timed_first(texts: Sequence[str]) -> list[str]:
    """`texts` with those that give an hour ("at 09:30", "in 20 minutes") first, in order."""
    timed = [t for t in texts if _CLOCK.search(t) or _CLOCK_24.search(t) or _IN_DELTA.search(t)]
    return [*timed, *(t for t in texts if t not in timed)]


def reminder_time(texts: Sequence[str], now: float) -> str | None:
    """The ISO time a text asks for ("at 3 pm", "15:30", "tomorrow 09:00", "in 30 minutes"),
    read against `now` (the last event's unix seconds, in UTC); "tomorrow" for a bare
    "tomorrow"; None when no text gives a time."""
    base = datetime.fromtimestamp(now, tz=UTC).replace(tzinfo=None)
    # A text that gives a day and an hour ("moved to 2026-01-15 at 09:30") says more than one
    # that gives only a day ("the week of 12 January"): it is read first.
    for text in timed_first(texts):
        lowered = text.lower()
        delta = _IN_DELTA.search(lowered)
        if delta:
            amount, unit = delta.groups()
            count = 0.5 if amount == "half an" else _WORD_NUMBERS.get(amount) or int(amount)
            step = {"minute": 60, "min": 60, "hour": 3600, "day": 86400}[unit]
            when = base + timedelta(seconds=count * step)
            return when.replace(microsecond=0).isoformat(timespec="minutes")
        clock = _CLOCK.search(lowered)
        hour = minute = None
        if clock:
            hour = int(clock.group(1)) % 12 + (12 if clock.group(3) == "p" else 0)
            minute = int(clock.group(2) or 0)
        else:
            clock24 = _CLOCK_24.search(lowered)
            if clock24:
                hour, minute = int(clock24.group(1)), int(clock24.group(2))
        named_day = _date_in(text, base)
        day = base + timedelta(days=1) if "tomorrow" in lowered else base
        if named_day is not None:
            day = named_day
        if hour is None:
            if named_day is not None:
                return named_day.date().isoformat()  # a day without an hour stays a day
            if "tomorrow" in lowered:
                return "tomorrow"  # no hour given: the person's words, not an invented one
            continue
        when = day.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if when < base and "tomorrow" not in lowered and named_day is None:
            when += timedelta(days=1)  # "at 9 am" said in the afternoon means the next one
        return when.isoformat(timespec="minutes")
    return None
