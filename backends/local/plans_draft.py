"""The offline plan for drafting text, built from the person's real material.

A README for a script comes from its own command line (`script_interface`); a reply answers
the latest message of a thread (`read_message`), takes the offered time the person's calendar
leaves free (`free_slots`) and lists what was asked for from the files the task names; a
proposal, plan or announcement fills the task's sections with the facts of the person's notes
(`note_facts`: options ruled out left out, rates multiplied out against the cap). Without such
material: an outline with exactly the sections the task names, or a short text from the
activity. A section the files say nothing about keeps its prompts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from backends.local.plans import (
    _SHORT_TEXT,
    OWN_FOLDERS,
    Outcome,
    Work,
    _listed,
)
from backends.local.plans_draft_sources import source_draft
from backends.local.plans_email import followed_files, notes_email
from backends.local.plans_notes import template_filled
from backends.local.plans_policy import capped_claim, policy_answer
from backends.local.plans_template import template_draft
from backends.local.task_subjects import TaskSubjects, extension
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
_USAGE_DOC = re.compile(
    r"\breadme\b|\busage\b|\bman page\b|\bdocument(?:ation)?\b.{0,40}\b(?:script|cli|tool|command)"
    r"|\b(?:script|cli|tool|command)\b.{0,40}\bdocument",
    re.I,
)
"""A task that asks for a script's README or usage document."""
_README_SECTIONS = ("Usage", "Options", "Example", "Output")
"""The README's sections when the task names none."""
_README_PARTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("usage", re.compile(r"usage|synopsis|how to (?:run|use)|running|quick ?start|command", re.I)),
    ("options", re.compile(r"option|argument|flag|parameter|\bcli\b|setting", re.I)),
    ("example", re.compile(r"example|sample|demo|tutorial", re.I)),
    ("output", re.compile(r"output|result|writes", re.I)),
    ("about", re.compile(r"overview|descri|about|introduction|summary|purpose|what", re.I)),
    ("install", re.compile(r"install|setup|requirement|depend", re.I)),
)
"""Which part of a script's interface a README section holds, by the section's name."""
_INPUT_TYPES = ("csv", "tsv", "json", "jsonl", "yaml", "yml", "toml", "txt", "md", "xml", "log")
"""Kinds of input file an example command may take from the project."""
_DELIMITERS = (";", "\t", "|", ",")
_REPLY = re.compile(r"\brepl(?:y|ies|ying)\b|\brespon(?:d|se)\b|\banswer\b|\bwrite back\b", re.I)
"""A task that asks for a reply to a message."""
_MESSAGE_TYPES = ("txt", "eml", "msg", "md", "")
"""Extensions of files that may hold a message."""
_CALENDAR_NAME = re.compile(r"calendar|schedule|availability|diary|agenda|busy|\.ics$", re.I)
_MEETING = re.compile(
    r"\b(?:slot|meet\w*|call|times?|when|which|suits?|convenient|calendar|availab\w*|schedul\w*"
    r"|book\w*|lesson|visit|come)\b",
    re.I,
)
"""An ask that the choice of a time answers."""
_NOUNS = re.compile(
    r"\b(call|meeting|lesson|visit|session|appointment|interview|chat|service|viewing|workshop)\b",
    re.I,
)
"""What the meeting is called, as the message says it."""
_STOP_CLAUSE = frozenset(
    """draft write reply respond answer email mail message letter that which and the a an to of
    from in for with my our your their his her its me us it this these those list lists give
    include includes send accept accepts only""".split()
)
"""Words of a task clause that say what to do, not what the facts are about."""
_NOTE_TYPES = frozenset({"md", "txt", "markdown", "rst", "org"})
"""Files that may hold the person's notes."""
MAX_NOTE_FILES = 3
"""Notes files read for one draft."""
_FACT = re.compile(r"^line (\d+): ([a-z ]+): (.*)$")
_CATEGORIES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "summary",
        "Summary",
        re.compile(r"summary|overview|introduction|abstract|about|purpose", re.I),
    ),
    ("dates", "Dates", re.compile(r"date|when|timeline|schedule|timing|itinerary|milestone", re.I)),
    (
        "options",
        "Options",
        re.compile(
            r"venue|location|place|where|option|site|vendor|supplier|choice|hotel|caterer", re.I
        ),
    ),
    ("people", "People", re.compile(r"people|team|attendee|audience|who|participant|staff", re.I)),
    ("budget", "Budget", re.compile(r"budget|cost|financ|money|price|spend|funding|expense", re.I)),
    ("goals", "Goals", re.compile(r"goal|objective|aim|agenda|why|need|outcome|motivation", re.I)),
    ("decisions", "Decisions", re.compile(r"decision|agreed|resolution", re.I)),
    ("prices", "Prices", re.compile(r"price|ticket|entry|admission|menu|sale", re.I)),
)
"""Which facts a section holds, by its name; the name a section gets when the task names none."""
_ADDRESSED = re.compile(r"\b(?:e-?mail|letter|message)\b", re.I)
"""A short text sent to someone (an announcement or a post is not)."""
_TYPED_HEADING = re.compile(r"'#{2,3}\s+([^'\n]{1,60})'")


