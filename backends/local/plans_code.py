"""The offline plans that explain code or a name and find examples of it: a module's outline,
usages across the project, the installed documentation.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from backends.local.plans import (
    _HIT,
    CODE_EXTENSIONS,
    MAX_DOC_LINES,
    MAX_LISTED,
    Outcome,
    Work,
    _code,
    _doc_excerpt,
    _hits,
    _importable,
    _numbered,
    _offline_search,
    _python_docs,
    _summary_of,
    _usages,
    formulas_worked_out,
    lookup_docs,
    python_candidates,
    python_findings,
)
from backends.local.plans_rows import table_rows
from backends.local.plans_statements import asked_act, statements
from backends.local.task_subjects import (
    DOCUMENT_EXTENSIONS,
    EVENT_WINDOW,
    TaskSubjects,
    dotted_names,
    extension,
)
from backends.local.text import content_words, read_event
from graphs.state import Event
from tools.dates import find_dates
from tools.pyquery import dotted_name


def explain(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> Outcome:
    """Explain an import cycle from the import graph; a code file from its regular expressions,
    the functions the task names (with the documentation of the library calls they make) and
    its outline; a Python name from its docs, a document from its summary; otherwise say what
    cannot be done offline and show what the files hold."""
    worked = formulas_worked_out(work, subjects, events)
    if worked is not None:
        return worked
    if wants_import_cycle(subjects):
        cycle = import_cycle(work, subjects, events)
        if cycle is not None:
            return cycle
    quoted = _quoted_regex(subjects.task)
    if quoted:
        found = work.output("explain_regex", pattern=quoted)
        if found and found.startswith("Pattern"):
            return Outcome(
                title=f"Explain: the regular expression {quoted}"[:180],
                lines=["The regular expression, piece by piece:", *found.splitlines()],
                did="explained the regular expression",
            )
    # What the task itself names comes first: an edited "explain functools.lru_cache" is about
    # that name, not about the file the events were on.
    own_files = read_event(subjects.task).files
    names_python = any(_importable(d) for d in dotted_names(subjects.task))
    files = own_files or ([] if names_python else subjects.files[:2])
    target = next((p for p in (work.resolve(f) for f in files[:2]) if p), None)
    if target is None and not names_python:
        # A file whose extension is not a known one ('jobs.crontab') is still the person's file.
        quoted = [n for n in subjects.names if "/" in n or "." in n]
        target = next((p for p in (work.resolve(n) for n in quoted[:2]) if p), None)
    logged = _logging_trace(work, subjects)
    if logged is not None:
        return logged
    if target and extension(target) in ("py", "pyi"):
        outline = work.output("module_outline", path=target)
        if outline:
            first = _evaluated(work, subjects, target, outline)
            first += _regex_lines(work, subjects, events, target, outline)
            first += _traced(work, subjects, target, outline)
            first += _function_lines(work, subjects, target, outline)
            # What the code does that people do not expect (a shared default list, a None used)
            first += python_findings(work, target)
            lines = [*first, *([""] if first else [])]
            lines += [f"What {_code(target)} holds, function by function:", *outline.splitlines()]
            findings = _hits(work.output("lint_file", path=target))
            if findings:
                lines += ["", "Where its logic could go wrong (ruff):", *findings[:MAX_LISTED]]
            return Outcome(title=f"Explain: {target}", lines=lines, did=f"outlined {target}")
    if target and extension(target) not in CODE_EXTENSIONS:
        schedule = _schedule(work, target)
        if schedule is not None:
            return schedule
    if target and extension(target) in DOCUMENT_EXTENSIONS:
        return _summary_of(work, target, "Explain")
    if python_candidates(subjects):
        outcome = lookup_docs(work, subjects, events)
        outcome.title = outcome.title.replace("Docs:", "Explain:", 1)
        return outcome
    return _offline_search(work, subjects, events, "Explain", what="look this up on the web")


_DATA_GIVEN = frozenset({"json", "csv", "tsv"})


def _evaluated(work: Work, subjects: TaskSubjects, target: str, outline: str) -> list[str]:
    """What a function the task names returns for the data file the task names, worked out from
    its syntax tree (never run), with how often each of its conditions held."""
    data = [p for p in map(work.resolve, subjects.files_with(_DATA_GIVEN)[:2]) if p]
    if not data:
        return []
    defined = [m["name"] for m in map(_DEF_LINE.match, outline.splitlines()) if m]
    named = [n for n in subjects.identifiers if n in defined]
    named += [n for n in defined if re.search(rf"\b{re.escape(n)}\s*\(", subjects.task)]
    for name in list(dict.fromkeys(named))[:2]:
        found = work.output("evaluate_function", path=target, function=name, data_path=data[0])
        if not found or found.startswith(("Error", "Not worked out")):
            continue
        lines = []
        for line in found.splitlines():
            hit = _HIT.match(line)
            lines.append(
                f"- {_code(hit['path'])} line {hit['line']}: {hit['text']}"
                if hit and not line.startswith(" ")
                else line
            )
        return [*lines, ""]
    return []


_HOW_MUCH = re.compile(
    r"\bhow (?:many|long|often)\b|\bin total\b|\bwait|\bsleep|\bretr(?:y|ies)\b|\bbackoff"
    r"|\bgives? up\b|\bhang",
    re.I,
)


def _traced(work: Work, subjects: TaskSubjects, target: str, outline: str) -> list[str]:
    """A function the task names stepped through with the project's own values (its call
    site, its settings files), when the task asks how many calls or how long it waits."""
    if not _HOW_MUCH.search(subjects.task):
        return []
    defined = {m["name"] for m in map(_DEF_LINE.match, outline.splitlines()) if m}
    for name in [n for n in subjects.identifiers if n in defined][:2]:
        found = work.output("trace_function", path=target, function=name)
        if not found or found.startswith("Error") or "Not traced" in found:
            continue
        if "calls no function it is passed" in found:
            continue
        lines = []
        for line in found.splitlines():
            line = re.sub(r"\(([\w./-]+\.py):(\d+)\)", r"(\1 line \2)", line)
            lines.append(re.sub(r"at ([\w./-]+\.py):(\d+)$", r"at \1 line \2", line))
        return [*lines, ""]
    return []


_CONFIG_EXTENSIONS = frozenset({"ini", "cfg", "conf", "json", "yaml", "yml", "toml"})
_QUOTED = re.compile(r"\"([^\"]{3,200})\"|'([^']{3,200})'")


def _logging_trace(work: Work, subjects: TaskSubjects) -> Outcome | None:
    """Where a script's logging calls end up under the logging configuration the task names
    (a message the task quotes first); None when no named file is a logging configuration."""
    scripts = [p for p in map(work.resolve, subjects.files_with(frozenset({"py"}))[:2]) if p]
    configs = [p for p in map(work.resolve, subjects.files_with(_CONFIG_EXTENSIONS)[:3]) if p]
    if not scripts or not configs:
        return None
    quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(subjects.task)]
    message = next((q for q in quoted if extension(q) not in (*_CONFIG_EXTENSIONS, "py")), "")
    for config in configs:
        for script in scripts:
            found = work.output("trace_logging", config_file=config, script=script, message=message)
            if found and not found.startswith("Error") and "record of logger" in found:
                lines = [_code_lines(line) for line in found.splitlines()]
                return Outcome(
                    title=f"Explain: where the logging of {script} goes"[:180],
                    lines=lines,
                    did=f"traced the logging calls of {script} through {config}",
                )
    return None


def _code_lines(line: str) -> str:
    """'app.py line 7' written as the project cites a place: `app.py` line 7."""
    return re.sub(r"(?<![`\w/.-])([\w./-]+\.\w+) line (\d+)", r"`\1` line \2", line)


def _schedule(work: Work, target: str) -> Outcome | None:
    """When each crontab entry of `target` runs, in plain words (None when it holds none)."""
    found = work.output("explain_schedule", path=target)
    # A document whose lines only look like entries (a dated line, a table) is not a crontab.
    if not found or found.startswith("Error") or "\n  runs " not in found:
        return None
    lines = []
    for line in found.splitlines()[1:]:
        hit = _HIT.match(line)
        lines.append(f"{_code(hit['path'])} line {hit['line']}: {hit['text']}" if hit else line)
    return Outcome(
        title=f"Explain: when the jobs in {target} run",
        lines=[f"When each entry of {_code(target)} runs:", *lines],
        did=f"read the schedule in {target}",
    )


def find_examples(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> Outcome:
    """The call sites a code query asks for ("every open( without encoding="), the dated
    mentions of a name across documents, else example lines from the project and from the
    installed documentation."""
    if marker_words(subjects.task):
        found = marker_comments(work, subjects)
        if found is not None:
            return found
    items = open_items_found(work, subjects)
    if items is not None:
        return items
    rows = table_rows(work, subjects, events)
    if rows is not None:
        return rows
    if asked_act(subjects.task):
        found = statements(work, subjects)
        if found is not None:
            return found
    query = read_code_query(subjects.task, events)
    if query is not None:
        found = call_sites(work, query)
        if found is not None:
            return found
    if _MENTIONS_ASKED.search(subjects.task):
        found = dated_mentions(work, subjects)
        if found is not None:
            return found
    names = [*python_candidates(subjects), *subjects.identifiers]
    lines: list[str] = []
    did = ""
    shown = ""  # the title names what was found, not a guessed combination of names
    for name in names[:3]:
        uses = _usages(work, name.rsplit(".", 1)[-1])
        if uses:
            shown = name.rsplit(".", 1)[-1]
            lines += [f"Examples of {shown} in your project:", *uses]
            did = f"found uses of {shown} in the project"
            break
    for name in subjects.files_with(CODE_EXTENSIONS)[:1]:
        path = work.resolve(name)
        outline = work.output("module_outline", path=path) if path else None
        if outline:
            lines += ["", f"What {_code(path or name)} does, and who calls what:"]
            lines += outline.splitlines()
            did = did or f"outlined {path}"
    found = _python_docs(work, subjects) if names else None
    if found:
        name, doc = found
        examples = _doc_examples(doc)
        if examples:
            lines += ["", f"Examples in the documentation of {_code(name)}:", *examples]
        else:
            lines += ["", f"How {_code(name)} is called (installed documentation):"]
            lines += _doc_excerpt(doc, [])[0][:8]
        did = did or f"read the documentation of {name}"
        shown = shown or name
    if not lines:
        return _offline_search(work, subjects, events, "Examples", what="search the web")
    return Outcome(title=f"Examples: {shown or subjects.subject}"[:180], lines=lines, did=did)


_ITEMS_ASKED = re.compile(
    r"\b(?:unpaid|paid|overdue|outstanding|settled|still (?:open|pending|waiting)|pending"
    r"|unresolved|undelivered|not (?:yet )?(?:been )?(?:paid|settled|resolved|delivered|shipped"
    r"|closed|fixed|answered))\b",
    re.I,
)
"""A task about which invoices, bills or orders are still open."""
_MAIL_EXTENSIONS = frozenset({"txt", "eml", "mbox", "md", "text"})
_BEFORE = re.compile(r"\b(?:due\s+)?(?:before|prior to|earlier than|as of|by|until)\s+", re.I)


def _due_limit(task: str) -> str:
    """The ISO date a task's 'due before 15 June 2026' names ('' when none)."""
    year = re.search(r"\b(?:19|20)\d\d\b", task)
    for match in _BEFORE.finditer(task):
        found = find_dates(
            task[match.end() : match.end() + 40], int(year.group(0)) if year else 2000
        )
        if found and found[0].start == 0 and (year or found[0].explicit_year):
            return found[0].day.isoformat()
    return ""


