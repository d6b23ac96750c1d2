"""A text written from a template with placeholders ("Dear {client_name}", "[Invoice number]",
"<due date>"), each filled with the value the person's other files give under the same name: a
"Key: value" line of a note, or the cell of a table's row about the subject the task names. A
placeholder no file fills stays as it is and is listed for the person: nothing is guessed.
"""

from __future__ import annotations

import csv
import io
import re

from backends.local.plans import Outcome, Work
from backends.local.task_subjects import TaskSubjects, extension

_PLACEHOLDER = re.compile(
    r"\{\{\s*([A-Za-z][\w .-]{0,40}?)\s*\}\}|\{([A-Za-z][\w .-]{0,40}?)\}"
    r"|\[\[?([A-Za-z][\w .-]{0,40}?)\]?\](?!\()|<([A-Za-z][\w .-]{0,40}?)>"
)
"""A slot of a template: {name}, {{ name }}, [Name], [[name]], <name> (not a markdown link)."""
_NUMBERED = re.compile(r"^(\d+): ?(.*)$")
_KEY_VALUE = re.compile(r"^\W{0,3}([A-Za-z][\w ./()-]{0,40}?)\s*[:=]\s+(\S.{0,200}?)\s*$")
_TABLE_TYPES = frozenset({"csv", "tsv"})
_NOT_TEMPLATES = frozenset({"csv", "tsv", "py", "html", "htm", "xml", "js", "ts", "json", "svg"})
_TEMPLATE_NAME = re.compile(r"template|boilerplate|form\b|skeleton|blank", re.I)
_TEMPLATE_ASK = re.compile(
    r"\btemplate\b|\bfill(?:ing)?\b|\bplaceholders?\b|\bfollow(?:s|ing)?\b|\busing\b|\bbased on\b",
    re.I,
)
"""A task that asks for a text built on a template."""
_STOP = frozenset("the a an of your my our their his her its to for in on at and or no".split())
_GENERIC = frozenset(
    "name names date dates day number no num id code amount total value address email phone"
    " first last full new old current start end time".split()
)
"""Words many slots share; a match on them alone is no match."""
_HIT = re.compile(r"^([^:\n]+):(\d+): (.*)$")
MAX_SEARCHED = 6
"""Placeholders looked for across the project when no named file fills them."""
MIN_SLOTS = 2
"""A file with fewer placeholders is no template (a stray <br> or [x])."""


def _lines(work: Work, path: str) -> list[tuple[int, str]]:
    text = work.output("read_lines", path=path, start=1) or ""
    found = [m for m in map(_NUMBERED.match, text.splitlines()[1:]) if m]
    return [(int(m.group(1)), m.group(2)) for m in found]


def _words(name: str) -> tuple[str, ...]:
    split = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower()
    return tuple(w for w in re.findall(r"[a-z0-9]+", split) if w not in _STOP)


def _slot(match: re.Match[str]) -> str:
    return next(g for g in match.groups() if g)


def _template(work: Work, subjects: TaskSubjects) -> tuple[str, list[tuple[int, str]]] | None:
    """(path, lines) of the named file that holds at least MIN_SLOTS placeholders."""
    for name in subjects.files:
        if extension(name) in _NOT_TEMPLATES:
            continue
        if not (_TEMPLATE_NAME.search(name) or _TEMPLATE_ASK.search(subjects.task)):
            continue
        path = work.resolve(name)
        if path is None:
            continue
        lines = _lines(work, path)
        slots = {_slot(m) for _, t in lines for m in _PLACEHOLDER.finditer(t)}
        if len({_words(s) for s in slots if _words(s)}) >= MIN_SLOTS:
            return path, lines
    return None


