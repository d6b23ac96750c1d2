"""File tools confined to one workspace directory.

The file tools come from LangChain's `FileManagementToolkit(root_dir=...)`, which resolves every
path (symlinks included) against the workspace and refuses anything outside it with "Error: Access
denied ...". Only reading, writing, listing and finding files are offered by default; copying,
moving and deleting must be asked for by name. `search_text` (find lines containing a string) is
this project's own, confined with the toolkit's path check.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

with warnings.catch_warnings():
    # langchain-community announces its sunset on import; it is used here on purpose, for the
    # path-confined file tools it alone provides (docs/memory.md), so the notice is not repeated.
    warnings.filterwarnings(
        "ignore", message=".*langchain-community.*", category=DeprecationWarning
    )
    from langchain_community.agent_toolkits import FileManagementToolkit
    from langchain_community.tools.file_management.read import ReadFileTool
    from langchain_community.tools.file_management.utils import (
        INVALID_PATH_TEMPLATE,
        FileValidationError,
        get_validated_relative_path,
    )

DEFAULT_FILE_TOOLS: tuple[str, ...] = ("read_file", "write_file", "list_directory", "file_search")
"""File tools offered unless others are asked for (no copy_file, move_file or file_delete)."""
READ_ONLY_FILE_TOOLS: frozenset[str] = frozenset({"read_file", "list_directory", "file_search"})
"""File tools that only read: they read the project root (by default the workspace itself)."""
ALL_FILE_TOOLS: tuple[str, ...] = DEFAULT_FILE_TOOLS + ("copy_file", "move_file", "file_delete")
"""Every file tool the toolkit has."""

MAX_READ_CHARS = 100_000
"""read_file returns at most this many characters of a file (the runner cuts further)."""
MAX_SEARCH_HITS = 50
"""search_text stops after this many matching lines."""
MAX_SEARCH_FILE_BYTES = 1_000_000
"""search_text skips files larger than this."""
MAX_SEARCH_FILES = 5_000
"""search_text looks at no more than this many files."""
MAX_LINE_CHARS = 200
"""search_text cuts each matching line to this length."""

_DESCRIPTIONS = {
    "read_file": (
        "Read a text file of the person's project (the project root: the workspace unless "
        "another folder is granted). file_path is relative to the project root."
    ),
    "write_file": (
        "Write text to a file in the workspace (creating folders as needed); set append=true "
        "to add to the end instead of replacing. file_path is relative to the workspace."
    ),
    "list_directory": ("List the files and folders of a project folder ('.' is the project root)."),
    "file_search": (
        "Find files by name under a project folder with a shell pattern such as '*.py' or "
        "'report*'. Returns paths relative to that folder."
    ),
    "copy_file": "Copy a file inside the workspace.",
    "move_file": "Move or rename a file inside the workspace.",
    "file_delete": "Delete a file in the workspace.",
}


class _BoundedReadFileTool(ReadFileTool):
    """The toolkit's read_file, reading no more than `MAX_READ_CHARS` characters."""

    def _run(self, file_path: str, run_manager: object = None) -> str:  # type: ignore[override]
        try:
            path = self.get_relative_path(file_path)
        except FileValidationError:
            return INVALID_PATH_TEMPLATE.format(arg_name="file_path", value=file_path)
        if not path.exists():
            return f"Error: no such file or directory: {file_path}"
        if not path.is_file():
            return f"Error: not a file: {file_path}"
        try:
            with path.open("r", encoding="utf-8", errors="replace") as handle:
                text = handle.read(MAX_READ_CHARS + 1)
        except Exception as err:  # the toolkit's convention: errors come back as text
            return f"Error: {err}"
        if len(text) > MAX_READ_CHARS:
            return text[:MAX_READ_CHARS] + f"\n... [file longer than {MAX_READ_CHARS} characters]"
        return text


def file_tools(
    workspace: Path, names: Sequence[str] = DEFAULT_FILE_TOOLS, project_root: Path | None = None
) -> list[BaseTool]:
    """The toolkit's file tools named in `names`: the reading ones confined to `project_root`
    (default: the workspace), the writing ones to `workspace`."""
    unknown = [name for name in names if name not in ALL_FILE_TOOLS]
    if unknown:
        raise ValueError(f"unknown file tools {unknown}; known: {list(ALL_FILE_TOOLS)}")
    root = str(Path(workspace).resolve())
    read_root = str(Path(project_root).resolve()) if project_root is not None else root
    result: list[BaseTool] = []
    for name in names:
        where = read_root if name in READ_ONLY_FILE_TOOLS else root
        if name == "read_file":
            tool: BaseTool = _BoundedReadFileTool(root_dir=where)
        else:
            tool = FileManagementToolkit(root_dir=where, selected_tools=[name]).get_tools()[0]
        tool.description = _DESCRIPTIONS[tool.name]
        result.append(tool)
    return result


class SearchTextInput(BaseModel):
    """Arguments of search_text."""

    text: str = Field(min_length=1, description="The text to look for (case-insensitive).")
    dir_path: str = Field(
        default=".", description="Workspace folder to search under ('.' is the whole workspace)."
    )


def search_text_tool(workspace: Path) -> BaseTool:
    """A tool that lists the lines of workspace text files that contain a string."""
    root = Path(workspace).resolve()

    def search_text(text: str, dir_path: str = ".") -> str:
        try:
            start = get_validated_relative_path(root, dir_path)
        except FileValidationError:
            return INVALID_PATH_TEMPLATE.format(arg_name="dir_path", value=dir_path)
        if not start.is_dir():
            return f"Error: no such folder in the workspace: {dir_path}"
        needle = text.lower()
        hits: list[str] = []
        seen = 0
        for folder, dirs, files in os.walk(start):  # os.walk does not follow folder symlinks
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                seen += 1
                if seen > MAX_SEARCH_FILES:
                    hits.append(f"... stopped after {MAX_SEARCH_FILES} files")
                    return "\n".join(hits)
                path = Path(folder) / name
                try:
                    real = path.resolve()
                    if not real.is_relative_to(root) or not real.is_file():
                        continue  # a symlink leading out of the workspace
                    if real.stat().st_size > MAX_SEARCH_FILE_BYTES:
                        continue
                    data = real.read_bytes()
                except OSError:
                    continue
                if b"\0" in data[:4096]:
                    continue  # binary
                content = data.decode("utf-8", errors="replace")
                relative = path.relative_to(root).as_posix()
                for number, line in enumerate(content.splitlines(), start=1):
                    if needle in line.lower():
                        shown = line.strip()[:MAX_LINE_CHARS]
                        hits.append(f"{relative}:{number}: {shown}")
                        if len(hits) >= MAX_SEARCH_HITS:
                            hits.append(f"... stopped after {MAX_SEARCH_HITS} matching lines")
                            return "\n".join(hits)
        if not hits:
            return f"No line contains {text!r} under {dir_path}"
        return "\n".join(hits)

    return StructuredTool.from_function(
        func=search_text,
        name="search_text",
        description=(
            "Find lines containing some text in the project's text files. Returns "
            "'path:line: text' for each match (at most 50)."
        ),
        args_schema=SearchTextInput,
    )