def open_items_found(work: Work, subjects: TaskSubjects) -> Outcome | None:
    """The items (invoices, bills, orders) an email export the task names still shows open,
    due before the date the task gives; None when the task asks no such thing."""
    if not _ITEMS_ASKED.search(subjects.task):
        return None
    for name in subjects.files_with(_MAIL_EXTENSIONS)[:2]:
        path = work.resolve(name)
        if not path:
            continue
        found = work.output("open_items", path=path, due_before=_due_limit(subjects.task))
        if not found or found.startswith("Error") or not found.startswith("Open items"):
            continue
        lines = [
            re.sub(r"\(([\w./-]+):(\d+)\)", r"(`\1` line \2)", ln) for ln in found.splitlines()
        ]
        return Outcome(
            title=f"Examples: open items in {path}"[:180],
            lines=lines,
            did=f"listed the items {path} still shows open",
        )
    return None


_MARKER_WORD = re.compile(r"(?<![\w-])(TODO|FIXME|XXX|HACK)(?:s|'s)?(?![\w-])")
"""A code marker the task names, upper case as written in comments ('TODO', not 'todo list')."""
_MARKER = re.compile(
    r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+): (?P<text>(?:TODO|FIXME|XXX|HACK|BUG).*?)"
    r"(?:  -- in (?P<where>.+)\(\))?$"
)


