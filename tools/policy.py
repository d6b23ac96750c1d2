"""`apply_policy`: a policy's rules applied to what a customer's message says.

The message gives a record ("order KX-1180"), amounts with what each is for ("the kettle
(£38.00)", "£3.99 for delivery") and the item with a problem ("arrived dented"). Each rule line
of the policy is read for a condition on an amount ("under £50", "£50 or more", "over $200") and
held against the item's price, so a reply states only the rules that apply. A rule that says how
much is refunded ("in full, including the shipping charge", "50% of the price", "less a £5
fee") is worked out with the message's own figures. Nothing is guessed: a rule whose condition
cannot be checked is listed as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.mentions import read_date
from tools.project import ProjectFileError, read_text, relative

_SYMBOL = r"[£$€¥₹]"
_FIGURE = r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?"
_CODE = r"(?:GBP|USD|EUR|CHF|CAD|AUD|JPY|INR|SEK|NOK|DKK)"
_AMOUNT = re.compile(
    rf"(?P<sym>{_SYMBOL})\s?(?P<a>{_FIGURE})|(?P<code>{_CODE})\s?(?P<b>{_FIGURE})"
    rf"|(?P<c>{_FIGURE})\s?(?P<after>{_SYMBOL}|{_CODE}\b|(?:dollars|euros|pounds)\b)"
)
"""An amount of money written with its currency: £38.00, $1,200, EUR 30, 12.50 €."""
_EXTRA = re.compile(
    r"\b(?:shipping|postage|delivery|p&p|carriage|courier|freight|handling)\b", re.I
)
"""What marks an amount as a charge for getting the order there, not an item."""
_PROBLEM = re.compile(
    r"\b(?:broken|damaged|cracked|faulty|defective|smashed|chipped|torn|scratched|dented|leaking"
    r"|missing|wrong|not working|stopped working|doesn'?t work|dead on arrival|shattered)\b",
    re.I,
)
_RECORD = re.compile(
    r"\b(order|booking|reservation|invoice|account|policy|reference|ref)\b\.?\s*"
    r"(?:number|no\.?|#|id|ref\.?)?\s*:?\s*#?\s*(?P<id>[A-Z0-9][A-Z0-9-]{2,}\d|\d{3,})\b",
    re.I,
)
"""The record a message is about: 'order KX-1180', 'booking #40213', 'Order no. 7731'."""
_LESS = re.compile(r"\b(?:under|below|less than|lower than|cheaper than)\s*$", re.I)
_MORE = re.compile(r"\b(?:over|above|more than|greater than|exceeding|higher than)\s*$", re.I)
_AT_LEAST = re.compile(r"\b(?:at least|from|min(?:imum)?)\s*$", re.I)
_AT_MOST = re.compile(r"\b(?:up to|at most|no more than|max(?:imum)?)\s*$", re.I)
_OR_MORE = re.compile(r"^\s*(?:or|and)\s+(?:more|over|above|upwards|higher)\b", re.I)
_OR_LESS = re.compile(r"^\s*(?:or|and)\s+(?:less|under|below|lower)\b", re.I)
_REFUND = re.compile(r"\brefund", re.I)
_CREDIT = re.compile(r"\b(?:store credit|credit note|gift card|voucher|account credit)\b", re.I)
"""A remedy paid as credit rather than money back."""
_NO_REFUND = re.compile(
    r"\bno\s+(?:cash\s+|money\s+)?refunds?\b|\bnot\s+(?:be\s+)?refund|\bnon-?refundable\b", re.I
)
_IN_FULL = re.compile(
    r"\bin full\b|\bfull refund\b|\bfull (?:price|amount)\b"
    r"|\b(?:item|unit|purchase|ticket|original) (?:price|cost)\b|\bprice (?:paid|of the item)\b",
    re.I,
)
"""A rule that refunds the item's own price."""
_WITH_EXTRA = re.compile(
    r"\b(?:including|includ\w+|plus|and|with|as well as)\s+(?:the\s+|any\s+)?(?:original\s+)?"
    r"(?:shipping|postage|delivery|p&p|carriage)",
    re.I,
)
_WITHOUT_EXTRA = re.compile(
    r"\b(?:excluding|exclusive of|not including|except|minus|less|without)\s+(?:the\s+|any\s+)?"
    r"(?:original\s+)?(?:shipping|postage|delivery|p&p|carriage)"
    r"|(?:shipping|postage|delivery|p&p|carriage)[\w\s]{0,20}\b(?:is not|isn't|are not|not|non)"
    r"[\s-]?refund",
    re.I,
)
_PERCENT = re.compile(r"\b(\d{1,3})\s?%\s+(?:of\s+the\s+(?:price|item|cost|amount)|refund)", re.I)
_FEE_PERCENT = re.compile(
    r"\b(\d{1,3})\s?%\s+(?:restocking|handling|admin\w*|processing)\s+fee", re.I
)
_FEE = re.compile(r"(?:restocking|handling|admin\w*|processing)\s+fee\s+of\s+", re.I)
_FEE_BEFORE = re.compile(r"\s*(?:restocking|handling|admin\w*|processing)\s+fee", re.I)
_PRONOUNS = frozenset("i we you they he she it".split())
_LABEL_CUT = frozenset("the a an my our your his her their but and for of paid cost costs".split())
"""Words after which an amount's label (what it is for) starts."""
_COUNTS = {
    w: n for n, w in enumerate("zero one two three four five six seven eight nine ten".split())
} | {"fourteen": 14, "thirty": 30, "sixty": 60, "ninety": 90, "twenty-eight": 28}
_WINDOW = re.compile(
    r"\b(?P<how>within|up to|no more than|more than|after|over|beyond|later than)\s+"
    r"(?P<n>\d{1,3}|[a-z]+(?:-[a-z]+)?)\s+(?:calendar\s+|working\s+|business\s+)?"
    r"(?P<unit>days?|weeks?|months?)\s+(?:of|from|after|since|following)\s+(?:the\s+|your\s+)?"
    r"(?:date\s+of\s+)?(?P<event>purchase|buying|order(?:ing)?|delivery|receipt|arrival|receiving"
    r"|booking|collection|dispatch|invoice)",
    re.I,
)
"""A time limit counted from an event: 'within 30 days of delivery'."""
_TIMESCALE = re.compile(
    r"\b(?:paid|issued|processed|sent|credited|arrives?|reach(?:es)?|made|goes?|back|refunded to"
    r"|appears?|dispatched|shipped|replied|answered)\s*$",
    re.I,
)
"""What comes before a time limit that says when something happens, not who qualifies."""
_EVENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("buy", re.compile(r"purchas|bought|buy|order|paid", re.I)),
    ("get", re.compile(r"deliver|receiv|receipt|arriv|came|got it", re.I)),
    ("book", re.compile(r"book", re.I)),
)
_EVENT_WORD = re.compile(
    r"\b(?:purchased|bought|ordered|paid|delivered|received|arrived|came|booked)\b", re.I
)
_SENT = re.compile(r"^\s*(?:date|sent|received)\s*:\s*(.+)$", re.I)
"""The header that dates a message."""
_TITLE_LINE = re.compile(r"^\s*[A-Za-z][\w'&/-]*(?:\s+[\w'&/-]+){0,2}:?\s*$")
"""A short line with no sentence in it ("Faulty products"): a heading, not a rule."""
_HEADING = re.compile(r"^\s*#|^\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+")


