"""A short text (an email, a letter) written from the notes the task names: addressed to the
person the events name, under the subject the person typed, holding the notes' own lines, and,
where the task asks how many days a span takes, the count worked out: the weekdays of the span
less the closure days and holidays another named file lists inside it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

from backends.local.plans import Outcome, Work
from backends.local.task_subjects import TaskSubjects, extension
from graphs.state import Event
from tools.mentions import read_date

_NOTE_TYPES = frozenset({"md", "txt", "markdown", "rst", "org", ""})
_TO = re.compile(
    r"\b(?:e-?mail|message|letter|note|reply|write|writes|writing)\s+to\s+"
    r"([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2})"
)
_SUBJECT = re.compile(r"\bsubject(?: line)?\s*(?:is|:)?\s*'([^'\n]{2,120})'", re.I)
_HOW_MANY_DAYS = re.compile(
    r"\bhow many\s+(?:\w+\s+){0,3}days\b|\bnumber of\s+(?:\w+\s+){0,2}days\b"
    r"|\bcount\s+(?:of\s+)?(?:the\s+)?(?:\w+\s+)?days\b",
    re.I,
)
_OFF_DAYS = re.compile(
    r"holiday|closure|closed|bank|public|not deducted|days? off|non-working|shutdown", re.I
)
_RANGE = re.compile(r"^line (\d+): dates: (.+?) \((\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d),")
_DAY = re.compile(r"^line (\d+): date: (.+?) \((.*)\)$")
_NUMBERED = re.compile(r"^(\d+): ?(.*)$")
_REQUEST = re.compile(
    r"\b(?:request(?:ing|s)?|ask(?:ing|s)? for)\s+((?:the|my|a|an|some)\s+[\w -]{2,40}?)"
    r"(?=\s+in\b|[,.;]|$)"
)


def _lines(work: Work, path: str) -> list[tuple[int, str]]:
    text = work.output("read_lines", path=path, start=1) or ""
    found = [m for m in map(_NUMBERED.match, text.splitlines()[1:]) if m]
    return [(int(m.group(1)), m.group(2)) for m in found]


def _weekdays(first: date, last: date) -> list[date]:
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [d for d in days if d.weekday() < 5]


def _days_line(work: Work, note: str, others: list[str]) -> list[str]:
    """The days the note's span takes: its weekdays less the off days other files list."""
    facts = work.output("note_facts", path=note) or ""
    span = next((m for m in map(_RANGE.match, facts.splitlines()) if m), None)
    if span is None:
        return []
    first, last = date.fromisoformat(span.group(3)), date.fromisoformat(span.group(4))
    days = _weekdays(first, last)
    off: list[str] = []
    for path in others:
        text = "\n".join(t for _, t in _lines(work, path))
        if not _OFF_DAYS.search(text):
            continue
        for fact in map(_DAY.match, (work.output("note_facts", path=path) or "").splitlines()):
            day = read_date(fact.group(2)) if fact else None
            if fact and day in days:
                days.remove(day)
                off.append(f"{fact.group(3)} (`{path}` line {fact.group(1)})")
    said = (
        f"{span.group(2)}: {len(_weekdays(first, last))} weekdays (Monday to Friday)"
        f" (`{note}` line {span.group(1)})"
    )
    if off:
        said += f", less {len(off)} closure day{'s' if len(off) > 1 else ''}: {'; '.join(off)}"
    return [f"Days: {said}. That is {len(days)} days of leave."]


def notes_email(
    work: Work, subjects: TaskSubjects, events: Sequence[Event], title: str
) -> Outcome | None:
    """The email written from the notes the task names, or None when it names none."""
    notes = [
        path
        for name in subjects.files
        if name in subjects.task and extension(name) in _NOTE_TYPES
        for path in [work.resolve(name)]
        if path
    ]
    if not notes:
        return None
    texts = [subjects.task, *(e.text for e in reversed(events) if e.source != "agent")]
    to = next((m.group(1) for t in texts for m in [_TO.search(t)] if m), "")
    subject = next((m.group(1) for t in texts for m in [_SUBJECT.search(t)] if m), title)
    others = [p for f in subjects.files for p in [work.resolve(f)] if p and p not in notes]
    body: list[str] = []
    for note in notes[:2]:
        lines = [(n, t.strip()) for n, t in _lines(work, note) if t.strip()]
        if len(lines) > 1 and not re.search(r"[:.,;]", lines[0][1]):
            lines = lines[1:]  # a bare title line ("Summer leave plan") is no content
        body += [f"- {t}" for _, t in lines if not (to and to in t)]
    days = _days_line(work, notes[0], others) if _HOW_MANY_DAYS.search(subjects.task) else []
    asked = _REQUEST.search(subjects.task)
    opening = (
        f"I would like to request {asked.group(1)}, as follows:"
        if asked
        else f"I am writing about {subject}:"
    )
    text = [
        f"Subject: {subject}",
        "",
        f"Dear {to.split()[0]}," if to else "Hello,",
        "",
        opening,
        *body,
        *([""] + days if days else []),
        "",
        "Best regards,",
    ]
    slug = re.sub(r"[^a-z0-9]+", "-", subject.lower()).strip("-")[:48] or "draft"
    path = f"drafts/{slug}.md"
    done = work.call("write_file", file_path=path, text="\n".join(text) + "\n")
    return Outcome(
        title=f"Draft: {subject}",
        lines=text,
        written=path if done.ok else None,
        did=f"drafted '{subject}' from {', '.join(notes[:2])}",
    )
