"""`claim_amount`: what a customer's message claims about an order, priced from the order table.

A message names a record ("my order 88213") and a count of items with a problem ("two of the
six teal mugs were broken", "3 chairs arrived damaged"). The table's rows carrying that record's
number are the order; the row whose item shares the most words with what the message names is
the item claimed; its unit price times the count is the amount at stake. The other rows of the
order are listed as not claimed (shipping, gift wrap), each with its line, so a reply can apply
a policy to them without any figure being guessed.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, read_text, relative

_NUMBER_WORDS = {
    w: n
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
_COUNT = r"(?:\d{1,3}|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|both|all)"
_CLAIM = re.compile(
    rf"\b(?P<n>{_COUNT})\s+(?:of\s+(?:the|my|our|those|these)\s+(?:(?P<total>{_COUNT})\s+)?)?"
    r"(?P<what>[A-Za-z][\w' -]{1,60}?)\s+"
    r"(?:(?:were|was|are|is|have been|has been|arrived|came)\s+)+"
    r"(?:\w+\s+){0,2}?(?P<state>broken|damaged|missing|cracked|faulty|defective|wrong|smashed"
    r"|chipped|torn|scratched|dented|leaking|not working)\b",
    re.IGNORECASE,
)
_STATES = (
    r"broken|damaged|missing|cracked|faulty|defective|wrong|smashed|chipped|torn|scratched"
    r"|dented|leaking"
)
_BEFORE = re.compile(
    rf"\b(?P<n>{_COUNT})\s+(?:(?:of\s+(?:the|my|our)\s+)?(?P<total>{_COUNT})\s+)?"
    rf"(?P<state>{_STATES})\s+(?P<what>[A-Za-z][\w' -]{{1,60}}?)(?=[.,;:!?)]|\s+(?:and|but|in|from|"
    r"with|were|was|are|arrived|came)\b|$)",
    re.IGNORECASE,
)
"""A count with the problem before the item: '3 broken glasses', 'two damaged chairs'."""
_RECORD = re.compile(r"(?<![\w.])(?:#|no\.?\s*)?(\d{3,12})(?![\w.])")
_PRICE_HEAD = re.compile(r"unit.?price|price|unit.?cost|cost|amount", re.I)
_QTY_HEAD = re.compile(r"^(?:qty|quantity|count|units|pcs|number)$", re.I)
_ITEM_HEAD = re.compile(r"item|product|description|article|name|sku", re.I)
_CURRENCY = re.compile(r"(?:^|_)(eur|usd|gbp|chf|sek|nok|dkk|jpy|aud|cad)(?:_|$)", re.I)
_STOP = frozenset("the a an of my our your and or with in on for to".split())


def _start(match: re.Match[str]) -> int:
    return match.start()


def _inside(match: re.Match[str], other: re.Match[str]) -> bool:
    """`match` lies within `other` (the same claim read by both patterns: keep the longer)."""
    return (
        other.start() <= match.start()
        and match.end() <= other.end()
        and match.span() != other.span()
        or (match.span() == other.span() and match.re is _BEFORE)
    )


def _count(word: str, total: str | None) -> int | None:
    word = word.lower()
    if word.isdigit():
        return int(word)
    if word in ("both",):
        return 2
    if word == "all":
        return _count(total, None) if total else None
    return _NUMBER_WORDS.get(word)


def _stems(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words if w not in _STOP}


def _number(text: str) -> float | None:
    cleaned = re.sub(r"[^\d.,-]", "", text).replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return None


def claim_amount(root: Path, message: str, table: str) -> str:
    """The tool's answer: the order rows, the item claimed and the amount, each with its line."""
    try:
        message_real, message_text = read_text(root, message)
        table_real, table_text = read_text(root, table)
    except ProjectFileError as err:
        return f"Error: {err}"
    shown_message, shown_table = relative(root, message_real), relative(root, table_real)
    rows = list(csv.reader(io.StringIO(table_text)))
    if len(rows) < 2:
        return f"Error: {shown_table} has no header and rows"
    header = [h.strip() for h in rows[0]]
    # A unit price is the one to multiply; a bare 'price' or 'cost' next.
    priced = sorted(
        (i for i, h in enumerate(header) if _PRICE_HEAD.search(h)),
        key=lambda i: not re.search(r"unit|each|per", header[i], re.I),
    )
    price = priced[0] if priced else None
    qty = next((i for i, h in enumerate(header) if _QTY_HEAD.match(h)), None)
    item = next((i for i, h in enumerate(header) if _ITEM_HEAD.search(h)), None)
    if price is None or item is None:
        return f"Error: {shown_table} has no item and price columns (header: {', '.join(header)})"
    records = dict.fromkeys(_RECORD.findall(message_text))
    lines = {n: row for n, row in enumerate(rows[1:], 2) if row}
    order = {n: row for n, row in lines.items() for key in records if key in row}
    if not order:
        return f"No row of {shown_table} carries a number the message gives ({', '.join(records)})"
    key = next(k for k in records if any(k in row for row in order.values()))
    currency = _CURRENCY.search(header[price])
    unit = f" {currency.group(1).upper()}" if currency else ""
    out = [f"Order {key} in {shown_table}: {len(order)} rows"]
    for n, row in order.items():
        count = f", {header[qty]} {row[qty]}" if qty is not None and qty < len(row) else ""
        out.append(f"line {n}: {row[item]}{count}, {header[price]} {row[price]}")
    flat = message_text.replace("\n", " ")  # a claim may wrap a line; offsets stay the same
    matches = [*_CLAIM.finditer(flat), *_BEFORE.finditer(flat)]
    matches = [m for m in matches if not any(o is not m and _inside(m, o) for o in matches)]
    claims = [(message_text[: c.start()].count("\n") + 1, c) for c in sorted(matches, key=_start)]
    if not claims:
        out.append(f"{shown_message} states no count of broken, damaged or missing items.")
        return "\n".join(out)
    for number, claim in claims:
        count = _count(claim["n"], claim["total"])
        wanted = _stems(claim["what"])
        best = max(order.items(), key=lambda r: (len(_stems(r[1][item]) & wanted), -r[0]))
        if count is None or not _stems(best[1][item]) & wanted:
            out.append(f"{shown_message} line {number}: '{claim.group(0)}' matches no row")
            continue
        each = _number(best[1][price])
        if each is None:
            continue
        out.append(
            f"Claimed ({shown_message} line {number}: '{claim.group(0).strip()}'): "
            f"{count} x {best[1][item]} (line {best[0]}) at {each:.2f}{unit} = "
            f"{count * each:.2f}{unit}"
        )
        left = [row[item] for n, row in order.items() if n != best[0]]
        if left:
            out.append(f"Not claimed: {', '.join(left)}")
    return "\n".join(out)


class ClaimAmountInput(BaseModel):
    """Arguments of claim_amount."""

    message: str = Field(description="The customer's message file.")
    table: str = Field(description="The CSV of orders (one row per item, with a price column).")


def order_tools(root: Path) -> list[BaseTool]:
    """claim_amount over the project folder `root`."""
    root = Path(root).resolve()

    def claim_amount_tool(message: str, table: str) -> str:
        return claim_amount(root, message, table)

    return [
        StructuredTool.from_function(
            func=claim_amount_tool,
            name="claim_amount",
            description=(
                "Read what a customer's message claims about an order ('two of the six mugs "
                "arrived broken') and price it from the orders CSV: the order's rows with their "
                "lines, the item claimed, count x unit price = amount, and the rows not claimed."
            ),
            args_schema=ClaimAmountInput,
        )
    ]
