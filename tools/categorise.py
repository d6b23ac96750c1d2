"""`categorise_rows`: each row of a CSV given one of the categories a person's rules name, then
subtotalled.

The categories come from the rules document ('Categories: Travel, Meals, Software, Office.') or
the caller; its rule sentences ('Taxis and ride-hailing count as Travel', 'Coffee -> Meals') are
applied first. A row's text (its merchant or description) is matched against those rules and
against a small table of what common merchants and items are (an airline is travel, a
trattoria is a meal, an IDE vendor is software), read for the category whose name is that kind
of spending. A row nothing matches stays 'Uncategorised' and is said so, never guessed. Sums use
decimal arithmetic.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.paging import paged
from tools.project import ProjectFileError, read_text, relative
from tools.tables import TableError, _amount_column, read_table, to_number

UNCATEGORISED = "Uncategorised"
"""The category of a row that no rule and no known word places."""

KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "travel": (
        ("travel", "transport", "transportation", "trips", "mileage", "commute"),
        (
            "airline",
            "airlines",
            "airways",
            "air",
            "flight",
            "flights",
            "lufthansa",
            "ryanair",
            "easyjet",
            "klm",
            "iberia",
            "delta",
            "united",
            "emirates",
            "wizz",
            "vueling",
            "rail",
            "railway",
            "bahn",
            "sncf",
            "trenitalia",
            "renfe",
            "eurostar",
            "amtrak",
            "train",
            "trainline",
            "taxi",
            "cab",
            "uber",
            "lyft",
            "bolt",
            "free now",
            "grab",
            "bus",
            "flixbus",
            "metro",
            "tram",
            "transit",
            "parking",
            "fuel",
            "petrol",
            "shell",
            "hertz",
            "avis",
            "sixt",
            "europcar",
            "car rental",
            "toll",
            "ferry",
        ),
    ),
    "lodging": (
        ("lodging", "accommodation", "hotels", "hotel", "stays"),
        (
            "hotel",
            "hotels",
            "airbnb",
            "booking.com",
            "marriott",
            "hilton",
            "ibis",
            "hostel",
            "inn",
            "novotel",
            "accor",
            "hyatt",
            "premier inn",
            "motel",
        ),
    ),
    "meals": (
        (
            "meals",
            "meal",
            "food",
            "dining",
            "restaurants",
            "food & drink",
            "food and drink",
            "subsistence",
            "catering",
        ),
        (
            "restaurant",
            "trattoria",
            "pizzeria",
            "ristorante",
            "osteria",
            "bistro",
            "brasserie",
            "cafe",
            "café",
            "coffee",
            "starbucks",
            "costa",
            "pret",
            "pret a manger",
            "mcdonald's",
            "mcdonalds",
            "burger",
            "sushi",
            "deli",
            "bakery",
            "pub",
            "bar",
            "grill",
            "kitchen",
            "lunch",
            "dinner",
            "breakfast",
            "deliveroo",
            "uber eats",
            "just eat",
            "doordash",
            "subway",
            "nando's",
            "wagamama",
            "canteen",
            "diner",
            "tavern",
            "taverna",
        ),
    ),
    "software": (
        ("software", "subscriptions", "saas", "it", "tools", "licences", "licenses", "cloud"),
        (
            "github",
            "gitlab",
            "jetbrains",
            "atlassian",
            "jira",
            "slack",
            "zoom",
            "adobe",
            "microsoft",
            "office 365",
            "google workspace",
            "aws",
            "amazon web services",
            "azure",
            "heroku",
            "digitalocean",
            "notion",
            "figma",
            "dropbox",
            "openai",
            "1password",
            "bitbucket",
            "vercel",
            "netlify",
            "cloudflare",
            "subscription",
            "licence",
            "license",
            "saas",
            "app store",
            "software",
        ),
    ),
    "office": (
        ("office", "office supplies", "supplies", "stationery", "equipment", "materials"),
        (
            "staples",
            "office depot",
            "viking",
            "ryman",
            "paper",
            "printer",
            "toner",
            "ink",
            "stationery",
            "supplies",
            "envelopes",
            "pens",
            "post-it",
            "ikea",
            "desk",
            "chair",
        ),
    ),
    "telecom": (
        ("phone", "telecom", "telephone", "internet", "communications", "utilities"),
        (
            "vodafone",
            "o2",
            "ee",
            "orange",
            "t-mobile",
            "verizon",
            "at&t",
            "broadband",
            "mobile",
            "sim",
            "telekom",
        ),
    ),
}
"""Kinds of spending: the category names that mean each, and the words (merchants, items) that
show a row is of it."""
_TAGS: dict[str, tuple[str, ...]] = {
    "uber": ("taxi", "ride-hailing", "ride hailing", "rideshare"),
    "lyft": ("taxi", "ride-hailing", "ride hailing", "rideshare"),
    "bolt": ("taxi", "ride-hailing", "ride hailing", "rideshare"),
    "free now": ("taxi", "ride-hailing", "ride hailing"),
    "grab": ("taxi", "ride-hailing", "ride hailing"),
    "cab": ("taxi",),
    "lufthansa": ("airline", "flight", "flights"),
    "ryanair": ("airline", "flight", "flights"),
    "easyjet": ("airline", "flight", "flights"),
    "bahn": ("train", "rail", "trains"),
    "trainline": ("train", "rail", "trains"),
    "eurostar": ("train", "rail", "trains"),
    "airbnb": ("hotel", "accommodation", "lodging"),
    "starbucks": ("coffee",),
    "pret a manger": ("coffee", "lunch", "food"),
}
"""What a merchant is, in the words a person's rules use ('ride-hailing' for Uber)."""
_CATEGORY_LIST = re.compile(r"\bcategor(?:y|ies)\b[^:\n]{0,60}:\s*(?P<list>[^\n]+)", re.IGNORECASE)
_RULE = re.compile(
    r"^\W*(?P<what>[^.\n]{2,80}?)\s+(?:count|counts|go|goes|belong|belongs|fall|falls|are"
    r"|is|→|->|=>)\s*(?:as|under|to|in|into)?\s+(?:the\s+)?(?P<category>[A-Z][\w& ]{1,30}?)"
    r"(?:\s+category)?\s*[.;]?\s*$",
)
_RULE_ARROW = re.compile(
    r"^\W*(?P<what>[^:\n]{2,60}?)\s*(?:->|→|=>|:)\s*(?P<category>[A-Z][\w& ]{1,30}?)\s*$"
)


