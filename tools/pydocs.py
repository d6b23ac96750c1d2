"""`python_docs`: the installed environment's own documentation of a module, class or function.

Offline documentation is what the installed packages carry: signatures and docstrings, read with
`inspect` the way `pydoc` does. Only modules installed in the interpreter's standard library or
site-packages are imported (found with `importlib.util.find_spec` first, so the person's project
folder, which may be on `sys.path`, never has its code run), and attributes are read statically
(`inspect.getattr_static`), so no property or module `__getattr__` runs to produce the answer.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
import sysconfig
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

MAX_DOC_CHARS = 4000
"""Longest answer (the runner keeps less; the signature and docstring come first)."""
MAX_MEMBERS = 40
"""Members listed for a class or module."""
REFUSED_MODULES = frozenset({"antigravity", "this", "__main__", "idlelib", "tkinter", "turtle"})
"""Installed modules whose import does something (opens a browser or a window, prints)."""
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class DocsError(ValueError):
    """A name python_docs will not or cannot document; the message says why."""


@cache
def _installed_dirs() -> tuple[Path, ...]:
    """Folders holding installed code: the standard library and site-packages."""
    names = ("stdlib", "platstdlib", "purelib", "platlib")
    paths = sysconfig.get_paths()
    found = {Path(paths[n]).resolve() for n in names if n in paths}
    found.add(Path(sys.base_prefix).resolve() / "lib")
    return tuple(sorted(found))


def _installed(spec: importlib.machinery.ModuleSpec) -> bool:
    """Whether a module spec points into the installed environment (not a project folder)."""
    if spec.origin in ("built-in", "frozen"):
        return True
    places = [spec.origin] if spec.origin else list(spec.submodule_search_locations or [])
    if not places:
        return False
    for place in places:
        real = Path(place).resolve()
        if not any(real.is_relative_to(folder) for folder in _installed_dirs()):
            return False
    return True


def _import(module: str) -> ModuleType:
    """Import an installed module by its full name (its parent is imported already)."""
    if module.split(".")[0] in REFUSED_MODULES:
        raise DocsError(f"{module} is not documented here (importing it has side effects)")
    if module in sys.modules:
        return sys.modules[module]
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as err:
        raise DocsError(f"{module} is not an installed module: {err}") from err
    if spec is None:
        raise DocsError(f"no installed module is named {module}")
    if not _installed(spec):
        raise DocsError(f"{module} is not part of the installed Python environment")
    try:
        return importlib.import_module(module)
    except Exception as err:  # an installed module that fails to import here
        raise DocsError(f"{module} cannot be imported: {type(err).__name__}: {err}") from err


def resolve(name: str) -> tuple[Any, str]:
    """The object a dotted name denotes and the module it was found in."""
    name = name.strip() if isinstance(name, str) else ""
    if not _DOTTED.match(name) or len(name) > 200:
        raise DocsError(f"{name!r} is not a dotted Python name such as 'csv.DictReader'")
    parts = name.split(".")
    target: Any = _import(parts[0])
    module = parts[0]
    for index, part in enumerate(parts[1:], start=1):
        prefix = ".".join(parts[:index])
        try:
            target = inspect.getattr_static(target, part)
        except AttributeError:
            if not isinstance(target, ModuleType) or not hasattr(target, "__path__"):
                raise DocsError(f"{prefix} has no attribute {part!r}") from None
            module = f"{prefix}.{part}"
            target = _import(module)
            continue
        if isinstance(target, staticmethod | classmethod):
            target = target.__func__
        if isinstance(target, ModuleType):
            module = target.__name__
    return target, module


def _value(value: Any) -> str:
    """A constant as the answer shows it: numbers and flags by value, anything else by type only
    (a mapping such as `os.environ` or a string read from it can hold a secret)."""
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    size = f", {len(value)} items" if isinstance(value, list | tuple | dict | set) else ""
    return f"<{type(value).__name__}{size}>"


def _signature(obj: Any, name: str) -> str | None:
    try:
        return f"{name}{inspect.signature(obj)}"
    except (TypeError, ValueError):
        return None


def _first_line(obj: Any) -> str:
    """The first line of the object's own docstring (not one inherited from `object`)."""
    own = getattr(obj, "__doc__", None)
    doc = inspect.cleandoc(own) if isinstance(own, str) else ""
    return doc.splitlines()[0] if doc else ""


