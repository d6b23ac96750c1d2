"""The offline plan for a review: a linter and an outline for code, a parse check for data, plain
checks for a document; findings first, each cited by line.
"""

from __future__ import annotations

import csv
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
    _listed,
    _numbered,
    _offline_search,
    _parse_fault,
    _read_all,
)
from backends.local.plans_logic import review_logic
from backends.local.plans_ports import port_findings
from backends.local.task_subjects import DATA_EXTENSIONS, TaskSubjects, extension
from graphs.state import Event
from tools.factcheck import parse_number, show


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
    if target is None:  # a change named by its title ('Add docker compose setup'): its files
        target = _file_of_subject(work, subjects)
    if target is None:
        return _offline_search(work, subjects, events, "Review", what="open the work to review")
    target = _patch_named(work, subjects) or target
    special = _special_review(work, subjects, target)
    if special is not None:
        title, lines, did = special
        return Outcome(title=f"Review: {title}", lines=lines, did=did)
    ext = extension(target)
    if ext in ("py", "pyi"):
        lines = _code_review(work, target, subjects.task)
        did = f"linted, checked and outlined {target}"
    elif ext in DATA_EXTENSIONS:
        report = work.output("check_data_file", path=target)
        whole = _read_all(work, target) if extension(target) in ("yaml", "yml") else {}
        rows = _hits(work.output("check_csv_rows", path=target)) if ext in ("csv", "tsv") else []
        lines = _data_review(target, report, whole, rows)
        if ext != "csv" and ext != "tsv":
            lines = [*_config_review(work, subjects, target), *lines]
        if ext in ("yaml", "yml"):  # a compose file's ports against what each service listens on
            ports = port_findings(work, target)
            lines = [*ports, *([""] if ports else []), *lines]
        lines += _against_limits(work, subjects, target, rows)
        if ext == "json":  # totals stated beside the items they should sum
            found = _hits(work.output("fact_check", path=target))
            totals = [_cited(f.split(" | ", 1)[0]) for f in found]
            lines = [*totals, *([""] if totals else []), *lines]
        did = f"checked {target}"
    elif ext in CONFIG_EXTENSIONS:
        lines = _config_review(work, subjects, target) or [f"I read {_code(target)}."]
        did = f"checked {target}"
    else:
        lines = _against_reference(work, subjects, target)
        checked = _document_review(work, target, events, code=ext in CODE_EXTENSIONS)
        differs = any(" differ from " in line for line in lines)
        lines += [ln for ln in checked if not (differs and ln.startswith("I read "))]
        did = f"reviewed {target}"
    return Outcome(title=f"Review: {target}", lines=lines, did=did)


PATCH_EXTENSIONS = frozenset({"patch", "diff"})
"""A change downloaded as a unified diff."""
SETTINGS_FILES = frozenset({"py", "yaml", "yml", "json", "toml", "env", "ini", "cfg", "conf"})
"""Files a checklist's items can be checked against."""
CHECKLIST_FILES = frozenset({"md", "txt", "rst", "markdown"})
"""Documents that hold a checklist."""


def _patch_named(work: Work, subjects: TaskSubjects) -> str | None:
    """A patch the task or events name: the change itself, reviewed before its description."""
    for name in subjects.files:
        if extension(name) in PATCH_EXTENSIONS and (path := work.resolve(name)):
            return path
    return None


