"""A tool that keeps dated markdown notes in the workspace's `assistant-notes.md` (a name of
its own: a person's `notes.md` is theirs, never written or skipped by the assistant)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

NOTES_FILE = "assistant-notes.md"
"""The notes file, relative to the workspace."""
MAX_TITLE_CHARS = 200
MAX_BODY_CHARS = 20_000


class WriteNoteInput(BaseModel):
    """Arguments of write_note."""

    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS, description="A short title.")
    body: str = Field(
        min_length=1, max_length=MAX_BODY_CHARS, description="The note itself, in markdown."
    )


def write_note_tool(workspace: Path, *, now: Callable[[], datetime] = datetime.now) -> BaseTool:
    """A tool that appends a dated note to `NOTES_FILE` in `workspace`."""
    root = Path(workspace).resolve()
    path = root / NOTES_FILE

    def write_note(title: str, body: str) -> str:
        if not path.resolve().is_relative_to(root):  # a symlink put in the workspace
            return f"Error: Access denied: {NOTES_FILE} leads outside the workspace"
        heading = " ".join(title.split())
        stamp = now().isoformat(sep=" ", timespec="minutes")
        entry = f"## {heading}\n_{stamp}_\n\n{body.strip()}\n\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(entry)
        return f"Note '{heading}' added to {NOTES_FILE}."

    return StructuredTool.from_function(
        func=write_note,
        name="write_note",
        description=(
            f"Save a note for the user: appends a dated markdown section to {NOTES_FILE} in the "
            "workspace. Use for summaries, findings and drafts the user may want later."
        ),
        args_schema=WriteNoteInput,
    )
