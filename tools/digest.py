"""`digest_notes` and `digest_thread`: what meeting notes decided and who does what by when, and
where an email thread ended up.

Both read one project document and only sort its own sentences: each item is quoted verbatim with
the line it stands on, so a digest can cite nothing the document does not hold. Meeting notes
give decisions, action items (owner and due date, a relative 'by Friday' resolved against the
notes' date), open questions and other dated points. A thread is split into its messages
(From:/Date: headers, 'On ... wrote:' quotes and separators), ordered by date, and its final
state told apart from what later messages superseded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.dates import (
    day_heading,
    day_text,
    document_year,
    find_clock,
    find_dates,
    parse_iso_day,
    relative_day,
)
from tools.paging import paged
from tools.project import ProjectFileError, read_text, relative

MAX_ITEMS = 12
"""Most items one section of a digest lists."""
MAX_ITEM_CHARS = 240
"""Longer items are cut with '...'."""

_FENCE = re.compile(r"^\s*(```|~~~)")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9@])")
_QUESTION = re.compile(
    r"\bno decision\b|\bnot (?:yet )?decided\b|\bundecided\b|\brevisit\b|\bTBD\b|\bTBC\b"
    r"|\bto be (?:decided|confirmed|agreed)\b|\bopen question\b|\bunresolved\b|\bpending\b"
    r"|\bstill (?:unclear|open)\b|\?\s*$",
    re.IGNORECASE,
)
_DECISION = re.compile(
    r"\b(?:agreed|agree to|decided|decision|approved|we will not|we won't"
    r"|drop(?:ped|ping)?|chose|chosen|go(?:ing)? with|settled on|confirmed|resolved to"
    r"|rejected|signed off|postponed|cancel(?:led|ed)?)\b",
    re.IGNORECASE,
)
_ACTION_PREFIX = re.compile(
    r"^(?:action(?: item)?|todo|to do|task|ai|next step|follow[- ]up)\s*[:\-–]\s*", re.IGNORECASE
)
_NAME = r"[A-ZÀ-Þ][a-zß-ÿ'’-]+(?:\s[A-ZÀ-Þ][a-zß-ÿ'’-]+)?"
_OWNER_WILL = re.compile(
    rf"(?:^|[;:,.]\s+|\band\s+)(?P<owner>{_NAME}(?:\s(?:and|&)\s{_NAME})?)\s+"
    r"(?:will|to|is going to|has to|needs to|must|should|agreed to|offered to|volunteered to"
    r"|takes|owns|handles|picks up|is taking|takes on|takes over)"
    r"\s+(?!be\b|have\b)[a-z]",
)
_PRONOUN_WILL = re.compile(
    r"^(?:He|She|They)\s+(?:will|is going to|has to|needs to|must|agreed to|offered to"
    r"|volunteered to|takes|owns|handles)\s+(?!be\b|have\b)[a-z]"
)
"""An action whose doer is a pronoun: the person the sentence before began with does it."""
_SUBJECT_NAME = re.compile(
    r"^(?P<owner>[A-ZÀ-Þ][a-zß-ÿ'’-]+)\s+(?:[a-z]+(?:s|ed)|said|told|asked|thought|found|took"
    r"|gave|made|saw|knew|will|to|is|was|has|had)\b"
)
"""A sentence that begins with a person doing something ('Jonas thinks ...')."""
_OWNER_LEAD = re.compile(rf"^(?P<owner>{_NAME}(?:\s(?:and|&)\s{_NAME})?)\s+[a-z]+s\b")
_AT_OWNER = re.compile(r"(?<![\w.])@(?P<owner>[A-Za-z][\w.-]*[A-Za-z0-9])")
_OWNER_FIELD = re.compile(rf"\b(?:owner|assignee|assigned to|who)\s*[:=]\s*(?P<owner>{_NAME})")
_NOT_NAMES = frozenset(
    """We I It This That The They He She You Our Everyone Someone Nobody All Team Agreed Decided
    Action Todo Next Also Then Please Note Budget Decision Question Maybe Need Needs Open
    Somebody Anyone Anybody""".split()
)
_BOLD_HEADING = re.compile(r"^\*\*[^*]{1,60}\*\*:?$|^[A-Z][\w ]{0,40}:$")
"""A line that heads a section without '#': '**Decisions**', 'Action items:'."""
_HEADING_KINDS = (
    ("decision", re.compile(r"\bdecisions?\b|\bdecided\b|\bagreed\b|\boutcomes?\b", re.I)),
    (
        "action",
        re.compile(
            r"\baction|\bto-?dos?\b|\bnext steps?\b|\btasks\b|\bfollow-?ups?\b|\bassign", re.I
        ),
    ),
    (
        "question",
        re.compile(
            r"\bquestions?\b|\bopen (?:issues|points|items)\b|\bparking lot\b|\bunresolved\b"
            r"|\brisks?\b|\bblockers?\b",
            re.I,
        ),
    ),
)
"""What every entry under a heading is, by the heading's words."""
_OWNER_LEAD_LABEL = re.compile(rf"^(?P<owner>{_NAME})\s*(?::|—|–|\s-)\s+")
_OWNER_TRAIL = re.compile(
    rf"(?:[(\[](?:owner:\s*)?(?P<owner>{_NAME})[)\]]|(?:—|–|\s-)\s*(?P<owner2>{_NAME}))\s*\.?$"
)
_DUE_WORD = re.compile(
    r"\b(?:by|before|due(?: on| by)?|until|no later than|deadline|ahead of|on|target(?:ed)?"
    r"(?: date)?:?)\s+",
    re.IGNORECASE,
)


