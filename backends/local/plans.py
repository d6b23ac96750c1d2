"""The offline executor's plans: what they share, and the plans for errors and documentation.

The plan for each kind lives in its module (`plans_review`, `plans_code`, `plans_notes`,
`plans_draft`; `plan_index.PLANS` maps kinds to them).

A plan reads what the task is about (`task_subjects.read_task`), calls the tools by name through
the runner (`tools/`: project files, error locations, installed documentation, a linter, a module
outline, usages, summaries, outlines, reminders) and composes its result only from what those
tools returned, the task and the events. The result's first lines are the work itself (the code
line, the doc text, the finding, the outline); a step that could not be done is said in one
plain sentence. Nothing is invented: every path, line and name cited came from a tool's output,
the workspace or the events.
"""

from __future__ import annotations

import ast
import csv
import difflib
import importlib.util
import io
import re
import sysconfig
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from backends.local.task_subjects import (
    DATA_EXTENSIONS,
    DOCUMENT_EXTENSIONS,
    EVENT_WINDOW,
    TaskSubjects,
    extension,
    reminder_time,
    timed_first,
)
from backends.local.text import content_words
from graphs.state import Event, ToolCall
from tools import ToolRunner
from tools.notes import NOTES_FILE
from tools.reminders import REMINDERS_FILE

MAX_LISTED = 12
"""Most hits (usages, search lines, findings) one section of a result lists."""
MAX_DOC_LINES = 40

_WEB_POINTER = re.compile(r"(?:see|more|details|docs?|reference)?:?\s*<?https?://\S+>?\.?", re.I)
"""A paragraph that only points to a web page."""
"""Most lines of installed documentation quoted."""
MAX_DOC_TRIES = 4
"""Most python_docs calls one task makes."""

OWN_FILES = frozenset({NOTES_FILE, REMINDERS_FILE})
"""Files the assistant itself writes in the workspace: never evidence about the person's work."""
OWN_FOLDERS = ("drafts/",)
"""Folders the assistant itself writes."""
CODE_EXTENSIONS = frozenset(
    "py pyi js jsx ts tsx java kt go rs rb php c h cc cpp hpp cs sh".split()
)
"""Source files (a review lints them, an explanation outlines them)."""
_NOT_DOCUMENTED = frozenset(
    """this antigravity test tests idlelib turtle turtledemo tkinter webbrowser pip setup main
    site code pdb python""".split()
)
"""Names never looked up as modules: importing them has side effects, or the word is too
common to mean the module."""
_DOC_STOP = frozenset(
    """python docs doc documentation reference api official library module function class method
    example examples usage use using find look official section exact answer""".split()
)
_HIT = re.compile(r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+):(?:\d+:)? ?(?P<text>.*)$")
_LOCATED = re.compile(r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+): (?P<code>.*)$")
_EXCEPTION = re.compile(
    r"\b((?:[a-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Warning|Exit|Interrupt))\b:?\s*(.*)"
)
_QUOTED_VALUE = re.compile(r"'([^'\n]{1,80})'|\"([^\"\n]{1,80})\"")
_CSV_HEADER = re.compile(r"header columns \([^)]*\): (.+?); \d+ data rows")
_KEYS = re.compile(r"(?:item )?keys: (.+?)(?:;|$)", re.MULTILINE)
_REMIND = re.compile(
    r"\bremind\w*|\bfollow[- ]up\b|\breminder\b|\bdeadline\b|\bdue\b|\bschedul\w*", re.I
)
_SHORT_TEXT = re.compile(r"\b(?:e-?mail|message|letter|reply|paragraph|post|announcement)\b", re.I)

_CAUSES: dict[str, tuple[str, str]] = {
    "KeyError": (
        "the mapping read on this line has no key {value}",
        "check the key first ({value} in the mapping) or read it with .get({value}, default)",
    ),
    "NameError": (
        "the name {value} is used before anything defines or imports it",
        "define or import it before this line, or correct its spelling",
    ),
    "AttributeError": (
        "the object on this line has no such attribute {value}",
        "check the object's type and the attribute's spelling",
    ),
    "TypeError": (
        "a value on this line has a type the operation does not accept",
        "convert the value first (int(), float(), str()) or check it for None",
    ),
    "ValueError": (
        "a value on this line has the right type but a content the call cannot use",
        "validate or clean the value before the call, or catch ValueError and skip the record",
    ),
    "IndexError": (
        "an index on this line is past the end of the sequence",
        "check the length first, or iterate over the items instead of indexing",
    ),
    "ZeroDivisionError": (
        "the divisor on this line is zero for this input",
        "guard the division (if the divisor is 0, skip it or return a default)",
    ),
    "FileNotFoundError": (
        "the path {value} does not exist where the program runs",
        "pass the path relative to the working folder, or build it from the script's folder",
    ),
    "ModuleNotFoundError": (
        "the module {value} is not installed in this environment, or its name is misspelt",
        "install it into the environment the program runs in, or correct the import",
    ),
    "ImportError": (
        "the import on this line names something the module does not provide",
        "check the name against the module's documentation, or the installed version",
    ),
    "UnboundLocalError": (
        "a local variable is read before it is assigned on every path",
        "assign it before the branch, or declare it global/nonlocal if that was meant",
    ),
    "RecursionError": (
        "the function calls itself without reaching a stopping case",
        "check the base case of the recursion",
    ),
    "UnicodeDecodeError": (
        "the file is not in the encoding it is opened with",
        "open it with the right encoding (encoding='utf-8-sig' or 'latin-1'), or errors='replace'",
    ),
    "JSONDecodeError": (
        "the JSON text does not parse at the place the parser names",
        "correct the data at that line (a missing comma, quote or bracket)",
    ),
}
"""Per exception type: the usual cause and fix, worded with the value the error quotes."""


@dataclass
class Work:
    """The tool calls of one task, in order, and what they found."""

    runner: ToolRunner
    """Calls the tools by name."""
    calls: list[ToolCall] = field(default_factory=list)
    """Every call made so far."""
    _resolved: dict[str, str | None] = field(default_factory=dict)

    def call(self, tool: str, /, **args: object) -> ToolCall:
        """Run one tool (when the runner has it) and keep the record."""
        if tool not in self.runner.names:
            return ToolCall(tool=tool, args=dict(args), ok=False, output=f"no {tool} tool")
        done = self.runner.call(tool, dict(args))
        self.calls.append(done)
        return done

    def output(self, tool: str, /, **args: object) -> str | None:
        """The tool's output when it ran and answered, else None."""
        done = self.call(tool, **args)
        return done.output if done.ok and done.output.strip() else None

    def resolve(self, name: str) -> str | None:
        """The project path of a file the task or events name (its header in read_lines)."""
        if name in self._resolved:
            return self._resolved[name]
        found = None
        for candidate in self._candidates(name):
            first = self.output("read_lines", path=candidate, start=1, end=1)
            if first is not None:
                found = _read_lines_path(first) or candidate
                break
        self._resolved[name] = found
        return found

    def _candidates(self, name: str) -> list[str]:
        clean = name.strip().strip("'\"`").replace("\\", "/")
        if ".." in clean.split("/") or clean.startswith(("/", "~")):
            return [clean]  # tried as given: the tool refuses it; never searched for
        listed = self.output("file_search", pattern=clean.rsplit("/", 1)[-1], dir_path=".")
        found = _listed(listed)
        tail = [f for f in found if f == clean or f.endswith("/" + clean)]
        return list(dict.fromkeys([*tail, *found[:2]])) or [clean]


@dataclass
class Outcome:
    """What a plan produced: the result's title and lines, and any file it already wrote."""

    title: str
    """The note's title (or the draft's)."""
    lines: list[str]
    """The result, the work first."""
    written: str | None = None
    """The workspace path a plan wrote itself (an outline, a draft); None: write a note."""
    did: str = ""
    """One clause for the summary saying what was done ('located the error ...')."""


Plan = Callable[[Work, TaskSubjects, Sequence[Event]], Outcome]


# --- reading tool outputs -------------------------------------------------------------------


def _read_lines_path(output: str) -> str | None:
    first = output.splitlines()[0] if output else ""
    match = re.match(r"^(.+?) (?:lines \d+-\d+ of \d+:|is empty\.)$", first)
    return match.group(1) if match else None


def _hits(output: str | None) -> list[str]:
    """The 'path:line: text' lines of a tool's output (no 'nothing found' sentences), the
    assistant's own notes, reminders and drafts left out (they would cite themselves)."""
    return [
        line
        for line in (output or "").splitlines()
        if (match := _HIT.match(line)) and not _own_file(match["path"])
    ]


def _own_file(path: str) -> bool:
    return path in OWN_FILES or path.startswith(OWN_FOLDERS)


