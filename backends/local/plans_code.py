"""The offline plans that explain code or a name and find examples of it: a module's outline,
usages across the project, the installed documentation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from backends.local.plans import (
    CODE_EXTENSIONS,
    MAX_DOC_LINES,
    MAX_LISTED,
    Outcome,
    Work,
    _code,
    _doc_excerpt,
    _hits,
    _importable,
    _offline_search,
    _python_docs,
    _summary_of,
    _usages,
    lookup_docs,
    python_candidates,
)
from backends.local.task_subjects import DOCUMENT_EXTENSIONS, TaskSubjects, dotted_names, extension
from backends.local.text import read_event
from graphs.state import Event


def explain(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> Outcome:
    """Explain a code file from its outline, a Python name from its docs, a document from its
    summary; otherwise say what cannot be done offline and show what the files hold."""
    # What the task itself names comes first: an edited "explain functools.lru_cache" is about
    # that name, not about the file the events were on.
    own_files = read_event(subjects.task).files
    names_python = any(_importable(d) for d in dotted_names(subjects.task))
    files = own_files or ([] if names_python else subjects.files[:2])
    target = next((p for p in (work.resolve(f) for f in files[:2]) if p), None)
    if target and extension(target) in ("py", "pyi"):
        outline = work.output("module_outline", path=target)
        if outline:
            lines = [f"What {_code(target)} holds, function by function:", *outline.splitlines()]
            findings = _hits(work.output("lint_file", path=target))
            if findings:
                lines += ["", "Where its logic could go wrong (ruff):", *findings[:MAX_LISTED]]
            return Outcome(title=f"Explain: {target}", lines=lines, did=f"outlined {target}")
    if target and extension(target) in DOCUMENT_EXTENSIONS:
        return _summary_of(work, target, "Explain")
    if python_candidates(subjects):
        outcome = lookup_docs(work, subjects, events)
        outcome.title = outcome.title.replace("Docs:", "Explain:", 1)
        return outcome
    return _offline_search(work, subjects, events, "Explain", what="look this up on the web")


def find_examples(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> Outcome:
    """Example lines from the project and from the installed documentation."""
    names = [*python_candidates(subjects), *subjects.identifiers]
    lines: list[str] = []
    did = ""
    for name in names[:3]:
        uses = _usages(work, name.rsplit(".", 1)[-1])
        if uses:
            lines += [f"Examples of {name.rsplit('.', 1)[-1]} in your project:", *uses]
            did = f"found uses of {name} in the project"
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
    if not lines:
        return _offline_search(work, subjects, events, "Examples", what="search the web")
    return Outcome(
        title=f"Examples: {names[0] if names else subjects.subject}", lines=lines, did=did
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