_DATING_LINE = re.compile(r"^\s*(?:#|\*\*|(?:date|when|meeting|held|minutes)\b)", re.IGNORECASE)
"""A line that dates the whole notes: a heading or a 'Date:' line, not a sentence in them."""


@dataclass
class Item:
    """One sentence of the notes that a digest lists."""

    line: int
    """The line it starts on."""
    text: str
    """The sentence (or bullet) as written."""
    heading: str = ""
    """The notes' heading it stands under."""
    owner: str = ""
    """Who does it (action items)."""
    due: str = ""
    """When it is due, as '24 Feb 2026' (action items)."""


@dataclass
class NotesDigest:
    """Meeting notes sorted into what was decided, who does what, and what stays open."""

    reference: date | None
    """The day the notes are dated (relative due dates count from it)."""
    reference_line: int = 0
    """The line that dates them (0: the caller's day)."""
    decisions: list[Item] = field(default_factory=list)
    """Decisions taken."""
    actions: list[Item] = field(default_factory=list)
    """Action items with owner and due date."""
    questions: list[Item] = field(default_factory=list)
    """Points left open."""
    dated: list[Item] = field(default_factory=list)
    """Other points that carry a date."""


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_ITEM_CHARS else text[: MAX_ITEM_CHARS - 3] + "..."


def _entries(text: str) -> list[tuple[int, str, str, bool]]:
    """(line, entry text, heading, whether it is a checkbox) for each bullet or paragraph line
    outside code blocks; a bullet's wrapped continuation lines are joined to it."""
    entries: list[tuple[int, str, str, bool]] = []
    heading = ""
    fenced = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if _FENCE.match(raw):
            fenced = not fenced
            continue
        line = raw.strip()
        if fenced or not line:
            continue
        if line.startswith("#") or _BOLD_HEADING.match(line):
            heading = line.strip("#*: ").strip()
            continue
        if set(line) <= set("-=*_ |"):
            continue
        bullet = _BULLET.match(raw)
        if not bullet and raw[:1].isspace() and entries:
            last = entries[-1]
            entries[-1] = (last[0], f"{last[1]} {line}", last[2], last[3])
            continue
        checkbox = bool(bullet and "[" in bullet.group(0))
        entries.append((number, raw[bullet.end() :].strip() if bullet else line, heading, checkbox))
    return entries


def _sentences(entry: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(entry) if s.strip()]


