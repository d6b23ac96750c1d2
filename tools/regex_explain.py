"""`explain_regex`: a regular expression explained piece by piece, from Python's own parse of it.

The pattern is read by the regex parser the `re` module itself uses (`re._parser`, `sre_parse`
before 3.11), so every piece described is the piece Python sees: anchors, character classes,
repeats ("one or two", "optional"), groups (with the names the code unpacks them into) and
alternatives. Sample strings are run through the compiled pattern, so "accepts" and "rejects"
are what really happens, never a guess.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, clip, iter_files, read_text, relative, scan_text

try:  # Python 3.11+
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

MAX_PATTERN_CHARS = 500
"""Longest pattern explained."""
MAX_SAMPLE_CHARS = 60
"""Longest sample string run (short inputs keep a backtracking pattern fast)."""
MAX_SAMPLES = 30
"""Samples tried."""
MAX_PATTERNS = 6
"""Patterns of one file explained."""
_RE_FUNCTIONS = frozenset("compile match search fullmatch findall finditer sub subn split".split())
_FLAG_WORDS = {
    re.IGNORECASE: "IGNORECASE: letters match in either case",
    re.MULTILINE: "MULTILINE: ^ and $ also match at each line's start and end",
    re.DOTALL: "DOTALL: '.' matches a newline too",
    re.VERBOSE: "VERBOSE: spaces and # comments in the pattern are ignored",
    re.ASCII: "ASCII: \\d, \\w and \\s match ASCII characters only",
}
_CATEGORIES = {
    "CATEGORY_DIGIT": "a digit",
    "CATEGORY_NOT_DIGIT": "a non-digit",
    "CATEGORY_SPACE": "a whitespace character",
    "CATEGORY_NOT_SPACE": "a non-whitespace character",
    "CATEGORY_WORD": "a word character (letter, digit or _)",
    "CATEGORY_NOT_WORD": "a non-word character",
}
_CATEGORY_TEXT = {
    "CATEGORY_DIGIT": "\\d",
    "CATEGORY_NOT_DIGIT": "\\D",
    "CATEGORY_SPACE": "\\s",
    "CATEGORY_NOT_SPACE": "\\S",
    "CATEGORY_WORD": "\\w",
    "CATEGORY_NOT_WORD": "\\W",
}
_AT = {
    "AT_BEGINNING": ("^", "the start of the text"),
    "AT_BEGINNING_STRING": ("\\A", "the start of the text"),
    "AT_END": ("$", "the end of the text (or before a final newline)"),
    "AT_END_STRING": ("\\Z", "the very end of the text"),
    "AT_BOUNDARY": ("\\b", "a word boundary"),
    "AT_NON_BOUNDARY": ("\\B", "not a word boundary"),
}
_NUMBER_WORDS = "zero one two three four five six seven eight nine ten".split()


def _count(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def _char(code: int, in_class: bool = False) -> str:
    c = chr(code)
    if c in "\\.^$*+?{}[]()|" or (in_class and c in "-^]"):
        return "\\" + c
    if c == " ":
        return " "
    return c if c.isprintable() else repr(c)[1:-1]


def _in_item(op: Any, av: Any) -> tuple[str, str]:
    """(source, words) of one member of a character class."""
    name = str(op)
    if name == "LITERAL":
        return _char(av, True), f"'{chr(av)}'"
    if name == "RANGE":
        return f"{_char(av[0], True)}-{_char(av[1], True)}", f"{chr(av[0])} to {chr(av[1])}"
    if name == "CATEGORY":
        return _CATEGORY_TEXT.get(str(av), "?"), _CATEGORIES.get(str(av), str(av).lower())
    return "", name.lower()


@dataclass
class _Piece:
    """One piece of a pattern."""

    source: str
    """Its text in regex syntax."""
    words: str
    """What it matches, in words."""
    children: list[_Piece] = field(default_factory=list)
    """The pieces inside it (a group's, a repeat's, an alternative's)."""


def _repeat_words(low: int, high: int) -> str:
    top = sre_constants.MAXREPEAT
    if (low, high) == (0, 1):
        return "optional (zero or one)"
    if high == top:
        return {0: "zero or more", 1: "one or more"}.get(low, f"{_count(low)} or more")
    if low == high:
        return f"exactly {_count(low)}"
    if high == low + 1:
        return f"{_count(low)} or {_count(high)}"
    return f"{_count(low)} to {_count(high)}"


def _repeat_source(low: int, high: int, lazy: bool) -> str:
    top = sre_constants.MAXREPEAT
    mark = "?" if lazy else ""
    if (low, high) == (0, 1):
        return "?" + mark
    if (low, high) == (0, top):
        return "*" + mark
    if (low, high) == (1, top):
        return "+" + mark
    if low == high:
        return f"{{{low}}}" + mark
    return f"{{{low},{'' if high == top else high}}}" + mark


class _Describer:
    """Turns the parser's tree into pieces: source text and words."""

    def __init__(self, names: dict[int, str], group_names: dict[int, str]) -> None:
        self.names = names
        self.group_names = group_names

    def pieces(self, items: Any) -> list[_Piece]:
        out: list[_Piece] = []
        literal = ""
        for op, av in items:
            if str(op) == "LITERAL":
                literal += chr(av)
                continue
            if literal:
                out.append(self._literal(literal))
                literal = ""
            out.append(self.piece(op, av))
        if literal:
            out.append(self._literal(literal))
        return out

    def _literal(self, text: str) -> _Piece:
        source = "".join(_char(ord(c)) for c in text)
        if text == " ":
            return _Piece(" ", "a space")
        return _Piece(source, f"the text '{text}'" if len(text) > 1 else f"the character '{text}'")

    def _sequence(self, items: Any) -> _Piece:
        """One alternative: its single piece, or its pieces in order."""
        pieces = self.pieces(items)
        if len(pieces) == 1:
            return pieces[0]
        return _Piece("".join(p.source for p in pieces), "in this order:", pieces)

    def source(self, items: Any) -> str:
        return "".join(p.source for p in self.pieces(items))

    def piece(self, op: Any, av: Any) -> _Piece:
        name = str(op)
        if name == "AT":
            src, words = _AT.get(str(av), (str(av), str(av).lower()))
            return _Piece(src, words)
        if name == "ANY":
            return _Piece(".", "any character except a newline")
        if name == "NOT_LITERAL":
            return _Piece(f"[^{_char(av)}]", f"any character but '{chr(av)}'")
        if name == "CATEGORY":
            return _Piece(_CATEGORY_TEXT.get(str(av), "?"), _CATEGORIES.get(str(av), str(av)))
        if name == "IN":
            negate = bool(av) and str(av[0][0]) == "NEGATE"
            members = [_in_item(o, a) for o, a in (av[1:] if negate else av)]
            src = "".join(s for s, _ in members)
            if len(members) == 1 and not negate and str(av[0][0]) == "CATEGORY":
                return _Piece(src, members[0][1])
            words = " or ".join(w for _, w in members)
            if negate:
                return _Piece(f"[^{src}]", f"one character that is not {words}")
            return _Piece(f"[{src}]", f"one character: {words}")
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = av
            inner = self.pieces(sub)
            body = "".join(p.source for p in inner)
            if len(inner) > 1 or (
                len(list(sub)) == 1 and str(list(sub)[0][0]) == "LITERAL" and len(body) > 1
            ):
                body = f"(?:{body})"
            src = body + _repeat_source(low, high, name == "MIN_REPEAT")
            what = "; ".join(p.words for p in inner)
            lazy = " (as few as possible)" if name == "MIN_REPEAT" else ""
            if len(inner) == 1 and not inner[0].children:
                return _Piece(src, f"{_repeat_words(low, high)}{lazy} of: {what}")
            return _Piece(src, f"{_repeat_words(low, high)}{lazy} of this:", inner)
        if name == "SUBPATTERN":
            group, _add, _del, sub = av
            inner = self.pieces(sub)
            body = "".join(p.source for p in inner)
            if group is None:
                return _Piece(f"(?:{body})", "a group (not captured):", inner)
            label = f"group {group}"
            if group in self.group_names:
                label += f" named '{self.group_names[group]}'"
                body_src = f"(?P<{self.group_names[group]}>{body})"
            else:
                body_src = f"({body})"
            if group in self.names:
                label += f" (the code calls it {self.names[group]})"
            return _Piece(body_src, f"{label}, captured:", inner)
        if name == "BRANCH":
            _, branches = av
            inner = [self._sequence(b) for b in branches]
            return _Piece("|".join(p.source for p in inner), "one of these alternatives:", inner)
        if name == "GROUPREF":
            return _Piece(f"\\{av}", f"the same text as group {av} matched")
        if name in ("ASSERT", "ASSERT_NOT"):
            direction, sub = av
            ahead = "followed by" if direction == 1 else "preceded by"
            neg = "not " if name == "ASSERT_NOT" else ""
            inner = self.source(sub)
            mark = (
                ("(?=" if direction == 1 else "(?<=")
                if not neg
                else ("(?!" if direction == 1 else "(?<!")
            )
            return _Piece(f"{mark}{inner})", f"only where {neg}{ahead} '{inner}' (not consumed)")
        return _Piece("", name.lower().replace("_", " "))


def _render(pieces: list[_Piece], depth: int = 0) -> list[str]:
    lines: list[str] = []
    for piece in pieces:
        pad = "  " * depth
        lines.append(f'{pad}- "{piece.source}": {piece.words}')
        lines += _render(piece.children, depth + 1)
    return lines


_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


def _nested_repeat(items: Any, outer: int = 1) -> bool:
    """Whether a repeat holds another repeat, one of them unbounded (the shape of catastrophic
    backtracking, like (a+)+ or (.*a){20}): running such a pattern on a sample could hang.
    `outer` is the largest count of the repeats around `items`."""
    top = sre_constants.MAXREPEAT
    for op, av in items:
        name = str(op)
        if name in _REPEATS:
            _low, high, sub = av
            if outer > 1 and high > 1 and top in (outer, high):
                return True
            if _nested_repeat(sub, max(outer, high)):
                return True
        elif name == "SUBPATTERN" and _nested_repeat(av[3], outer):
            return True
        elif name == "BRANCH" and any(_nested_repeat(b, outer) for b in av[1]):
            return True
        elif name in ("ASSERT", "ASSERT_NOT") and _nested_repeat(av[1], outer):
            return True
    return False


def explain_pattern(
    pattern: str,
    flags: int = 0,
    group_labels: dict[int, str] | None = None,
    samples: list[str] | None = None,
    method: str = "search",
) -> str:
    """A pattern explained piece by piece; samples run through it with `method`."""
    if not pattern or len(pattern) > MAX_PATTERN_CHARS:
        return f"Error: give a pattern of 1 to {MAX_PATTERN_CHARS} characters"
    try:
        compiled = re.compile(pattern, flags)
        parsed = sre_parse.parse(pattern, flags)
    except (re.error, OverflowError, RecursionError) as err:
        return f"Error: the pattern does not compile: {err}"
    names = {v: k for k, v in compiled.groupindex.items()}
    describer = _Describer(group_labels or {}, names)
    lines = [f'Pattern "{pattern}": {compiled.groups} capture group(s)']
    for flag, words in _FLAG_WORDS.items():
        if compiled.flags & flag:
            lines.append(f"flag {words}")
    lines += _render(describer.pieces(parsed))
    run = getattr(compiled, method if method in ("match", "fullmatch", "search") else "search")
    if samples and _nested_repeat(parsed):
        lines.append("samples not run: a repeat inside a repeat can take exponential time")
        return "\n".join(lines)
    accepted: list[str] = []
    rejected: list[str] = []
    for sample in dict.fromkeys(samples or []):
        if not isinstance(sample, str) or len(sample) > MAX_SAMPLE_CHARS or sample == pattern:
            continue
        found = run(sample)
        if found is None:
            rejected.append(repr(sample))
        else:
            groups = (
                f" (groups: {', '.join(repr(g) for g in found.groups())})" if found.groups() else ""
            )
            accepted.append(f"{sample!r}{groups}")
        if len(accepted) + len(rejected) >= MAX_SAMPLES:
            break
    if accepted:
        lines.append(f"pattern.{run.__name__}() accepts: " + "; ".join(accepted[:6]))
    if rejected:
        lines.append(f"pattern.{run.__name__}() rejects: " + "; ".join(rejected[:6]))
    return "\n".join(lines)


MAX_RUN_LINES = 400
"""Most lines of a file run through a pattern."""
MAX_SHOWN_LINES = 30
"""Most kept or dropped lines listed."""


def _failing_piece(
    pieces: list[_Piece], flags: int, method: str, line: str
) -> tuple[_Piece, int] | None:
    """The first top-level piece a line fails at, and where in the line the part before it
    ends (None when the pieces cannot be tried one by one)."""
    end = 0
    for count in range(1, len(pieces) + 1):
        try:
            prefix = re.compile("".join(p.source for p in pieces[:count]), flags)
        except re.error:
            return None
        found = prefix.match(line) if method in ("match", "fullmatch") else prefix.search(line)
        if found is None:
            return pieces[count - 1], end
        end = found.end()
    return None


def _short(piece: _Piece) -> str:
    """A piece's words on one line (a group's single child, an alternative's choices)."""
    words = piece.words.rstrip(":").rstrip(",")
    if len(piece.children) == 1:
        return f"{words}: {_short(piece.children[0])}"
    if piece.children and "alternatives" in words:
        return f"{words}: " + ", ".join(c.source for c in piece.children)
    return words


def run_over_lines(
    pattern: str, flags: int, method: str, lines: list[str], label: str
) -> list[str]:
    """Each line of a file run through `pattern` the way the code runs it: the lines kept
    (with their groups) and the lines dropped, each with the piece it fails at."""
    compiled = re.compile(pattern, flags)
    parsed = sre_parse.parse(pattern, flags)
    if _nested_repeat(parsed):
        return [f"lines of {label} not run: a repeat inside a repeat can take exponential time"]
    names = {v: k for k, v in compiled.groupindex.items()}
    pieces = _Describer({}, names).pieces(parsed)
    run = getattr(compiled, method if method in ("match", "fullmatch", "search") else "search")
    kept: list[str] = []
    dropped: list[str] = []
    for number, raw in enumerate(lines[:MAX_RUN_LINES], start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or len(line) > MAX_SAMPLE_CHARS:
            continue
        found = run(line)
        if found is not None:
            kept.append(f"- line {number}: {line}")
            continue
        why = ""
        failing = _failing_piece(pieces, flags, run.__name__, line)
        if failing is not None:
            piece, end = failing
            rest = line[end : end + 12]
            shown = f"'{rest}'" if rest else "the end of the line"
            after = f" after '{line[:end]}'" if end else ""
            why = f': fails at "{piece.source}" ({_short(piece)}){after}'
            why += f", where the line has {shown}"
        elif run.__name__ == "fullmatch":
            why = ": the pattern does not cover the whole line"
        dropped.append(f"- line {number}: {line}{why}")
    total = len(kept) + len(dropped)
    out = [
        f"Run over the {total} lines of {label} with pattern.{run.__name__}(): "
        f"{len(kept)} line{'s' if len(kept) != 1 else ''} kept, {len(dropped)} dropped."
    ]
    if kept:
        out += [f"Kept ({len(kept)} lines):", *kept[:MAX_SHOWN_LINES]]
    if dropped:
        out += [f"Dropped ({len(dropped)} lines):", *dropped[:MAX_SHOWN_LINES]]
    return out


@dataclass
class RegexLiteral:
    """A regular expression written in a Python file."""

    line: int
    """Where it is written."""
    pattern: str
    """The pattern text."""
    flags: int
    """Its flags, where written as re.X constants."""
    name: str
    """The variable it is bound to ('' when used in place)."""
    method: str
    """How the code runs it ('match', 'search', 'fullmatch', ...)."""
    labels: dict[int, str] = field(default_factory=dict)
    """Group number -> the name the code unpacks it into."""


def _flags(node: ast.AST | None) -> int:
    if node is None:
        return 0
    value = 0
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(getattr(re, sub.attr, None), re.RegexFlag):
            value |= int(getattr(re, sub.attr))
        elif isinstance(sub, ast.Name) and isinstance(getattr(re, sub.id, None), re.RegexFlag):
            value |= int(getattr(re, sub.id))
    return value


def regex_literals(tree: ast.Module) -> list[RegexLiteral]:
    """The patterns a module passes to re.compile/match/search/... as string literals."""
    found: list[RegexLiteral] = []
    bound: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and isinstance(node.value, ast.Call):
                bound[id(node.value)] = target.id
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        func = node.func
        if not (isinstance(func.value, ast.Name) and func.value.id == "re"):
            continue
        if func.attr not in _RE_FUNCTIONS or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        flag_node = next((k.value for k in node.keywords if k.arg == "flags"), None)
        position = {"compile": 1, "sub": 4, "subn": 4, "split": 3}.get(func.attr, 2)
        if flag_node is None and len(node.args) > position:
            flag_node = node.args[position]
        found.append(
            RegexLiteral(
                line=node.lineno,
                pattern=first.value,
                flags=_flags(flag_node),
                name=bound.get(id(node), ""),
                method=func.attr if func.attr != "compile" else "search",
            )
        )
    found.sort(key=lambda r: r.line)
    _read_usage(tree, found)
    return found


def _read_usage(tree: ast.Module, literals: list[RegexLiteral]) -> None:
    """How the code runs each named pattern (NAME.match) and what it calls its groups
    (`a, b = m.groups()`, `x = m.group(1)`)."""
    by_name = {r.name: r for r in literals if r.name}
    matches: dict[str, RegexLiteral] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                owner = by_name.get(func.value.id)
                if owner and func.attr in ("match", "search", "fullmatch"):
                    owner.method = func.attr
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            matches[target.id] = owner
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            if isinstance(func.value, ast.Name) and func.value.id in by_name:
                if func.attr in ("match", "search", "fullmatch"):
                    by_name[func.value.id].method = func.attr
    if len(literals) == 1 and not matches:
        matches = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        func = node.value.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            continue
        owner = matches.get(func.value.id)
        if owner is None:
            continue
        target = node.targets[0]
        if func.attr == "groups" and isinstance(target, ast.Tuple):
            for number, element in enumerate(target.elts, start=1):
                if isinstance(element, ast.Name):
                    owner.labels[number] = element.id
        elif func.attr == "group" and isinstance(target, ast.Name) and node.value.args:
            arg = node.value.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, int):
                owner.labels[arg.value] = target.id


def _string_samples(tree: ast.Module, patterns: set[str]) -> list[str]:
    """Short string literals of a module (not docstrings, not f-string parts): inputs the
    code's own authors wrote, worth running through its patterns."""
    formatted = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and n.body
        and isinstance(n.body[0], ast.Expr)
    }
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and 0 < len(n.value) <= MAX_SAMPLE_CHARS
        and n.value not in patterns
        and id(n) not in docstrings
        and id(n) not in formatted
        and len(n.value.strip()) > 1
        and "\n" not in n.value
    ]


