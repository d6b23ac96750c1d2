"""Tools the executor may use, safe by default.

`build_tools` gives LangChain tools (typed arguments and clear descriptions, ready for
`bind_tools`): the executor's real sources, read-only under the person's project root (files and
their lines, an error's location, a data file's fault, usages of a name, a module's outline, a
linter's findings, a document's summary, the installed environment's documentation), and what it
writes, confined to the workspace (files, notes, outlines, reminders); a memory search when a
search function is passed in, and a shell only when explicitly allowed. The chat model's tool
loop and the offline planner get this same list. `ToolRunner` calls them by name and records
every call as a `ToolCall`, never raising.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from langchain_core.tools import BaseTool

from tools.availability import availability_tools
from tools.categorise import categorise_tools
from tools.changes import change_tools
from tools.checklist import checklist_tools
from tools.codefix import fix_tools
from tools.configcheck import config_check_tools
from tools.crosscheck import cross_check_tools
from tools.csvcheck import csv_check_tools
from tools.datafiles import data_file_tools
from tools.deadlines import deadline_tools
from tools.dependencies import dependency_tools
from tools.digest import digest_tools
from tools.docsearch import docs_search_tools
from tools.drafts import DRAFTS_DIR, draft_tools
from tools.errordata import error_data_tools
from tools.errors import error_tools
from tools.factcheck import fact_check_tools
from tools.facts import fact_tools
from tools.formulas import formula_tools
from tools.imports import import_tools
from tools.lint import lint_tools
from tools.logtrace import logging_tools
from tools.markers import marker_tools
from tools.memory_search import search_memory_tool
from tools.mentions import mention_tools
from tools.messages import message_tools
from tools.notes import NOTES_FILE, write_note_tool
from tools.openitems import open_items_tools
from tools.orders import order_tools
from tools.outline import outline_tools
from tools.patchreview import patch_tools
from tools.policy import policy_tools
from tools.project import project_tools
from tools.pycheck import python_check_tools
from tools.pydocs import docs_tools
from tools.pyeval import pyeval_tools
from tools.pyquery import pyquery_tools
from tools.regex_explain import regex_tools
from tools.reminders import REMINDERS_FILE, reminder_tools
from tools.reorganise import reorganise_tools
from tools.rowfilter import row_filter_tools
from tools.runner import MAX_OUTPUT_CHARS, ToolRunner, truncate
from tools.schedules import schedule_tools
from tools.scripts import script_tools
from tools.shell import run_shell_tool
from tools.statements import statement_tools
from tools.summary import summary_tools
from tools.tables import table_tools
from tools.templates import template_tools
from tools.timeline import timeline_tools
from tools.trace import trace_tools
from tools.workspace import ALL_FILE_TOOLS, DEFAULT_FILE_TOOLS, file_tools, search_text_tool

__all__ = [
    "ALL_FILE_TOOLS",
    "DEFAULT_FILE_TOOLS",
    "MAX_OUTPUT_CHARS",
    "PROJECT_TOOLS",
    "ToolRunner",
    "build_tools",
    "truncate",
]

PROJECT_TOOLS: tuple[str, ...] = (
    "read_lines",
    "find_usages",
    "locate_error",
    "error_records",
    "suggest_fix",
    "check_data_file",
    "lint_file",
    "module_outline",
    "summarise_document",
    "python_docs",
    "docs_for_need",
    "apply_to_column",
    "write_outline",
    "fact_check",
    "check_against",
    "check_config",
    "check_checklist",
    "check_dependencies",
    "review_patch",
    "check_csv_rows",
    "check_python",
    "find_calls",
    "find_definitions",
    "import_cycles",
    "explain_regex",
    "explain_schedule",
    "trace_logging",
    "evaluate_formula",
    "open_items",
    "evaluate_function",
    "trace_function",
    "find_mentions",
    "find_statements",
    "filter_rows",
    "digest_notes",
    "digest_thread",
    "group_totals",
    "profile_table",
    "sort_rows",
    "dated_items",
    "script_interface",
    "read_message",
    "free_slots",
    "note_facts",
    "release_notes",
    "code_markers",
    "common_slots",
    "claim_amount",
    "apply_policy",
    "apply_caps",
    "regroup_checklist",
    "merge_duplicates",
    "dedupe_lines",
    "pick_columns",
    "tidy_imports",
    "sort_by_deadline",
    "sort_by_priority",
    "fill_template",
    "sort_notes",
    "categorise_rows",
)
"""The executor's source and drafting tools, offered with the file tools by default."""
ASSISTANT_FILES = frozenset({NOTES_FILE, REMINDERS_FILE, DRAFTS_DIR})
"""What the assistant itself writes in the workspace: not the person's project, so scans of a
project root that is the workspace leave it out."""