def _owner(sentence: str, listed: bool = False) -> str:
    """Who an action names as doing it; `listed`: it stands under an actions heading or as a
    checkbox, so a leading 'Name:' or a trailing '(Name)' names its owner too."""
    body = _ACTION_PREFIX.sub("", sentence)
    for pattern in (_OWNER_FIELD, _AT_OWNER, _OWNER_WILL):
        match = pattern.search(body)
        if match and match["owner"].split()[0] not in _NOT_NAMES:
            return match["owner"]
    if listed:
        for pattern in (_OWNER_LEAD_LABEL, _OWNER_TRAIL):
            match = pattern.search(body)
            owner = match and (match["owner"] or match.groupdict().get("owner2"))
            if owner and owner.split()[0] not in _NOT_NAMES:
                return owner
    if _ACTION_PREFIX.match(sentence) or _DEADLINE.search(body):
        # 'Action: Priya renews ...', 'Arjun sends it by Friday'; 'Update docs' names no one
        lead = _OWNER_LEAD.match(body)
        if lead and lead["owner"].split()[0] not in _NOT_NAMES:
            return lead["owner"]
    if _SELF_TASK.match(body):
        return "me (the note-taker)"
    return ""


def _due(sentence: str, reference: date | None, year: int) -> str:
    """The due date a sentence gives ('before 24 Feb', 'by Friday'), as '24 Feb 2026'."""
    dates = find_dates(sentence, year)
    cue = _DUE_WORD.search(sentence)
    if dates:
        after = [d for d in dates if cue and d.start >= cue.end()] or dates
        return day_text(after[0].day)
    if reference is not None and cue:
        day = relative_day(sentence[cue.start() :], reference)
        if day is not None:
            return f"{day_heading(day)} ({cue.group(0).strip()} {_relative_words(sentence, cue)})"
    return ""


def _relative_words(sentence: str, cue: re.Match[str]) -> str:
    return " ".join(sentence[cue.end() :].split()[:2]).rstrip(".,;")


_UNOWNED = re.compile(
    r"^(?:someone|somebody|anyone)\s+(?:should|needs? to|must|has to|have to|ought to)\s+"
    r"|\bno owner\b|\bunassigned\b|\bneeds? an owner\b|\bowner\s*[:=]\s*(?:tbd|none|\?)",
    re.IGNORECASE,
)
"""A task said to need doing that nobody has taken yet: an action item without an owner."""


_DEADLINE = re.compile(
    r"\b(?:by|before|due|until|no later than|deadline)\s+(?:(?:next|this|the|end of)\s+)?"
    r"(?:\d|(?:mon|tues|wednes|thurs|fri|satur|sun)day|jan|feb|mar|apr|may|jun|jul|aug|sep|oct"
    r"|nov|dec|tomorrow|tonight|eod|eow|noon|monday|week|month)",
    re.IGNORECASE,
)
"""A deadline in a sentence ('by Friday 6 March', 'before 13 March')."""
_SELF_TASK = re.compile(
    r"^(?:I|we)\s+(?:need to|have to|must|will|'ll|should|am going to|are going to|still need to"
    r"|(?:have|has) got to)\s+(?!be\b|have\b)[a-z]",
    re.IGNORECASE,
)
"""A task the note-taker sets themselves ('I need to get legal to look at ...')."""


def _is_action(sentence: str) -> bool:
    if _ACTION_PREFIX.match(sentence) or _AT_OWNER.search(sentence) or _UNOWNED.search(sentence):
        return True
    match = _OWNER_WILL.search(sentence)
    if match and match["owner"].split()[0] not in _NOT_NAMES:
        return True
    # 'Arjun sends them the forecast by Friday': a named person doing something by a deadline;
    # 'I need to ... before 13 March': the note-taker's own task with a deadline.
    lead = _OWNER_LEAD.match(sentence)
    if lead and lead["owner"].split()[0] not in _NOT_NAMES and _DEADLINE.search(sentence):
        return True
    return bool(_SELF_TASK.match(sentence) and _DEADLINE.search(sentence))


def _reference_day(text: str, name: str, given: date | None, year: int) -> tuple[date | None, int]:
    """The day the notes are dated: a date in their first lines or their file name, else the
    day the caller gives."""
    for number, line in enumerate(text.splitlines()[:5], start=1):
        found = find_dates(line, year)
        if found and _DATING_LINE.match(line):
            return found[0].day, number
    found = find_dates(Path(name).name, year)
    if found:
        return found[0].day, 0
    return given, 0


