"""`review_patch`: the code a change adds (a unified diff / .patch file) reviewed line by line.

A person reviewing a pull request downloaded as a patch wants the problems of the lines it adds,
each with a concrete fix: SQL built from data with an f-string, `.format`, `%` or `+` (an
injection; the fix passes the values as the driver's parameters, written out), an exception
swallowed by `pass`, and what ruff's security and bug rules find on the new code. Each finding is
cited by the patch's own line and the changed file's new line, in the function it sits in. Lines
the change only keeps as context are not blamed. Nothing is run: the code is parsed and linted.
"""

from __future__ import annotations

import ast
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.lint import IGNORED_RULES, LINT_TIMEOUT_SECONDS, SELECTED_RULES, ruff_binary
from tools.project import ProjectFileError, clip, read_text, relative

MAX_BYTES = 500_000
"""Largest patch read."""
MAX_FINDINGS = 40
"""Findings listed."""
PATCH_RULES = f"{SELECTED_RULES},S105,S106,S301,S324,S501,S603,S604,S605,S701,BLE001"
"""ruff's rules on added code: the review set plus secrets, pickle, weak hashes, TLS off, shell
calls, unescaped templates and blind excepts."""

_FILE = re.compile(r"^\+\+\+ (?:b/)?(?P<path>[^\t\n]+)")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,\d+)? @@")
_SQL = re.compile(r"^\s*(?:SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|WITH)\b", re.I)
_EXECUTE = frozenset(
    {
        "execute",
        "executemany",
        "executescript",
        "raw",
        "read_sql",
        "read_sql_query",
        "query",
        "exec_driver_sql",
        "mogrify",
    }
)
_RUFF_LINE = re.compile(r"^[^:]+:(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<msg>.*)$")
_TEXT_SQL = re.compile(
    r"""(?P<q>["'`])\s*(?:SELECT|INSERT|UPDATE|DELETE)\b[^"'`]*(?P=q)\s*(?:\+|%\s*[\w(])"""
    r"""|["'`]\s*(?:SELECT|INSERT|UPDATE|DELETE)\b[^"'`]*\$\{""",
    re.I,
)


@dataclass
class Changed:
    """One file of a patch: the new code its hunks show, and where each of its lines came from."""

    path: str
    """The file's path after the change."""
    code: list[str] = field(default_factory=list)
    """The hunks' new lines (context and added), in order."""
    patch_line: list[int] = field(default_factory=list)
    """For each code line: its 1-based line in the patch."""
    new_line: list[int] = field(default_factory=list)
    """For each code line: its line in the changed file."""
    added: list[bool] = field(default_factory=list)
    """For each code line: whether the change adds it."""


def parse_patch(text: str) -> list[Changed]:
    """The files of a unified diff with their new code."""
    files: list[Changed] = []
    current: Changed | None = None
    new = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if m := _FILE.match(raw):
            path = m["path"].strip()
            current = None if path == "/dev/null" else Changed(path)
            if current:
                files.append(current)
            continue
        if raw.startswith("--- ") or current is None:
            continue
        if m := _HUNK.match(raw):
            new = int(m["start"])
            continue
        if raw.startswith("-") or raw.startswith("\\"):
            continue
        if raw.startswith(("+", " ")) or raw == "":
            current.code.append(raw[1:] if raw else "")
            current.patch_line.append(number)
            current.new_line.append(new)
            current.added.append(raw.startswith("+"))
            new += 1
    return files


def _placeholder(source: str) -> str:
    """The driver's parameter marker: ? for sqlite3, %s for the psycopg / MySQL drivers."""
    if re.search(r"\b(?:psycopg2?|pymysql|MySQLdb|mysql\.connector|asyncpg)\b", source):
        return "$1" if "asyncpg" in source else "%s"
    return "?"


