"""`check_checklist`: a settings file (Python, YAML, .env, INI, JSON, TOML) checked item by item
against a checklist document (a release checklist, a hardening guide, a team's conventions).

Each item of the checklist (a numbered or bulleted line) is read for what it names and what it
requires: the settings it names (in backticks, as written in the file, or by a word of the key:
"database password" names `PASSWORD`), and the requirement: a value (`False`, "are both `True`"),
a level or more ("INFO or higher"), a number bound ("at least 12", "no more than 5"), "only" a
list of values, "not"/"never" a value, read "from the environment" (a named variable), or merely
set. Every item is reported as failing (with the setting's line and the corrected line), holding,
or not checkable from the file. Nothing is run: the file is read as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.configcheck import Setting, settings
from tools.project import ProjectFileError, clip, read_text, relative

MAX_BYTES = 300_000
"""Largest file read on either side."""
MAX_ITEMS = 60
"""Checklist items read at most."""

_ITEM = re.compile(r"^\s*(?:(?P<n>\d{1,3})[.)]|[-*+]|•)\s+(?:\[[ xX]\]\s*)?(?P<text>\S.*)$")
_TICKED = re.compile(r"`([^`\n]+)`")
_QUOTED = re.compile(r"""(?<!\w)["']([^"'\n]{1,60})["'](?!\w)""")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_.-]*[A-Za-z0-9]\b")
_ENV = re.compile(r"\benv(?:ironment)?(?:\s+variables?)?\b|\benv var", re.I)
_NOT_COMMITTED = re.compile(
    r"\bnever (?:committed|hard-?coded|in (?:the )?(?:code|repo))|\bnot (?:be )?(?:committed|"
    r"hard-?coded)|\bno (?:plain|hard-?coded|literal)",
    re.I,
)
_ENV_READ = re.compile(
    r"os\.environ|getenv\(|environ\.get|\benv\(|\$\{|^\$[A-Z_]|config\(|secretKeyRef|vault:", re.I
)
_ONLY = re.compile(r"\bonly\b", re.I)
_NEGATED = re.compile(r"\b(?:not|never|no longer)\b|n't\b", re.I)
_SET = re.compile(r"\b(?:is|are|be|must be) (?:set|defined|present|configured)\b", re.I)
_AT_LEAST = re.compile(
    r"(?:\bat least|\bminimum(?: of)?|\bno (?:less|fewer) than|>=|≥|\bmin\.?)\s*"
    r"(?P<n>\d+(?:\.\d+)?)"
    r"|(?P<m>\d+(?:\.\d+)?)\s+or (?:more|higher|above|greater)",
    re.I,
)
_AT_MOST = re.compile(
    r"(?:\bat most|\bmaximum(?: of)?|\bno (?:more|greater) than|\bnot (?:more|greater) than|"
    r"\bunder|\bbelow|<=|≤|\bmax\.?|\bup to)\s*(?P<n>\d+(?:\.\d+)?)"
    r"|(?P<m>\d+(?:\.\d+)?)\s+or (?:less|fewer|lower|below)",
    re.I,
)
_HIGHER = re.compile(r"\bor (?:higher|above|stricter|more severe)\b|\bat least\b", re.I)
_LOWER = re.compile(r"\bor (?:lower|below|less)\b|\bat most\b", re.I)
_BARE_VALUE = re.compile(
    r"\b(?:be|equals?|set to|is)\s+(?P<v>-?\d+(?:\.\d+)?|true|false|on|off|yes|no|enabled|disabled)"
    r"\b(?!\s*(?:%|or (?:more|higher|less|lower|above|below)))",
    re.I,
)
_STATE = re.compile(r"\b(?:turned\s+|switched\s+)?(?P<v>enabled|disabled|off|on)\s*[.;]?\s*$", re.I)
"""An item that ends on a state: 'Debug mode disabled.', 'HSTS turned on'."""
_NOT_VALUE = re.compile(
    r"\b(?:not|never)\s+(?:be\s+|use\s+|set to\s+)?(?P<v>[\w.:/-]+)\s*[.;]?\s*$", re.I
)
"""'not latest', 'must never be root' at the end of an item: the value that is not allowed."""
_LEVELS = ("trace", "debug", "info", "notice", "warning", "error", "critical")
_LEVEL_ALIASES = {"warn": "warning", "fatal": "critical", "err": "error", "crit": "critical"}
_TRUE = frozenset({"true", "yes", "on", "1", "enabled"})
_FALSE = frozenset({"false", "no", "off", "0", "disabled", "none", "null"})
_STOP = frozenset(
    "must should shall are the and for from with only never not set value values each every "
    "file line lines item items true false both all any one this that read comes come uses "
    "using used used environment variable variables committed higher lower least most more "
    "less than equal prod production release checklist".split()
)


@dataclass(frozen=True)
class Item:
    """One checklist item."""

    number: int
    """Its number (the list's own, else its position)."""
    text: str
    """The item as written."""
    line: int
    """1-based line in the checklist."""


def items(text: str) -> list[Item]:
    """The numbered or bulleted lines of a checklist (every plain line when it has none)."""
    found: list[Item] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        match = _ITEM.match(raw)
        if match:
            n = int(match["n"]) if match["n"] else len(found) + 1
            found.append(Item(n, match["text"].strip(), number))
    if not found:
        found = _table_items(text)
    if not found:
        plain = [
            (n, raw.strip())
            for n, raw in enumerate(text.splitlines(), start=1)
            if raw.strip() and not raw.lstrip().startswith("#")
        ]
        found = [Item(i, t, n) for i, (n, t) in enumerate(plain, start=1)]
    return found[:MAX_ITEMS]


_PHRASED = re.compile(
    r"^(?:at (?:least|most)|no (?:more|less|fewer)|only|not|never|from|read|comes?|is|are|"
    r"must|should|enabled|disabled|on|off|set|between|[<>]=?|≤|≥|\d+ or)\b",
    re.I,
)
"""A table's requirement cell that is a phrase ('at least 12'), not a bare value ('False')."""


def _table_items(text: str) -> list[Item]:
    """A checklist written as a markdown table: setting in the first column, the requirement in
    the second ('| DEBUG | False |', '| workers | at least 4 |')."""
    found: list[Item] = []
    rows = [
        (n, ln) for n, ln in enumerate(text.splitlines(), start=1) if ln.strip().startswith("|")
    ]
    for n, line in rows[1:]:  # the first row is the header
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0] or all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
            continue
        rule = cells[1]
        text = f"`{cells[0]}` {rule}" if _PHRASED.match(rule) else f"`{cells[0]}` must be `{rule}`"
        found.append(Item(len(found) + 1, text, n))
    return found


