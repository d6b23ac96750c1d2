"""fix_error for a key or option the code asks for and a settings file does not have.

`KeyError: 'port'`, configparser's `No option 'port' in section: 'database'` or `No section:
'db'`: the usual cause is a near-miss in the settings file (`prot = 5432`, `Port`, `db_port`).
This reads the config and data files the task names (else those of the project), finds the
section's keys as the file writes them, and names the closest one with its line and the
corrected line.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from backends.local.task_subjects import TaskSubjects

if TYPE_CHECKING:
    from backends.local.plans import Work

SETTINGS_EXTENSIONS = ("ini", "cfg", "conf", "env", "toml", "yaml", "yml", "json", "properties")
"""Files whose lines are `key = value` / `key: value` settings."""

_NO_OPTION = re.compile(r"No option '(?P<key>[^']+)' in section: '(?P<section>[^']+)'")
_NO_SECTION = re.compile(r"No section: '(?P<section>[^']+)'")
_KEY_ERROR = re.compile(r"""^\s*['"](?P<key>[^'"]+)['"]\s*$""")
_SECTION_LINE = re.compile(r"^\s*\[\[?(?P<name>[^\]]+)\]\]?\s*(?:[#;].*)?$")
_KEY_LINE = re.compile(r"""^(?P<indent>\s*)(?P<q>["']?)(?P<key>[A-Za-z_][\w.-]*)(?P=q)\s*[=:]""")
_READ_CAP = 400
"""Lines of one settings file read at most."""


def missing_key(exc: str, message: str) -> tuple[str, str | None, bool] | None:
    """(key, section or None, is_section) of an error about a key that is not there."""
    if exc == "NoOptionError":
        match = _NO_OPTION.search(message)
        return (match["key"], match["section"], False) if match else None
    if exc == "NoSectionError":
        match = _NO_SECTION.search(message)
        return (match["section"], None, True) if match else None
    if exc == "KeyError":
        match = _KEY_ERROR.match(message) or re.search(r"['\"](?P<key>[^'\"]+)['\"]", message)
        return (match["key"], None, False) if match else None
    return None


def settings_key_finding(
    work: Work, subjects: TaskSubjects, exc: str, message: str
) -> tuple[str, str] | None:
    """Cause and fix when a settings file writes the missing key or section nearly right."""
    wanted = missing_key(exc, message)
    if wanted is None:
        return None
    key, section, is_section = wanted
    for path in _settings_files(work, subjects):
        numbered = _read(work, path)
        if not numbered:
            continue
        found = _near_miss(numbered, key, section, is_section)
        if found is None:
            continue
        line_no, written = found
        text = numbered[line_no]
        fixed = text.replace(written, key, 1)
        what = "section" if is_section else "key"
        where = f" in section [{section}]" if section else ""
        cause = (
            f"the code asks for the {what} '{key}'{where}, but `{path}` line {line_no} writes it "
            f"as '{written}' ({text.strip()}): the names are matched exactly"
        )
        fix = f"rename it on line {line_no} of `{path}` (the corrected line below)\n{fixed}"
        return cause, fix
    return None


def _settings_files(work: Work, subjects: TaskSubjects) -> list[str]:
    """Settings files the task or events name, then the project's (named ones first)."""
    named = [work.resolve(f) for f in subjects.files_with(frozenset(SETTINGS_EXTENSIONS))]
    found = [p for p in named if p]
    for ext in SETTINGS_EXTENSIONS:
        listed = work.output("file_search", pattern=f"*.{ext}", dir_path=".") or ""
        found += [ln.strip() for ln in listed.splitlines() if ln.strip().endswith(f".{ext}")]
    return list(dict.fromkeys(found))[:6]


def _read(work: Work, path: str) -> dict[int, str]:
    """Line number -> text of a file, as read_lines shows it."""
    shown = work.output("read_lines", path=path, start=1, end=_READ_CAP) or ""
    numbered: dict[int, str] = {}
    for line in shown.splitlines():
        match = re.match(r"^(\d+): ?(.*)$", line)
        if match:
            numbered[int(match.group(1))] = match.group(2)
    return numbered


def _near_miss(
    numbered: dict[int, str], key: str, section: str | None, is_section: bool
) -> tuple[int, str] | None:
    """(line, name as written) of the closest name to `key`, None when the file has it exactly
    (then the cause is elsewhere) or has nothing close."""
    names: dict[str, int] = {}
    current: str | None = None
    for number in sorted(numbered):
        text = numbered[number]
        head = _SECTION_LINE.match(text)
        if head:
            current = head["name"].strip()
            if is_section:
                names.setdefault(current, number)
            continue
        match = _KEY_LINE.match(text)
        if match and not is_section and (section is None or current == section):
            names.setdefault(match["key"], number)
    if key in names or not names:
        return None
    same = sorted(n for n in names if n.lower() == key.lower())
    close = same or difflib.get_close_matches(key, sorted(names), n=1, cutoff=0.7)
    if not close:
        return None
    return names[close[0]], close[0]


# --- division by an empty group ---------------------------------------------------------------

_DIVISOR_LEN = re.compile(r"/\s*len\((?P<group>[A-Za-z_]\w*)\[(?P<key>[A-Za-z_]\w*)\]\)")


def empty_group_finding(work: Work, path: str, line_no: int, code: str) -> tuple[str, str] | None:
    """Cause and fix of `x / len(groups[key])` dividing by zero: the keys the loop walks (a
    list written in the module) that the data file it reads has no record for."""
    match = _DIVISOR_LEN.search(code)
    if match is None:
        return None
    group, key = match["group"], match["key"]
    statement = code.strip()
    target, _, value = statement.partition(" = ")
    guarded = f"{target} = {value} if {group}[{key}] else 0" if value else f"if {group}[{key}]: ..."
    fix = f"guard the division so every {key} still gets a value; line {line_no} becomes:\n"
    fix += " " * (len(code) - len(code.lstrip())) + guarded
    source = _read(work, path)
    empty = _keys_without_records(work, source, group, key) if source else None
    if empty is None:
        cause = f"`{group}` has no entries for some {key}, so len({group}[{key}]) is 0"
        return cause, fix
    names, listed_at, listing, data, column = empty
    shown = ", ".join(f"'{n}'" for n in names)
    cause = (
        f"`{listing}` (line {listed_at}) lists {shown}, but `{data}` has no row whose "
        f"{column} is {shown}, so {group}[{key}] is empty for it and len({group}[{key}]) is 0 "
        f"at line {line_no}"
    )
    return cause, fix


def _keys_without_records(
    work: Work, source: dict[int, str], group: str, key: str
) -> tuple[list[str], int, str, str, str] | None:
    """(missing keys, line of the list, list name, data file, column) or None when unknown."""
    import ast  # noqa: PLC0415 (only this analysis parses code)

    text = "\n".join(source[n] for n in sorted(source))
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    lists: dict[str, tuple[int, list[str]]] = {}
    loops: list[str] = []
    column = None
    files: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List | ast.Tuple):
            items = [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
            if items and all(isinstance(i, str) for i in items):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        lists[t.id] = (node.lineno, items)
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            if node.target.id == key and isinstance(node.iter, ast.Name):
                loops.append(node.iter.id)
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            # group[row["column"]] (appended to or counted): the column the groups come from
            inner = node.slice
            if node.value.id == group and isinstance(inner, ast.Subscript):
                if isinstance(inner.slice, ast.Constant) and isinstance(inner.slice.value, str):
                    column = inner.slice.value
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.lower().endswith((".csv", ".tsv")):
                files.append(node.value)
    listing = next((name for name in loops if name in lists), None)
    if listing is None or column is None or not files:
        return None
    data = work.resolve(files[0])
    if data is None:
        return None
    values = _column_values(_read(work, data), column, "\t" if data.endswith(".tsv") else ",")
    if values is None:
        return None
    line, items = lists[listing]
    missing = [i for i in items if i not in values]
    return (missing, line, listing, data, column) if missing else None


def _column_values(numbered: dict[int, str], column: str, delimiter: str) -> set[str] | None:
    """The values of one column of a CSV file, None when it has no such column."""
    import csv  # noqa: PLC0415

    rows = list(csv.reader([numbered[n] for n in sorted(numbered)], delimiter=delimiter))
    if not rows or column not in rows[0]:
        return None
    at = rows[0].index(column)
    return {r[at].strip() for r in rows[1:] if len(r) > at}