def digest_notes_of(text: str, name: str, given: date | None = None) -> NotesDigest:
    """Meeting notes `text` sorted into decisions, action items, open questions, dated points."""
    year = document_year(text, (given or date.today()).year)
    reference, reference_line = _reference_day(text, name, given, year)
    digest = NotesDigest(reference, reference_line)
    for number, entry, heading, checkbox in _entries(text):
        if number == reference_line:
            continue
        under = next((k for k, pattern in _HEADING_KINDS if pattern.search(heading)), "")
        listed = checkbox or under == "action"
        if under == "decision":
            digest.decisions.append(Item(number, _cut(entry), heading))
            continue
        if under == "question":
            digest.questions.append(Item(number, _cut(entry), heading))
            continue
        sentences = [entry] if listed else _sentences(entry)
        if not listed and any(_QUESTION.search(s) for s in sentences):
            digest.questions.append(Item(number, _cut(entry), heading))
            continue
        named = ""
        for sentence in sentences:
            item = Item(number, _cut(sentence), heading)
            said = _PRONOUN_WILL.match(sentence) if named else None
            if listed or _is_action(sentence) or said:
                item.owner = _owner(sentence, listed) or (named if said else "")
                item.due = _due(sentence, reference, year)
                digest.actions.append(item)
            elif _DECISION.search(sentence):
                digest.decisions.append(item)
            elif find_dates(sentence, year) or find_clock(sentence):
                digest.dated.append(item)
            lead = _SUBJECT_NAME.match(sentence)
            if lead and lead["owner"] not in _NOT_NAMES:
                named = lead["owner"]
    return digest


def _notes_text(name: str, digest: NotesDigest) -> str:
    head = f"Meeting notes {name}"
    if digest.reference and digest.reference_line:
        head += f", dated {day_heading(digest.reference)} (line {digest.reference_line})"
    elif digest.reference:
        head += f", read as of {day_heading(digest.reference)}"
    lines = [head + ":"]
    sections = (
        ("Decisions", digest.decisions),
        ("Action items", digest.actions),
        ("Open questions", digest.questions),
        ("Other dated points", digest.dated),
    )
    for title, items in sections:
        lines.append(f"{title}:" if items else f"{title}: none in the notes.")
        for item in items[:MAX_ITEMS]:
            text = f"- line {item.line}: {item.text}"
            if title == "Action items":
                text += f" | owner: {item.owner or 'not named'} | due: {item.due or 'not given'}"
            lines.append(text)
    return "\n".join(lines)


