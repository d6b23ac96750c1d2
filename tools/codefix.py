"""suggest_fix: the cause and the corrected line for the common Python error families, read
from the code line an error points at, the error's own message and the project's files.

Each finder takes the message and the numbered source of the file the error points at and
returns (cause, fix) or None; a fix's first line says what to change and the lines after it
are the corrected code, written out with the file's own indentation. Nothing is executed: the
code is read with `ast` (the person's modules are never imported); only standard-library
modules are looked into (for a name a NameError lacks).
"""

from __future__ import annotations

import ast
import difflib
import importlib
import importlib.util
import posixpath
import re
import sys
import sysconfig
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.errors import ProjectFiles
from tools.project import ProjectFileError, read_text, relative

Source = dict[int, str]
"""A file's lines by number (read_lines output)."""
Finding = tuple[str, str]
"""(cause, fix): the fix's first line says what to change, the lines after it are the code."""

_SHADOW_MESSAGES = (
    re.compile(r"module '(?P<module>[\w.]+)' has no attribute '(?P<name>\w+)'"),
    re.compile(
        r"cannot import name '(?P<name>\w+)' from (?:partially initialized module )?"
        r"'(?P<module>[\w.]+)'"
    ),
    re.compile(r"No module named '(?P<module>\w+)\.(?P<name>[\w.]+)'; '\w+' is not a package"),
)
_DEFINES = (
    r"^(?:def|class|async def)\s+{name}\b|^{name}\s*(?::[^=]+)?="
    r"|^(?:from\s+\S+\s+)?import\s.*\b{name}\b"
)
_HELPER_MODULES = (
    "collections", "pathlib", "datetime", "dataclasses", "functools", "itertools", "math",
    "random", "decimal", "fractions", "enum", "statistics", "textwrap", "contextlib", "time",
    "shutil", "glob", "typing",
)  # fmt: skip
"""Standard modules whose public names are commonly used unimported (Path, defaultdict...);
typing last, as it re-exports old aliases of the collections' classes."""
_INSTALLED = tuple({sysconfig.get_paths()[key] for key in ("purelib", "platlib")})
_CURRENCY = "$€£¥₹₽₩"
_PLACEHOLDER = re.compile(r"^(?:n/?a|none|null|nan|-+|—|tbd|tba|\?+|missing|unknown|x)$", re.I)
_OPERATORS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**",
}  # fmt: skip
_COMPARE = {ast.Lt: "<", ast.Gt: ">", ast.LtE: "<=", ast.GtE: ">="}
_CONVERTERS = {"int": "int", "float": "float", "Decimal": "Decimal"}
_DATE_FORMATS = (
    "%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y", "%Y/%m/%d",
    "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%Y%m%d",
    "%d/%m/%y", "%m/%d/%y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%H:%M", "%H:%M:%S", "%I:%M %p", "%Y-%m",
)  # fmt: skip
"""Date layouts a value is tried against, day-first before month-first where both read."""


def project_fix(
    find: Callable[[str], list[str]],
    read: Callable[[str], Source],
    message: str,
    path: str | None,
) -> Finding | None:
    """A project file named like the module the error is about (it shadows the real one)."""
    for pattern in _SHADOW_MESSAGES:
        match = pattern.search(message)
        if match:
            break
    else:
        return None
    module, name = match["module"].split(".")[0], match["name"].split(".")[0]
    candidates = [*find(f"{module}.py"), *find(f"{module}/__init__.py")]
    candidates = [c for c in candidates if c.rsplit("/", 1)[-1] in (f"{module}.py", "__init__.py")]
    folder = path.rsplit("/", 1)[0] if path and "/" in path else ""
    # The script's own folder is searched first by Python: a file there is what was imported.
    candidates.sort(key=lambda c: (c.rsplit("/", 1)[0] if "/" in c else "") != folder)
    real = _standard(module)
    for found in candidates:
        source = "\n".join(read(found).values())
        if re.search(_DEFINES.format(name=re.escape(name)), source, re.MULTILINE):
            continue  # the file provides the name, so it is not what was imported
        what = "the standard library module" if real == "stdlib" else "the installed module"
        if not real:
            what = "the module"
        lacks = f", which defines no '{name}'" if name else ""
        itself = path is not None and found == path
        importer = f" in `{path}`" if path and not itself else ""
        cause = (
            f"`{found}` has the same name as {what} '{module}'. Python puts the running script's "
            f"folder first on sys.path, so `import {module}`{importer} imports this file instead "
            f"of the real module{lacks}: the local file shadows (hides) it"
        )
        fix = (
            f"rename `{found}` to a name no module uses (for example {module}_helpers) and change "
            f"the imports of it to that name; delete the compiled copy of it in the __pycache__ "
            f"folder beside it, so that `import {module}` finds {what} again"
        )
        return cause, fix
    return None


def _standard(module: str) -> str:
    """'stdlib' for a standard library module, 'installed' for another importable one."""
    if module in sys.stdlib_module_names:
        return "stdlib"
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return ""
    origin = (spec.origin or "") if spec else ""
    # Installed means site-packages, not a folder on the path (the person's own files).
    return "installed" if origin.startswith(_INSTALLED) else ""


def line_fix(exc: str, message: str, path: str, line_no: int, source: Source) -> Finding | None:
    """The corrected line for an error at `path` line `line_no`, per error family."""
    if not path.endswith(".py") or line_no not in source:
        return None
    for finder in _FINDERS.get(exc, ()):
        found = finder(message, line_no, source)
        if found is not None:
            return found
    return None


# --- reading one line with ast -------------------------------------------------------------------


def _parsed(line: str) -> tuple[ast.AST, str] | None:
    """The line's statement parsed on its own (a block opener gets a body), and its text."""
    text = line.strip()
    for attempt in (text, text + " pass"):
        try:
            return ast.parse(attempt), attempt
        except SyntaxError:
            continue
    return None


def _rewrite(line: str, edits: list[tuple[ast.AST, str]], text: str) -> str:
    """The line with each node's source replaced by its new text, indentation kept."""
    offsets = _line_offsets(text)
    spans = sorted(
        ((offsets[n.lineno - 1] + n.col_offset, offsets[n.end_lineno - 1] + n.end_col_offset, new)
         for n, new in edits),
        reverse=True,
    )  # fmt: skip
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    text = text.removesuffix(" pass") if not line.strip().endswith(" pass") else text
    indent = line[: len(line) - len(line.lstrip())]
    return indent + text


def _line_offsets(text: str) -> list[int]:
    offsets, total = [], 0
    for part in text.splitlines(keepends=True) or [""]:
        offsets.append(total)
        total += len(part)
    return offsets


def _segment(node: ast.AST, text: str) -> str:
    return ast.get_source_segment(text, node) or ""