def _values(work: Work, subjects: TaskSubjects, template: str) -> dict[tuple[str, ...], str]:
    """Each value the other files give, by the words of its name, with where it is."""
    values: dict[tuple[str, ...], str] = {}
    task = subjects.task.lower()
    for name in subjects.files:
        path = work.resolve(name)
        if path is None or path == template:
            continue
        lines = _lines(work, path)
        if extension(path) in _TABLE_TYPES:
            text = "\n".join(t for _, t in lines)
            delimiter = "\t" if extension(path) == "tsv" else ","
            rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
            if len(rows) < 2:
                continue
            header = [h.strip() for h in rows[0]]
            # The row about the task's subject: the most of its cells the task names.
            scored = [
                (sum(1 for c in row if len(c.strip()) > 2 and c.strip().lower() in task), -n, n)
                for n, row in enumerate(rows[1:], 2)
            ]
            best = max(scored, default=(0, 0, 0))
            if best[0] == 0:
                continue
            row = rows[best[2] - 1]
            for head, cell in zip(header, row, strict=False):
                if cell.strip():
                    values.setdefault(_words(head), f"{cell.strip()}|{path} line {best[2]}")
            continue
        for number, text in lines:
            match = _KEY_VALUE.match(text)
            if match and _words(match.group(1)):
                values.setdefault(_words(match.group(1)), f"{match.group(2)}|{path} line {number}")
    return values


def _fill(slot: str, values: dict[tuple[str, ...], str]) -> str | None:
    """The value whose name has the same words as the slot, else the one sharing the most."""
    wanted = _words(slot)
    if not wanted:
        return None
    if wanted in values:
        return values[wanted]
    best = max(
        values.items(),
        key=lambda kv: (len(set(kv[0]) & set(wanted)) / len(set(kv[0]) | set(wanted)), -len(kv[0])),
        default=None,
    )
    shared = set(best[0]) & set(wanted) if best else set()
    # A shared word that tells the slots apart ('tenant'), not one every slot has ('name').
    if best and shared - _GENERIC and len(shared) * 2 >= len(wanted):
        return best[1]
    return None


def _written_slot(text: str, slot: str) -> str:
    """The placeholder as the template writes it ({iban}, [IBAN]...), or a never-found marker."""
    return next((m.group(0) for m in _PLACEHOLDER.finditer(text) if _slot(m) == slot), "\0")


def _searched(work: Work, slot: str, template: str) -> str | None:
    """A slot no named file fills, from a "Key: value" line anywhere in the project."""
    words = _words(slot)
    if not words:
        return None
    found = work.output("search_text", text=" ".join(words)) or ""
    values: dict[tuple[str, ...], str] = {}
    for hit in map(_HIT.match, found.splitlines()):
        if hit is None or hit.group(1) == template:
            continue
        pair = _KEY_VALUE.match(hit.group(3))
        if pair and _words(pair.group(1)) and not _PLACEHOLDER.search(pair.group(2)):
            where = f"{hit.group(1)} line {hit.group(2)}"
            values.setdefault(_words(pair.group(1)), f"{pair.group(2)}|{where}")
    return _fill(slot, values) if values else None


def template_draft(work: Work, subjects: TaskSubjects) -> Outcome | None:
    """The template the task names with its placeholders filled from the other files, or None
    when no named file is such a template."""
    found = _template(work, subjects)
    if found is None:
        return None
    path, lines = found
    values = _values(work, subjects, path)
    if not values:
        return None
    filled: dict[str, str] = {}
    missing: list[str] = []
    out = []
    for _, text in lines:

        def put(match: re.Match[str]) -> str:
            slot = _slot(match)
            value = _fill(slot, values)
            if value is None:
                if slot not in missing:
                    missing.append(slot)
                return match.group(0)
            filled.setdefault(slot, value)
            return value.split("|", 1)[0]

        out.append(_PLACEHOLDER.sub(put, text))
    for slot in list(missing[:MAX_SEARCHED]):
        value = _searched(work, slot, path)
        if value is not None:
            missing.remove(slot)
            filled[slot] = value
            out = [t.replace(_written_slot(t, slot), value.split("|", 1)[0]) for t in out]
    if not filled:
        return None
    notes = ["", "---", "Notes for you (not part of the text):"]
    notes += [
        f"- {slot}: {v.split('|', 1)[0]} ({v.split('|', 1)[1]})" for slot, v in filled.items()
    ]
    notes += [f"- Not filled (no file gives it): {slot}" for slot in missing]
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:60] or "draft"
    target = f"drafts/{slug}.md"
    done = work.call("write_file", file_path=target, text="\n".join(out) + "\n")
    return Outcome(
        title=f"Draft from {path}",
        lines=[*out, *notes],
        written=target if done.ok else None,
        did=f"filled the template {path} ({len(filled)} placeholders) from the other files",
    )
