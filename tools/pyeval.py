"""`evaluate_function`: what a small pure Python function of the project returns for a data file,
worked out by reading its syntax tree, never by running or importing the person's code.

The function's first parameter is given the data file's content (JSON as parsed; CSV as a list
of row dicts of strings, as `csv.DictReader` gives them). A small interpreter walks the body:
assignments, `for`/`if`/`while`, comprehensions, arithmetic and comparisons, the builtins that
compute (len, sum, min, max, round, sorted, ...), the methods of lists, dicts, strings and sets,
and the module's own functions. Anything else (imports, I/O, attributes of other objects,
globals it cannot read) stops the work with a plain reason. A step budget bounds any loop. The
answer is the returned value and, for each condition, how often it held and what it left out.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, clip, read_text, relative

MAX_STEPS = 200_000
"""Most nodes evaluated for one answer (a loop that does not end stops here)."""
MAX_SIZE = 100_000
"""Largest collection or text the interpreter builds."""
MAX_DEPTH = 30
"""Deepest call of the module's own functions."""
MAX_SHOWN = 600
"""Longest value quoted."""
_BUILTINS: dict[str, Any] = {
    f.__name__: f
    for f in (len, sum, min, max, round, sorted, abs, int, float, str, list, dict, set, tuple)
    + (enumerate, zip, range, any, all, bool, reversed)
}
_METHODS = {
    list: {"append", "extend", "insert", "pop", "index", "count", "sort", "copy", "remove"},
    dict: {"get", "setdefault", "items", "keys", "values", "update", "pop", "copy"},
    str: {"lower", "upper", "strip", "lstrip", "rstrip", "split", "startswith", "endswith"}
    | {"replace", "count", "join", "title", "isdigit", "find", "casefold"},
    set: {"add", "update", "discard", "union", "intersection", "copy"},
    tuple: {"index", "count"},
}
"""The methods called on the interpreter's values (all pure or changing only that value);
str.format is left out: its fields can reach attributes."""
_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}


class Unsupported(Exception):
    """Something the interpreter does not work out; the message says what."""


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


@dataclass
class _Tally:
    """How often one condition held."""

    line: int
    code: str
    held: int = 0
    failed: int = 0
    left_out: list[str] = field(default_factory=list)