@dataclass(frozen=True)
class Amount:
    """An amount of money the message gives."""

    line: int
    """Its line in the message."""
    value: float
    """The figure."""
    shown: str
    """As written (£38.00)."""
    label: str
    """The words that say what it is for."""
    extra: bool
    """Whether it is a shipping or delivery charge rather than an item."""


def _value(match: re.Match[str]) -> float:
    figure = match.group("a") or match.group("b") or match.group("c")
    return float(figure.replace(",", ""))


def money(value: float, like: str) -> str:
    """`value` written with the currency of `like` (£38.00 -> £41.99)."""
    symbol = re.match(_SYMBOL, like)
    if symbol:
        return f"{symbol.group(0)}{value:,.2f}"
    code = re.search(_CODE, like)
    return f"{value:,.2f} {code.group(0)}" if code else f"{value:,.2f}"


def _amounts(text: str) -> list[Amount]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in _AMOUNT.finditer(line):
            before = re.split(r"[.;:!?]\s|,\s(?:but|and)\s", line[: match.start()])[-1]
            after = re.split(r"[.;:!?,]", line[match.end() :])[0]
            words = re.findall(r"[A-Za-z][\w'-]*", before)[-6:]
            label = _label(words)
            following = re.findall(r"[A-Za-z][\w-]*", after)[:4]
            extra = _EXTRA.search(" ".join([*words[-4:], *following]))
            found.append(
                Amount(
                    line=number,
                    value=_value(match),
                    shown=match.group(0).strip(),
                    label=extra.group(0).lower() if extra else label,
                    extra=bool(extra),
                )
            )
    return found


