"""review of a Python module's arithmetic against what it promises, with the task's own numbers.

Two slips no linter sees: a number documented as counting from 1 (`1-based page`) multiplied
as if it counted from 0 (`start = page * per_page` skips the first page), and a count of groups
made by floor division (`len(items) // per_page` loses the last, partial page). When the task
gives numbers and calls ("for 25 items with per_page=10, what does paginate(items, 1) return"),
each call is worked out now and after the fix by a small evaluator of plain arithmetic (names,
numbers, + - * / // %, len, min, max, slices): nothing of the module is run.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backends.local.plans import Work

_ONE_BASED = re.compile(
    r"\b(?:1-based|one-based|1-indexed|(?:numbered|numbering|counted|counting|counts?|starts?|"
    r"starting)(?:\s+\w+)?\s+(?:from|at)\s+(?:1|one))\b",
    re.I,
)
_CALL = re.compile(r"\b(?P<name>[A-Za-z_]\w*)\((?P<args>[^()]*)\)")
_SIZED = re.compile(r"\b(?P<n>\d+) (?P<word>[a-z_]\w*)\b", re.I)
_KEYWORD = re.compile(r"\b(?P<name>[A-Za-z_]\w*)\s*=\s*(?P<n>-?\d+)\b")
_READ_CAP = 400
_COUNTING = re.compile(r"count|pages|batches|chunks|groups|^num_|^n_|total", re.I)
"""A function whose name says it counts groups."""


@dataclass(frozen=True)
class Seq:
    """A sequence known by its name and length only, and the part of it a slice kept."""

    name: str
    """The name the task gives it."""
    length: int
    """How many items it holds."""
    start: int = 0
    """First index kept of the original."""
    stop: int | None = None
    """One past the last index kept (None: the end)."""

    def shown(self) -> str:
        stop = self.length + self.start if self.stop is None else self.stop
        if self.start == 0 and self.stop is None:
            return f"all {self.length} of {self.name}"
        if stop <= self.start:
            return f"{self.name}[{self.start}:{stop}], an empty list"
        return (
            f"{self.name}[{self.start}:{stop}] (the items {self.start + 1} to {stop}, "
            f"{stop - self.start} of them)"
        )


class _Unsupported(Exception):
    """The code does more than plain arithmetic: it is not worked out."""


@dataclass(frozen=True)
class Slip:
    """One place where the arithmetic breaks the module's promise."""

    line: int
    """1-based line of the statement."""
    message: str
    """What is wrong and the fix."""


def review_logic(work: Work, path: str, task: str) -> list[str]:
    """The slips of `path` with their fixes, then the task's calls worked out now and after."""
    shown = work.output("read_lines", path=path, start=1, end=_READ_CAP) or ""
    numbered = {
        int(m.group(1)): m.group(2)
        for m in (re.match(r"^(\d+): ?(.*)$", ln) for ln in shown.splitlines())
        if m
    }
    try:
        tree = ast.parse("\n".join(numbered[n] for n in sorted(numbered)))
    except SyntaxError:
        return []
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    slips: list[Slip] = []
    fixed: dict[str, ast.FunctionDef] = {}
    for name, function in functions.items():
        found, repaired = _slips(function, task)
        slips += found
        if found:
            fixed[name] = repaired
    if not slips:
        return []
    lines = [f"`{path}` line {s.line}: {s.message}" for s in sorted(slips, key=lambda s: s.line)]
    for text in _worked(functions, fixed, task):
        lines.append(text)
    return lines


def _slips(function: ast.FunctionDef, task: str) -> tuple[list[Slip], ast.FunctionDef]:
    """The function's slips, and a copy of it with each one repaired."""
    params = [a.arg for a in function.args.args]
    doc = ast.get_docstring(function) or ""
    one_based = [p for p in params if _ONE_BASED.search(doc) and re.search(rf"\b{p}\b", doc)] or [
        p for p in params if _ONE_BASED.search(task) and re.search(rf"\b{p}\b", task)
    ]
    repaired = ast.parse(ast.unparse(function)).body[0]
    assert isinstance(repaired, ast.FunctionDef)
    slips: list[Slip] = []
    # A floor division is a slip only where groups are counted ("mid = len(xs) // 2" is not).
    counts = bool(_COUNTING.search(function.name))
    lowered = {ast.unparse(n) for n in ast.walk(function) if isinstance(n, ast.BinOp)}
    for node, twin in zip(ast.walk(function), ast.walk(repaired), strict=True):
        if not isinstance(node, ast.BinOp) or not isinstance(twin, ast.BinOp):
            continue
        line = node.lineno
        if isinstance(node.op, ast.Mult):
            for side in ("left", "right"):
                operand = getattr(node, side)
                if not (isinstance(operand, ast.Name) and operand.id in one_based):
                    continue
                if f"{operand.id} - 1" in lowered:
                    continue
                setattr(twin, side, ast.parse(f"({operand.id} - 1)").body[0].value)
                slips.append(
                    Slip(
                        line,
                        f"`{operand.id}` counts from 1, but {ast.unparse(node)} treats it as "
                        f"counting from 0, so {operand.id} 1 starts one group too far and the "
                        f"first is never returned; write ({operand.id} - 1) * "
                        f"{ast.unparse(getattr(node, 'right' if side == 'left' else 'left'))}",
                    )
                )
        elif isinstance(node.op, ast.FloorDiv) and _is_len(node.left) and counts:
            total, size = ast.unparse(node.left), ast.unparse(node.right)
            twin.op = ast.Div()
            slips.append(
                Slip(
                    line,
                    f"{total} // {size} rounds down, so a last, partial group is not counted "
                    f"(when {total} is not a multiple of {size}); write math.ceil({total} / "
                    f"{size}), or -(-{total} // {size}) without the import",
                )
            )
            twin.ceil = True  # type: ignore[attr-defined] (read back by _eval)
    return slips, repaired