def _directory(path: str | Path, what: str) -> Path:
    if not isinstance(path, str | Path) or not str(path).strip():
        raise ValueError(f"{what} must be a directory path, got {path!r}")
    return Path(path).expanduser().resolve()


def build_tools(
    workspace: Path,
    *,
    memory_search: Callable[[str], str] | None = None,
    allow_shell: bool = False,
    file_tool_names: Sequence[str] = DEFAULT_FILE_TOOLS,
    project_root: Path | str | None = None,
) -> list[BaseTool]:
    """The executor's tools: writing only inside `workspace` (created if missing), reading
    the person's project under `project_root`.

    memory_search: a function from a query to the memory hits as text (bound to the current user
        by the caller); adds the `search_memory` tool.
    allow_shell: add `run_shell` (off by default: a shell is not confined to the workspace).
    file_tool_names: which of the toolkit's file tools to offer (default: read, write, list,
        find; copy_file, move_file and file_delete only when named).
    project_root: the folder the person grants for reading (read_file, search_text, read_lines,
        locate_error, ...); None or empty: the workspace. It must exist.
    """
    root = _directory(workspace, "workspace")
    if root.exists() and not root.is_dir():
        raise ValueError(f"workspace {root} exists and is not a directory")
    root.mkdir(parents=True, exist_ok=True)
    if project_root is None or not str(project_root).strip():
        project = root
    else:
        project = _directory(project_root, "project_root")
        if not project.is_dir():
            raise ValueError(f"project_root {project} is not an existing directory")
    skip = ASSISTANT_FILES if project == root else frozenset()
    tools: list[BaseTool] = [
        *file_tools(root, file_tool_names, project_root=project),
        search_text_tool(project),
        write_note_tool(root),
        *reminder_tools(root),
        *project_tools(project, skip),
        *error_tools(project),
        *error_data_tools(project),
        *fix_tools(project),
        *data_file_tools(project),
        *lint_tools(project),
        *python_check_tools(project),
        *fact_check_tools(project),
        *cross_check_tools(project),
        *config_check_tools(project),
        *checklist_tools(project),
        *dependency_tools(project),
        *patch_tools(project),
        *csv_check_tools(project),
        *outline_tools(project),
        *pyquery_tools(project, skip),
        *pyeval_tools(project),
        *regex_tools(project),
        *schedule_tools(project),
        *logging_tools(project),
        *formula_tools(project),
        *open_items_tools(project),
        *trace_tools(project),
        *mention_tools(project, skip),
        *statement_tools(project, skip),
        *row_filter_tools(project),
        *summary_tools(project),
        *digest_tools(project),
        *table_tools(project),
        *timeline_tools(project),
        *reorganise_tools(project),
        *import_tools(project),
        *deadline_tools(project),
        *template_tools(project),
        *categorise_tools(project),
        *docs_tools(),
        *docs_search_tools(project),
        *draft_tools(root),
        *script_tools(project),
        *message_tools(project),
        *fact_tools(project),
        *change_tools(project),
        *availability_tools(project),
        *order_tools(project),
        *policy_tools(project),
        *marker_tools(project, skip),
    ]
    if memory_search is not None:
        tools.append(search_memory_tool(memory_search))
    if allow_shell:
        tools.append(run_shell_tool(root))
    return tools
