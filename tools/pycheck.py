"""`check_python`: bugs a linter does not see in a Python file, found from its syntax tree.

ruff checks names and style; two mistakes that pass it and fail at run time are common in the
small scripts people ask to have reviewed: arithmetic on values read from a CSV file (csv.reader
and csv.DictReader give every value as a string, so `total += row["amount"]` raises TypeError),
and a function that returns a value on some paths and falls off its end on others (returning
None) whose result a caller uses (`.attr`, `[...]`, unpacking: AttributeError or TypeError).
Nothing is run: the file is parsed, never imported.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.patchreview import code_findings
from tools.project import ProjectFileError, clip, read_text, relative

MAX_PY_BYTES = 1_000_000
"""Largest file parsed."""
MAX_FINDINGS = 30
"""Findings listed."""
CSV_READERS = frozenset({"reader", "DictReader"})
"""csv's row readers: each value they give is a str."""
_NUMERIC_OPS = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.Mult)
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_ROW_NAMES = frozenset({"rows", "records", "lines", "data", "entries", "items", "reader", "table"})


@dataclass
class Finding:
    """One bug: its line and the explanation."""

    line: int
    """1-based line."""
    message: str
    """What fails, why, and the fix."""


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


@dataclass
class CsvFlow:
    """What in a module holds CSV rows or their (string) values."""

    csv_names: set[str] = field(default_factory=set)
    """Names that mean csv.reader / csv.DictReader here (from-imports)."""
    producers: dict[str, str] = field(default_factory=dict)
    """Function name -> how it reads rows ('csv.DictReader'), for functions that return rows."""


def _reader_call(node: ast.AST, flow: CsvFlow) -> str | None:
    """'csv.DictReader' when `node` is a call of a csv row reader (possibly inside list())."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in CSV_READERS:
            if isinstance(func.value, ast.Name) and func.value.id == "csv":
                return f"csv.{func.attr}"
        if isinstance(func, ast.Name) and func.id in flow.csv_names:
            return f"csv.{func.id}"
        if isinstance(func, ast.Name) and func.id in ("list", "sorted", "tuple") and node.args:
            return _reader_call(node.args[0], flow)
        if isinstance(func, ast.Name) and func.id in flow.producers:
            return flow.producers[func.id]
    return None


def _module_flow(tree: ast.Module) -> CsvFlow:
    flow = CsvFlow()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "csv":
            flow.csv_names |= {a.asname or a.name for a in node.names if a.name in CSV_READERS}
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for _ in range(3):  # a producer may return another producer's rows
        for function in functions:
            held = _collections(function, flow, {})
            for node in _own_nodes(function):
                if isinstance(node, ast.Return) and node.value is not None:
                    how = _reader_call(node.value, flow) or _held(node.value, held)
                    if how:
                        flow.producers[function.name] = how
    return flow


def _held(node: ast.AST, held: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name):
        return held.get(node.id)
    if isinstance(node, ast.ListComp | ast.GeneratorExp) and node.generators:
        return _held(node.generators[0].iter, held)
    if isinstance(node, ast.IfExp):
        return _held(node.body, held) or _held(node.orelse, held)
    return None


def _collections(function: ast.AST, flow: CsvFlow, params: dict[str, str]) -> dict[str, str]:
    """Local names that hold CSV rows -> how they were read."""
    held = dict(params)
    for node in _own_nodes(function):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            how = _reader_call(node.value, flow) or _held(node.value, held)
            for target in targets:
                if isinstance(target, ast.Name) and how:
                    held[target.id] = how
        if isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
            how = _reader_call(node.context_expr, flow)
            if how:
                held[node.optional_vars.id] = how
    return held


def _row_names(function: ast.AST, held: dict[str, str], flow: CsvFlow) -> dict[str, str]:
    """Loop variables that are single CSV rows -> how they were read."""
    rows: dict[str, str] = {}
    loops: list[tuple[ast.AST, ast.AST]] = []
    for node in _own_nodes(function):
        if isinstance(node, ast.For | ast.AsyncFor):
            loops.append((node.target, node.iter))
        elif isinstance(node, ast.comprehension):
            loops.append((node.target, node.iter))
    for target, source in loops:
        how = _reader_call(source, flow) or _held(source, held)
        if how and isinstance(target, ast.Name):
            rows[target.id] = how
    return rows


def _probable_params(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Parameters iterated over whose items are indexed: rows, when the module reads CSV."""
    params = {a.arg for a in function.args.args + function.args.kwonlyargs}
    return {p for p in params if p.lower() in _ROW_NAMES or p.lower().endswith("_rows")}


