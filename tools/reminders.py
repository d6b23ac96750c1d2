"""Tools that keep the user's reminders in the workspace's `reminders.jsonl`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

REMINDERS_FILE = "reminders.jsonl"
"""The reminders file, relative to the workspace: one JSON object a line."""
MAX_TEXT_CHARS = 1000
MAX_LISTED = 50
"""list_reminders shows at most this many (the latest)."""


class SetReminderInput(BaseModel):
    """Arguments of set_reminder."""

    text: str = Field(
        min_length=1, max_length=MAX_TEXT_CHARS, description="What to remind the user of."
    )
    when: str = Field(
        min_length=1,
        max_length=200,
        description="When, as an ISO 8601 date-time ('2026-11-26T09:00') or plain words "
        "('tomorrow morning').",
    )


class ListRemindersInput(BaseModel):
    """list_reminders takes no arguments."""


def _due(when: str) -> str | None:
    """The ISO form of `when` when it is a date-time, else None (plain words are kept as given)."""
    try:
        return datetime.fromisoformat(when.strip().replace("Z", "+00:00")).isoformat()
    except ValueError:
        return None


def reminder_tools(
    workspace: Path, *, now: Callable[[], datetime] = datetime.now
) -> list[BaseTool]:
    """set_reminder and list_reminders over `reminders.jsonl` in `workspace`."""
    root = Path(workspace).resolve()
    path = root / REMINDERS_FILE
    escape = f"Error: Access denied: {REMINDERS_FILE} leads outside the workspace"

    def confined() -> bool:
        return path.resolve().is_relative_to(root)  # False for a symlink leading out

    def read_all() -> list[dict]:
        if not path.exists():
            return []
        records = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a hand-edited or torn line must not hide the others
            if isinstance(record, dict):
                records.append(record)
        return records

    def set_reminder(text: str, when: str) -> str:
        if not confined():
            return escape
        record = {
            "text": " ".join(text.split()),
            "when": when.strip(),
            "due": _due(when),
            "created": now().isoformat(timespec="seconds"),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return f"Reminder set for {record['when']}: {record['text']}"

    def list_reminders() -> str:
        if not confined():
            return escape
        records = read_all()
        if not records:
            return "No reminders."
        shown = records[-MAX_LISTED:]
        lines = [f"- {r.get('when', '?')}: {r.get('text', '')}" for r in shown]
        if len(records) > len(shown):
            lines.insert(0, f"(latest {len(shown)} of {len(records)})")
        return "\n".join(lines)

    return [
        StructuredTool.from_function(
            func=set_reminder,
            name="set_reminder",
            description=(
                f"Set a reminder for the user (stored in {REMINDERS_FILE} in the workspace)."
            ),
            args_schema=SetReminderInput,
        ),
        StructuredTool.from_function(
            func=list_reminders,
            name="list_reminders",
            description="List the user's reminders, oldest first.",
            args_schema=ListRemindersInput,
        ),
    ]