def _norm(value: str) -> str:
    """A value compared loosely: quotes and case dropped, booleans as true/false."""
    value = value.strip().strip("\"'").strip().rstrip(",").strip().strip("\"'")
    low = value.lower()
    if low in _TRUE - {"1"}:
        return "true"
    if low in _FALSE - {"0", "none", "null"}:
        return "false"
    return _LEVEL_ALIASES.get(low, low)


def _parts(key: str) -> list[str]:
    """The words of a key: `SESSION_COOKIE_SECURE` -> session, cookie, secure."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key)
    return [p.lower() for p in re.split(r"[\s_.\-]+", spaced) if p]


def _named_keys(item: str, known: dict[str, list[Setting]]) -> list[str]:
    """The settings an item names: by their name (any case), else by a word of the key."""
    lower = {k.lower(): k for k in known}
    named = []
    for token in [*_TICKED.findall(item), *_IDENT.findall(item)]:
        token = token.strip()
        key = lower.get(token.lower()) or lower.get(token.lower().rsplit(".", 1)[-1])
        if (
            key
            and key not in named
            and (token in _TICKED.findall(item) or "_" in token or token.isupper() or token == key)
        ):
            named.append(key)
    if named:
        return named
    words = {w.lower() for w in _WORD.findall(item) if len(w) >= 4} - _STOP
    scored = []
    for key in known:
        parts = _parts(key)
        hit = len(words & set(parts))
        if hit:
            scored.append((hit / len(parts), hit, key))
    if not scored:
        return []
    best = max(s[:2] for s in scored)
    return sorted(k for score, hit, k in scored if (score, hit) == best)[:3]


def _wanted(item: str, keys: list[str]) -> list[str]:
    """The values an item names (in backticks or quotes), other than the keys themselves."""
    lower = {k.lower() for k in keys}
    found = []
    for value in [*_TICKED.findall(item), *_QUOTED.findall(item)]:
        if value.lower() in lower or value.lower().rsplit(".", 1)[-1] in lower:
            continue
        if value not in found:
            found.append(value)
    for word in re.findall(r"\b[A-Z]{3,}\b", item):  # 'INFO or higher (WARNING, ERROR)'
        if _norm(word) in _LEVELS and word not in found and word.lower() not in lower:
            found.append(word)
    if not found:  # 'must be 0', 'set to false', '= 30', 'turned off', 'enabled'
        found += [m["v"] for m in _BARE_VALUE.finditer(item)]
    if not found and (state := _STATE.search(item)):
        found.append(state["v"])
    if not found and (negated := _NOT_VALUE.search(item)):  # 'not latest', 'never root'
        found.append(negated["v"])
    return found


def _env_var(item: str, keys: list[str], values: list[str]) -> str | None:
    """The environment variable an item names (`DJANGO_SECRET_KEY`), if any."""
    for value in values:
        if re.fullmatch(r"[A-Z][A-Z0-9_]{2,}", value) and value not in keys:
            return value
    return None


def _level(value: str) -> int | None:
    norm = _norm(value)
    return _LEVELS.index(norm) if norm in _LEVELS else None


def _number(value: str) -> float | None:
    try:
        return float(_norm(value).replace("_", "").replace(",", ""))
    except ValueError:
        return None


def _written(value: str, like: str) -> str:
    """A required value written the way the file writes its values (True in Python, true in
    YAML; quoted when the current value is quoted)."""
    norm = _norm(value)
    if norm in ("true", "false"):
        if like.strip() in ("True", "False"):
            return norm.capitalize()
        for pair in (("on", "off"), ("yes", "no"), ("enabled", "disabled"), ("1", "0")):
            if like.strip().strip("\"'").lower() in pair:  # the file's own words for a switch
                word = pair[0] if norm == "true" else pair[1]
                quote = like.strip()[0] if like.strip()[:1] in ("'", '"') else ""
                return f"{quote}{word}{quote}"
        return norm
    if _number(value) is not None and not like.strip().startswith(("'", '"')):
        return value
    quote = '"' if like.strip().startswith('"') else "'" if like.strip().startswith("'") else ""
    if not quote and like.strip().startswith(("[", "(")):
        quote = '"'
    return f"{quote}{value}{quote}"


def _corrected(raw: str, setting: Setting, new_value: str) -> str:
    """The setting's line with its value replaced."""
    line = raw.strip()
    match = re.match(r"^(?P<head>.*?[\"']?" + re.escape(setting.key) + r"[\"']?\s*[:=]\s*)", line)
    head = match["head"] if match else f"{setting.key} = "
    tail = "," if line.rstrip().endswith(",") else ""
    return f"{head}{new_value}{tail}"