def marker_words(text: str) -> list[str]:
    """The code markers ('TODO', 'FIXME') a task or title names."""
    return list(dict.fromkeys(m.group(1) for m in _MARKER_WORD.finditer(text)))


def marker_comments(work: Work, subjects: TaskSubjects, text: str = "") -> Outcome | None:
    """The project's TODO / FIXME comments the task (or a document's title) asks about, each
    with file, line and function; None when the code has none."""
    words = marker_words(text or subjects.task)
    folder = _scope(subjects.task)
    folder = folder if folder.endswith("/") or folder.endswith(".py") else "."
    found = work.output("code_markers", path=folder, marker=",".join(words))
    hits = [m for m in (_MARKER.match(ln) for ln in (found or "").splitlines()) if m]
    if not hits:
        return None
    lines = [f"{'/'.join(words)} comments in the code, {len(hits)} in all:"]
    for hit in hits:
        where = f", in `{hit['where']}`" if hit["where"] else ""
        lines.append(f"- {_code(hit['path'])} line {hit['line']}{where}: {hit['text']}")
    lines += ["", "Only comments are listed: names that merely contain the word are not markers."]
    return Outcome(
        title=f"{'/'.join(words)} comments",
        lines=lines,
        did=f"listed the {'/'.join(words)} comments of the code",
    )


def _doc_examples(doc: str) -> list[str]:
    """Lines of a docstring's examples (doctest lines, an 'Example' section)."""
    lines = doc.splitlines()
    kept: list[str] = []
    in_section = False
    for line in lines:
        stripped = line.strip()
        if re.match(r"^(?:Examples?|Usage)\s*:?\s*$", stripped) or stripped.startswith("-----"):
            in_section = in_section or stripped.lower().startswith(("example", "usage"))
            continue
        if stripped.startswith("... [truncated"):
            break
        if stripped.startswith((">>>", "...")) or (in_section and stripped):
            kept.append(line.rstrip())
        elif in_section and not stripped and kept:
            in_section = False
    return kept[:MAX_DOC_LINES]


# --- code queries: call sites -------------------------------------------------------------------


@dataclass(frozen=True)
class CodeQuery:
    """A question about the project's calls, read from a task's words."""

    names: tuple[str, ...]
    """The functions or methods asked about, the most explicit first ('open', '.execute')."""
    folder: str
    """The folder or file the task names; '.' for the whole project."""
    without: str
    """Keep the calls that do not pass this keyword ('encoding'); '' for no such filter."""
    with_: str
    """Keep the calls that pass this keyword; ''."""
    relation: str = "calls"
    """'calls', or a find_definitions relation: 'imports', 'subclasses', 'parameter'."""
    formatted: bool = False
    """Asked for the calls whose text argument is built by formatting (f-strings, %, +)."""
    value: str = ""
    """The value the `with_` keyword is asked with ('False' in "pass strict=False"); ''."""
    unmanaged: bool = False
    """Asked for the calls not made in a `with` statement (handles that may stay open)."""
    effective: bool = False
    """Asked for the values each call runs with (its arguments, the defaults it leaves out)."""


_CALL_FORM = re.compile(r"(?<![\w.])(\.?[A-Za-z_][\w.]*)\(")
_CALL_WORDS = re.compile(
    r"\b(?:call(?:s|ed|ing)?|invok\w*|call sites?|argument|keyword|kwargs?)\b", re.I
)
_CALLS_OF = re.compile(
    r"\b(?:calls?|call sites?|invocations?|uses|usages)\s+(?:to|of)\s+(?:the\s+)?[`'\"]?"
    r"(\.?[A-Za-z_][\w.]*)",
    re.I,
)
_CLAUSE_VERB = re.compile(r"\b(?:that|which|where)\s+(?:the\s+code\s+)?([a-z_]\w*)", re.I)
_NEGATION = re.compile(
    r"\b(?:without|missing|lacking|omit(?:s|ting)?|no|never)\b"
    r"|\b(?:do|does|did)\s*(?:not|n't)\b|\b(?:don't|doesn't|didn't)\b",
    re.I,
)
_WITH = re.compile(r"\b(?:with|passing|pass(?:es)?|sets?|setting|specify(?:ing)?)\b", re.I)
_FILLER = frozenset(
    """pass passes passing passed set sets setting specify specifying specifies give gives giving
    use uses using include includes including a an the any explicit explicitly keyword keywords
    argument arguments parameter parameters kwarg kwargs named its their an value""".split()
)
_NOT_CALLS = frozenset(
    """find every place places file files line lines list show give the a an each all project
    folder code where which that name names""".split()
)


def _keyword_after(text: str, start: int, *, need_sign: bool) -> str:
    """The keyword argument named right after `start` ("passing encoding=" -> 'encoding'),
    filler words skipped; '' when none (or, with `need_sign`, none written as `name=` or
    introduced by 'keyword'/'argument')."""
    introduced = False
    for match in re.finditer(r"[`'\"]?([A-Za-z_]\w*)([`'\"]?\s*=)?", text[start:]):
        word = match.group(1)
        if word.lower() in _FILLER:
            introduced = introduced or word.lower().startswith(("keyword", "argument", "param"))
            continue
        if need_sign and not (match.group(2) or introduced):
            return ""
        return word
    return ""


def _filters(task: str) -> tuple[str, str]:
    """(without, with) keywords of a task: "without passing encoding=", "with timeout="."""
    without = ""
    rest = task
    for match in _NEGATION.finditer(task):
        word = _keyword_after(task, match.end(), need_sign=match.group(0).lower() == "no")
        if word:
            without = word
            rest = task[: match.start()]
            break
    with_ = ""
    if not without:
        for match in _WITH.finditer(rest):
            word = _keyword_after(rest, match.end(), need_sign=True)
            if word:
                with_ = word
                break
    return without, with_


def _scope(task: str) -> str:
    """The folder (or Python file) a task limits the query to; '.' for the whole project."""
    for quoted in read_event(task).quoted:
        clean = quoted.strip().strip("`")
        if clean.endswith("/") or clean.endswith(".py"):
            return clean
    match = re.search(r"\b(?:in|under|inside|within)\s+(?:the\s+)?`?([\w.-]+(?:/[\w.-]+)*/)", task)
    return match.group(1) if match else "."