def _string_values(function: ast.AST, rows: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Names bound to a row's value (`amount = row["amount"]`) -> (expression, how read)."""
    values: dict[str, tuple[str, str]] = {}
    for node in _own_nodes(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if isinstance(target, ast.Name) and _row_value(value, rows, {}):
                values[target.id] = (ast.unparse(value), _row_value(value, rows, {}) or "")
    return values


def _row_value(node: ast.AST, rows: dict[str, str], values: dict[str, tuple[str, str]]) -> str:
    """How `node` was read, when it is a raw (string) value of a CSV row; else ''."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        if node.value.id in rows and not isinstance(node.slice, ast.Slice):
            return rows[node.value.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "get" and isinstance(node.func.value, ast.Name):
            return rows.get(node.func.value.id, "")
    if isinstance(node, ast.Name) and node.id in values:
        return values[node.id][1]
    return ""


def _numeric_names(function: ast.AST) -> set[str]:
    """Names this function sets to a number (`total = 0`)."""
    return {
        target.id
        for node in _own_nodes(function)
        if isinstance(node, ast.Assign) and _is_number(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _csv_findings(tree: ast.Module) -> Iterator[Finding]:
    flow = _module_flow(tree)
    reads_csv = bool(flow.producers) or any(
        _reader_call(n, flow) for n in ast.walk(tree) if isinstance(n, ast.Call)
    )
    if not reads_csv:
        return
    producer = next(iter(sorted(flow.producers)), "")
    for function in _scopes(tree):
        params: dict[str, str] = {}
        if not isinstance(function, ast.Module):
            for name in sorted(_probable_params(function)):
                how = flow.producers.get(producer, "csv.reader")
                params[name] = f"{how}@{name}@{producer}"
        held = _collections(function, flow, params)
        rows = _row_names(function, held, flow)
        if not rows:
            continue
        values = _string_values(function, rows)
        numbers = _numeric_names(function)
        for node in _own_nodes(function):
            yield from _arithmetic(node, rows, values, numbers)


def _explain(line: int, value: ast.AST, whole: ast.AST, how: str, error: str) -> Finding:
    shown = ast.unparse(value)
    reader, _, condition = how.partition("@")
    held, _, producer = condition.partition("@")
    origin = f"`{producer}()`" if producer else reader
    when = f"when `{held}` holds the rows {origin} reads, " if held else ""
    code = re.sub(r"^(\w+)\(\((.*)\)\)$", r"\1(\2)", ast.unparse(whole))  # sum((x for ..))
    return Finding(
        line,
        f"`{clip(code, 70)}`: {when}{shown} is a str ({reader} gives every "
        f"value as text), so this {error}; convert it first: float({shown}) (or int(), or "
        f"Decimal() for money)",
    )


def _arithmetic(
    node: ast.AST, rows: dict[str, str], values: dict[str, tuple[str, str]], numbers: set[str]
) -> Iterator[Finding]:
    if isinstance(node, ast.AugAssign):
        how = _row_value(node.value, rows, values)
        numeric_target = isinstance(node.target, ast.Name) and node.target.id in numbers
        if how and (numeric_target or isinstance(node.op, _NUMERIC_OPS)):
            yield _explain(node.lineno, node.value, node, how, "raises TypeError (number + str)")
    elif isinstance(node, ast.BinOp):
        for value, other in ((node.left, node.right), (node.right, node.left)):
            how = _row_value(value, rows, values)
            if not how:
                continue
            numeric_other = _is_number(other) or (
                isinstance(other, ast.Name) and other.id in numbers
            )
            if isinstance(node.op, ast.Add) and numeric_other:
                yield _explain(node.lineno, value, node, how, "raises TypeError (str + number)")
            elif isinstance(node.op, ast.Sub | ast.Div | ast.FloorDiv | ast.Pow):
                yield _explain(node.lineno, value, node, how, "raises TypeError")
            break
    elif isinstance(node, ast.Compare):
        sides = [node.left, *node.comparators]
        numeric = [_is_number(v) or (isinstance(v, ast.Name) and v.id in numbers) for v in sides]
        if any(isinstance(op, _ORDERING) for op in node.ops) and any(numeric):
            for value in sides:
                how = _row_value(value, rows, values)
                if how:
                    yield _explain(
                        node.lineno, value, node, how, "raises TypeError (str compared to number)"
                    )
                    break
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "sum"
        and node.args
        and isinstance(node.args[0], ast.GeneratorExp | ast.ListComp)
    ):
        inner = node.args[0]
        local = dict(rows)
        for generator in inner.generators:
            if isinstance(generator.target, ast.Name) and generator.target.id in rows:
                local[generator.target.id] = rows[generator.target.id]
        how = _row_value(inner.elt, local, values)
        if how:
            yield _explain(node.lineno, inner.elt, node, how, "raises TypeError (0 + str)")


def _terminates(body: list[ast.stmt]) -> bool:
    """Whether running `body` always ends in return/raise (never falls through)."""
    for statement in body:
        if isinstance(statement, ast.Return | ast.Raise):
            return True
        if isinstance(statement, ast.If) and _terminates(statement.body):
            if statement.orelse and _terminates(statement.orelse):
                return True
        if isinstance(statement, ast.While) and _is_true(statement.test):
            if not any(isinstance(n, ast.Break) for n in ast.walk(statement)):
                return True
        if isinstance(statement, ast.With | ast.AsyncWith) and _terminates(statement.body):
            return True
        if isinstance(statement, ast.Try):
            if statement.finalbody and _terminates(statement.finalbody):
                return True
            handled = all(_terminates(h.body) for h in statement.handlers)
            if _terminates(statement.body + statement.orelse) and handled:
                return True
        if isinstance(statement, ast.Match) and statement.cases:
            if all(_terminates(c.body) for c in statement.cases) and _has_wildcard(statement):
                return True
        if isinstance(statement, ast.Expr) and _exits(statement.value):
            return True
    return False


def _is_true(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and bool(node.value)


def _has_wildcard(match: ast.Match) -> bool:
    last = match.cases[-1].pattern
    return isinstance(last, ast.MatchAs) and last.pattern is None


def _exits(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in ("exit", "_exit", "abort")


def _returns_value(function: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.Return | None:
    for node in _own_nodes(function):
        if isinstance(node, ast.Return) and node.value is not None:
            if not (isinstance(node.value, ast.Constant) and node.value.value is None):
                return node
    return None


def _partial_functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Functions that return a value on some paths and None (falling off the end) on others."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if any(isinstance(n, ast.Yield | ast.YieldFrom) for n in _own_nodes(node)):
                continue
            if _returns_value(node) is not None and not _terminates(node.body):
                found[node.name] = node
    return found


def _called_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            if node.func.value.id in ("self", "cls"):
                return node.func.attr
    return None


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's (or the module's) own body, nested functions left out."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    stack = [n for n in getattr(scope, "body", []) if not isinstance(n, nested)]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, nested):
                stack.append(child)


def _scopes(tree: ast.Module) -> Iterator[ast.AST]:
    yield tree
    yield from (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))


def _none_findings(tree: ast.Module) -> Iterator[Finding]:
    partial = _partial_functions(tree)
    if not partial:
        return
    for scope in _scopes(tree):
        bound: dict[str, tuple[str, int]] = {}
        nodes = sorted(_own_nodes(scope), key=lambda n: getattr(n, "lineno", 0))
        for node in nodes:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                name = _called_name(node.value)
                target = node.targets[0]
                if name in partial and isinstance(target, ast.Name):
                    bound[target.id] = (name, node.lineno)
                elif name in partial and isinstance(target, ast.Tuple):
                    yield _none_use(partial[name], node.lineno, ast.unparse(node), "TypeError")
        for node in nodes:
            if isinstance(node, ast.Attribute | ast.Subscript):
                name = _called_name(node.value)
                via = None
                if name is None and isinstance(node.value, ast.Name):
                    name, via = bound.get(node.value.id, (None, None))
                if name in partial and isinstance(node.ctx, ast.Load):
                    error = "AttributeError" if isinstance(node, ast.Attribute) else "TypeError"
                    yield _none_use(partial[name], node.lineno, ast.unparse(node), error, via)
            elif isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Mod):
                for side in (node.left, node.right):
                    name = _called_name(side)
                    via = None
                    if name is None and isinstance(side, ast.Name):
                        name, via = bound.get(side.id, (None, None))
                    if name in partial:
                        yield _none_use(
                            partial[name], node.lineno, ast.unparse(node), "TypeError", via
                        )
                        break


_MUTATORS = frozenset(
    {"append", "extend", "insert", "add", "update", "setdefault", "pop", "remove"}
)


def _stored_into(node: ast.AST, mutable: dict[str, int]) -> str:
    """The mutable default a statement changes in place by item assignment, deletion or an
    augmented assignment ('' when it changes none)."""
    if isinstance(node, ast.Assign | ast.Delete):
        targets = node.targets
    elif isinstance(node, ast.AugAssign):
        if isinstance(node.target, ast.Name) and node.target.id in mutable:
            return node.target.id
        targets = [node.target]
    else:
        return ""
    for target in targets:
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            if target.value.id in mutable:
                return target.value.id
    return ""


def _default_findings(tree: ast.Module) -> Iterator[Finding]:
    """A mutable default (`regions=[]`) the function itself changes: it grows across calls."""
    for function in (n for n in _scopes(tree) if not isinstance(n, ast.Module)):
        args = function.args
        positional = args.posonlyargs + args.args
        defaulted = positional[len(positional) - len(args.defaults) :]
        pairs = list(zip(defaulted, args.defaults, strict=True))
        keywords = zip(args.kwonlyargs, args.kw_defaults, strict=True)
        pairs += [(a, d) for a, d in keywords if d is not None]
        mutable = {
            a.arg: d.lineno
            for a, d in pairs
            if isinstance(d, ast.List | ast.Dict | ast.Set)
            or (isinstance(d, ast.Call) and getattr(d.func, "id", "") in ("list", "dict", "set"))
        }
        for node in sorted(_own_nodes(function), key=lambda n: getattr(n, "lineno", 0)):
            stored = _stored_into(node, mutable)
            if stored:  # `log[item] = ...`, `seen += [x]`: changed in place all the same
                yield Finding(
                    node.lineno,
                    f"`{clip(ast.unparse(node), 60)}` changes the default `{stored}` (line "
                    f"{mutable[stored]}) in place: it is one object created once and shared by "
                    f"every call that leaves out `{stored}`, so it keeps what earlier calls put "
                    f"in; use `{stored}=None` and create a new one inside the function",
                )
                continue
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            if not (isinstance(owner, ast.Name) and owner.id in mutable):
                continue
            if node.func.attr not in _MUTATORS:
                continue
            added = ", ".join(ast.unparse(a) for a in node.args) or "it"
            yield Finding(
                node.lineno,
                f"`{clip(ast.unparse(node), 60)}` adds {added} again on every call that leaves "
                f"out `{owner.id}`: the default `{owner.id}` (line {mutable[owner.id]}) is one "
                f"object created once and shared by every call, so it accumulates; use "
                f"`{owner.id}=None` and create a new one inside the function",
            )


def _none_use(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    line: int,
    use: str,
    error: str,
    bound_at: int | None = None,
) -> Finding:
    end = function.body[-1].end_lineno or function.body[-1].lineno
    returned = _returns_value(function)
    where = f" (assigned on line {bound_at})" if bound_at else ""
    return Finding(
        line,
        f"`{clip(use, 60)}` uses the result of `{function.name}()`{where}, which returns a value "
        f"on line {returned.lineno if returned else function.lineno} but falls off its end after "
        f"line {end} on other paths and returns None there: this then raises {error} "
        f"('NoneType' object ...); return a value on every path, or check for None here",
    )


_CHANGERS = frozenset({"append", "extend", "insert", "remove", "pop", "clear"})
"""List methods that change its length: unsafe on the list a loop walks."""


def _loop_findings(tree: ast.Module) -> Iterator[Finding]:
    """A list changed while a loop walks it; an index that runs one past the end."""
    for scope in _scopes(tree):
        for loop in _own_nodes(scope):
            if not isinstance(loop, ast.For):
                continue
            inner = [n for s in loop.body for n in ast.walk(s)]
            if isinstance(loop.iter, ast.Name):
                walked = loop.iter.id
                for node in inner:
                    changed = (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name)
                        and node.func.value.id == walked
                        and node.func.attr in _CHANGERS
                    ) or (
                        isinstance(node, ast.Delete)
                        and any(
                            isinstance(t, ast.Subscript)
                            and isinstance(t.value, ast.Name)
                            and t.value.id == walked
                            for t in node.targets
                        )
                    )
                    if changed:
                        yield Finding(
                            node.lineno,
                            f"`{clip(ast.unparse(node), 60)}` changes `{walked}` while the loop "
                            f"on line {loop.lineno} walks over it: items are skipped (or the "
                            f"loop never ends); loop over a copy (list({walked})) or build a new "
                            "list",
                        )
                        break
            yield from _past_the_end(loop, inner)


def _defaults(scope: ast.AST) -> dict[str, str]:
    """A function's parameters with a literal default: name -> the default as written."""
    if not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
        return {}
    args = scope.args.args[-len(scope.args.defaults) :] if scope.args.defaults else []
    pairs = zip(args, scope.args.defaults, strict=True)
    return {a.arg: ast.unparse(d) for a, d in pairs if isinstance(d, ast.Constant)}


def _count_findings(tree: ast.Module) -> Iterator[Finding]:
    """A count made by floor division that a range() then walks (the remainder, a last partial
    page or batch, is dropped), and a range from 1 that stops one short of its count."""
    for scope in _scopes(tree):
        nodes = list(_own_nodes(scope))
        floors = {
            node.targets[0].id: node
            for node in nodes
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.BinOp)
            and isinstance(node.value.op, ast.FloorDiv)
        }
        defaults = _defaults(scope)
        for loop in nodes:
            call = loop.iter if isinstance(loop, ast.For) else None
            if not (
                isinstance(call, ast.Call)
                and getattr(call.func, "id", "") == "range"
                and isinstance(loop.target, ast.Name)  # type: ignore[union-attr]
            ):
                continue
            stop = call.args[1] if len(call.args) >= 2 else call.args[0] if call.args else None
            if not isinstance(stop, ast.Name):
                continue
            count = stop.id
            if count in floors:
                made = floors[count]
                total, size = ast.unparse(made.value.left), ast.unparse(made.value.right)  # type: ignore[attr-defined]
                given = f" ({size} defaults to {defaults[size]})" if size in defaults else ""
                yield Finding(
                    made.lineno,
                    f"`{ast.unparse(made)}` rounds down: the remainder ({total} % {size} items, "
                    f"a last partial page or batch) is dropped, so the range on line "
                    f"{loop.lineno} never reaches it{given}; round up: "
                    f"{count} = -(-{total} // {size})",
                )
            start = call.args[0] if len(call.args) >= 2 else None
            index = loop.target.id  # type: ignore[union-attr]
            used_as_index = any(
                isinstance(n, ast.Subscript)
                and isinstance(n.slice, ast.Name)
                and n.slice.id == index
                for s in loop.body  # type: ignore[union-attr]
                for n in ast.walk(s)
            )
            if isinstance(start, ast.Constant) and start.value == 1 and not used_as_index:
                yield Finding(
                    loop.lineno,
                    f"`{ast.unparse(call)}` counts from 1 but stops before {count}: it runs "
                    f"{count} - 1 times, so the last one ({index} = {count}) is never done (off "
                    f"by one); use range(1, {count} + 1)",
                )


def _past_the_end(loop: ast.For, inner: list[ast.AST]) -> Iterator[Finding]:
    """`for i in range(len(xs) + 1)` (or range(1, len(xs) + 1)) with xs[i] in the body."""
    call = loop.iter
    if not (
        isinstance(call, ast.Call)
        and getattr(call.func, "id", "") == "range"
        and call.args
        and isinstance(loop.target, ast.Name)
    ):
        return
    stop = call.args[-1] if len(call.args) <= 2 else call.args[1]
    if not (
        isinstance(stop, ast.BinOp)
        and isinstance(stop.op, ast.Add)
        and _is_number(stop.right)
        and isinstance(stop.left, ast.Call)
        and getattr(stop.left.func, "id", "") == "len"
        and stop.left.args
        and isinstance(stop.left.args[0], ast.Name)
    ):
        return
    seq, index = stop.left.args[0].id, loop.target.id
    for node in inner:
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == seq
            and isinstance(node.slice, ast.Name)
            and node.slice.id == index
        ):
            yield Finding(
                node.lineno,
                f"`{ast.unparse(node)}`: `{index}` runs up to len({seq}) (the range on line "
                f"{loop.lineno} ends at len({seq}) + {ast.unparse(stop.right)}), one past the "
                f"last index: IndexError on the last pass; use range(len({seq}))",
            )
            return


