"""The offline plan for drafting text: an outline with exactly the sections the task names, or a
short text built only from the activity.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from backends.local.plans import (
    _SHORT_TEXT,
    Outcome,
    Work,
)
from backends.local.task_subjects import TaskSubjects
from graphs.state import Event

_DEFAULT_SECTIONS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"grant|proposal|funding", re.I), ("Summary", "Need", "Approach", "Budget")),
    (re.compile(r"report|analysis|study", re.I), ("Summary", "Background", "Findings")),
    (re.compile(r"readme|documentation|guide", re.I), ("Overview", "Installation", "Usage")),
    (re.compile(r"agenda|meeting", re.I), ("Goals", "Agenda items", "Decisions", "Action items")),
    (re.compile(r"plan|roadmap|project", re.I), ("Goal", "Steps", "Timeline", "Risks")),
    (re.compile(r"essay|article|post|paper|chapter", re.I), ("Introduction", "Main points")),
)
"""Sections for a document type, used only when the task names none."""


_GENERIC_SECTIONS = ("Purpose", "Main points", "Next steps")


def draft_text(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> Outcome:
    """An outline with exactly the sections the task names (or a short draft it asks for)."""
    title = subjects.title or subjects.subject
    if _SHORT_TEXT.search(subjects.task) and not subjects.sections:
        return _short_draft(work, subjects, events, title)
    sections = subjects.sections or _default_sections(f"{subjects.task} {title}")
    done = work.call("write_outline", title=title, sections=list(sections))
    if not done.ok:
        return Outcome(
            title=f"Outline: {title}",
            lines=[f"I could not write the outline: {done.output}"],
            did="tried to write an outline",
        )
    path = _written_path(done.output)
    text = done.output.split("\n", 1)[1] if "\n" in done.output else done.output
    return Outcome(
        title=f"Outline: {title}",
        lines=text.splitlines(),
        written=path or "drafts/",
        did=f"wrote the outline '{title}' with the sections {', '.join(sections)}",
    )


def _default_sections(text: str) -> tuple[str, ...]:
    for pattern, sections in _DEFAULT_SECTIONS:
        if pattern.search(text):
            return sections
    return _GENERIC_SECTIONS


def _written_path(output: str) -> str | None:
    match = re.search(r"([\w./-]+\.md)\b", output)
    return match.group(1) if match else None


def _short_draft(
    work: Work, subjects: TaskSubjects, events: Sequence[Event], title: str
) -> Outcome:
    """A short text built only from what the events say; the rest is left for the person."""
    facts = []
    for event in events[-8:]:
        if event.source == "agent":
            continue
        facts.append(f"- {event.text}")
    body = [
        f"Subject: {title}",
        "",
        "Hello,",
        "",
        f"I am writing about {title}.",
        "",
        "What I have so far:",
        *facts,
        "",
        "Best regards,",
    ]
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:48] or "draft"
    path = f"drafts/{slug}.md"
    done = work.call("write_file", file_path=path, text="\n".join(body) + "\n")
    if not done.ok:
        return Outcome(title=f"Draft: {title}", lines=body, did="drafted a text")
    return Outcome(
        title=f"Draft: {title}",
        lines=[*body, "", "This draft holds only what your activity shows; add the rest."],
        written=path,
        did=f"drafted '{title}' from your activity",
    )
