"""The offline plan for a review: a linter and an outline for code, a parse check for data, plain
checks for a document; findings first, each cited by line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from backends.local.plans import (
    CODE_EXTENSIONS,
    MAX_LISTED,
    Outcome,
    Work,
    _code,
    _hits,
    _numbered,
    _offline_search,
    _parse_fault,
    _read_all,
)
from backends.local.task_subjects import DATA_EXTENSIONS, TaskSubjects, extension
from graphs.state import Event


def review(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> Outcome:
    """Check the code, data or document named for real problems, findings first, each by line."""
    target = next((p for p in (work.resolve(f) for f in subjects.files[:3]) if p), None)
    if target is None and subjects.files:
        name = subjects.files[0]
        return Outcome(
            title=f"Review: {name}",
            lines=[f"'{name}' is not under your project root, so I could not review it."],
            did=f"looked for {name}",
        )
    if target is None:
        return _offline_search(work, subjects, events, "Review", what="open the work to review")
    ext = extension(target)
    if ext in ("py", "pyi"):
        lines = _code_review(work, target)
        did = f"linted, checked and outlined {target}"
    elif ext in DATA_EXTENSIONS:
        report = work.output("check_data_file", path=target)
        whole = _read_all(work, target) if extension(target) in ("yaml", "yml") else {}
        rows = _hits(work.output("check_csv_rows", path=target)) if ext in ("csv", "tsv") else []
        lines = _data_review(target, report, whole, rows)
        if ext == "json":  # totals stated beside the items they should sum
            found = _hits(work.output("fact_check", path=target))
            totals = [_cited(f.split(" | ", 1)[0]) for f in found]
            lines = [*totals, *([""] if totals else []), *lines]
        did = f"checked {target}"
    else:
        lines = _document_review(work, target, events, code=ext in CODE_EXTENSIONS)
        did = f"reviewed {target}"
    return Outcome(title=f"Review: {target}", lines=lines, did=did)


def _code_review(work: Work, target: str) -> list[str]:
    """ruff's findings explained, the syntax-tree checks ruff lacks, then the module's outline."""
    lint = work.output("lint_file", path=target)
    findings = _hits(lint)
    checked = _hits(work.output("check_python", path=target))
    names = _names_in(work, target) if any(" F821 " in f for f in findings) else []
    lines: list[str] = []
    bugs = [_cited(finding) for finding in checked]
    if findings:
        lines += [f"ruff finds {len(findings)} issue(s) in {_code(target)}:"]
        lines += [_explained(finding, names) for finding in findings]
    elif lint is not None:
        lines.append(f"ruff: {lint.strip()}.")
    else:
        lines.append(f"I could not run ruff on {_code(target)}.")
    if bugs:
        lines += ["", f"Reading the code, {len(bugs)} more problem(s) ruff does not check:", *bugs]
    elif not findings and lint is not None:
        lines.append(f"No problems found in {_code(target)}: the module is clean.")
    outline = work.output("module_outline", path=target)
    if outline:
        lines += ["", f"Structure of {_code(target)}:", *outline.splitlines()[:40]]
    return lines


def _cited(finding: str) -> str:
    """'path:N: message' as '`path` line N: message'."""
    match = _HIT_LINE.match(finding)
    return f"{_code(match['path'])} line {match['line']}: {match['text']}" if match else finding


_HIT_LINE = re.compile(r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+):(?:\d+:)? ?(?P<text>.*)$")
_RUFF_CODE = re.compile(r"^\S+:\d+:\d+: (?P<code>[A-Z]+\d+) (?P<message>.*)$")
_UNDEFINED = re.compile(r"Undefined name `(\w+)`")

RUFF_MEANING: dict[str, str] = {
    "A001": "the variable hides Python's built-in of that name: calling the built-in later in "
    "this scope fails; rename the variable",
    "F401": "the import is never used; remove it",
    "F811": "the name is defined twice; the first definition is lost",
    "F841": "the value is assigned and never read; remove it, or use it where it was meant",
    "F821": "NameError when this line runs: nothing defines that name here",
    "F632": "`is` compares identity, not value: it can be False for equal values; use ==",
    "F541": "an f-string with no placeholder: the braces the text meant are missing",
    "F601": "the same key is given twice in one dict: the first value is lost",
    "F403": "a star import hides where names come from; import the names used",
    "E711": "a comparison to None with == or != calls the object's __eq__; write `is None`",
    "E712": "a comparison to True or False with ==; test the value itself",
    "E721": "a type compared with ==; use isinstance()",
    "E722": "a bare except also catches KeyboardInterrupt and SystemExit and hides every bug; "
    "catch the exceptions you expect (except ValueError:)",
    "E731": "a lambda assigned to a name; write a def",
    "E741": "the name l, O or I reads as 1 or 0",
    "B006": "the default list (or dict, set) is created once, when the function is defined, and "
    "shared between calls: it grows on every call that changes it; use None as the default and "
    "create it inside",
    "B008": "the call in the default runs once, when the function is defined, not at each call; "
    "use None as the default and call it inside",
    "B011": "assert False is removed under python -O; raise AssertionError",
    "B018": "an expression whose value is thrown away: a missing call, return or assignment?",
    "B023": "the inner function reads the loop variable when it runs, so every one sees its last "
    "value; bind it as a default argument",
    "B015": "a comparison whose result is thrown away: an assert or if is missing",
    "PLW0120": "an else on a loop with no break always runs",
    "RUF013": "a default of None with a type that does not allow None: add | None to the type",
    "S102": "exec runs any code in the string it is given",
    "S307": "eval runs any code in the string; for literals use ast.literal_eval",
    "S110": "the exception is swallowed by pass: a failure here leaves no trace; log it or "
    "handle the case",
    "S506": "yaml.load with an unsafe loader can build any object; use yaml.safe_load",
    "S602": "a shell runs the command string: a file name with a space or ; breaks it or runs "
    "as a command; pass a list of arguments without shell=True",
    "S608": "SQL built from strings with values in it: an injection; pass the values as the "
    "driver's parameters",
}
"""What a ruff code means for the program, in plain words, and its fix."""


def _explained(finding: str, names: Sequence[str]) -> str:
    """A ruff line with what it means and, for an undefined name, the close name in the file."""
    match = _RUFF_CODE.match(finding)
    meaning = RUFF_MEANING.get(match["code"], "") if match else ""
    undefined = _UNDEFINED.search(finding)
    if undefined:
        others = [n for n in names if n != undefined.group(1)]
        close = difflib.get_close_matches(undefined.group(1), others, n=1, cutoff=0.7)
        if close:
            meaning += f"; a typo of `{close[0]}`? (defined in this file)"
    return f"{finding}: {meaning}" if meaning else finding


def _names_in(work: Work, path: str) -> list[str]:
    """The identifiers a module defines or uses (sorted), for spelling suggestions."""
    text = "\n".join(_read_all(work, path).values())
    words = set(re.findall(r"\b[A-Za-z_]\w*\b", text))
    return sorted(words)


def _document_review(work: Work, target: str, events: Sequence[Event], *, code: bool) -> list[str]:
    """A document's facts checked against themselves, then the plain checks of its lines."""
    lines: list[str] = []
    facts: list[str] = []
    if not code:
        year = _events_year(events)
        args: dict[str, object] = {"path": target} | ({"year": year} if year else {})
        facts = [_cited(f.split(" | ", 1)[0]) for f in _hits(work.output("fact_check", **args))]
    if facts:
        lines += [f"{len(facts)} fact(s) in {_code(target)} do not hold:", *facts]
    text = work.output("read_lines", path=target)
    findings = _text_findings(target, _numbered(text), code=code)
    if findings:
        lines += ["", "Wording:"] if facts else [f"Findings in {_code(target)}:"]
        lines += findings
    elif not facts:
        lines.append(
            f"I read {_code(target)} and found no totals that do not add up, no weekday that "
            "does not match its date, no repeated words, open markers, over-long sentences or "
            "unqualified absolute claims."
        )
    return lines