def _label(words: list[str]) -> str:
    """What an amount is for: the last phrase before it, between the words that end a phrase
    ("the", "cost"), less a trailing "I ordered" ("the headphones I ordered cost $45")."""
    phrases: list[list[str]] = [[]]
    for word in words:
        if word.lower() in _LABEL_CUT:
            phrases.append([])
        else:
            phrases[-1].append(word)
    phrase = next((p for p in reversed(phrases) if p), [])
    pronoun = next((i for i, w in enumerate(phrase) if w.lower() in _PRONOUNS), len(phrase))
    return " ".join(phrase[:pronoun] or phrase).strip()


def _item(text: str, amounts: list[Amount]) -> tuple[Amount | None, str]:
    """(the item the message is about, its problem): the priced item whose sentence names a
    problem, else the only priced item (with no problem named)."""
    items = [a for a in amounts if not a.extra]
    if not items:
        return None, ""
    lines = text.splitlines()
    for amount in items:
        # The clause holding the amount, read on across a wrapped line.
        rest = " ".join(lines[amount.line - 1 : amount.line + 1])
        clause = re.split(r"(?<=[.!?])\s", rest[rest.find(amount.shown) :])[0]
        problem = _PROBLEM.search(clause) or _PROBLEM.search(amount.label)
        if problem:
            return amount, problem.group(0).lower()
    return (items[0], "") if len(items) == 1 else (None, "")


def _condition(rule: str) -> tuple[str, float, str] | None:
    """(comparison, threshold, as written) of the first amount condition a rule states."""
    for match in _AMOUNT.finditer(rule):
        before, after = rule[: match.start()], rule[match.end() :]
        shown = match.group(0).strip()
        if _LESS.search(before):
            return "<", _value(match), f"{_LESS.search(before).group(0).strip()} {shown}"
        if _MORE.search(before):
            return ">", _value(match), f"{_MORE.search(before).group(0).strip()} {shown}"
        if _AT_LEAST.search(before):
            return ">=", _value(match), f"{_AT_LEAST.search(before).group(0).strip()} {shown}"
        if _AT_MOST.search(before):
            return "<=", _value(match), f"{_AT_MOST.search(before).group(0).strip()} {shown}"
        if _OR_MORE.search(after):
            return ">=", _value(match), f"{shown} {_OR_MORE.search(after).group(0).strip()}"
        if _OR_LESS.search(after):
            return "<=", _value(match), f"{shown} {_OR_LESS.search(after).group(0).strip()}"
    return None