def _current(raw: str) -> str:
    """The value part of a line as written (quotes kept)."""
    match = re.match(r"^\s*[\"']?[\w.-]+[\"']?\s*[:=]\s*(?P<v>.*?)\s*,?\s*(?:#.*)?$", raw)
    return match["v"] if match else raw.strip()


def _check(item: Item, setting: Setting, raw: str, keys: list[str], ext: str) -> str | None:
    """Why `setting` fails `item` with the corrected line, '' when it holds, None when the item
    states nothing checkable."""
    text = item.text
    values = _wanted(text, keys)
    current = _current(raw)
    value = _norm(setting.value)
    if _ENV.search(text) or _NOT_COMMITTED.search(text):
        if _ENV_READ.search(setting.value) or _ENV_READ.search(current):
            return ""
        var = _env_var(text, keys, values) or setting.key.upper()
        if ext == "py":
            fix = f'os.environ["{var}"]'
        elif ext in ("yaml", "yml", "json", "toml"):
            fix = f'"${{{var}}}"'
        else:
            fix = f"${{{var}}}"
        why = "the value is written in the file, not read from the environment"
        return f"{why} -> " + _corrected(raw, setting, fix)
    low, high = _AT_LEAST.search(text), _AT_MOST.search(text)
    number = _number(setting.value)
    if (low or high) and number is not None:
        least = float(low["n"] or low["m"]) if low else None
        most = float(high["n"] or high["m"]) if high else None
        if least is not None and number < least:
            return f"{setting.value} is less than {_show(least)} -> " + _corrected(
                raw, setting, _show(least)
            )
        if most is not None and number > most:
            return f"{setting.value} is more than {_show(most)} -> " + _corrected(
                raw, setting, _show(most)
            )
        return ""
    levels = [lv for v in values if (lv := _level(v)) is not None]
    if levels and _level(setting.value) is not None:
        mine = _level(setting.value)
        allowed = set(levels)
        if _HIGHER.search(text):
            allowed = set(range(min(levels), len(_LEVELS)))
        elif _LOWER.search(text):
            allowed = set(range(0, max(levels) + 1))
        if _NEGATED.search(text) and not _HIGHER.search(text) and not _LOWER.search(text):
            allowed = set(range(len(_LEVELS))) - set(levels)
        if mine in allowed:
            return ""
        target = next(v for v in values if _level(v) == min(levels))
        bare = setting.value.strip("\"'")
        target = target.lower() if bare.islower() else target.upper() if bare.isupper() else target
        return f"{setting.value} is not an allowed level -> " + _corrected(
            raw, setting, _written(target, current)
        )
    if not values:
        if _SET.search(text):
            return ""
        return None
    if _ONLY.search(text) and current.lstrip().startswith(("[", "(", "{")) or _ONLY.search(text):
        listed = [_norm(v) for v in re.findall(r"[\"']([^\"']*)[\"']", current)] or [
            _norm(v) for v in re.split(r"[,\s]+", setting.value.strip("[]() ")) if v
        ]
        if sorted(listed) == sorted(_norm(v) for v in values):
            return ""
        quoted = ", ".join(f'"{v}"' for v in values)
        if current.lstrip().startswith("(") and len(values) == 1:
            new = f"({quoted},)"
        elif current.lstrip().startswith(("[", "(")) or ext in ("py", "json", "yaml", "yml"):
            new = f"[{quoted}]"
        else:
            new = ",".join(values)
        return f"{setting.value} allows more than {', '.join(values)} -> " + _corrected(
            raw, setting, new
        )
    wanted = {_norm(v) for v in values}
    if _NEGATED.search(text):
        if value in wanted:
            opposite = {"true": "False", "false": "True"}.get(value)
            fix = _corrected(raw, setting, _written(opposite, current)) if opposite else ""
            return f"it is {setting.value}" + (f" -> {fix}" if fix else "")
        return ""
    if value in wanted:
        return ""
    return f"it is {setting.value} -> " + _corrected(raw, setting, _written(values[0], current))