def _events_year(events: Sequence[Event]) -> int | None:
    """The year of the latest event with a real (unix) time, for dates written without one."""
    times = [e.time for e in events if e.time > 1e9]
    return datetime.fromtimestamp(max(times), tz=UTC).year if times else None


def _data_review(
    path: str,
    report: str | None,
    whole: dict[int, str] | None = None,
    rows: Sequence[str] = (),
) -> list[str]:
    """A data file's check, its fault first as '`path` line N: message', then every row's."""
    if report is None:
        return [f"I could not read {_code(path)} to check it."]
    found = [_row_finding(row) for row in rows]
    first, *rest = report.splitlines()
    fault = re.match(r"^(.+?):(\d+)(?::(\d+))?: (.*)$", first)
    if found and (fault is None or " fields, the header has " in first):
        # The row check names every row the parser would stop at, with its cause.
        head = f"{len(found)} problem(s) in the rows of {_code(path)}:"
        return [head, *found] + ([] if fault else ["", report])
    if fault is None:
        return [report, *found]
    column = f", column {fault.group(3)}" if fault.group(3) else ""
    lines = [f"{_code(fault.group(1))} line {fault.group(2)}{column}: {fault.group(4)}", *rest]
    found = _parse_fault([(path, report)], None) if "does not parse" in first else None
    if found and found[1]:
        lines.append(f"Fix: {found[1]}.")
    shown = whole or _numbered(report)
    lines += [
        f"{_code(path)} line {number}: {text.strip()}: YAML reads an unquoted {value} as the "
        f"number {float(value):g}, not the text '{value}'; quote it"
        for number, text in sorted(shown.items())
        for value in _YAML_VERSION.findall(text)
        if extension(path) in ("yaml", "yml") and f"{float(value):g}" != value
    ]
    lines += found
    return list(dict.fromkeys(lines))