class Interpreter:
    """Walks one module's functions over plain data."""

    def __init__(self, tree: ast.Module, lines: list[str]) -> None:
        self.functions = {
            n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        self.constants: dict[str, Any] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    try:
                        self.constants[target.id] = ast.literal_eval(node.value)
                    except (ValueError, SyntaxError, TypeError, RecursionError):
                        continue
        self.lines = lines
        self.steps = 0
        self.depth = 0
        self.tallies: dict[int, _Tally] = {}

    def call(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        node = self.functions[name]
        if self.depth >= MAX_DEPTH:
            raise Unsupported("the functions call each other too deeply")
        scope: dict[str, Any] = {}
        params = node.args
        positional = [*params.posonlyargs, *params.args]
        defaults = dict(
            zip([a.arg for a in positional][-len(params.defaults) :], params.defaults, strict=False)
        )
        for at, param in enumerate(positional):
            if at < len(args):
                scope[param.arg] = args[at]
            elif param.arg in kwargs:
                scope[param.arg] = kwargs[param.arg]
            elif param.arg in defaults:
                scope[param.arg] = self.value(defaults[param.arg], {})
            else:
                raise Unsupported(f"{name}() is missing its argument {param.arg}")
        for param, default in zip(params.kwonlyargs, params.kw_defaults, strict=False):
            if param.arg in kwargs:
                scope[param.arg] = kwargs[param.arg]
            elif default is not None:
                scope[param.arg] = self.value(default, {})
        self.depth += 1
        try:
            self.block(node.body, scope)
        except _Return as done:
            return done.value
        finally:
            self.depth -= 1
        return None

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Unsupported(f"it runs more than {MAX_STEPS:,} steps (a loop that may not end)")

    def block(self, body: list[ast.stmt], scope: dict[str, Any]) -> None:
        for statement in body:
            self.statement(statement, scope)

    def tally(self, node: ast.expr, held: bool, item: Any = None) -> None:
        code = clip(ast.unparse(node))
        tally = self.tallies.setdefault(node.lineno, _Tally(node.lineno, code))
        if held:
            tally.held += 1
        else:
            tally.failed += 1
            if item is not None and len(tally.left_out) < 4:
                tally.left_out.append(clip(repr(item), 80))

    def statement(self, node: ast.stmt, scope: dict[str, Any]) -> None:
        self.tick()
        if isinstance(node, ast.Return):
            raise _Return(self.value(node.value, scope) if node.value else None)
        if isinstance(node, ast.Assign):
            value = self.value(node.value, scope)
            for target in node.targets:
                self.assign(target, value, scope)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self.assign(node.target, self.value(node.value, scope), scope)
        elif isinstance(node, ast.AugAssign):
            op = _BINARY.get(type(node.op))
            if op is None:
                raise Unsupported(f"line {node.lineno}: the operator {ast.unparse(node)}")
            current = self.value(_load(node.target), scope)
            self.assign(node.target, self.sized(op(current, self.value(node.value, scope))), scope)
        elif isinstance(node, ast.Expr):
            self.value(node.value, scope)
        elif isinstance(node, ast.If):
            held = bool(self.value(node.test, scope))
            self.tally(node.test, held, _loop_item(scope))
            self.block(node.body if held else node.orelse, scope)
        elif isinstance(node, ast.For):
            for item in list(self.value(node.iter, scope)):
                self.tick()
                self.assign(node.target, item, scope)
                scope["__item__"] = item
                try:
                    self.block(node.body, scope)
                except _Continue:
                    continue
                except _Break:
                    break
            else:
                self.block(node.orelse, scope)
        elif isinstance(node, ast.While):
            while self.value(node.test, scope):
                self.tick()
                try:
                    self.block(node.body, scope)
                except _Continue:
                    continue
                except _Break:
                    break
        elif isinstance(node, ast.Break):
            raise _Break
        elif isinstance(node, ast.Continue):
            raise _Continue
        elif isinstance(node, ast.Pass):
            return
        else:
            kind = type(node).__name__.lower()
            raise Unsupported(f"line {node.lineno}: the {kind} statement is not worked out")

    def assign(self, target: ast.expr, value: Any, scope: dict[str, Any]) -> None:
        if isinstance(target, ast.Name):
            scope[target.id] = value
        elif isinstance(target, ast.Tuple | ast.List):
            items = list(value)
            if len(items) != len(target.elts):
                raise Unsupported(f"line {target.lineno}: unpacking {len(items)} values")
            for part, item in zip(target.elts, items, strict=False):
                self.assign(part, item, scope)
        elif isinstance(target, ast.Subscript):
            holder = self.value(target.value, scope)
            if not isinstance(holder, list | dict):
                raise Unsupported(f"line {target.lineno}: assigning into {type(holder).__name__}")
            holder[self.value(target.slice, scope)] = value
        else:
            raise Unsupported(f"line {target.lineno}: assigning to {ast.unparse(target)}")

    def sized(self, value: Any) -> Any:
        if isinstance(value, str | list | dict | set | tuple) and len(value) > MAX_SIZE:
            raise Unsupported("a value grows beyond the size this tool works out")
        return value

    def value(self, node: ast.expr, scope: dict[str, Any]) -> Any:  # noqa: C901, PLR0911, PLR0912
        self.tick()
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in scope:
                return scope[node.id]
            if node.id in self.constants:
                return self.constants[node.id]
            if node.id in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.id]
            raise Unsupported(f"line {node.lineno}: the name {node.id} is not known here")
        if isinstance(node, ast.BinOp):
            left, right = self.value(node.left, scope), self.value(node.right, scope)
            if isinstance(node.op, ast.Pow):
                if abs(right) > 64:
                    raise Unsupported(f"line {node.lineno}: a power too large")
                return left**right
            op = _BINARY.get(type(node.op))
            if op is None:
                raise Unsupported(f"line {node.lineno}: the operator in {ast.unparse(node)}")
            if isinstance(node.op, ast.Mult) and isinstance(left, str | list):
                self.sized(left * min(int(right), MAX_SIZE + 1) if isinstance(right, int) else [])
            try:
                return self.sized(op(left, right))
            except (ZeroDivisionError, TypeError) as err:
                raise Unsupported(f"line {node.lineno}: {ast.unparse(node)} raises {err}") from None
        if isinstance(node, ast.UnaryOp):
            operand = self.value(node.operand, scope)
            if isinstance(node.op, ast.Not):
                return not operand
            if isinstance(node.op, ast.USub):
                return -operand
            return operand
        if isinstance(node, ast.BoolOp):
            result: Any = None
            for part in node.values:
                result = self.value(part, scope)
                if isinstance(node.op, ast.And) and not result:
                    return result
                if isinstance(node.op, ast.Or) and result:
                    return result
            return result
        if isinstance(node, ast.Compare):
            left = self.value(node.left, scope)
            for op, right_node in zip(node.ops, node.comparators, strict=False):
                right = self.value(right_node, scope)
                try:
                    if not _COMPARE[type(op)](left, right):
                        return False
                except TypeError as err:
                    raise Unsupported(f"line {node.lineno}: {err}") from None
                left = right
            return True
        if isinstance(node, ast.IfExp):
            test = self.value(node.test, scope)
            return self.value(node.body if test else node.orelse, scope)
        if isinstance(node, ast.Subscript):
            holder = self.value(node.value, scope)
            if isinstance(node.slice, ast.Slice):
                parts = [
                    self.value(p, scope) if p is not None else None
                    for p in (node.slice.lower, node.slice.upper, node.slice.step)
                ]
                return holder[slice(*parts)]
            key = self.value(node.slice, scope)
            try:
                return holder[key]
            except (KeyError, IndexError, TypeError) as err:
                raise Unsupported(
                    f"line {node.lineno}: {ast.unparse(node)} raises {type(err).__name__}: {err}"
                ) from None
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = [self.value(e, scope) for e in node.elts]
            kind = {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)]
            return kind(items)
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                raise Unsupported(f"line {node.lineno}: a ** inside a dict display")
            return {
                self.value(k, scope): self.value(v, scope)  # type: ignore[arg-type]
                for k, v in zip(node.keys, node.values, strict=False)
            }
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            return self.comprehension(node, scope)
        if isinstance(node, ast.JoinedStr):
            return "".join(
                str(self.value(v.value, scope)) if isinstance(v, ast.FormattedValue) else v.value
                for v in node.values  # type: ignore[union-attr]
            )
        if isinstance(node, ast.Call):
            return self.called(node, scope)
        if isinstance(node, ast.Lambda):
            raise Unsupported(f"line {node.lineno}: a lambda is not worked out")
        raise Unsupported(f"line {node.lineno}: {clip(ast.unparse(node), 60)} is not worked out")

    def comprehension(self, node: Any, scope: dict[str, Any]) -> Any:
        out: list[Any] = []
        inner = dict(scope)

        def walk(level: int) -> None:
            if level == len(node.generators):
                if isinstance(node, ast.DictComp):
                    out.append((self.value(node.key, inner), self.value(node.value, inner)))
                else:
                    out.append(self.value(node.elt, inner))
                self.sized(out)
                return
            generator = node.generators[level]
            for item in list(self.value(generator.iter, inner)):
                self.tick()
                self.assign(generator.target, item, inner)
                kept = True
                for condition in generator.ifs:
                    held = bool(self.value(condition, inner))
                    self.tally(condition, held, item)
                    if not held:
                        kept = False
                        break
                if kept:
                    walk(level + 1)

        walk(0)
        if isinstance(node, ast.DictComp):
            return dict(out)
        return set(out) if isinstance(node, ast.SetComp) else out

    def called(self, node: ast.Call, scope: dict[str, Any]) -> Any:
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                args.extend(self.value(arg.value, scope))
            else:
                args.append(self.value(arg, scope))
        kwargs = {k.arg: self.value(k.value, scope) for k in node.keywords if k.arg}
        if any(k.arg is None for k in node.keywords):
            raise Unsupported(f"line {node.lineno}: a call passing **kwargs")
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in self.functions:
                return self.call(func.id, args, kwargs)
            if func.id in _BUILTINS:
                if "key" in kwargs:
                    raise Unsupported(f"line {node.lineno}: a key function is not worked out")
                if func.id == "range" and args and max(abs(a) for a in args) > MAX_SIZE:
                    raise Unsupported(f"line {node.lineno}: a range beyond {MAX_SIZE:,}")
                result = _BUILTINS[func.id](*args, **kwargs)
                return self.sized(list(result) if func.id in ("reversed",) else result)
            raise Unsupported(f"line {node.lineno}: {func.id}() is not worked out")
        if isinstance(func, ast.Attribute):
            holder = self.value(func.value, scope)
            allowed = _METHODS.get(type(holder), set())
            if func.attr not in allowed:
                raise Unsupported(
                    f"line {node.lineno}: .{func.attr}() of a {type(holder).__name__} is not "
                    "worked out"
                )
            result = getattr(holder, func.attr)(*args, **kwargs)
            self.sized(holder)  # append/extend/update grow the value in place
            return self.sized(result)
        raise Unsupported(f"line {node.lineno}: {clip(ast.unparse(func), 60)}() is not worked out")