def _show(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def check_checklist(root: Path, path: str, checklist: str) -> str:
    """Each item of `checklist` checked against the settings of `path`."""
    try:
        real, text = read_text(root, path, max_bytes=MAX_BYTES)
        list_real, list_text = read_text(root, checklist, max_bytes=MAX_BYTES)
    except ProjectFileError as err:
        return f"Error: {err}"
    name, list_name = relative(root, real), relative(root, list_real)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    raw_lines = text.splitlines()
    known: dict[str, list[Setting]] = {}
    for setting in settings(text):
        known.setdefault(setting.key, []).append(setting)
    found = items(list_text)
    if not found:
        return f"{list_name}: no checklist items (numbered or bulleted lines) to check"
    fails, holds, unknown = [], [], []
    for item in found:
        keys = _named_keys(item.text, known)
        if not keys:
            unknown.append(
                f"item {item.number} ({clip(item.text, 100)}): no setting of {name} matches it"
            )
            continue
        for key in keys:
            setting = known[key][-1]  # the last assignment is the one that counts
            raw = raw_lines[setting.line - 1]
            verdict = _check(item, setting, raw, keys, ext)
            where = f"{name}:{setting.line}"
            if verdict is None:
                unknown.append(
                    f"item {item.number} ({clip(item.text, 100)}): {key} is "
                    f"{clip(setting.value, 60)} (line {setting.line}); nothing to "
                    "compare it with"
                )
            elif verdict:
                why, arrow, fix = verdict.rpartition(" -> ")
                if arrow:
                    why = "" if why.startswith("it is ") else f" ({why})"
                    said = f"{raw.strip()} -> {fix}{why}"
                else:  # a value that is ruled out, with nothing named to put instead
                    said = f"{raw.strip()} ({fix}, which the item rules out)"
                fails.append(f"{where}: item {item.number} fails ({clip(item.text, 140)}): {said}")
            else:
                holds.append(f"{where}: item {item.number} holds: {clip(raw.strip(), 100)}")
    head = (
        f"{len(fails)} checklist item check(s) of {list_name} fail in {name}"
        if fails
        else f"{name} meets every checkable item of {list_name}"
    )
    return "\n".join([head, *fails, *holds, *(f"not checked: {u}" for u in unknown)])


class CheckChecklistInput(BaseModel):
    """Arguments of check_checklist."""

    path: str = Field(min_length=1, description="The settings file to check (py, yaml, env...).")
    checklist: str = Field(
        min_length=1, description="The checklist document whose items the settings must meet."
    )


def checklist_tools(root: Path) -> list[BaseTool]:
    """check_checklist over the project folder `root`."""
    root = Path(root).resolve()

    def check_checklist_tool(path: str, checklist: str) -> str:
        return check_checklist(root, path, checklist)

    return [
        StructuredTool.from_function(
            func=check_checklist_tool,
            name="check_checklist",
            description=(
                "Check a settings file (Python settings, YAML, .env, INI, JSON, TOML) against a "
                "checklist document item by item: each item that fails with the setting's line "
                "and the corrected line, the items that hold, and those it cannot check."
            ),
            args_schema=CheckChecklistInput,
        )
    ]
