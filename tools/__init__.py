"""Tools the executor may use, safe by default.

`build_tools` gives LangChain tools (typed arguments and clear descriptions, ready for
`bind_tools`): file tools confined to a workspace folder, text search, notes, reminders, a memory
search when a search function is passed in, and a shell only when explicitly allowed.
`ToolRunner` calls them by name and records every call as a `ToolCall`, never raising.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from langchain_core.tools import BaseTool

from tools.memory_search import search_memory_tool
from tools.notes import write_note_tool
from tools.reminders import reminder_tools
from tools.runner import MAX_OUTPUT_CHARS, ToolRunner, truncate
from tools.shell import run_shell_tool
from tools.workspace import ALL_FILE_TOOLS, DEFAULT_FILE_TOOLS, file_tools, search_text_tool

__all__ = [
    "ALL_FILE_TOOLS",
    "DEFAULT_FILE_TOOLS",
    "MAX_OUTPUT_CHARS",
    "ToolRunner",
    "build_tools",
    "truncate",
]


def build_tools(
    workspace: Path,
    *,
    memory_search: Callable[[str], str] | None = None,
    allow_shell: bool = False,
    file_tool_names: Sequence[str] = DEFAULT_FILE_TOOLS,
) -> list[BaseTool]:
    """The executor's tools, acting only inside `workspace` (created if missing).

    memory_search: a function from a query to the memory hits as text (bound to the current user
        by the caller); adds the `search_memory` tool.
    allow_shell: add `run_shell` (off by default: a shell is not confined to the workspace).
    file_tool_names: which of the toolkit's file tools to offer (default: read, write, list,
        find; copy_file, move_file and file_delete only when named).
    """
    if not isinstance(workspace, str | Path) or not str(workspace).strip():
        raise ValueError(f"workspace must be a directory path, got {workspace!r}")
    root = Path(workspace).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise ValueError(f"workspace {root} exists and is not a directory")
    root.mkdir(parents=True, exist_ok=True)
    tools: list[BaseTool] = [
        *file_tools(root, file_tool_names),
        search_text_tool(root),
        write_note_tool(root),
        *reminder_tools(root),
    ]
    if memory_search is not None:
        tools.append(search_memory_tool(memory_search))
    if allow_shell:
        tools.append(run_shell_tool(root))
    return tools