def _stringish(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _stringish(node.left) or _stringish(node.right)
    return False


def _corrected(line_no: int, line: str, fixed: str, why: str) -> str:
    return f"{why}; line {line_no} becomes:\n{fixed}"


# --- TypeError ----------------------------------------------------------------------------------


_CONCAT = re.compile(r'can only concatenate (\w+) \(not "(\w+)"\) to \w+')
_OPERANDS = re.compile(r"unsupported operand type\(s\) for ([^:]+): '(\w+)' and '(\w+)'")
_ORDER = re.compile(r"'([<>]=?)' not supported between instances of '(\w+)' and '(\w+)'")


def _concat_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "can only concatenate str (not "float") to str": the other operand made text."""
    match = _CONCAT.search(message)
    parsed = _parsed(source[line_no])
    if not match or parsed is None or match[1] != "str":
        return None
    tree, text = parsed
    other = match[2]
    adds = [n for n in ast.walk(tree) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add)]
    edits: list[tuple[ast.AST, str]] = []
    for node in adds:
        for side, partner in ((node.left, node.right), (node.right, node.left)):
            if _stringish(partner) and not _stringish(side) and not isinstance(side, ast.BinOp):
                edits.append((side, f"str({_segment(side, text)})"))
    edits = list({id(n): (n, new) for n, new in edits}.values())
    if not edits:
        return None
    names = ", ".join(f"`{_segment(n, text)}`" if _segment(n, text).isidentifier() else
                      _segment(n, text) for n, _ in edits)  # fmt: skip
    cause = (
        f"line {line_no} joins text with + to {names}, which holds a {other}; + only joins str "
        f"to str, so Python cannot add a {other} to a string"
    )
    fixed = _rewrite(source[line_no], edits, text)
    fix = _corrected(line_no, source[line_no], fixed, "convert it with str() where it is joined")
    outermost = max(adds, key=lambda n: n.end_col_offset - n.col_offset)
    formatted = _as_fstring(outermost, text)
    if formatted:
        fix += "\nor, with an f-string:\n" + _rewrite(
            source[line_no], [(outermost, formatted)], text
        )
    return cause, fix


def _as_fstring(node: ast.AST, text: str) -> str | None:
    """A chain of + of string literals and values as one f-string (None when it is not one)."""
    parts: list[str] = []

    def flatten(n: ast.AST) -> bool:
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
            return flatten(n.left) and flatten(n.right)
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            if any(c in n.value for c in '{}\n"\\'):
                return False
            parts.append(n.value)
            return True
        if isinstance(n, ast.JoinedStr):
            return False
        segment = _segment(n, text)
        if not segment or '"' in segment or "\n" in segment:
            return False
        parts.append("{" + (segment[4:-1] if segment.startswith("str(") else segment) + "}")
        return True

    return f'f"{"".join(parts)}"' if flatten(node) else None


def _operand_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "unsupported operand type(s) for +: 'int' and 'str'": the text operand converted."""
    match = _OPERANDS.search(message)
    parsed = _parsed(source[line_no])
    if not match or parsed is None:
        return None
    symbol, left_type, right_type = match[1].strip(), match[2], match[3]
    tree, text = parsed
    augmented = symbol.endswith("=") and symbol != "=="
    for node in ast.walk(tree):
        if augmented and isinstance(node, ast.AugAssign):
            left, right, op = node.target, node.value, node.op
        elif not augmented and isinstance(node, ast.BinOp):
            left, right, op = node.left, node.right, node.op
        else:
            continue
        if _OPERATORS.get(type(op)) != symbol.rstrip("="):
            continue
        return _typed_operands(line_no, source, text, (left, left_type), (right, right_type))
    return None


def _typed_operands(
    line_no: int, source: Source, text: str, left: tuple[ast.AST, str], right: tuple[ast.AST, str]
) -> Finding | None:
    """Cause and fix for two operands of the types the error names."""
    for (node, kind), (_, other) in ((left, right), (right, left)):
        shown = _segment(node, text)
        if kind == "NoneType":
            cause = (
                f"{shown} is None on line {line_no} (a function that returns nothing, or a lookup "
                f"that found nothing, gives None), so it cannot be used with "
                f"{_article(other)} {other}"
            )
            return (
                cause,
                f"check {shown} for None before line {line_no}, or make what sets it return "
                "a value",
            )
        if kind == "str" and other in _CONVERTERS:
            fixed = _rewrite(source[line_no], [(node, f"{other}({shown})")], text)
            cause = (
                f"{shown} on line {line_no} is text (str), read from a file, input() or a CSV "
                f"field, and Python does not mix str and {other} in arithmetic or comparisons"
            )
            return cause, _corrected(line_no, source[line_no], fixed, f"convert it with {other}()")
    return None


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _order_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "'<' not supported between instances of 'str' and 'int'": the text side converted."""
    match = _ORDER.search(message)
    parsed = _parsed(source[line_no])
    if not match or parsed is None:
        return None
    tree, text = parsed
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            if _COMPARE.get(type(node.ops[0])) == match[1]:
                return _typed_operands(
                    line_no, source, text, (node.left, match[2]), (node.comparators[0], match[3])
                )
    return None


def _integer_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "'str' object cannot be interpreted as an integer": range()/repeat of text."""
    if "object cannot be interpreted as an integer" not in message:
        return None
    kind = re.search(r"'(\w+)' object", message)
    parsed = _parsed(source[line_no])
    if parsed is None:
        return None
    tree, text = parsed
    edits = [
        (arg, f"int({_segment(arg, text)})")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        and node.func.id in ("range", "chr", "bin", "hex", "oct")
        for arg in node.args
        if not isinstance(arg, ast.Constant)
    ]  # fmt: skip
    if not edits:
        return None
    what = kind[1] if kind else "non-integer"
    cause = (
        f"a {what} value reaches range() (or a call that needs a whole number) on line {line_no}"
    )
    fixed = _rewrite(source[line_no], edits[:1], text)
    return cause, _corrected(line_no, source[line_no], fixed, "convert it with int()")


# --- ValueError ----------------------------------------------------------------------------------


_TO_NUMBER = re.compile(
    r"could not convert string to (float): '(.*)'"
    r"|invalid literal for (int)\(\) with base 10: '(.*)'"
)
_TIME_DATA = re.compile(r"time data '(.*?)' does not match format '(.*?)'")


def number_repair(value: str) -> tuple[str, str] | None:
    """(what is in the way, the str methods that clean it) for a number written as text."""
    text = value.strip()
    if not text:
        return "an empty field", ".strip() or 0"
    if _PLACEHOLDER.match(text):
        return f"a placeholder ('{text}') where the number is missing", ""
    steps: list[str] = []
    what: list[str] = []
    if text != value:
        what.append("spaces around it")
    for symbol in _CURRENCY:
        if symbol in text:
            steps.append(f'.replace("{symbol}", "")')
            what.append(f"the currency sign {symbol}")
            text = text.replace(symbol, "")
    code = re.match(r"^\s*([A-Z]{3})\s*|\s*([A-Z]{3})\s*$", text)
    if code and re.search(r"\d", text):
        letters = code[1] or code[2]
        steps.append(f'.replace("{letters}", "")')
        what.append(f"the currency code {letters}")
        text = text.replace(letters, "")
    if text.strip().endswith("%"):
        steps.append('.rstrip("%")')
        what.append("a percent sign (divide by 100 if you need a fraction)")
        text = text.strip()[:-1]
    text = text.strip()
    if re.search(r"\d[ \u00a0\u202f']\d", text):
        for space, label in ((" ", " "), ("\u00a0", "\\u00a0"), ("\u202f", "\\u202f"), ("'", "'")):
            if re.search(rf"\d{re.escape(space)}\d", text):
                steps.append(f'.replace("{label}", "")')
                what.append("a space as thousands separator")
                text = text.replace(space, "")
    comma, dot = text.rfind(","), text.rfind(".")
    if comma >= 0 and dot >= 0:
        if dot > comma:
            steps.append('.replace(",", "")')
            what.append("',' as thousands separator")
        else:
            steps.append('.replace(".", "").replace(",", ".")')
            what.append("'.' as thousands separator and ',' as decimal comma")
    elif comma >= 0:
        if re.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+", text):
            steps.append('.replace(",", "")')
            what.append("',' as thousands separator")
        else:
            steps.append('.replace(",", ".")')
            what.append("a decimal comma ',' where Python expects '.'")
    elif text.count(".") > 1:
        steps.append('.replace(".", "")')
        what.append("'.' as thousands separator")
    if not steps and not what:
        return None
    return " and ".join(what), "".join(steps)


def _number_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "could not convert string to float: '1,200.00'": the value cleaned before the call."""
    match = _TO_NUMBER.search(message)
    if not match:
        return None
    func, value = (match[1], match[2]) if match[1] else (match[3], match[4])
    parsed = _parsed(source[line_no])
    calls = []
    if parsed is not None:
        tree, text = parsed
        calls = [
            n for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == func
            and len(n.args) == 1
        ]  # fmt: skip
    if func == "int" and re.fullmatch(r"\s*[-+]?\d*\.\d+\s*", value):
        cause = f"'{value}' is a decimal number, and int() reads whole numbers written as text only"
        if not calls:
            return cause, "convert it with int(float(value)), or round(float(value))"
        arg = _segment(calls[0].args[0], text)
        fixed = _rewrite(source[line_no], [(calls[0], f"int(float({arg}))")], text)
        return cause, _corrected(line_no, source[line_no], fixed, "read it as a float first")
    repair = number_repair(value)
    if repair is None:
        return None
    what, steps = repair
    if steps and not steps.startswith(".strip()"):
        cause = f"'{value}' is written with {what}, which {func}() cannot read"
    else:
        cause = f"the value is {what} ('{value}'), which {func}() cannot read as a number"
    if not calls:
        return (
            cause,
            f"clean the text before {func}(): value{steps}" if steps else "skip such records",
        )
    arg = _segment(calls[0].args[0], text)
    if not steps:
        line = source[line_no]
        indent = line[: len(line) - len(line.lstrip())]
        guard = f"if {arg}.strip() in ('', '{value.strip()}'):"
        if _in_loop(line_no, source):
            why = "skip the records without a number (count them as missing)"
            body = f"{indent}{guard}\n{indent}    continue\n{line}"
            return cause, f"{why}; before line {line_no} add the guard:\n{body}"
        new = f"({func}({arg}) if {arg}.strip() not in ('', '{value.strip()}') else None)"
        fixed = _rewrite(line, [(calls[0], new)], text)
        why = "treat the records without a number as missing (None)"
        return cause, _corrected(line_no, line, fixed, why)
    fixed = _rewrite(source[line_no], [(calls[0].args[0], f"{arg}{steps}")], text)
    why = f"remove what is in the way before {func}() reads it"
    return cause, _corrected(line_no, source[line_no], fixed, why)


def _in_loop(line_no: int, source: Source) -> bool:
    """Whether the line sits in the body of a for/while loop (read by indentation)."""
    line = source[line_no]
    depth = len(line) - len(line.lstrip())
    for number in range(line_no - 1, 0, -1):
        above = source.get(number, "")
        if not above.strip():
            continue
        level = len(above) - len(above.lstrip())
        if level < depth:
            if re.match(r"\s*(?:async\s+)?(?:for|while)\b", above):
                return True
            if re.match(r"\s*(?:def|class)\b", above):
                return False
            depth = level
    return False


def date_format(value: str) -> str | None:
    """The strptime layout a date or time value is written in (the first that reads it)."""
    for layout in _DATE_FORMATS:
        try:
            datetime.strptime(value.strip(), layout)
        except ValueError:
            continue
        return layout
    return None


def _date_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "time data '05/11/2026' does not match format '%Y-%m-%d'": the layout it is written in."""
    match = _TIME_DATA.search(message)
    if not match:
        return None
    value, expected = match[1], match[2]
    layout = date_format(value)
    if layout is None or layout == expected:
        return None
    cause = f"'{value}' is written as {layout}, not as {expected}, the format on line {line_no}"
    line = source[line_no]
    for quote in ('"', "'"):
        if f"{quote}{expected}{quote}" in line:
            fixed = line.replace(f"{quote}{expected}{quote}", f"{quote}{layout}{quote}")
            why = (
                f"use the layout the data is written in (if only some records use it, try "
                f"{expected} first and {layout} for the rest)"
            )
            return cause, _corrected(line_no, line, fixed, why)
    return cause, f"parse it with the format {layout}"


_UNPACK = re.compile(r"too many values to unpack \(expected (\d+)")


def _unpack_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "too many values to unpack (expected 2)" on a split: split at most N-1 times."""
    match = _UNPACK.search(message)
    parsed = _parsed(source[line_no])
    if not match or parsed is None:
        return None
    tree, text = parsed
    wanted = int(match[1])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "split" and len(node.args) == 1
                and not node.keywords):  # fmt: skip
            sep = _segment(node.args[0], text)
            new = f"{_segment(node.func.value, text)}.split({sep}, {wanted - 1})"
            fixed = _rewrite(source[line_no], [(node, new)], text)
            cause = (
                f"a line split on line {line_no} has more than {wanted} parts (the separator also "
                f"occurs inside a value), and the split is unpacked into {wanted} names"
            )
            return cause, _corrected(line_no, source[line_no], fixed, "split at most so many times")
    return None


# --- NameError, UnboundLocalError, UnicodeDecodeError -------------------------------------------


_UNDEFINED = re.compile(r"name '(\w+)' is not defined")
_UNBOUND = re.compile(
    r"local variable '(\w+)' referenced before assignment|cannot access local variable '(\w+)'"
)


def _name_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "name 'x' is not defined": an import it lacks, or the defined name it misspells."""
    match = _UNDEFINED.search(message)
    if not match:
        return None
    name = match[1]
    line = source[line_no]
    if not re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", line):
        return None  # the line the error names uses the name; this one does not
    if name in sys.stdlib_module_names and not name.startswith("_"):
        attribute = re.search(rf"(?<![\w.]){re.escape(name)}\.(\w+)", line)
        if name in _HELPER_MODULES and attribute:
            module = importlib.import_module(name)
            inner = getattr(module, name, None)
            if not hasattr(module, attribute[1]) and hasattr(inner, attribute[1]):
                # datetime.now() needs the class datetime of the module datetime.
                return (
                    f"line {line_no} calls {name}.{attribute[1]}(), which belongs to the class "
                    f"{name} inside the module {name}, and the file imports neither",
                    f"add this line at the top of the file:\nfrom {name} import {name}",
                )
        return (
            f"line {line_no} uses the module '{name}', but the file never imports it",
            f"add this line at the top of the file:\nimport {name}",
        )
    helper = _helper_module(name)
    if helper and name[:1].isupper():  # a class (Path, Counter, Decimal): never a typo of a local
        return _import_finding(name, helper, line_no)
    words = sorted(
        {w for text in source.values() for w in re.findall(r"[A-Za-z_]\w*", text)} - {name}
    )
    close = difflib.get_close_matches(name, words, n=1, cutoff=0.75)
    called = re.search(rf"(?<![\w.]){re.escape(name)}\s*\(", line)
    if close and helper and called:
        # A call of a helper's function: the near name counts only if it is a function too.
        text = "\n".join(source.values())
        if not re.search(rf"^\s*(?:async\s+)?def\s+{re.escape(close[0])}\b", text, re.M):
            close = []
    if close and not (helper and difflib.SequenceMatcher(None, name, close[0]).ratio() < 0.85):
        fixed = re.sub(rf"(?<![\w.]){re.escape(name)}(?!\w)", close[0], line)
        cause = f"'{name}' on line {line_no} is not defined anywhere; the file defines '{close[0]}'"
        return cause, _corrected(line_no, line, fixed, f"correct the spelling to {close[0]}")
    return _import_finding(name, helper, line_no) if helper else None


def _helper_module(name: str) -> str | None:
    """The standard module among the usual helpers that provides `name` (None when none does)."""
    for module in _HELPER_MODULES:
        loaded = importlib.import_module(module)
        if name in getattr(loaded, "__all__", dir(loaded)) and not name.startswith("_"):
            return module
    return None


def _import_finding(name: str, module: str, line_no: int) -> Finding:
    return (
        f"line {line_no} uses '{name}' from the standard module '{module}' without importing it",
        f"add this line at the top of the file:\nfrom {module} import {name}",
    )


def _unbound_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """A local read before assignment: a global changed inside a function, or a branch that
    does not assign it on every path."""
    match = _UNBOUND.search(message)
    if not match:
        return None
    name = match[1] or match[2]
    numbers = sorted(source)
    try:
        tree = ast.parse("\n".join(source.get(n, "") for n in range(1, numbers[-1] + 1)))
    except SyntaxError:
        return None
    funcs = [
        f for f in ast.walk(tree)
        if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
        and f.lineno <= line_no <= (f.end_lineno or f.lineno)
    ]  # fmt: skip
    if not funcs:
        return None
    func = max(funcs, key=lambda f: f.lineno)
    top = {
        t.id for node in tree.body if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign)
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(t, ast.Name)
    }  # fmt: skip
    header = source[func.lineno]
    body = source.get(func.body[0].lineno, "")
    indent = body[: len(body) - len(body.lstrip())]
    if name in top:
        cause = (
            f"'{name}' is assigned inside {func.name}() (line {line_no} or later), which makes it "
            f"local to the function, so reading it first fails although a module-level "
            f"'{name}' exists"
        )
        fix = (
            "declare it global at the top of the function (or pass it in and return it):"
            f"\n{header}\n{indent}global {name}"
        )
        return cause, fix
    stores = sorted(
        n.lineno for n in ast.walk(func)
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
    )  # fmt: skip
    if not stores:
        return None
    cause = (
        f"'{name}' is only assigned on some paths of {func.name}() (line {stores[0]}), and on "
        f"this run none of them ran before line {line_no} read it"
    )
    fix = (
        "give it a value before any branch, as the function's first line:"
        f"\n{header}\n{indent}{name} = None"
    )
    return cause, fix


