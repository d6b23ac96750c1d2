"""`trace_function`: what a function does with the values the project really gives it, when every
call it makes to a function it was passed fails (a server that stays down).

The values come from the project: the function's call site, where each argument is a literal or
a setting read from a configuration file (`s.getint("retries")`, `cfg["sync"]["base_delay"]`,
`os.environ.get("X", "3")`), looked up by its key in the project's INI, TOML, JSON and .env files.
The function's body is then stepped through by a small interpreter that knows arithmetic,
comparisons, `min`/`max`/`abs`/`round`/`int`/`float`/`range`/`len`, loops, `if`, `try`/`except`,
`raise` and `return`, and records each call of a passed-in function (made to fail) and each
`sleep`. Anything else (I/O, other calls, randomness) stops the trace with a plain sentence:
nothing is guessed, and nothing of the person's code is run.
"""

from __future__ import annotations

import ast
import configparser
import json
import operator
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, iter_files, read_text, relative

MAX_STEPS = 10_000
"""Most statements stepped through."""
MAX_EXPONENT = 512
"""Largest power worked out."""
_CONFIG_SUFFIXES = (".ini", ".cfg", ".toml", ".json", ".env")
_GETTERS = {"getint": int, "getfloat": float, "getboolean": bool, "get": str}
_OPS: dict[type, Any] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_CMP: dict[type, Any] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_BUILTINS: dict[str, Any] = {
    "min": min,
    "max": max,
    "abs": abs,
    "round": round,
    "int": int,
    "float": float,
    "range": range,
    "len": len,
}


class TraceStop(Exception):
    """The trace cannot go on; the message says what it met."""


class _Failed(Exception):
    """A passed-in function was called: it fails."""


