"""`lint_file`: a real linter's findings on a Python file of the project (ruff).

A review that "runs no check" is a restatement; ruff is fast (tens of milliseconds a file), a
main dependency, and run isolated (`--isolated`: no configuration from the person's project, so a
hostile `pyproject.toml` cannot change what runs) and without a cache (nothing is written).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, read_text, relative

LINT_TIMEOUT_SECONDS = 10.0
"""Longest a ruff run may take."""
MAX_FINDINGS = 60
"""Findings listed (the count says how many there were)."""
SELECTED_RULES = "A001,E4,E7,E9,F,B,PLE,PLW,RUF013,S102,S110,S307,S506,S602,S608"
"""What a review checks, chosen rather than ruff's default set (which changes between releases
and grew to style rules: import order, simplifications): a variable hiding a built-in (A001),
pyflakes (undefined and unused names), comparisons to None and bare except (E7), syntax (E9),
bugbear (mutable defaults, calls in defaults), pylint's errors and warnings, implicit Optional,
an exception swallowed by `pass`, and `exec`/`eval`/unsafe YAML/shell/SQL built from data."""
IGNORED_RULES = "B007,B904,B905,PLW0603,PLW1641,PLW2901"
"""Noise in a review: an unused loop variable, `raise ... from`, zip without strict, a global
statement, __eq__ without __hash__, a loop variable reassigned."""
PYTHON_SUFFIXES = (".py", ".pyi")
"""Files lint_file checks."""


@cache
def ruff_binary() -> str | None:
    """The ruff executable installed with this environment, else the one on PATH."""
    try:
        from ruff.__main__ import find_ruff_bin

        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("ruff")


def lint_file(root: Path, path: str) -> str:
    """ruff's findings on a project Python file, one 'path:line:col: CODE message' a line."""
    try:
        real, _ = read_text(root, path)
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    if real.suffix not in PYTHON_SUFFIXES:
        return f"Error: lint_file checks Python files (.py); {name} is not one"
    binary = ruff_binary()
    if binary is None:
        return "Error: ruff is not installed in this environment"
    command = [
        binary,
        "check",
        "--output-format",
        "concise",
        "--no-cache",
        "--isolated",
        "--select",
        SELECTED_RULES,
        "--ignore",
        IGNORED_RULES,
        "--",
        name,
    ]
    try:
        done = subprocess.run(
            command,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=LINT_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"Error: ruff took longer than {LINT_TIMEOUT_SECONDS:g} s on {name}"
    except OSError as err:
        return f"Error: ruff could not run: {err}"
    finding = re.compile(rf"^{re.escape(name)}:\d+:\d+: ")
    findings = [
        line.replace(" [*] ", " ", 1) for line in done.stdout.splitlines() if finding.match(line)
    ]
    if done.returncode not in (0, 1) or (done.returncode == 1 and not findings):
        why = (done.stderr or done.stdout).strip().splitlines()
        return f"Error: ruff failed on {name}: {why[-1] if why else done.returncode}"
    if not findings:
        return f"{name}: no findings (ruff check)"
    shown = findings[:MAX_FINDINGS]
    more = len(findings) - len(shown)
    if more:
        shown.append(f"... and {more} more")
    return "\n".join(shown)


class LintFileInput(BaseModel):
    """Arguments of lint_file."""

    path: str = Field(min_length=1, description="A .py file, relative to the project root.")


def lint_tools(root: Path) -> list[BaseTool]:
    """lint_file over the project folder `root`."""
    root = Path(root).resolve()

    def lint_file_tool(path: str) -> str:
        return lint_file(root, path)

    return [
        StructuredTool.from_function(
            func=lint_file_tool,
            name="lint_file",
            description=(
                "Run the ruff linter on a Python file of the person's project; returns one "
                "'path:line:col: CODE message' line per finding, or 'no findings'."
            ),
            args_schema=LintFileInput,
        )
    ]