_DECODE = re.compile(r"'([\w-]+)' codec can't decode byte (0x[0-9a-f]{2}) in position (\d+)")


def _decode_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "'utf-8' codec can't decode byte 0xe9": open the file with the encoding it is in."""
    match = _DECODE.search(message)
    if not match:
        return None
    codec, byte, position = match[1].lower(), int(match[2], 16), int(match[3])
    if byte in (0xFF, 0xFE) and position <= 1:
        encoding, why = "utf-16", "it starts with a UTF-16 byte order mark"
    elif codec.replace("-", "") in ("utf8", "utf8sig"):
        encoding, why = "cp1252", "it was saved in a Windows/Latin-1 encoding (byte {0}), not UTF-8"
    else:
        encoding, why = "utf-8", "it was saved as UTF-8, not in the system's {1} encoding"
    why = why.format(match[2], codec)
    cause = f"the file read at line {line_no} is not {codec}: {why}"
    for number in sorted((n for n in source if n <= line_no), reverse=True)[:15]:
        parsed = _parsed(source[number])
        if parsed is None:
            continue
        tree, text = parsed
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _segment(node.func, text) in (
                "open",
                "io.open",
                "codecs.open",
            ):
                old = next((k for k in node.keywords if k.arg == "encoding"), None)
                if old is not None:
                    edits = [(old.value, f'"{encoding}"')]
                else:
                    inner = _segment(node, text)
                    edits = [(node, inner[:-1].rstrip() + f', encoding="{encoding}")')]
                fixed = _rewrite(source[number], edits, text)
                return cause, _corrected(
                    number, source[number], fixed, f'open it with encoding="{encoding}"'
                )
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("read_text", "read_csv")
            ):
                old = next((k for k in node.keywords if k.arg == "encoding"), None)
                inner = _segment(node, text)
                edits = (
                    [(old.value, f'"{encoding}"')]
                    if old
                    else [
                        (
                            node,
                            inner[:-1].rstrip()
                            + (", " if node.args else "")
                            + f'encoding="{encoding}")',
                        )
                    ]
                )
                fixed = _rewrite(source[number], edits, text)
                return cause, _corrected(
                    number, source[number], fixed, f'read it with encoding="{encoding}"'
                )
    return cause, f'open the file with encoding="{encoding}"'


# --- IndexError, ZeroDivisionError, call arguments ----------------------------------------------


def _in_loop_guard(line_no: int, source: Source, condition: str, fallback: str) -> str:
    """The guard lines before the located line: skip the record in a loop, else stop plainly."""
    line = source[line_no]
    indent = line[: len(line) - len(line.lstrip())]
    action = "continue" if _in_loop(line_no, source) else fallback
    return f"{indent}if {condition}:\n{indent}    {action}\n{line}"


def _index_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "list index out of range": the record (or argument list) shorter than the index read."""
    if "index out of range" not in message:
        return None
    parsed = _parsed(source[line_no])
    if parsed is None:
        return None
    tree, text = parsed
    reads = [
        n for n in ast.walk(tree)
        if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Constant)
        and isinstance(n.slice.value, int) and not isinstance(n.ctx, ast.Store)
    ]  # fmt: skip
    if not reads:
        return None
    node = max(reads, key=lambda n: n.slice.value if n.slice.value >= 0 else -1 - n.slice.value)
    seq, index = _segment(node.value, text), node.slice.value
    if seq == "sys.argv":
        cause = (
            f"the script was run without argument {index} on its command line, so sys.argv has "
            f"no item {index} on line {line_no}"
        )
        body = _in_loop_guard(
            line_no, source, f"len(sys.argv) <= {index}", 'sys.exit("missing argument")'
        )
        return cause, f"pass the argument when running it, or check for it first:\n{body}"
    need = index + 1 if index >= 0 else -index
    cause = (
        f"{seq} has fewer than {need} item(s) for some record on line {line_no} (a blank or "
        f"short line, or a missing field), so {seq}[{index}] is past its end"
    )
    body = _in_loop_guard(line_no, source, f"len({seq}) < {need}", "return None")
    return cause, f"check its length before reading item {index}:\n{body}"


