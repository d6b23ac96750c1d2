"""`open_items`: the invoices, bills or orders an email export still shows open.

An export of messages (a new message at each `From:` line; `Date:` and `Subject:` headers) names
items by their reference (`INV-3307`, `PO-88`, `#4411`). A message that gives a reference with an
amount or a due date issues it; a later message that says it was paid (payment received, paid
in full, settled) closes it, one that says it is unpaid or overdue keeps it open. The answer
lists the items still open (optionally only those due before a date), each with its sender,
amount, due date and the line that says so, then the items left out and why. Read only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.dates import find_dates, parse_iso_day
from tools.project import ProjectFileError, clip, read_text, relative

MAX_ITEMS = 60
"""Most items one answer lists."""
_REFERENCE = re.compile(
    r"(?<![\w-])(?=[A-Z0-9-]*\d)([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+|#\d{3,})(?![\w-])"
)
"""An item's reference: capitals and digits joined by hyphens (INV-3307, SV-2026-14), or #4411."""
_HEADER = re.compile(r"^(from|to|date|subject|sent)\s*:\s*(.*)$", re.I)
_AMOUNT = re.compile(
    r"(?:[£$€¥]\s?\d(?:[\d,]*\d)?(?:\.\d+)?"
    r"|\b\d(?:[\d,]*\d)?(?:\.\d+)?\s?(?:EUR|USD|GBP|CHF|CZK|SEK|NOK|DKK)\b"
    r"|\b(?:EUR|USD|GBP|CHF)\s?\d(?:[\d,]*\d)?(?:\.\d+)?)"
)
_DUE = re.compile(
    r"\b(?:due(?:\s+(?:on|by|date:?))?|payable\s+(?:by|on|before)|pay\s+by|deadline:?)\s+", re.I
)
_PAID = re.compile(
    r"\b(?:payment|transfer)\s+(?:\w+\s+){0,3}(?:received|arrived|confirmed|cleared|went through)"
    r"|\breceived\s+(?:your\s+|the\s+)?(?:payment|transfer)|\bpaid\s+in\s+full\b"
    r"|\b(?:has|have)\s+been\s+(?:paid|settled)\b|\b(?:is|was)\s+(?:now\s+)?(?:paid|settled)\b"
    r"|\bmarked\s+(?:as\s+)?paid\b|\bthank(?:s| you)[^.\n]{0,30}\bpayment\b|\bsettled\b",
    re.I,
)
_DONE_WORDS = (
    r"(?:resolved|closed|fixed|delivered|shipped|dispatched|cancell?ed|refunded|completed)"
)
_CLOSED = re.compile(
    rf"\b(?:has|have)\s+been\s+(?P<a>{_DONE_WORDS})\b"
    rf"|\b(?:is|was|were)\s+(?:now\s+)?(?P<b>{_DONE_WORDS})\b"
    rf"|\bmarked\s+(?:as\s+)?(?P<c>{_DONE_WORDS}|done|complete)\b"
    rf"|\b(?P<d>{_DONE_WORDS})\s+(?:today|yesterday|this morning|on\b)",
    re.I,
)
"""A message saying an item other than a bill is done (a ticket resolved, an order delivered)."""
_OPEN = re.compile(
    r"\bunpaid\b|\bnot\s+(?:yet\s+)?(?:been\s+)?(?:paid|received|settled)\b|\boverdue\b"
    r"|\boutstanding\b|\bstill\s+(?:open|due|owed|pending|waiting|missing|broken)\b"
    r"|\bpast\s+due\b|\bunresolved\b|\bnot\s+(?:yet\s+)?(?:been\s+)?"
    r"(?:resolved|fixed|delivered|shipped|closed|arrived)\b|\breopen\w*",
    re.I,
)


class ItemsError(ValueError):
    """A file that holds no messages to read; the message says why."""


@dataclass
class Item:
    """One reference and what the messages say about it."""

    ref: str
    """As written ('INV-3307')."""
    sender: str = ""
    """Who issued it (the From of the message that gives its amount or due date)."""
    amount: str = ""
    """Its amount as written ('€2,400')."""
    due: date | None = None
    """Its due date."""
    issued_line: int = 0
    """The line that gives its amount or due date (else the first that names it)."""
    billed: bool = False
    """Whether that line gives an amount or a due date."""
    text: str = ""
    """That line, as written."""
    status: str = ""
    """'paid' or 'open' from the latest message that says which; '' when none does."""
    status_line: int = 0
    """The line that says it."""
    status_sent: str = ""
    """The date of that message, as its header writes it."""
    notes: list[str] = field(default_factory=list)
    """Other things said about it."""


@dataclass
class _Mail:
    start: int
    sender: str
    sent: str
    lines: list[tuple[int, str]]


def _mails(text: str) -> list[_Mail]:
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"^from\s*:", line, re.I)]
    mails: list[_Mail] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        sender, sent = "", ""
        body: list[tuple[int, str]] = []
        for offset, line in enumerate(lines[start:end]):
            header = _HEADER.match(line)
            if header and header.group(1).lower() == "from":
                sender = header.group(2).strip()
            elif header and header.group(1).lower() in ("date", "sent"):
                sent = header.group(2).strip()
            if header and header.group(1).lower() == "subject" or not header:
                body.append((start + offset + 1, line))
        mails.append(_Mail(start + 1, sender, sent, body))
    return mails


def _year(text: str) -> int:
    found = re.search(r"\b(19|20)\d\d\b", text)
    return int(found.group(0)) if found else date.today().year


