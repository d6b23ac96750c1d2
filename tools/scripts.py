"""`script_interface`: a Python script's command-line interface, read from its syntax tree.

A README or usage note for a script must list the options the script really has. They are in
its `argparse` calls (`add_argument` with flags, default, help, required, choices, nargs), its
`click` decorators, or its use of `sys.argv`; what it writes is in its `sys.stdout`/`print`
calls and the files it opens for writing; its commands are in `pyproject.toml`'s
`[project.scripts]`. All of it is read with `ast` and `tomllib`, never by running the code.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, clip, read_text, relative

MAX_OPTIONS = 40
"""Options listed."""
_HELP_CHARS = 160
"""Longest help text quoted for one option."""


@dataclass
class Option:
    """One command-line argument the script declares."""

    flags: list[str]
    """Its flags ('-o', '--output') or, for a positional, its name."""
    line: int
    """The line of its declaration."""
    positional: bool = False
    """Whether it is a positional argument."""
    details: dict[str, str] = field(default_factory=dict)
    """default, type, action, choices, nargs, required, metavar: as written in the source."""
    help: str = ""
    """Its help text."""

    @property
    def is_flag(self) -> bool:
        """Whether it takes no value (store_true and the like)."""
        action = self.details.get("action", "")
        return action in {"store_true", "store_false", "count", "store_const", "version", "help"}

    @property
    def metavar(self) -> str:
        """The placeholder of its value, as argparse would print it."""
        if "metavar" in self.details:
            return self.details["metavar"]
        long = [f for f in self.flags if f.startswith("--")] or self.flags
        return long[0].lstrip("-").replace("-", "_").upper()


@dataclass
class Interface:
    """What a script's command line and outputs are."""

    path: str
    """The script, relative to the project root."""
    framework: str = ""
    """'argparse', 'click', 'sys.argv' or '' (no command line found)."""
    docstring: str = ""
    """The module docstring's first paragraph."""
    description: str = ""
    """The parser's description."""
    options: list[Option] = field(default_factory=list)
    """Its arguments, in declaration order."""
    writes: list[str] = field(default_factory=list)
    """Where it writes ('standard output (line 27)', 'the file given by --output (line 24)')."""
    commands: list[str] = field(default_factory=list)
    """Entry points in pyproject.toml that run it ('csv2json = csv2json:main')."""


def _literal(node: ast.AST) -> str:
    """A keyword value as the source writes it (a string's text, a name's name)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return ast.unparse(node)


def _is_call_to(node: ast.AST, attribute: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == attribute
    )


def _argparse_option(call: ast.Call) -> Option | None:
    flags = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if not flags:
        return None
    option = Option(flags=flags, line=call.lineno, positional=not flags[0].startswith("-"))
    for keyword in call.keywords:
        if keyword.arg is None:
            continue
        if keyword.arg == "help":
            option.help = " ".join(_literal(keyword.value).split())[:_HELP_CHARS]
        elif keyword.arg in {
            "default",
            "type",
            "action",
            "choices",
            "nargs",
            "required",
            "metavar",
        }:
            option.details[keyword.arg] = _literal(keyword.value)
    return option


def _click_option(decorator: ast.Call) -> Option | None:
    name = decorator.func.attr if isinstance(decorator.func, ast.Attribute) else ""
    flags = [
        a.value for a in decorator.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
    ]
    if name not in {"option", "argument"} or not flags:
        return None
    option = Option(flags=flags, line=decorator.lineno, positional=name == "argument")
    for keyword in decorator.keywords:
        if keyword.arg == "help":
            option.help = " ".join(_literal(keyword.value).split())[:_HELP_CHARS]
        elif keyword.arg == "is_flag" and _literal(keyword.value) == "True":
            option.details["action"] = "store_true"
        elif keyword.arg in {"default", "type", "required", "nargs", "metavar"}:
            option.details[keyword.arg] = _literal(keyword.value)
    return option


def _writes(tree: ast.Module, options: list[Option]) -> list[str]:
    """Where the script writes: standard output, and files opened for writing."""
    out: list[str] = []
    dests = {o.metavar.lower(): o for o in options}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = ast.unparse(node.func)
        if func in {"sys.stdout.write", "print"} and not any(
            k.arg == "file" for k in node.keywords
        ):
            out.append(f"standard output (stdout), line {node.lineno}")
        elif func == "open" and len(node.args) >= 2 and _literal(node.args[1])[:1] in "wax":
            target = node.args[0]
            if isinstance(target, ast.Attribute) and target.attr in dests:
                flag = dests[target.attr].flags[-1]
                out.append(f"the file given by {flag}, line {node.lineno}")
            else:
                out.append(f"the file {ast.unparse(target)}, line {node.lineno}")
    grouped: dict[str, list[str]] = {}
    for target in sorted(out, key=lambda w: int(w.rsplit(" ", 1)[-1])):
        where, _, line = target.rpartition(", line ")
        grouped.setdefault(where, []).append(line)
    return [
        f"{where}, line{'s' if len(lines) > 1 else ''} {', '.join(dict.fromkeys(lines))}"
        for where, lines in grouped.items()
    ]


def _commands(root: Path, module: str) -> list[str]:
    """pyproject.toml's [project.scripts] entries that point into `module`."""
    try:
        _, text = read_text(root, "pyproject.toml")
        scripts = tomllib.loads(text).get("project", {}).get("scripts", {})
    except (ProjectFileError, tomllib.TOMLDecodeError, AttributeError):
        return []
    if not isinstance(scripts, dict):
        return []
    return [
        f"{name} = {target}"
        for name, target in sorted(scripts.items())
        if isinstance(target, str) and target.split(":")[0].rsplit(".", 1)[-1] == module
    ]


