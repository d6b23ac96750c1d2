"""The offline plans that summarise and organise: central sentences of a document, a log counted, a
document's items as a grouped checklist.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from backends.local.plans import (
    _EXCEPTION,
    _HIT,
    MAX_LISTED,
    Outcome,
    Work,
    _code,
    _hits,
    _listed,
    _numbered,
    _offline_search,
    _read_all,
    _summary_of,
    related_memory,
)
from backends.local.task_subjects import (
    DATA_EXTENSIONS,
    DOCUMENT_EXTENSIONS,
    TaskSubjects,
    extension,
)
from backends.local.text import read_event
from graphs.state import Event


def summarise(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> Outcome:
    """The most central sentences of the document named, or of the latest one."""
    for name in subjects.files[:3]:
        path = work.resolve(name)
        if path is None:
            continue
        if extension(path) in ("py", "pyi"):
            outline = work.output("module_outline", path=path)
            if outline:
                return Outcome(
                    title=f"Summary: {path}",
                    lines=[f"What {_code(path)} holds:", *outline.splitlines()],
                    did=f"outlined {path}",
                )
        if extension(path) in DATA_EXTENSIONS:
            report = work.output("check_data_file", path=path)
            if report:
                return Outcome(title=f"Summary: {path}", lines=[report], did=f"checked {path}")
        if extension(path) == "log":
            return _log_summary(work, path)
        return _summary_of(work, path, "Summary")
    named = read_event(subjects.task)
    if named.pages or any(p.startswith(q) for p in subjects.pages for q in named.quoted):
        # A web page the task names cannot be opened offline: say so, and show what the
        # person's own files hold on it, rather than summarising some other document.
        return _offline_search(work, subjects, events, "Summary", what="open web pages")
    for ext in ("md", "txt", "rst"):
        paths = _listed(work.output("file_search", pattern=f"*.{ext}", dir_path="."))
        if paths:
            return _summary_of(work, paths[0], "Summary")
    return _offline_search(work, subjects, events, "Summary", what="open web pages")


_LEVEL = re.compile(r"\b(CRITICAL|FATAL|ERROR|WARNING|WARN|INFO|DEBUG)\b")


_LOG_NAME = re.compile(r"\b([A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+)\b")


def _log_summary(work: Work, path: str) -> Outcome:
    """A log counted: lines per level, each exception with how often, the names that recur in
    the failing lines, and those lines quoted with their numbers."""
    numbered = _read_all(work, path)
    levels: dict[str, int] = {}
    failing: list[tuple[int, str]] = []
    for number, text in numbered.items():
        level = _LEVEL.search(text)
        if level:
            name = {"WARN": "WARNING", "FATAL": "CRITICAL"}.get(level.group(1), level.group(1))
            levels[name] = levels.get(name, 0) + 1
            if name in ("ERROR", "CRITICAL"):
                failing.append((number, text))
        elif _EXCEPTION.search(text):
            failing.append((number, text))
    exceptions: dict[str, int] = {}
    names: dict[str, int] = {}
    for _, text in failing:
        for exc in dict.fromkeys(m.group(0).split(".")[-1] for m in _EXCEPTION.finditer(text)):
            exceptions[exc] = exceptions.get(exc, 0) + 1
        for name in dict.fromkeys(_LOG_NAME.findall(text)):
            names[name] = names.get(name, 0) + 1
    lines = [f"{_code(path)}: {len(numbered)} lines, {len(failing)} of them errors."]
    if levels:
        lines.append("By level: " + ", ".join(f"{k} {v}" for k, v in sorted(levels.items())))
    if exceptions:
        ranked = sorted(exceptions.items(), key=lambda kv: -kv[1])
        lines.append("Errors: " + ", ".join(f"{k} {v} time(s)" for k, v in ranked))
    repeated = sorted(((k, v) for k, v in names.items() if v > 1), key=lambda kv: -kv[1])
    if repeated:
        lines.append(
            "Most often in the failing lines: "
            + ", ".join(f"{k} ({v} of {len(failing)})" for k, v in repeated[:5])
        )
    if failing:
        lines += ["", "The failing lines:"]
        lines += [f"{path}:{n}: {t.strip()}" for n, t in failing[:MAX_LISTED]]
    return Outcome(title=f"Summary: {path}", lines=lines, did=f"counted the errors in {path}")


def organise(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> Outcome:
    """The items of the document named (or the markers found in the project) grouped as the
    task asks, as a checklist; else a checklist of what the recent activity names."""
    lines: list[str] = []
    did = "organised your recent items"
    markers = re.findall(r"\b(TODO|FIXME|XXX|HACK)\b", subjects.task)
    for marker in dict.fromkeys(markers):
        for hit in _hits(work.output("search_text", text=marker))[: MAX_LISTED * 2]:
            match = _HIT.match(hit)
            if match and marker in match["text"]:
                text = match["text"].split(marker, 1)[1].lstrip(" :-")
                lines.append(f"- [ ] {text} ({match['path']}:{match['line']})")
        did = f"gathered the {marker} lines of the project"
    for name in () if lines else subjects.files_with(DOCUMENT_EXTENSIONS)[:1]:
        path = work.resolve(name)
        if path is None:
            continue
        numbered = _numbered(work.output("read_lines", path=path))
        lines += _grouped(numbered, subjects.task)
        did = f"organised {path}"
    if not lines:
        items = _items(subjects)
        lines = [f"- [ ] {i}" for i in items] or [
            "Your recent activity names no files, pages or searches to organise."
        ]
        memory = related_memory(work, subjects, events)
        if memory:
            lines += ["", "Related earlier activity:", *memory]
    return Outcome(title=f"Plan: {subjects.subject}"[:180], lines=lines, did=did)


_TAG = re.compile(r"(?<![\w/#])#([A-Za-z][\w-]*)")


_ACTION = re.compile(r"^(?:action(?: item)?|todo|to do|task|\[ \])\s*[:\-]?\s*", re.I)


_LABEL = re.compile(r"^[A-Za-z][\w ]{0,20}:\s+")


_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?")


def _grouped(numbered: dict[int, str], task: str) -> list[str]:
    """A document's entries as a checklist, grouped by tag, by owner (the first name of an
    entry), or under the document's own headings; only action items when the task says so."""
    lowered = task.lower()
    entries = [
        (n, _BULLET.sub("", t).strip())
        for n, t in numbered.items()
        if t.strip() and not t.lstrip().startswith("#")
    ]
    if re.search(r"\baction|\btodo|\bto-dos?\b|\btasks?\b", lowered):
        actions = [(n, t) for n, t in entries if _ACTION.match(t)]
        entries = [(n, _ACTION.sub("", t)) for n, t in actions] or entries
    groups: dict[str, list[str]] = {}
    for _, text in entries:
        tags = _TAG.findall(text)
        if tags and ("tag" in lowered or "heading" in lowered or "group" in lowered):
            key = tags[0]
        elif re.search(r"\bby (?:owner|person|people|name|who)\b", lowered):
            owner = re.match(r"([A-Z][\w'-]+)", _LABEL.sub("", text))
            key = owner.group(1) if owner else "No owner"
        else:
            key = ""
        groups.setdefault(key, []).append(text)
    lines: list[str] = []
    for key, texts in groups.items():
        if key:
            lines += ["", f"## {key}"]
        lines += [f"- [ ] {t}" for t in texts]
    return lines[1:] if lines and not lines[0] else lines


def _items(subjects: TaskSubjects) -> list[str]:
    seen: dict[str, str] = {}
    for value in (*subjects.names, *subjects.files, *subjects.pages, *subjects.queries):
        seen.setdefault(value.casefold(), value)
    return list(seen.values())[:MAX_LISTED]