def _is_len(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"


def _worked(
    functions: dict[str, ast.FunctionDef], fixed: dict[str, ast.FunctionDef], task: str
) -> list[str]:
    """Each call the task writes, of a function with a slip, now and after the fix."""
    sizes = {m["word"].lower(): int(m["n"]) for m in _SIZED.finditer(task)}
    numbers = {m["name"]: int(m["n"]) for m in _KEYWORD.finditer(task)}
    lines: list[str] = []
    for call in _CALL.finditer(task):
        name = call["name"]
        if name not in fixed:
            continue
        try:
            args, kwargs = _arguments(call["args"], sizes, numbers)
            now = _call(functions[name], args, kwargs | numbers)
            then = _call(fixed[name], args, kwargs | numbers)
        except _Unsupported:
            continue
        given = ", ".join(f"{k}={v}" for k, v in sorted(numbers.items()))
        sized = ", ".join(f"{v.length} {v.name}" for v in args if isinstance(v, Seq))
        context = ", ".join(x for x in (sized, given) if x)
        lines.append(
            f"With {context}: {call.group(0)} returns {_show(now)} now; "
            f"after the fix it returns {_show(then)}."
        )
    return list(dict.fromkeys(lines))[:4]


def _arguments(
    text: str, sizes: dict[str, int], numbers: dict[str, int]
) -> tuple[list[object], dict[str, object]]:
    args: list[object] = []
    kwargs: dict[str, object] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        key, _, value = part.rpartition("=")
        value = value.strip()
        if re.fullmatch(r"-?\d+", value):
            got: object = int(value)
        elif value in numbers:
            got = numbers[value]
        elif value.lower() in sizes:
            got = Seq(value, sizes[value.lower()])
        else:
            raise _Unsupported(value)
        if key:
            kwargs[key.strip()] = got
        else:
            args.append(got)
    return args, kwargs


def _show(value: object) -> str:
    if isinstance(value, Seq):
        return value.shown()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _call(function: ast.FunctionDef, args: list[object], kwargs: dict[str, object]) -> object:
    """The function's return value for these arguments, by the small evaluator."""
    params = [a.arg for a in function.args.args]
    defaults = function.args.defaults
    scope: dict[str, object] = {}
    for name, default in zip(params[len(params) - len(defaults) :], defaults, strict=True):
        scope[name] = _eval(default, {})
    scope.update({k: v for k, v in kwargs.items() if k in params})
    if len(args) > len(params):
        raise _Unsupported("too many arguments")
    scope.update(zip(params, args, strict=False))
    if any(p not in scope for p in params):
        raise _Unsupported("an argument the task does not give")
    return _run(function.body, scope)


def _run(body: list[ast.stmt], scope: dict[str, object]) -> object:
    for statement in body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # the docstring
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if not isinstance(target, ast.Name):
                raise _Unsupported("assignment")
            scope[target.id] = _eval(statement.value, scope)
        elif isinstance(statement, ast.Return):
            return None if statement.value is None else _eval(statement.value, scope)
        elif isinstance(statement, ast.If):
            branch = statement.body if _eval(statement.test, scope) else statement.orelse
            done = _run(branch, scope)
            if done is not _NOTHING:
                return done
        else:
            raise _Unsupported(type(statement).__name__)
    return _NOTHING


_NOTHING = object()
_OPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
}
_COMPARE = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
}


def _eval(node: ast.expr, scope: dict[str, object]) -> object:  # noqa: PLR0911 (one per form)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | type(None)):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in scope:
            raise _Unsupported(node.id)
        return scope[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_number(_eval(node.operand, scope))
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _number(_eval(node.left, scope)), _number(_eval(node.right, scope))
        if right == 0 and isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod):
            raise _Unsupported("division by zero")
        value = _OPS[type(node.op)](left, right)
        if isinstance(node.op, ast.Div) and getattr(node, "ceil", False):
            value = math.ceil(value)
        return value
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        left = _number(_eval(node.left, scope))
        return _COMPARE[type(node.ops[0])](left, _number(_eval(node.comparators[0], scope)))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        values = [_eval(a, scope) for a in node.args]
        if node.func.id == "len" and len(values) == 1 and isinstance(values[0], Seq):
            return _length(values[0])
        if node.func.id in ("min", "max") and values:
            numbers = [_number(v) for v in values]
            return min(numbers) if node.func.id == "min" else max(numbers)
        raise _Unsupported(node.func.id)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        seq = _eval(node.value, scope)
        if not isinstance(seq, Seq) or node.slice.step is not None:
            raise _Unsupported("subscript")
        lower = None if node.slice.lower is None else int(_number(_eval(node.slice.lower, scope)))
        upper = None if node.slice.upper is None else int(_number(_eval(node.slice.upper, scope)))
        kept = range(seq.start, seq.start + _length(seq))[lower:upper]
        return Seq(seq.name, seq.length, kept.start, kept.stop)
    raise _Unsupported(type(node).__name__)


def _length(seq: Seq) -> int:
    stop = seq.start + seq.length if seq.stop is None else seq.stop
    return max(0, stop - seq.start) if seq.stop is not None else seq.length


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Unsupported("not a number")
    return value