def _special_review(
    work: Work, subjects: TaskSubjects, target: str
) -> tuple[str, list[str], str] | None:
    """A change's added code, settings against a checklist, or a plan's dependencies: (what was
    reviewed, the findings, what was done), or None when none of these applies."""
    ext = extension(target)
    quoted = [q for q in subjects.names if "." in q and " " not in q]  # '.env.production'
    named = [p for p in dict.fromkeys(work.resolve(f) for f in [*subjects.files, *quoted]) if p]
    others = [p for p in named if p != target]
    if ext in PATCH_EXTENSIONS:
        found = work.output("review_patch", path=target)
        if found is None or found.startswith("Error"):
            return None
        head, *rest = found.splitlines()
        lines = [f"{head.split(': ', 1)[-1]}." if head.startswith(target) else head]
        lines += ["", *(_patch_finding(f) for f in rest)] if rest else []
        return target, lines, f"reviewed the lines {target} adds"
    pair = _settings_and_checklist(target, others)
    if pair is not None:
        settings_file, checklist = pair
        found = work.output("check_checklist", path=settings_file, checklist=checklist)
        hits = [ln for ln in (found or "").splitlines()[1:] if " item " in ln]
        checked = [ln for ln in hits if _CHECKED.search(ln)]
        code = extension(settings_file) == "py" and any(
            t.lstrip().startswith(("def ", "class ", "async def "))
            for t in _read_all(work, settings_file).values()
        )
        asked = _CHECKLIST_ASKED.search(f"{subjects.task} {checklist}")
        if found and checked and not found.startswith("Error") and (asked or not code):
            head = found.splitlines()[0]
            lines = [f"{head}:" if " fail " in head else f"{head}.", ""]
            lines += [_checklist_line(ln) for ln in hits]
            return settings_file, lines, f"checked {settings_file} against {checklist}"
    if ext in ("csv", "tsv", "md", "markdown"):
        rules = next((p for p in others if extension(p) in CHECKLIST_FILES), subjects.task)
        found = work.output("check_dependencies", path=target, rules=rules)
        if found and not found.startswith(("Error", f"{target}: no plan")):
            lines = [_cited(ln) if _HIT_LINE.match(ln) else ln for ln in found.splitlines()]
            return target, lines, f"checked the dependencies of {target}"
    return None


_CHECKED = re.compile(r": item \d+ (?:fails|holds)\b")
_CHECKLIST_ASKED = re.compile(
    r"check-?list|requirements?|polic(?:y|ies)|rules|standards?|guidelines?|conventions|\bagainst\b",
    re.I,
)
"""A task (or document name) that asks for code to be checked item by item against a list."""


def _settings_and_checklist(target: str, others: Sequence[str]) -> tuple[str, str] | None:
    """(settings file, checklist document) among the files a task names, either order."""
    files = [target, *others]
    settings = [p for p in files if extension(p) in SETTINGS_FILES or _dotenv(p)]
    lists = [p for p in files if extension(p) in CHECKLIST_FILES]
    return (settings[0], lists[0]) if settings and lists else None


def _dotenv(path: str) -> bool:
    """An environment file named by its stage ('.env.production', '.env.local')."""
    return path.rsplit("/", 1)[-1].startswith(".env")


def _patch_finding(finding: str) -> str:
    """'patch:P: file line N in `f`: message | code' as '`file` line N (patch line P) ...'."""
    match = re.match(
        r"^(?P<patch>[^:]+):(?P<p>\d+): (?P<file>\S+) line (?P<n>\d+):? (?P<rest>.*)$", finding
    )
    if match is None:
        return finding
    rest, _, code = match["rest"].partition(" | ")
    where = f"{_code(match['file'])} line {match['n']} ({_code(match['patch'])} line {match['p']})"
    where += " " if rest.startswith("in `") else ": "
    return f"- {where}{rest}\n  the line: {code}" if code else f"- {where}{rest}"


def _checklist_line(line: str) -> str:
    """A check_checklist line cited as '`path` line N: ...'."""
    return f"- {_cited(line)}" if _HIT_LINE.match(line) else f"- {line}"


_RIGHT_TOTAL = re.compile(
    r"are corrected, the rows add up to (?P<right>-?[\d,]+(?:\.\d+)?)|the rows above add up to "
    r"(?P<sum>-?[\d,]+(?:\.\d+)?)"
)
_LIMIT = re.compile(
    r"\b(?:cap|capped|limit|ceiling|maximum|max|at most|up to|no more than|not exceed|allowance"
    r"|budget of)\b",
    re.I,
)
_LIMIT_NOUNS = frozenset({"cap", "limit", "ceiling", "maximum", "allowance"})
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.,])\d+(?:\.\d+)?")


