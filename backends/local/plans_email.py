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
    r"\b(?i:e-?mail|message|letter|note|reply|write|writes|writing|addressed|sent|send)\s+to\s+"
    r"(?:(?:my|our|the|his|her|their|your)\s+(?:[a-z][\w-]*(?:\s+|,\s*)){1,3})?"
    r"((?:(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+)?[A-Z][a-z][\w'’-]*(?:\s+[A-Z][\w'’-]+){0,2})"
)
"""Who a text is for: "email to Ana Ruiz", "email to my manager Ana", "to our landlord Mr Ito"."""
_HONORIFIC = re.compile(r"^(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?$")
_SUBJECT = re.compile(r"\bsubject(?: line)?\s*(?:is|:)?\s*'([^'\n]{2,120})'", re.I)
_HOW_MANY_DAYS = re.compile(
    r"\bhow many\s+(?:\w+\s+){0,3}days\b|\bnumber of\s+(?:\w+\s+){0,2}days\b"
    r"|\bcount\s+(?:of\s+)?(?:the\s+)?(?:\w+\s+)?days\b",
    re.I,
)
_OFF_DAYS = re.compile(
    r"holiday|closure|closed|bank|public|not deducted|days? off|non-working|shutdown", re.I
)
_FOLLOWING = re.compile(
    r"\b(?:follow(?:s|ing)?|according to|per|in line with|as set out in|as required by"
    r"|compl(?:y|ies|ying) with|in keeping with|under|observing|respecting|meeting)\s+"
    r"(?:the\s+[\w -]{1,30}?\s+in\s+)?'([^'\n]{2,120})'"
    r"|\bas\s+'([^'\n]{2,120})'\s+(?:requires|asks|says|sets out|describes|lays down)",
    re.I,
)
"""The file a task says its text must follow: "following 'team/rules.md'"."""
_WORKING_DAYS = re.compile(
    r"\b(?:working|business|work|week)\s*days\b|" + r"\bdays? of leave\b", re.I
)
_BACK = re.compile(
    r"\b(?:back|return\w*|resum\w*)\b.{0,40}\b(?:office|work|date|day|desk)\b"
    r"|\bdate\b.{0,30}\b(?:back|return\w*)\b",
    re.I,
)
"""A requirement to state the day the person is back."""
_FIRST_LAST = re.compile(
    r"\bfirst and last (?:day|date)|\b(?:start|begin\w*) and end (?:day|date)s?\b"
    r"|\bdates? of (?:the\s+)?(?:absence|leave|trip|holiday)\b"
    r"|\bdates? (?:you are|you're|you will be|of being) (?:away|off|out|absent)\b",
    re.I,
)
"""A requirement to state the first and last day of a span."""
_FILE_ENDS = (".md", ".txt", ".markdown", ".rst", ".org")
_ARTICLE = re.compile(r"^(?:the|my|a|an|some)\s+", re.I)
_PUBLIC = re.compile(r"\b(?:public|bank|national|federal|statutory)\b", re.I)
_DATE_TEXT = re.compile(
    r"(?:\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
    r"(?:\b\d{4}-\d\d-\d\d\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?[A-Z][a-z]{2,8}\.?(?:,?\s+\d{4})?\b"
    r"|\b[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b)",
    re.I,
)
"""A date written in a line (to leave a holiday's name)."""
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