def digest_notes(root: Path, path: str, date_: str = "") -> str:
    """The digest of a project's meeting notes as text, or 'Error: ...'."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    digest = digest_notes_of(text, name, parse_iso_day(date_))
    if not (digest.decisions or digest.actions or digest.questions):
        return (
            f"{name} holds no decisions, action items or open questions "
            "(no 'agreed', 'Name will ...', 'Action:' or 'TBD' lines)."
        )
    return _notes_text(name, digest)


# --- email threads --------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(From|To|Cc|Date|Sent|Subject)\s*:\s*(.*)$", re.IGNORECASE)
_WROTE = re.compile(r"^\s*On (?P<when>.+?),? (?P<who>[^,]+?) wrote:\s*$")
_SEPARATOR = re.compile(r"^\s*(?:[-_=*]{5,}|-+\s*Original Message\s*-+|-+\s*Forwarded.*-+)\s*$")
_FACT = re.compile(
    r"[£$€¥]\s?\d|\d\s?(?:EUR|USD|GBP|euros?|dollars?|pounds?)\b|\b\d{1,2}:\d{2}\b"
    r"|\b\d+\s*(?:people|guests|seats|rooms?|nights?|days?|hours?|percent|%)"
    r"|\b(?:deposit|price|rate|fee|cost|total|capacity|deadline|due)\b",
    re.IGNORECASE,
)
_STRONG_FACT = re.compile(
    r"[£$€¥]\s?\d|\d\s?(?:EUR|USD|GBP|euros?|dollars?|pounds?)\b|\b\d{1,2}:\d{2}\b"
    r"|\b\d+\s*(?:people|guests|seats|rooms?|nights?|days?|hours?|percent|%)",
    re.IGNORECASE,
)
"""An amount, a clock time or a quantity: what makes a message state terms."""
_CHANGE = re.compile(
    r"\b(?:apolog\w*|sorry|unfortunately|instead|no longer|cancel\w*|double[- ]booked"
    r"|moved|changed?|postponed|replaced|not available|unavailable|fell through)\b",
    re.IGNORECASE,
)
_ACCEPT = re.compile(
    r"\b(?:that works|works for (?:me|us)|please book|confirm(?:ed|ing)?|agreed|accept\w*"
    r"|go ahead|sounds good|deal|book it|yes,? please)\b",
    re.IGNORECASE,
)


@dataclass
class Message:
    """One message of a thread."""

    first_line: int
    """The line its headers start on."""
    sender: str
    """Who wrote it (the name, without the address)."""
    when: datetime | None
    """When it was sent, when its Date line parses."""
    when_text: str
    """Its Date line as written."""
    body: list[tuple[int, str]]
    """(line, text) of its own lines: quoted lines and headers left out."""


def _sent_at(text: str, year: int) -> datetime | None:
    found = find_dates(text, year)
    if not found:
        return None
    clock = find_clock(text[found[0].end :]) or find_clock(text) or "00:00"
    hour, minute = (int(p) for p in clock.split(":"))
    return datetime.combine(found[0].day, datetime.min.time()).replace(hour=hour, minute=minute)


def _sender(value: str) -> str:
    name = re.sub(r"<[^>]*>", "", value).strip().strip('"')
    return name or value.strip()


_CHAT_LINE = re.compile(
    r"^\s*\[?(?P<when>[^\]\n]{0,40}?\d{1,2}:\d{2}(?::\d{2})?(?:\s?[apAP][mM])?)\]?"
    r"\s*(?:[-–]\s*)?(?P<who>[A-Za-z@][^:\n]{0,40}?):\s+(?P<said>\S.*)$"
)
"""One message of a chat export: '[2026-02-03 10:14] Jo: ...', '03/02/2026, 10:14 - Jo: ...'."""


def split_chat(text: str) -> list[Message]:
    """The messages of a chat export, one per timestamped 'Name: text' line (continuation lines
    joined to the message above)."""
    year = document_year(text, date.today().year)
    messages: list[Message] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        match = _CHAT_LINE.match(raw)
        if match and find_dates(match["when"], year):
            when = _sent_at(match["when"], year)
            messages.append(Message(number, match["who"].strip(), when, match["when"], []))
            messages[-1].body.append((number, match["said"]))
        elif messages and raw.strip():
            messages[-1].body.append((number, raw))
    # A chat message is one paragraph: its lines end where the next message starts.
    for message in messages:
        message.body.append((message.body[-1][0], ""))
    return messages


def split_messages(text: str) -> list[Message]:
    """The messages of a thread saved as text, in the order they stand in it: email headers
    first, else a chat export's timestamped lines."""
    messages = _split_emails(text)
    if len(messages) < 2:
        chat = split_chat(text)
        if len(chat) >= 2:
            return chat
    return messages


def _split_emails(text: str) -> list[Message]:
    year = document_year(text, date.today().year)
    messages: list[Message] = []
    current: Message | None = None
    in_headers = False
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(raw)
        wrote = _WROTE.match(raw)
        if header and header.group(1).lower() == "from" and not raw.startswith(">"):
            current = Message(number, _sender(header.group(2)), None, "", [])
            messages.append(current)
            in_headers = True
            continue
        if wrote:
            current = Message(number, _sender(wrote["who"]), None, wrote["when"], [])
            current.when = _sent_at(wrote["when"], year)
            messages.append(current)
            in_headers = False
            continue
        if current is None:
            continue
        if in_headers and header:
            if header.group(1).lower() in ("date", "sent"):
                current.when_text = header.group(2).strip()
                current.when = _sent_at(current.when_text, year)
            continue
        in_headers = False
        if raw.lstrip().startswith(">") or _SEPARATOR.match(raw):
            continue
        current.body.append((number, raw))
    return messages


