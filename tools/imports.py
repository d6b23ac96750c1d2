"""`tidy_imports`: a Python file's import block put in PEP 8 order by a real tool (ruff).

ruff's isort rules (`I`) sort the imports into groups (standard library, third-party, the
project's own, relative imports), each alphabetical, and `F401` drops the imports the file never
uses. The file is read from the project and fixed through ruff's stdin, so nothing on disk changes
here and the person's code is never run; the project's own top-level packages and modules are
told to ruff as first-party so they form their own group. The rest of the file is left as it is.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.lint import PYTHON_SUFFIXES, ruff_binary
from tools.project import ProjectFileError, read_text, relative

TIDY_TIMEOUT_SECONDS = 10.0
"""Longest one ruff run may take."""
MAX_FIRST_PARTY = 200
"""Most project module names passed to ruff as first-party."""

_BROKEN = re.compile(r":(?P<line>\d+):\d+: (?:invalid-syntax|SyntaxError|E999)\W+(?P<why>[^\n]*)")
_UNUSED = re.compile(r":(?P<line>\d+):\d+: F401 (?:\[\*\] )?`(?P<name>[^`]+)` imported but unused")


def _first_party(root: Path) -> list[str]:
    """The project's own importable top-level names: packages and modules at its root."""
    names = []
    for entry in sorted(root.iterdir()):
        stem = entry.stem if entry.suffix == ".py" else entry.name
        if entry.name.startswith((".", "_")) or not stem.isidentifier():
            continue
        if entry.suffix == ".py" or (entry.is_dir() and any(entry.glob("*.py"))):
            names.append(stem)
    return list(dict.fromkeys(names))[:MAX_FIRST_PARTY]


def _ruff(root: Path, name: str, text: str, rules: str, fix: bool) -> subprocess.CompletedProcess:
    binary = ruff_binary()
    if binary is None:
        raise OSError("ruff is not installed in this environment")
    known = ", ".join(repr(n) for n in _first_party(root))
    command = [binary, "check", "--isolated", "--no-cache", "--select", rules, "--exit-zero"]
    command += ["--config", f"lint.isort.known-first-party = [{known}]"]
    command += ["--fix"] if fix else ["--output-format", "concise"]
    command += ["--stdin-filename", name, "-"]
    return subprocess.run(
        command,
        cwd=root,
        input=text,
        capture_output=True,
        text=True,
        timeout=TIDY_TIMEOUT_SECONDS,
        check=False,
    )


def tidy_imports(root: Path, path: str, remove_unused: bool = True) -> str:
    """A Python file's text with its imports grouped and sorted (and the unused ones removed):
    a line saying what changed, a blank line, then the whole new text."""
    try:
        real, text = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    if real.suffix not in PYTHON_SUFFIXES:
        return f"Error: tidy_imports sorts the imports of Python files (.py); {name} is not one"
    rules = "I,F401" if remove_unused else "I"
    try:
        found = _ruff(root, name, text, rules, fix=False)
        fixed = _ruff(root, name, text, rules, fix=True)
    except subprocess.TimeoutExpired:
        return f"Error: ruff took longer than {TIDY_TIMEOUT_SECONDS:g} s on {name}"
    except OSError as err:
        return f"Error: ruff could not run: {err}"
    if fixed.returncode != 0 or not fixed.stdout.strip():
        why = (fixed.stderr or fixed.stdout).strip().splitlines()
        return f"Error: ruff could not sort the imports of {name}: {why[-1] if why else '?'}"
    broken = _BROKEN.search(found.stdout)
    if broken:
        # ruff fixes nothing in a file it cannot parse; saying "already sorted" would mislead.
        return (
            f"Error: {name} does not parse as Python (line {broken['line']}: {broken['why']}); "
            "its imports were not changed"
        )
    unused = list(_UNUSED.finditer(found.stdout))
    gone = [f"`{m['name']}` (line {m['line']})" for m in unused if m["name"] not in fixed.stdout]
    if fixed.stdout == text:
        said = f"{name}: its imports are already grouped and sorted; nothing to change."
    else:
        removed = f"; removed the unused {', '.join(gone)}" if gone else ""
        said = (
            f"{name}: imports grouped as PEP 8 asks (standard library, third-party, then the "
            f"project's own and relative imports), each group sorted{removed}; the rest of the "
            "file is unchanged."
        )
    return f"{said}\n\n{fixed.stdout}"


class TidyImportsInput(BaseModel):
    """Arguments of tidy_imports."""

    path: str = Field(min_length=1, description="A .py file, relative to the project root.")
    remove_unused: bool = Field(default=True, description="Also drop the imports never used.")


def import_tools(root: Path) -> list[BaseTool]:
    """tidy_imports over the project folder `root`."""
    root = Path(root).resolve()

    def tidy_tool(path: str, remove_unused: bool = True) -> str:
        return tidy_imports(root, path, remove_unused)

    return [
        StructuredTool.from_function(
            func=tidy_tool,
            name="tidy_imports",
            description=(
                "Put a Python file's imports in PEP 8 order with ruff (standard library, "
                "third-party, local groups, each sorted) and drop unused ones; returns what "
                "changed and the new file text (the file itself is not written)."
            ),
            args_schema=TidyImportsInput,
        )
    ]