def _zero_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "division by zero": the divisor guarded where it is used."""
    if "by zero" not in message:
        return None
    parsed = _parsed(source[line_no])
    if parsed is None:
        return None
    tree, text = parsed
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod):
            divisor = _segment(node.right, text)
            if isinstance(node.right, ast.Constant):
                continue
            new = f"({_segment(node, text)} if {divisor} else 0)"
            fixed = _rewrite(source[line_no], [(node, new)], text)
            cause = (
                f"{divisor} is 0 for this input on line {line_no} (an empty list or file, or a "
                "count that never went up)"
            )
            why = "divide only when the divisor is not zero (0 is one choice; None marks no data)"
            return cause, _corrected(line_no, source[line_no], fixed, why)
    return None


_POSITIONAL = re.compile(
    r"(\w+)\(\) takes (\d+) positional arguments? but (\d+) (?:were|was) given"
)
_MISSING_ARG = re.compile(r"(\w+)\(\) missing (\d+) required positional arguments?: (.+)$")


def _arguments_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """A call with the wrong number of arguments, read against the function's definition."""
    taken = _POSITIONAL.search(message)
    missing = _MISSING_ARG.search(message)
    name = (taken or missing)[1] if (taken or missing) else None
    if name is None:
        return None
    defined = next(
        (n for n in sorted(source) if re.match(rf"\s*(?:async\s+)?def\s+{name}\s*\(", source[n])),
        None,
    )
    if defined is None:
        return None
    header = source[defined]
    in_class = _in_class(defined, source)
    if taken and in_class and int(taken[3]) == int(taken[2]) + 1 and "(self" not in header:
        fixed = re.sub(rf"def\s+{name}\s*\(\s*", lambda m: m.group(0) + "self, ", header, count=1)
        fixed = fixed.replace("self, )", "self)")
        cause = (
            f"{name}() is a method (defined at line {defined}) but its definition has no self, so "
            "the object it is called on is passed as an extra argument"
        )
        return cause, f"add self as its first parameter; line {defined} becomes:\n{fixed}"
    if missing:
        cause = (
            f"the call on line {line_no} does not pass {missing[3]}, which {name}() requires "
            f"(line {defined}: {header.strip()})"
        )
        return cause, f"pass {missing[3]} in the call on line {line_no}, or give it a default value"
    cause = (
        f"the call on line {line_no} passes {taken[3]} arguments, but {name}() takes {taken[2]} "
        f"(line {defined}: {header.strip()})"
    )
    return cause, f"call it with the arguments its definition names on line {defined}"


