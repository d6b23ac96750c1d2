"""The offline plans that summarise and organise: meeting notes sorted into decisions, action
items and open questions; an email thread's final state (found by its subject when the task names
no file); a log counted and read as an incident (when, how long, the counts it reports added up,
versions, what ended it); a CSV totalled per category with each group's change over its periods,
categorised by a rules document, or its duplicate rows merged; a to-do list regrouped by its
projects in due order; loose notes sorted into sections; dated items put in date order; else a
document's central sentences, or its items as a grouped checklist. A restructured file is
written to the drafts, never over the person's own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

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
from tools.dates import day_heading, document_year, find_dates
from tools.paging import next_part, without_part_line


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
        asks_stats = _STATS.search(subjects.task) and not _ADDED_UP.search(subjects.task)
        if extension(path) in TABLE_EXTENSIONS and asks_stats:
            profile = _whole(work, "profile_table", path=path, question=subjects.task)
            if profile and not profile.startswith("Error:"):
                return Outcome(
                    title=f"Summary: {path}",
                    lines=profile.splitlines(),
                    did=f"described the columns of {path}",
                )
        if extension(path) in TABLE_EXTENSIONS and _TOTALS.search(subjects.task):
            totals = _group_totals(work, path, subjects.task)
            if totals:
                return totals
        if extension(path) in DATA_EXTENSIONS:
            report = work.output("check_data_file", path=path)
            if report:
                lines = [report]
                if extension(path) in TABLE_EXTENSIONS and "parses cleanly" in report:
                    profile = _whole(work, "profile_table", path=path, question=subjects.task)
                    if profile and not profile.startswith("Error:"):
                        lines += ["", *profile.splitlines()[1:]]
                    totals = _group_totals(work, path, subjects.task)
                    lines += ["", *totals.lines] if totals else []
                return Outcome(title=f"Summary: {path}", lines=lines, did=f"checked {path}")
        if extension(path) == "log":
            return _log_summary(work, path)
        return _document_summary(work, path, subjects, events)
    named = read_event(subjects.task)
    holder = _document_holding(work, named.quoted)
    if holder:
        return _document_summary(work, holder, subjects, events)
    if named.pages or any(p.startswith(q) for p in subjects.pages for q in named.quoted):
        # A web page the task names cannot be opened offline: say so, and show what the
        # person's own files hold on it, rather than summarising some other document.
        return _offline_search(work, subjects, events, "Summary", what="open web pages")
    for ext in ("md", "txt", "rst"):
        paths = _listed(work.output("file_search", pattern=f"*.{ext}", dir_path="."))
        if paths:
            return _summary_of(work, paths[0], "Summary")
    return _offline_search(work, subjects, events, "Summary", what="open web pages")


_STATS = re.compile(
    r"\baverages?\b|\bmean\b|\bmedian\b|\bmost (?:common|frequent|popular)\b|\bhow many\b"
    r"|\bnumber of\b|\blowest\b|\bhighest\b|\bthemes?\b|\bfindings\b|\bstatistics\b|\bstats\b"
    r"|\btypical\b|\bdistribution\b|\bresponses\b|\bresults\b",
    re.I,
)
"""A summary of a table that asks what its columns hold, not totals per category."""
_ADDED_UP = re.compile(r"\b(?:sub)?totals?\b|\bsum\b|\bspend\w*|\badd(?:ed)? up\b", re.I)
"""A task that wants amounts added up (group_totals answers it)."""


def _document_holding(work: Work, quoted: Sequence[str]) -> str | None:
    """The one document of the project that holds a title the task quotes (a thread's subject,
    a page's heading), so 'Summarise the thread X' reads the file X is in."""
    for title in quoted[:3]:
        if len(title) < 6 or "/" in title or "." in title.rsplit(" ", 1)[-1]:
            continue
        paths = {
            m["path"]
            for hit in _hits(work.output("search_text", text=title))
            if (m := _HIT.match(hit)) and extension(m["path"]) in DOCUMENT_EXTENSIONS
        }
        if len(paths) == 1:
            return paths.pop()
    return None


_LEVEL = re.compile(r"\b(CRITICAL|FATAL|ERROR|WARNING|WARN|INFO|DEBUG)\b")


_LOG_NAME = re.compile(r"(?<![\w.-])([A-Za-z][A-Za-z0-9]*(?:[_-][A-Za-z0-9]+)+)(?![\w-])")
_STAMP = re.compile(
    r"\b((?:19|20)\d\d-[01]\d-[0-3]\d)[T ]([0-2]\d:[0-5]\d(?::[0-5]\d)?)"
    r"|^.{0,25}?\b([0-2]\d:[0-5]\d:[0-5]\d)"
)
"""A log line's time stamp: an ISO date and time, or a leading clock time."""
_VERSION = re.compile(r"(?<![\w.])v?\d+\.\d+(?:\.\d+)+(?![\w.])")
_COUNTER = re.compile(
    r"\b(?P<key>(?:[a-z]+_)?(?:failed|failures?|errors?|dropped|rejected|timeouts?|retries|lost"
    r"|requests|affected|missed|5xx|count))\s*[=:]\s*(?P<n>\d+)\b"
    r"|\b(?P<n2>\d+)\s+(?P<key2>failed|failures|errors|timeouts|dropped|rejected|retries)\b"
    r"(?!\s*[=:])",
    re.I,
)
"""A count a log line reports ('failed=37', '12 errors')."""
_REMEDY = re.compile(
    r"\broll(?:ed|ing)?[ -]?back\b|\brevert\w*|\brestart\w*|\bhot-?fix\w*|\bfail(?:ed)?[ -]?over\b"
    r"|\bscaled?\b|\bpatch\w*|\bredeploy\w*|\bdisabled?\b|\bfeature flag\b",
    re.I,
)
"""What a log says was done to end an outage."""
_RECOVERY = re.compile(
    r"\b(?:ok|healthy|recovered|resolved|closed|restored|back to normal)\b", re.I
)


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
        # The exception's name only: its message would count each distinct text apart.
        for exc in dict.fromkeys(m.group(1).split(".")[-1] for m in _EXCEPTION.finditer(text)):
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
    lines += _by_source(numbered, failing)
    incident = _incident(numbered, failing)
    if failing:
        lines += ["", "The failing lines:"]
        lines += [f"{path}:{n}: {t.strip()}" for n, t in failing[:MAX_LISTED]]
    return Outcome(
        title=f"Summary: {path}",
        lines=[*incident, *([""] if incident else []), *lines],
        did=f"counted the errors in {path}",
    )


_SOURCE = re.compile(r"^[\s\]:|-]*\[?([A-Za-z][\w./-]*)\]?:?\s+(.*)$")
"""The name a log line gives after its level (a service, a logger), then its message."""
_VARIABLE = re.compile(r"\b[\w.-]+=\S+|\b\d[\d.,:]*\b|\s+")
"""The parts of a log message that change from line to line (ids, counts, key=value)."""


def _after_level(text: str) -> tuple[str, str] | None:
    level = _LEVEL.search(text)
    match = _SOURCE.match(text[level.end() :]) if level else None
    return (match.group(1), match.group(2)) if match else None


def _by_source(numbered: dict[int, str], failing: list[tuple[int, str]]) -> list[str]:
    """Error lines counted per source (the name a log puts after the level, when its lines keep
    to a few such names), and the most frequent error message with its count."""
    parsed = [p for t in numbered.values() if (p := _after_level(t))]
    sources = {s for s, _ in parsed}
    if len(parsed) < 3 or len(sources) * 2 > len(parsed):
        return []
    counts: dict[str, int] = {}
    messages: dict[str, list[int]] = {}
    for number, text in failing:
        part = _after_level(text)
        if part is None:
            continue
        counts[part[0]] = counts.get(part[0], 0) + 1
        message = _VARIABLE.sub(" ", part[1]).strip(" :-,;")
        messages.setdefault(f"{part[0]}: {message}", []).append(number)
    if not counts:
        return []
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    lines = ["Error lines by source: " + ", ".join(f"{k} {v}" for k, v in ranked)]
    top = sorted(messages.items(), key=lambda kv: (-len(kv[1]), kv[1][0]))[0]
    if len(top[1]) > 1:
        where = ", ".join(map(str, top[1][:MAX_LISTED]))
        lines.append(f"Most frequent error: {top[0]} ({len(top[1])} times, lines {where})")
    return lines


def _stamp(text: str) -> datetime | None:
    match = _STAMP.search(text)
    if not match:
        return None
    day, clock = (match.group(1), match.group(2)) if match.group(1) else ("1970-01-01", match[3])
    try:
        return datetime.fromisoformat(f"{day}T{clock if clock.count(':') == 2 else clock + ':00'}")
    except ValueError:
        return None


def _span(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes or hours else []
    return " ".join([*parts, f"{secs} s"] if secs or not parts else parts)


def _incident(numbered: dict[int, str], failing: list[tuple[int, str]]) -> list[str]:
    """An outage as a log tells it: when the errors started and stopped and how long that was,
    the counts its failing lines report added up, the versions named, and what ended it."""
    stamped = [(n, t, at) for n, t in failing if (at := _stamp(t)) is not None]
    if not stamped:
        return []
    (first_n, _, first_at), (last_n, _, last_at) = stamped[0], stamped[-1]
    lines = ["Incident, as the log tells it:"]
    span = _span(int((last_at - first_at).total_seconds()))
    lines.append(
        f"- Errors from {first_at:%H:%M:%S} (line {first_n}) to {last_at:%H:%M:%S} (line "
        f"{last_n}): {span}, {len(failing)} error lines."
    )
    after = [
        (n, t) for n, t in numbered.items() if n > last_n and _RECOVERY.search(t) and _stamp(t)
    ]
    if after:
        n, t = after[0]
        at = _stamp(t)
        assert at is not None
        lines.append(
            f"- Recovered at {at:%H:%M:%S} (line {n}): {t.strip()}; "
            f"{_span(int((at - first_at).total_seconds()))} after the first error."
        )
    totals: dict[str, list[int]] = {}
    for _, text in failing:
        for match in _COUNTER.finditer(text):
            key = (match["key"] or match["key2"]).lower()
            totals.setdefault(key, []).append(int(match["n"] or match["n2"]))
    for key, values in sorted(totals.items()):
        if len(values) > 1:
            added = " + ".join(map(str, values))
            lines.append(f"- '{key}' over the failing lines: {sum(values)} in total ({added}).")
    for n, text in numbered.items():
        versions = _VERSION.findall(text)
        if versions or _REMEDY.search(text):
            what = "ended by" if _REMEDY.search(text) and n <= last_n + 5 else "named"
            label = f"versions {', '.join(versions)}" if versions else "action"
            lines.append(f"- line {n} ({label}, {what}): {text.strip()}")
    return lines


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
    tidied = None if lines else _imports_tidied(work, subjects)
    if tidied:
        return tidied
    tables = () if lines else subjects.files_with(TABLE_EXTENSIONS)
    target = _made_file(work, subjects.task, tables)
    for name in [t for t in tables if t != target][:1]:
        path = work.resolve(name)
        merged = _merged(work, path, subjects.task, target) if path else None
        if merged:
            return merged
        categorised = _categorised(work, path, subjects) if path else None
        if categorised:
            return categorised
        picked = _columns_picked(work, path, subjects.task, target) if path else None
        if picked:
            return picked
        rows_sorted = _rows_sorted(work, path, subjects.task, target) if path else None
        if rows_sorted:
            return rows_sorted
        totals = _group_totals(work, path, subjects.task) if path else None
        if totals:
            return totals
    documents = [] if lines else _resolved(work, subjects.files_with(DOCUMENT_EXTENSIONS))
    filled = template_filled(work, subjects) if documents else None
    if filled:
        return filled
    for path in documents[:1]:
        alphabetised = _alphabetised(work, path, subjects.task)
        if alphabetised:
            return alphabetised
    for path in documents[:1]:
        deduped = _lines_deduped(work, path, subjects.task, subjects.files)
        if deduped:
            return deduped
    for path in documents[:1]:
        by_priority = _priority_sorted(work, path, subjects.task)
        if by_priority:
            return by_priority
    for path in documents[:1]:
        by_deadline = _deadline_sorted(work, path, subjects.task, events)
        if by_deadline:
            return by_deadline
    for path in documents[:1]:
        regrouped = _regrouped(work, path, subjects, events)
        if regrouped:
            return regrouped
    for path in documents[:1]:
        bucketed = _due_buckets(work, path, subjects.task, events)
        if bucketed:
            return bucketed
    if documents and _DATED.search(subjects.task):
        timeline = _timeline(work, documents, events)
        if timeline:
            return timeline
    for path in documents[:1]:
        sorted_notes = _sorted_notes(work, path, subjects, events)
        if sorted_notes:
            return sorted_notes
    if documents and _ACTIONS_TASK.search(subjects.task):
        checklist = _action_checklist(work, documents[0], subjects.task, events)
        if checklist:
            return checklist
    for path in documents[:1]:
        numbered = _numbered(work.output("read_lines", path=path))
        if not _GROUPING.search(subjects.task) and _mostly_dated(numbered):
            timeline = _timeline(work, [path], events)
            if timeline:
                return timeline
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


# --- documents: meeting notes, threads, key facts ------------------------------------------------


TABLE_EXTENSIONS = frozenset({"csv", "tsv"})
"""Tables `group_totals` can total per category."""
_TOTALS = re.compile(
    r"\btotals?\b|\bsum\w*\b|\bcategor\w*|\bgroup\w*|\bper\b|\bby\s+\w+|\bspend\w*|\bbreakdown\b",
    re.IGNORECASE,
)
"""A task that asks for amounts added up per group."""
_BY_COLUMN = re.compile(r"\b(?:by|per|for each|for every|grouped by|group by)\s+(\w+)", re.I)
_DATED = re.compile(
    r"itinerar\w*|date order|chronolog\w*|day[- ]by[- ]day|\bby (?:date|day)\b|\bper day\b"
    r"|\bschedule\b|\btimeline\b|\bcalendar\b|\bbookings?\b|\bdeadlines\b|order of (?:date|time)"
    r"|\bwhen\b.*\bhappen",
    re.IGNORECASE,
)
"""A task that asks for dated items in date order."""
_GROUPING = re.compile(
    r"\btags?\b|\bheadings?\b|\bowners?\b|\bby (?:person|people|name|who)\b", re.I
)
_FACTS = re.compile(
    r"key facts|\bfacts\b|\bfigures\b|\bnumbers\b|\bamounts?\b|\bdates\b|\bdeadlines?\b", re.I
)
_CONCRETE = re.compile(r"\d|[£$€¥%]")
"""A sentence with a concrete fact: a number, a date, an amount."""
_SECTION = re.compile(r"^(Decisions|Action items|Open questions|Other dated points):")
_ITEM = re.compile(
    r"^- line (?P<line>\d+): (?P<text>.*?)(?: \| owner: (?P<owner>.*?) \| due: (?P<due>.*))?$"
)
_LIST_NAMES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "Decisions",
        re.compile(r"\b(decisions?|outcomes?|resolutions?|what was (?:agreed|decided))\b", re.I),
    ),
    (
        "Action items",
        re.compile(
            r"\b(action items?|actions?|to-?dos?|tasks|next steps?|follow-?ups?|assignments)\b",
            re.I,
        ),
    ),
    (
        "Open questions",
        re.compile(
            r"\b(open questions?|questions?|open (?:issues|points)|issues|risks?|concerns?"
            r"|blockers?|unresolved (?:points|items))\b",
            re.I,
        ),
    ),
    ("Other dated points", re.compile(r"\b(key dates|dates|milestones|timeline)\b", re.I)),
)
"""Per section of a notes digest, the words a task may name it by (its heading then)."""