_RELATIONS = (
    (
        "subclasses",
        re.compile(
            r"\b(?:subclass(?:es)?|inherit(?:s|ing)?|deriv(?:e|es|ing))\s+(?:of\s+|from\s+)?"
            r"(?:the\s+)?(?:class\s+)?[`'\"]?([A-Za-z_][\w.]*)",
            re.I,
        ),
    ),
    (
        "parameter",
        re.compile(
            r"\b(?:functions?|methods?)\s+(?:that|which)\s+(?:take|accept|receive)s?\s+"
            r"(?:an?\s+|the\s+)?(?:parameter\s+|argument\s+)?[`'\"]?([A-Za-z_][\w.]*)"
            r"|\bparameters?\s+(?:named|called)\s+[`'\"]?([A-Za-z_]\w*)",
            re.I,
        ),
    ),
    (
        "imports",
        re.compile(
            r"\bimport(?:s|ing)?\s+(?:of\s+)?(?:the\s+)?(?:module\s+|package\s+)?"
            r"[`'\"]?([A-Za-z_][\w.]*)",
            re.I,
        ),
    ),
)
"""Structural questions ("classes that subclass X", "functions that take X", "imports of X")."""
_LACKING = re.compile(
    r"\b(?:functions?|methods?|classes|class|definitions?|defs?)\b[^.?!]{0,40}?"
    r"\b(?:without|lack(?:s|ing)?|missing|with no|(?:have|has) no|(?:do|does)(?: not|n't) have)"
    r"\s+(?:a\s+|an\s+|any\s+)?(docstrings?|doc strings?|type hints?|(?:type )?annotations?"
    r"|return types?)",
    re.I,
)
"""A task asking for the definitions without a docstring or without type annotations."""
_NOT_NAMES = frozenset("a an the it them this that these those".split())


_UNMANAGED = re.compile(
    r"\bwithout\s+(?:a\s+|an\s+|using\s+a\s+)?(?:`?with`?\s+(?:statement|block)|context\s+manager)"
    r"|\bnot\s+(?:in|inside|within|using)\s+a\s+`?with\b|\b(?:never|not)\s+closed\b|\bunclosed\b"
    r"|\bleft\s+open\b|\bleak(?:s|ed|ing)?\s+(?:a\s+)?(?:file|handle|connection)",
    re.I,
)
"""A task asking for resources opened outside a `with` block."""
_OPENS = re.compile(r"\b(open|connect)(?:s|ed|ing|ions?)?\b", re.I)
"""The verb that names the call when a task asks for handles without naming a function."""
_VALUE = r"\s*=\s*(True|False|None|-?\d[\w.]*|\"[^\"\n]*\"|'[^'\n]*')"


def read_code_query(task: str, events: Sequence[Event]) -> CodeQuery | None:
    """The call-site query a task asks, or None when it asks for none."""
    if not _CLAUSE_QUERY.search(task):
        return None
    if _UNMANAGED.search(task):
        named = [m.group(1) for m in _CALL_FORM.finditer(task)]
        verbs = [m.group(1).lower() for m in _OPENS.finditer(task)]
        # A task about connections asks for connect(), whatever verb it opens them with.
        named += sorted(
            dict.fromkeys(verbs), key=lambda v: v != "connect" or "connection" not in task.lower()
        )
        if named:
            names = tuple(dict.fromkeys(named))[:3]
            return CodeQuery(names, _scope(task), "", "", unmanaged=True)
    lacking = _LACKING.search(task)
    if lacking:
        what = "docstring" if lacking.group(1).lower().startswith("doc") else "annotations"
        return CodeQuery((what,), _scope(task), "", "", "missing")
    explicit = _CALL_FORM.search(task) or any(_filters(task))
    for relation, pattern in () if explicit else _RELATIONS:
        for match in pattern.finditer(task):
            name = next((g for g in match.groups() if g), "").rstrip(".")
            if name and name.lower() not in _NOT_NAMES:
                return CodeQuery((name,), _scope(task), "", "", relation)
    without, with_ = _filters(task)
    strong = [m.group(1) for m in _CALL_FORM.finditer(task)]
    strong += [m.group(1) for m in _CALLS_OF.finditer(task)]
    strong += [d for d in dotted_names(task) if extension(d) not in CODE_EXTENSIONS]
    strong += [m for m in re.findall(r"`([A-Za-z_.][\w.]*)`", task)]
    weak = []
    for match in _CLAUSE_VERB.finditer(task):
        word = match.group(1).lower()
        if word not in _NOT_CALLS and word not in _FILLER:
            weak += [word, word[:-1]] if word.endswith("s") and len(word) > 3 else [word]
    for event in events[-EVENT_WINDOW:]:
        weak += [m.group(1) for q in read_event(event.text).quoted for m in _CALL_FORM.finditer(q)]
    strong = [n for n in dict.fromkeys(strong) if n.strip(".") and n.lower() not in _NOT_CALLS]
    weak = [n for n in dict.fromkeys(weak) if n not in strong]
    formatted = bool(_FORMATTED.search(task))
    if not (without or with_ or formatted or (strong and _CALL_WORDS.search(task))):
        return None
    names = [*strong, *weak] if (without or with_ or formatted) else strong
    if not names:
        return None
    value = re.search(rf"\b{re.escape(with_)}{_VALUE}", task) if with_ else None
    return CodeQuery(
        tuple(names[:6]),
        _scope(task),
        without,
        with_,
        formatted=formatted,
        value=value.group(1) if value else "",
        effective=bool(_EFFECTIVE.search(task)),
    )


_EFFECTIVE = re.compile(
    r"\bdefaults?\b|\bvalues?\b|\bargument values\b|\b(?:actually|really|effectively)\s+"
    r"(?:run|use|pass|get|call)\w*|\beffective\b|\bruns? with\b|\bsettings?\s+(?:it|each|they)",
    re.I,
)
"""A task asking what each call really runs with (the values passed, the defaults left out)."""


_KEYWORD_VALUES = {"encoding": '"utf-8"', "check": "True", "timeout": "<seconds>"}
"""The usual value of a keyword a fix adds."""
_FORMATTED = re.compile(
    r"\bf-?strings?\b|\bstring (?:formatting|concatenation|interpolation)|\bformat(?:ted|ting)\b"
    r"|\bconcatenat\w*|\binterpolat\w*|\binjection\b",
    re.I,
)
_CLAUSE_QUERY = re.compile(
    r"^(?:please\s+)?(?:find|list|show|locate|which|where|what|give)\b", re.I
)
_DEFINED = re.compile(r"^Defined at (?P<path>[^\s:][^:\n]*):(?P<line>\d+): (?P<rest>.*)$")
_SITE = re.compile(r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+): (?P<code>.*?)  -- (?P<note>.*)$")