def _in_class(line_no: int, source: Source) -> bool:
    line = source[line_no]
    depth = len(line) - len(line.lstrip())
    for number in range(line_no - 1, 0, -1):
        above = source.get(number, "")
        level = len(above) - len(above.lstrip())
        if above.strip() and level < depth:
            return above.lstrip().startswith("class ")
    return False


def _key_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """A KeyError on the located line: a count kept in a dict before its first entry, an
    environment variable not set, or a lookup of a key the mapping lacks."""
    parsed = _parsed(source[line_no])
    if parsed is None:
        return None
    tree, text = parsed
    key = message.strip().strip("'\"")
    for node in ast.walk(tree):
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript):
            target, op = node.target, _OPERATORS.get(type(node.op), "+")
            mapping, index = _segment(target.value, text), _segment(target.slice, text)
            start = "0" if op in "+-" else "1"
            new = f"{mapping}[{index}] = {mapping}.get({index}, {start}) {op} "
            new += _segment(node.value, text)
            fixed = _rewrite(source[line_no], [(node, new)], text)
            cause = (
                f"{mapping} has no entry '{key}' yet when line {line_no} first adds to it: "
                f"{op}= reads the old value before writing the new one"
            )
            why = "start each new key from a default (or make it a collections.defaultdict)"
            return cause, _corrected(line_no, source[line_no], fixed, why)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)):
            continue
        mapping, index = _segment(node.value, text), _segment(node.slice, text)
        literal = isinstance(node.slice, ast.Constant)
        if literal and node.slice.value != key:
            continue
        if mapping == "os.environ":
            cause = f"the environment variable {key} is not set where the program runs"
            fixed = _rewrite(source[line_no], [(node, f"os.environ.get({index}, '')")], text)
            why = f"set {key} before running it, or read it with a default"
            return cause, _corrected(line_no, source[line_no], fixed, why)
        cause = f"{mapping} has no key '{key}' on line {line_no}"
        fixed = _rewrite(source[line_no], [(node, f"{mapping}.get({index})")], text)
        why = "read it with .get() and handle None (or check the key first with in)"
        return cause, _corrected(line_no, source[line_no], fixed, why)
    return None