class _Raised(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


class _Returned(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


@dataclass
class Trace:
    """What one run of the function did."""

    calls: dict[str, int] = field(default_factory=dict)
    """Calls of each passed-in function (each failing)."""
    sleeps: list[float] = field(default_factory=list)
    """Each sleep, in order, in seconds."""
    steps: int = 0
    """Statements stepped through."""


class _Interpreter:
    def __init__(self, callables: set[str], env: dict[str, Any]) -> None:
        self.callables = callables
        self.env = env
        self.trace = Trace()
        self.caught = "error"

    def run(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.step(stmt)

    def step(self, stmt: ast.stmt) -> None:
        self.trace.steps += 1
        if self.trace.steps > MAX_STEPS:
            raise TraceStop(f"stopped after {MAX_STEPS} steps (the loop may not end)")
        if isinstance(stmt, ast.Expr):
            if isinstance(stmt.value, ast.Constant):
                return  # a docstring
            self.value(stmt.value)
        elif isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
            value = self.value(stmt.value)
            for target in stmt.targets:
                self.env[target.id] = value  # type: ignore[attr-defined]
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            op = _OPS.get(type(stmt.op))
            if op is None:
                raise TraceStop(f"line {stmt.lineno}: an operator it cannot follow")
            self.env[stmt.target.id] = op(self.value(stmt.target), self.value(stmt.value))
        elif isinstance(stmt, ast.If):
            self.run(stmt.body if self.value(stmt.test) else stmt.orelse)
        elif isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name):
            for item in self.value(stmt.iter):
                self.env[stmt.target.id] = item
                try:
                    self.run(stmt.body)
                except _Break:
                    break
                except _Continue:
                    continue
            else:
                self.run(stmt.orelse)
        elif isinstance(stmt, ast.While):
            while self.value(stmt.test):
                try:
                    self.run(stmt.body)
                except _Break:
                    break
                except _Continue:
                    continue
        elif isinstance(stmt, ast.Try):
            try:
                self.run(stmt.body)
            except _Failed:
                if not stmt.handlers:
                    raise
                handler = stmt.handlers[0]
                self.caught = ast.unparse(handler.type) if handler.type else "the error"
                self.run(handler.body)
            else:
                self.run(stmt.orelse)
            self.run(stmt.finalbody)
        elif isinstance(stmt, ast.Raise):
            if stmt.exc is None:
                raise _Raised(f"the {self.caught} it caught again")
            node = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            raise _Raised(ast.unparse(node))
        elif isinstance(stmt, ast.Return):
            raise _Returned(self.value(stmt.value) if stmt.value else None)
        elif isinstance(stmt, ast.Break):
            raise _Break
        elif isinstance(stmt, ast.Continue):
            raise _Continue
        elif not isinstance(stmt, ast.Pass):
            raise TraceStop(f"line {stmt.lineno}: {ast.unparse(stmt)[:60]} is not followed")

    def value(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.env:
                return self.env[node.id]
            raise TraceStop(f"line {node.lineno}: the value of {node.id} is not known")
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = self.value(node.left), self.value(node.right)
            # Numbers only, and no power that could take the machine's memory or time.
            if not all(isinstance(v, int | float) for v in (left, right)):
                raise TraceStop(f"line {node.lineno}: arithmetic on something not a number")
            if isinstance(node.op, ast.Pow) and (abs(right) > MAX_EXPONENT or abs(left) > 1e6):
                raise TraceStop(f"line {node.lineno}: a power too large to work out")
            return _OPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -self.value(node.operand)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not self.value(node.operand)
        if isinstance(node, ast.BoolOp):
            values = [self.value(v) for v in node.values]
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.Compare) and all(type(op) in _CMP for op in node.ops):
            left = self.value(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = self.value(right_node)
                if not _CMP[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            return self.value(node.body if self.value(node.test) else node.orelse)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise TraceStop(f"line {node.lineno}: {ast.unparse(node)[:60]} is not followed")

    def call(self, node: ast.Call) -> Any:
        name = ast.unparse(node.func)
        if name in self.callables:
            self.trace.calls[name] = self.trace.calls.get(name, 0) + 1
            raise _Failed
        if name.split(".")[-1] == "sleep" and node.args:
            self.trace.sleeps.append(float(self.value(node.args[0])))
            return None
        if name in _BUILTINS:
            args = [self.value(a) for a in node.args]
            return _BUILTINS[name](*args)
        raise TraceStop(f"line {node.lineno}: the call {name}() is not followed")


def _config_values(root: Path) -> dict[str, tuple[str, str]]:
    """Every key of the project's configuration files -> (value as text, file)."""
    found: dict[str, tuple[str, str]] = {}
    for path in iter_files(root):
        if path.suffix.lower() not in _CONFIG_SUFFIXES and path.name != ".env":
            continue
        try:
            _, text = read_text(root, relative(root, path), max_bytes=200_000)
        except ProjectFileError:
            continue
        name = relative(root, path)
        pairs: list[tuple[str, str]] = []
        try:
            if path.suffix.lower() in (".ini", ".cfg"):
                parser = configparser.ConfigParser(interpolation=None)
                parser.read_string(text)
                pairs = [(k, v) for s in parser.sections() for k, v in parser[s].items()]
            elif path.suffix.lower() == ".toml":
                pairs = list(_flat(tomllib.loads(text)))
            elif path.suffix.lower() == ".json":
                pairs = list(_flat(json.loads(text)))
            else:
                pairs = [
                    (m[1], m[2].strip().strip("\"'"))
                    for m in re.finditer(r"^\s*(\w+)\s*=\s*(.*)$", text, re.M)
                ]
        except (configparser.Error, tomllib.TOMLDecodeError, ValueError):
            continue
        for key, value in pairs:
            found.setdefault(key, (str(value), name))
    return found


def _flat(data: Any) -> Any:
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, dict):
                yield from _flat(value)
            elif isinstance(value, int | float | str | bool):
                yield str(key), value


def _argument(node: ast.expr, config: dict[str, tuple[str, str]]) -> tuple[Any, str] | None:
    """(value, where it came from) of a call-site argument, or None when not known."""
    try:
        return ast.literal_eval(node), "the call"
    except (ValueError, SyntaxError, TypeError):
        pass
    key, cast = "", None  # a bare ["key"] keeps the file's own number type
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if method in _GETTERS:
            key, cast = str(node.args[0].value), _GETTERS[method]  # type: ignore[assignment]
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        key = str(node.slice.value)
    if isinstance(node, ast.Call) and ast.unparse(node.func) in ("int", "float") and node.args:
        inner = _argument(node.args[0], config)
        if inner is not None:
            return (int if ast.unparse(node.func) == "int" else float)(inner[0]), inner[1]
    if not key or key not in config:
        return None
    text, file = config[key]
    try:
        value = cast(text) if cast not in (None, str) else _number(text)
    except ValueError:
        return None
    return value, f"{file} ({key} = {text})"


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _call_site(
    root: Path, name: str, params: list[str], config: dict[str, tuple[str, str]]
) -> tuple[dict[str, tuple[Any, str]], str]:
    """The argument values of the first call of `name` in the project whose values are known."""
    for path in iter_files(root):
        if path.suffix != ".py":
            continue
        try:
            _, source = read_text(root, relative(root, path))
            tree = ast.parse(source)
        except (ProjectFileError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or ast.unparse(node.func).split(".")[-1] != name:
                continue
            values: dict[str, tuple[Any, str]] = {}
            for param, arg in zip(params, node.args, strict=False):
                known = _argument(arg, config)
                if known is not None:
                    values[param] = known
            for keyword in node.keywords:
                known = _argument(keyword.value, config) if keyword.arg else None
                if known is not None and keyword.arg:
                    values[keyword.arg] = known
            if values:
                return values, f"{relative(root, path)}:{node.lineno}"
    return {}, ""


def _shown(value: float) -> str:
    return f"{value:g}"


def trace_function(root: Path, path: str, function: str) -> str:
    """Step `function` of the Python file `path` through with the project's values, every call
    of a passed-in function failing."""
    try:
        real, source = read_text(root, path)
        tree = ast.parse(source)
    except ProjectFileError as err:
        return f"Error: {err}"
    except (SyntaxError, ValueError) as err:
        return f"Error: {path} does not parse: {err}"
    name = relative(root, real)
    node = next(
        (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function), None
    )
    if node is None:
        return f"Error: {name} defines no function {function}"
    params = [a.arg for a in node.args.args]
    with_default = params[len(params) - len(node.args.defaults) :]
    defaults = dict(zip(with_default, node.args.defaults, strict=True))
    config = _config_values(root)
    values, site = _call_site(root, function, params, config)
    env: dict[str, Any] = {}
    origins: list[str] = []
    for param in params:
        if param in values:
            env[param], origin = values[param]
            origins.append(f"{param} = {env[param]!r} from {origin}")
        elif param in defaults:
            try:
                env[param] = ast.literal_eval(defaults[param])
                origins.append(f"{param} = {env[param]!r} (its default)")
            except ValueError:
                pass
    called = {
        ast.unparse(n.func)
        for n in ast.walk(node)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in params
    }
    called = {c for c in called if c not in env}
    if not called:
        return f"{name}: {function} calls no function it is passed; nothing to make fail."
    machine = _Interpreter(called, env)
    lines = [
        f"{function} ({name}:{node.lineno}) with "
        + (", ".join(origins) if origins else "no known values")
        + (f", as called at {site}" if site else "")
    ]
    try:
        machine.run(node.body)
        ending = "it ends without an error (returns None)"
    except _Raised as raised:
        ending = f"it raises {raised.name}"
    except _Returned as returned:
        ending = f"it returns {returned.value!r}"
    except _Failed:
        ending = "the failing call's error then leaves the function"
    except TraceStop as stop:
        return "\n".join([*lines, f"Not traced to the end: {stop}"])
    except (TypeError, ValueError, ZeroDivisionError, OverflowError) as err:
        return "\n".join([*lines, f"Not traced to the end: {err}"])
    trace = machine.trace
    for callee in sorted(called):
        count = trace.calls.get(callee, 0)
        lines.append(f"When every call of {callee} fails: {callee} is called {count} times.")
    if trace.sleeps:
        total = sum(trace.sleeps)
        shown = " + ".join(_shown(s) for s in trace.sleeps)
        lines.append(
            f"It sleeps {len(trace.sleeps)} times: {shown} = {_shown(total)} seconds in total."
        )
    else:
        lines.append("It never sleeps.")
    lines.append(f"After the last failure {ending}.")
    return "\n".join(lines)


class TraceFunctionInput(BaseModel):
    """Arguments of trace_function."""

    path: str = Field(description="The Python file under the project root that defines it.")
    function: str = Field(min_length=1, max_length=200, description="The function's name.")


def trace_tools(root: Path) -> list[BaseTool]:
    """trace_function over the project folder `root`."""
    root = Path(root).resolve()

    def trace_function_tool(path: str, function: str) -> str:
        return trace_function(root, path, function)

    return [
        StructuredTool.from_function(
            func=trace_function_tool,
            name="trace_function",
            description=(
                "Step a retry/backoff-style function through with the values the project gives "
                "it (its call site's literals and settings read from INI/TOML/JSON/.env files), "
                "every call of a function it was passed failing: how many calls, each sleep and "
                "the total wait, and how it ends. Runs none of the person's code."
            ),
            args_schema=TraceFunctionInput,
        )
    ]