def _event(word: str) -> str:
    """The kind of event a word names: buying, getting the goods, or booking."""
    for kind, pattern in _EVENTS:
        if pattern.search(word):
            return kind
    return ""


def _window(rule: str) -> tuple[str, float, str, str] | None:
    """(comparison, days, as written, event kind) of a rule's time limit ("within 30 days of
    delivery", "more than 14 days after purchase"); a plain timescale ("within 5 days") is none."""
    match = _WINDOW.search(rule)
    if not match or _TIMESCALE.search(rule[: match.start()]):
        return None
    count = match.group("n").lower()
    days = int(count) if count.isdigit() else _COUNTS.get(count)
    if days is None:
        return None
    days *= 7 if match.group("unit").lower().startswith("week") else 1
    days *= 30 if match.group("unit").lower().startswith("month") else 1
    comparison = "<=" if match.group("how").lower() in ("within", "up to", "no more than") else ">"
    return comparison, days, " ".join(match.group(0).split()), _event(match.group("event"))


def _dated(text: str) -> list[tuple[int, str, date]]:
    """(line, what happened, day) of each dated event the message tells (bought, delivered)."""
    year = _sent(text).year if _sent(text) else None
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if _SENT.match(line):
            continue
        words = list(_EVENT_WORD.finditer(line))
        for word, after in zip(words, [*words[1:], None], strict=False):
            # The date told after the event word, before the next event word.
            clause = line[word.start() : after.start() if after else len(line)]
            day = read_date(re.split(r"(?<=[.;!?])\s", clause)[0], year)
            if day:
                found.append((number, word.group(0).lower(), day))
    return found


def _sent(text: str) -> date | None:
    for line in text.splitlines()[:12]:
        header = _SENT.match(line)
        if header:
            return read_date(header.group(1))
    return None


def _elapsed(
    kind: str, dated: list[tuple[int, str, date]], sent: date | None
) -> tuple[int, str] | None:
    """(days, how it is worked out) from the event the rule counts from to the message."""
    if sent is None or not dated:
        return None
    event = next((d for d in dated if _event(d[1]) == kind), None) if kind else None
    event = event or dated[0]
    days = (sent - event[2]).days
    said = f"{days} days from {event[1]} on {event[2].isoformat()} to the message of {sent}"
    return days, said


def _holds(comparison: str, value: float, threshold: float) -> bool:
    return {
        "<": value < threshold,
        ">": value > threshold,
        ">=": value >= threshold,
        "<=": value <= threshold,
    }[comparison]


def _rules(text: str) -> list[tuple[int, str]]:
    """(line, text) of each rule: a bullet or sentence line under the headings."""
    return [
        (n, _BULLET.sub("", line).strip())
        for n, line in enumerate(text.splitlines(), 1)
        if not _HEADING.match(line) and len(line.strip()) > 3 and not _TITLE_LINE.match(line)
    ]


def _refund(
    rules: list[tuple[int, str]], item: Amount, extras: list[Amount]
) -> tuple[float, str, int] | None:
    """(amount, how it is worked out, rule line) from the applying rule that says how much."""
    for number, rule in rules:
        if not _REFUND.search(rule) and not _FEE.search(rule) and not _CREDIT.search(rule):
            continue
        if _NO_REFUND.search(rule) and not _CREDIT.search(rule):
            continue  # "no refund after 30 days": nothing to work out
        total, parts = item.value, [f"{item.shown} ({item.label or 'the item'})"]
        percent = _PERCENT.search(rule)
        if percent:
            total = item.value * int(percent.group(1)) / 100
            parts = [f"{percent.group(1)}% of {item.shown}"]
        if extras and _WITH_EXTRA.search(rule) and not _WITHOUT_EXTRA.search(rule):
            for extra in extras:
                total += extra.value
                parts.append(f"{extra.shown} ({extra.label or 'shipping'})")
        fee = _FEE_PERCENT.search(rule)
        if fee:
            cut = item.value * int(fee.group(1)) / 100
            total -= cut
            parts.append(f"less {money(cut, item.shown)} ({fee.group(1)}% fee)")
        for match in _AMOUNT.finditer(rule):
            if _FEE.search(rule[: match.start()][-40:]) or _FEE_BEFORE.match(rule[match.end() :]):
                total -= _value(match)
                parts.append(f"less {match.group(0).strip()} fee")
        if len(parts) > 1 or percent or _IN_FULL.search(rule):
            shown = " + ".join(p for p in parts if not p.startswith("less "))
            shown += "".join(f" {p}" for p in parts if p.startswith("less "))
            if len(parts) > 1 or percent:
                shown = f"{shown} = {money(round(total, 2), item.shown)}"
            return round(total, 2), shown, number
    return None