def _body_sentences(message: Message) -> list[tuple[int, str]]:
    """(line, sentence) of a message's own text; greetings and sign-offs are too short to keep."""
    found: list[tuple[int, str]] = []
    paragraph: list[tuple[int, str]] = []
    for number, raw in [*message.body, (0, "")]:
        if raw.strip():
            paragraph.append((number, raw.strip()))
            continue
        if paragraph:
            joined = " ".join(t for _, t in paragraph)
            offsets, at = [], 0
            for line, part in paragraph:
                offsets.append((at, line))
                at += len(part) + 1
            position = 0
            for sentence in _SENTENCE_END.split(joined):
                start = joined.find(sentence, position)
                position = start + len(sentence)
                if len(sentence.split()) >= 4:
                    line = max(ln for off, ln in offsets if off <= max(start, 0))
                    found.append((line, _cut(sentence)))
        paragraph = []
    return found


def _stamp(message: Message) -> str:
    if message.when is None:
        return message.when_text or "undated"
    clock = message.when.strftime("%H:%M")
    return day_heading(message.when.date()) + ("" if clock == "00:00" else f" {clock}")


_ASPECTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("money", re.compile(r"[£$€¥]\s?\d|\d\s?(?:EUR|USD|GBP|euros?|dollars?|pounds?)\b", re.I)),
    ("time", re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s?[ap]\.?m\b", re.I)),
    ("count", re.compile(r"\b\d+\s*(?:people|guests|persons|seats|attendees|heads?)\b", re.I)),
    ("length", re.compile(r"\b\d+\s*(?:nights?|days?|hours?|weeks?|months?)\b", re.I)),
    ("place", re.compile(r"\b(?:room|hall|venue|office|restaurant|hotel|caf[eé]|studio)\b", re.I)),
    ("supplier", re.compile(r"\b(?:book(?:ed|ing)|reserv\w*|cater\w*|supplier|vendor)\b", re.I)),
)
"""What a thread's term sentence settles (a price, a time, a headcount, a place, a supplier);
a later sentence that settles the same thing replaces it."""


def _aspects(sentence: str) -> set[str]:
    found = {name for name, pattern in _ASPECTS if pattern.search(sentence)}
    return found | ({"date"} if find_dates(sentence, 2000) else set())


def _still_standing(sentences: list[list[tuple[int, str]]], current: int) -> list[tuple[int, str]]:
    """Earlier messages' term sentences that settle something no later message settles again
    (the headcount agreed two messages back, the caterer booked before the time moved)."""
    covered: set[str] = set()
    for found in sentences[current:]:
        for _, sentence in found:
            covered |= _aspects(sentence)
    standing: list[list[tuple[int, str]]] = []
    for found in reversed(sentences[:current]):
        settled: set[str] = set()
        kept = []
        for number, sentence in found:
            aspects = _aspects(sentence)
            # Mostly about what nothing later settles: a sentence whose date, time and price
            # were all replaced is superseded even if it also said 'booked'.
            if len(aspects - covered) > len(aspects & covered):
                kept.append((number, sentence))
            settled |= aspects
        covered |= settled
        standing.insert(0, kept)
    return [item for kept in standing for item in kept]


_MONEY = re.compile(
    r"(?P<pre>[£$€¥])\s?(?P<n>\d[\d,]*(?:\.\d+)?)(?![\d,])"
    r"|(?<![\w.,])(?P<n2>\d[\d,]*(?:\.\d+)?)\s?(?P<code>EUR|USD|GBP|CHF|CAD|AUD|SEK|NOK|DKK"
    r"|euros?|dollars?|pounds?|francs?|kr)\b",
    re.IGNORECASE,
)
"""An amount of money with its currency ('2,400 EUR', '£95')."""
_DELTA_BEFORE = re.compile(
    r"\b(?P<verb>up|down|increase[sd]?|decrease[sd]?|rises?|rose|raised?|drops?|dropped|falls?"
    r"|fell|reduced?|cut|lowered|higher|lower|cheaper|more|less)\s+by\s+$"
    r"|\b(?P<extra>extra|additional|further|surcharge of|discount of|rebate of)\s+(?:of\s+)?$",
    re.IGNORECASE,
)
_DELTA_AFTER = re.compile(r"^\s+(?P<word>more|extra|on top|less|cheaper|off)\b", re.IGNORECASE)
_MINUS = re.compile(
    r"down|decrease|drop|fall|fell|reduc|cut|lower|cheaper|less|discount|rebate|off", re.IGNORECASE
)


