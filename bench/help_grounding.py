"""Is a help result grounded? Every file path, `line N` reference, code identifier in
backticks and URL it cites must come from the person's workspace, the events, or the output of a
tool the executor really called; anything else was invented.

The checker reads the result's text only (no model): it extracts the citations with patterns and
looks each one up in the evidence.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

FILE_EXTENSIONS = frozenset(
    (
        "py pyi ipynb md markdown rst txt csv tsv json jsonl yaml yml toml ini cfg conf env lock "
        "js jsx ts tsx mjs html htm css scss xml svg sql sh bash zsh ps1 bat log c h cc cpp hpp "
        "java kt go rs rb php swift r jl lua pl scala tex bib docx doc pdf xlsx xls pptx ppt odt "
        "ods png jpg jpeg gif webp mp3 mp4 wav zip gz tar whl ics eml msg"
    ).split()
)
"""Extensions that make a dotted word a file name (`notes.md`, not `csv.DictReader`)."""

WRITE_TOOLS = frozenset(
    {"write_file", "write_note", "write_outline", "set_reminder", "list_reminders"}
)
"""Tools whose output echoes what the executor itself wrote: it grounds nothing."""

_URL = re.compile(r"\bhttps?://[^\s<>()\"'`\[\]{}]+", re.IGNORECASE)
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_BACKTICKS = re.compile(r"`([^`\n]+)`")
_TOKEN = re.compile(r"[\w~./-]+")
_EXT_PATH = re.compile(r"^(?:~/|\.{1,2}/|/)?(?:[\w.-]+/)*[\w-][\w.-]*\.([A-Za-z0-9]+)$")
_SLASH_PATH = re.compile(r"^(?:~/|\.{1,2}/|/)(?:[\w.-]+/?)+$|^(?:[\w.-]+/)+$")
_FILE_LINE = re.compile(r"([\w~./-]*[\w-]\.[A-Za-z0-9]+):(\d+)\b")
_LINE_WORD = re.compile(r"\blines?\s+(\d+)(?:\s*(?:-|–|to|and|through)\s*(\d+))?", re.IGNORECASE)
_IDENT = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")

_KNOWN_NAMES = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))
"""Python's keywords and builtins: citing `None` or `int` invents nothing."""


@dataclass
class Evidence:
    """What a result may cite."""

    source_files: dict[str, str]
    """The workspace as the case gave it: relative path -> text."""
    existing: dict[str, int]
    """Every path in the workspace after the run (files and folders) -> its line count."""
    texts: list[str] = field(default_factory=list)
    """The events, the person's task, and the outputs of the tools the executor called."""
    root: str = ""
    """The workspace's absolute path (an absolute path under it counts as relative)."""

    def corpus(self) -> str:
        """Everything a citation may come from, as one text."""
        return "\n".join([*self.source_files.values(), *self.texts])


def tool_texts(calls: Iterable[dict]) -> list[str]:
    """The outputs that ground citations: calls that succeeded, of tools that read."""
    return [
        str(call.get("output", ""))
        for call in calls
        if call.get("ok", True) and call.get("tool") not in WRITE_TOOLS
    ]


def _strip_path(token: str) -> str:
    return token.rstrip(".,;:!?")


def cited_paths(text: str) -> list[str]:
    """File paths a text cites: words with a known file extension, and slashed paths that
    start at a root (`/`, `./`, `../`, `~/`) or end with `/` (a folder)."""
    text = _URL.sub(" ", text)
    out: list[str] = []
    for match in _TOKEN.finditer(text):
        token = _strip_path(match.group(0))
        if not token or token in out:
            continue
        ext = _EXT_PATH.match(token)
        if (ext and ext.group(1).lower() in FILE_EXTENSIONS) or _SLASH_PATH.match(token):
            out.append(token)
    return out


def cited_urls(text: str) -> list[str]:
    """URLs a text cites (trailing punctuation left off)."""
    return list(dict.fromkeys(_strip_path(m.group(0)).rstrip(")") for m in _URL.finditer(text)))