_ACTIONS_TASK = re.compile(r"\baction|\bto-?dos?\b|\bnext steps?\b|\bfollow-?ups?\b", re.I)
"""An organise task about the action items of notes."""
_BY_OWNER = re.compile(r"\b(?:by|per|for each) (?:owner|person|people|name|assignee|who)\b", re.I)


def _action_checklist(work: Work, path: str, task: str, events: Sequence[Event]) -> Outcome | None:
    """The action items of notes as a checklist with owner and due date, grouped by owner when
    the task asks; None when the notes hold no action items."""
    day = _events_day(events)
    digest = _whole(work, "digest_notes", path=path, date=day.date().isoformat() if day else "")
    if not digest or not digest.startswith("Meeting notes "):
        return None
    section = digest.split("\nAction items:\n", 1)
    items = [_ITEM.match(ln) for ln in section[1].splitlines()] if len(section) == 2 else []
    actions = [m for m in items[: next((i for i, m in enumerate(items) if not m), None)] if m]
    if not actions:
        return None
    groups: dict[str, list[str]] = {}
    by_owner = bool(_BY_OWNER.search(task))
    for match in actions:
        owner = match["owner"] if match["owner"] != "not named" else "No owner named"
        due = f" (due {match['due']})" if match["due"] != "not given" else ""
        text = _ACTION.sub("", match["text"]).strip()  # "Action: X" under "Action items"
        shown = text if by_owner else f"{text} Owner: {match['owner']}."
        line = f"- [ ] {shown}{due} ({_code(path)} line {match['line']})"
        groups.setdefault(owner if by_owner else "", []).append(line)
    lines: list[str] = []
    for owner in sorted(groups, key=lambda o: (o == "No owner named", o)):
        lines += ([f"## {owner}"] if owner else []) + groups[owner] + [""]
    return Outcome(
        title=f"Action items: {path}",
        lines=lines[:-1],
        did=f"gathered the action items of {path}",
    )