def call_sites(work: Work, query: CodeQuery) -> Outcome | None:
    """The call sites `query` asks for, grouped as the find_calls tool groups them (or the
    imports, subclasses or functions a structural query asks for)."""
    if query.relation != "calls":
        return _definitions(work, query)
    for name in query.names:
        with_ = f"{query.with_}={query.value}" if query.value else query.with_
        args = {"name": name, "without_keyword": query.without, "with_keyword": with_}
        if query.formatted:
            args = {"name": name, "formatted_argument": True}
        if query.unmanaged:
            args = {"name": name, "outside_with": True}
        if query.effective:
            args["effective_arguments"] = True
        found = work.output("find_calls", path=query.folder, **args)
        if found is None and query.folder != ".":
            found = work.output("find_calls", path=".", **args)
        if found is None or not any(_SITE.match(ln) for ln in found.splitlines()):
            continue
        lines: list[str] = []
        counts: list[int] = []
        for line in found.splitlines():
            site = _SITE.match(line)
            if site:
                lines.append(
                    f"- {_code(site['path'])} line {site['line']}: {site['code']} ({site['note']})"
                )
                continue
            defined = _DEFINED.match(line)
            if defined:
                lines.append(
                    f"Defined in {_code(defined['path'])} line {defined['line']}: {defined['rest']}"
                )
                continue
            if lines:
                lines.append("")
            lines.append(line)
            count = re.search(r": (\d+)$", line)
            if count:
                counts.append(int(count.group(1)))
        asked = counts[0] if counts else 0
        keyword = query.without or query.with_
        if query.without and asked:
            value = _KEYWORD_VALUES.get(query.without, "...")
            lines += ["", f"To fix: pass {query.without}={value} in each call of the first list."]
        elif query.without:
            lines += ["", f"Every call of {name}( under {query.folder} passes {keyword}=."]
        elif query.formatted and asked:
            lines += [
                "",
                "To fix: keep the text constant and pass the values separately (query "
                "parameters such as execute(sql, params), an argument list) so that no value "
                "can change the command.",
            ]
        if query.unmanaged and asked:
            lines += [
                "",
                f"To fix: open each in a `with` statement (with {name}(...) as handle:) so it is "
                "closed even when an error comes first.",
            ]
        elif query.value and asked:
            lines += ["", f"Calls that leave {keyword} out take its default value."]
        title = f"Examples: calls of {name}(" + (f" without {keyword}=" if query.without else "")
        title += f" with {keyword}={query.value}" if query.value else ""
        title += " outside a with statement" if query.unmanaged else ""
        what = f"found the calls of {name}(" + (f" without {keyword}=" if query.without else "")
        return Outcome(title=title, lines=lines, did=what)
    return None


def _definitions(work: Work, query: CodeQuery) -> Outcome | None:
    name = query.names[0]
    args = {"name": name, "relation": query.relation}
    found = work.output("find_definitions", path=query.folder, **args)
    if found is None and query.folder != ".":
        found = work.output("find_definitions", path=".", **args)
    if found is None or not any(_HIT.match(ln) for ln in found.splitlines()):
        return None  # none found: the task may be about documents after all
    lines = []
    for line in found.splitlines():
        hit = _HIT.match(line)
        if hit:
            text, _, what = hit["text"].partition("  -- ")
            lines.append(
                f"- {_code(hit['path'])} line {hit['line']}: {text}"
                + (f" ({what})" if what else "")
            )
        else:
            lines.append(line)
    title = found.splitlines()[0].split(" under ")[0].split(":")[0]
    return Outcome(title=f"Examples: {title}"[:180], lines=lines, did=f"listed the {title.lower()}")


# --- mentions across documents ------------------------------------------------------------------


_MENTIONS_ASKED = re.compile(
    r"\bmention\w*|\bdiscuss\w*|\b(?:said|say|says|written|wrote)\b|\btalk\w*\s+about"
    r"|\brefer\w*\s+to\b|\bhistory\b|\bdate order\b|\bchronolog\w*|\btimeline\b",
    re.I,
)
_MENTION = re.compile(r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+): (?P<text>.*)  -- (?P<when>.*)$")
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*)*)")


def _mention_terms(subjects: TaskSubjects) -> list[str]:
    """What a mentions query looks for: the task's quoted names, its proper nouns, the
    person's searches, then the words after 'mentions'."""
    task = subjects.task
    quoted = [q for q in read_event(task).quoted if "/" not in q and "." not in q[-5:]]
    proper = [m.group(1) for m in _PROPER.finditer(task) if m.start() > 0]
    after = re.search(r"\b(?:mention\w*|about|discuss\w*|refer\w*\s+to)\s+(?:the\s+)?(.+)", task)
    words = content_words(after.group(1))[:3] if after else []
    terms = [*quoted, *proper, *subjects.queries[:2], *words]
    return [t for t in dict.fromkeys(t.strip() for t in terms) if len(t) > 2][:6]