def _currency(match: re.Match[str]) -> str:
    unit = (match["pre"] or match["code"]).upper().rstrip("S")
    return {"€": "EUR", "EURO": "EUR", "$": "USD", "DOLLAR": "USD", "£": "GBP", "POUND": "GBP"}.get(
        unit, unit
    )


_REQUEST = re.compile(r"\bplease\b|\bcould you\b|\bcan you\b|\bkindly\b|\bremember to\b", re.I)
"""A sentence that asks someone to do something."""


def _amounts_moved(sentences: list[tuple[int, str]]) -> list[str]:
    """Each amount a later message changes by a difference ('the price goes up by 300 EUR'),
    worked out from the latest amount in the same currency stated before it."""
    last: dict[str, tuple[int, Decimal, str]] = {}
    out: list[str] = []
    for number, sentence in sentences:
        for match in _MONEY.finditer(sentence):
            raw = match["n"] or match["n2"]
            try:
                value = Decimal(raw.replace(",", ""))
            except InvalidOperation:
                continue
            unit = _currency(match)
            before = _DELTA_BEFORE.search(sentence[: match.start()])
            after = _DELTA_AFTER.match(sentence[match.end() :])
            shown = match.group(0).strip()
            if (before or after) and unit in last:
                base_line, base, base_shown = last[unit]
                word = (before.group(0) if before else "") + (after.group(0) if after else "")
                sign = -1 if _MINUS.search(word) else 1
                new = base + sign * value
                places = len(raw.rpartition(".")[2]) if "." in raw else 0
                places = max(places, len(base_shown.rpartition(".")[2]) if "." in base_shown else 0)
                total = (
                    f"{new:,.{places}f}"
                    if "," in base_shown or new >= 10_000
                    else f"{new:.{places}f}"
                )
                symbol = base_shown[0] if not base_shown[0].isdigit() else ""
                total = f"{symbol}{total}" if symbol else f"{total} {unit}"
                out.append(
                    f"- {base_shown} (line {base_line}) {'-' if sign < 0 else '+'} {shown} "
                    f"(line {number}) = {total}"
                )
                last[unit] = (number, new, total)
            else:
                last[unit] = (number, value, shown)
    return out[:MAX_ITEMS]


