"""The offline plan for a review: a linter and an outline for code, a parse check for data, plain
checks for a document; findings first, each cited by line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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
    """Lint and outline the code named (or check the document or data), findings first."""
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
    lines: list[str] = []
    if ext in ("py", "pyi"):
        lint = work.output("lint_file", path=target)
        findings = _hits(lint)
        if findings:
            lines += [f"ruff finds {len(findings)} issue(s) in {_code(target)}:", *findings]
        elif lint is not None:
            lines.append(f"ruff: {lint.strip()}; the module is clean.")
        else:
            lines.append(f"I could not run ruff on {_code(target)}.")
        outline = work.output("module_outline", path=target)
        if outline:
            lines += ["", f"Structure of {_code(target)}:", *outline.splitlines()[:40]]
        did = f"linted and outlined {target}"
    elif ext in DATA_EXTENSIONS:
        report = work.output("check_data_file", path=target)
        whole = _read_all(work, target) if extension(target) in ("yaml", "yml") else {}
        lines += _data_review(target, report, whole)
        did = f"checked {target}"
    else:
        text = work.output("read_lines", path=target)
        findings = _text_findings(target, _numbered(text), code=ext in CODE_EXTENSIONS)
        if findings:
            lines += [f"Findings in {_code(target)}:", *findings]
        else:
            lines.append(
                f"I read {_code(target)} and found no repeated words, open markers, over-long "
                "sentences or unqualified absolute claims."
            )
        did = f"reviewed {target}"
    return Outcome(title=f"Review: {target}", lines=lines, did=did)


def _data_review(path: str, report: str | None, whole: dict[int, str] | None = None) -> list[str]:
    """A data file's check, its fault first as '`path` line N: message'."""
    if report is None:
        return [f"I could not read {_code(path)} to check it."]
    first, *rest = report.splitlines()
    fault = re.match(r"^(.+?):(\d+)(?::(\d+))?: (.*)$", first)
    if fault is None:
        return [report]
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
    return list(dict.fromkeys(lines))


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