MAX_PARTS = 6
"""Most parts of one long tool answer read (about 10,000 characters)."""


def _whole(work: Work, tool: str, /, **args: object) -> str | None:
    """A tool's whole answer, its parts read one after another (the runner keeps 2,000
    characters of each call); None when it did not answer."""
    first = work.output(tool, **args)
    if first is None:
        return None
    parts = [without_part_line(first)]
    wanted = next_part(first)
    while wanted is not None and len(parts) < MAX_PARTS:
        more = work.output(tool, **args, part=wanted)
        if more is None:
            break
        parts.append(without_part_line(more))
        wanted = next_part(more)
    return "\n".join(parts)


def _events_day(events: Sequence[Event]) -> datetime | None:
    """When the latest event happened: the day relative dates and yearless dates count from."""
    times = [e.time for e in events if e.time]
    return datetime.fromtimestamp(max(times), UTC) if times else None


def _resolved(work: Work, names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(p for n in names[:3] if (p := work.resolve(n)) is not None))


def _document_summary(
    work: Work, path: str, subjects: TaskSubjects, events: Sequence[Event]
) -> Outcome:
    """A thread's final state, meeting notes' digest, else the document's central sentences."""
    thread = _whole(work, "digest_thread", path=path)
    if thread and thread.startswith("Thread "):
        return Outcome(
            title=f"Summary: {path}",
            lines=_cited(thread.splitlines(), path),
            did=f"read the thread in {path} to its final state",
        )
    day = _events_day(events)
    digest = _whole(work, "digest_notes", path=path, date=day.date().isoformat() if day else "")
    if digest and digest.startswith("Meeting notes ") and _wants_digest(digest, subjects.task):
        return Outcome(
            title=f"Summary: {path}",
            lines=_notes_digest(digest, path, subjects.task),
            did=f"sorted {path} into decisions, action items and open questions",
        )
    if _FACTS.search(subjects.task):
        return _key_facts(work, path)
    return _summary_of(work, path, "Summary")


_NOTES_TASK = re.compile(r"\bmeeting|\bminutes\b|\bnotes\b|stand-?up|retro\w*|\bsync\b", re.I)
MIN_DIGEST_ITEMS = 3
"""Decisions, actions and questions a document needs before it is digested unasked."""


def _wants_digest(digest: str, task: str) -> bool:
    """Whether to give the notes' digest: the task asks for its lists or names notes, or the
    document reads as notes (several items, an action among them), not prose that says
    'confirmed' once."""
    if _NOTES_TASK.search(task) or any(p.search(task) for _, p in _LIST_NAMES[:3]):
        return True
    counts: dict[str, int] = {}
    current = ""
    for line in digest.splitlines():
        section = _SECTION.match(line)
        current = section.group(1) if section else current
        if line.startswith("- line "):
            counts[current] = counts.get(current, 0) + 1
    listed = sum(v for k, v in counts.items() if k != "Other dated points")
    return listed >= MIN_DIGEST_ITEMS and counts.get("Action items", 0) >= 1