def apply_policy(root: Path, message: str, policy: str) -> str:
    """The tool's answer: the message's record and amounts, each policy rule marked as applying
    or not (with why), and the refund worked out by the rule that says how much."""
    try:
        message_real, message_text = read_text(root, message)
        policy_real, policy_text = read_text(root, policy)
    except ProjectFileError as err:
        return f"Error: {err}"
    shown_message, shown_policy = relative(root, message_real), relative(root, policy_real)
    out = [f"{shown_message} read against {shown_policy}"]
    record = _RECORD.search(message_text)
    if record:
        line = message_text[: record.start()].count("\n") + 1
        noun = record.group(1).lower()
        noun = "booking" if noun in ("ref", "reference") else noun
        out.append(f"record: {noun} {record.group('id')} ({shown_message} line {line})")
    amounts = _amounts(message_text)
    item, problem = _item(message_text, amounts)
    extras = [a for a in amounts if a.extra]
    if item:
        state = f", {problem}" if problem else ""
        where = f"{shown_message} line {item.line}"
        out.append(f"item: {item.label or 'item'} at {item.shown}{state} ({where})")
    for extra in extras:
        out.append(f"charge: {extra.label} {extra.shown} ({shown_message} line {extra.line})")
    if not amounts:
        out.append(f"{shown_message} gives no amount of money.")
    applying: list[tuple[int, str]] = []
    dated = _dated(message_text)
    for line, word, day in dated:
        out.append(f"{word} on {day.isoformat()} ({shown_message} line {line})")
    sent = _sent(message_text)
    for number, rule in _rules(policy_text):
        window = _window(rule)
        if window is not None:
            elapsed = _elapsed(window[3], dated, sent)
            if elapsed is None:
                out.append(f"unchecked (line {number}): no dates to hold against '{window[2]}'")
            elif _holds(window[0], elapsed[0], window[1]):
                applying.append((number, rule))
                out.append(f"applies (line {number}; {elapsed[1]}: {window[2].lower()}): {rule}")
            else:
                out.append(f"does not apply (line {number}): {elapsed[1]}: not {window[2].lower()}")
            continue
        condition = _condition(rule)
        if condition is None:
            applying.append((number, rule))
            out.append(f"applies (line {number}): {rule}")
        elif item is None:
            out.append(f"unchecked (line {number}): no item price to hold against '{condition[2]}'")
        elif _holds(condition[0], item.value, condition[1]):
            applying.append((number, rule))
            out.append(f"applies (line {number}; {item.shown} is {condition[2]}): {rule}")
        else:
            out.append(f"does not apply (line {number}): {item.shown} is not {condition[2]}")
    refund = _refund(applying, item, extras) if item else None
    if refund and item:
        _, worked, number = refund
        rule_text = dict(applying)[number]
        credit = _CREDIT.search(rule_text)
        how = f" as {credit.group(0).lower()}" if credit and _NO_REFUND.search(rule_text) else ""
        how = how or (
            f" as {credit.group(0).lower()}" if credit and not _REFUND.search(rule_text) else ""
        )
        out.append(f"refund: {worked}{how} (rule line {number})")
    return "\n".join(out)