_NUMBER_CALLS = frozenset({"len", "sum", "int", "float", "round", "abs", "max", "min", "count"})
"""Calls whose result is a number."""


def _number_names(scope: ast.AST) -> set[str]:
    """Names a scope only ever sets to numbers (`total = 0`, `n = len(xs)`, `total += x`)."""
    numeric: set[str] = set()
    other: set[str] = set()
    for node in _own_nodes(scope):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if not isinstance(target, ast.Name):
                continue
            value = node.value
            is_number = _is_number(value) or (
                isinstance(value, ast.Call) and getattr(value.func, "id", "") in _NUMBER_CALLS
            )
            (numeric if is_number else other).add(target.id)
        elif isinstance(node, ast.For | ast.comprehension | ast.With | ast.AnnAssign):
            targets = ast.walk(getattr(node, "target", node))
            other |= {n.id for n in targets if isinstance(n, ast.Name)}
        elif isinstance(node, ast.arguments):
            other |= {a.arg for a in node.args + node.kwonlyargs}
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
        other |= {a.arg for a in scope.args.args + scope.args.kwonlyargs}
    return numeric - other


def _text_findings(tree: ast.Module) -> Iterator[Finding]:
    """A string joined to a number with + ("Total: " + total): TypeError."""
    for scope in _scopes(tree):
        numbers = _number_names(scope)
        for node in _own_nodes(scope):
            if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
                continue
            for text, other in ((node.left, node.right), (node.right, node.left)):
                is_text = isinstance(text, ast.Constant) and isinstance(text.value, str)
                is_text = is_text or isinstance(text, ast.JoinedStr)
                number = (isinstance(other, ast.Name) and other.id in numbers) or (
                    isinstance(other, ast.Call) and getattr(other.func, "id", "") in _NUMBER_CALLS
                )
                if is_text and number:
                    shown = ast.unparse(other)
                    yield Finding(
                        node.lineno,
                        f"`{clip(ast.unparse(node), 60)}`: {shown} is a number and + does not "
                        f"join a str and a number: TypeError when this runs; write str({shown}) "
                        "or use an f-string",
                    )
                    break