_SECTION_OF = re.compile(r"\b(?:sections?|headings?|template|fill\w*|complete|populate)\b", re.I)
"""A task that may fill a document's sections from other notes (the plan checks that one named
document has empty headings and another holds the notes)."""


def draft_text(work: Work, subjects: TaskSubjects, events: Sequence[Event]) -> Outcome:
    """A usage document for a script, a reply to a message, a text filled from the person's
    notes, or an outline with exactly the sections the task names (or a short draft)."""
    title = subjects.title or subjects.subject
    if _SECTION_OF.search(subjects.task):
        # "Draft the 'Decisions' section of 'call.md' from 'raw.md'": a template's sections
        # filled from the notes (organise's template fill), when one document is such a template.
        filled = template_filled(work, subjects)
        if filled is not None:
            return filled
    found = source_draft(work, subjects, events, title)
    if found is not None:
        return found
    templated = template_draft(work, subjects)
    if templated is not None:
        return templated
    if _USAGE_DOC.search(subjects.task):
        script = _script(work, subjects)
        if script is not None:
            return readme(work, subjects, script)
    asked_reply = bool(_REPLY.search(subjects.task))
    if asked_reply or followed_files(subjects.task):
        # "Write to Maya about 'ticket.txt' following 'policy.md'" answers a message too, when
        # the file is one (it has a sender).
        message = _message(work, subjects)
        if message is not None and (asked_reply or re.search(r"^from: ", message.text, re.M)):
            return reply(work, subjects, message)
    if not asked_reply:
        texts = [subjects.task, *(e.text for e in reversed(events) if e.source != "agent")]
        claim = capped_claim(work, subjects, texts)
        if claim is not None:
            return claim
    short = _SHORT_TEXT.search(subjects.task) and not subjects.sections
    names_notes = any(f in subjects.task for f in subjects.files)
    # A short text (an email) is built from notes only when the task points at them.
    facts = _notes_facts(work, subjects) if names_notes or not short else []
    followed = bool(followed_files(subjects.task))
    if (
        short
        and names_notes
        and _ADDRESSED.search(subjects.task)
        and (followed or not _weighed(facts))
    ):
        # An email from notes that hold no options or costs to weigh: their own lines, addressed.
        email = notes_email(work, subjects, events, title)
        if email is not None:
            return email
    if facts:
        return notes_draft(work, subjects, events, title, facts)
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


def _weighed(facts: list[tuple[str, str]]) -> bool:
    """Whether the notes hold more than dates: options, costs, counts, decisions, goals."""
    kinds = {m.group(2) for _, text in facts for m in map(_FACT.match, text.splitlines()) if m}
    return bool(kinds - {"title", "date", "dates"})


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


# --- a README for a script ------------------------------------------------------------------


