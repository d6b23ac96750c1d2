"""Code queries over the person's Python files, read from their syntax trees (never run):
`find_calls` (the call sites of a function or method, filtered by the keywords they pass),
`find_definitions` (a module's imports, a class's subclasses, the functions taking a parameter)
and `import_cycles` (the project's import graph, its cycles in the order Python runs them).

Text search finds a name; these answer what a reader asks of code: "which `open(` calls leave
out encoding=", "why does importing this module fail half-way". They know the few facts of the
standard library that decide the answer: a binary-mode `open()` takes no encoding, pathlib's
`read_text`/`write_text`/`open` are text I/O too, and a keyword may be passed by position.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import (
    ProjectFileError,
    clip,
    iter_files,
    relative,
    resolve_in_root,
    scan_text,
)

MAX_CALLS_LISTED = 40
"""Call sites one find_calls answer lists per group."""
MAX_PY_FILES = 2_000
"""Python files a query parses."""
_NAME = re.compile(r"^\.?[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")

OPEN_PARAMS = ("file", "mode", "buffering", "encoding", "errors", "newline", "closefd", "opener")
"""The builtin open()'s parameters, in order (io.open is the same function)."""
TEXT_IO_PARAMS: dict[str, tuple[str, ...]] = {
    "open": ("mode", "buffering", "encoding", "errors", "newline"),
    "read_text": ("encoding", "errors"),
    "write_text": ("data", "encoding", "errors", "newline"),
}
"""pathlib.Path's text I/O methods and their parameters after self."""
TEXT_ONLY_KEYWORDS = frozenset({"encoding", "errors", "newline"})
"""open() keywords that apply to text mode only (binary mode refuses them)."""
_NOT_PATH_OPEN = frozenset(
    "os webbrowser tarfile zipfile gzip bz2 lzma shelve dbm wave sunau aifc codecs io".split()
)
"""Modules whose own `open` is not pathlib's Path.open (io.open is the builtin)."""
_SELF_CLOSING = frozenset({"path:read_text", "path:write_text"})
"""Calls that open and close their file within the call."""


@dataclass
class CallSite:
    """One call found in a Python file."""

    path: str
    """The file, relative to the project root."""
    line: int
    """The call's first line."""
    code: str
    """That line's code, stripped."""
    function: str
    """The enclosing function ('Class.method'), or '' at module level."""
    passed: set[str] = field(default_factory=set)
    """Keywords it passes, by name or by position."""
    spread: bool = False
    """It passes **kwargs (the keyword may be inside)."""
    binary: bool | None = False
    """open-style calls: True binary mode, False text mode, None a mode not known."""
    mode: str = ""
    """The mode string as written, for open-style calls."""
    how: str = "call"
    """'open' (the builtin), 'path:<method>' (pathlib text I/O) or 'call'."""
    formatted: str = ""
    """How its first argument is built from values, when it is ('an f-string', ...)."""
    values: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Keyword -> (its value as written, the line it is on)."""
    managed: bool = False
    """It is the context expression of a `with` statement (closed on leaving the block)."""
    handle: str = ""
    """The name its result is assigned to, when it is ('log'), for the handle's own close()."""
    closed_at: int = 0
    """The line where the same function calls `handle.close()`; 0 when it never does."""
    runs_with: str = ""
    """The values the project's own function runs with at this call ('attempts=3 (default)')."""


def _python_files(root: Path, where: str, skip: frozenset[str]) -> list[tuple[str, str]]:
    """(relative path, text) of the .py files under `where` (a folder or one file)."""
    base = resolve_in_root(root, where or ".")
    if not base.exists():
        raise ProjectFileError(f"{where} does not exist under the project root")
    if base.is_file():
        text = scan_text(base)
        return [(relative(root, base), text)] if text is not None else []
    found: list[tuple[str, str]] = []
    for path in iter_files(root, skip):
        if path.suffix != ".py" or not path.resolve().is_relative_to(base):
            continue
        text = scan_text(path)
        if text is not None:
            found.append((relative(root, path), text))
        if len(found) >= MAX_PY_FILES:
            break
    return found


def _scope_name(path: str) -> str:
    """How an answer names the folder it searched."""
    return "the project" if (path or ".").strip() in (".", "", "./") else path.strip()


@functools.lru_cache(maxsize=512)
def _parse(name: str, text: str) -> ast.Module | None:
    """The module's syntax tree (None when it does not parse); kept for the next query of the
    same task, which reads the same files (trees are only read, never changed)."""
    try:
        return ast.parse(text, filename=name)
    except (SyntaxError, ValueError, RecursionError):
        return None