def _row_finding(row: str) -> str:
    """A check_csv_rows line as '`path` line N: finding (the row: ...)'."""
    finding, _, quoted = row.partition(" | ")
    cited = _cited(finding)
    return f"{cited} (the row: {quoted})" if quoted else cited


_YAML_VERSION = re.compile(r"(?:[:\[,-]\s*)(\d+\.\d*0)(?=\s*(?:[,\]#]|$))")
"""An unquoted number ending in 0 after a dot ('3.10'): YAML reads it as a float (3.1)."""


_ABSOLUTE = re.compile(
    r"\b(?:always|never|everyone|nobody|all|none|proven|clearly|obviously|guarantee[sd]?|best"
    r"|undoubtedly|certainly)\b",
    re.I,
)


_MARKER = re.compile(r"\b(?:TODO|FIXME|TBD|XXX|HACK)\b")


_DOUBLED = re.compile(r"\b(\w+)\s+\1\b", re.I)


def _text_findings(path: str, numbered: dict[int, str], *, code: bool) -> list[str]:
    """Plain checks of a document's lines, each cited 'path:line: finding: text'."""
    found = []
    for number, text in numbered.items():
        stripped = text.strip()
        if not stripped:
            continue
        quote = stripped[:120]
        if _MARKER.search(stripped):
            found.append(f"{path}:{number}: an open marker: {quote}")
        doubled = _DOUBLED.search(stripped)
        if doubled and not doubled.group(1).isdigit():
            found.append(f"{path}:{number}: a repeated word '{doubled.group(1)}': {quote}")
        if code:
            if len(text) > 120:
                found.append(f"{path}:{number}: a line of {len(text)} characters")
            continue
        for sentence in re.split(r"(?<=[.!?])\s+", stripped):
            if len(sentence.split()) > 40:
                found.append(
                    f"{path}:{number}: a sentence of {len(sentence.split())} words: "
                    f"{sentence[:80]}..."
                )
            elif _ABSOLUTE.search(sentence) and not re.search(r"\d|\[|\(|http", sentence):
                found.append(f"{path}:{number}: an absolute claim with no source: {sentence[:120]}")
    return found[: MAX_LISTED * 2]