_NOT_CALLABLE = re.compile(r"'(\w+)' object is not callable")
_NOT_ITERABLE = re.compile(r"'(int|float)' object is not iterable")
_NOT_SERIALIZABLE = re.compile(r"Object of type (\w+) is not JSON serializable")
_DICT_ATTRIBUTE = re.compile(r"'dict' object has no attribute '(\w+)'")


def _callable_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "'int' object is not callable": a variable that took a function's name (sum = 0)."""
    match = _NOT_CALLABLE.search(message)
    parsed = _parsed(source[line_no])
    if not match or parsed is None:
        return None
    tree, _ = parsed
    called = [
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    ]
    for name in called:
        assigned = [
            n for n in sorted(source)
            if n != line_no and re.match(rf"\s*{name}\s*(?:=[^=]|\+=|-=)", source[n])
        ]  # fmt: skip
        if not assigned:
            continue
        first = assigned[0]
        cause = (
            f"line {first} assigns {_article(match[1])} {match[1]} to the name {name} "
            f"({source[first].strip()}), which hides the function {name}(), so the call on line "
            f"{line_no} calls {_article(match[1])} {match[1]}"
        )
        new_name = f"{name}_value"
        fixed = re.sub(rf"^(\s*){name}\b", rf"\g<1>{new_name}", source[first])
        fix = (
            f"give the variable another name (and use that name where the value is read); line "
            f"{first} becomes:\n{fixed}"
        )
        return cause, fix
    return None


def _iterable_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "'int' object is not iterable" on a for over a number: range() of it."""
    match = _NOT_ITERABLE.search(message)
    parsed = _parsed(source[line_no])
    if not match or parsed is None:
        return None
    tree, text = parsed
    for node in ast.walk(tree):
        if isinstance(node, ast.For | ast.comprehension) and not isinstance(
            node.iter, ast.Constant | ast.List | ast.Tuple
        ):
            shown = _segment(node.iter, text)
            fixed = _rewrite(source[line_no], [(node.iter, f"range({shown})")], text)
            cause = (
                f"{shown} on line {line_no} is a number ({match[1]}), and a for loop needs items"
            )
            return cause, _corrected(line_no, source[line_no], fixed, "loop over range() of it")
    return None


def _serializable_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "Object of type datetime is not JSON serializable": json.dump(s) told how to write it."""
    match = _NOT_SERIALIZABLE.search(message)
    parsed = _parsed(source[line_no])
    if not match or parsed is None:
        return None
    tree, text = parsed
    kind = match[1]
    converter = "list" if kind in ("set", "frozenset", "tuple") else "str"
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _segment(node.func, text).endswith(("dump", "dumps")):
            if any(k.arg == "default" for k in node.keywords):
                continue
            inner = _segment(node, text)
            fixed = _rewrite(
                source[line_no], [(node, inner[:-1].rstrip() + f", default={converter})")], text
            )
            cause = f"the data written on line {line_no} holds a {kind}, which JSON has no type for"
            why = f"tell json how to write it (default={converter} makes each {kind} a {converter})"
            return cause, _corrected(line_no, source[line_no], fixed, why)
    return None


def _dict_attribute_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "'dict' object has no attribute 'name'": a dict's keys are read with [], not a dot."""
    match = _DICT_ATTRIBUTE.search(message)
    if not match:
        return None
    attribute = match[1]
    line = source[line_no]
    if attribute in {"iteritems", "has_key", "itervalues", "iterkeys"}:
        modern = {"iteritems": "items", "itervalues": "values", "iterkeys": "keys"}.get(attribute)
        if modern:
            fixed = line.replace(f".{attribute}(", f".{modern}(")
            return (
                f"dict.{attribute}() is Python 2; Python 3 dicts have {modern}()",
                _corrected(line_no, line, fixed, f"use .{modern}()"),
            )
        return None
    found = re.search(rf"([A-Za-z_][\w\]\[\"']*)\.{attribute}\b(?!\s*\()", line)
    if not found:
        return None
    fixed = line[: found.start()] + f'{found[1]}["{attribute}"]' + line[found.end() :]
    cause = (
        f"{found[1]} is a dict (read from JSON or built as one), so '{attribute}' is one of its "
        "keys, not an attribute"
    )
    return cause, _corrected(line_no, line, fixed, "read the key with square brackets")