_CALENDAR_WORDS = frozenset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday today yesterday""".split()
)


def _name_terms(subjects: TaskSubjects) -> list[str]:
    """The names a mentions task gives (quoted or capitalised, not a date word): one thing and
    the aliases the person states for it ("Northwind (also 'NW Logistics')")."""
    task = subjects.task
    quoted = [q for q in read_event(task).quoted if "/" not in q and "." not in q[-5:]]
    proper = [m.group(1) for m in _PROPER.finditer(task) if m.start() > 0]
    names = [n.strip() for n in [*quoted, *proper] if len(n.strip()) > 2]
    names = [n for n in dict.fromkeys(names) if n.lower() not in _CALENDAR_WORDS]
    return sorted(names, key=task.find)  # the name said first is the main one


def dated_mentions(work: Work, subjects: TaskSubjects) -> Outcome | None:
    """Every mention of the task's term (and the aliases it names) across the documents,
    dated, in date order."""
    folder = _scope(subjects.task)
    folder = folder if folder.endswith("/") else "."
    names = _name_terms(subjects)
    # Each name the task gives that the documents mention is the same thing under an alias.
    present = [n for n in names if _mentions_of(work, n, folder)]
    terms = ["|".join(present[:4])] if len(present) > 1 else []
    for term in [*terms, *_mention_terms(subjects)]:
        found = work.output("find_mentions", term=term, path=folder)
        if found is None and folder != ".":
            found = work.output("find_mentions", term=term, path=".")
        hits = [m for m in (_MENTION.match(ln) for ln in (found or "").splitlines()) if m]
        if not hits:
            continue
        aliases = _stated_aliases(term, [h["text"] for h in hits])
        if aliases:
            # The notes name it another way too: those lines are about the same thing.
            term = "|".join([*term.split("|"), *aliases][:6])
            found = work.output("find_mentions", term=term, path=folder) or found
            hits = [m for m in (_MENTION.match(ln) for ln in (found or "").splitlines()) if m]
        shown = " (also " + ", ".join(f"'{t}'" for t in term.split("|")[1:]) + ")"
        lines = [
            f"Every mention of '{term.split('|')[0]}'{shown if '|' in term else ''}, in date order:"
        ]
        for line in (found or "").splitlines():
            hit = _MENTION.match(line)
            under = _HIT.match(line[4:]) if line.startswith("  | ") else None
            if hit:
                when = hit["when"].split(", from ")[0]
                when = when.replace(" (", ", ", 1).rstrip(")") if "(" in when else when
                lines.append(f"- {when}: {_code(hit['path'])} line {hit['line']}: {hit['text']}")
            elif under:
                lines.append(f"    line {under['line']}: {under['text']}")
        files = sorted({h["path"] for h in hits})
        lines += ["", f"{len(hits)} mentions in {len(files)} documents."]
        name = term.split("|")[0]
        return Outcome(
            title=f"Mentions of {name}",
            lines=lines,
            did=f"listed the mentions of {name} in date order",
        )
    return None


_ALIAS_NAME = r"[A-Z][\w&'’.-]*(?:\s+[A-Z][\w&'’.-]*){0,3}"
_ALIAS_WORDS = (
    r"(?:now|formerly|previously|aka|a\.k\.a\.|also known as|also called|trading as|known as)"
)


_ALIAS_RELATION = (
    r"(?:subsidiary|division|brand|trading name|new name|old name|renamed|formerly|now|part of"
    r"|arm|unit|aka|also|same as|parent)"
)
"""Words of a parenthesis that say the name before it is another name of the thing."""


def _stated_aliases(term: str, texts: list[str]) -> list[str]:
    """Other names the person's own lines give the thing: 'NW Logistics (the Northwind
    subsidiary ...)', 'Northwind (now NW Logistics)', 'NW Logistics, formerly Northwind'."""
    names = term.split("|")
    found: list[str] = []
    for name in names:
        said = re.escape(name)
        patterns = (
            rf"(?P<alias>{_ALIAS_NAME})\s*\((?=[^()]*\b{_ALIAS_RELATION}\b)[^()]*\b{said}\b[^()]*\)",
            rf"\b{said}\s*\({_ALIAS_WORDS}\s+(?:the\s+)?(?P<alias>{_ALIAS_NAME})\)",
            rf"\b{said}\s*\((?P<alias>[A-Z]{{2,}}[\w&.-]*(?:\s+[A-Z][\w&'’.-]*){{0,3}})\)",
            rf"(?P<alias>{_ALIAS_NAME}),?\s+{_ALIAS_WORDS}\s+{said}\b",
            rf"\b{said},?\s+{_ALIAS_WORDS}\s+(?P<alias>{_ALIAS_NAME})",
        )
        for text in texts:
            for pattern in patterns:
                for match in re.finditer(pattern, text):
                    alias = match["alias"].strip(" .")
                    if alias.lower() not in {n.lower() for n in names} and len(alias) > 1:
                        found.append(alias)
    return list(dict.fromkeys(found))[:3]


def _mentions_of(work: Work, term: str, folder: str) -> bool:
    """Whether a document under `folder` mentions `term`."""
    found = work.output("find_mentions", term=term, path=folder) or ""
    return any(_MENTION.match(line) for line in found.splitlines())


# --- explain: import cycles ---------------------------------------------------------------------


_CYCLE_WORDS = re.compile(
    r"circular(?:ly)?\s+import|partially initiali[sz]ed|import cycle|cyclic import"
    r"|circular dependenc",
    re.I,
)
_IMPORT_ERROR = re.compile(r"\b(?:ImportError|ModuleNotFoundError|AttributeError): [^\"\n]+")
_RUN_FILE = re.compile(r"\bpython3?\s+(?:-\w+\s+)*['\"`]?([\w./-]+\.py)\b")
_STEP = re.compile(r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+): (?P<code>.*?)  -- (?P<note>.*)$")
_USED = re.compile(
    r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+): (?P<name>\w+) is used at (?P<rest>.*)$"
)


def wants_import_cycle(subjects: TaskSubjects) -> bool:
    """Whether the task or the error it is about is a circular import."""
    return any(_CYCLE_WORDS.search(t) for t in (subjects.task, *subjects.error_events))