def _split_list(text: str) -> list[str]:
    parts = re.split(r",\s*|\s+and\s+|\s*;\s*|\s*/\s*", text.strip().rstrip("."))
    return [p.strip(" '\"`*") for p in parts if p.strip(" '\"`*")]


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def read_rules(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The categories a rules document lists, and its (words, category) rules."""
    categories: list[str] = []
    for match in _CATEGORY_LIST.finditer(text):
        found = [c for c in _split_list(match["list"]) if 0 < len(c.split()) <= 4]
        if len(found) >= 2:
            categories += found
    rules: list[tuple[str, str]] = []
    for line in text.splitlines():
        for sentence in re.split(r"(?<=\.)\s+", line):
            match = _RULE.match(sentence.strip()) or _RULE_ARROW.match(sentence.strip())
            if not match or _CATEGORY_LIST.search(sentence):
                continue
            category = match["category"].strip()
            for what in _split_list(match["what"]):
                rules.append((what.lower(), category))
            if category not in categories:
                categories.append(category)
    return list(dict.fromkeys(categories)), rules


def _has(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", text) is not None


def _descriptors(text: str) -> str:
    """A row's text with what its merchants are added ('uber' -> 'uber taxi ride-hailing')."""
    lowered = text.lower()
    tags = [t for name, more in _TAGS.items() if _has(lowered, name) for t in more]
    return " ".join([lowered, *tags])


def _kind_of_category(category: str) -> str | None:
    key = category.strip().lower()
    for kind, (names, _) in KINDS.items():
        if key in names or _singular(key) in names:
            return kind
    return None


def categorise(text: str, categories: list[str], rules: list[tuple[str, str]]) -> str:
    """The category of a row's text: a rule's words first, then what its words are known to be
    (the longest known word wins); UNCATEGORISED when nothing matches."""
    described = _descriptors(text)
    for words, category in rules:
        if _has(described, words) or _has(described, _singular(words)):
            return category
    kinds = {k: c for c in categories if (k := _kind_of_category(c))}
    if "lodging" not in kinds and "travel" in kinds:
        kinds["lodging"] = kinds["travel"]  # a hotel is travel where no lodging category exists
    best: tuple[int, str] | None = None
    for kind, category in kinds.items():
        for word in KINDS[kind][1]:
            if _has(described, word) and (best is None or len(word) > best[0]):
                best = (len(word), category)
    if best:
        return best[1]
    named = [c for c in categories if _has(described, c.lower())]
    return named[0] if named else UNCATEGORISED


def _label_column(header: list[str], rows: list[list[str]], amount: int) -> int | None:
    preferred = re.compile(r"merchant|payee|vendor|description|item|details|memo|name|shop", re.I)
    for i, name in enumerate(header):
        if i != amount and preferred.search(name):
            return i
    text = [
        i
        for i in range(len(header))
        if i != amount and any(to_number(r[i]) is None and r[i].strip() for r in rows)
    ]
    return text[0] if text else None


def categorise_rows(
    root: Path, path: str, rules_path: str = "", categories: list[str] | None = None
) -> str:
    """A CSV with a category per row (from the rules document or the categories given), the
    subtotal per category and the grand total; the CSV with its new column last."""
    try:
        real, text = read_text(root, path)
        rules_text = read_text(root, rules_path)[1] if rules_path else ""
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    listed, rules = read_rules(rules_text)
    wanted = list(dict.fromkeys([*(c.strip() for c in categories or [] if c.strip()), *listed]))
    if not wanted:
        source = f"{rules_path} lists" if rules_path else "the task gives"
        return f"Error: {source} no categories ('Categories: A, B, C')"
    try:
        table = read_table(text, "\t" if name.lower().endswith(".tsv") else ",")
        amount = _amount_column(table, "")
    except (TableError, csv.Error) as err:
        return f"Error: {name} cannot be categorised: {err}"
    rows = [fields for _, fields in table.rows]
    label = _label_column(table.header, rows, amount)
    if label is None:
        return f"Error: {name} has no text column (merchant, description) to categorise by"
    totals: dict[str, Decimal] = {c: Decimal(0) for c in [*wanted, UNCATEGORISED]}
    places = 0
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = [h for h in table.header if h.strip().lower() != "category"]
    writer.writerow([*header, "category"])
    listing: list[str] = []
    for (number, fields), row in zip(table.rows, rows, strict=True):
        keep = [
            f for h, f in zip(table.header, row, strict=True) if h.strip().lower() != "category"
        ]
        category = categorise(" ".join(keep), wanted, rules)
        writer.writerow([*keep, category])
        value = to_number(fields[amount]) or Decimal(0)
        if "." in fields[amount]:
            places = max(places, len(fields[amount].strip().rpartition(".")[2]))
        totals[category] = totals.get(category, Decimal(0)) + value
        listing.append(
            f"- line {number}: {row[label].strip()}: {fields[amount].strip()} -> {category}"
        )
    grand = sum(totals.values(), Decimal(0))
    lines = [f"Subtotals of '{table.header[amount]}' per category in {name}:"]
    for category, total in totals.items():
        if total or category != UNCATEGORISED:
            lines.append(f"- {category}: {total:,.{places}f}")
    lines.append(f"Grand total: {grand:,.{places}f} over {len(rows)} rows.")
    if totals.get(UNCATEGORISED):
        lines.append(f"Rows no rule or known word places are left '{UNCATEGORISED}'.")
    source = f"the categories of {rules_path}" if rules_path else "the categories given"
    lines += ["", f"Each row, categorised by {source}:", *listing, "", out.getvalue().rstrip("\n")]
    return "\n".join(lines)


class CategoriseInput(BaseModel):
    """Arguments of categorise_rows."""

    path: str = Field(min_length=1, description="A CSV of amounts under the project root.")
    rules_path: str = Field(
        default="", description="A document listing the categories and rules ('X count as Y')."
    )
    categories: list[str] = Field(default_factory=list, description="Categories to use.")
    part: int = Field(default=1, ge=1, le=50, description="Which part of a long answer.")


def categorise_tools(root: Path) -> list[BaseTool]:
    """categorise_rows over the project folder `root`."""
    root = Path(root).resolve()

    def categorise_tool(
        path: str, rules_path: str = "", categories: list[str] | None = None, part: int = 1
    ) -> str:
        return paged(categorise_rows(root, path, rules_path, categories), part)

    return [
        StructuredTool.from_function(
            func=categorise_tool,
            name="categorise_rows",
            description=(
                "Give each row of a CSV one of the categories a rules document (or the caller) "
                "names, applying its rules ('taxis count as Travel'), then subtotal per category."
            ),
            args_schema=CategoriseInput,
        )
    ]