@dataclass
class _Interface:
    """What script_interface said about a script, read back from its lines."""

    path: str
    """The script."""
    text: str
    """The tool's output."""
    usage: str = ""
    """Its usage line."""
    description: str = ""
    """The parser's description or the module docstring."""
    options: list[tuple[int, str, str, str]] = field(default_factory=list)
    """(line, flags and value, facts, help) per option."""
    writes: list[str] = field(default_factory=list)
    """Where it writes."""
    commands: list[str] = field(default_factory=list)
    """pyproject entry points ('name = module:function')."""


_OPTION_LINE = re.compile(r"^line (\d+): (.+?) \(([^)]*)\)(?:: (.*))?$")


def _script(work: Work, subjects: TaskSubjects) -> _Interface | None:
    """The interface of the first script the task (then the events) names that has one."""
    for name in subjects.files:
        if not name.lower().endswith((".py", ".pyw")):
            continue
        path = work.resolve(name)
        text = work.output("script_interface", path=path) if path else None
        if text is None:
            continue
        found = _Interface(path=path or name, text=text)
        for line in text.splitlines():
            key, _, value = line.partition(": ")
            if key in {"description", "module docstring"} and not found.description:
                found.description = value
            elif key == "usage":
                found.usage = value
            elif match := _OPTION_LINE.match(line):
                line_no, shown, facts, help_text = match.groups()
                found.options.append((int(line_no), shown, facts, help_text or ""))
            elif line.startswith("writes to "):
                found.writes.append(line.removeprefix("writes to "))
            elif line.startswith("entry point in pyproject.toml: "):
                found.commands.append(line.split(": ", 1)[1])
        return found
    return None


def _fact(facts: str, key: str) -> str | None:
    for part in facts.split("; "):
        if part.startswith(f"{key}="):
            return part.split("=", 1)[1]
    return None


def _options_text(script: _Interface) -> str:
    lines = []
    for line, shown, facts, help_text in script.options:
        notes = []
        if facts.startswith("positional"):
            notes.append("required" if _fact(facts, "nargs") not in {"?", "*"} else "optional")
        elif facts.startswith("flag"):
            notes.append("a flag, no value")
        for key in ("type", "choices", "nargs"):
            if (value := _fact(facts, key)) is not None:
                notes.append(f"{key} {value}")
        if _fact(facts, "required") == "True":
            notes.append("required")
        default = _fact(facts, "default")
        if default is not None and "default" not in help_text.lower():
            notes.append(f"default {default}")
        said = f": {help_text.rstrip('.')}" if help_text else ""
        extra = f" ({', '.join(notes)})" if notes else ""
        lines.append(f"- `{shown}`{extra}{said}. ({script.path} line {line})")
    return "\n".join(lines) or "The script declares no command-line options."


def _sample(work: Work, script: _Interface) -> str | None:
    """A file in the project the script could take as input: its extension named by the
    script's help or source, found by file_search; files in sample/example folders first."""
    wanted = [
        ext
        for ext in _INPUT_TYPES
        if re.search(rf"\b{ext}\b", f"{script.text} {script.path}", re.I)
    ]
    found: list[str] = []
    for ext in wanted:
        found += _listed(work.output("file_search", pattern=f"*.{ext}", dir_path="."))
    found = [f for f in found if f != script.path]
    found.sort(key=lambda f: (not re.search(r"sample|example|fixture|data|test", f, re.I), f))
    return found[0] if found else None


