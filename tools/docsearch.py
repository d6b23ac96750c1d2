"""`docs_for_need`: which arguments of an installed function, or which of its sibling functions,
the installed documentation says answer a need ("key order changes", "raise if the command
fails", "keep the modification times").

The need is split into short units (lines, sentences, clauses). Each parameter of the function
is described by the docstring paragraphs whose first named parameter it is; each sibling
function of the module by its own docstring. A unit is matched to them by shared word stems,
each stem weighted by how few candidates use it (a word every paragraph has tells nothing), so a
parameter is chosen only where its own documentation shares the need's words. A chosen
parameter's value comes from the documentation itself: `name=value` written there, "if name is
true/false", a literal the best sentence gives, else the flip of a boolean default; a parameter
the documentation gives no value for is not suggested. Nothing is imported beyond what
`python_docs` imports (installed modules only).
"""

from __future__ import annotations

import ast
import csv
import inspect
import io
import re
from pathlib import Path
from types import ModuleType
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, read_text, relative
from tools.pydocs import DocsError, resolve

MAX_NEED_CHARS = 4000
"""Longest need read."""
MIN_SCORE = 0.3
"""Least weighted overlap for a sibling function to answer a unit of the need (searched only
when the person asks for another function)."""
MIN_PARAM_SCORE = 1.0
"""Least weighted overlap for a parameter: one word of the need only its docs use, or more."""
MAX_SIBLINGS = 3
"""Most sibling functions suggested."""
_STOP = frozenset(
    """the and for are but not you your with this that from into have has had was were will would
    can could should may might must does did done doing use used using uses user want wants need
    needs make makes made get gets got set sets its it's they them their there then than when
    what which who why how where also only just like such each every all any some other others
    instead same one two three four five six seven eight nine ten about look find show tell
    name names python documentation docs doc function functions argument arguments parameter
    parameters call calls called value values return returns returned default true false none
    given give gives object objects instance type types data file files line lines module
    issue issues fix fixes still out come comes""".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def stem(word: str) -> str:
    """A crude stem: lower case, a common suffix and a final 'e' off."""
    word = word.lower()
    for suffix in ("ing", "ies", "ed", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) >= 4 else word


def stems(text: str) -> set[str]:
    """Content stems of a text; a name with underscores counts by its parts too."""
    out: set[str] = set()
    for word in _WORD.findall(text):
        for part in {word, *word.split("_")}:
            if len(part) >= 3 and part.lower() not in _STOP:
                out.add(stem(part))
                # "unsorted" is about sorting too
                if part.lower().startswith("un") and len(part) >= 7:
                    out.add(stem(part[2:]))
    return out


def symptom_words(text: str) -> str:
    """Words naming what a need shows without saying it: a non-ASCII letter or a \\uXXXX
    escape is about ASCII and unicode escaping, a time of day or date about time."""
    extra = []
    if re.search(r"[^\x00-\x7f]|\\u[0-9a-fA-F]{4}", text):
        extra.append("ascii unicode escape non-ascii")
    if _DURATION.search(text) or _WAITING.search(text):
        extra.append("timeout too long")
    return " ".join(extra)


_DURATION = re.compile(
    r"\b(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>milliseconds?|ms|seconds?|secs?|s|minutes?|mins?"
    r"|hours?|hrs?|h)\b",
    re.I,
)
"""A duration the need gives ('60 seconds', '5 min')."""
_WAITING = re.compile(
    r"\bgives? up\b|\bhang(?:s|ing)?\b|\bhung\b|\bstuck\b|\bwaits? (?:forever|too long)",
    re.I,
)
"""A need about waiting too long, in words."""
_SECONDS = {"ms": 0.001, "mi": 0.001, "s": 1, "se": 1, "m": 60, "h": 3600, "hr": 3600}
_TIME_PARAM = re.compile(r"timeout|delay|interval|wait|seconds|sleep", re.I)
"""A parameter (name or documentation) that takes a duration."""


def need_seconds(unit: str) -> str | None:
    """The duration a need unit gives, in seconds as Python's timeouts take it ('60' for
    '60 seconds', '300' for '5 minutes'); None when it gives none."""
    found = _DURATION.search(unit)
    if not found:
        return None
    word = found["unit"].lower()
    key = "mi" if word.startswith("milli") else word[:2] if word.startswith("hr") else word[:1]
    key = "ms" if word == "ms" else key
    factor = _SECONDS.get(key, _SECONDS.get(key[:1], 1))
    seconds = float(found["amount"]) * factor
    return str(int(seconds)) if seconds == int(seconds) else repr(seconds)


def need_units(need: str) -> list[str]:
    """Short units of the need: its lines, sentences and ' and '-joined clauses."""
    units: list[str] = []
    for line in need[:MAX_NEED_CHARS].splitlines():
        line = line.strip(" -*\t")
        for sentence in re.split(r"(?<=[.!?;])\s+|\s+(?:and|but|so)\s+", line):
            if len(stems(sentence)) >= 1:
                units.append(sentence.strip())
    return units


def _paragraphs(doc: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", doc) if p.strip()]


def _mentions(paragraph: str, name: str) -> int:
    """Where `name` is first named in the paragraph as a word (-1 when it is not)."""
    found = re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", paragraph)
    return found.start() if found else -1


def param_texts(doc: str, params: list[str]) -> dict[str, list[str]]:
    """Each parameter's paragraphs: those that name it before any other parameter."""
    texts: dict[str, list[str]] = {p: [] for p in params}
    for paragraph in _paragraphs(doc):
        spots = [(at, p) for p in params if (at := _mentions(paragraph, p)) >= 0]
        if spots:
            texts[min(spots)[1]].append(paragraph)
    return texts


def _weights(candidates: dict[str, set[str]]) -> dict[str, float]:
    """A stem's weight: 1 / how many candidates use it."""
    counts: dict[str, int] = {}
    for words in candidates.values():
        for word in words:
            counts[word] = counts.get(word, 0) + 1
    return {w: 1.0 / c for w, c in counts.items()}


def _overlap(unit: set[str], words: set[str], weights: dict[str, float]) -> float:
    score = 0.0
    for word in unit:
        if word in words:
            score += weights.get(word, 0.0)
        elif len(word) >= 4:  # "spac" in "whitespac"
            inside = [w for w in words if len(w) > len(word) and word in w]
            if inside:
                score += max(weights.get(w, 0.0) for w in inside)
    return score


def _sentences(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z(`*])", paragraph) if s.strip()]


_LITERAL = re.compile(
    r"\((?:[^()]|\([^()]*\))*\)|'[^'\s]{0,12}'|\"[^\"\s]{0,12}\"|\b\d+(?:\.\d+)?\b"
)


def _literal_in(sentence: str, name: str, default: Any) -> str | None:
    """A Python literal the sentence gives (a tuple, a string, a number), not the default."""
    for match in _LITERAL.finditer(sentence):
        text = match.group(0)
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        if value == name or isinstance(value, int) and isinstance(default, bool):
            continue
        if value in ((), "", [], {}) and value != default:
            continue  # an empty pair of parentheses is a call in prose, not a value
        if isinstance(value, str) and not isinstance(default, str):
            continue  # a quoted word in prose names something; it is not the value
        if value != default:
            return repr(value)
    return None


def param_value(name: str, default: Any, paragraphs: list[str], best: str) -> str | None:
    """The value the documentation gives `name` for the need (None when it gives none)."""
    text = " ".join(paragraphs)
    bare = re.sub(r"[`*]", "", text)
    written = re.search(rf"\b{re.escape(name)}\s*=\s*(True|False|None|'[^']*'|\d+)", bare)
    if written and written.group(1) != repr(default):
        return written.group(1)
    said = re.search(rf"\b{re.escape(name)}\s+is\s+(?:a\s+)?(true|false)\b", bare, re.I)
    if said:
        value = said.group(1).capitalize()
        if value != repr(default):
            return value
        # "raise an error if exist_ok is False": the docs name the default to say what it does.
        return repr(not default) if isinstance(default, bool) else None
    literal = _literal_in(re.sub(r"[`*]", "", best), name, default)
    if literal is not None:
        return literal
    if isinstance(default, bool):
        return repr(not default)
    return None


def _signature_params(obj: Any) -> list[inspect.Parameter]:
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p for p in signature.parameters.values() if p.kind not in kinds]


def _best_sentence(paragraphs: list[str], unit: set[str], weights: dict[str, float]) -> str:
    sentences = [s for p in paragraphs for s in _sentences(p)]
    return max(sentences, key=lambda s: _overlap(unit, stems(s), weights), default="")


def _unit_stems(unit: str, own: set[str]) -> set[str]:
    """A need unit's stems and its symptoms', without the looked-up name's own parts."""
    return stems(unit + " " + symptom_words(unit)) - own


def matching_params(
    obj: Any, doc: str, need: str, own: set[str] | None = None
) -> list[tuple[str, str, str, str]]:
    """(parameter, value, the doc sentence, the need unit) for each parameter the need asks
    for, in signature order (`own`: stems of the looked-up name, which tell nothing)."""
    own = own or set()
    params = [p for p in _signature_params(obj) if p.default is not inspect.Parameter.empty]
    texts = param_texts(doc, [p.name for p in params])
    # A parameter the documentation gives no value for cannot be suggested, so it does not
    # compete for a unit of the need either.
    duration = next((d for u in need_units(need) if (d := need_seconds(u))), None)
    timed = {
        p.name
        for p in params
        if duration
        and (p.default is None or isinstance(p.default, int | float))
        and not isinstance(p.default, bool)
        and (_TIME_PARAM.search(p.name) or _TIME_PARAM.search(" ".join(texts[p.name])))
    }
    valued = timed | {
        p.name
        for p in params
        if texts[p.name] and param_value(p.name, p.default, texts[p.name], " ".join(texts[p.name]))
    }
    words = {p.name: stems(" ".join(texts[p.name]) + " " + p.name) for p in params}
    words = {name: w for name, w in words.items() if name in valued}
    weights = _weights(words)
    chosen: dict[str, tuple[str, str, str, float]] = {}
    for unit in need_units(need):
        unit_stems = _unit_stems(unit, own)
        # A need that gives a duration ("at most 2 minutes") asks for the duration parameter.
        timed_unit = NAMED_BONUS if need_seconds(unit) else 0.0
        scores = {
            name: _overlap(unit_stems, w, weights)
            + _named(name, unit_stems)
            + (timed_unit if name in timed else 0.0)
            for name, w in words.items()
        }
        top = max(scores.values(), default=0.0)
        if top < MIN_PARAM_SCORE:
            continue
        for param in params:
            score = scores.get(param.name, 0.0)
            if score < max(MIN_PARAM_SCORE, top * 0.75):
                continue
            described = texts[param.name] or [
                p for p in _paragraphs(doc) if _mentions(p, param.name) >= 0
            ]  # a parameter first named after another is still described there
            wanted = unit_stems if texts[param.name] else unit_stems | {stem(param.name)}
            best = _best_sentence(described, wanted, weights)
            value = param_value(param.name, param.default, texts[param.name], best)
            if param.name in timed and need_seconds(unit):
                value = need_seconds(unit)  # the need's own duration, in seconds
            if value is None:
                continue
            if param.name not in chosen or chosen[param.name][3] < score:
                chosen[param.name] = (value, best, unit, score)
    return [(p.name, *chosen[p.name][:3]) for p in params if p.name in chosen]


NAMED_BONUS = 1.0
"""Added to a parameter's score when the need says every part of its name ("capture the
error output" asks for capture_output): its own name outweighs words its paragraph shares."""


def _named(param: str, unit_stems: set[str]) -> float:
    """NAMED_BONUS when the need unit names every part of a (multi-part) parameter's name."""
    parts = {stem(p) for p in param.split("_") if len(p) >= 3 and p.lower() not in _STOP}
    return NAMED_BONUS if len(parts) >= 2 and parts <= unit_stems else 0.0


def _first_paragraph(obj: Any) -> str:
    """The docstring's first paragraph of prose (a builtin's signature line skipped)."""
    doc = inspect.getdoc(obj) or ""
    paragraphs = [p for p in _paragraphs(doc) if not re.fullmatch(r"[\w.]+\(.*\)( -> .*)?", p)]
    return paragraphs[0] if paragraphs else ""


_ASKS = re.compile(r"\binstead\b|\bwhich\b.*\b(?:function|method)\b|\balternative|\brather\b", re.I)


def sibling_functions(
    obj: Any, module: ModuleType, own: str, need: str, own_stems: set[str] | None = None
) -> tuple[list[tuple[str, str, float]], bool]:
    """(name, first doc paragraph, score) of the module's other public functions whose docs
    answer the need, best first, and whether the first is a clear drop-in; a function whose
    docs name the best match and that reads like the one in use (its first line shares its
    words) comes first: the drop-in."""
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    docs: dict[str, str] = {}
    for name in sorted(names):
        value = vars(module).get(name)
        if name == own or not inspect.isfunction(value) and not inspect.isbuiltin(value):
            continue
        doc = inspect.getdoc(value) or ""
        if doc.strip():
            docs[name] = " ".join(doc.split())
    words = {n: stems(d + " " + n) for n, d in docs.items()}
    weights = _weights(words)
    units = need_units(need)
    # The sentence that asks for the other function says what it must do; the rest of the
    # need (the symptom, the file names) only when that sentence matches nothing.
    asks = [u for u in units if _ASKS.search(u)]
    need_stems = [_unit_stems(u, own_stems or set()) for u in asks]
    if not any(_overlap(u, w, weights) >= MIN_SCORE for u in need_stems for w in words.values()):
        need_stems = [_unit_stems(u, own_stems or set()) for u in units]
    scores = {
        n: max((_overlap(u, w, weights) for u in need_stems), default=0.0) for n, w in words.items()
    }
    top = max(scores.values(), default=0.0)
    floor = max(MIN_SCORE, top / 2)  # far below the best is a stray word in common
    ranked = sorted((n for n in scores if scores[n] >= floor), key=lambda n: (-scores[n], n))
    if not ranked:
        return [], False
    own_first = stems(_first_paragraph(obj).split(".")[0])
    best = ranked[0]
    referrers = [n for n in docs if n != best and re.search(rf"\b{re.escape(best)}\b", docs[n])]

    def likeness(name: str) -> int:
        return len(own_first & stems(_first_paragraph(vars(module)[name]).split(".")[0]))

    drop_in = sorted([best, *referrers], key=lambda n: (-likeness(n), n))[0]
    order = list(dict.fromkeys([drop_in, *ranked]))[:MAX_SIBLINGS]
    if drop_in != best and best not in order:
        order = [drop_in, best, *order[1:]][:MAX_SIBLINGS]
    # A drop-in is named only when it is clear: it builds on the best match, or leads alone.
    runner_up = scores[ranked[1]] if len(ranked) > 1 else 0.0
    clear = drop_in != best or scores[best] >= 1.5 * runner_up
    return [(n, _first_paragraph(vars(module)[n]), scores.get(n, 0.0)) for n in order], clear


MAX_VARIANTS = 6
"""Most same-named variants listed."""


def _variants(module: ModuleType, short: str) -> list[str]:
    """The module's public functions whose names contain the function's own name as a word
    part (median -> median_low, median_high): the API's variants of it."""
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    found = [
        n
        for n in sorted(names)
        if n != short
        and callable(vars(module).get(n))
        and short in re.split(r"_|(?<=[a-z])(?=\d)", n)
    ]
    return found[:MAX_VARIANTS]


def docs_for_need(name: str, need: str, other_functions: bool = True) -> str:
    """The arguments of `name`, and (with `other_functions`) the sibling functions, the
    installed docs say answer `need`."""
    if not need.strip():
        return "Error: give the need (what should change) to match against the documentation"
    try:
        obj, module_name = resolve(name)
    except DocsError as err:
        return f"Error: {err}"
    doc = inspect.getdoc(obj) or ""
    out: list[str] = []
    own_stems = stems(name.replace(".", " "))
    params = matching_params(obj, doc, need, own_stems)
    if params:
        out.append(f"Arguments of {name} whose documentation answers the need:")
        for param, value, sentence, unit in params:
            out.append(f'- {param}={value}: "{sentence}" (for: {unit})')
        keywords = ", ".join(f"{p}={v}" for p, v, _, _ in params)
        out.append(f"Call: {name}(..., {keywords})")
    module = __import__("sys").modules.get(module_name)
    if other_functions and isinstance(module, ModuleType):
        short = name.rsplit(".", 1)[-1]
        # The dotted name itself says which function is in use, not which one is wanted.
        bare = re.sub(rf"\b{re.escape(name)}\b", " ", need)
        siblings, clear = sibling_functions(obj, module, short, bare, stems(module_name))
        if siblings:
            own_line = _first_paragraph(obj).split(". ")[0].rstrip(".")
            out.append(f'Other functions of {module_name} for the need ({short}: "{own_line}."):')
            for sibling, first, _ in siblings:
                target = vars(module)[sibling]
                try:
                    signature = f"{sibling}{inspect.signature(target)}"
                except (TypeError, ValueError):
                    signature = sibling
                # A default that is a function shows its name, not its address.
                signature = re.sub(r"<(?:function|built-in function) (\w+)[^>]*>", r"\1", signature)
                out.append(f'- {module_name}.{signature}: "{first}"')
            if clear:
                out.append(f"Use instead: {module_name}.{siblings[0][0]}")
    if other_functions and isinstance(module, ModuleType):
        variants = _variants(module, name.rsplit(".", 1)[-1])
        if variants:
            out.append(f"Variants of {name} in {module_name}: {', '.join(variants)}")
    if not out:
        return f"The documentation of {name} names no argument or sibling function for the need."
    return "\n".join(out)


PURE_MODULES = frozenset({"statistics", "math"})
"""Modules whose functions may be applied to a data column: pure arithmetic, no I/O."""
MAX_COLUMN_VALUES = 100_000
"""Most values of a column read."""


def _column_values(text: str, column: str, shown: str) -> list[float] | str:
    """The numbers of a CSV column, or (no column) of a file holding one number a line or
    numbers separated by spaces or commas; an error line when one is not a number."""
    values: list[float] = []
    if not column:
        for token in re.split(r"[\s,;]+", text.strip()):
            try:
                values.append(float(token))
            except ValueError:
                return f"Error: {shown} holds '{token[:40]}', not a number (name a CSV column)"
            if len(values) >= MAX_COLUMN_VALUES:
                break
        return values or f"Error: {shown} holds no numbers"
    reader = csv.DictReader(io.StringIO(text))
    if column not in (reader.fieldnames or []):
        columns = ", ".join(reader.fieldnames or [])
        return f"Error: {shown} has no column '{column}' (columns: {columns})"
    for row in reader:
        try:
            values.append(float((row.get(column) or "").strip()))
        except ValueError:
            return f"Error: {shown} column '{column}' holds '{row.get(column)}'"
        if len(values) >= MAX_COLUMN_VALUES:
            break
    return values


def _how(short: str, values: list[float], result: Any) -> str:
    """How a median came out of the values: the middle one, or the two averaged."""
    if short not in ("median", "median_low", "median_high") or not values:
        return ""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return f"\nthe middle value of the {len(ordered)} in order is {ordered[middle]:g}"
    low, high = ordered[middle - 1], ordered[middle]
    if short == "median":
        how = f"their average ({low:g} + {high:g}) / 2 = {result!r}"
    else:
        how = f"{short} takes the {'lower' if short == 'median_low' else 'higher'} one"
    return (
        f"\nan even number of values ({len(ordered)}): the two middle values are {low:g} and "
        f"{high:g}; {how}"
    )


def apply_to_column(root: Path, name: str, path: str, column: str = "") -> str:
    """`name` (a function of statistics or math) applied to the numbers of a CSV column, or of
    a file of plain numbers when no column is given."""
    module = name.split(".", 1)[0]
    if module not in PURE_MODULES or name.count(".") != 1:
        return f"Error: only functions of {', '.join(sorted(PURE_MODULES))} are applied to data"
    try:
        obj, _ = resolve(name)
        real, text = read_text(root, path)
    except (DocsError, ProjectFileError) as err:
        return f"Error: {err}"
    if not callable(obj):
        return f"Error: {name} is not a function"
    shown = relative(root, real)
    values = _column_values(text, column, shown)
    if isinstance(values, str):
        return values
    what = f"column '{column}' of {shown}" if column else f"the numbers of {shown}"
    try:
        result = obj(values)
    except (TypeError, ValueError, ArithmeticError) as err:
        return f"Error: {name} on {what}: {err}"
    ordered = ", ".join(f"{v:g}" for v in sorted(values)[:30])
    return (
        f"{name}({what}) = {result!r}\n"
        f"the {len(values)} values in order: {ordered}"
        f"{_how(name.rsplit('.', 1)[-1], values, result)}"
    )


class ApplyToColumnInput(BaseModel):
    """Arguments of apply_to_column."""

    name: str = Field(description="A function of statistics or math, e.g. 'statistics.median'.")
    path: str = Field(description="A CSV file under the project root.")
    column: str = Field(
        default="",
        description="The CSV column whose numbers it is applied to; empty for a file of plain "
        "numbers (one a line).",
    )


class DocsForNeedInput(BaseModel):
    """Arguments of docs_for_need."""

    name: str = Field(min_length=1, max_length=200, description="e.g. 'json.dumps'.")
    need: str = Field(
        min_length=1,
        max_length=MAX_NEED_CHARS,
        description="What should change or happen, in the person's words (one point a line).",
    )
    other_functions: bool = Field(
        default=True, description="Also search the module's other functions for the need."
    )


def docs_search_tools(root: Path) -> list[BaseTool]:
    """docs_for_need (the installed environment is the same for every user) and
    apply_to_column over the project folder `root`."""
    root = Path(root).resolve()

    def apply_to_column_tool(name: str, path: str, column: str) -> str:
        return apply_to_column(root, name, path, column)

    return [
        StructuredTool.from_function(
            func=apply_to_column_tool,
            name="apply_to_column",
            description=(
                "Apply a statistics or math function (e.g. statistics.median) to the numbers of "
                "a CSV column: the value a script computing it would get."
            ),
            args_schema=ApplyToColumnInput,
        ),
        StructuredTool.from_function(
            func=docs_for_need,
            name="docs_for_need",
            description=(
                "Find in the installed documentation which arguments of a Python function (with "
                "the value its docs give) and which other functions of its module answer a need "
                "written in plain words; quotes the doc sentence for each."
            ),
            args_schema=DocsForNeedInput,
        ),
    ]