def dotted_name(node: ast.AST) -> str:
    """'a.b.c' for a chain of names and attributes; '' for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> the dotted name it was imported as ('groupby' -> 'itertools.groupby')."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                names[local] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _path_like(receiver: ast.AST, path_names: set[str]) -> bool:
    """Whether `receiver.open(...)` is most likely pathlib's Path.open."""
    if isinstance(receiver, ast.Call):
        return dotted_name(receiver.func).rsplit(".", 1)[-1] in ("Path", "PurePath", "joinpath")
    if isinstance(receiver, ast.BinOp) and isinstance(receiver.op, ast.Div):
        return True  # base / "name.txt"
    name = dotted_name(receiver)
    last = name.rsplit(".", 1)[-1].lower()
    if name.split(".")[0] in _NOT_PATH_OPEN:
        return False
    return name in path_names or last.endswith("path") or last in ("p", "file", "dest", "src")


def _path_assigned(tree: ast.Module) -> set[str]:
    """Names the module binds to a Path(...) value (`p = Path(x)`, `out = base / 'x'`)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if isinstance(target, ast.Name) and _path_like(value, set()):
                if not isinstance(value, ast.BinOp) or dotted_name(value.left) in found:
                    found.add(target.id)
    return found


@dataclass
class _Query:
    """What find_calls looks for."""

    name: str
    """The name as asked ('open', 'requests.get', '.execute')."""
    text_io: bool
    """Asked for the builtin open(): pathlib's text I/O counts too."""


def _matches(call: ast.Call, query: _Query, imported: dict[str, str], paths: set[str]) -> str:
    """How `call` matches the query: 'open' (builtin open), 'path:<method>' (pathlib text I/O),
    'call' (any other match), '' (no match)."""
    func = call.func
    wanted = query.name.lstrip(".")
    last = wanted.rsplit(".", 1)[-1]
    dotted = dotted_name(func)
    if query.text_io:
        if isinstance(func, ast.Name) and func.id == "open" and "open" not in imported:
            return "open"
        if dotted == "io.open" or imported.get(dotted) == "io.open":
            return "open"
        if isinstance(func, ast.Attribute) and func.attr in ("read_text", "write_text"):
            return f"path:{func.attr}"
        if isinstance(func, ast.Attribute) and func.attr == "open":
            return "path:open" if _path_like(func.value, paths) else ""
        return ""
    if query.name.startswith("."):
        return "call" if isinstance(func, ast.Attribute) and func.attr == last else ""
    if "." in wanted:
        full = imported.get(dotted.split(".")[0], dotted.split(".")[0])
        resolved = ".".join([full, *dotted.split(".")[1:]]) if dotted else ""
        return "call" if wanted in (dotted, resolved) or resolved.endswith("." + wanted) else ""
    if isinstance(func, ast.Name):
        return "call" if func.id == last else ""
    return "call" if isinstance(func, ast.Attribute) and func.attr == last else ""


def _project_params(trees: list[tuple[str, ast.Module]], name: str) -> tuple[str, ...] | None:
    """The parameters of the one function the project defines under `name` (None: none or
    several, so positions cannot be read)."""
    found: list[tuple[str, ...]] = []
    for _, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
                args = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
                if args and args[0] in ("self", "cls"):
                    args = args[1:]
                found.append(tuple(args))
    return found[0] if len(set(found)) == 1 else None


def _project_definition(
    trees: list[tuple[str, ast.Module]], name: str
) -> tuple[str, ast.FunctionDef | ast.AsyncFunctionDef] | None:
    """(file, definition) of the one function the project defines under `name`; None when it
    defines none or several (which one a call reaches is then not known)."""
    found = [
        (path, node)
        for path, tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
    ]
    return found[0] if len(found) == 1 else None


_SHOWN_VALUE = 40
"""Longest argument text an effective-values answer quotes."""


def _parameters(
    definition: ast.FunctionDef | ast.AsyncFunctionDef,
) -> tuple[list[str], list[str], dict[str, str]]:
    """(positional parameters, keyword-only parameters, parameter -> default as written) of a
    definition, `self`/`cls` left out."""
    args = definition.args
    positional = [a.arg for a in (*args.posonlyargs, *args.args)]
    defaults = {
        a: ast.unparse(d)
        for a, d in zip(
            positional[len(positional) - len(args.defaults) :], args.defaults, strict=False
        )
    }
    defaults |= {
        a.arg: ast.unparse(d)
        for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=False)
        if d is not None
    }
    if positional and positional[0] in ("self", "cls"):
        positional = positional[1:]
    return positional, [a.arg for a in args.kwonlyargs], defaults


