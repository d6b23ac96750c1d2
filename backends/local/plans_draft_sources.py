"""Drafts whose content a structured source settles: release notes from a commit log
(`release_notes`), a meeting invitation at the time every attendee's hours leave free
(`common_slots`), a list of open TODO / FIXME comments from the code (`code_markers`).

Each returns None when its source is not there, so the general drafting plan takes over.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from backends.local.plans import Outcome, Work
from backends.local.plans_code import marker_comments, marker_words
from backends.local.task_subjects import TaskSubjects, extension
from graphs.state import Event

_RELEASE = re.compile(
    r"\brelease notes?\b|\bchange ?log\b|\bwhat'?s new\b|\brelease (?:of )?v?\d", re.I
)
"""A task asking for release notes."""
_VERSION = re.compile(r"(?<![\w.])(v?\d+\.\d+(?:\.\d+)?(?:-[\w.]+)?)(?![\w.])")
_LOG_TYPES = frozenset({"txt", "log", "md", ""})
"""Files that may hold a saved commit log."""
_GROUP_OF = (
    ("breaking", re.compile(r"break|incompatib|upgrade|migrat|removed", re.I)),
    ("fix", re.compile(r"fix|bug|patch|correct", re.I)),
    ("performance", re.compile(r"perf|speed|faster", re.I)),
    ("feature", re.compile(r"feature|new|added|addition|enhance|improve|highlight", re.I)),
)
"""Which group of commits a section the task names holds, by its name."""
_TITLES = {
    "breaking": "Breaking changes",
    "feature": "New features",
    "fix": "Bug fixes",
    "performance": "Performance",
}
_TOOL_GROUP = {title: group for group, title in _TITLES.items()}
_ENTRY = re.compile(r"^line (?P<line>\d+): (?P<text>.+) \((?P<commit>[^()]+)\)$")
_LEFT = re.compile(r"^line (?P<line>\d+): (?P<commit>\S+) (?P<kind>[^:]+): (?P<text>.+)$")
_HASH = re.compile(r"^[0-9a-f]{6,40}$")
"""A commit hash (a changelog's entries have none)."""
_INVITE = re.compile(
    r"\binvit\w*|\bmeeting\b|\bschedul\w*|\bbook\w*\b|\bset up a (?:call|meeting)\b", re.I
)
"""A task asking for a meeting to be set up."""
_ALL_FREE = re.compile(
    r"\b(?:free|availab\w*|everyone|everybody|all (?:of )?(?:us|them|three|four|attendees)"
    r"|can (?:all )?make it|suits? (?:all|everyone)|common|shared|overlap\w*)\b",
    re.I,
)
_SLOT = re.compile(r"^(?P<iso>\d{4}-\d\d-\d\d) (?P<day>\w+ \d+ \w+ \d{4}): (?P<slot>\S+)")
_PEOPLE = re.compile(r"^(?P<path>.+?): (?:available hours|busy times.*?) of (?P<names>.+?); ")
_NUMBERED = re.compile(r"^\d+: ?(.*)$")
"""A line of read_lines' output."""
_H1 = re.compile(r"^#(?!#)")
_PLACEHOLDER = re.compile(
    r"<\s*version\s*>|\{\{?\s*version\s*\}?\}|\$\{?version\}?|\bX\.Y(?:\.Z)?\b", re.I
)
"""Where a template's title takes the version."""
_NEED_LINE = re.compile(r"^\s*(?:need|purpose|goal|topic|agenda)\s*:\s*(.+)$", re.I | re.M)


def source_draft(
    work: Work, subjects: TaskSubjects, events: Sequence[Event], title: str
) -> Outcome | None:
    """A draft one structured source settles, or None when none applies."""
    if _RELEASE.search(subjects.task):
        found = release_notes_draft(work, subjects, events)
        if found is not None:
            return found
    if _INVITE.search(subjects.task) and _ALL_FREE.search(subjects.task):
        found = invitation(work, subjects, events)
        if found is not None:
            return found
    if marker_words(title) or marker_words(subjects.task):
        found = marker_comments(work, subjects, text=f"{title} {subjects.task}")
        if found is not None:
            return _written(work, title, [f"# {title}", "", *found.lines], found.did)
    return None


def _written(
    work: Work, title: str, lines: list[str], did: str, path: str | None = None
) -> Outcome:
    """The draft written to `path`, else to drafts/<slug>.md."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "draft"
    path = path or f"drafts/{slug}.md"
    done = work.call("write_file", file_path=path, text="\n".join(lines) + "\n")
    return Outcome(title=title, lines=lines, written=path if done.ok else None, did=did)


def _candidate_files(subjects: TaskSubjects, types: frozenset[str]) -> list[str]:
    return [f for f in subjects.files if extension(f) in types]


# --- release notes ------------------------------------------------------------------------------


def _version(subjects: TaskSubjects, events: Sequence[Event]) -> str:
    """The version the notes are for: the task's, else the latest event's."""
    for text in [subjects.task, *(e.text for e in reversed(events))]:
        found = _VERSION.search(text)
        if found:
            return found.group(1)
    return ""


def _template(work: Work, subjects: TaskSubjects) -> tuple[str, str, list[str]] | None:
    """(path, title line, section names) of the markdown template the task names: a file
    called a template, or one that holds only headings."""
    for name in _candidate_files(subjects, frozenset({"md", "markdown", "txt"})):
        resolved = work.resolve(name)
        text = work.output("read_lines", path=resolved) if resolved else None
        if not resolved or not text:
            continue
        lines = [m.group(1).strip() for m in map(_NUMBERED.match, text.splitlines()[1:]) if m]
        body = [line for line in lines if line]
        headings = [line for line in body if line.startswith("#")]
        if not headings or ("template" not in resolved.lower() and len(headings) < len(body)):
            continue
        title = next((h.lstrip("#").strip() for h in headings if _H1.match(h)), "")
        sections = [h.lstrip("#").strip() for h in headings if not _H1.match(h)]
        if sections:
            return resolved, title, sections
    return None


def _named_output(work: Work, subjects: TaskSubjects, skip: set[str]) -> str | None:
    """A new markdown / text file the task asks the draft to go to ("in 'NOTES.md'")."""
    for name in subjects.files:
        if name in subjects.task and extension(name) in {"md", "txt"} and name not in skip:
            if work.resolve(name) is None and ".." not in name and not name.startswith("/"):
                return name
    return None


def release_notes_draft(
    work: Work, subjects: TaskSubjects, events: Sequence[Event]
) -> Outcome | None:
    """Release notes from the commit log the task or events name, in the sections a template
    the task names holds (else the sections the task names, else breaking changes, features,
    fixes, performance); chores and docs left out; written where the task says."""
    template = _template(work, subjects)
    for path in _candidate_files(subjects, _LOG_TYPES)[:4]:
        resolved = work.resolve(path) or path
        if template and resolved == template[0]:
            continue
        output = work.output("release_notes", path=resolved)
        if not output or "commits" not in output.splitlines()[0]:
            continue
        groups: dict[str, list[str]] = {}
        left: list[str] = []
        current = ""
        for line in output.splitlines()[1:]:
            head = line.rsplit(":", 1)[0]
            if head in _TOOL_GROUP:
                current = _TOOL_GROUP[head]
                continue
            if line.startswith("Left out"):
                current = "left"
                continue
            entry = _ENTRY.match(line)
            if current == "left" and (out := _LEFT.match(line)):
                said = out["commit"] if _HASH.match(out["commit"]) else out["text"]
                left.append(f"{said} ({out['kind']})")
            elif entry and current:
                # A changelog line has no commit hash, only its type: no need to repeat that.
                hashed = _HASH.match(entry["commit"])
                item = f"- {entry['text']}" + (f" ({entry['commit']})" if hashed else "")
                groups.setdefault(current, []).append(item)
        if not groups:
            continue
        version = _version(subjects, events)
        wanted = list(template[2]) if template else list(subjects.sections)
        named = [(name, next((g for g, p in _GROUP_OF if p.search(name)), "")) for name in wanted]
        sections = named or [(_TITLES[g], g) for g in _TITLES if g in groups]
        heading = f"Release notes {version}".rstrip()
        if template and template[1]:
            heading = _PLACEHOLDER.sub(version, template[1]) if version else template[1]
        lines = [f"# {heading}", ""]
        for name, group in sections:
            lines += [f"## {name[:1].upper()}{name[1:]}"]
            lines += groups.get(group) or ["- Nothing in the log for this section."]
            lines.append("")
        shown = {g for _, g in sections}
        missed = [g for g in groups if g not in shown]
        for group in missed:  # a kept commit the task's sections have no place for
            lines += [f"## {_TITLES[group]}", *groups[group], ""]
        if left:
            lines.append(f"Left out of the notes ({resolved}): {', '.join(left)}.")
        title = f"Release notes {version}".rstrip()
        target = _named_output(work, subjects, {path})
        source = f"{resolved}, following {template[0]}" if template else resolved
        return _written(work, title, lines, f"drafted release notes from {source}", target)
    return None


# --- a meeting invitation ------------------------------------------------------------------------


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def invitation(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> Outcome | None:
    """An invitation at the first time every listed person is free, from the file of their
    hours the task or events name; says so plainly when there is no such time."""
    minutes = re.search(r"\b(\d{1,3})[- ]?min", subjects.task)
    hours = re.search(r"\b(an?|one|two|\d)[- ]?hours?\b", subjects.task)
    length = int(minutes.group(1)) if minutes else 0
    if hours and not length:
        count = hours.group(1).lower()
        length = 60 * (int(count) if count.isdigit() else 2 if count == "two" else 1)
    for path in _candidate_files(subjects, frozenset({"md", "txt", ""}))[:3]:
        resolved = work.resolve(path) or path
        output = work.output("common_slots", path=resolved, minutes=length)
        head = _PEOPLE.match(output or "")
        if not output or head is None:
            continue
        names = head["names"].split(", ")
        zone = re.search(r"\(([A-Z][\w+-]{1,8})\)$", output.splitlines()[0])
        slots = [m for m in (_SLOT.match(ln) for ln in output.splitlines()) if m]
        title = _meeting_title(subjects, events)
        if not slots:
            lines = [
                f"There is no time in {resolved} when {_joined(names)} are all free: "
                "no invitation was drafted.",
                *output.splitlines()[1:],
            ]
            return Outcome(title=f"Invitation: {title}", lines=lines, did="found no common time")
        slot = slots[0]
        when = f"{slot['day']}, {slot['slot']}" + (f" {zone.group(1)}" if zone else "")
        need = _NEED_LINE.search(_file_text(work, resolved))
        only = "the only time" if len(slots) == 1 else "the first time"
        lines = [
            f"Subject: {title}: {when}",
            "",
            f"Hi {_joined(names)},",
            "",
            f"I'd like to invite you to the {title} on {when}.",
        ]
        if need:
            lines.append(f"What it is for: {need.group(1).strip()}")
        lines += [
            f"It is {only} when all of you are free, according to {resolved}.",
            "",
            "Best regards,",
        ]
        if len(slots) > 1:
            others = "; ".join(f"{m['day']} {m['slot']}" for m in slots[1:4])
            lines += ["", "---", f"Other times all are free: {others}."]
        return _written(work, f"Invitation {title}", lines, f"drafted an invitation for {when}")
    return None


def _file_text(work: Work, path: str) -> str:
    output = work.output("read_lines", path=path, start=1, end=40) or ""
    return "\n".join(re.sub(r"^\d+: ", "", ln) for ln in output.splitlines()[1:])


def _meeting_title(subjects: TaskSubjects, events: Sequence[Event]) -> str:
    """The meeting's name: the title an event gave it, else the task's words after 'for'."""
    for event in reversed(events):
        named = re.search(r"\b(?:titled|called|named)\s+'([^'\n]{2,80})'", event.text)
        if named:
            return named.group(1)
    found = re.search(
        r"\bfor (?:the |a |an )?(.+?)(?= at | on | with | when |,|\.|$)", subjects.task
    )
    return found.group(1) if found else "meeting"