class ApplyPolicyInput(BaseModel):
    """Arguments of apply_policy."""

    message: str = Field(description="The customer's message or ticket file.")
    policy: str = Field(description="The policy file whose rules the reply must follow.")


def policy_tools(root: Path) -> list[BaseTool]:
    """apply_policy over the project folder `root`."""
    root = Path(root).resolve()

    def apply_policy_tool(message: str, policy: str) -> str:
        return apply_policy(root, message, policy)

    return [
        *cap_tools(root),
        StructuredTool.from_function(
            func=apply_policy_tool,
            name="apply_policy",
            description=(
                "Apply a policy file's rules to a customer's message: the order number, the "
                "item and charges with their amounts and lines, each rule marked as applying or "
                "not (its price condition checked), and the refund worked out with the figures."
            ),
            args_schema=ApplyPolicyInput,
        ),
    ]


# --- caps and exclusions applied to a table of spending ---------------------------------------

_CAP_WORDS = re.compile(
    r"\b(?:up to|max(?:imum)?(?: of)?|capped at|cap of|limit(?:ed)? (?:of|to)|no more than"
    r"|at most|not (?:to )?exceed(?:ing)?|allowance of)\s*$",
    re.I,
)
_PER = re.compile(r"^\s*(?:a|per|each|/)\s*(day|night|person|head|meal|item|trip|claim)\b", re.I)
_EXCLUDED = re.compile(
    r"\bnot (?:be )?(?:reimbursed|covered|refunded|claimable|allowed|paid|repaid)\b|\bexcluded\b"
    r"|\bcannot be (?:claimed|reimbursed)\b|\bnon-?(?:reimbursable|claimable)\b|\bnever (?:paid|"
    r"reimbursed|covered)\b",
    re.I,
)
_RULE_STOP = frozenset(
    """the a an of and or is are be to for per each day night up max maximum at most not no more
    than cap capped limit limited reimbursed covered refunded claimable allowed paid repaid excluded
    cannot never claimed receipt receipts expense expenses any all with on in by only include
    including inclusive exclude excluding costs cost will we you your our it its this that these
    those which who non reimbursable""".split()
)


@dataclass(frozen=True)
class _TableRule:
    """A rule of a policy that caps or excludes spending of one kind."""

    line: int
    """Its line in the policy."""
    words: frozenset[str]
    """The stems of what it is about."""
    cap: float | None
    """The most repaid (None: excluded)."""
    per: str
    """'day', 'night', ... or '' (each row)."""
    shown: str
    """The rule as written."""


def _stem(word: str) -> str:
    word = word.lower()
    for tail in ("ies", "es", "s"):
        if word.endswith(tail) and len(word) > len(tail) + 3:
            return word[: -len(tail)] + ("y" if tail == "ies" else "")
    return word


def _table_rules(text: str) -> list[_TableRule]:
    rules = []
    for number, rule in _rules(text):
        subject = rule.split(":", 1)[0] if ":" in rule[:60] else rule
        words = frozenset(
            _stem(w) for w in re.findall(r"[A-Za-z]{3,}", subject) if w.lower() not in _RULE_STOP
        )
        if not words:
            continue
        for match in _AMOUNT.finditer(rule):
            if _CAP_WORDS.search(rule[: match.start()]):
                per = _PER.match(rule[match.end() :])
                rules.append(
                    _TableRule(
                        number, words, _value(match), per.group(1).lower() if per else "", rule
                    )
                )
                break
        else:
            if _EXCLUDED.search(rule):
                rules.append(_TableRule(number, words, None, "", rule))
    return rules