def _parameterised(node: ast.expr, marker: str) -> tuple[str, list[str]] | None:
    """The SQL of an f-string / concatenation with each value replaced by a marker (the quotes
    around it dropped), and the values' expressions."""
    parts: list[tuple[str, str | None]] = []  # (text, expression)

    def walk(n: ast.expr) -> bool:
        if isinstance(n, ast.JoinedStr):
            for v in n.values:
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    parts.append((v.value, None))
                elif isinstance(v, ast.FormattedValue):
                    parts.append(("", ast.unparse(v.value)))
                else:
                    return False
            return True
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            parts.append((n.value, None))
            return True
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
            return walk(n.left) and walk(n.right)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "str":
            parts.append(("", ast.unparse(n.args[0]) if n.args else ""))
            return True
        if isinstance(n, ast.expr):
            parts.append(("", ast.unparse(n)))
            return True
        return False

    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):  # "... '%s'" % (a, b)
        if not (isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)):
            return None
        values = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        pieces = re.split(r"%[sdif]", node.left.value)
        if len(pieces) != len(values) + 1:
            return None
        for piece, value in zip(pieces, values, strict=False):
            parts += [(piece, None), ("", ast.unparse(value))]
        parts.append((pieces[-1], None))
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        pieces = re.split(r"\{[^{}]*\}", node.func.value.value)
        values = [*node.args, *(k.value for k in node.keywords)]
        if len(pieces) != len(values) + 1:
            return None
        for piece, value in zip(pieces, values, strict=False):
            parts += [(piece, None), ("", ast.unparse(value))]
        parts.append((pieces[-1], None))
    elif not walk(node):
        return None
    sql, values = "", []
    for text, expression in parts:
        if expression is None:
            sql += text
            continue
        if sql.endswith(("'", '"')):
            sql = sql[:-1]
            parts_after = True
        else:
            parts_after = False
        sql += marker
        values.append(expression)
        if parts_after:
            sql += "\x00"  # the closing quote that follows is dropped below
    sql = re.sub("\x00['\"]", "", sql).replace("\x00", "")
    return (sql, values) if values else None


def _dynamic(node: ast.expr) -> bool:
    """A string built from values at run time (f-string with fields, %, +, .format)."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    )


def _sql_text(node: ast.expr) -> str:
    """The literal text of a (built) string, fields left out."""
    parts = [n for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return "".join(n.value for n in sorted(parts, key=lambda n: (n.lineno, n.col_offset)))


def _functions(tree: ast.AST) -> list[tuple[int, int, str]]:
    return [
        (n.lineno, n.end_lineno or n.lineno, n.name)
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def _inside(line: int, functions: list[tuple[int, int, str]]) -> str:
    names = [(a, name) for a, b, name in functions if a <= line <= b]
    return max(names)[1] if names else ""


def _swallowed(handler: ast.ExceptHandler) -> bool:
    """An except clause whose body only passes, continues or returns nothing."""
    body = handler.body
    return all(
        isinstance(s, ast.Pass | ast.Continue)
        or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        or (isinstance(s, ast.Return) and (s.value is None or isinstance(s.value, ast.Constant)))
        for s in body
    )


def code_findings(code: str, source: str) -> list[tuple[int, str]]:
    """(line in `code`, finding) for SQL built from values, safe queries, swallowed errors."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    functions = _functions(tree)
    marker = _placeholder(source)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            if node.func.attr not in _EXECUTE:
                continue
            query = node.args[0]
            where = _inside(node.lineno, functions)
            place = f"in `{where}`" if where else "at module level"
            if _dynamic(query) and _SQL.match(_sql_text(query) or ""):
                how = (
                    "an f-string"
                    if isinstance(query, ast.JoinedStr)
                    else "str.format"
                    if isinstance(query, ast.Call)
                    else "% formatting"
                    if isinstance(query, ast.BinOp) and isinstance(query.op, ast.Mod)
                    else "string concatenation"
                )
                fixed = _parameterised(query, marker)
                text = (
                    f"{place}: SQL injection: the query is built with {how}, so a value such "
                    "as ' OR '1'='1 changes the SQL; pass the values as bound parameters"
                )
                if fixed:
                    sql, values = fixed
                    call = ast.unparse(node.func)
                    args = ", ".join(values) + ("," if len(values) == 1 else "")
                    quoted = f'"{sql}"' if '"' not in sql else f"'{sql}'"
                    text += f". Fix: {call}({quoted}, ({args}))"
                found.append((node.lineno, text))
            elif (
                len(node.args) >= 2
                and isinstance(query, ast.Constant)
                and _SQL.match(str(query.value))
            ):
                found.append(
                    (node.lineno, f"{place}: the query passes its values as parameters (fine)")
                )
        if isinstance(node, ast.Try):
            for handler in node.handlers:
                if not _swallowed(handler):
                    continue
                caught = ast.unparse(handler.type) if handler.type else "everything (bare except)"
                where = _inside(handler.lineno, functions)
                place = f"in `{where}`" if where else "at module level"
                found.append(
                    (
                        handler.lineno,
                        f"{place}: `except {caught}` with only `pass` swallows the error silently: "
                        "a failure leaves no trace and the caller believes it worked. Catch the "
                        "specific error, log it and re-raise (or return a failure), and roll back "
                        "a half-done transaction",
                    )
                )
    return found


_PY_EXCEPT = re.compile(r"^\s*except\b[^:]*:\s*(?:pass\s*)?(?:#.*)?$")