def _against_limits(
    work: Work, subjects: TaskSubjects, target: str, rows: Sequence[str]
) -> list[str]:
    """The table's right total compared with a limit (a cap, a maximum) that another file the
    task names states: over it by how much, or within it."""
    totals = [m for row in rows if (m := _RIGHT_TOTAL.search(row))]
    if totals:
        chosen = next((m for m in totals if m["right"]), totals[0])
        total = float((chosen["right"] or chosen["sum"]).replace(",", ""))
        label = "The right total"
    elif extension(target) in ("csv", "tsv") and (summed := _sheet_total(work, target)):
        total = summed  # every row is right: the sheet's own total against the limit
        label = "The total"
    else:
        return []
    others = [p for p in (work.resolve(f) for f in subjects.files) if p and p != target]
    found: list[str] = []
    sources = [(o, sorted(_read_all(work, o).items())) for o in dict.fromkeys(others)]
    sources.append(("", [(0, subjects.task)]))  # 'the cap is 5,000' in the task itself
    for other, numbered_lines in sources:
        for number, text in numbered_lines:
            limit = _LIMIT.search(text)
            amount = _NUMBER.search(text, limit.end()) if limit else None
            if limit is None or amount is None:
                continue
            cap = float(amount.group().replace(",", ""))
            nouns = [m.group() for m in _LIMIT.finditer(text) if m.group().lower() in _LIMIT_NOUNS]
            noun = nouns[0] if nouns else "limit"  # 'up to a cap of': the cap
            gap = total - cap
            where = f"{_code(other)} line {number}: {text.strip()}" if other else "the task"
            if gap > 0.005:
                found.append(
                    f"{label}, {show(total)}, is {show(gap)} over the {noun} "
                    f"of {amount.group()} ({where})."
                )
            else:
                found.append(
                    f"{label}, {show(total)}, stays within the {noun} of "
                    f"{amount.group()}, {show(-gap)} below it ({where})."
                )
            break
    return ["", *found] if found else []


_AMOUNT_HEADER = re.compile(r"total|amount|cost|price|value|budget|spend|sum|eur|usd|gbp", re.I)


def _sheet_total(work: Work, target: str) -> float | None:
    """A sheet's total: its Total row's figure (the row check found it right), else the sum of
    its amount column (the last numeric column whose header names an amount)."""
    numbered = _read_all(work, target)
    delimiter = "\t" if extension(target) == "tsv" else ","
    rows = list(csv.reader([numbered[n] for n in sorted(numbered)], delimiter=delimiter))
    if len(rows) < 2:
        return None
    header, body = rows[0], [r for r in rows[1:] if any(c.strip() for c in r)]
    numeric = [
        i
        for i in range(len(header))
        if body and all(parse_number(r[i]) is not None for r in body[:-1] if i < len(r))
    ]
    amounts = [i for i in numeric if _AMOUNT_HEADER.search(header[i])] or numeric
    if not amounts:
        return None
    column = amounts[-1]
    stated = [r for r in body if r and _TOTAL_ROW.match(r[0]) and column < len(r)]
    if stated and (value := parse_number(stated[-1][column])) is not None:
        return value
    values = [parse_number(r[column]) for r in body if column < len(r)]
    return sum(v for v in values if v is not None) if values else None


_TOTAL_ROW = re.compile(r"^\W*(?:grand\s+)?(?:total|sum)\b", re.I)
_OWN_FILES = ("assistant-notes.md", "reminders", "drafts/")
"""The assistant's own files: never the work under review."""


def _file_of_subject(work: Work, subjects: TaskSubjects) -> str | None:
    """The project file whose path shares the most words with the task (at least one), when the
    task names the work by its title instead of by a file."""
    wanted = {w.lower() for w in re.findall(r"[A-Za-z]{3,}", f"{subjects.task} {subjects.subject}")}
    best: tuple[int, str] | None = None
    for path in _listed(work.output("file_search", pattern="*", dir_path=".")):
        if path.startswith(_OWN_FILES):
            continue
        words = {w.lower() for w in re.findall(r"[A-Za-z]{3,}", path.rsplit(".", 1)[0])}
        score = len(words & wanted)
        if score and (best is None or score > best[0]):
            best = (score, path)
    return best[1] if best else None


CONFIG_EXTENSIONS = frozenset({"env", "ini", "cfg", "conf", "properties"})
"""Configuration files that are not data files (YAML, TOML and JSON are checked as both)."""