def cited_identifiers(text: str) -> list[str]:
    """Code identifiers in single backticks (fenced blocks left out), without Python's own
    keywords and builtins and without file names."""
    text = _FENCE.sub(" ", text)
    out: list[str] = []
    for span in _BACKTICKS.finditer(text):
        inner = _URL.sub(" ", span.group(1))
        paths = set(cited_paths(inner))
        for match in _IDENT.finditer(inner):
            name = match.group(0)
            if name in paths or name in _KNOWN_NAMES or name in out:
                continue
            ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            if ext in FILE_EXTENSIONS:
                continue  # a file name, checked as a path
            out.append(name)
    return out


def _relative(path: str, root: str) -> str:
    if root and path.startswith(root.rstrip("/") + "/"):
        path = path[len(root.rstrip("/")) + 1 :]
    while path.startswith("./"):
        path = path[2:]
    return path.rstrip("/")


def _resolve(path: str, evidence: Evidence) -> str | None:
    """The workspace path a cited path names (exactly, or by its trailing parts), or None."""
    rel = _relative(path, evidence.root)
    if rel in evidence.existing:
        return rel
    if not path.startswith(("/", "~", "..")):  # a relative path may leave out its folders
        tail = "/" + rel
        matches = sorted(p for p in evidence.existing if p.endswith(tail))
        if matches:
            return matches[0]
    return None


def _mentions(corpus: str, phrase: str) -> bool:
    pattern = r"(?<![\w])" + re.escape(phrase) + r"(?![\w])"
    return re.search(pattern, corpus, re.IGNORECASE) is not None


def _word(corpus: str, name: str) -> bool:
    return re.search(r"(?<![\w])" + re.escape(name) + r"(?![\w])", corpus) is not None


def ungrounded(result: str, evidence: Evidence) -> list[str]:
    """Every citation in `result` that the evidence does not hold, each named with its kind:
    'path x', 'line N', 'x.py:N', 'identifier `x`', 'url x'."""
    corpus = evidence.corpus()
    texts = "\n".join(evidence.texts)
    missing: list[str] = []
    cited_files: list[str] = []
    for path in cited_paths(result):
        found = _resolve(path, evidence)
        if found is not None:
            cited_files.append(found)
        elif not _mentions(corpus, path):
            missing.append(f"path {path}")
    for file, number in _FILE_LINE.findall(result):
        found = _resolve(_strip_path(file), evidence)
        n = int(number)
        ok = found is not None and evidence.existing.get(found, 0) >= n
        if not ok and not _mentions(texts, f"{file}:{number}"):
            missing.append(f"{file}:{number}")
    relevant = [p for p in cited_files if evidence.existing.get(p, 0) > 0]
    named = [p for p in evidence.source_files if _mentions(texts, p)]
    relevant += [p for p in named if p not in relevant]
    if not relevant:
        relevant = list(evidence.source_files)
    longest = max((evidence.existing.get(p, 0) for p in relevant), default=0)
    for match in _LINE_WORD.finditer(result):
        for number in filter(None, match.groups()):
            n = int(number)
            if n <= longest or _mentions(texts, f"line {n}") or _mentions(texts, f"lines {n}"):
                continue
            if re.search(rf"^\s*{n}:", texts, re.MULTILINE):  # a numbered line a tool showed
                continue
            missing.append(f"line {n}")
    for name in cited_identifiers(result):
        if _word(corpus, name):
            continue
        parts = name.split(".")
        if len(parts) > 1 and all(_word(corpus, part) for part in parts):
            continue
        missing.append(f"identifier `{name}`")
    for url in cited_urls(result):
        if url not in corpus:
            missing.append(f"url {url}")
    return list(dict.fromkeys(missing))


def line_counts(files: dict[str, str]) -> dict[str, int]:
    """Line counts of file texts, and every folder above them (0 lines)."""
    out: dict[str, int] = {}
    for name, text in files.items():
        out[name] = len(text.splitlines())
        for parent in PurePosixPath(name).parents:
            if str(parent) != ".":
                out.setdefault(str(parent), 0)
    return out