def _members(obj: Any, owner: str) -> list[str]:
    """Public members of a class or module, each with its signature and first doc line."""
    if isinstance(obj, ModuleType):
        names = getattr(obj, "__all__", None) or [n for n in vars(obj) if not n.startswith("_")]
        items = [(n, vars(obj).get(n)) for n in names if n in vars(obj)]
    else:
        items = [
            (n, v)
            for klass in reversed(inspect.getmro(obj)[:-1])  # the class and its bases, not object
            for n, v in vars(klass).items()
            if not n.startswith("_") or n in ("__init__", "__call__", "__iter__", "__next__")
        ]
        items = list(dict(items).items())  # a subclass's member replaces its base's
    lines = []
    for member, value in items[:MAX_MEMBERS]:
        if isinstance(value, staticmethod | classmethod):
            value = value.__func__
        if isinstance(value, property):
            lines.append(f"  {member} (property) {_first_line(value)}".rstrip())
        elif callable(value):
            shown = _signature(value, member) or f"{member}(...)"
            lines.append(f"  {shown} {_first_line(value)}".rstrip())
        elif isinstance(value, ModuleType):
            continue
        else:
            lines.append(f"  {member} = {_value(value)}")
    if len(items) > MAX_MEMBERS:
        lines.append(f"  ... ({len(items) - MAX_MEMBERS} more)")
    return lines


def _module_mentions(module: str, name: str) -> str | None:
    """The lines of the module's docstring that mention `name`, each with its indented
    continuation (for constants and classes without a docstring of their own)."""
    doc = inspect.getdoc(sys.modules.get(module)) or ""
    last = re.escape(name.rsplit(".", 1)[-1])
    lines = doc.splitlines()
    kept: list[str] = []
    for index, line in enumerate(lines):
        if not re.search(rf"\b{last}\b", line):
            continue
        kept.append(line.strip())
        indent = len(line) - len(line.lstrip())
        for follow in lines[index + 1 : index + 4]:
            if not follow.strip() or len(follow) - len(follow.lstrip()) <= indent:
                break
            kept.append(follow.strip())
        if len(kept) >= 8:
            break
    return "\n".join(dict.fromkeys(kept)) or None


def python_docs(name: str) -> str:
    """Signature, docstring and members of an installed module, class or function."""
    try:
        obj, module = resolve(name)
    except DocsError as err:
        return f"Error: {err}"
    name = name.strip()
    if isinstance(obj, ModuleType):
        kind = "module"
    elif inspect.isclass(obj):
        kind = f"class in {module}"
    elif callable(obj):
        kind = f"function in {module}"
    elif isinstance(obj, property):
        kind = f"property in {module}"
    else:
        kind = f"{type(obj).__name__} value in {module}"
    parts = [f"{name} ({kind})"]
    signature = None if isinstance(obj, ModuleType) else _signature(obj, name)
    if signature:
        parts.append(signature)
    if not callable(obj) and not isinstance(obj, ModuleType | property):
        parts.append(f"value: {_value(obj)}")
    doc = inspect.getdoc(obj) if inspect.isclass(obj) or callable(obj) else None
    if isinstance(obj, ModuleType | property):
        doc = inspect.getdoc(obj)
    if doc:
        parts.append(doc.strip())
    else:
        mentions = _module_mentions(module, name)
        parts.append(
            f"(no docstring; the {module} module's documentation says:)\n{mentions}"
            if mentions
            else "(no docstring)"
        )
    if inspect.isclass(obj) or isinstance(obj, ModuleType):
        members = _members(obj, name)
        if members:
            parts.append(
                ("Members:" if inspect.isclass(obj) else "Names:") + "\n" + "\n".join(members)
            )
    text = "\n\n".join(parts)
    if len(text) > MAX_DOC_CHARS:
        text = text[: MAX_DOC_CHARS - 20] + "\n... [cut]"
    return text


class PythonDocsInput(BaseModel):
    """Arguments of python_docs."""

    name: str = Field(
        min_length=1,
        max_length=200,
        description="Dotted name of an installed module, class or function, e.g. "
        "'csv.DictReader', 'json.dumps', 'pathlib.Path.glob'.",
    )


def docs_tools() -> list[BaseTool]:
    """python_docs (the installed environment is the same for every user)."""
    return [
        StructuredTool.from_function(
            func=python_docs,
            name="python_docs",
            description=(
                "Read the documentation of an installed Python module, class or function by its "
                "dotted name (offline, like pydoc): its signature, docstring and members."
            ),
            args_schema=PythonDocsInput,
        )
    ]