def _listed(output: str | None) -> list[str]:
    """The paths a file_search found, sorted (the folder walk's order differs from one file
    system to another), the assistant's own files left out."""
    return sorted(
        line.strip()
        for line in (output or "").splitlines()
        if line.strip() and not line.startswith("No files") and not _own_file(line.strip())
    )


def _numbered(output: str | None) -> dict[int, str]:
    """Line number -> code from read_lines' 'N: code' lines."""
    found: dict[int, str] = {}
    for line in (output or "").splitlines():
        match = re.match(r"^(\d+): ?(.*)$", line)
        if match:
            found[int(match.group(1))] = match.group(2)
    return found


def _exception(text: str) -> tuple[str, str]:
    """(exception type, message) of an error text; ('', text) when it names none."""
    match = _EXCEPTION.search(text)
    if not match:
        return "", text.strip()
    return match.group(1).rsplit(".", 1)[-1], match.group(2).strip().rstrip(".")


def _quoted_values(text: str) -> list[str]:
    return [a or b for a, b in _QUOTED_VALUE.findall(text)]


def _words(text: str) -> set[str]:
    return set(content_words(text))


def _code(path: str) -> str:
    return f"`{path}`"


# --- memory ----------------------------------------------------------------------------------


_NOT_ACTIVITY = ("The assistant", "Carried out", "Accepted", "Rejected", "Ignored", "Edited")