def _importer_samples(root: Path, module: Path, patterns: set[str]) -> list[str]:
    """String literals of the project files that import `module` (its tests, its callers)."""
    stem = module.stem
    wanted = re.compile(
        rf"^\s*(?:from\s+(?:[\w.]+\.)?{re.escape(stem)}\s+import|import\s+"
        rf"(?:[\w.]+\.)?{re.escape(stem)}\b)",
        re.MULTILINE,
    )
    found: list[str] = []
    for path in iter_files(root):
        if path.suffix != ".py" or path.resolve() == module:
            continue
        text = scan_text(path)
        if text is None or not wanted.search(text):
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError):
            continue
        found += _string_samples(tree, patterns)
        if len(found) >= MAX_SAMPLES:
            break
    return found


def _first_pattern(literals: list[RegexLiteral]) -> str:
    """The pattern a file's lines are run through: the first one that compiles."""
    for literal in literals:
        try:
            re.compile(literal.pattern, literal.flags)
        except (re.error, OverflowError, RecursionError):
            continue
        return literal.pattern
    return ""


def _file_lines(root: Path, lines_path: str) -> tuple[str, list[str]] | str:
    """(name, lines) of the file whose lines to run through a pattern, or an error."""
    try:
        real, text = read_text(root, lines_path)
    except ProjectFileError as err:
        return f"Error: {err}"
    return relative(root, real), text.splitlines()