def _cited(lines: Sequence[str], path: str) -> list[str]:
    """Tool lines '- line N: text' as '- text (`path` line N)'."""
    out = []
    for line in lines:
        match = re.match(r"^- line (\d+): (.*)$", line)
        out.append(f"- {match.group(2)} ({_code(path)} line {match.group(1)})" if match else line)
    return out


def _notes_digest(digest: str, path: str, task: str) -> list[str]:
    """The digest's sections under the names the task gives them, those it names first."""
    sections: dict[str, list[str]] = {}
    head = ""
    current = ""
    for line in digest.splitlines():
        section = _SECTION.match(line)
        if section:
            current = section.group(1)
            sections[current] = []
            continue
        item = _ITEM.match(line)
        if item and current:
            text = item["text"]
            if item["owner"] is not None:
                text += f" Owner: {item['owner']}. Due: {item['due']}."
            sections[current].append(f"- {text} ({_code(path)} line {item['line']})")
        elif not head:
            head = line
    named: list[tuple[int, str, str]] = []
    for section, pattern in _LIST_NAMES:
        match = pattern.search(task)
        if match:
            heading = match.group(1)
            named.append((match.start(), section, heading[:1].upper() + heading[1:]))
    order = [(section, heading) for _, section, heading in sorted(named)]
    order += [(s, s) for s, _ in _LIST_NAMES if s not in {o[0] for o in order}]
    lines = [head]
    for section, heading in order:
        items = sections.get(section, [])
        if items:
            lines += ["", f"{heading}:", *items]
        elif heading != section:  # the task asked for this list: say it is empty
            lines += ["", f"{heading}: none in the notes."]
    return lines


def _key_facts(work: Work, path: str) -> Outcome:
    """The central sentences that carry concrete facts (dates, amounts, numbers) first."""
    summary = work.output("summarise_document", path=path, sentences=12)
    if summary is None:
        return _summary_of(work, path, "Summary")
    quoted = [ln for ln in summary.splitlines()[1:] if ln.startswith("- line ")]
    factual = [ln for ln in quoted if _CONCRETE.search(ln.split(":", 1)[1])]
    chosen = (factual or quoted)[:6]
    return Outcome(
        title=f"Key facts: {path}",
        lines=[
            f"The facts {_code(path)} states (its central sentences with dates, amounts or "
            "numbers), in its order:",
            *_cited([ln.replace('"', "", 2) if ln.count('"') == 2 else ln for ln in chosen], path),
        ],
        did=f"picked the key facts of {path}",
    )


# --- organise: tables and dated items -----------------------------------------------------------


_ITEMISED = re.compile(
    r"\blist(?:ing|ed)? (?:each|every|all)\b|\beach \w+ under\b|\bunder (?:its|their|each)\b"
    r"|\bitemi[sz]\w*|\bline by line\b|\bwith (?:the|its|their) (?:rows|items|entries)\b",
    re.I,
)
"""A task that wants each group's rows listed under its total, not the totals alone."""


def _group_totals(work: Work, path: str, task: str) -> Outcome | None:
    """A table's amounts totalled per the column the task names (else a category column)."""
    by = next((m.group(1) for m in _BY_COLUMN.finditer(task) if m.group(1).isalpha()), "")
    report = _whole(work, "group_totals", path=path, by=by, rows=bool(_ITEMISED.search(task)))
    if report is None or report.startswith("Error:"):
        return None
    return Outcome(
        title=f"Totals: {path}",
        lines=report.splitlines(),
        did=f"totalled {path} per category",
    )


def _timeline(work: Work, paths: Sequence[str], events: Sequence[Event]) -> Outcome | None:
    """The dated items of the documents, one heading per day, in date order."""
    day = _events_day(events)
    report = _whole(work, "dated_items", paths=list(paths), year=day.year if day else 0)
    if report is None or report.startswith("Error:"):
        return None
    return Outcome(
        title=f"In date order: {', '.join(paths)}"[:180],
        lines=report.splitlines(),
        did=f"put the dated items of {', '.join(paths)} in date order",
    )


MOSTLY_DATED = 0.6
"""A document whose entries name a date this often is organised by date, unasked."""


def _mostly_dated(numbered: dict[int, str]) -> bool:
    """Whether most entries of a document name a calendar date (bookings, a schedule)."""
    entries = [t for t in numbered.values() if t.strip() and not t.lstrip().startswith("#")]
    if len(entries) < 3:
        return False
    dated = sum(bool(_DAY_NAMED.search(t)) for t in entries)
    return dated >= MOSTLY_DATED * len(entries)


_DAY_NAMED = re.compile(
    r"\b(?:19|20)\d\d-[01]\d-[0-3]\d\b|\b[0-3]?\d(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul"
    r"|aug|sep|oct|nov|dec)[a-z]*\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
    r"\s+[0-3]?\d\b",
    re.IGNORECASE,
)
"""A calendar date in a line (the same forms tools/dates.py reads)."""


# --- organise: lists restructured ----------------------------------------------------------------


_MERGE_TASK = re.compile(
    r"\bduplicat\w*|\bde-?dup\w*|\bmerge\b|\bmerging\b"
    r"|\bone (?:row|line|entry|record) (?:per|for each)\b"
    r"|\bsame (?:person|people|customer|member|contact)\b",
    re.I,
)
"""A task that asks for a table's duplicate rows merged."""
_KEY_PHRASES = (
    re.compile(r"\b([a-z][\w-]*?)(?:e?s)? (?:that|which) (?:differ|vary) only\b", re.I),
    re.compile(r"\bsame ([a-z][\w-]*(?: address| name| number)?)", re.I),
    re.compile(
        r"(?<!sorted )(?<!sort )(?<!order )(?<!ordered )\b(?:by|on|matching|using) "
        r"(?:the |their )?([a-z][\w-]*)(?: address)?",
        re.I,
    ),
)
_SORT_PHRASE = re.compile(
    r"\b(?:sort|order|alphabeti[sz]e)\w*(?: \w+){0,3}? by (?:the |their )?([a-z]+(?:[ _]name)?)",
    re.I,
)
_COLUMNS_ASKED = re.compile(
    r"\bcolumns?\s*(?:[:(]\s*)?((?:[\w.-]+(?: [\w.-]+)?\s*,\s*)+(?:and\s+)?[\w.-]+)", re.I
)
_NAMES_FIRST = re.compile(r"\bfirst[ -]?(?:name )?(?:then )?last\b|\bgiven name first\b", re.I)
_LOWER_CASE = re.compile(r"\blower[- ]?case\b|\bnormali[sz]e\w*|\bclean(?:ed)?[- ]up names\b", re.I)
"""A task that asks for names and emails written one way."""
_EARLIEST = re.compile(
    r"\b(?:earliest|oldest|first)\b(?:[^.;,]){0,20}\bdates?\b|\bearliest\b", re.I
)
_LATEST = re.compile(r"\b(?:latest|most recent|newest)\b", re.I)
_MAKE_VERB = re.compile(
    r"\b(?:create|write|make|produce|generate|save|build|export)\b[^.;]{0,60}$|\b(?:into|as|to) $",
    re.I,
)