def related_memory(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> list[str]:
    """Earlier activity of this user that shares at least two content words with the task."""
    if "search_memory" not in work.runner.names:
        return []
    found = work.output("search_memory", query=subjects.subject[:300])
    wanted = _words(subjects.task) | _words(subjects.subject)
    seen = {" ".join(e.text.split()) for e in events}
    kept = []
    for line in (found or "").splitlines():
        text = line[2:].strip() if line.startswith("- ") else ""
        # The person's own activity only: not the assistant's calls, results or answers.
        if not text or text in seen or text.startswith(_NOT_ACTIVITY):
            continue
        if len(_words(text) & wanted) >= 2:
            kept.append(f"- {text}")
    return kept[:3]


# --- fix_error ---------------------------------------------------------------------------------


def fix_error(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> Outcome:
    """Locate the error, read the code there, re-parse the data it reads, and say the fix."""
    from backends.local import plans_code  # noqa: PLC0415 (it imports this module)
    from backends.local.plans_keys import (  # noqa: PLC0415 (same)
        empty_group_finding,
        settings_key_finding,
    )

    if plans_code.wants_import_cycle(subjects):  # the fault is in the import graph, not a line
        cycle = plans_code.import_cycle(work, subjects, events)
        if cycle is not None:
            return cycle
    if not subjects.errors and not any(_EXCEPTION.search(t) for t in subjects.error_events):
        # No error was shown: finding what is wrong is a check of the files named.
        from backends.local.plans_review import review  # noqa: PLC0415 (it imports this module)

        return review(work, subjects, events)
    error = subjects.errors[0] if subjects.errors else ""
    # An event's wording of the same error is fuller than the task's ("JSONDecodeError").
    error = next((e for e in subjects.errors if error and error in e and e != error), error)
    located = None
    refusals: list[str] = []
    for text in (subjects.error_events or (subjects.task,))[:4]:
        done = work.call("locate_error", text=text)
        if done.ok and _LOCATED.match(done.output.splitlines()[0]):
            located = done.output
            break
        if not done.ok:
            refusals.append(done.output.removeprefix("Error:").strip())
    if located is None:
        located = _locate_by_file(work, subjects, error)
    if located is None:
        error = _fullest_error(subjects, error)
        located = _locate_by_fix(work, subjects, error)
    said = next((ln[7:] for ln in (located or "").splitlines() if ln.startswith("error: ")), "")
    if len(said) > len(error):
        error = said  # the located traceback's own wording is the fuller one
    exc, message = _exception(error)
    values = _quoted_values(message)
    data = _data_reports(work, subjects, exc)
    broken = [(f, r) for f, r in data if "does not parse" in r]
    if located is None and broken:
        # The data file's own parse locates the fault when the error names no file.
        done = work.call("locate_error", text=broken[0][1].splitlines()[0])
        located = done.output if done.ok and _LOCATED.match(done.output.splitlines()[0]) else None
    lines: list[str] = []
    path = line_no = code = None
    first = _LOCATED.match(located.splitlines()[0]) if located else None
    if first:
        path, line_no, code = first["path"], int(first["line"]), first["code"].strip()
        lines.append(f"{_code(path)} line {line_no}: {code}")
    if error:
        lines.append(f"Error: {error}")
    if path is None:
        reason = refusals[0] if refusals else "it names no file and line under the project root"
        lines.append(f"I could not find where this error happens: {reason}.")
    records = _error_records(work, exc, error, path, line_no)
    if records:
        lines += ["The data record(s) that cause it:", *records]
    found = (
        _parse_fault(broken, line_no)
        or _key_finding(data, exc, values, code, line_no)
        or settings_key_finding(work, subjects, exc, message)
        or (
            empty_group_finding(work, path, line_no, code)
            if exc == "ZeroDivisionError" and path and line_no and code
            else None
        )
    )
    generic = ("", "") if records else _cause(exc, values)  # the records say it better
    found = found or _written_fix(work, exc, message, path, line_no)
    cause, fix = found or _attribute_finding(message, code) or generic
    if cause:
        lines.append(f"Cause: {cause}.")
    if fix:
        # A fix may carry the corrected lines after its first line: they stand as they are.
        said, *corrected = fix.split("\n")
        lines += [f"Fix: {said}" + ("" if said.endswith((":", ".")) else "."), *corrected]
    lines += _extra_evidence(work, subjects, exc, values, path)
    if kind_of_none(message) and path and code and line_no:
        lines += _records_giving_none(work, subjects, path, code, line_no)
    context = [
        ln
        for ln in (located or "").splitlines()[1:]
        if re.match(r"^parser: ", ln)
        or (re.match(r"^(\d+): ", ln) and int(ln.split(":")[0]) <= (line_no or 0) + 1)
    ]
    if context and path:
        lines += ["", f"The code around it in {_code(path)}:", *context]
    title = f"Fix: {error or subjects.subject}"[:180]
    did = f"located the error at {path} line {line_no}" if path else "looked for the error"
    return Outcome(title=title, lines=lines, did=did)


def _written_fix(
    work: Work, exc: str, message: str, path: str | None, line_no: int | None
) -> tuple[str, str] | None:
    """The cause in the person's own files and the corrected line(s) (suggest_fix)."""
    if not message or (
        not path and exc not in ("AttributeError", "ImportError", "ModuleNotFoundError")
    ):
        return None
    args: dict[str, object] = {"error": f"{exc}: {message}" if exc else message}
    if path and line_no:
        args |= {"path": path, "line": line_no}
    said = work.output("suggest_fix", **args) or ""
    cause, _, fix = said.partition("\nfix: ")
    if not fix or "cause: " not in cause:
        return None
    return cause.split("cause: ", 1)[1], fix


_FROM_DATA = frozenset({"TypeError", "ValueError", "ZeroDivisionError"})
"""Errors a single record of the data read can cause (error_records names it)."""


def _error_records(
    work: Work, exc: str, error: str, path: str | None, line_no: int | None
) -> list[str]:
    """The records of the data the code reads that make the located line fail, with repairs."""
    if exc not in _FROM_DATA or not path or not line_no or extension(path) != "py":
        return []
    found = _hits(work.output("error_records", path=path, line=line_no, error=error))
    return [_cited_hit(f) for f in found]


def _cited_hit(found: str) -> str:
    """'path:N: text' as '`path` line N: text'."""
    match = _HIT.match(found)
    return f"{_code(match['path'])} line {match['line']}: {match['text']}" if match else found


def _fullest_error(subjects: TaskSubjects, error: str) -> str:
    """The error's fullest wording in the events ('ValueError: could not convert ...'), when
    no located traceback gave it."""
    from tools.errors import error_text  # noqa: PLC0415 (tools import lazily here)

    said = [e for e in (error_text(t) for t in subjects.error_events) if e]
    kind = _exception(error)[0]
    said = [e for e in said if not kind or kind in e]
    return max(said, key=len) if said and len(max(said, key=len)) > len(error) else error


def _locate_by_fix(work: Work, subjects: TaskSubjects, error: str) -> str | None:
    """The line of a named code file that the error's shape fits (suggest_fix reads it), when
    the error gives no line."""
    exc, message = _exception(error)
    if not exc or not message:
        return None
    for name in subjects.files_with(CODE_EXTENSIONS)[:2]:
        path = work.resolve(name)
        if path is None or extension(path) != "py":
            continue
        said = work.output("suggest_fix", error=f"{exc}: {message}", path=path) or ""
        where = re.match(r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+): cause: ", said)
        if where:
            done = work.call("locate_error", text=f'File "{where["path"]}", line {where["line"]}')
            if done.ok and _LOCATED.match(done.output.splitlines()[0]):
                return done.output
    return None


def _locate_by_file(work: Work, subjects: TaskSubjects, error: str) -> str | None:
    """Where the error's quoted symbol appears in the code file the task or events name."""
    for name in subjects.files_with(CODE_EXTENSIONS)[:2]:
        path = work.resolve(name)
        if path is None:
            continue
        done = work.call("locate_error", text=f"{error} in '{path}'")
        if done.ok and _LOCATED.match(done.output.splitlines()[0]):
            return done.output
    return None


_NO_ATTRIBUTE = re.compile(r"'(\w+)' object has no attribute '(\w+)'")


def _attribute_finding(message: str, code: str | None) -> tuple[str, str] | None:
    """Cause and fix of "'T' object has no attribute 'a'", read against the code line: which
    expression gave the T (for None: a call that found nothing), and how to guard it."""
    if "'NoneType' object is not subscriptable" in message:
        return _none_subscripted(code)
    match = _NO_ATTRIBUTE.search(message)
    if not match:
        return None
    kind, attribute = match.groups()
    expression = None
    if code:
        found = re.search(
            rf"((?:[A-Za-z_][\w.]*)(?:\([^()]*\)|\[[^\[\]]*\])*)\.{re.escape(attribute)}\b", code
        )
        expression = found.group(1) if found else None
    subject = f"`{expression}`" if expression else "the value on this line"
    if kind == "NoneType":
        cause = (
            f"{subject} is None here (a call that found nothing returns None), and None has no "
            f"attribute '{attribute}'"
        )
        if expression:
            # Suggested code is written plainly: backticks cite what exists, and this does not yet.
            fix = (
                f"keep the result of {expression} and check it before using it, then skip the "
                f"records where it is None: result = {expression}; if result is not None: use "
                f"result.{attribute}"
            )
        else:
            fix = f"check the value for None before reading '{attribute}'"
        return cause, fix
    return (
        f"{subject} is a {kind}, which has no attribute '{attribute}'",
        f"check what {subject} holds at this point, or the spelling of '{attribute}'",
    )


def _none_subscripted(code: str | None) -> tuple[str, str]:
    """Cause and fix of "'NoneType' object is not subscriptable", read against the code line."""
    loaded = _loaded_subscripts(code or "")
    found = re.search(r"\b([A-Za-z_][\w.]*(?:\([^()]*\))?)\[", code or "")
    if found is None and not loaded:
        return (
            "a value indexed on this line is None (a call that found nothing returns None)",
            "check the value for None before indexing it, and skip the records where it is None",
        )
    expression = loaded[0] if loaded else found.group(1) if found else ""
    return (
        f"`{expression}` is None here (a call that found nothing returns None), and None "
        "cannot be indexed",
        f"check it before indexing, then skip the records where it is None: if {expression} is "
        f"None: continue",
    )


def _loaded_subscripts(code: str) -> list[str]:
    """What a code line indexes to read (not to store): `entry` in `counts[entry["k"]] = 1`."""
    try:
        tree = ast.parse(code.strip())
    except SyntaxError:
        return []
    return [
        ast.unparse(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Load)
        and isinstance(node.value, ast.Name | ast.Call | ast.Attribute)
    ]


def kind_of_none(message: str) -> bool:
    """Whether an error says a value was None ("'NoneType' object has no attribute ...")."""
    return "'NoneType' object" in message


MAX_RECORDS = 2000
"""Most lines of an input file matched against a pattern."""
MAX_RECORD_CHARS = 2000
"""Longer input lines are not matched (a pattern's time grows with the text)."""
_MATCHERS = frozenset({"search", "match", "fullmatch"})


def _records_giving_none(
    work: Work, subjects: TaskSubjects, path: str, code: str, line_no: int
) -> list[str]:
    """The input lines for which the function called on the failing line returns None: when
    that function returns a regular expression's match only if there is one, the lines of the
    input files the events name that the expression does not match."""
    numbered = _numbered(work.output("read_lines", path=path))
    try:
        tree = ast.parse("\n".join(numbered.values()))
    except SyntaxError:
        return []
    called = set(re.findall(r"([A-Za-z_]\w*)\([^()]*\)(?:\.\w+|\[)", code))
    # `entry["path"]` where an earlier line set `entry = parse(line)`: the call is parse.
    for name in set(re.findall(r"\b([A-Za-z_]\w*)(?:\.\w+|\[)", code)):
        for number in range(line_no - 1, max(0, line_no - 12), -1):
            assigned = re.match(rf"\s*{name}\s*=\s*([A-Za-z_]\w*)\(", numbered.get(number, ""))
            if assigned:
                called.add(assigned.group(1))
                break
    pattern = next(
        (
            p
            for f in ast.walk(tree)
            if isinstance(f, ast.FunctionDef) and f.name in called
            for p in [_guarded_pattern(f, tree)]
            if p is not None
        ),
        None,
    )
    if pattern is None:
        return []
    compiled, function = pattern
    inputs = [
        p
        for p in (work.resolve(f) for f in subjects.files)
        if p and p != path and extension(p) not in CODE_EXTENSIONS
    ]
    found: list[str] = []
    for data in list(dict.fromkeys(inputs))[:3]:
        for number, text in _read_all(work, data, MAX_RECORDS).items():
            if text.strip() and len(text) <= MAX_RECORD_CHARS and not compiled.search(text):
                found.append(f"{_code(data)} line {number}: {text.strip()[:160]}")
    if not found:
        return []
    return [
        "",
        f"{function}() returns None for these input lines (its pattern finds no match in them):",
        *found[:MAX_LISTED],
    ]


def _guarded_pattern(
    function: ast.FunctionDef, module: ast.Module
) -> tuple[re.Pattern[str], str] | None:
    """The regular expression whose match `function` returns (None when it finds none): a
    module-level `NAME = re.compile("...")` searched in the function, or `re.search("...", x)`."""
    compiled: dict[str, tuple[str, int]] = {}
    for node in module.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and _is_re_call(node.value.func, "compile")
            and node.value.args
            and isinstance(node.value.args[0], ast.Constant)
            and isinstance(node.value.args[0].value, str)
        ):
            flags = _re_flags(node.value.args[1:] + [k.value for k in node.value.keywords])
            compiled[node.targets[0].id] = (node.value.args[0].value, flags)
    for node in ast.walk(function):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr not in _MATCHERS:
            continue
        owner = node.func.value
        text: tuple[str, int] | None = None
        if isinstance(owner, ast.Name) and owner.id in compiled:
            text = compiled[owner.id]
        elif (
            _is_re_call(node.func, node.func.attr)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            text = (node.args[0].value, _re_flags(node.args[2:] + [k.value for k in node.keywords]))
        if text is None:
            continue
        try:
            pattern = re.compile(text[0], text[1])
        except re.error:
            return None
        # search anywhere; match/fullmatch anchor the pattern at the start / both ends.
        if node.func.attr == "match":
            pattern = re.compile(f"^(?:{text[0]})", text[1])
        elif node.func.attr == "fullmatch":
            pattern = re.compile(f"^(?:{text[0]})$", text[1])
        return pattern, function.name
    return None


def _is_re_call(func: ast.expr, name: str) -> bool:
    return (
        isinstance(func, ast.Attribute)
        and func.attr == name
        and isinstance(func.value, ast.Name)
        and func.value.id == "re"
    )


def _re_flags(nodes: Sequence[ast.expr]) -> int:
    """The re flags named in a call's arguments (re.I, re.IGNORECASE | re.M, ...)."""
    flags = 0
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                if sub.value.id == "re" and isinstance(getattr(re, sub.attr, None), re.RegexFlag):
                    flags |= int(getattr(re, sub.attr))
    return flags


def _cause(exc: str, values: Sequence[str]) -> tuple[str, str]:
    """The usual cause and fix of an exception type, worded with the quoted value."""
    if exc not in _CAUSES:
        return "", ""
    # No value quoted: a visible placeholder, not words that read as one ("no key it names").
    value = f"'{values[0]}'" if values else "<name>"
    cause, fix = _CAUSES[exc]
    return cause.format(value=value), fix.format(value=value)


def _data_files(work: Work, subjects: TaskSubjects) -> list[str]:
    """Data files the task or events name, else those in the workspace (at most three)."""
    named = [p for p in (work.resolve(f) for f in subjects.files_with(DATA_EXTENSIONS)) if p]
    if named:
        return list(dict.fromkeys(named))[:3]
    found: list[str] = []
    for ext in ("csv", "json", "yaml", "yml", "toml", "tsv"):
        found += _listed(work.output("file_search", pattern=f"*.{ext}", dir_path="."))
        if len(found) >= 3:
            break
    return found[:3]


def _data_keys(report: str) -> list[str]:
    """The column names or keys a check_data_file report lists, exactly as the parser reads
    them (the report quotes a name with spaces around it: ' Total')."""
    match = _CSV_HEADER.search(report) or _KEYS.search(report)
    if not match:
        return []
    keys = []
    for token in _KEY_TOKEN.findall(match.group(1)):
        if token.startswith("'"):
            try:
                token = str(ast.literal_eval(token))
            except (ValueError, SyntaxError):
                token = token.strip("'")
        elif not token.strip() or "more)" in token:
            continue
        else:
            token = token.strip()
        keys.append(token)
    return keys


_KEY_TOKEN = re.compile(r"(?<![^,\s])\s*('(?:[^'\\]|\\.)*'|[^,]+)")


def _data_reports(work: Work, subjects: TaskSubjects, exc: str) -> list[tuple[str, str]]:
    """check_data_file's report on each data file, for an error about data."""
    about_data = exc in ("KeyError", "JSONDecodeError", "ValueError", "ParserError") or any(
        word in subjects.task.lower() for word in ("json", "csv", "yaml", "toml", "parse")
    )
    if not about_data:
        return []
    reports = [(f, work.output("check_data_file", path=f)) for f in _data_files(work, subjects)]
    return [(f, r) for f, r in reports if r]


def _parse_fault(broken: list[tuple[str, str]], line_no: int | None) -> tuple[str, str] | None:
    """Cause and fix of a data file that does not parse, at the file's own line and column."""
    if not broken:
        return None
    name, report = broken[0]
    first = report.splitlines()[0]
    where, _, message = first.partition(" does not parse: ")
    fault = re.match(r"^.*?:(\d+)(?::(\d+))?:", where)
    number = int(fault.group(1)) if fault else None
    column = f", column {fault.group(2)}" if fault and fault.group(2) else ""
    fix = f"correct {_code(name)} at line {number}{column}" if number else f"correct {_code(name)}"
    shown = _numbered(report)
    if "YAML" in where and ("block" in message or "indent" in message):
        fix += ": its indentation does not match the lines above it (same indent as its siblings)"
    trailing = _trailing_comma(shown, number) if number else None
    if trailing is not None:
        before, text = trailing
        fix = (
            f"remove the trailing comma at the end of line {before} of {_code(name)} "
            f"({text.strip()}): JSON allows no comma after the last item before "
            f"'{shown[number].strip()[:1]}' on line {number}"
        )
        # The corrected lines, so the fix can be pasted as it stands.
        fixed = [
            text.rstrip()[:-1] if n == before else shown[n]
            for n in range(before, number + 1)
            if n in shown
        ]
        fix += f" (lines {before}-{number} corrected below)\n" + "\n".join(fixed)
    elif "Expecting ',' delimiter" in message and number:
        fix += _missing_comma(shown, number, int(fault.group(2)) if fault and fault.group(2) else 0)
    elif "Expecting property name" in message and "'" not in shown.get(number or 0, ""):
        fix += ": remove the trailing comma before it, or quote the key with double quotes"
    if trailing is None and number in shown:
        fix += _corrected_data_line(where, message, number, shown[number])
    bare = _bare_toml_value(shown.get(number or 0, "")) if "TOML" in where else None
    if bare is not None:
        key, word = bare
        fix += f': text values must be quoted: {key} = "{word}"'
    return f"{_code(name)} does not parse at line {number}{column}: {message or first}", fix


_PY_LITERALS = {"True": "true", "False": "false", "None": "null"}
_YAML_PAIR = re.compile(r"^(?P<lead>\s*(?:- )?[\w .-]+?):\s+(?P<value>[^\"'\[{|>&*!#][^#]*?)\s*$")


def _corrected_data_line(where: str, message: str, number: int, text: str) -> str:
    """The fault line of a JSON/YAML file written out corrected, for the faults whose repair
    the line itself shows: single quotes or Python's True/False/None in JSON, a tab or an
    unquoted colon in a YAML value."""
    fixed = None
    why = ""
    if "JSON" in where and "'" in text and re.search(r"Expecting (?:property name|value)", message):
        fixed = re.sub(r"'([^'\n]*)'", r'"\1"', text)
        why = "JSON quotes keys and text with double quotes only"
    elif "JSON" in where and "Expecting value" in message:
        found = re.search(r"(?<![\w\"])(True|False|None)(?![\w\"])", text)
        if found:
            fixed = text[: found.start()] + _PY_LITERALS[found[1]] + text[found.end() :]
            why = f"JSON writes {found[1]} as {_PY_LITERALS[found[1]]}"
    elif "YAML" in where and "\t" in text and "'\\t'" in message:
        fixed = text.replace("\t", "  ")
        why = "YAML indents with spaces, never tabs"
    elif "YAML" in where and "mapping values are not allowed" in message:
        pair = _YAML_PAIR.match(text)
        if pair and ": " in pair["value"]:
            value = pair["value"].replace('"', '\\"')
            fixed = f'{pair["lead"]}: "{value}"'
            why = "a value holding ': ' must be quoted, or YAML reads a second key in it"
    elif "CSV" in where and (counts := _FIELD_COUNTS.search(message)):
        merged = _merged_row(text, int(counts[1]) - int(counts[2]))
        if merged is not None:
            fixed, value = merged
            why = f"the value '{value}' holds the delimiter, so it must be in double quotes"
    if fixed is None or fixed == text:
        return ""
    return f"; {why}. Line {number} becomes:\n{fixed}"


_FIELD_COUNTS = re.compile(r"this row has (\d+) fields, the header has (\d+)")


def _merged_row(text: str, extra: int) -> tuple[str, str] | None:
    """A CSV row with one value split at a comma it holds (a thousands separator, 'Paris,
    France'), written back with that value quoted; None unless exactly one such split is seen."""
    if extra != 1:
        return None
    fields = next(csv.reader([text]), [])
    splits = [
        i
        for i in range(len(fields) - 1)
        if (
            re.fullmatch(r"-?\d{1,3}", fields[i])
            and re.fullmatch(r"\d{3}(?:\.\d+)?", fields[i + 1])
        )
        or (fields[i + 1].startswith(" ") and fields[i].strip() and not fields[i].startswith(" "))
    ]
    if len(splits) != 1:
        return None
    i = splits[0]
    value = f"{fields[i]},{fields[i + 1]}"
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([*fields[:i], value, *fields[i + 2 :]])
    return out.getvalue(), value


def _missing_comma(shown: dict[int, str], number: int, column: int) -> str:
    """Where the comma the parser expected goes, with the corrected line: before the column on
    the fault line when a value ends there, else after the last value on the lines above."""
    text = shown.get(number, "")
    before = text[: max(column - 1, 0)].rstrip()
    if before and not before.endswith(("[", "{", ",", ":")):
        fixed = f"{before}, {text[max(column - 1, 0) :].lstrip()}"
        return (
            f": a comma is missing between the values on line {number}, before column {column}"
            f" (line {number} corrected below)\n{fixed}"
        )
    for previous in range(number - 1, 0, -1):
        above = shown.get(previous)
        if above is None:
            break
        if above.strip():
            return (
                f": a comma is missing after the value that ends line {previous} "
                f"({above.strip()}); line {previous} becomes:\n{above.rstrip()},"
            )
    return f": a comma is missing before line {number}" if number > 1 else ""


def _trailing_comma(shown: dict[int, str], number: int) -> tuple[int, str] | None:
    """(line, text) of a comma left after a list's or object's last item: the fault line closes
    the bracket and the last line with content before it ends with a comma."""
    if not shown.get(number, "").strip().startswith(("]", "}")):
        return None
    for before in range(number - 1, 0, -1):
        text = shown.get(before)
        if text is None:
            return None
        if text.strip():
            return (before, text) if text.rstrip().endswith(",") else None
    return None


_TOML_BARE = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*=\s*([A-Za-z_][\w.-]*)\s*(?:#.*)?$")


def _bare_toml_value(text: str) -> tuple[str, str] | None:
    """(key, word) when a TOML line gives a text value without quotes (`format = csv`)."""
    match = _TOML_BARE.match(text)
    if not match or match.group(2) in ("true", "false", "inf", "nan"):
        return None
    return match.group(1), match.group(2)


def _key_finding(
    data: list[tuple[str, str]],
    exc: str,
    values: Sequence[str],
    code: str | None,
    line_no: int | None,
) -> tuple[str, str] | None:
    """For a KeyError: the key against the names the data files really have."""
    if exc != "KeyError" or not values:
        return None
    key = values[0]
    if code and f"'{key}'" not in code and f'"{key}"' not in code:
        return None  # the key comes from a variable (a count, a lookup): not a column name
    for name, report in data:
        keys = _data_keys(report)
        if not keys:
            continue
        if key in keys:
            return (
                f"{_code(name)} does have the key '{key}', so some record read here lacks it",
                f"read it with .get('{key}') and handle the records without it",
            )
        same = [k for k in keys if k.strip().lower() == key.strip().lower()]
        close = same or difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
        shown = ", ".join(f"'{k}'" for k in keys[:12])
        if not close:
            return (
                f"'{key}' is not among the names in {_code(name)} ({shown})",
                f"read one of those names instead of '{key}', or add the '{key}' column",
            )
        real = close[0]
        fixed = _replace_literal(code or "", key, real)
        fix = f"use the name exactly as {_code(name)} writes it, '{real}'"
        if fixed and line_no:
            fix += f"; line {line_no} becomes: {fixed}"
        if same:
            fix += (
                ", or normalise the names once when reading (name.strip().lower() for each of "
                "the reader's fieldnames) so that the spelling of the header no longer matters"
            )
        return (
            f"the code reads the key '{key}', but {_code(name)} names it '{real}' ({shown}); "
            "keys are matched exactly, case and spaces included",
            fix,
        )
    return None


def _replace_literal(code: str, old: str, new: str) -> str | None:
    for quote in ("'", '"'):
        if f"{quote}{old}{quote}" in code:
            return code.replace(f"{quote}{old}{quote}", f"{quote}{new}{quote}")
    return None


def _extra_evidence(
    work: Work, subjects: TaskSubjects, exc: str, values: Sequence[str], path: str | None
) -> list[str]:
    """Facts beyond the located line: where a bad value sits, similar names, a lint, a module."""
    lines: list[str] = []
    if exc in ("ValueError", "TypeError") and values:
        hits = [
            h
            for h in _hits(work.output("search_text", text=values[-1]))
            if path is None or not h.startswith(f"{path}:")
        ]
        if hits:
            lines += ["", f"'{values[-1]}' appears in:", *hits[:MAX_LISTED]]
    if exc in ("NameError", "AttributeError", "UnboundLocalError") and values and path:
        source = "\n".join(_numbered(work.output("read_lines", path=path)).values())
        names = set(re.findall(r"[A-Za-z_]\w*", source))
        close = difflib.get_close_matches(values[0], sorted(names), n=3, cutoff=0.7)
        close = [c for c in close if c != values[0]]
        if close:
            lines.append(f"Similar names in {_code(path)}: " + ", ".join(f"'{c}'" for c in close))
    if exc in ("SyntaxError", "IndentationError", "TabError") and path:
        findings = _hits(work.output("lint_file", path=path))
        if findings:
            lines += ["", f"ruff on {_code(path)}:", *findings[:MAX_LISTED]]
    if exc in ("ModuleNotFoundError", "ImportError") and values:
        name = values[0].split(".")[0]
        if name.isidentifier() and name not in _NOT_DOCUMENTED:
            done = work.call("python_docs", name=name)
            state = "is installed here" if done.ok else "is not installed in this environment"
            lines.append(f"The module '{name}' {state}.")
    if exc == "FileNotFoundError" and values:
        base = values[0].replace("\\", "/").rsplit("/", 1)[-1]
        if base:
            paths = _listed(work.output("file_search", pattern=base, dir_path="."))
            if paths:
                lines.append(f"A file named '{base}' is at: " + ", ".join(paths[:5]))
    return lines


# --- review ------------------------------------------------------------------------------------


# --- documentation, explanation, examples -------------------------------------------------------


_INSTALLED = tuple(
    {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
)


def _importable(name: str) -> bool:
    top = name.split(".")[0]
    if top in _NOT_DOCUMENTED or not top.isidentifier():
        return False
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    # Installed means the standard library or site-packages, not a folder that happens to be
    # on the path (the project this runs from, the person's own files).
    origin = spec.origin or ""
    return origin in ("built-in", "frozen") or origin.startswith(_INSTALLED)


def _query_terms(subjects: TaskSubjects) -> list[str]:
    """Identifier-like words of the queries and the task, in order, without filler."""
    texts = [*subjects.queries[:2], *subjects.names] or [subjects.task]
    terms = []
    for text in texts:
        for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text):
            if len(word) > 1 and word.lower() not in _DOC_STOP and word not in terms:
                terms.append(word)
    return terms


_FUNCTION_WORDS = frozenset(
    """the and for that with not was are but its his her our their this these those from into
    onto than then when what which who why how any all can may""".split()
)
"""English words that follow a module-like word ("overrides an earlier ...") but name nothing."""


def python_candidates(subjects: TaskSubjects) -> list[str]:
    """Installed Python names the task may be about, most likely first."""
    terms = _query_terms(subjects)
    lowered = {t.lower() for t in terms}
    dotted = [d for d in subjects.dotted if _importable(d)]
    modules = list(dict.fromkeys(d.split(".")[0] for d in dotted))
    for word in [*subjects.identifiers, *terms]:
        if word.islower() and word not in modules and _importable(word) and len(word) > 2:
            modules.append(word)
    # A member is written as code: CapWords, snake_case or camelCase ('basicConfig').
    members = [
        t
        for t in terms
        if t not in modules and (t[0].isupper() or "_" in t or re.search(r"[a-z][A-Z]", t))
    ]
    # A word right after a module's name is most likely one of its members ("itertools groupby").
    adjacent = [
        f"{m}.{after}"
        for text in [*subjects.queries[:2], *subjects.names, subjects.task]
        for m in modules
        for after in re.findall(rf"\b{re.escape(m)}\s+([A-Za-z_]\w*)", text)
        if after.lower() not in _DOC_STOP | _FUNCTION_WORDS
        and after.isidentifier()
        and len(after) > 2
        and after != m
    ]
    members += [a.split(".")[1] for a in adjacent if a.split(".")[1] not in members]
    combos = [f"{m}.{t}" for m in modules for t in members]
    classes = [d for d in [*dotted, *combos] if d.split(".")[-1][:1].isupper()]
    combos = [f"{c}.{t}" for c in classes for t in members if t[0].islower()] + combos
    candidates = list(dict.fromkeys([*dotted, *combos, *modules]))

    def score(name: str) -> int:
        parts = name.split(".")
        named = sum(p.lower() in lowered for p in parts)
        return named * 2 + (name in subjects.dotted) + (len(parts) > 1)

    return sorted(candidates, key=score, reverse=True)


def _doc_excerpt(doc: str, terms: Sequence[str]) -> tuple[list[str], list[str]]:
    """The documentation's head (name, signature, first paragraph) and the paragraphs naming a
    term; the code-like terms it never mentions."""
    paragraphs = [p for p in re.split(r"\n\s*\n", doc.strip()) if p.strip()]
    # Offline help quotes the text, not where to read more on the web ("See: https://...").
    paragraphs = [p for p in paragraphs if not _WEB_POINTER.fullmatch(p.strip())]
    wanted = [t for t in terms if len(t) > 2]
    members = next((i for i, p in enumerate(paragraphs) if p.startswith("Members:")), None)
    body = paragraphs[:members]
    if sum(len(p.splitlines()) + 1 for p in body) <= MAX_DOC_LINES:
        chosen = list(body)  # a short documentation is quoted whole: every sentence may matter
    else:
        chosen = paragraphs[:3]
        for paragraph in paragraphs[3:]:
            if any(re.search(rf"\b{re.escape(t)}\b", paragraph, re.I) for t in wanted):
                chosen.append(paragraph)
        if len(chosen) <= 3:
            chosen += paragraphs[3:5]
    chosen = [_reflowed(p) for p in chosen]
    lines = [ln.rstrip() for p in chosen for ln in (*p.splitlines(), "")][:MAX_DOC_LINES]
    missing = [
        t
        for t in wanted
        if ("_" in t or re.search(r"[a-z][A-Z]", t))
        and not re.search(rf"\b{re.escape(t)}\b", doc, re.I)
    ]
    return [ln for ln in lines if not ln.startswith("... [truncated")], missing


_NOT_PROSE = re.compile(r"^\s|^(?:>>>|\.\.\.|[-*+] |\d+[.)] |[A-Za-z_][\w.]*\()")


def _reflowed(paragraph: str) -> str:
    """A prose paragraph of a docstring on one line (its words as written: a phrase broken
    over two lines still reads, and matches, as one); code, lists and signatures as they are."""
    lines = paragraph.splitlines()
    if len(lines) < 2 or any(_NOT_PROSE.match(ln) for ln in lines):
        return paragraph
    return " ".join(ln.strip() for ln in lines)


def _python_docs(work: Work, subjects: TaskSubjects) -> tuple[str, str] | None:
    """(name, documentation) of the first installed name the task is about that documents."""
    bare: tuple[str, str] | None = None
    for name in python_candidates(subjects)[:MAX_DOC_TRIES]:
        doc = work.output("python_docs", name=name)
        constant = bool(doc) and " value in " in doc.split("\n", 1)[0]
        if doc and not (constant and "(no docstring)" in doc):
            return name, doc
        # A constant (logging.DEBUG) documents nothing: a later name the task gives (the
        # function it is passed to) answers it better.
        bare = bare or ((name, doc) if doc else None)
    return bare


MAX_SCRIPTS = 2
"""Most named Python files checked for the behaviour a look-up asks about."""
_CITED_LINE = re.compile(r"\(line (\d+)\)")


def script_findings(work: Work, subjects: TaskSubjects) -> list[str]:
    """What check_python finds in the Python files the task or events name, each with the
    code of its line and of the lines it cites; [] when it finds nothing."""
    lines: list[str] = []
    for name in subjects.files_with(frozenset({"py"}))[:MAX_SCRIPTS]:
        path = work.resolve(name)
        lines += python_findings(work, path) if path else []
    return lines


def python_findings(work: Work, path: str) -> list[str]:
    """What check_python finds in one Python file, each finding under the code of its line
    and of the lines it cites; [] when it finds nothing."""
    hits = [h for h in _hits(work.output("check_python", path=path)) if _HIT.match(h)]
    if not hits:
        return []
    source = _read_all(work, path, 400)
    lines = [f"What {_code(path)} does that explains it:"]
    for hit in hits[:MAX_LISTED]:
        found = _HIT.match(hit)
        numbers = [int(found["line"]), *map(int, _CITED_LINE.findall(found["text"]))]
        for number in sorted(set(numbers)):
            if number in source:
                lines.append(f"{_code(path)} line {number}: {source[number].strip()}")
        lines.append(f"  {found['text'].strip()}")
    return lines


def _usages(work: Work, name: str) -> list[str]:
    return _hits(work.output("find_usages", name=name))[:MAX_LISTED]


def lookup_docs(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> Outcome:
    """Answer the task from the installed documentation of the Python name it is about: the
    arguments and sibling functions whose docs answer the person's need (with the project's
    call changed to use them), then the documentation quoted and the name's uses."""
    worked = formulas_worked_out(work, subjects, events)
    if worked is not None:
        return worked
    # "Which invoices in the export are still unpaid?" is answered by the export itself.
    from backends.local.plans_code import open_items_found  # noqa: PLC0415 (it imports this)

    items = open_items_found(work, subjects)
    if items is not None:
        return items
    found = _python_docs(work, subjects)
    if found is None:
        imported = _imports_documented(work, subjects)
        if imported is not None:
            return imported
        searched = _offline_search(work, subjects, events, "Docs", what="look this up on the web")
        # A behaviour asked about in words ("default list keeps old values") is often the
        # person's own script doing it: what a check of that script finds answers it first.
        behaviour = script_findings(work, subjects)
        if not behaviour:
            return searched
        return Outcome(
            title=searched.title,
            lines=[*behaviour, "", *searched.lines],
            did=f"checked the code the task names and {searched.did}".strip(),
        )
    name, doc = found
    short = name.rsplit(".", 1)[-1]
    uses = _usages(work, short)
    answer = _docs_answer(work, subjects, events, name, uses)
    terms = [t for t in _query_terms(subjects) if t.lower() not in name.lower().split(".")]
    excerpt, missing = _doc_excerpt(doc, terms)
    meant = doc_implications(doc) + _raised(doc, subjects.task)
    applied = percent_applied(work, subjects)
    lines = [*applied, *([""] if applied else []), *answer, *meant, *([""] if meant else [])]
    lines += excerpt
    lines.append(f"(The documentation of {_code(name)} installed here.)")
    if missing:
        shown = ", ".join(f"'{t}'" for t in missing[:6])
        lines.append(f"The documentation quoted does not mention {shown}.")
    if uses:
        lines += ["", f"Where your project uses {short}:", *uses]
    return Outcome(title=f"Docs: {name}", lines=lines, did=f"read the documentation of {name}")


_USES_LIBRARIES = re.compile(
    r"\b(?:librar(?:y|ies)|modules?|packages?|imports?)\b[^?!\n]{0,60}\b(?:uses?|imports?)\b"
    r"|\b(?:it|that|this)\s+(?:uses|imports)\b",
    re.I,
)


def _doc_summary(doc: str, name: str) -> str:
    """The first sentence of a python_docs answer's first paragraph that is not its heading or
    the signature."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", doc) if p.strip()]
    for text in paragraphs[1:]:
        if text.startswith(name) and "(" in text.split(" ", 1)[0]:
            continue  # the signature
        return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return "(no docstring)"


def _imports_documented(work: Work, subjects: TaskSubjects) -> Outcome | None:
    """The installed documentation of what a named Python file imports, when the task asks
    about the libraries it uses: each one's summary line, then where the file uses it."""
    files = [f for f in (work.resolve(n) for n in subjects.files_with(frozenset({"py"}))) if f]
    if not files or not _USES_LIBRARIES.search(subjects.task):
        return None
    outline = work.output("module_outline", path=files[0]) or ""
    listed = re.search(r"^imports: (.+)$", outline, re.M)
    if not listed:
        return None
    lines: list[str] = []
    for name in [n.strip() for n in listed.group(1).split(",") if n.strip()][:6]:
        doc = work.output("python_docs", name=name)
        if not doc or doc.startswith("Error"):
            continue
        lines.append(f"{_code(name)}: {_doc_summary(doc, name)}")
    if not lines:
        return None
    head = f"What {_code(files[0])} imports, from the documentation installed here:"
    return Outcome(
        title=f"Docs: libraries of {files[0]}",
        lines=[head, *lines],
        did=f"read the installed documentation of what {files[0]} imports",
    )


_CONSECUTIVE = re.compile(
    r"\b(?:consecutive|adjacent|contiguous|successive)\s+(?:\w+\s+){0,3}?"
    r"(?:groups?|keys?|elements?|items?|runs?|duplicates?|lines?)\b",
    re.I,
)


_PERCENT = re.compile(r"(?P<pct>\d+(?:\.\d+)?)\s*(?:%|per ?cent)(?:\s+(?P<what>[A-Za-z]+))?", re.I)
_UP = re.compile(
    r"\b(?:add(?:s|ed|ing)?|plus|increase[sd]?|rais(?:e|es|ed)|includ\w*|mark ?up|markup"
    r"|vat|tax|surcharge|tip|uplift)\b",
    re.I,
)
_DOWN = re.compile(
    r"\b(?:discount\w*|off|reduc\w*|decreas\w*|minus|less|subtract\w*|cut|lower\w*)\b", re.I
)
_PLACES = re.compile(r"\b(two|2|one|1|three|3|no|zero|0)\s+decimal", re.I)
_AMOUNT_IN_LINE = re.compile(r"(?<![\w.\-/:])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w.%\-/:])")
"""A number in a line that may be an amount (not part of a date, a time, a code or a %)."""
MAX_APPLIED_LINES = 40
"""Most lines of a file shown with a percentage applied."""


def percent_applied(work: Work, subjects: TaskSubjects) -> list[str]:
    """Each amount of the data or text file the task names with the percentage the task asks
    added or taken off ('each price gets 20% VAT added', 'a 15% discount'), worked out with
    decimal arithmetic; [] when the task asks no such thing."""
    task = subjects.task
    found = _PERCENT.search(task)
    if not found:
        return []
    around = task[max(found.start() - 60, 0) : found.end() + 40]
    up, down = _UP.search(around), _DOWN.search(around)
    if not (up or down) or (up and down):
        return []
    files = [
        p
        for p in map(work.resolve, subjects.files_with(frozenset({"txt", "csv", "md", "tsv"}))[:2])
        if p and not _own_file(p)
    ]
    if not files:
        return []
    from decimal import ROUND_HALF_UP, Decimal  # noqa: PLC0415 (only this computation)

    rate = Decimal(found["pct"]) / 100
    factor = 1 + rate if up else 1 - rate
    said = _PLACES.search(task)
    words = {"two": 2, "one": 1, "three": 3, "no": 0, "zero": 0}
    places = None
    if said:
        word = said.group(1).lower()
        places = int(word) if word.isdigit() else words[word]
    numbered = _numbered(work.output("read_lines", path=files[0], start=1))
    # Where the file writes amounts with decimals, its whole numbers are counts, not amounts.
    decimal_only = any(m.group(2) for t in numbered.values() for m in _AMOUNT_IN_LINE.finditer(t))
    out: list[str] = []
    for number, text in list(numbered.items())[:MAX_APPLIED_LINES]:

        def changed(match: re.Match[str]) -> str:
            if decimal_only and not match.group(2):
                return match.group(0)
            value = Decimal(match.group(1).replace(",", "") + (match.group(2) or ""))
            decimals = places if places is not None else len((match.group(2) or ".")[1:])
            result = (value * factor).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
            grouped = "," in match.group(1)
            return f"{result:,.{decimals}f}" if grouped else f"{result:.{decimals}f}"

        if _AMOUNT_IN_LINE.sub(changed, text) != text:
            out.append(
                f"- line {number}: {text.strip()} -> {_AMOUNT_IN_LINE.sub(changed, text).strip()}"
            )
    if not out:
        return []
    how = f"{found['pct']}% {'added' if up else 'taken off'} (x {factor.normalize()})"
    head = f"Each amount in {_code(files[0])} with {how}"
    head += f", {places} decimals:" if places is not None else ":"
    return [head, *out]


_ASKS_RAISED = re.compile(r"\bexceptions?\b|\bcatch\b|\braise[sd]?\b|\berrors? (?:to|it)\b", re.I)
_RAISED = re.compile(
    r"\b([A-Z][A-Za-z]*(?:Error|Exception|Expired|Warning|Exit|Interrupt))\b"
    r"|\b(?:raises?|raised)\s+(?:an?\s+|the\s+)?([A-Z][A-Za-z]+)\s+exception\b"
)


def _raised(doc: str, task: str) -> list[str]:
    """The exceptions the documentation says are raised, each with its sentence, when the task
    asks what to catch or what is raised."""
    if not _ASKS_RAISED.search(task):
        return []
    found: dict[str, str] = {}
    text = " ".join(doc.split())
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        for match in _RAISED.finditer(sentence):
            name = match.group(1) or match.group(2)
            found.setdefault(name, sentence.strip())
    if not found:
        return []
    lines = ["Exceptions the documentation names (catch these):"]
    lines += [f'- {name}: "{sentence}"' for name, sentence in found.items()]
    return lines


def doc_implications(doc: str) -> list[str]:
    """What a documented behaviour means for the person's data, said plainly: a function
    documented to work on consecutive items does not gather equal items that are apart."""
    found = _CONSECUTIVE.search(doc)
    if not found:
        return []
    return [
        f'The documentation says it works on "{found.group(0)}": only items next to each other '
        "are taken together, so equal keys that are apart in the input come out as separate "
        "groups, in input order. It does not sort; sort the input by the same key first when "
        "each key should come out once."
    ]


_SHEET_FORMULA = re.compile(r"=\s*[A-Z][A-Z0-9.]*\(.*\)")
MAX_FORMULA_FILES = 3
"""Most named files searched for formulas."""


def formulas_worked_out(
    work: Work, subjects: TaskSubjects, events: Sequence[Event]
) -> Outcome | None:
    """The spreadsheet formulas the task or events show (typed, or in a file they name) worked
    out against the sheets' CSV exports: the value, the rows counted and those left out. None
    when they show no formula."""
    spans = [subjects.task, *(_said(e.text) for e in events[-EVENT_WINDOW:])]
    typed = [m.group(0) for text in spans for m in _SHEET_FORMULA.finditer(text)]
    found: list[str] = []
    for formula in list(dict.fromkeys(typed))[:MAX_FORMULA_FILES]:
        out = work.output("evaluate_formula", formula=formula)
        if out and not out.startswith("Error"):
            found += out.splitlines()
    if not found:
        for name in subjects.files_with(frozenset({"txt", "md"}))[:MAX_FORMULA_FILES]:
            path = work.resolve(name)
            out = work.output("evaluate_formula", path=path) if path else None
            if out and not out.startswith("Error") and "shows no spreadsheet formula" not in out:
                found += out.splitlines()
                break
    if not any(line.lstrip().startswith("= ") for line in found):
        return None
    lines = []
    for line in found:
        hit = _HIT.match(line.strip())
        lines.append(
            f"{'  ' if line.startswith(' ') else ''}{_code(hit['path'])} line {hit['line']}: "
            f"{hit['text']}"
            if hit
            else line
        )
    head = next((t for t in typed), "the formulas")
    return Outcome(
        title=f"Explain: {head}"[:180],
        lines=["The formula worked out against the sheet's rows:", *lines],
        did="worked out the spreadsheet formula",
    )


_WANTS_OTHER = re.compile(
    r"\binstead\b|\bwhich (?:\w+ )?(?:function|method)\b|\balternative|\brather than\b"
    r"|\bother (?:function|method)\b|\bfunction (?:that|which|to use)\b",
    re.I,
)
_PARAM_LINE = re.compile(r"^- (?P<param>\w+)=(?P<value>.+?): \"")
_SIBLING_LINE = re.compile(r"^- (?P<module>[\w.]+?)\.(?P<name>\w+)\(")
MAX_NEED_LINES = 40
"""Lines of a person's own document read as part of the need."""


def _need_text(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> str:
    """What the person needs, in their words: the task, the recent events and the lines of the
    documents (not code, not data) the task or events name."""
    parts = [subjects.task, *(_said(e.text) for e in events[-EVENT_WINDOW:])]
    for name in subjects.files_with(frozenset({"md", "txt", "rst", "markdown"}))[:2]:
        path = work.resolve(name)
        if path and not _own_file(path):
            parts += list(_numbered(work.output("read_lines", path=path, start=1)).values())[
                :MAX_NEED_LINES
            ]
    return "\n".join(p for p in parts if p.strip())


_SAID = re.compile(r"'([^']{3,400})'|\"([^\"]{3,400})\"|: (.{3,400})$")


def _said(event: str) -> str:
    """What an event quotes (a query typed, a message read, an error shown), not the words
    that narrate it ("The user opens ... in Visual Studio Code")."""
    return "\n".join(next(g for g in m.groups() if g) for m in _SAID.finditer(event))


def _docs_answer(
    work: Work, subjects: TaskSubjects, events: Sequence[Event], name: str, uses: list[str]
) -> list[str]:
    """The arguments (and, when asked, other functions) the docs give for the need, and each
    project call of `name` rewritten with them."""
    texts = [subjects.task, *(e.text for e in events[-EVENT_WINDOW:])]
    other = any(_WANTS_OTHER.search(t) for t in texts)
    found = work.output(
        "docs_for_need", name=name, need=_need_text(work, subjects, events), other_functions=other
    )
    if not found or found.startswith(("Error", "The documentation of")):
        # No argument to change, but what the project's call computes still answers "which
        # value does it print"
        computed = _computed(work, name, [], uses)
        return [*computed, ""] if computed else []
    lines = found.splitlines()
    keywords = [(m["param"], m["value"]) for m in map(_PARAM_LINE.match, lines) if m]
    siblings = [m["name"] for m in map(_SIBLING_LINE.match, lines) if m]
    use = next((ln for ln in lines if ln.startswith("Use instead: ")), "")
    drop_in = use.rsplit(".", 1)[-1] if use else ""
    short = name.rsplit(".", 1)[-1]
    changed: list[str] = []
    for use in uses[:3]:
        hit = _HIT.match(use)
        if not hit:
            continue
        code = hit["text"].strip()
        new = _with_keywords(code, short, keywords) if keywords else None
        if new and new != code:
            changed.append(f"{_code(hit['path'])} line {hit['line']} becomes: {new}")
        if drop_in and re.search(rf"\b{re.escape(short)}\(", code):
            swapped = re.sub(rf"\b{re.escape(short)}\(", f"{drop_in}(", new or code, count=1)
            changed.append(
                f"Instead of {short} at {_code(hit['path'])} line {hit['line']}: {swapped}"
            )
    variants = next((ln for ln in lines if ln.startswith("Variants of ")), "")
    alternatives = [*siblings, *variants.partition(": ")[2].split(", ")]
    computed = _computed(work, name, [a for a in dict.fromkeys(alternatives) if a], uses)
    return [*computed, *lines, *changed, ""]


MAX_ALTERNATIVES = 6
"""Most other functions applied to the data."""
_COLUMN_OF = re.compile(r"\[\s*[\"']([^\"'\]]+)[\"']\s*\]")
_CSV_NAME = re.compile(r"[\"']([^\"'\s]+\.csv)[\"']")
_OPENED = re.compile(r"\bopen\(\s*[\"']([^\"'\s]+\.\w+)[\"']")


def _computed(work: Work, name: str, siblings: Sequence[str], uses: Sequence[str]) -> list[str]:
    """What the project's call of `name` computes on its CSV data (and what the sibling
    functions would give instead): the CSV and column read from the script that calls it."""
    module, short = name.rsplit(".", 1)[0], name.rsplit(".", 1)[-1]
    for use in uses[:3]:
        hit = _HIT.match(use)
        called = re.search(rf"\b{re.escape(short)}\(\s*(\w+)\s*\)", hit["text"]) if hit else None
        if not hit or not called:
            continue
        source = _read_all(work, hit["path"], 400)
        assigned = [t for t in source.values() if re.match(rf"\s*{called[1]}\s*=", t)]
        column = next((m[1] for t in assigned for m in [_COLUMN_OF.search(t)] if m), "")
        csv_name = next((m[1] for t in source.values() for m in [_CSV_NAME.search(t)] if m), "")
        data = work.resolve(csv_name) if csv_name and column else None
        if not data:
            # No CSV column: a file of plain numbers the script opens ("times.txt")
            column = ""
            opened = [m[1] for t in source.values() for m in _OPENED.finditer(t)]
            data = next((p for name in opened if (p := work.resolve(name))), None)
        if not data:
            continue
        out = work.output("apply_to_column", name=name, path=data, column=column)
        if not out or out.startswith("Error"):
            continue
        first, _, rest = out.partition("\n")
        ordered = rest.partition("\n")[0]
        value = first.rsplit(" = ", 1)[-1]
        lines = [
            f"{_code(hit['path'])} line {hit['line']} computes {first}{_in_column(value, ordered)}",
            *rest.splitlines(),
        ]
        printed = _printed(hit["text"], short, value)
        if printed:
            lines.append(f"so {_code(hit['path'])} line {hit['line']} prints: {printed}")
        for other in siblings[:MAX_ALTERNATIVES]:
            alt = work.output("apply_to_column", name=f"{module}.{other}", path=data, column=column)
            if alt and not alt.startswith("Error"):
                gives = alt.splitlines()[0].rsplit(" = ", 1)[-1]
                lines.append(f"{module}.{other} instead gives {gives}{_in_column(gives, ordered)}")
        return [*lines, ""]
    return []


def _in_column(value: str, ordered: str) -> str:
    """Whether a computed value is one of the column's own values (listed in `ordered`; a
    file of plain numbers is one column)."""
    try:
        number = float(value)
        values = [float(v) for v in ordered.partition(": ")[2].split(", ") if v]
    except ValueError:
        return ""
    return ", one of the column's values" if number in values else ", not a value of the column"


def _printed(code: str, short: str, value: str) -> str:
    """The text a `print(f"...")` line shows once the call of `short` is replaced by `value`
    ('' when the line prints no f-string or has other fields)."""
    match = re.search(r"print\(\s*f([\"'])(.*)\1\s*\)", code)
    if not match:
        # print("label:", module.short(x)): print joins its arguments with a space
        plain = re.search(
            rf"print\(\s*([\"'])([^\"'{{}}]*)\1\s*,\s*[\w.]*\b{re.escape(short)}\(\w*\)\s*\)",
            code,
        )
        return f"{plain[2]} {value}" if plain else ""
    fields = re.findall(r"\{[^{}]*\}", match[2])
    if len(fields) != 1 or f"{short}(" not in fields[0]:
        return ""
    return match[2].replace(fields[0], value)


def _with_keywords(code: str, short: str, keywords: Sequence[tuple[str, str]]) -> str | None:
    """`code` with the call of `short` given the keywords (a keyword it already passes takes
    the new value); None when the call's parentheses cannot be found on the line."""
    start = re.search(rf"\b{re.escape(short)}\(", code)
    if not start:
        return None
    depth, quote = 0, ""
    open_at = start.end() - 1
    for index in range(open_at, len(code)):
        char = code[index]
        if quote:
            quote = "" if char == quote and code[index - 1] != "\\" else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                inside = code[open_at + 1 : index]
                for param, value in keywords:
                    given = re.search(rf"\b{param}\s*=\s*[^,()]+", inside)
                    keyword = f"{param}={value}"
                    if given:
                        inside = inside[: given.start()] + keyword + inside[given.end() :]
                    else:
                        inside = f"{inside}, {keyword}" if inside.strip() else keyword
                return code[: open_at + 1] + inside + code[index:]
    return None


def _offline_search(
    work: Work, subjects: TaskSubjects, events: Sequence[Event], label: str, *, what: str
) -> Outcome:
    """What cannot be done offline, said plainly, then what the person's own files hold."""
    subject = subjects.subject
    hits: list[str] = []
    for term in _search_terms(subjects)[:3]:
        hits = _hits(work.output("search_text", text=term))
        if hits:
            break
    lines: list[str] = []
    if hits:
        lines += [f"What your files say about '{subject}':", *_with_sections(work, hits)]
    else:
        lines.append(f"Your files do not mention '{subject}'.")
    lines.append(f"I cannot {what} offline, so this note has no links.")
    memory = related_memory(work, subjects, events)
    if memory:
        lines += ["", "Related earlier activity:", *memory]
    return Outcome(title=f"{label}: {subject}"[:180], lines=lines, did="searched your files")


SECTION_LINES = 6
"""Lines shown under a hit on a document's heading (the section it starts)."""


def _with_sections(work: Work, hits: Sequence[str]) -> list[str]:
    """The hits; under a hit on a document's heading, the lines of the section it starts."""
    lines: list[str] = []
    for hit in hits[:MAX_LISTED]:
        lines.append(hit)
        match = _HIT.match(hit)
        if not match or extension(match["path"]) not in DOCUMENT_EXTENSIONS:
            continue
        if not match["text"].lstrip().startswith("#") or len(lines) > 3 * MAX_LISTED:
            continue
        start = int(match["line"]) + 1
        body = _numbered(
            work.output("read_lines", path=match["path"], start=start, end=start + SECTION_LINES)
        )
        for number, text in body.items():
            if text.lstrip().startswith("#"):
                break
            if text.strip():
                lines.append(f"    {match['path']}:{number}: {text.strip()}")
    return lines


def _search_terms(subjects: TaskSubjects) -> list[str]:
    """The subject whole, then its longest content words."""
    subject = subjects.subject.strip()
    # In the order they come, longest first (a set's order changes with each process's hash seed).
    words = sorted(dict.fromkeys(content_words(subject)), key=len, reverse=True)
    return list(dict.fromkeys([t for t in [subject, *words] if len(t) >= 3]))


# --- summarise ---------------------------------------------------------------------------------


MAX_LOG_LINES = 2000
"""A log summary reads at most this many lines."""


def _read_all(work: Work, path: str, limit: int = MAX_LOG_LINES) -> dict[int, str]:
    """Every numbered line of a file, page by page through read_lines (at most `limit`)."""
    found: dict[int, str] = {}
    start = 1
    while start <= limit:
        page = _numbered(work.output("read_lines", path=path, start=start))
        if not page:
            break
        found.update(page)
        start = max(page) + 1
    return found


def _summary_of(work: Work, path: str, label: str) -> Outcome:
    summary = work.output("summarise_document", path=path, sentences=5)
    if summary is None:
        return Outcome(
            title=f"{label}: {path}",
            lines=[f"I could not read {_code(path)} to summarise it."],
            did=f"tried to summarise {path}",
        )
    return Outcome(
        title=f"{label}: {path}",
        lines=[f"The central sentences of {_code(path)}, in its order:", *summary.splitlines()],
        did=f"summarised {path}",
    )


# --- draft_text --------------------------------------------------------------------------------


# --- organise ----------------------------------------------------------------------------------


# --- reminders ---------------------------------------------------------------------------------


def wants_reminder(kind: str, task: str) -> bool:
    """Whether the task asks for a reminder or a follow-up."""
    if kind in ("summarise", "find_examples") and not re.search(r"\bremind", task, re.I):
        # "each action with its due date", "invoices past their due date" ask for no reminder
        return False
    # Quoted names are not the request: 'visits/schedule.md' asks for no reminder.
    return bool(_REMIND.search(_QUOTED_VALUE.sub("", task)))


def set_reminder(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> str | None:
    """Set a reminder at the time the task or the events give; the line saying so, or why not."""
    texts = [subjects.task, *(e.text for e in reversed(events) if e.source != "agent")]
    now = events[-1].time if events else 0.0
    for text in timed_first(texts[:13]):
        when = reminder_time([text], now)
        if when is None:
            continue
        quoted = _quoted_values(text)
        what = quoted[0] if quoted and text is not subjects.task else subjects.task
        done = work.call("set_reminder", text=what[:900], when=when)
        return done.output if done.ok else f"I could not set the reminder: {done.output}"
    if not re.search(r"\bremind|\bfollow[- ]up\b", subjects.task, re.IGNORECASE):
        return None  # a task about deadlines or a schedule did not ask for a reminder
    return "Your activity gives no time for a reminder, so none was set."