def explain_regex(
    root: Path,
    pattern: str = "",
    path: str = "",
    samples: list[str] | None = None,
    lines_path: str = "",
) -> str:
    """Explain `pattern`, or every regex literal of the Python file `path`; with `lines_path`,
    run each line of that file through the pattern(s) as the code runs them."""
    run_on: tuple[str, list[str]] | None = None
    if lines_path:
        read = _file_lines(root, lines_path)
        if isinstance(read, str):
            return read
        run_on = read
    samples = [s for s in (samples or []) if isinstance(s, str)][:MAX_SAMPLES]
    if pattern:
        out = explain_pattern(pattern, samples=samples)
        if run_on is not None and not out.startswith("Error"):
            out += "\n" + "\n".join(run_over_lines(pattern, 0, "search", run_on[1], run_on[0]))
        return out
    if not path:
        return "Error: give a pattern, or the path of a Python file that holds one"
    try:
        real, source = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    try:
        tree = ast.parse(source, filename=name)
    except (SyntaxError, ValueError, RecursionError) as err:
        return f"Error: {name} does not parse: {err}"
    literals = regex_literals(tree)
    if not literals:
        return f"{name} passes no regular expression literal to the re module."
    patterns = {r.pattern for r in literals}
    own = _string_samples(tree, patterns) + _importer_samples(root, real, patterns)
    lines = source.splitlines()
    out: list[str] = []
    for literal in literals[:MAX_PATTERNS]:
        bound = f" ({literal.name})" if literal.name else ""
        out.append(f"{name}:{literal.line}: {clip(lines[literal.line - 1].strip())}{bound}")
        # The lines kept and dropped come first: they are the answer, the pieces the reason.
        if run_on is not None and literal.pattern == _first_pattern(literals):
            out += run_over_lines(
                literal.pattern, literal.flags, literal.method, run_on[1], run_on[0]
            )
        out.append(
            explain_pattern(
                literal.pattern, literal.flags, literal.labels, [*samples, *own], literal.method
            )
        )

        out.append("")
    return "\n".join(out).rstrip()