def _made_file(work: Work, task: str, names: Sequence[str]) -> str | None:
    """The table file a task asks to make ("Create 'clean.csv' ...", "... into 'out.csv'"):
    named after a making verb, or named and not there yet while another table is."""
    quoted = [m for m in re.finditer(r"'([^'\s]+)'", task) if m.group(1) in names]
    for match in quoted:
        if _MAKE_VERB.search(task[max(0, match.start() - 60) : match.start()]):
            if len(names) > 1:
                return match.group(1)
    missing = [n for n in names if work.resolve(n) is None]
    return missing[0] if missing and len(missing) < len(names) else None


def _merged(work: Work, path: str, task: str, target: str | None = None) -> Outcome | None:
    """A table's duplicate rows merged by the key the task names, sorted as it asks, with the
    columns, name order and kept dates it asks; written to the file it asks to make."""
    if not _MERGE_TASK.search(task):
        return None
    sort = _SORT_PHRASE.search(task)
    keys = [m.group(1) for p in _KEY_PHRASES for m in p.finditer(task)]
    skip = {"ignoring", "case", "person", "people", "customer", "member", "contact"}
    if sort:
        skip.add(sort.group(1).split()[0].lower())
    asked = _COLUMNS_ASKED.search(task)
    columns = re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", asked.group(1)) if asked else []
    dates = "latest" if _LATEST.search(task) else "earliest" if _EARLIEST.search(task) else ""
    for key in [*dict.fromkeys(k for k in keys if k.lower() not in skip), ""]:
        report = _whole(
            work,
            "merge_duplicates",
            path=path,
            key=key,
            sort_by=sort.group(1) if sort else "",
            columns=[c.strip() for c in columns if c.strip()],
            names_first=bool(_NAMES_FIRST.search(task) or _LOWER_CASE.search(task)),
            dates=dates,
        )
        if report and not report.startswith("Error:"):
            return _rewritten(work, path, report, "merged the duplicate rows of", target=target)
    return None


_IMPORTS_TASK = re.compile(r"\bimports?\b|\bisort\b", re.I)
_UNUSED_TASK = re.compile(
    r"\bunused\b|\bnot used\b|\bnever used\b|\b(?:remove|drop|delete)\b", re.I
)


def _lines_deduped(work: Work, path: str, task: str, names: Sequence[str]) -> Outcome | None:
    """A list's repeated entries dropped when the task asks for duplicates removed (and no
    other order): to the file it asks to make, in place when it says to rewrite, else a draft."""
    if not _MERGE_TASK.search(task) or _ALPHA_TASK.search(task) or _DEADLINE_TASK.search(task):
        return None
    report = _whole(work, "dedupe_lines", path=path)
    if not report or report.startswith("Error:"):
        return None
    others = [n for n in names if n != path and extension(n) in DOCUMENT_EXTENSIONS]
    target = _made_file(work, task, [path, *others]) if others else None
    name = path.rsplit("/", 1)[-1]
    if target is None and re.search(_REWRITE_IN_PLACE.format(re.escape(name)), task, re.I):
        target = path
    return _rewritten(work, path, report, "dropped the repeated entries of", "Deduplicated", target)


def _imports_tidied(work: Work, subjects: TaskSubjects) -> Outcome | None:
    """A Python file's imports put in PEP 8 groups by ruff (the unused ones dropped when the
    task asks), written back to the file: only its import block changes, so nothing is lost."""
    if not _IMPORTS_TASK.search(subjects.task):
        return None
    for name in subjects.files_with(frozenset({"py", "pyi"}))[:2]:
        path = work.resolve(name)
        unused = bool(_UNUSED_TASK.search(subjects.task))
        report = _whole(work, "tidy_imports", path=path, remove_unused=unused) if path else None
        if report and "does not parse" in report:
            # Said plainly rather than a generic checklist: the file must parse first.
            return Outcome(
                title=f"Imports: {path}",
                lines=[report.removeprefix("Error: ")],
                did=f"could not sort the imports of {path}",
            )
        if not report or report.startswith("Error:"):
            continue
        said, _, text = report.partition("\n\n")
        if "nothing to change" in said:
            return Outcome(
                title=f"Imports: {path}", lines=[said], did=f"checked the imports of {path}"
            )
        done = work.call("write_file", file_path=path, text=text)
        where = f"{path} is updated" if done.ok else f"{path} could not be written"
        return Outcome(
            title=f"Imports: {path}",
            # The new block is in the file itself; a second copy here would only repeat it.
            lines=[said, "", f"{where} in place (only its import block changed)."],
            did=f"sorted the imports of {path}",
        )
    return None


_EMPTY_HEADING = re.compile(
    r"^(?:#{1,6}\s+\S.*|[A-Z][\w /&'-]{1,40}:[ \t]*)\n(?:[ \t]*\n)*"
    r"(?=#{1,6}\s|[A-Z][\w /&'-]{1,40}:[ \t]*(?:\n|\Z)|\Z)",
    re.M,
)
MIN_EMPTY_HEADINGS = 2
"""Empty headings that make a document a template to fill (a title alone is not one)."""


def template_filled(work: Work, subjects: TaskSubjects) -> Outcome | None:
    """Raw notes sorted into the empty headings of the document the person set up for them
    (Decisions / Action items / Open questions...), written into that document: its own
    text stays, each heading gains the note lines that belong under it."""
    documents = _resolved(work, subjects.files_with(DOCUMENT_EXTENSIONS))
    if len(documents) < 2:
        return None
    texts = {p: "\n".join(_read_all(work, p).values()) + "\n" for p in documents[:4]}
    templates = [
        p for p, t in texts.items() if len(_EMPTY_HEADING.findall(t)) >= MIN_EMPTY_HEADINGS
    ]
    notes = [p for p, t in texts.items() if p not in templates and len(t.split("\n")) > 3]
    if len(templates) != 1 or not notes:
        return None
    report = _whole(work, "fill_template", path=templates[0], notes_path=notes[0])
    if not report or report.startswith("Error:"):
        return None
    head, _, body = report.partition("\n\n")
    done = work.call("write_file", file_path=templates[0], text=body)
    where = "written into it" if done.ok else "not written (the workspace refused it)"
    return Outcome(
        title=f"Filled: {templates[0]}",
        lines=[head, f"The sorted notes are {where}; {notes[0]} is unchanged."],
        did=f"sorted {notes[0]} into the sections of {templates[0]}",
    )