def _config_review(work: Work, subjects: TaskSubjects, target: str) -> list[str]:
    """The configuration checklist on `target`, compared with another configuration of the
    same kind that the task names or that sits in the same folder (staging beside prod)."""
    ext = extension(target)
    named = [p for p in (work.resolve(f) for f in subjects.files) if p and p != target]
    folder = target.rsplit("/", 1)[0] if "/" in target else ""
    siblings = [
        p
        for p in _listed(work.output("file_search", pattern=f"*.{ext}", dir_path="."))
        if p != target and (p.rsplit("/", 1)[0] if "/" in p else "") == folder
    ]
    same = [p for p in named if extension(p) == ext] or siblings
    compare = same[0] if len(same) == 1 or named else ""
    found = _hits(work.output("check_config", path=target, compare=compare))
    if not found:
        return []
    risky = [_cited(f.split(" | ", 1)[0]) for f in found if " differs: " not in f]
    differ = [_cited(f.split(" | ", 1)[0]) for f in found if " differs: " in f]
    lines = [f"{len(risky)} risky setting(s) in {_code(target)}:", *risky] if risky else []
    if differ:
        lines += ["", f"Other differences from {_code(compare)}:", *differ]
    return [*lines, ""]


def _against_reference(work: Work, subjects: TaskSubjects, target: str) -> list[str]:
    """A text checked against the other documents the task names (a draft email against the
    contract): every date, amount and title that differs, the reference's line beside it."""
    others = [
        p
        for p in (work.resolve(f) for f in subjects.files)
        if p and p != target and extension(p) not in DATA_EXTENSIONS | CODE_EXTENSIONS
    ]
    lines: list[str] = []
    for other in list(dict.fromkeys(others))[:2]:
        found = [
            _cited(f.split(" | ", 1)[0])
            for f in _hits(work.output("check_against", path=target, reference=other))
        ]
        if found:
            lines += [
                f"{len(found)} thing(s) in {_code(target)} differ from {_code(other)}:",
                *found,
                "",
            ]
        else:
            lines += [
                f"The dates, amounts and names in {_code(target)} agree with {_code(other)}.",
                "",
            ]
    return lines


_FLOOR = re.compile(
    r"`(?P<count>\w+) = (?P<total>[^`]+?) // (?P<size>\w+)` rounds down.*\((?P=size) defaults to "
    r"(?P<default>\d+)\)"
)
_FROM_ONE = re.compile(r"`range\(1, (?P<count>\w+)\)` counts from 1")
_GIVEN_COUNT = re.compile(r"(?<!line )(?<!#)\b(?P<n>\d+) (?P<what>[a-z]+s)\b", re.I)


def _worked_example(task: str, checked: Sequence[str]) -> list[str]:
    """The task's own numbers ('a test with 120 items') run through a count made by floor
    division and a range that stops short: how many the code really handles, and why."""
    floor = next((m for f in checked if (m := _FLOOR.search(f))), None)
    if floor is None:
        return []
    size, count = int(floor["default"]), floor["count"]
    short = any((m := _FROM_ONE.search(f)) and m["count"] == count for f in checked)
    lines = []
    for given in _GIVEN_COUNT.finditer(task):
        n = int(given["n"])
        if n <= size:
            continue
        made = n // size
        walked = list(range(1, made)) if short else list(range(1, made + 1))
        done = min(n, len(walked) * size)
        shown = ", ".join(str(w) for w in walked) or "none"
        lines.append(
            f"With {n} {given['what']} and {floor['size']} = {size}: {count} = {n} // {size} = "
            f"{made} ({n % size} left over), and the loop walks "
            f"{count} {shown} only: {done} of {n} {given['what']} come back. Rounded up and "
            f"walked to the end it is {-(-n // size)} {count}, all {n}."
        )
    return lines[:2]


def _code_review(work: Work, target: str, task: str = "") -> list[str]:
    """ruff's findings explained, the syntax-tree checks ruff lacks, then the module's outline."""
    lint = work.output("lint_file", path=target)
    findings = _hits(lint)
    checked = _hits(work.output("check_python", path=target))
    names = _names_in(work, target) if any(" F821 " in f for f in findings) else []
    lines: list[str] = []
    bugs = [_cited(finding) for finding in checked]
    logic = review_logic(work, target, task) if extension(target) == "py" else []
    bugs += [line for line in logic if line.startswith("`")]  # the slips; then their examples
    if findings:
        lines += [f"ruff finds {len(findings)} issue(s) in {_code(target)}:"]
        lines += [_explained(finding, names) for finding in findings]
    elif lint is not None:
        lines.append(f"ruff: {lint.strip()}.")
    else:
        lines.append(f"I could not run ruff on {_code(target)}.")
    if bugs:
        lines += ["", f"Reading the code, {len(bugs)} more problem(s) ruff does not check:", *bugs]
        lines += _worked_example(task, checked)
        lines += [line for line in logic if not line.startswith("`")]
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