def read_interface(root: Path, path: str) -> Interface:
    """The command-line interface of the script at `path` (ProjectFileError if unreadable)."""
    real, text = read_text(root, path)
    if real.suffix.lower() not in {".py", ".pyw"} and not text.startswith("#!"):
        raise ProjectFileError(f"{path} is not a Python script")
    try:
        tree = ast.parse(text)
    except SyntaxError as err:
        raise ProjectFileError(f"{path} does not parse as Python (line {err.lineno})") from err
    found = Interface(path=relative(root, real))
    doc = ast.get_docstring(tree) or ""
    found.docstring = " ".join(doc.split("\n\n", 1)[0].split())
    for node in ast.walk(tree):
        if _is_call_to(node, "ArgumentParser"):
            assert isinstance(node, ast.Call)
            found.framework = "argparse"
            for keyword in node.keywords:
                if keyword.arg == "description":
                    found.description = " ".join(_literal(keyword.value).split())
        elif _is_call_to(node, "add_argument"):
            assert isinstance(node, ast.Call)
            option = _argparse_option(node)
            if option:
                found.options.append(option)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call):
                    option = _click_option(decorator)
                    if option:
                        found.framework = found.framework or "click"
                        found.options.append(option)
    if not found.framework and "sys.argv" in text:
        found.framework = "sys.argv"
    found.options.sort(key=lambda o: o.line)
    found.options = found.options[:MAX_OPTIONS]
    found.writes = _writes(tree, found.options)
    found.commands = _commands(root, real.stem)
    return found


def usage_line(interface: Interface, program: str) -> str:
    """A usage line in argparse's own style: optional options in brackets, positionals last."""
    parts = [program]
    for option in interface.options:
        if option.positional:
            continue
        flag = option.flags[0]
        value = "" if option.is_flag else f" {option.metavar}"
        required = option.details.get("required") == "True"
        parts.append(f"{flag}{value}" if required else f"[{flag}{value}]")
    parts += [o.flags[0] for o in interface.options if o.positional]
    return " ".join(parts)


def describe(interface: Interface) -> str:
    """The interface as plain lines: the tool's output."""
    lines = [f"{interface.path}: command line read with {interface.framework or 'no parser'}"]
    if interface.docstring:
        lines.append(f"module docstring: {interface.docstring}")
    if interface.description:
        lines.append(f"description: {interface.description}")
    program = f"python {interface.path}"
    lines.append(f"usage: {usage_line(interface, program)}")
    for option in interface.options:
        shown = ", ".join(option.flags)
        if not option.positional and not option.is_flag:
            shown += f" {option.metavar}"
        facts = ["positional" if option.positional else "flag" if option.is_flag else "option"]
        facts += [f"{key}={value}" for key, value in sorted(option.details.items())]
        help_text = f": {option.help}" if option.help else ""
        lines.append(clip(f"line {option.line}: {shown} ({'; '.join(facts)}){help_text}"))
    if not interface.options:
        lines.append("no command-line options declared")
    for target in interface.writes:
        lines.append(f"writes to {target}")
    for command in interface.commands:
        lines.append(f"entry point in pyproject.toml: {command}")
    return "\n".join(lines)


def script_interface(root: Path, path: str) -> str:
    """The tool's answer: the script's interface, or an error line."""
    try:
        return describe(read_interface(root, path))
    except ProjectFileError as err:
        return f"Error: {err}"


class ScriptInterfaceInput(BaseModel):
    """Arguments of script_interface."""

    path: str = Field(description="The Python script.")


def script_tools(root: Path) -> list[BaseTool]:
    """script_interface over the project folder `root`."""
    root = Path(root).resolve()

    def script_interface_tool(path: str) -> str:
        return script_interface(root, path)

    return [
        StructuredTool.from_function(
            func=script_interface_tool,
            name="script_interface",
            description=(
                "A Python script's command line, read without running it: docstring, usage, each "
                "argparse/click option (flags, default, type, choices, help, line), where it "
                "writes, pyproject entry points."
            ),
            args_schema=ScriptInterfaceInput,
        )
    ]