_DEADLINE_TASK = re.compile(
    r"\b(?:re-?)?(?:sort|order|arrange|rank|list|rewrite|put|prioriti[sz]e)\w*\b(?:[^.;]|\.(?=\w)){0,60}?"
    r"\b(?:by|in)\s+"
    r"(?:\w+\s+){0,2}"
    r"(?:deadlines?|due[ -]dates?|dates?|due|when (?:it|they|each \w+)(?:'s| is| are)? due)\b"
    r"|\bchronologic\w*|\b(?:earliest|soonest|most urgent) (?:first|on top)\b",
    re.I,
)
"""A task that asks for a list in deadline order."""
_NOT_ONE_LIST = re.compile(r"\bgroup\w*|\bsections?\b|\bheadings?\b|\bper (?:project|tag)\b", re.I)
_FORMAT_ASKED = re.compile(
    r"(?<![\w])((?:YYYY|YY|MMMM|MMM|MM|DD|D|Month|Mon)"
    r"(?:[-/. ,]+(?:YYYY|YY|MMMM|MMM|MM|DD|D|Month|Mon)){1,2})(?![\w])"
)
_TAGS_ASKED = re.compile(r"\[([^\]\s][^\]]{0,24})\]")
_TAG_LIST = re.compile(
    r"\btag(?:ged|s)?\b[^.;:]{0,30}?(?:with|as|from|:)\s*((?:[A-Z][\w-]*\s*(?:,|/)\s*)+"
    r"(?:(?:or|and)\s+)?[A-Z][\w-]*)"
)
_REWRITE_IN_PLACE = r"\b(?:rewrite|update|overwrite|edit|redo)\b[^.;]{{0,15}}'{}'|\bin place\b"


def _deadline_sorted(work: Work, path: str, task: str, events: Sequence[Event]) -> Outcome | None:
    """A to-do list as one list in deadline order, each deadline written as the task asks and
    each item given the tag it asks; the file itself rewritten when the task says so."""
    if not _DEADLINE_TASK.search(task) or _NOT_ONE_LIST.search(task):
        return None
    if _buckets_asked(task) and len(_buckets_asked(task)) > 1:
        return None
    fmt = _FORMAT_ASKED.search(task)
    tags = _TAGS_ASKED.findall(task)
    if not tags and (listed := _TAG_LIST.search(task)):
        tags = re.split(r"\s*(?:,|/|\bor\b|\band\b)\s*", listed.group(1))
    year = re.search(r"\b(?:in|of|for|are)\s+((?:19|20)\d\d)\b", task)
    today = _stated_day(events) or _today_of(task, events)[0]
    report = _whole(
        work,
        "sort_by_deadline",
        path=path,
        year=int(year.group(1)) if year else (today.year if today else 0),
        fmt=fmt.group(1) if fmt else "YYYY-MM-DD",
        tags=[t.strip() for t in tags if t.strip()],
        today=today.isoformat() if today else "",
    )
    if not report or report.startswith("Error:"):
        return None
    name = path.rsplit("/", 1)[-1]
    in_place = re.search(_REWRITE_IN_PLACE.format(re.escape(name)), task, re.I)
    return _rewritten(
        work,
        path,
        report,
        "sorted by deadline the items of",
        "Sorted",
        target=path if in_place else None,
    )


_PRIORITY_TASK = re.compile(
    r"\b(?:by|in order of|according to) (?:their |its |the )?(?:priority|importance|urgency)\b"
    r"|\b(?:most (?:urgent|important)|highest[- ]priority|high[- ]priority) (?:first|on top)\b",
    re.I,
)
"""A task that asks for a list most urgent first."""


def _priority_sorted(work: Work, path: str, task: str) -> Outcome | None:
    """A to-do list most urgent first by the priority its items mark; the file rewritten when
    the task says so, else a draft."""
    if not _PRIORITY_TASK.search(task) or _NOT_ONE_LIST.search(task):
        return None
    report = _whole(work, "sort_by_priority", path=path)
    if not report or report.startswith("Error:"):
        return None
    name = path.rsplit("/", 1)[-1]
    in_place = re.search(_REWRITE_IN_PLACE.format(re.escape(name)), task, re.I)
    return _rewritten(
        work, path, report, "sorted by priority the items of", "Sorted", path if in_place else None
    )


def _stated_day(events: Sequence[Event]) -> date | None:
    """The day the latest event that names a full date (with its year) says it is."""
    for event in reversed(events):
        found = [f for f in find_dates(event.text, 1) if f.explicit_year]
        if found:
            return found[0].day
    return None


_AGGREGATE = re.compile(
    r"\b(?:sub)?totals?\b|\bsum\w*|\bper\b|\bgroup\w*|\bcount\w*|\baverage", re.I
)
"""A task that asks for figures over rows, not the rows themselves."""