class ExplainRegexInput(BaseModel):
    """Arguments of explain_regex."""

    pattern: str = Field(default="", max_length=MAX_PATTERN_CHARS, description="A regex.")
    path: str = Field(
        default="", description="Or a .py file whose re.compile/match/... patterns to explain."
    )
    samples: list[str] = Field(
        default_factory=list, description="Strings to try the pattern on (accepted or not)."
    )
    lines_path: str = Field(
        default="",
        description="A text or log file under the project root whose every line is run through "
        "the pattern: which lines are kept, which dropped and the piece each fails at.",
    )


def regex_tools(root: Path) -> list[BaseTool]:
    """explain_regex over the project folder `root`."""
    root = Path(root).resolve()

    def explain_regex_tool(
        pattern: str = "", path: str = "", samples: list[str] | None = None, lines_path: str = ""
    ) -> str:
        return explain_regex(root, pattern, path, samples, lines_path)

    return [
        StructuredTool.from_function(
            func=explain_regex_tool,
            name="explain_regex",
            description=(
                "Explain a regular expression piece by piece as Python's re parser reads it "
                "(anchors, character classes, repeats, groups and the names the code gives them, "
                "alternatives, flags), and run sample strings through it. Give a pattern, or the "
                "path of a Python file to explain the patterns it passes to the re module (the "
                "file's own short string literals are tried as samples)."
            ),
            args_schema=ExplainRegexInput,
        )
    ]