def defaults_line(definition: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """'attempts=3, delay=1.0': the defaults a definition gives its parameters."""
    _, _, defaults = _parameters(definition)
    return ", ".join(f"{k}={v}" for k, v in defaults.items())


def runs_with(call: ast.Call, definition: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """The values `call` runs `definition` with, bound as Python binds them: positions, then
    keywords, then the definition's defaults (marked '(default)'). Only the parameters that
    have defaults are shown (the settings a call may change), or all when none has one."""
    positional, keyword_only, defaults = _parameters(definition)
    given: dict[str, str] = {}
    unknown = False
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            unknown = True
            break
        if index < len(positional):
            given[positional[index]] = ast.unparse(arg)
    for keyword in call.keywords:
        if keyword.arg is None:
            unknown = True
        else:
            given[keyword.arg] = ast.unparse(keyword.value)
    shown = [p for p in (*positional, *keyword_only) if p in defaults] or [
        *positional,
        *keyword_only,
    ]
    parts: list[str] = []
    for param in shown:
        if param in given:
            value = given[param]
            value = value if len(value) <= _SHOWN_VALUE else value[: _SHOWN_VALUE - 3] + "..."
            parts.append(f"{param}={value}")
        elif unknown:
            parts.append(f"{param} not known (passed through *args/**kwargs)")
        elif param in defaults:
            parts.append(f"{param}={defaults[param]} (default)")
        else:
            parts.append(f"{param} not passed")
    return ", ".join(parts)


def _mode(call: ast.Call, params: tuple[str, ...]) -> tuple[bool | None, str]:
    """(binary?, mode as written) of an open-style call; a mode not written is 'r' (text)."""
    node: ast.AST | None = next((k.value for k in call.keywords if k.arg == "mode"), None)
    if node is None and "mode" in params and len(call.args) > params.index("mode"):
        node = call.args[params.index("mode")]
    if node is None:
        return False, ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "b" in node.value, node.value
    return None, ast.unparse(node)


def _sites(
    name: str,
    text: str,
    tree: ast.Module,
    query: _Query,
    params: tuple[str, ...] | None,
    definition: ast.FunctionDef | ast.AsyncFunctionDef | None = None,
) -> list[CallSite]:
    lines = text.splitlines()
    imported = _imported_names(tree)
    paths = _path_assigned(tree)
    found: list[CallSite] = []
    managed = {
        id(item.context_expr)
        for node in ast.walk(tree)
        if isinstance(node, ast.With | ast.AsyncWith)
        for item in node.items
    }
    assigned = {
        id(node.value): node.targets[0].id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
    }
    built: dict[tuple[str, str], str] = {}  # (scope, variable) -> how its text was formatted

    def visit(node: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                inner = f"{scope}.{child.name}" if scope else child.name
            if isinstance(child, ast.Assign | ast.AugAssign | ast.AnnAssign) and child.value:
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                how_built = _formatting(child.value)
                for target in targets:
                    if isinstance(target, ast.Name) and how_built:
                        built[(scope, target.id)] = f"built by {how_built} at line {child.lineno}"
            if isinstance(child, ast.Call):
                how = _matches(child, query, imported, paths)
                if how:
                    site = _site(name, lines, child, how, scope, params)
                    first = child.args[0] if child.args else None
                    if not site.formatted and isinstance(first, ast.Name):
                        via = built.get((scope, first.id), "")
                        site.formatted = f"{first.id}, {via}" if via else ""
                    elif site.formatted:
                        site.formatted = f"built by {site.formatted}"
                    site.managed = id(child) in managed
                    site.handle = assigned.get(id(child), "")
                    if definition is not None:
                        site.runs_with = runs_with(child, definition)
                    found.append(site)
            visit(child, inner)

    visit(tree, "")
    _closes(tree, found)
    return found


def _closes(tree: ast.Module, sites: list[CallSite]) -> None:
    """Mark each site whose handle the same function closes by hand (`handle.close()`)."""
    scopes: dict[str, ast.AST] = {"": tree}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            scopes.setdefault(node.name, node)
    for site in sites:
        scope = scopes.get(site.function.rsplit(".", 1)[-1], tree)
        for node in ast.walk(scope):
            if (
                site.handle
                and isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "close"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == site.handle
                and node.lineno > site.line
            ):
                site.closed_at = node.lineno
                break


def _site(
    name: str,
    lines: list[str],
    call: ast.Call,
    how: str,
    scope: str,
    params: tuple[str, ...] | None,
) -> CallSite:
    positional: tuple[str, ...] = ()
    if how == "open":
        positional = OPEN_PARAMS
    elif how.startswith("path:"):
        positional = TEXT_IO_PARAMS[how[5:]]
    elif params:
        positional = params
    passed = {k.arg for k in call.keywords if k.arg}
    if not any(isinstance(a, ast.Starred) for a in call.args):
        passed |= set(positional[: len(call.args)])
    values = {k.arg: (ast.unparse(k.value), k.value.lineno) for k in call.keywords if k.arg}
    site = CallSite(
        values=values,
        path=name,
        line=call.lineno,
        code=clip(lines[call.lineno - 1].strip()) if call.lineno <= len(lines) else "",
        function=scope,
        passed=passed,
        spread=any(k.arg is None for k in call.keywords),
        how=how,
        formatted=_formatting(call.args[0]) if call.args else "",
    )
    if how == "open" or how == "path:open":
        site.binary, site.mode = _mode(call, positional)
    return site


def _formatting(node: ast.AST) -> str:
    """How a text argument is built from values ('' for a plain literal or a name): the shape
    of an SQL or shell command open to injection."""
    if isinstance(node, ast.JoinedStr) and any(
        isinstance(v, ast.FormattedValue) for v in node.values
    ):
        return "an f-string"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        if isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
            return "% formatting"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts = [node.left, node.right]
        if any(isinstance(p, ast.Constant) and isinstance(p.value, str) for p in parts):
            return "string concatenation"
        if any(_formatting(p) for p in parts):
            return "string concatenation"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
    ):
        return "str.format()"
    return ""


def _describe(site: CallSite, keys: tuple[str, ...] = ()) -> str:
    where = f"in {site.function}()" if site.function else "at module level"
    mode = ""
    if site.how in ("path:read_text", "path:write_text"):
        mode = "; pathlib text I/O"
    elif site.how in ("open", "path:open"):
        mode = f"; mode {site.mode!r}" if site.mode else "; default mode 'r' (text)"
    built = f"; first argument {site.formatted}" if site.formatted else ""
    ran = f"; runs with {site.runs_with}" if site.runs_with else ""
    shown = f"{site.path}:{site.line}: {site.code}  -- {where}{mode}{built}{ran}"
    return shown + "".join(
        f"; {key}={value} on line {line}"
        for key, (value, line) in sorted(site.values.items())
        if line != site.line and key in keys
    )


def _unmanaged(site: CallSite) -> str:
    """Why a handle opened outside a `with` block may stay open."""
    if site.closed_at:
        return f"{site.handle}.close() at line {site.closed_at}, skipped if an error comes first"
    if site.handle:
        return f"{site.handle} is never closed"
    return "the handle is never closed"


def find_calls(
    root: Path,
    name: str,
    path: str = ".",
    without_keyword: str = "",
    with_keyword: str = "",
    skip: frozenset[str] = frozenset(),
    formatted_argument: bool = False,
    outside_with: bool = False,
    effective_arguments: bool = False,
) -> str:
    """Call sites of `name` in the project's Python files under `path`, filtered by keyword
    ('strict=False': passing that value), or, with `formatted_argument`, those whose first
    argument is built by formatting, or, with `outside_with`, those not opened in a `with`;
    with `effective_arguments`, each with the values the project's own definition of `name`
    runs with there (defaults counted)."""
    name = name.strip().removesuffix("(").strip() if isinstance(name, str) else ""
    if not _NAME.match(name):
        return f"Error: {name!r} is not a function or method name (e.g. 'open', 'requests.get')"
    with_, _, value = with_keyword.strip().partition("=")
    value = value.strip()
    for keyword in (without_keyword, with_):
        if keyword and not keyword.strip().rstrip("=").isidentifier():
            return f"Error: {keyword!r} is not a keyword argument name"
    without = without_keyword.strip().rstrip("=")
    with_ = with_.strip()
    try:
        files = _python_files(root, path, skip)
    except ProjectFileError as err:
        return f"Error: {err}"
    trees = [(n, t) for n, text in files if (t := _parse(n, text)) is not None]
    texts = dict(files)
    query = _Query(name=name, text_io=name.lstrip(".") in ("open", "io.open"))
    params = None if query.text_io else _project_params(trees, name.rsplit(".", 1)[-1])
    defined = None
    if effective_arguments and not query.text_io:
        # The definition may sit outside the folder asked about (a shared helper module).
        everywhere = trees
        if (path or ".").strip() not in (".", "", "./"):
            every = _python_files(root, ".", skip)
            everywhere = [(n, t) for n, text in every if (t := _parse(n, text)) is not None]
        defined = _project_definition(everywhere, name.rsplit(".", 1)[-1])
    definition = defined[1] if defined else None
    sites = [s for n, tree in trees for s in _sites(n, texts[n], tree, query, params, definition)]
    scope = _scope_name(path)
    shown = f"{name}(" if not query.text_io else "open( (and pathlib's open/read_text/write_text)"
    if not sites:
        return f"No call of {shown} in the Python files under {scope}."
    groups: list[tuple[str, list[CallSite]]] = []
    loose: list[CallSite] = []
    if outside_with:
        # pathlib's read_text/write_text open and close the file inside one call.
        loose = [s for s in sites if not s.managed and s.how not in _SELF_CLOSING]
        groups.append(("outside a with statement", loose))
        closed = [s for s in sites if s.managed or s.how in _SELF_CLOSING]
        groups.append(("in a with statement or closed by the call itself", closed))
    elif value and with_:
        given = [s for s in sites if s.values.get(with_, ("", 0))[0] == value]
        groups.append((f"passing {with_}={value}", given))
        rest = [s for s in sites if s not in given]
        groups.append((f"not passing {with_}={value}", rest))
    elif formatted_argument:
        built = [s for s in sites if s.formatted]
        groups.append(("with a first argument built by string formatting", built))
        groups.append(("with a plain first argument", [s for s in sites if not s.formatted]))
    elif without or with_:
        key = without or with_
        rest = list(sites)
        if query.text_io and key in TEXT_ONLY_KEYWORDS:
            binary = [s for s in rest if s.binary]
            rest = [s for s in rest if not s.binary]
            if binary:
                groups.append((f"binary mode, where {key}= does not apply", binary))
        passing = [s for s in rest if key in s.passed]
        unsure = [s for s in rest if key not in s.passed and s.spread]
        missing = [s for s in rest if key not in s.passed and not s.spread]
        head = (missing, f"without {key}=") if without else (passing, f"passing {key}=")
        other = (passing, f"already passing {key}=") if without else (missing, f"without {key}=")
        groups.insert(0, (head[1], head[0]))
        groups.append((other[1], other[0]))
        if unsure:
            groups.append((f"passing **kwargs (may hold {key}=)", unsure))
    else:
        groups.append(("", sites))
    out: list[str] = []
    if defined:
        where, node = defined
        given = defaults_line(node)
        out.append(
            f"Defined at {where}:{node.lineno}: def {node.name}({ast.unparse(node.args)})"
            + (f"; defaults {given}" if given else "; no defaults")
        )
    for title, members in groups:
        label = f"Calls of {shown} under {scope}" + (f", {title}" if title else "")
        out.append(f"{label}: {len(members)}")
        keys = tuple(k for k in (with_, without) if k)
        out += [
            _describe(s, keys) + (f"; {_unmanaged(s)}" if outside_with and s in loose else "")
            for s in members[:MAX_CALLS_LISTED]
        ]
        if len(members) > MAX_CALLS_LISTED:
            out.append(f"... and {len(members) - MAX_CALLS_LISTED} more")
    return "\n".join(out)


# --- imports, subclasses, parameters -------------------------------------------------------------


RELATIONS = ("imports", "subclasses", "parameter", "missing")
"""What find_definitions looks for: the imports of a module, the classes deriving from a
class, the functions taking a parameter (by name or by annotation)."""


def _imports_of(tree: ast.Module, module: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        else:
            continue
        if any(n == module or n.startswith(module + ".") for n in names):
            found.append((node.lineno, ""))
    return found


def _subclasses_of(tree: ast.Module, base: str) -> list[tuple[int, str]]:
    last = base.rsplit(".", 1)[-1]
    return [
        (node.lineno, "")
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(dotted_name(b).rsplit(".", 1)[-1] == last for b in node.bases)
    ]


def _taking(tree: ast.Module, name: str) -> list[tuple[int, str]]:
    last = name.rsplit(".", 1)[-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        for arg in args:
            annotation = ast.unparse(arg.annotation) if arg.annotation else ""
            if arg.arg == name or re.search(rf"(?<![\w]){re.escape(last)}(?![\w])", annotation):
                found.append(
                    (
                        node.lineno,
                        f"{node.name}({arg.arg}{': ' + annotation if annotation else ''})",
                    )
                )
                break
    return found


LACKABLE = ("docstring", "annotations")
"""What relation 'missing' looks for: definitions without a docstring, functions without type
annotations (on a parameter or the return)."""


def _lacking(tree: ast.Module, name: str) -> list[tuple[int, str]]:
    """The definitions of a module without a docstring, or functions with a parameter or the
    return not annotated (which ones said)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if name == "docstring" and isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ):
            if ast.get_docstring(node) is None:
                kind = "class" if isinstance(node, ast.ClassDef) else "function"
                found.append((node.lineno, f"{kind} {node.name} has no docstring"))
        elif name == "annotations" and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            args += [a for a in (node.args.vararg, node.args.kwarg) if a is not None]
            bare = [a.arg for a in args if a.annotation is None and a.arg not in ("self", "cls")]
            missing = [f"parameter {', '.join(bare)}"] if bare else []
            if node.returns is None and node.name != "__init__":
                missing.append("the return")
            if missing:
                found.append(
                    (node.lineno, f"{node.name}: no annotation on {' and '.join(missing)}")
                )
    return found


def find_definitions(
    root: Path,
    name: str,
    relation: str,
    path: str = ".",
    skip: frozenset[str] = frozenset(),
) -> str:
    """The imports of module `name`, the subclasses of class `name`, or the functions taking a
    parameter `name` (or annotated with type `name`), in the Python files under `path`."""
    name = name.strip() if isinstance(name, str) else ""
    if not _NAME.match(name) or name.startswith("."):
        return f"Error: {name!r} is not a Python name (e.g. 'requests', 'BaseModel', 'path')"
    if relation not in RELATIONS:
        return f"Error: relation must be one of {', '.join(RELATIONS)}, not {relation!r}"
    try:
        files = _python_files(root, path, skip)
    except ProjectFileError as err:
        return f"Error: {err}"
    if relation == "missing" and name not in LACKABLE:
        return f"Error: with relation 'missing', name must be one of {', '.join(LACKABLE)}"
    finder = {
        "imports": _imports_of,
        "subclasses": _subclasses_of,
        "parameter": _taking,
        "missing": _lacking,
    }
    lines: list[str] = []
    for file, text in files:
        tree = _parse(file, text)
        if tree is None:
            continue
        source = text.splitlines()
        for line, what in sorted(set(finder[relation](tree, name))):
            code = clip(source[line - 1].strip()) if line <= len(source) else ""
            lines.append(f"{file}:{line}: {code}" + (f"  -- {what}" if what else ""))
    scope = _scope_name(path)
    label = {
        "imports": f"Imports of {name}",
        "subclasses": f"Classes deriving from {name}",
        "parameter": f"Functions taking {name}",
        "missing": f"Definitions without {'a docstring' if name == 'docstring' else name}",
    }[relation]
    if not lines:
        return f"{label}: none in the Python files under {scope}."
    shown = lines[:MAX_CALLS_LISTED]
    more = [f"... and {len(lines) - MAX_CALLS_LISTED} more"] if len(lines) > len(shown) else []
    return "\n".join([f"{label} under {scope}: {len(lines)}", *shown, *more])


# --- import cycles ------------------------------------------------------------------------------


@dataclass
class ImportEdge:
    """One module-level import of a project module by another."""

    source: str
    """The importing module ('app.models')."""
    target: str
    """The imported project module ('app.services')."""
    line: int
    """The import statement's line in the importing file."""
    code: str
    """The statement as written."""
    names: tuple[str, ...]
    """Names taken from the target (`from target import a, b`); () for `import target`."""


@dataclass
class _Module:
    """A project module in the import graph."""

    name: str
    """Its dotted name ('app.models')."""
    path: str
    """Its file, relative to the project root."""
    tree: ast.Module
    """Its syntax tree."""
    lines: list[str]
    """Its source lines."""
    edges: list[ImportEdge] = field(default_factory=list)
    """The project modules it imports when it runs, in source order."""


def _module_name(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _import_time_nodes(body: list[ast.stmt]) -> list[ast.stmt]:
    """The import statements that run when the module is imported: at its top level and inside
    top-level if/try blocks, not under `if TYPE_CHECKING:` and not inside functions."""
    found: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" in ast.unparse(node.test):
                found += _import_time_nodes(node.orelse)
            else:
                found += _import_time_nodes(node.body) + _import_time_nodes(node.orelse)
        elif isinstance(node, ast.Try):
            found += _import_time_nodes(node.body)
            for handler in node.handlers:
                found += _import_time_nodes(handler.body)
            found += _import_time_nodes(node.orelse) + _import_time_nodes(node.finalbody)
    return found


def _build_graph(files: list[tuple[str, str]]) -> dict[str, _Module]:
    modules: dict[str, _Module] = {}
    for path, text in files:
        tree = _parse(path, text)
        if tree is not None:
            name = _module_name(path)
            modules[name] = _Module(name, path, tree, text.splitlines())
    # A project under src/ (or any folder) imports its modules without that prefix.
    aliases: dict[str, str] = {}
    for name in sorted(modules):
        parts = name.split(".")
        for cut in range(len(parts)):
            aliases.setdefault(".".join(parts[cut:]), name)
    for name in sorted(modules):
        aliases[name] = name
    for module in modules.values():
        is_package = module.path.endswith("__init__.py")
        package = module.name if is_package else module.name.rpartition(".")[0]
        for node in _import_time_nodes(module.tree.body):
            code = clip(ast.unparse(node))
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = aliases.get(alias.name)
                    if target and target != module.name:
                        module.edges.append(ImportEdge(module.name, target, node.lineno, code, ()))
                continue
            base = node.module or ""
            if node.level:
                anchor = package.split(".") if package else []
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                sub = aliases.get(f"{base}.{alias.name}")
                if sub and sub != module.name:  # `from pkg import submodule`
                    module.edges.append(ImportEdge(module.name, sub, node.lineno, code, ()))
                    continue
                target = aliases.get(base)
                if target and target != module.name:
                    module.edges.append(
                        ImportEdge(module.name, target, node.lineno, code, (alias.name,))
                    )
    return modules


def _defined_at(module: _Module, name: str) -> int | None:
    """The line where the module binds `name` at its top level (def, class, assignment)."""
    for node in module.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == name:
                return node.lineno
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return node.lineno
    return None


def _uses(module: _Module, name: str, after: int) -> list[tuple[int, str, bool]]:
    """(line, enclosing function, in an annotation only) of each use of `name` after its import."""
    found: list[tuple[int, str, bool]] = []
    annotations: set[int] = set()
    for node in ast.walk(module.tree):
        for ann in _annotations(node):
            annotations.update(id(n) for n in ast.walk(ann))

    def visit(node: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                inner = f"{scope}.{child.name}" if scope else child.name
            if isinstance(child, ast.Name) and child.id == name and child.lineno > after:
                found.append((child.lineno, scope, id(child) in annotations))
            visit(child, inner)

    visit(module.tree, "")
    return sorted(set(found))


def _annotations(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        args += [a for a in (node.args.vararg, node.args.kwarg) if a]
        return [a.annotation for a in args if a.annotation] + (
            [node.returns] if node.returns else []
        )
    if isinstance(node, ast.AnnAssign):
        return [node.annotation]
    return []


def _cycle_from(modules: dict[str, _Module], start: str) -> list[ImportEdge] | None:
    """The import chain Python follows from `start` until it meets a module still running."""
    running: list[str] = []
    chain: list[ImportEdge] = []
    done: set[str] = set()

    def run(name: str) -> list[ImportEdge] | None:
        running.append(name)
        for edge in modules[name].edges:
            if edge.target in running:
                return [*chain, edge]
            if edge.target in done:
                continue
            chain.append(edge)
            found = run(edge.target)
            if found:
                return found
            chain.pop()
        running.pop()
        done.add(name)
        return None

    return run(start)


def _cycles(modules: dict[str, _Module]) -> list[list[str]]:
    """Every elementary cycle's modules (each once, from its smallest name), sorted."""
    found: set[tuple[str, ...]] = set()
    graph = {m: sorted({e.target for e in modules[m].edges}) for m in modules}

    def walk(path: list[str]) -> None:
        for target in graph[path[-1]]:
            if target == path[0]:
                found.add(tuple(path))
            elif target not in path and target > path[0] and len(path) < 8:
                walk([*path, target])

    for name in sorted(graph):
        walk([name])
    return [list(c) for c in sorted(found)][:10]


def _explain_edge(modules: dict[str, _Module], edge: ImportEdge, paused: dict[str, int]) -> str:
    module = modules[edge.source]
    target = modules[edge.target]
    text = f"{module.path}:{edge.line}: {edge.code}"
    if edge.target not in paused:
        return f"{text}  -- starts running {target.path}"
    stop = paused[edge.target]
    notes = [f"{target.path} is still running (paused at its line {stop}): partially initialized"]
    for name in edge.names:
        line = _defined_at(target, name)
        if line is None:
            notes.append(f"it does not define {name} at its top level")
        elif line > stop:
            notes.append(
                f"{name} is defined at {target.path}:{line}, after line {stop}, so it is not "
                "defined yet: ImportError (cannot import name)"
            )
        else:
            notes.append(f"{name} (line {line}) is already defined, so this import works")
    return f"{text}  -- " + "; ".join(notes)


def _fixes(modules: dict[str, _Module], edges: list[ImportEdge]) -> list[str]:
    """Where each import of the cycle is used: the fix that fits each."""
    out: list[str] = []
    for edge in edges:
        module = modules[edge.source]
        names = edge.names or (edge.target.rsplit(".", 1)[-1],)
        for name in names:
            uses = _uses(module, name, edge.line)
            if not uses:
                continue
            shown = ", ".join(
                f"line {line}" + (f" in {scope}()" if scope else " at module level")
                for line, scope, _ in uses[:6]
            )
            if all(ann for *_, ann in uses):
                how = "used only in type annotations: import it under if TYPE_CHECKING:"
            elif all(scope for _, scope, _ in uses):
                how = "used only inside functions: the import can move into the function"
            else:
                how = "used at module level: move it to a third module both can import"
            out.append(f"{module.path}:{edge.line}: {name} is used at {shown}; {how}")
    return out


def import_cycles(
    root: Path, path: str = ".", entry: str = "", skip: frozenset[str] = frozenset()
) -> str:
    """The import cycles among the project's Python modules under `path`; from `entry` (a file
    that is run), the order in which Python imports them and where it stops."""
    try:
        files = _python_files(root, path, skip)
    except ProjectFileError as err:
        return f"Error: {err}"
    modules = _build_graph(files)
    if not modules:
        return f"No Python module under {_scope_name(path)} parses."
    by_path = {m.path: m.name for m in modules.values()}
    start = None
    if entry and entry.strip():
        try:
            start = by_path.get(relative(root, resolve_in_root(root, entry)))
        except ProjectFileError as err:
            return f"Error: {err}"
        if start is None:
            return f"Error: {entry} is not a Python module under {_scope_name(path)}"
    cycles = _cycles(modules)
    if not cycles:
        count = len(modules)
        return f"No import cycle among the {count} Python modules under {_scope_name(path)}."
    out = [
        "Import cycle: " + " -> ".join([*(modules[m].path for m in c), modules[c[0]].path])
        for c in cycles
    ]
    chain = _cycle_from(modules, start) if start else None
    if chain is None:
        first = cycles[0]
        chain = _cycle_from(modules, first[0])
        start = first[0]
    if chain:
        out += ["", f"What happens when {modules[start].path} is run or imported, step by step:"]
        paused: dict[str, int] = {}
        for edge in chain:
            out.append(_explain_edge(modules, edge, paused))
            paused[edge.source] = edge.line
        back = chain[-1].target
        loop = chain[next(i for i, e in enumerate(chain) if e.source == back) :]
        fixes = _fixes(modules, loop)
        if fixes:
            out += ["", "Where the cycle's imports are used:", *fixes]
    return "\n".join(out)


class FindCallsInput(BaseModel):
    """Arguments of find_calls."""

    name: str = Field(
        min_length=1,
        max_length=200,
        description="The function or method called: 'open', 'requests.get', '.execute'.",
    )
    path: str = Field(default=".", description="A folder or .py file under the project root.")
    without_keyword: str = Field(
        default="", description="Keep only calls that do not pass this keyword ('encoding')."
    )
    with_keyword: str = Field(
        default="",
        description="Keep only calls that pass this keyword ('timeout') or value ('strict=False').",
    )
    outside_with: bool = Field(
        default=False,
        description=(
            "List first the calls not made as a `with` statement's context manager (files, "
            "connections or locks that may stay open), each with whether it is closed by hand."
        ),
    )
    effective_arguments: bool = Field(
        default=False,
        description=(
            "Show with each call the values the project's own definition runs with there "
            "(positional and keyword arguments bound to its parameters, defaults counted)."
        ),
    )
    formatted_argument: bool = Field(
        default=False,
        description=(
            "List first the calls whose first argument is built by an f-string, % formatting, "
            "concatenation or str.format() (SQL or shell text open to injection)."
        ),
    )


class FindDefinitionsInput(BaseModel):
    """Arguments of find_definitions."""

    name: str = Field(
        min_length=1,
        max_length=200,
        description="A module ('requests'), a class ('BaseModel') or a parameter ('path').",
    )
    relation: str = Field(
        description=(
            "'imports' (where the module is imported), 'subclasses' (classes deriving from the "
            "class), 'parameter' (functions with a parameter of that name or type) or "
            "'missing' with name 'docstring' or 'annotations' (definitions without them)."
        )
    )
    path: str = Field(default=".", description="A folder or .py file under the project root.")


class ImportCyclesInput(BaseModel):
    """Arguments of import_cycles."""

    path: str = Field(default=".", description="A folder under the project root.")
    entry: str = Field(
        default="", description="The file that is run ('main.py'), to trace the import order."
    )


def pyquery_tools(root: Path, skip: frozenset[str] = frozenset()) -> list[BaseTool]:
    """find_calls, find_definitions and import_cycles over the project folder `root`."""
    root = Path(root).resolve()

    def find_calls_tool(
        name: str,
        path: str = ".",
        without_keyword: str = "",
        with_keyword: str = "",
        formatted_argument: bool = False,
        outside_with: bool = False,
        effective_arguments: bool = False,
    ) -> str:
        return find_calls(
            root,
            name,
            path,
            without_keyword,
            with_keyword,
            skip,
            formatted_argument,
            outside_with,
            effective_arguments,
        )

    def import_cycles_tool(path: str = ".", entry: str = "") -> str:
        return import_cycles(root, path, entry, skip)

    def find_definitions_tool(name: str, relation: str, path: str = ".") -> str:
        return find_definitions(root, name, relation, path, skip)

    return [
        StructuredTool.from_function(
            func=find_calls_tool,
            name="find_calls",
            description=(
                "Find the call sites of a function or method in the person's Python files (from "
                "their syntax trees): 'path:line: code -- in function()', optionally only those "
                "that do not pass (without_keyword) or do pass (with_keyword) a keyword argument, "
                "positional passing included. For 'open' it also covers pathlib's open, "
                "read_text and write_text and lists binary-mode calls apart for text-only "
                "keywords (encoding, errors, newline)."
            ),
            args_schema=FindCallsInput,
        ),
        StructuredTool.from_function(
            func=find_definitions_tool,
            name="find_definitions",
            description=(
                "Find, in the person's Python files (from their syntax trees), where a module is "
                "imported (relation 'imports'), which classes derive from a class "
                "('subclasses'), or which functions take a parameter of a given name or type "
                "('parameter'): 'path:line: code -- what'."
            ),
            args_schema=FindDefinitionsInput,
        ),
        StructuredTool.from_function(
            func=import_cycles_tool,
            name="import_cycles",
            description=(
                "Find import cycles among the person's Python modules: each cycle, the order in "
                "which Python runs the imports from an entry file, the import that meets a "
                "partially initialized module and the name not defined yet, and where the "
                "cycle's imported names are used (to choose the fix)."
            ),
            args_schema=ImportCyclesInput,
        ),
    ]