def _delimiter_option(work: Work, script: _Interface, sample: str) -> str:
    """' --delimiter ";"' when the script takes a delimiter and the sample's header uses
    another one than the default; else ''."""
    option = next((o for o in script.options if re.search(r"--(?:delim\w*|sep\w*)\b", o[1])), None)
    if option is None or not sample.lower().endswith((".csv", ".tsv", ".txt")):
        return ""
    header = work.output("read_lines", path=sample, start=1, end=1) or ""
    first = header.splitlines()[1].split(": ", 1)[-1] if "\n" in header else ""
    counts = {d: first.count("\t" if d == "\\t" else d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    default = _fact(option[2], "default") or ","
    if counts[best] == 0 or best == default:
        return ""
    flag = re.findall(r"--[\w-]+", option[1])[0]
    return f" {flag} '{best}'"


def _example_text(work: Work, script: _Interface, program: str) -> str:
    sample = _sample(work, script)
    positionals = [o for o in script.options if o[2].startswith("positional")]
    if sample is None or not positionals:
        return f"```\n{program} --help\n```\nNo sample input was found in the project."
    extra = _delimiter_option(work, script, sample)
    target = "standard output" if any("stdout" in w for w in script.writes) else "its output"
    return (
        f"```\n{program} {sample}{extra}\n```\n"
        f"Reads {sample} (a sample in the project) and writes the result to {target}."
    )


def _output_text(script: _Interface) -> str:
    if not script.writes:
        return "The script's source shows no write to standard output or to a file."
    return "\n".join(f"- Writes to {target}." for target in script.writes)


def readme(work: Work, subjects: TaskSubjects, script: _Interface) -> Outcome:
    """A README for a script: the task's sections (else Usage, Options, Example, Output) filled
    from its real command line, a sample input in the project, and what it writes."""
    command = script.commands[0].split(" = ")[0] if script.commands else ""
    program = command or f"python {script.path}"
    usage = script.usage.replace(f"python {script.path}", program, 1)
    usage_text = f"```\n{usage}\n```"
    if command:
        usage_text += f"\nInstalled as the command {command} ({script.commands[0]})."
    parts = {
        "usage": usage_text,
        "options": _options_text(script),
        "example": _example_text(work, script, program),
        "output": _output_text(script),
        "about": script.description,
        "install": "The project's files give no installation steps.",
    }
    sections = list(subjects.sections or _README_SECTIONS)
    bodies = {}
    for section in sections:
        part = next((k for k, pattern in _README_PARTS if pattern.search(section)), None)
        if part and parts[part]:
            bodies[section] = parts[part]
    title = subjects.title or script.path
    done = work.call(
        "write_outline", title=title, sections=sections, bodies=bodies, intro=script.description
    )
    if not done.ok:
        return Outcome(
            title=f"README: {title}",
            lines=[f"I could not write the README: {done.output}"],
            did="tried to write a README",
        )
    text = done.output.split("\n", 1)[1] if "\n" in done.output else done.output
    left = [s for s in sections if s not in bodies]
    lines = text.strip("\n").splitlines()
    if left:
        lines += ["", f"The script does not say what goes under {', '.join(left)}: fill it in."]
    return Outcome(
        title=f"README: {title}",
        lines=lines,
        written=_written_path(done.output) or "drafts/",
        did=f"wrote a README for {script.path} from its command line",
    )


# --- a reply to a message -------------------------------------------------------------------


@dataclass
class _Message:
    """What read_message said about the message being answered."""

    path: str
    """The message's file."""
    text: str
    """The tool's output."""
    sender: str = ""
    """The sender's first name."""
    recipient: str = ""
    """Who it was sent to (the person), as the To header gives it."""
    subject: str = ""
    """Its subject."""
    asks: list[tuple[int, str]] = field(default_factory=list)
    """(line, sentence) of each request or question."""
    minutes: int | None = None
    """The meeting length it asks for."""
    duration_words: str = ""
    """How it says the length ('45-minute')."""
    offered: list[tuple[str, str]] = field(default_factory=list)
    """(YYYY-MM-DD HH:MM, its own words) of each time it offers."""


def _message(work: Work, subjects: TaskSubjects) -> _Message | None:
    """The message the task answers: the first named file that reads as a message."""
    for name in subjects.files:
        if extension(name) not in _MESSAGE_TYPES or _CALENDAR_NAME.search(name):
            continue
        path = work.resolve(name)
        text = work.output("read_message", path=path) if path else None
        if text is None or not re.search(r"^(?:from|subject): |: asks: ", text, re.M):
            continue
        found = _Message(path=path or name, text=text)
        for line in text.splitlines():
            key, _, value = line.partition(": ")
            value = re.sub(r" \(line \d+\)$", "", value)
            if key == "sender's name":
                found.sender = value
            elif key == "to":
                found.recipient = value.split("<")[0].strip()
            elif key == "subject":
                found.subject = value
            elif match := re.match(r"^line (\d+): asks: (.*)$", line):
                found.asks.append((int(match.group(1)), match.group(2)))
            elif match := re.match(r"^duration asked: (\d+) minutes \('([^']*)'", line):
                found.minutes, found.duration_words = int(match.group(1)), match.group(2)
            elif match := re.match(r"^time offered: (\S+ \S+) \('([^']*)'", line):
                found.offered.append((match.group(1), match.group(2)))
        return found
    return None


def _calendar(work: Work, subjects: TaskSubjects, skip: set[str]) -> str | None:
    """The named file that reads as a calendar (by its name first)."""
    names = sorted(subjects.files, key=lambda f: not _CALENDAR_NAME.search(f))
    for name in names:
        path = work.resolve(name)
        if path is None or path in skip or path.startswith(OWN_FOLDERS):
            continue
        if not _CALENDAR_NAME.search(name):
            return None
        return path
    return None


def _stems(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP_CLAUSE}


def _clause(task: str, name: str) -> str:
    """The part of the task that names `name` ('lists the first-wave systems from x.md')."""
    for part in re.split(r",|;|\band\b|\bthat\b|\bwhich\b", task):
        if name in part or name.rsplit("/", 1)[-1] in part:
            return part.replace(name, " ")
    return ""


def _best_section(work: Work, path: str, query: str) -> tuple[str, list[tuple[int, str]]] | None:
    """The heading and lines of the file's part that best matches `query` (by shared words,
    the heading counting double); None when nothing matches."""
    numbered = _numbered_lines(work.output("read_lines", path=path, start=1, end=400))
    wanted = _stems(query) - _stems(path)
    if not numbered or not wanted:
        return None
    parts: list[tuple[str, list[tuple[int, str]]]] = [("", [])]
    for number, text in numbered:
        if re.match(r"^#{1,6}\s|^[^-*\d\s].{0,60}:$", text):
            parts.append((text.strip("#: ").strip(), []))
        elif text.strip():
            parts[-1][1].append((number, text.strip()))
    scored = [
        (2 * len(_stems(heading) & wanted) + len(_stems(" ".join(t for _, t in body)) & wanted), n)
        for n, (heading, body) in enumerate(parts)
        if body
    ]
    if not scored or max(scored)[0] == 0:
        return None
    best = max(scored, key=lambda s: (s[0], -s[1]))[1]
    return parts[best]


def _numbered_lines(output: str | None) -> list[tuple[int, str]]:
    found = []
    for line in (output or "").splitlines()[1:]:
        match = re.match(r"^(\d+): ?(.*)$", line)
        if match:
            found.append((int(match.group(1)), match.group(2)))
    return found


def _items(lines: list[tuple[int, str]]) -> list[str]:
    listed = [re.sub(r"^(?:[-*+]|\d+[.)])\s+", "", t) for _, t in lines]
    return [t for t in listed if t]


def _slot_answer(
    work: Work, message: _Message, calendar: str | None
) -> tuple[list[str], list[str], bool]:
    """(reply lines, notes for the person, whether the time question was answered)."""
    if calendar is None or not (message.offered or message.minutes):
        return [], [], False
    minutes = message.minutes or 30
    length = ""
    if message.minutes:
        hours = minutes // 60 if minutes % 60 == 0 else 0
        length = f"{hours}-hour " if hours else f"{minutes}-minute "
    noun = _NOUNS.search(message.text)
    meeting = noun.group(1).lower() if noun else "meeting"
    times = "; ".join(when for when, _ in message.offered)
    checked = work.output("free_slots", path=calendar, minutes=minutes, times=times) or ""
    verdicts = dict(re.findall(r"^(\S+ \d\d:\d\d)-\d\d:\d\d: (.*)$", checked, re.M))
    fits = [(w, words) for w, words in message.offered if verdicts.get(w) == "free"]
    notes = []
    for when, words in message.offered:
        verdict = verdicts.get(when, "")
        if verdict.startswith("clashes with line"):
            line, _, what = verdict.removeprefix("clashes with ").partition(": ")
            notes.append(f"{words} clashes with {calendar} {line}: {what.strip()}")
    if fits:
        when, words = fits[0]
        said = [f"{words} works for me for the {length}{meeting}, so let's take that slot."]
        if len(fits) > 1:
            others = ", ".join(w for _, w in fits[1:])
            notes.append(f"Also free in {calendar}: {others}.")
        return said, notes, True
    if message.offered:
        windows = work.output("free_slots", path=calendar, minutes=minutes) or ""
        days = {w.split()[0] for w, _ in message.offered}
        free = [
            f"{day} {spans}"
            for day, spans in re.findall(r"^(\S+): free (.*)$", windows, re.M)
            if day in days
        ]
        said = ["None of the times you offered is free in my calendar."]
        if free:
            said.append(f"I am free on {'; '.join(free)}, if one of those suits you.")
        return said, notes, True
    return [], [f"The message asks for a {minutes}-minute slot but offers no time."], False


_CLAIMED = re.compile(
    r"^Claimed \((?P<src>.+?) line (?P<line>\d+): '(?P<said>[^']*)'\): (?P<count>\d+) x "
    r"(?P<item>.+) \(line (?P<row>\d+)\) at (?P<each>[\d.]+(?: [A-Z]{3})?) = "
    r"(?P<total>[\d.]+(?: [A-Z]{3})?)$"
)


def _claims(work: Work, subjects: TaskSubjects, message: _Message) -> tuple[list[str], list[str]]:
    """(reply lines, notes): what the message claims about an order, priced from the order
    table the task or events name (count x unit price), with the rows not claimed."""
    for name in subjects.files:
        if extension(name) != "csv":
            continue
        table = work.resolve(name) or name
        found = work.output("claim_amount", message=message.path, table=table) or ""
        claims = [m for m in (_CLAIMED.match(ln) for ln in found.splitlines()) if m]
        if not claims:
            continue
        order = re.match(r"^Order (\S+) ", found)
        said = [
            f"I'm sorry that {c['said']}"
            + (f" in order {order.group(1)}" if order else "")
            + f": that is {c['count']} x {c['each']} = {c['total']}"
            f" to refund (the unit price of each, {table} line {c['row']})."
            for c in claims
        ]
        left = [ln for ln in found.splitlines() if ln.startswith("Not claimed: ")]
        notes = [f"{ln} in {table}: the policy decides whether they are refunded." for ln in left]
        return ["", *said], notes
    return [], []


def reply(work: Work, subjects: TaskSubjects, message: _Message) -> Outcome:
    """A reply to the latest message of a thread: the offered time that fits the person's
    calendar, the facts asked for from the files the task names, and what is left open."""
    calendar = _calendar(work, subjects, {message.path})
    slot_lines, notes, timed = _slot_answer(work, message, calendar)
    used = {message.path, *([calendar] if calendar else [])}
    facts: list[str] = []
    sources: list[str] = []
    answered = {a for a in message.asks if timed and _MEETING.search(a[1])}
    claimed, claim_notes = _claims(work, subjects, message)
    ruled, policy_notes, policy = policy_answer(work, subjects, message.path, bool(claimed))
    if policy:  # the policy's applying rules answer the customer's asks
        used.add(policy)
        answered |= set(message.asks)
    own_files = [f for f in subjects.files if f in subjects.task] or list(subjects.files)
    for name in own_files:
        path = work.resolve(name)
        if path is None or path in used or path.startswith(OWN_FOLDERS):
            continue
        used.add(path)
        ask = max(
            (a for a in message.asks if a not in answered),
            key=lambda a: len(_stems(a[1]) & _stems(_clause(subjects.task, name))),
            default=None,
        )
        query = f"{_clause(subjects.task, name)} {ask[1] if ask else ''}"
        found = _best_section(work, path, query)
        if found is None:
            notes.append(f"{path} has nothing on: {query.strip()}")
            continue
        heading, lines = found
        where = (
            f"{path} lines {lines[0][0]}-{lines[-1][0]}"
            if len(lines) > 1
            else (f"{path} line {lines[0][0]}")
        )
        intro = f"Here is what you asked for ({heading}):" if heading else "From my notes:"
        facts += ["", intro, *(f"- {item}" for item in _items(lines))]
        sources.append(where)
        if ask:
            answered.add(ask)
    greeting = f"Hi {message.sender}," if message.sender else "Hello,"
    about = f' about "{message.subject}"' if message.subject else ""
    body = [greeting, "", f"Thank you for your message{about}."]
    if slot_lines:
        body += ["", *slot_lines]
    body += claimed + ruled
    notes += claim_notes + policy_notes
    body += facts
    signer = message.recipient.split()[0] if message.recipient else ""
    body += ["", "Best regards,", *([signer] if signer else [])]
    open_asks = [a for a in message.asks if a not in answered]
    checked = [f"the message: {message.path}"]
    if calendar:
        checked.append(f"the calendar: {calendar}")
    checked += sources
    lines = [*body, "", "---", "Notes for you (not part of the reply):"]
    lines.append("- Read from " + "; ".join(checked) + ".")
    lines += [f"- {n}" for n in notes]
    for line, ask in open_asks:
        lines.append(f"- Not answered from your files ({message.path} line {line}): {ask}")
    if calendar is None and (message.offered or message.minutes):
        lines.append("- No calendar file was named, so no time was accepted.")
    slug = re.sub(r"[^a-z0-9]+", "-", (message.sender or "message").lower()).strip("-")
    done = work.call(
        "write_file", file_path=f"drafts/reply-to-{slug}.md", text="\n".join(lines) + "\n"
    )
    return Outcome(
        title=f"Reply to {message.sender or message.path}",
        lines=lines,
        written=f"drafts/reply-to-{slug}.md" if done.ok else None,
        did=f"drafted a reply to {message.sender or 'the message'} in {message.path}",
    )


# --- a text filled from the person's notes ---------------------------------------------------


def _notes_facts(work: Work, subjects: TaskSubjects) -> list[tuple[str, str]]:
    """(path, note_facts output) of the notes the task and events name that state facts."""
    found: list[tuple[str, str]] = []
    for name in subjects.files:
        if len(found) >= MAX_NOTE_FILES or extension(name) not in _NOTE_TYPES:
            continue
        path = work.resolve(name)
        if path is None or path.startswith(OWN_FOLDERS) or any(p == path for p, _ in found):
            continue
        text = work.output("note_facts", path=path)
        kinds = {m.group(2) for m in map(_FACT.match, (text or "").splitlines()) if m}
        if kinds - {"title", "date"}:
            found.append((path, text or ""))
    return found


def _fact_bodies(facts: list[tuple[str, str]], title: str) -> dict[str, list[str]]:
    """Markdown lines per category, each fact cited as `path` line N."""
    out: dict[str, list[str]] = {key: [] for key, _, _ in _CATEGORIES}
    summary: list[str] = []
    for path, text in facts:
        options: list[str] = []
        pending: list[tuple[str, str]] = []
        chosen = ""
        used: set[str] = set()
        estimates = [
            line.removeprefix("estimate: ")
            for line in text.splitlines()
            if line.startswith("estimate: ")
        ]
        ruled_out = {
            m.group(3).split(":")[0]
            for m in map(_FACT.match, text.splitlines())
            if m and m.group(2) == "ruled out"
        }
        for line in text.splitlines():
            match = _FACT.match(line)
            if not match:
                continue
            number, kind, value = match.groups()
            cite = f"(`{path}` line {number})"
            if kind == "dates":
                out["dates"].append(f"- {value} {cite}")
                summary.append(f"on {value.split(' (')[0]}")
                used.add(number)
            elif kind == "date":
                day, _, said = value.partition(" (")
                out["dates"].append(f"- {said.removesuffix(')') or day} {cite}")
                summary.append(f"on {day}")
                used.add(number)
            elif kind == "price":
                said = value.partition(" (")[2].removesuffix(")")
                if cite not in "".join(out["prices"]):
                    out["prices"].append(f"- {said} {cite}")
            elif kind == "people":
                out["people"].append(f"- {value.split(' (')[0]} people {cite}")
                summary.insert(0, f"for {value.split(' (')[0]} people")
                used.add(number)
            elif kind == "leading option":
                name = value.split(" (")[0]
                why = value[len(name) :].strip(" ()")
                said = next((o for o in options if o.startswith(f"{name}:")), name)
                out["options"].insert(0, f"- Proposed: {said} ({why}) {cite}")
                summary.append(f"at {name}")
                chosen = name
            elif kind == "option":
                options.append(value)
                pending.append((value, cite))
            elif kind == "votes":
                votes = ", ".join(
                    v for v in value.split(", ") if v.rsplit(" ", 1)[0] not in ruled_out
                )
                out["options"].append(f"- Votes: {votes} {cite}")
            elif kind == "budget cap":
                out["budget"].append(f"- Budget cap: {value.split(' (')[0]} {cite}")
            elif kind == "goals":
                out["goals"].append(f"- {value.split(': ', 1)[-1]} {cite}")
            elif kind == "decision" and number not in used:
                out["decisions"].append(f"- {value} {cite}")
        others = [(v, c) for v, c in pending if not chosen or not v.startswith(f"{chosen}:")]
        label = "Also considered" if chosen else "Option"
        out["options"][1 if chosen else 0 : 1 if chosen else 0] = [
            f"- {label}: {v} {c}" for v, c in others
        ]
        for estimate in estimates:
            cited = re.sub(r"\((lines?) ([\d, ]+)\)$", rf"(`{path}` \1 \2)", estimate)
            out["budget"].append(f"- {cited}")
        total = next((e for e in reversed(estimates) if " is within " in e or " is over " in e), "")
        if total:
            cost, _, verdict = re.sub(r" [(]line [0-9]+[)]", "", total).partition(" is ")
            summary.append(f"estimated cost {cost} ({verdict})")
    if summary:
        out["summary"].append(f"{title}: {', '.join(dict.fromkeys(summary))}.")
    return out


def notes_draft(
    work: Work,
    subjects: TaskSubjects,
    events: Sequence[Event],
    title: str,
    facts: list[tuple[str, str]],
) -> Outcome:
    """A proposal, plan or announcement whose sections hold the facts of the person's notes
    (options ruled out left out, costs multiplied out against the cap); a section the notes say
    nothing about keeps its prompts."""
    bodies = _fact_bodies(facts, title)
    if subjects.sections:
        sections = list(subjects.sections)
    else:
        typed = [m.group(1).strip() for e in events for m in _TYPED_HEADING.finditer(e.text)]
        base = (
            []
            if _SHORT_TEXT.search(subjects.task)
            else list(_default_sections(f"{subjects.task} {title}"))
        )
        sections = list(dict.fromkeys([*base, *typed]))
        for key, name, pattern in _CATEGORIES:
            if bodies[key] and not any(pattern.search(s) for s in sections):
                sections.append(name)
    filled: dict[str, str] = {}
    taken: set[str] = set()
    for section in sections:
        for key, _, pattern in _CATEGORIES:
            if key not in taken and bodies[key] and pattern.search(section):
                filled[section] = "\n".join(bodies[key])
                taken.add(key)
                break
    done = work.call("write_outline", title=title, sections=sections, bodies=filled)
    if not done.ok:
        return Outcome(
            title=f"Draft: {title}",
            lines=[f"I could not write the draft: {done.output}"],
            did="tried to write a draft",
        )
    paths = ", ".join(p for p, _ in facts)
    return Outcome(
        title=f"Draft: {title}",
        lines=done.output.splitlines(),
        written=_written_path(done.output) or "drafts/",
        did=f"drafted '{title}' from the facts in {paths}",
    )