def _due_in(line: str, year: int) -> date | None:
    for match in _DUE.finditer(line):
        dates = find_dates(line[match.end() : match.end() + 40], year)
        if dates and dates[0].start <= 3:
            return dates[0].day
    return None


def open_items(root: Path, path: str, due_before: str = "") -> str:
    """The items of an email export still open (no later message shows them paid), those due
    before `due_before` (an ISO date) first; then those left out and why."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    limit = parse_iso_day(due_before) if due_before.strip() else None
    if due_before.strip() and limit is None:
        return f"Error: due_before must be a date such as 2026-06-15, not {due_before!r}"
    mails = _mails(text)
    if len(mails) < 2:
        return f"{name} holds no export of several messages (a 'From:' line starts each)."
    items: dict[str, Item] = {}
    for mail in mails:
        year = _year(mail.sent or text)
        body_refs = {
            m.group(1)
            for _, ln in mail.lines
            if not _HEADER.match(ln)
            for m in _REFERENCE.finditer(ln)
        }
        for number, line in mail.lines:
            subject = bool(_HEADER.match(line))
            for ref in dict.fromkeys(m.group(1) for m in _REFERENCE.finditer(line)):
                if subject and ref in body_refs:
                    continue  # the body says more about it than the subject
                item = items.setdefault(ref, Item(ref))
                amount = _AMOUNT.search(line)
                due = _due_in(line, year)
                billed = bool(amount or due)
                if not _PAID.search(line) and (not item.issued_line or billed and not item.billed):
                    # The first mention issues it; a later line giving its amount or due date
                    # (before any did) is where it is billed.
                    item.sender = mail.sender
                    item.amount = amount.group(0) if amount else item.amount
                    item.due = due or item.due
                    item.issued_line = number
                    item.billed = billed
                    item.text = clip(line.strip(), 160)
                elif due and item.due is None:
                    item.due = due
            refs_in_mail = [m.group(1) for _, ln in mail.lines for m in _REFERENCE.finditer(ln)]
            said_open = _OPEN.search(line)
            closed = _CLOSED.search(line)
            label = "paid" if _PAID.search(line) else ""
            if closed and not label:
                label = (
                    next(g for g in closed.groups() if g).lower().replace("canceled", "cancelled")
                )
            if said_open:
                label = ""
            if not (said_open or label):
                continue
            # A status line without a reference is about the one item its message names.
            named = [m.group(1) for m in _REFERENCE.finditer(line)]
            targets = named or (
                list(dict.fromkeys(refs_in_mail)) if len(set(refs_in_mail)) == 1 else []
            )
            for ref in targets:
                item = items.setdefault(ref, Item(ref))
                item.status = label or "open"
                item.status_line = number
                item.status_sent = mail.sent
    if not items:
        return f"{name}: {len(mails)} messages, none naming an item by reference (INV-123, #4411)."
    still: list[Item] = []
    left: list[str] = []
    for item in sorted(items.values(), key=lambda i: (i.due or date.max, i.issued_line, i.ref)):
        if item.status not in ("", "open"):
            left.append(
                f"- {item.ref}: {item.status}, says the email of {item.status_sent or '?'} "
                f"({name}:{item.status_line})"
            )
        elif not item.issued_line and item.status != "open":
            continue  # named only by a line that closes it: said above
        elif limit and (item.due is None or item.due >= limit):
            when = f"due {_day(item.due)}" if item.due else "no due date given"
            left.append(f"- {item.ref}: {when}, not before {_day(limit)}")
        else:
            still.append(item)
    heading = "Open items (no later email shows them paid or done)"
    heading += f", due before {_day(limit)}" if limit else ""
    out = [f"{heading} in {name}: {len(still)}"]
    for item in still[:MAX_ITEMS]:
        parts = [f"from {item.sender}" if item.sender else "sender not given"]
        if item.billed or item.amount:
            parts.append(item.amount or "amount not given")
        if item.billed or item.due:
            parts.append(f"due {_day(item.due)}" if item.due else "no due date given")
        else:
            parts.append(f'"{item.text}"')
        where = f" ({name}:{item.issued_line})" if item.issued_line else ""
        status = ""
        if item.status == "open":
            status = (
                f"; email of {item.status_sent or '?'} says it is still open "
                f"({name}:{item.status_line})"
            )
        out.append(f"- {item.ref}: {', '.join(parts)}{where}{status}")
    if left:
        out += ["Left out:", *left[:MAX_ITEMS]]
    return "\n".join(out)


def _day(day: date | None) -> str:
    if day is None:
        return "?"
    return f"{day.isoformat()} ({day.day} {day.strftime('%B')} {day.year})"


class OpenItemsInput(BaseModel):
    """Arguments of open_items."""

    path: str = Field(description="An email export (text) under the project root.")
    due_before: str = Field(
        default="", description="Keep only items due before this ISO date ('2026-06-15')."
    )


def open_items_tools(root: Path) -> list[BaseTool]:
    """open_items over the project folder `root`."""
    root = Path(root).resolve()

    def open_items_tool(path: str, due_before: str = "") -> str:
        return open_items(root, path, due_before)

    return [
        StructuredTool.from_function(
            func=open_items_tool,
            name="open_items",
            description=(
                "List the invoices, bills or orders an email export still shows open: each "
                "reference with its sender, amount and due date, closed when a later email "
                "says it was paid; optionally only those due before a date; then those left "
                "out and why."
            ),
            args_schema=OpenItemsInput,
        )
    ]