def digest_thread(root: Path, path: str) -> str:
    """A thread's final state and what it superseded, as text, or 'Error: ...'."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    messages = split_messages(text)
    if len(messages) < 2:
        return f"{name} is not a thread of several messages (no From:/Date: headers found)."
    ordered = sorted(
        enumerate(messages), key=lambda im: (im[1].when is None, im[1].when or datetime.min, im[0])
    )
    thread = [m for _, m in ordered]
    senders = list(dict.fromkeys(m.sender for m in thread))
    lines = [
        f"Thread {name}: {len(thread)} messages from {_stamp(thread[0])} to {_stamp(thread[-1])}, "
        f"between {', '.join(senders[:-1]) + ' and ' if len(senders) > 1 else ''}{senders[-1]}."
    ]
    sentences = [_body_sentences(m) for m in thread]
    with_terms = [
        i for i, found in enumerate(sentences) if any(_STRONG_FACT.search(s) for _, s in found)
    ]
    current = with_terms[-1] if with_terms else len(thread) - 1
    message = thread[current]
    terms = [(n, s) for n, s in sentences[current] if _FACT.search(s) or find_dates(s, 2000)]
    # A sentence that states terms stays a term even when it says they changed ('instead: ...').
    changes = [
        (n, s) for n, s in sentences[current] if _CHANGE.search(s) and not _STRONG_FACT.search(s)
    ]
    lines.append(
        f"Current terms (latest message that states them: {message.sender}, {_stamp(message)}):"
    )
    lines += [f"- line {n}: {s}" for n, s in terms if (n, s) not in changes][:MAX_ITEMS]
    for reply, found in zip(thread[current + 1 :], sentences[current + 1 :], strict=True):
        accepted = [s for _, s in found if _ACCEPT.search(s)]
        if accepted:
            lines.append(f"Accepted by {reply.sender} on {_stamp(reply)}:")
            lines += [f"- line {n}: {s}" for n, s in found][:3]
    if changes:
        lines.append("What changed:")
        lines += [f"- line {n}: {s}" for n, s in changes][:MAX_ITEMS]
    shown_now = {line.split(": ", 1)[-1] for line in lines}
    asked = [
        f"- line {n}: {s} (asked by {m.sender})"
        for m, found in zip(thread[current:], sentences[current:], strict=True)
        for n, s in found
        if _REQUEST.search(s) and s not in shown_now
    ]
    if asked:
        lines.append("Asked of someone in the final messages:")
        lines += asked[:MAX_ITEMS]
    moved = _amounts_moved([s for found in sentences for s in found])
    if moved:
        lines.append("Amounts changed along the thread (worked out from the messages):")
        lines += moved
    standing = _still_standing(sentences, current)
    if standing:
        lines.append("Still standing from earlier messages (nothing later changed it):")
        lines += [f"- line {n}: {s}" for n, s in standing][:MAX_ITEMS]
    shown = 0
    for i in range(current):
        earlier = [
            (n, s)
            for n, s in sentences[i]
            if (_FACT.search(s) or find_dates(s, 2000)) and (n, s) not in standing
        ]
        if earlier and shown < MAX_ITEMS:
            if not shown:
                lines.append("Superseded (earlier messages; not the current terms):")
            lines.append(f"{thread[i].sender}, {_stamp(thread[i])}:")
            lines += [f"- line {n}: {s}" for n, s in earlier][: MAX_ITEMS - shown]
            shown += len(earlier)
    last = thread[-1]
    if last is not message and not any(_ACCEPT.search(s) for _, s in sentences[-1]):
        lines.append(f"Last message: {last.sender}, {_stamp(last)}:")
        lines += [f"- line {n}: {s}" for n, s in sentences[-1]][:3]
    return "\n".join(lines)


# --- the tools ------------------------------------------------------------------------------


class DigestNotesInput(BaseModel):
    """Arguments of digest_notes."""

    path: str = Field(min_length=1, description="Meeting notes, relative to the project root.")
    date: str = Field(
        default="",
        description="YYYY-MM-DD: the day relative due dates ('by Friday') count from when the "
        "notes carry no date of their own.",
    )
    part: int = Field(
        default=1, ge=1, le=50, description="Which part of a long answer to return (1: the first)."
    )


class DigestThreadInput(BaseModel):
    """Arguments of digest_thread."""

    path: str = Field(
        min_length=1,
        description="An email thread or chat export saved as text, relative to the project root.",
    )
    part: int = Field(
        default=1, ge=1, le=50, description="Which part of a long answer to return (1: the first)."
    )


def digest_tools(root: Path) -> list[BaseTool]:
    """digest_notes and digest_thread over the project folder `root`."""
    root = Path(root).resolve()

    def digest_notes_tool(path: str, date: str = "", part: int = 1) -> str:
        return paged(digest_notes(root, path, date), part)

    def digest_thread_tool(path: str, part: int = 1) -> str:
        return paged(digest_thread(root, path), part)

    return [
        StructuredTool.from_function(
            func=digest_notes_tool,
            name="digest_notes",
            description=(
                "Sort meeting notes into decisions, action items (each with its owner and due "
                "date, relative dates resolved against the notes' date), open questions and "
                "other dated points, each quoted with its line."
            ),
            args_schema=DigestNotesInput,
        ),
        StructuredTool.from_function(
            func=digest_thread_tool,
            name="digest_thread",
            description=(
                "Read an email thread or chat export saved as text: its messages in date order, "
                "the current terms (from the latest message that states them), who accepted "
                "them, and the earlier offers they superseded, each quoted with its line."
            ),
            args_schema=DigestThreadInput,
        ),
    ]