def _load(target: ast.expr) -> ast.expr:
    copied = ast.parse(ast.unparse(target), mode="eval").body
    return ast.copy_location(copied, target)


def _loop_item(scope: dict[str, Any]) -> Any:
    return scope.get("__item__")


def _data(text: str, name: str) -> Any:
    if name.lower().endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise Unsupported(f"{name} is not valid JSON: {err.msg} at line {err.lineno}") from None
    if name.lower().endswith((".csv", ".tsv")):
        dialect = "excel-tab" if name.lower().endswith(".tsv") else "excel"
        return list(csv.DictReader(io.StringIO(text), dialect=dialect))
    raise Unsupported(f"{name} is not a JSON or CSV data file")


def evaluate_function(root: Path, path: str, function: str, data_path: str) -> str:
    """What `function` of the Python file `path` returns when given the data of `data_path`."""
    try:
        real, code = read_text(root, path)
        data_real, data_text = read_text(root, data_path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name, data_name = relative(root, real), relative(root, data_real)
    try:
        tree = ast.parse(code)
    except SyntaxError as err:
        return f"Error: {name} does not parse: {err.msg} (line {err.lineno})"
    machine = Interpreter(tree, code.splitlines())
    if function not in machine.functions:
        return f"Error: {name} defines no function {function!r}"
    try:
        data = _data(data_text, data_name)
        result = machine.call(function, [data], {})
    except Unsupported as err:
        return f"Not worked out: {function}() on {data_name}: {err}"
    except RecursionError:
        return f"Not worked out: {function}() on {data_name}: it nests too deeply"
    except (_Return, _Break, _Continue):
        return f"Not worked out: {function}() on {data_name}: a return or break outside its place"
    except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as err:
        # What the person's code would raise on this data, said as the answer.
        return f"{function}() of {name} given {data_name} raises {type(err).__name__}: {err}"
    defined = machine.functions[function].lineno
    size = f"{len(data)} items" if isinstance(data, list | dict) else type(data).__name__
    out = [
        f"{function}() of {name} (line {defined}) given {data_name} ({size}) returns:",
        f"  {clip(repr(result), MAX_SHOWN)}",
    ]
    for tally in sorted(machine.tallies.values(), key=lambda t: t.line):
        said = f"{name}:{tally.line}: {tally.code}: true {tally.held}, false {tally.failed} times"
        if tally.left_out:
            said += f"; false for {', '.join(tally.left_out)}"
        out.append(said)
    return "\n".join(out)


class EvaluateFunctionInput(BaseModel):
    """Arguments of evaluate_function."""

    path: str = Field(description="The Python file under the project root that defines it.")
    function: str = Field(min_length=1, max_length=100, description="The function's name.")
    data_path: str = Field(description="A JSON or CSV file given as its first argument.")


def pyeval_tools(root: Path) -> list[BaseTool]:
    """evaluate_function over the project folder `root`."""
    root = Path(root).resolve()

    def evaluate_function_tool(path: str, function: str, data_path: str) -> str:
        return evaluate_function(root, path, function, data_path)

    return [
        StructuredTool.from_function(
            func=evaluate_function_tool,
            name="evaluate_function",
            description=(
                "Work out what a small pure function of the person's Python file returns when "
                "given a JSON or CSV data file as its first argument, by reading its syntax "
                "tree (never running it): the value, and how often each condition held."
            ),
            args_schema=EvaluateFunctionInput,
        )
    ]
