"""`code_markers`: the TODO / FIXME / XXX / HACK comments of a project's code, with where they sit.

Only comments count: in Python the tokenizer says what is a comment (so a `TodoList` class or a
"TODO" inside a string is not one); in other languages a marker must follow a comment sign
(`#`, `//`, `/*`, `*`, `--`, `<!--`, `;`). A marker is the upper-case word (TODO, not Todo). Each
is given with its file, line, the enclosing Python function, its owner ("TODO(maria)") and text.
Hidden folders (an editor's settings, .git) are not the person's code and are not read.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, clip, iter_files, relative, resolve_in_root, scan_text

MARKERS = ("TODO", "FIXME", "XXX", "HACK", "BUG")
"""The markers looked for when none is named."""
MAX_MARKERS = 80
"""Markers listed at most."""
CODE_SUFFIXES = frozenset(
    """.py .pyi .js .jsx .ts .tsx .mjs .java .kt .go .rs .c .h .cc .cpp .hpp .cs .rb .php .swift
    .scala .sh .bash .zsh .ps1 .sql .lua .r .pl .css .scss .html .vue .svelte .yaml .yml .toml
    .cfg .ini .tf .dockerfile .mk .cmake""".split()
)
"""Files read as code (documents such as notes are not: a TODO there is prose)."""
_COMMENT_SIGN = re.compile(r"(?:#|//|/\*|^\s*\*|--|<!--|;)")


@dataclass(frozen=True)
class Marker:
    """One marker comment."""

    path: str
    """The file, relative to the project root."""
    line: int
    """Its line."""
    marker: str
    """'TODO', 'FIXME', ..."""
    owner: str
    """The name in 'TODO(maria)', or ''."""
    text: str
    """What the comment says after the marker."""
    where: str
    """The enclosing Python function ('TodoList.add'), or ''."""


def _pattern(markers: tuple[str, ...]) -> re.Pattern[str]:
    words = "|".join(re.escape(m) for m in markers)
    return re.compile(rf"(?<![\w-])({words})(?![\w-])(?:\(([^)\n]{{1,40}})\))?:?\s*(.*)")


def _python_comments(text: str) -> list[tuple[int, str]]:
    """(line, comment text) of each comment token of a Python file."""
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                found.append((token.start[0], token.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return _other_comments(text)
    return found


def _other_comments(text: str) -> list[tuple[int, str]]:
    """(line, text from the comment sign on) of each line with a comment sign."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        sign = _COMMENT_SIGN.search(line)
        if sign:
            found.append((number, line[sign.start() :]))
    return found


def _functions(text: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of each Python function and method."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, f"{name}.")

    visit(tree, "")
    return spans


def _enclosing(spans: list[tuple[int, int, str]], line: int) -> str:
    inside = [s for s in spans if s[0] <= line <= s[1]]
    return max(inside, key=lambda s: s[0])[2] if inside else ""


def markers_in(path: str, text: str, markers: tuple[str, ...]) -> list[Marker]:
    """The marker comments of one file's text."""
    python = path.endswith((".py", ".pyi"))
    comments = _python_comments(text) if python else _other_comments(text)
    spans = _functions(text) if python else []
    pattern = _pattern(markers)
    found = []
    for line, comment in comments:
        hit = pattern.search(comment)
        if hit is None:
            continue
        said = hit.group(3).strip().removesuffix("*/").removesuffix("-->").strip()
        where = _enclosing(spans, line)
        found.append(Marker(path, line, hit.group(1), hit.group(2) or "", said, where))
    return found


def code_markers(
    root: Path, path: str = ".", marker: str = "", skip: frozenset[str] = frozenset()
) -> str:
    """The tool's answer: every marker comment under `path`, by file and line."""
    wanted = tuple(m for m in re.split(r"[\s,|]+", marker.upper()) if m) if marker else MARKERS
    if any(not m.isidentifier() or len(m) > 20 for m in wanted):
        return f"Error: {marker!r} is not a marker word such as TODO or FIXME"
    try:
        base = resolve_in_root(root, path or ".")
    except ProjectFileError as err:
        return f"Error: {err}"
    if not base.exists():
        return f"Error: {path} does not exist under the project root"
    files = (
        [base]
        if base.is_file()
        else [f for f in iter_files(root, skip) if f.resolve().is_relative_to(base.resolve())]
    )
    found: list[Marker] = []
    for file in files:
        if file.suffix.lower() not in CODE_SUFFIXES and file.name.lower() != "dockerfile":
            continue
        text = scan_text(file)
        if text is None or not any(m in text for m in wanted):
            continue
        found += markers_in(relative(root, file), text, wanted)
    scope = "the project" if (path or ".").strip() in (".", "") else path.strip()
    names = "/".join(wanted)
    if not found:
        return f"No {names} comment in the code under {scope}."
    files_with = sorted({m.path for m in found})
    out = [f"{names} comments in the code under {scope}: {len(found)} in {len(files_with)} files"]
    for item in found[:MAX_MARKERS]:
        owner = f"({item.owner})" if item.owner else ""
        where = f"  -- in {item.where}()" if item.where else ""
        out.append(f"{item.path}:{item.line}: {item.marker}{owner}: {clip(item.text)}{where}")
    if len(found) > MAX_MARKERS:
        out.append(f"... and {len(found) - MAX_MARKERS} more")
    return "\n".join(out)


class CodeMarkersInput(BaseModel):
    """Arguments of code_markers."""

    path: str = Field(default=".", description="A folder or file under the project root.")
    marker: str = Field(
        default="",
        description="Marker words, e.g. 'TODO' or 'TODO,FIXME'; empty: TODO FIXME XXX HACK BUG.",
    )


def marker_tools(root: Path, skip: frozenset[str] = frozenset()) -> list[BaseTool]:
    """code_markers over the project folder `root`."""
    root = Path(root).resolve()

    def code_markers_tool(path: str = ".", marker: str = "") -> str:
        return code_markers(root, path, marker, skip)

    return [
        StructuredTool.from_function(
            func=code_markers_tool,
            name="code_markers",
            description=(
                "List the TODO / FIXME / XXX / HACK comments in the person's code (comments only, "
                "upper-case markers, so a TodoList class is not one): 'path:line: TODO(owner): "
                "text -- in function()'. Reads every code file, whatever an editor's search "
                "excludes."
            ),
            args_schema=CodeMarkersInput,
        )
    ]