def _long(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _off_name(text: str) -> str:
    """A holiday's name from its line: the line less its dates, weekday and separators."""
    name = _DATE_TEXT.sub(" ", text)
    name = re.sub(r"[,;|:*•\t]+|^\s*[-–]\s*|\s[-–]\s", " ", name)
    name = re.sub(r"\s+", " ", re.sub(r"\(\s*\)|\[\s*\]", " ", name)).strip(" -–")
    return name + ")" if name.count("(") > name.count(")") else name


def _off_days(work: Work, others: list[str]) -> dict[date, str]:
    """Closure days and holidays the other files list (a dated line each), with their names and
    where they are."""
    off: dict[date, str] = {}
    for path in others:
        lines = _lines(work, path)
        if not _OFF_DAYS.search("\n".join(t for _, t in lines)):
            continue
        year = next((int(y) for _, t in lines for y in re.findall(r"\b(20\d\d)\b", t)), None)
        for number, text in lines:
            day = read_date(text, year)
            if day and day not in off:
                name = _off_name(text) or text.strip()
                off[day] = f"{name} (`{path}` line {number})"
    return off


def _span(work: Work, note: str) -> tuple[re.Match[str], date, date] | None:
    facts = work.output("note_facts", path=note) or ""
    span = next((m for m in map(_RANGE.match, facts.splitlines()) if m), None)
    if span is None:
        return None
    return span, date.fromisoformat(span.group(3)), date.fromisoformat(span.group(4))


def _days_line(work: Work, note: str, others: list[str], worded: bool = False) -> list[str]:
    """The days the note's span takes: its weekdays less the off days other files list."""
    found = _span(work, note)
    if found is None:
        return []
    span, first, last = found
    days = _weekdays(first, last)
    listed = _off_days(work, others)
    off = [f"{listed[d]} on {_long(d)}" for d in days if d in listed]
    days = [d for d in days if d not in listed]
    said = (
        f"{span.group(2)}: {len(_weekdays(first, last))} weekdays (Monday to Friday)"
        f" (`{note}` line {span.group(1)})"
    )
    if off:
        kind = "public holiday" if worded and _PUBLIC.search(" ".join(off)) else "closure day"
        kind = "holiday or closure day" if worded and kind == "closure day" else kind
        said += f", less {len(off)} {kind}{'s' if len(off) > 1 else ''}: {'; '.join(off)}"
    if worded:  # a policy asks for the count: the figure first
        return [f"Working days of leave: {len(days)} working days ({said})."]
    return [f"Days: {said}. That is {len(days)} days of leave."]


def _return_line(work: Work, note: str, others: list[str]) -> list[str]:
    """The first working day after the note's span: no weekend, no listed holiday."""
    found = _span(work, note)
    if found is None:
        return []
    _, _, last = found
    listed = _off_days(work, others)
    back = last + timedelta(days=1)
    skipped = []
    while back.weekday() >= 5 or back in listed:
        if back in listed:
            skipped.append(f"{listed[back]} on {_long(back)}")
        back += timedelta(days=1)
    why = f"; not {', '.join(skipped)}" if skipped else ""
    return [f"Back in the office: {_long(back)} (the first working day after {_long(last)}{why})."]


def _first_last(work: Work, note: str) -> list[str]:
    found = _span(work, note)
    if found is None:
        return []
    span, first, last = found
    return [
        f"First day of absence: {_long(first)}; last day: {_long(last)}"
        f" (`{note}` line {span.group(1)})."
    ]


def followed_files(task: str) -> list[str]:
    """The files the task says the text must follow (a policy, rules, a template)."""
    return [m.group(1) or m.group(2) for m in _FOLLOWING.finditer(task)]


def notes_email(
    work: Work, subjects: TaskSubjects, events: Sequence[Event], title: str
) -> Outcome | None:
    """The email written from the notes the task names, or None when it names none."""
    followed = {p for name in followed_files(subjects.task) for p in [work.resolve(name)] if p}
    notes = [
        path
        for name in subjects.files
        if name in subjects.task and extension(name) in _NOTE_TYPES
        for path in [work.resolve(name)]
        if path and path not in followed
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
    # What the followed file (a policy) asks the text to state, worked out from the notes.
    rules = " ".join(t for path in sorted(followed) for _, t in _lines(work, path))
    stated: list[str] = []
    if _FIRST_LAST.search(subjects.task) or (followed and _FIRST_LAST.search(rules)):
        stated += _first_last(work, notes[0])
    if _HOW_MANY_DAYS.search(subjects.task) or (followed and _WORKING_DAYS.search(rules)):
        stated += _days_line(work, notes[0], others, worded=bool(followed))
    if _BACK.search(subjects.task) or (followed and _BACK.search(rules)):
        stated += _return_line(work, notes[0], others)
    asked = _REQUEST.search(subjects.task)
    if asked and ("/" in subject or subject.endswith(_FILE_ENDS)):
        # The subject line names what is asked, not the file it came from.
        span = _span(work, notes[0])
        what = _ARTICLE.sub("", asked.group(1)).strip()
        dates = f": {_long(span[1])} to {_long(span[2])}" if span else ""
        subject = f"{what[:1].upper()}{what[1:]} request{dates}"
    opening = (
        f"I would like to request {asked.group(1)}, as follows:"
        if asked
        else f"I am writing about {subject}:"
    )
    words = to.split()
    greeting = " ".join(words[:2]) if words and _HONORIFIC.match(words[0]) else " ".join(words[:1])
    if followed:  # the figures the followed file asks for come first, then the notes' own lines
        middle = [*(f"- {line}" for line in stated), "", *body] if stated else body
    else:
        middle = [*body, *([""] + stated if stated else [])]
    text = [
        f"Subject: {subject}",
        "",
        f"Dear {greeting}," if to else "Hello,",
        "",
        opening,
        *middle,
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