def import_cycle(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> Outcome | None:
    """The import cycle, traced from the file that is run, and the fixes that fit its uses."""
    texts = [subjects.task, *(e.text for e in reversed(events[-EVENT_WINDOW:]))]
    run = next((m.group(1) for t in texts for m in _RUN_FILE.finditer(t)), "")
    entry = work.resolve(run) if run else None
    found = work.output("import_cycles", path=".", entry=entry or "")
    if found is None or not found.startswith("Import cycle"):
        return None
    lines: list[str] = []
    imports: dict[tuple[str, str], str] = {}
    said = [*subjects.errors, *subjects.error_events]
    error = next((m.group(0) for t in said if (m := _IMPORT_ERROR.search(t))), "")
    for line in found.splitlines():
        step = _STEP.match(line)
        used = _USED.match(line)
        if step:
            imports[(step["path"], step["line"])] = step["code"]
            lines.append(
                f"- {_code(step['path'])} line {step['line']}: {step['code']}: {step['note']}"
            )
        elif used:
            continue
        elif line.startswith("Import cycle"):
            lines.append(f"A circular import. {line}.")
        elif line.strip() and not line.startswith("Where the cycle's imports are used"):
            lines.append(line)
        elif lines and lines[-1]:
            lines.append("")
    while lines and not lines[-1]:
        lines.pop()
    if error:
        lines.insert(1, f"The error: {error}")
    lines += ["", "How to break the cycle (one of these is enough):"]
    for line in found.splitlines():
        used = _USED.match(line)
        if not used:
            continue
        code = imports.get((used["path"], used["line"]), "the import")
        where, _, how = used["rest"].partition("; ")
        why = (
            ", so it runs when called, after both modules have finished loading"
            if "into the function" in how
            else ""
        )
        lines.append(
            f"- {_code(used['path'])} line {used['line']} ({code}): {used['name']} is used at "
            f"{where}; {how}{why}."
        )
    lines += [
        "- Import the module instead of the name (import the module, then write module.Name "
        "where it is used): the name is looked up at call time, not while the module is "
        "half-run.",
        "- If a name is needed only in type annotations, import it under "
        "typing.TYPE_CHECKING (and quote the annotation).",
        "- Or move the shared name into a third module that both modules import.",
    ]
    return Outcome(
        title=f"Explain: {error or 'the circular import'}"[:180],
        lines=lines,
        did="traced the import cycle",
    )


# --- explain: regular expressions and functions ---------------------------------------------------


_MATCH_WORDS = re.compile(
    r"\bmatch\w*|\bvalid\w*|\baccept\w*|\breject\w*|\bparse\w*|\bextract\w*", re.I
)
_REGEX_WORDS = re.compile(r"\bregex\w*|\bregular expression|\bpattern\b|\bre\.compile\b", re.I)


def _regex_lines(
    work: Work, subjects: TaskSubjects, events: Sequence[Event], target: str, outline: str
) -> list[str]:
    """Each regular expression of `target` explained, when the task or events are about one
    (or the task asks what a module that uses `re` accepts or matches)."""
    texts = [subjects.task, *(e.text for e in events[-EVENT_WINDOW:])]
    asked = any(_REGEX_WORDS.search(t) for t in texts)
    imports = _IMPORTS_LINE.search(outline)
    uses_re = bool(imports) and "re" in imports.group(1).split(", ")
    asked = asked or (uses_re and bool(_MATCH_WORDS.search(subjects.task)))
    names = [n for n in subjects.identifiers if n.isupper() or n.endswith(("_RE", "_PATTERN"))]
    if not asked and not names:
        return []
    found = work.output("explain_regex", path=target, lines_path=_lines_file(work, subjects))
    if not found or "Pattern" not in found:
        return []
    if not asked and not any(f"({n})" in found for n in names):
        return []
    lines = [f"The regular expression in {_code(target)}, piece by piece:"]
    for line in found.splitlines():
        hit = _HIT.match(line)
        if hit and not line.startswith(("-", " ")):
            lines.append(f"{_code(hit['path'])} line {hit['line']}: {hit['text']}")
        else:
            lines.append(line)
    return lines


_NOT_LINES = frozenset({"json", "yaml", "yml", "toml", "md", "rst", "markdown", "html", "ini"})


def _lines_file(work: Work, subjects: TaskSubjects) -> str:
    """A text or log file the task or events name whose lines a pattern is run over ('' when
    none): what the code's pattern keeps and drops is read from the person's own lines."""
    for name in subjects.files:
        # Lines of input (logs, text, rows), not code, structured data or prose documents.
        if extension(name) in CODE_EXTENSIONS or extension(name) in _NOT_LINES:
            continue
        path = work.resolve(name)
        if path:
            return path
    return ""


_REGEX_SPAN = re.compile(r"'([^'\n]{2,300})'|\"([^\"\n]{2,300})\"|`([^`\n]{2,300})`")


def _quoted_regex(task: str) -> str:
    """A regular expression the task quotes when it asks about one ('' when none)."""
    if not _REGEX_WORDS.search(task):
        return ""
    for match in _REGEX_SPAN.finditer(task):
        span = next(g for g in match.groups() if g is not None)
        if not re.search(r"[\\^$\[\]()*+?{}|]", span) or extension(span) in CODE_EXTENSIONS:
            continue
        try:
            re.compile(span)
        except re.error:
            continue
        return span
    return ""


_DEF_LINE = re.compile(r"^(?P<indent>\s*)line (?P<line>\d+): (?:async def|def|class) (?P<name>\w+)")
_IMPORTS_LINE = re.compile(r"^imports: (.+)$", re.M)
MAX_FUNCTION_LINES = 30
"""Lines of a function quoted when explaining it."""


def _pitfall_groupby(call: ast.Call) -> str:
    if not call.args:
        return ""
    data = call.args[0]
    if isinstance(data, ast.Call) and dotted_name(data.func) in ("sorted", "list.sort"):
        return ""
    key = next((k.value for k in call.keywords if k.arg == "key"), None)
    if key is None and len(call.args) > 1:
        key = call.args[1]
    source = ast.unparse(data)
    if key is None:
        fixed = f"groupby(sorted({source}))"
    else:
        k = ast.unparse(key)
        fixed = f"groupby(sorted({source}, key={k}), key={k})"
    return (
        "groupby starts a new group each time the key changes, so only consecutive (adjacent) "
        "items with the same key form one group: when the input is not sorted by that key, the "
        "same key comes back as a second, separate group. Sort the input by the same key "
        f"first: {fixed}"
    )


def _pitfall_match(call: ast.Call) -> str:
    return (
        "re.match only matches at the start of the string (re.search finds the pattern "
        "anywhere; re.fullmatch requires the whole string to match)"
    )


def _pitfall_flags_as_count(call: ast.Call) -> str:
    # re.sub(pattern, repl, string, count=0, flags=0): a fourth positional argument is count.
    position = 3 if call.args and dotted_name(call.func).endswith(("sub", "subn")) else 2
    if len(call.args) > position and "re." in ast.unparse(call.args[position]):
        flag = ast.unparse(call.args[position])
        return (
            f"{flag} is passed by position, where the function expects count (maxsplit for "
            f"split), not flags: it limits the replacements and the flag is not applied; pass "
            f"flags={flag}"
        )
    return ""


def _pitfall_round(call: ast.Call) -> str:
    return (
        "round() rounds a value exactly half-way to the even neighbour (round(2.5) is 2, "
        "round(0.125, 2) is 0.12), and a float such as 2.675 is stored a little below itself; "
        "for money use decimal.Decimal with quantize(..., ROUND_HALF_UP)"
    )


def _pitfall_zip(call: ast.Call) -> str:
    if any(k.arg == "strict" for k in call.keywords):
        return ""
    return (
        "zip() stops at the shortest input, silently dropping the rest of the longer ones; "
        "pass strict=True to raise instead, or use itertools.zip_longest"
    )


def _pitfall_run(call: ast.Call) -> str:
    if any(k.arg == "check" for k in call.keywords):
        return ""
    return (
        "without check=True a command that fails does not raise: its exit status is only in "
        "the result's returncode"
    )


def _pitfall_timeout(call: ast.Call) -> str:
    if any(k.arg == "timeout" for k in call.keywords):
        return ""
    return "without timeout= the call waits for the server forever when it does not answer"


_PITFALLS = {
    "itertools.groupby": _pitfall_groupby,
    "re.match": _pitfall_match,
    "re.sub": _pitfall_flags_as_count,
    "re.subn": _pitfall_flags_as_count,
    "re.split": _pitfall_flags_as_count,
    "builtins.round": _pitfall_round,
    "builtins.zip": _pitfall_zip,
    "subprocess.run": _pitfall_run,
    "requests.get": _pitfall_timeout,
    "requests.post": _pitfall_timeout,
}
"""What the documentation's first sentences imply for a call, said in plain words."""
_BUILTIN_PITFALLS = frozenset({"round", "zip"})
"""Builtins whose documentation a function's explanation quotes (their behaviour surprises)."""


def _method_pitfalls(tree: ast.AST, first: int) -> list[str]:
    """Facts about str and list methods that read one way and work another."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            arg = node.args[0] if node.args else None
            if (
                attr in ("strip", "lstrip", "rstrip")
                and isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and len(arg.value) > 1
            ):
                fix = "removesuffix" if attr == "rstrip" else "removeprefix"
                found.append(
                    f"line {first + node.lineno - 1}: {attr}({arg.value!r}) removes any of the "
                    f"characters {arg.value!r} from the ends, not that text as a whole; "
                    f"{fix}({arg.value!r}) removes the text"
                )
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr in ("sort", "reverse", "append", "extend")
        ):
            found.append(
                f"line {first + node.lineno - 1}: {node.value.func.attr}() changes the list in "
                "place and returns None, so the name assigned here holds None"
            )
    return found


def _function_lines(work: Work, subjects: TaskSubjects, target: str, outline: str) -> list[str]:
    """The functions the task names, explained: their code, the documentation of the library
    calls they make (and what it implies), and what they return."""
    items = [m for m in (_DEF_LINE.match(ln) for ln in outline.splitlines()) if m]
    named = [
        (i, m)
        for i, m in enumerate(items)
        if "def" in m.group(0) and re.search(rf"(?<![\w.]){re.escape(m['name'])}\b", subjects.task)
    ]
    imports = _IMPORTS_LINE.search(outline)
    imported = {}
    for dotted in imports.group(1).split(", ") if imports else []:
        if not dotted.startswith("."):
            imported[dotted.rsplit(".", 1)[-1]] = dotted
    lines: list[str] = []
    for index, match in named[:2]:
        start = int(match["line"])
        depth = len(match["indent"])
        later = [int(m["line"]) for m in items[index + 1 :] if len(m["indent"]) <= depth]
        end = later[0] - 1 if later else start + 200
        body = _own_body(_numbered(work.output("read_lines", path=target, start=start, end=end)))
        if not body:
            continue
        lines += [f"{match['name']} ({_code(target)} lines {start}-{max(body)}):"]
        lines += [f"{n}: {text}" for n, text in list(body.items())[:MAX_FUNCTION_LINES]]
        lines += _calls_explained(work, target, body, imported)
    return lines


def _own_body(lines: dict[int, str]) -> dict[int, str]:
    """A function's own lines from the `def` on: its signature (brackets balanced up to the
    colon), then every line indented deeper than the `def`; trailing blank lines dropped."""
    numbers = sorted(lines)
    if not numbers:
        return {}
    indent = len(lines[numbers[0]]) - len(lines[numbers[0]].lstrip())
    depth = 0
    kept: dict[int, str] = {}
    in_body = False
    for number in numbers:
        text = lines[number]
        stripped = text.strip()
        if in_body and stripped and len(text) - len(text.lstrip()) <= indent:
            break
        kept[number] = text
        if not in_body:
            depth += sum(stripped.count(c) for c in "([{") - sum(stripped.count(c) for c in ")]}")
            in_body = depth <= 0 and stripped.endswith(":")
    while kept and not kept[max(kept)].strip():
        kept.pop(max(kept))
    return kept


def _calls_explained(
    work: Work, target: str, body: dict[int, str], imported: dict[str, str]
) -> list[str]:
    first = min(body)
    try:
        tree = ast.parse(textwrap.dedent("\n".join(body[n] for n in sorted(body))))
    except (SyntaxError, ValueError, RecursionError):
        return []
    lines: list[str] = []
    seen: set[str] = set()
    for node in sorted(
        (n for n in ast.walk(tree) if isinstance(n, ast.Call)), key=lambda n: n.lineno
    ):
        name = dotted_name(node.func)
        head, _, rest = name.partition(".")
        if head in _BUILTIN_PITFALLS and not rest and head not in imported:
            full = f"builtins.{head}"
        elif head in imported:
            full = ".".join(filter(None, [imported[head], rest]))
        else:
            continue
        if full in seen or len(seen) >= 3:
            continue
        seen.add(full)
        doc = work.output("python_docs", name=full)
        pitfall = _PITFALLS.get(full)
        said = pitfall(node) if pitfall else ""
        if not doc and not said:
            continue
        line = first + node.lineno - 1
        if doc:
            excerpt = [ln for ln in _doc_excerpt(doc, [])[0] if ln.strip()][1:3]
            lines += ["", f"{_code(target)} line {line} calls {full}; its documentation says:"]
            lines += [f"    {ln.strip()}" for ln in excerpt]
        else:
            lines += ["", f"{_code(target)} line {line} calls {full} (not installed here)."]
        if said:
            lines.append(f"What that means here: {said}.")
    surprises = _method_pitfalls(tree, first)
    if surprises:
        lines += [
            "",
            "Where the code does not do what it reads as:",
            *(f"- {s}" for s in surprises),
        ]
    function = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)), None
    )
    returns = [
        f"line {first + n.lineno - 1}: return {ast.unparse(n.value) if n.value else 'None'}"
        for n in ast.walk(tree)
        if isinstance(n, ast.Return)
    ]
    if returns:
        lines += ["", "What it returns:", *(f"- {r}" for r in sorted(returns, key=_line_no))]
        if function is not None and not _always_leaves(function.body):
            lines.append(
                "- None, when the end of the function is reached without any of these returns"
            )
    return lines


def _always_leaves(body: list[ast.stmt]) -> bool:
    """Whether a block always ends in return or raise (so it never falls off its end)."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Return | ast.Raise):
        return True
    if isinstance(last, ast.If):
        return _always_leaves(last.body) and _always_leaves(last.orelse)
    if isinstance(last, ast.With | ast.AsyncWith):
        return _always_leaves(last.body)
    if isinstance(last, ast.Try):
        handlers = all(_always_leaves(h.body) for h in last.handlers)
        return (_always_leaves(last.body) or _always_leaves(last.orelse)) and handlers
    if isinstance(last, ast.Match):
        return all(_always_leaves(c.body) for c in last.cases)
    return False


def _line_no(text: str) -> int:
    return int(text.split(":")[0].removeprefix("line "))