def _line_findings(code: list[str]) -> list[tuple[int, str]]:
    """The same checks line by line, for hunks that do not parse on their own (a change in the
    middle of a function): SQL built into an execute call, an except that only passes."""
    found = []
    source = "\n".join(code)
    for number, line in enumerate(code, start=1):
        single = re.sub(r"^(?:return|yield|await)\s+", "", line.strip())
        try:
            ast.parse(single)
        except SyntaxError:
            single = ""
        for _, message in code_findings(single, source) if single else []:
            if "injection" in message:
                found.append((number, message.replace("at module level: ", "", 1)))
        if _PY_EXCEPT.match(line):
            passes = line.rstrip().endswith("pass") or (
                number < len(code) and code[number].strip() == "pass"
            )
            if passes:
                found.append(
                    (
                        number,
                        f"`{line.strip()}` with only `pass` swallows the error silently; "
                        "catch the specific error, log it and re-raise",
                    )
                )
    return found


def _ruff(code: str, path: str) -> list[tuple[int, str]]:
    """ruff's findings on the new code (line, 'CODE message')."""
    binary = ruff_binary()
    if binary is None:
        return []
    command = [
        binary, "check", "--output-format", "concise", "--no-cache", "--isolated",
        "--select", PATCH_RULES, "--ignore", f"{IGNORED_RULES},F401,F821,E402",
        "--stdin-filename", Path(path).name or "patch.py", "-",
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, input=code, capture_output=True, text=True,
            timeout=LINT_TIMEOUT_SECONDS, check=False,
        )  # fmt: skip
    except (subprocess.TimeoutExpired, OSError):
        return []
    found = []
    for line in done.stdout.splitlines():
        if m := _RUFF_LINE.match(line.replace(" [*] ", " ", 1)):
            found.append((int(m["line"]), f"{m['code']} {m['msg']}"))
    return found


def review_patch(root: Path, path: str) -> str:
    """The findings on the lines a patch adds, each as 'patch:P: file line N: finding | code'."""
    try:
        real, text = read_text(root, path, max_bytes=MAX_BYTES)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    files = parse_patch(text)
    if not files:
        return f"{name}: not a unified diff (no '+++' file headers)"
    shown: list[str] = []
    added_total = 0
    for changed in files:
        added = sum(changed.added)
        added_total += added
        code = "\n".join(changed.code) + "\n"
        findings: list[tuple[int, str]] = []
        if changed.path.endswith((".py", ".pyi")):
            findings += code_findings(code, code) or _line_findings(changed.code)
            own = {line for line, _ in findings}
            ruff = _ruff(code, changed.path)
            for line, message in ruff:
                code_id = message.split(" ", 1)[0]
                if code_id in ("S608", "S110", "BLE001", "E722") and line in own | {
                    line - 1 for line in own
                }:
                    continue  # said above with its fix
                findings.append((line, message))
        else:
            for i, line in enumerate(changed.code, start=1):
                if _TEXT_SQL.search(line):
                    findings.append(
                        (
                            i,
                            "SQL built from values by concatenation: an injection; "
                            "pass the values as the driver's parameters",
                        )
                    )
        for line, message in sorted(set(findings)):
            if not 1 <= line <= len(changed.code) or not changed.added[line - 1]:
                continue
            index = line - 1
            shown.append(
                f"{name}:{changed.patch_line[index]}: {changed.path} line "
                f"{changed.new_line[index]}{' ' if message.startswith('in `') else ': '}"
                f"{message} | {clip(changed.code[index].strip(), 120)}"
            )
    head = f"{name}: {len(files)} file(s) changed, {added_total} line(s) added"
    if not shown:
        checked = "SQL built from values, swallowed errors, ruff"
        return f"{head}; no findings on the added lines ({checked})"
    return "\n".join([head, *shown[:MAX_FINDINGS]])


class ReviewPatchInput(BaseModel):
    """Arguments of review_patch."""

    path: str = Field(min_length=1, description="The patch / diff file (unified diff format).")


def patch_tools(root: Path) -> list[BaseTool]:
    """review_patch over the project folder `root`."""
    root = Path(root).resolve()

    def review_patch_tool(path: str) -> str:
        return review_patch(root, path)

    return [
        StructuredTool.from_function(
            func=review_patch_tool,
            name="review_patch",
            description=(
                "Review the code a change adds (a .patch / .diff file in unified diff format): "
                "SQL built from values (with the parameterised fix written out), swallowed "
                "exceptions, ruff's security and bug rules; each finding cited by the patch's "
                "line and the changed file's new line."
            ),
            args_schema=ReviewPatchInput,
        )
    ]