def _string_index_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "string indices must be integers": a loop over a dict (its keys) or over a string."""
    if "string indices must be integers" not in message:
        return None
    parsed = _parsed(source[line_no])
    if parsed is None:
        return None
    tree, text = parsed
    used = {
        _segment(n.value, text) for n in ast.walk(tree)
        if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Constant)
        and isinstance(n.slice.value, str)
    }  # fmt: skip
    for number in range(line_no - 1, max(line_no - 12, 0), -1):
        loop = re.match(r"(\s*)for\s+(\w+)\s+in\s+([\w.\[\]\"']+)\s*:", source.get(number, ""))
        if loop and loop[2] in used:
            variable, items = loop[2], loop[3]
            cause = (
                f"{variable} is a str: for {variable} in {items} on line {number} goes over the "
                f"keys of a dict (or the characters of a text), not over records"
            )
            fixed = f"{loop[1]}for {variable} in {items}.values():"
            fix = (
                f"loop over the records themselves: if {items} is a dict of records, line "
                f"{number} becomes:\n{fixed}\n(if the records are a list under one key, loop over "
                f"that key's list instead)"
            )
            return cause, fix
    return None


def _recursion_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """ "maximum recursion depth exceeded": the function that calls itself, and its stop."""
    if "recursion depth" not in message:
        return None
    numbers = sorted(source)
    try:
        tree = ast.parse("\n".join(source.get(n, "") for n in range(1, numbers[-1] + 1)))
    except SyntaxError:
        return None
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not func.lineno <= line_no <= (func.end_lineno or func.lineno):
            continue
        calls = [
            n for n in ast.walk(func)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == func.name
        ]  # fmt: skip
        if not calls:
            continue
        call = calls[0]
        stops = [
            n for n in ast.walk(func)
            if isinstance(n, ast.If) and any(
                isinstance(b, ast.Return) and not any(c in ast.walk(b) for c in calls)
                for b in n.body
            )
        ]  # fmt: skip
        where = f"line {call.lineno}: {source[call.lineno].strip()}"
        if not stops:
            cause = (
                f"{func.name}() calls itself ({where}) and has no if ... return that stops "
                "the calls, so it never ends"
            )
            fix = (
                f"add a base case at the top of {func.name}(): the smallest input it answers "
                "directly with return, before the call to itself"
            )
            return cause, fix
        stop = stops[0]
        test = source[stop.lineno].strip()
        cause = (
            f"{func.name}() calls itself ({where}) but this input never reaches its stop "
            f"(line {stop.lineno}: {test}): the arguments of the call do not move toward it"
        )
        fix = (
            f"make each call get closer to the stop on line {stop.lineno} (for example a smaller "
            "number or a shorter list), or widen the stop so every input reaches it"
        )
        exact = re.match(r"^(\s*if\s+)(\w+)\s*==\s*(-?\d+)\s*:", source[stop.lineno])
        step = re.search(rf"\b{exact[2]}\s*-\s*\d+" if exact else r"(?!)", where)
        if exact and step:
            widened = f"{exact[1]}{exact[2]} <= {exact[3]}:"
            fix += f"; a count that steps down can jump past it, so line {stop.lineno} becomes:"
            fix += f"\n{widened}"
        return cause, fix
    return None


# --- SyntaxError, IndentationError: candidate repairs checked by parsing the whole file ----------


MAX_COMMA_TRIES = 60
"""Places tried for a missing comma on one line."""
MAX_PARSED_LINES = 20_000
"""Lines parsed in all for one syntax repair (tries times the file's length)."""


def _syntax_fix(message: str, line_no: int, source: Source) -> Finding | None:
    """A syntax fault repaired on its line: each usual repair is tried, and the first that
    lets the whole file parse (ast, nothing run) is given."""
    numbers = sorted(source)
    lines = [source.get(n, "") for n in range(1, numbers[-1] + 1)]
    try:
        ast.parse("\n".join(lines))
        return None  # the file as it is now parses: the error was for another version
    except SyntaxError:
        pass
    for number in (line_no, line_no - 1):
        if not 1 <= number <= len(lines):
            continue
        # Each try parses the whole file: a long file gets fewer tries (speed stays bounded).
        tries = _syntax_candidates(lines, number)[: max(8, MAX_PARSED_LINES // max(len(lines), 1))]
        for fixed, why in tries:
            trial = [*lines[: number - 1], fixed, *lines[number:]]
            try:
                ast.parse("\n".join(trial))
            except SyntaxError:
                continue
            cause = f"line {number} is not valid Python: {why}"
            return cause, f"{why}; line {number} becomes:\n{fixed}"
    return None


def _syntax_candidates(lines: list[str], number: int) -> list[tuple[str, str]]:
    """(repaired line, what was wrong) for the usual syntax faults, most likely first."""
    text = lines[number - 1]
    body = text.rstrip()
    indent = text[: len(text) - len(text.lstrip())]
    out: list[tuple[str, str]] = []
    opener = re.match(r"\s*(?:if|elif|else|for|while|def|class|with|try|except|finally)\b", body)
    if opener and not body.endswith(":"):
        out.append((body + ":", "the statement that opens a block must end with a colon"))
    printed = re.match(r"^(\s*)print\s+(?!\()(.+)$", body)
    if printed:
        out.append((f"{printed[1]}print({printed[2]})", "print is a function in Python 3"))
    condition = re.sub(r"^(\s*(?:if|elif|while)\s+[^=!<>]*?)\s=\s(?!=)", r"\1 == ", body)
    if condition != body:
        out.append((condition, "a comparison is written ==, a single = assigns"))
    for quote in ('"', "'"):
        if body.count(quote) % 2 == 1:
            out.append((body + quote, f"a text value is not closed with {quote}"))
    closers = {"(": ")", "[": "]", "{": "}"}
    missing = ""
    for char in body:
        if char in closers:
            missing += closers[char]
        elif char in closers.values() and missing and missing[-1] == char:
            missing = missing[:-1]
    if missing:
        tail = body[:-1] if body.endswith(":") else body
        out.append(
            (
                tail + missing[::-1] + (":" if body.endswith(":") else ""),
                "a bracket is never closed",
            )
        )
    previous = next((ln for ln in reversed(lines[: number - 1]) if ln.strip()), "")
    level = previous[: len(previous) - len(previous.lstrip())]
    for wanted, why in (
        (
            level + "    " if previous.rstrip().endswith(":") else None,
            "the block after a colon must be indented",
        ),
        (level, "the line is indented differently from the lines around it"),
    ):
        if wanted is not None and wanted != indent:
            out.append((wanted + text.lstrip(), why))
    if "\t" in indent:
        out.append((indent.replace("\t", "    ") + text.lstrip(), "tabs and spaces are mixed"))
    spaces = [i for i, c in enumerate(body) if c == " " and body[:i].strip()]
    for i in spaces[:MAX_COMMA_TRIES]:
        after = body[i + 1 : i + 2]
        if body[i - 1] not in ",([{:=+-*/<>" and after and after not in ",)]}:=":
            out.append((body[:i] + "," + body[i:], "a comma is missing between two items"))
    return out


_FINDERS: dict[str, tuple[Callable[[str, int, Source], Finding | None], ...]] = {
    "TypeError": (
        _concat_fix,
        _operand_fix,
        _order_fix,
        _integer_fix,
        _arguments_fix,
        _callable_fix,
        _iterable_fix,
        _serializable_fix,
        _string_index_fix,
    ),  # fmt: skip
    "AttributeError": (_dict_attribute_fix,),
    "ValueError": (_number_fix, _date_fix, _unpack_fix),
    "IndexError": (_index_fix,),
    "KeyError": (_key_fix,),
    "RecursionError": (_recursion_fix,),
    "SyntaxError": (_syntax_fix,),
    "IndentationError": (_syntax_fix,),
    "TabError": (_syntax_fix,),
    "ZeroDivisionError": (_zero_fix,),
    "NameError": (_name_fix,),
    "UnboundLocalError": (_unbound_fix,),
    "UnicodeDecodeError": (_decode_fix,),
}
"""Per exception type, the finders tried in order (the first that reads the line wins)."""


_NO_FILE = re.compile(r"No such file or directory: '([^'\n]+)'")
_NO_MODULE = re.compile(r"No module named '([\w.]+)'")
_DISTRIBUTIONS = {
    "yaml": "pyyaml", "cv2": "opencv-python", "PIL": "pillow", "sklearn": "scikit-learn",
    "bs4": "beautifulsoup4", "dateutil": "python-dateutil", "dotenv": "python-dotenv",
    "docx": "python-docx", "pptx": "python-pptx", "magic": "python-magic", "jwt": "pyjwt",
    "serial": "pyserial", "Crypto": "pycryptodome", "usb": "pyusb", "attr": "attrs",
}  # fmt: skip
"""Modules whose package on the index has another name (pip install takes the package)."""


def missing_file_fix(
    find: Callable[[str], list[str]], message: str, path: str, line_no: int, source: Source
) -> Finding | None:
    """A file opened by a path relative to where the program runs, found elsewhere."""
    match = _NO_FILE.search(message)
    if not match:
        return None
    wanted = match[1].replace("\\", "/")
    base = wanted.rsplit("/", 1)[-1]
    found = find(base)
    if not found:
        return (
            f"no file named '{base}' exists under the project, so '{wanted}' cannot be opened",
            "create or copy the file there, or correct the name in the code",
        )
    real = found[0]
    folder = path.rsplit("/", 1)[0] if "/" in path else "."
    from_script = posixpath.relpath(real, folder)
    cause = (
        f"the program opens '{wanted}' relative to the folder it is run from (the working folder, "
        f"not the script's), but the file is at `{real}`"
    )
    line = source.get(line_no, "")
    for quote in ('"', "'"):
        literal = f"{quote}{match[1]}{quote}"
        if literal in line:
            fixed = line.replace(literal, f'Path(__file__).resolve().parent / "{from_script}"')
            imported = any(
                re.match(r"\s*from pathlib import .*\bPath\b", t) for t in source.values()
            )
            add = "" if imported else " (with from pathlib import Path at the top)"
            why = f"build the path from the script's own folder{add}, so it works from any folder"
            return cause, _corrected(line_no, line, fixed, why)
    return (
        cause,
        f"run it from the folder that holds the file's path, or open {from_script} from the "
        "script's folder",
    )


def missing_module_fix(find: Callable[[str], list[str]], message: str) -> Finding | None:
    """A module that is not installed: the package to install, or the project's own folder."""
    match = _NO_MODULE.search(message)
    if not match:
        return None
    module = match[1].split(".")[0]
    own = find(f"{module}.py") + find(f"{module}/__init__.py")
    if own:
        cause = (
            f"'{module}' is the project's own module (`{own[0]}`), but the program was started "
            "from a folder from which Python does not see it"
        )
        return cause, (
            "run it from the project's top folder, as a module (python -m with the dotted name), "
            "or make the import relative to the package"
        )
    package = _DISTRIBUTIONS.get(module, module)
    named = f" (the package is called {package}, not {module})" if package != module else ""
    cause = f"the module '{module}' is not installed in the Python that runs the program{named}"
    return cause, (f"install it into that same environment: python -m pip install {package}")


# --- the tool ------------------------------------------------------------------------------------


_EXCEPTION = re.compile(r"\b(?:[a-z_]\w*\.)*([A-Z]\w*(?:Error|Exception))\b:?\s*(.*)")
_SHADOWING = ("AttributeError", "ImportError", "ModuleNotFoundError")


def suggest_fix(root: Path, error: str, path: str = "", line: int = 0) -> str:
    """The cause of `error` in the project's own files and the corrected line(s)."""
    match = _EXCEPTION.search(error or "")
    if match is None:
        return "Error: suggest_fix needs the error as 'Type: message' (e.g. 'TypeError: ...')"
    exc, message = match.group(1), match.group(2).strip()
    files = ProjectFiles(root)
    source: Source = {}
    shown = ""
    if path:
        try:
            real, text = read_text(root, path)
        except ProjectFileError as err:
            return f"Error: {err}"
        shown = relative(root, real)
        source = dict(enumerate(text.splitlines(), start=1))

    def find(name: str) -> list[str]:
        return sorted(f for f in files.listing() if f == name or f.endswith("/" + name))

    def read(name: str) -> Source:
        try:
            return dict(enumerate(read_text(root, name)[1].splitlines(), start=1))
        except ProjectFileError:
            return {}

    found = project_fix(find, read, message, shown or None) if exc in _SHADOWING else None
    if found is not None and shown and not line:
        line = _import_line(message, source)
    if found is None and shown and not line:
        line = _scanned_line(exc, message, shown, source)  # the error gave the file, no line
    if found is None and exc == "FileNotFoundError" and shown and line:
        found = missing_file_fix(find, message, shown, line, source)
    if found is None and exc == "ModuleNotFoundError":
        found = missing_module_fix(find, message)
    if found is None and shown and line:
        found = line_fix(exc, message, shown, line, source)
    if found is None:
        return f"No specific fix found for this {exc}; its usual cause applies."
    cause, fix = found
    where = f"{shown}:{line}: " if shown and line else ""
    return f"{where}cause: {cause}\nfix: {fix}"


_SCANNED = frozenset(
    {"TypeError", "ValueError", "NameError", "UnboundLocalError", "UnicodeDecodeError",
     "FileNotFoundError", "AttributeError"}
)  # fmt: skip
"""Errors whose line is found by its shape when the error names no line (an index, a key or
a division is too common a shape to pick one line by)."""


def _scanned_line(exc: str, message: str, path: str, source: Source) -> int:
    """The first line of `path` that the error's family recognises (0 when none does)."""
    if exc not in _SCANNED:
        return 0
    for number in sorted(source):
        if exc == "FileNotFoundError":
            wanted = _NO_FILE.search(message)
            if wanted and wanted[1] in source[number]:
                return number
        else:
            found = line_fix(exc, message, path, number, source)
            # Only a finding that rewrote this very line says it is the one.
            if found is not None and "\n" in found[1] and f"line {number}" in "".join(found):
                return number
    return 0


def _import_line(message: str, source: Source) -> int:
    """The line that imports the module a shadowing error names (0 when none does)."""
    for pattern in _SHADOW_MESSAGES:
        match = pattern.search(message)
        if match:
            module = re.escape(match["module"].split(".")[0])
            for number in sorted(source):
                if re.match(rf"\s*(?:import\s+{module}\b|from\s+{module}\b)", source[number]):
                    return number
    return 0


class SuggestFixInput(BaseModel):
    """Arguments of suggest_fix."""

    error: str = Field(min_length=1, description="The error ('TypeError: ...'), as shown.")
    path: str = Field(default="", description="The Python file the error was raised in.")
    line: int = Field(
        default=0, ge=0, description="The line the error was raised at (0: found by its shape)."
    )


def fix_tools(root: Path) -> list[BaseTool]:
    """suggest_fix over the project folder `root`."""
    root = Path(root).resolve()

    def suggest_fix_tool(error: str, path: str = "", line: int = 0) -> str:
        return suggest_fix(root, error, path, line)

    return [
        StructuredTool.from_function(
            func=suggest_fix_tool,
            name="suggest_fix",
            description=(
                "For a Python error raised at a file and line of the project: its cause in the "
                "code and files there (a project file shadowing a module, text mixed with "
                "numbers, a number written with separators or a currency, a date in another "
                "layout, a missing import, a misspelt name, a wrong encoding) and the corrected "
                "line(s), written out."
            ),
            args_schema=SuggestFixInput,
        )
    ]