def _columns_picked(work: Work, path: str, task: str, target: str | None) -> Outcome | None:
    """A new table the task makes from another with the columns it lists (sorted as it asks),
    written to the file it names."""
    asked = _COLUMNS_ASKED.search(task)
    if target is None or asked is None or _AGGREGATE.search(task):
        return None
    columns = [c.strip() for c in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", asked.group(1))]
    sort = _SORT_PHRASE.search(task)
    report = _whole(
        work,
        "pick_columns",
        path=path,
        columns=[c for c in columns if c],
        sort_by=sort.group(1) if sort else "",
    )
    if not report or report.startswith("Error:"):
        return None
    return _rewritten(work, path, report, "kept the asked columns of", "Columns", target=target)


def _rewritten(
    work: Work,
    path: str,
    report: str,
    did: str,
    title: str = "Reorganised",
    target: str | None = None,
) -> Outcome:
    """A tool's restructured copy of a file: what the tool says it did, then the new text,
    written to the file the task asks to make (`target`), else to the assistant's drafts (the
    person's own file stays as it was). The new text is the report's last block when its head
    lists items (merges, categories), else all that follows its first line."""
    head, _, body = report.partition("\n\n")
    if "\n" in head:
        head, _, body = report.rpartition("\n\n")
    target = target or f"drafts/{path.rsplit('/', 1)[-1]}"
    done = work.call("write_file", file_path=target, text=body.rstrip("\n") + "\n")
    where = f"written to {target}" if done.ok else "not written (the workspace refused it)"
    kept = f"{path} itself is unchanged" if target != path else "the old order is replaced"
    return Outcome(
        title=f"{title}: {path}",
        lines=[
            *head.splitlines(),
            "",
            f"The new version is {where}; {kept}.",
            "",
            *body.splitlines(),
        ],
        did=f"{did} {path}",
    )


_REGROUP_TASK = re.compile(
    r"\bgroup\w*|\bsort\w*|\border\w*|\bdue\b|\bdone\b|\bcompleted\b|\bre-?organi[sz]\w*"
    r"|\bby (?:project|tag|context|area|priority)",
    re.I,
)
_SECTIONS_TASK = re.compile(
    r"\bsections?\b|\btopics?\b|\bthemes?\b|\bheadings?\b|\binbox\b|\bsort\w*\b|\bgroup\w*"
    r"|\bcategori[sz]\w*|\btidy\b|\bre-?organi[sz]\w*",
    re.I,
)
_BOX = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+\[[ xX]\]\s+")
_LOOSE = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_TYPED_HEADING = re.compile(r"'#{1,6}\s+([^'#]{1,40})'")
"""A heading the person typed, quoted in an event ('The user types '## Travel' ...')."""


_BY_LABEL = re.compile(r"\btags?\b|\bowners?\b|\bby (?:person|people|name|who)\b", re.I)
"""A grouping the entries' own labels answer (their tags, their owners), not topics."""


def _entries_of(work: Work, path: str) -> tuple[list[str], int, int]:
    """A document's entries (not headings or blank lines), and how many are checkboxes and
    how many plain bullets."""
    numbered = _numbered(work.output("read_lines", path=path))
    entries = [t for t in numbered.values() if t.strip() and not t.lstrip().startswith("#")]
    boxes = sum(bool(_BOX.match(t)) for t in entries)
    return entries, boxes, sum(bool(_LOOSE.match(t)) for t in entries) - boxes


def _regrouped(
    work: Work, path: str, subjects: TaskSubjects, events: Sequence[Event]
) -> Outcome | None:
    """A to-do list regrouped (open items by group and due date, done ones apart), when the
    document is mostly checkboxes and the task asks to group, sort or reorganise it."""
    entries, boxes, _ = _entries_of(work, path)
    task = subjects.task
    if boxes < 2 or boxes * 2 < len(entries) or not _REGROUP_TASK.search(task):
        return None
    by = re.search(r"\bby (tag|project|context|area)", task, re.I)
    day = _events_day(events)
    report = _whole(
        work,
        "regroup_checklist",
        path=path,
        by=by.group(1) if by else "",
        year=day.year if day else 0,
    )
    if report and not report.startswith("Error:"):
        return _rewritten(work, path, report, "regrouped")
    return None


def _sorted_notes(
    work: Work, path: str, subjects: TaskSubjects, events: Sequence[Event]
) -> Outcome | None:
    """Loose notes sorted into the sections the task or the person's typed headings name (else
    common topics), when the document is a list of plain bullets and the task asks to sort it
    (not by tag or owner, which the document's own labels answer, nor by date)."""
    entries, boxes, loose = _entries_of(work, path)
    task = subjects.task
    if boxes or loose < 4 or loose * 2 < len(entries) or not _SECTIONS_TASK.search(task):
        return None
    if _BY_LABEL.search(task) or sum(bool(_TAG.search(e)) for e in entries) * 2 >= len(entries):
        return None
    typed = [m.group(1).strip() for e in events for m in _TYPED_HEADING.finditer(e.text)]
    sections = list(dict.fromkeys([*subjects.sections, *typed]))
    if not sections and _mostly_dated(dict(enumerate(entries, start=1))):
        return None
    # Sections the task lists are all it wants; a heading the person typed is only a start.
    only = bool(subjects.sections)
    report = _whole(work, "sort_notes", path=path, sections=sections, only_named=only)
    if report and not report.startswith("Error:"):
        return _rewritten(work, path, report, "sorted into sections")
    return None


_CATEGORISE_TASK = re.compile(
    r"\bcategori[sz]\w*|\bcategory column|\busing the categories|\bcategories (?:in|from|of)\b",
    re.I,
)


def _categorised(work: Work, path: str, subjects: TaskSubjects) -> Outcome | None:
    """A table's rows given the categories a rules document names, subtotalled, when the task
    asks for categories from such a document."""
    if not _CATEGORISE_TASK.search(subjects.task):
        return None
    for name in subjects.files_with(DOCUMENT_EXTENSIONS)[:2]:
        rules = work.resolve(name)
        report = _whole(work, "categorise_rows", path=path, rules_path=rules) if rules else None
        if report and not report.startswith("Error:"):
            return _rewritten(work, path, report, "categorised the rows of", "Categorised")
    return None


_ALPHA_TASK = re.compile(
    r"\balphabeti\w*|\bA\s*(?:-|–|to)\s*Z\b|\b(?:sort|order)\w*(?: [\w']+){0,4}? by (?:the |their "
    r"|each \w+'s |first )*(?:author|surname|last name|family name|name|title)s?\b",
    re.I,
)
"""A task that asks for a list's entries in alphabetical order."""
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+")


def _sort_key(entry: str) -> str:
    """An entry's alphabetical key: its text without bullet, numbering or markup, case and
    accents folded."""
    text = _BULLET.sub("", entry).lstrip("*_[\"'( ")
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


def _alphabetised(work: Work, path: str, task: str) -> Outcome | None:
    """A list's entries (one a line) in alphabetical order, exact repeats dropped when the task
    asks for duplicates removed; headings stay on top, a numbered list is renumbered."""
    if not _ALPHA_TASK.search(task):
        return None
    numbered = _read_all(work, path)
    heads = [t for t in numbered.values() if t.lstrip().startswith("#")]
    entries = [(n, t.rstrip()) for n, t in numbered.items() if t.strip() and t not in heads]
    if len(entries) < 2:
        return None
    kept: dict[str, tuple[int, str]] = {}
    dropped: list[str] = []
    dedupe = bool(_MERGE_TASK.search(task) or re.search(r"\brepeat|\btwice\b", task, re.I))
    for number, text in entries:
        key = " ".join(_sort_key(text).split())
        if dedupe and key in kept:
            dropped.append(f"line {number} repeats line {kept[key][0]}")
            continue
        kept[f"{key}\0{number}" if key in kept else key] = (number, text)
    ordered = [kept[k] for k in sorted(kept)]
    renumber = all(_NUMBERED.match(t) for _, t in ordered)
    body = [
        _NUMBERED.sub(f"{i}. ", t, count=1) if renumber else t
        for i, (_, t) in enumerate(ordered, start=1)
    ]
    head = f"{len(ordered)} entries of {path} in alphabetical order"
    head += f"; removed {len(dropped)} duplicate(s): {'; '.join(dropped)}." if dropped else "."
    if dedupe and not dropped:
        head += " No entry appears twice."
    report = "\n".join([head, "", *heads, *body])
    return _rewritten(work, path, report, "sorted alphabetically", "Sorted")


_BUCKETS = (
    ("past", r"over-?due|past[ -]due|late|missed|expired"),
    ("today", r"(?<!as of )(?<!from )(?:due )?today(?!\s+is\b|'s\b)"),
    ("tomorrow", r"(?:due )?tomorrow"),
    ("week", r"this week|(?:the )?(?:next|coming) (?:7|seven) days|the rest of the week"),
    ("next_week", r"next week"),
    ("month", r"(?:later )?this month"),
    ("later", r"later|upcoming|someday|future|afterwards|the rest"),
    ("none", r"no (?:due )?date|undated|unscheduled"),
)
"""Sections a task may ask dated items sorted into, by when they fall against today."""
_BUCKET = re.compile("|".join(rf"(?P<{k}>'(?:{p})'|\b(?:{p})\b)" for k, p in _BUCKETS), re.I)
_TODAY_CUE = re.compile(r"\b(?:today is|as of|it is|it's|now is|current date(?: is)?:?)\s+", re.I)
_UNTIL_CUE = re.compile(r"\b(?:up to|until|till|through|to|ending|ends)\s+", re.I)


def _buckets_asked(task: str) -> list[tuple[str, str]]:
    """(bucket, heading) of each time section the task names, in its order; the heading is the
    task's own words for it."""
    found: dict[str, str] = {}
    for match in _BUCKET.finditer(task):
        kind = match.lastgroup or ""
        words = match.group(0).strip("'")
        found.setdefault(kind, words[:1].upper() + words[1:])
    return list(found.items())


def _today_of(task: str, events: Sequence[Event]) -> tuple[date | None, date | None]:
    """The day the task counts from (a date it says is today, else the events' day) and the
    last day of 'this week' it gives ('up to Sunday 14 June'), else None."""
    day = _events_day(events)
    year = day.year if day else date.today().year
    dates = find_dates(task, year)
    today = next(
        (
            d.day
            for d in dates
            if (c := _TODAY_CUE.search(task[: d.start]))
            and not task[c.end() : d.start].strip(" ,").count(" ") > 1
        ),
        None,
    )
    if today is None and day is not None:
        today = day.date()
    until = next(
        (d.day for d in dates if _UNTIL_CUE.search(task[max(0, d.start - 20) : d.start])), None
    )
    return today, until


def _due_buckets(work: Work, path: str, task: str, events: Sequence[Event]) -> Outcome | None:
    """A list's dated entries put in the time sections the task names (overdue, this week,
    later...), counted from today, each section in date order; entries without a date apart."""
    asked = _buckets_asked(task)
    kinds = [k for k, _ in asked]
    if len(asked) < 2 or not {"past", "today", "week", "next_week"} & set(kinds):
        return None
    today, until = _today_of(task, events)
    if today is None:
        return None
    week_end = until if until and until >= today else today + timedelta(days=6 - today.weekday())
    numbered = _read_all(work, path)
    year = document_year("\n".join(numbered.values()), today.year)
    placed: dict[str, list[tuple[date, int, str]]] = {k: [] for k in kinds}
    undated: list[tuple[int, str]] = []
    for number, text in numbered.items():
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        found = find_dates(text, year)
        if not found:
            undated.append((number, text.strip()))
            continue
        due = found[-1].day
        kind = _bucket_of(due, today, week_end, kinds)
        if kind is None:
            undated.append((number, text.strip()))
        else:
            placed[kind].append((due, number, text.strip()))
    if sum(map(len, placed.values())) < 2:
        return None
    head = [
        f"Dated entries of {path} sorted against today, {day_heading(today)}"
        f" (this week up to {day_heading(week_end)}):"
    ]
    body = [t.strip() for t in numbered.values() if t.lstrip().startswith("#")][:1]
    for kind, heading in asked:
        if kind == "none":
            continue
        body += [f"## {heading}", *(t for _, _, t in sorted(placed[kind]))]
        body += [] if placed[kind] else ["(nothing)"]
        head.append(f"- {heading}: {len(placed[kind])} entries")
    if undated:
        name = dict(asked).get("none", "No date")
        body += [f"## {name}", *(t for _, t in undated)]
        head.append(
            f"- {name}: {len(undated)} entries (lines {', '.join(str(n) for n, _ in undated)})"
        )
    report = "\n".join(["\n".join(head), "", *body])
    return _rewritten(work, path, report, "sorted by due date", "By due date")


def _bucket_of(due: date, today: date, week_end: date, kinds: Sequence[str]) -> str | None:
    """The narrowest time section asked for that a due date falls in (whatever the task's
    order: 'later' takes only what no nearer section does)."""
    tests = {
        "past": due < today,
        "today": due == today,
        "tomorrow": due == today + timedelta(days=1),
        "week": today <= due <= week_end,
        "next_week": week_end < due <= week_end + timedelta(days=7),
        "month": due >= today and (due.year, due.month) == (today.year, today.month),
        "later": due >= today,
    }
    return next((k for k, _ in _BUCKETS if k in kinds and tests.get(k)), None)


_ROW_SORT = re.compile(
    r"\b(?:sort|order|rank|arrange|list)\w*\b(?:[^.;]|\.(?=\w)){0,60}?\bby\s+(?:the\s+|their\s+"
    r"|its\s+|each\s+\w+'s\s+)?(?P<by>[\w -]{1,30}?)(?=\s*[,.;:()]|\s+(?:and|with|from|in|so"
    r"|descending|ascending|largest|smallest|highest|lowest|newest|oldest|latest|earliest"
    r"|first|then|order)\b|\s*$)",
    re.I,
)
"""A task that asks for a table's rows in the order of one column ('sort by due date')."""
_DESCENDING = re.compile(
    r"\bdescending\b|\b(?:largest|highest|biggest|newest|latest|most recent|most|best)\s+"
    r"(?:one\s+|ones\s+)?(?:first|on top|at the top)\b|\bfrom (?:the )?(?:highest|largest|newest"
    r"|latest|most)\b|\bz\s*(?:-|to)\s*a\b|\breverse\b",
    re.I,
)
_NOT_A_SORT = re.compile(
    r"\b(?:sub)?totals?\b|\bgroup\w*|(?<!row )(?<!line )(?<!entry )\bper\b|\bsum\b", re.I
)
"""A task that asks for groups or totals, not rows re-ordered ('one row per loan' is a sort)."""


def _rows_sorted(work: Work, path: str, task: str, target: str | None = None) -> Outcome | None:
    """A table's rows in the order of the column the task names (largest or latest first when
    it asks), written to the file the task makes (`target`), else to the drafts; not when it
    asks for groups or totals."""
    asked = _ROW_SORT.search(task)
    if not asked or _NOT_A_SORT.search(task):
        return None
    report = _whole(
        work, "sort_rows", path=path, by=asked["by"], descending=bool(_DESCENDING.search(task))
    )
    if report is None or report.startswith("Error:"):
        return None
    return _rewritten(work, path, report, "sorted the rows of", "Sorted", target=target)