def check_python_source(text: str) -> list[Finding]:
    """Every finding on a module's source, in line order."""
    try:
        tree = ast.parse(text)
    except SyntaxError as err:
        return [Finding(err.lineno or 1, f"the file does not parse: {err.msg}")]
    except ValueError as err:  # a NUL byte
        return [Finding(1, f"the file does not parse: {err}")]
    found = [
        *_csv_findings(tree),
        *_none_findings(tree),
        *_default_findings(tree),
        *_loop_findings(tree),
        *_count_findings(tree),
        *_text_findings(tree),
        *(
            Finding(n, m.split(": ", 1)[1])
            for n, m in code_findings(text, text)
            if "injection" in m
        ),
    ]
    unique = {(f.line, f.message): f for f in found}
    return sorted(unique.values(), key=lambda f: (f.line, f.message))


def check_python(root: Path, path: str) -> str:
    """Findings on a project Python file, one 'path:line: finding' a line."""
    try:
        real, text = read_text(root, path, max_bytes=MAX_PY_BYTES)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    if real.suffix not in (".py", ".pyi"):
        return f"Error: check_python reads Python files (.py); {name} is not one"
    try:
        findings = check_python_source(text)
    except RecursionError:
        return f"Error: {name} is nested too deeply to check"
    if not findings:
        return f"{name}: no findings (CSV values used as numbers, results that may be None)"
    shown = [f"{name}:{f.line}: {f.message}" for f in findings[:MAX_FINDINGS]]
    if len(findings) > MAX_FINDINGS:
        shown.append(f"... and {len(findings) - MAX_FINDINGS} more")
    return "\n".join(shown)


class CheckPythonInput(BaseModel):
    """Arguments of check_python."""

    path: str = Field(min_length=1, description="A .py file.")


def python_check_tools(root: Path) -> list[BaseTool]:
    """check_python over the project folder `root`."""
    root = Path(root).resolve()

    def check_python_tool(path: str) -> str:
        return check_python(root, path)

    return [
        StructuredTool.from_function(
            func=check_python_tool,
            name="check_python",
            description=(
                "Find run-time bugs ruff misses in a Python file (parsed, not run): CSV "
                "strings used as numbers, a maybe-None result used, a default that grows."
            ),
            args_schema=CheckPythonInput,
        )
    ]
