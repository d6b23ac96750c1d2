"""`module_outline`: a Python module's structure read from its syntax tree, never by running it.

For explaining code, the useful map is what a reader builds by hand: the classes and functions
with their lines and signatures, the first line of each docstring, and who calls whom inside the
module. `ast` gives all of it without importing the person's code.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, clip, read_text, relative

MAX_DEFINITIONS = 80
"""Functions and classes listed."""


@dataclass
class Definition:
    """A function, method or class of the module."""

    name: str
    """Its qualified name inside the module ('Parser.parse')."""
    kind: str
    """'class', 'def' or 'async def'."""
    line: int
    """The line of its `def` or `class`."""
    signature: str
    """Its parameters ('(self, path)') or bases ('(Base)')."""
    doc: str
    """The first line of its docstring, or ''."""
    calls: set[str] = field(default_factory=set)
    """Names it calls (resolved to the module's definitions later)."""


def _signature(node: ast.AST) -> str:
    if isinstance(node, ast.ClassDef):
        bases = [ast.unparse(b) for b in node.bases]
        return f"({', '.join(bases)})" if bases else ""
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"({ast.unparse(node.args)}){returns}"


def _called(node: ast.AST) -> set[str]:
    """Names called in `node`'s own body (nested definitions are outlined separately)."""
    names: set[str] = set()
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(child, ast.Call):
            target = child.func
            if isinstance(target, ast.Name):
                names.add(target.id)
            elif isinstance(target, ast.Attribute):
                names.add(target.attr)  # self.method(), module.function()
        stack.extend(ast.iter_child_nodes(child))
    return names


def definitions(tree: ast.Module) -> list[Definition]:
    """Every class and function of the module, in source order, with what each calls."""
    found: list[Definition] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                kind = {
                    ast.ClassDef: "class",
                    ast.FunctionDef: "def",
                    ast.AsyncFunctionDef: "async def",
                }[type(child)]
                doc = (ast.get_docstring(child) or "").strip().splitlines()
                item = Definition(
                    name=f"{prefix}{child.name}",
                    kind=kind,
                    line=child.lineno,
                    signature=_signature(child),
                    doc=doc[0] if doc else "",
                    calls=_called(child) if kind != "class" else set(),
                )
                found.append(item)
                visit(child, f"{item.name}.")

    visit(tree, "")
    return found


def _imports(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.extend(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
    return list(dict.fromkeys(names))


def module_outline(root: Path, path: str) -> str:
    """The outline of a project Python file: imports, classes and functions, calls between them."""
    try:
        real, source = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    if real.suffix not in (".py", ".pyi"):
        return f"Error: module_outline reads Python files (.py); {name} is not one"
    try:
        tree = ast.parse(source, filename=name)
    except RecursionError:
        return f"Error: {name} is nested too deeply to outline"
    except SyntaxError as err:
        shown = clip((err.text or "").strip())
        return f"{name}:{err.lineno}:{err.offset}: the module does not parse: {err.msg}: {shown}"
    except ValueError as err:  # NUL bytes and the like
        return f"Error: {name} does not parse: {err}"
    items = definitions(tree)
    lines = [f"{name}: {len(source.splitlines())} lines"]
    doc = (ast.get_docstring(tree) or "").strip().splitlines()
    if doc:
        lines.append(f"module docstring: {clip(doc[0])}")
    imports = _imports(tree)
    if imports:
        lines.append(f"imports: {', '.join(imports[:30])}")
    if not items:
        lines.append("no classes or functions")
        return "\n".join(lines)
    by_short: dict[str, list[str]] = {}
    for item in items:
        by_short.setdefault(item.name.rsplit(".", 1)[-1], []).append(item.name)
    callers: dict[str, list[str]] = {item.name: [] for item in items}
    resolved: dict[str, list[str]] = {}
    top_level = {t for c in _called(tree) for t in by_short.get(c, [])}
    for item in items:
        targets = sorted({t for c in item.calls for t in by_short.get(c, []) if t != item.name})
        resolved[item.name] = targets
        for target in targets:
            callers[target].append(item.name)
    for item in items[:MAX_DEFINITIONS]:
        depth = item.name.count(".")
        indent = "  " * depth
        short = item.name.rsplit(".", 1)[-1]
        entry = f"{indent}line {item.line}: {item.kind} {short}{item.signature}"
        if item.doc:
            entry += f" -- {clip(item.doc, 120)}"
        lines.append(entry)
        if resolved[item.name]:
            lines.append(f"{indent}  calls: {', '.join(resolved[item.name])}")
        who = callers[item.name] + (["the module's top level"] if item.name in top_level else [])
        if who:
            lines.append(f"{indent}  called by: {', '.join(who)}")
    if len(items) > MAX_DEFINITIONS:
        lines.append(f"... and {len(items) - MAX_DEFINITIONS} more definitions")
    return "\n".join(lines)


class ModuleOutlineInput(BaseModel):
    """Arguments of module_outline."""

    path: str = Field(min_length=1, description="A .py file, relative to the project root.")


def outline_tools(root: Path) -> list[BaseTool]:
    """module_outline over the project folder `root`."""
    root = Path(root).resolve()

    def module_outline_tool(path: str) -> str:
        return module_outline(root, path)

    return [
        StructuredTool.from_function(
            func=module_outline_tool,
            name="module_outline",
            description=(
                "Outline a Python module of the person's project from its syntax tree (without "
                "running it): imports, each class and function with its line, signature and "
                "first docstring line, and which functions call which."
            ),
            args_schema=ModuleOutlineInput,
        )
    ]