def apply_caps(root: Path, table: str, policy: str) -> str:
    """The tool's answer: each spending row of `table` with what the policy repays of it (caps
    per row or per day, exclusions), each with its line, and the totals."""
    from tools.tables import TableError, _amount_column, _date_column, read_table, to_number

    try:
        table_real, table_text = read_text(root, table)
        policy_real, policy_text = read_text(root, policy)
    except ProjectFileError as err:
        return f"Error: {err}"
    shown_table, shown_policy = relative(root, table_real), relative(root, policy_real)
    delimiter = ";" if table_text.count(";") > table_text.count(",") else ","
    try:
        read = read_table(table_text, delimiter)
        amount_at = _amount_column(read, "")
    except TableError as err:
        return f"Error: {shown_table}: {err}"
    rules = _table_rules(policy_text)
    if not rules:
        return f"{shown_policy} states no cap or exclusion on spending"
    date_at = _date_column(read)
    like = next((r[amount_at] for _, r in read.rows if re.search(_SYMBOL, r[amount_at])), "")
    like = like or next((m.group(0) for m in _AMOUNT.finditer(policy_text)), "")
    spent = repaid = 0.0
    out: list[str] = []
    used_per_day: dict[tuple[int, str], float] = {}
    matched = 0
    for number, row in read.rows:
        value = to_number(row[amount_at])
        if value is None:
            continue
        amount = float(value)
        spent += amount
        text_words = {
            _stem(w)
            for i, c in enumerate(row)
            if i != amount_at
            for w in re.findall(r"[A-Za-z]{3,}", c)
        }
        rule = max(
            (r for r in rules if r.words & text_words),
            key=lambda r: (len(r.words & text_words), r.cap is None, -r.line),
            default=None,
        )
        said = " ".join(c.strip() for i, c in enumerate(row) if i != amount_at and c.strip())
        head = f"line {number}: {said} {money(amount, like)}"
        if rule is None:
            repaid += amount
            out.append(f"{head} -> {money(amount, like)} (no rule limits it)")
            continue
        matched += 1
        if rule.cap is None:
            out.append(f"{head} -> {money(0, like)} (not repaid: {shown_policy} line {rule.line})")
            continue
        if rule.per in ("day", "night") and date_at is not None:
            key = (rule.line, row[date_at].strip())
            left = max(rule.cap - used_per_day.get(key, 0.0), 0.0)
            allowed = min(amount, left)
            used_per_day[key] = used_per_day.get(key, 0.0) + allowed
            why = f"{money(rule.cap, like)} per {rule.per}"
        else:
            allowed = min(amount, rule.cap)
            why = f"{money(rule.cap, like)}" + (f" per {rule.per}" if rule.per else "")
        repaid += allowed
        state = "capped at" if allowed < amount else "within"
        out.append(
            f"{head} -> {money(allowed, like)} ({state} {why}: {shown_policy} line {rule.line})"
        )
    if not matched:
        return f"No row of {shown_table} falls under a cap or exclusion of {shown_policy}"
    out.insert(
        0,
        f"{shown_table} against {shown_policy}: {len(read.rows)} rows, spent "
        f"{money(spent, like)}, repaid {money(repaid, like)}",
    )
    return "\n".join(out)


class ApplyCapsInput(BaseModel):
    """Arguments of apply_caps."""

    table: str = Field(description="The CSV of spending (receipts, expenses), one row per item.")
    policy: str = Field(description="The policy whose caps and exclusions apply.")


def cap_tools(root: Path) -> list[BaseTool]:
    """apply_caps over the project folder `root`."""
    root = Path(root).resolve()

    def apply_caps_tool(table: str, policy: str) -> str:
        return apply_caps(root, table, policy)

    return [
        StructuredTool.from_function(
            func=apply_caps_tool,
            name="apply_caps",
            description=(
                "Apply a policy's spending caps ('meals up to £25 per day') and exclusions "
                "('alcohol is not reimbursed') to a CSV of receipts: each row with what is repaid "
                "and why, with lines, and the totals spent and repaid."
            ),
            args_schema=ApplyCapsInput,
        )
    ]
