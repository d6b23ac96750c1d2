"""Tools that keep the user's reminders in the workspace's `reminders.jsonl`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field, field_validator

from graphs.state import parse_time

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
        description="When: an ISO 8601 date-time ('2026-11-26T09:00'), unix seconds, a clock "
        "time ('14:30', '9:30 am', 'tomorrow 09:00') read on the day of event_time, or plain "
        "words ('tomorrow morning').",
    )
    event_time: str = Field(
        default="",
        max_length=100,
        description="The time of the event the reminder comes from (unix seconds or ISO); a "
        "clock time in `when` is read on that day (the next day once it has passed).",
    )

    @field_validator("event_time", mode="before")
    @classmethod
    def _seconds_as_text(cls, value: Any) -> Any:
        """Unix seconds may come as a number."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return repr(value)
        return "" if value is None else value


class ListRemindersInput(BaseModel):
    """list_reminders takes no arguments."""


_CLOCK = re.compile(
    r"^(?:(?P<tomorrow>tomorrow)\s+(?:at\s+)?|(?:today\s+)?(?:at\s+)?)"
    r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?$",
    re.IGNORECASE,
)
"""A clock time: '14:30', '9:30 am', '9pm', 'at 9:00', 'tomorrow 09:00'."""
_UNIX = re.compile(r"^\d{9,11}(\.\d+)?$")


def _reference(event_time: str | float | None, now: Callable[[], datetime]) -> datetime:
    """The moment a clock time is read against: the event's time (UTC, as the planner reads
    events), else now."""
    if event_time is None or (isinstance(event_time, str) and not event_time.strip()):
        return now().replace(microsecond=0)
    seconds = parse_time(event_time)
    return datetime.fromtimestamp(seconds, tz=UTC).replace(tzinfo=None)


def _due(
    when: str,
    event_time: str | float | None = None,
    now: Callable[[], datetime] = datetime.now,
) -> str | None:
    """The ISO form of `when` when it names a moment, else None (plain words are kept as given).

    Raises ValueError for a clock time that does not exist ('25:00') or a bad event_time."""
    text = when.strip()
    if _UNIX.match(text):
        return datetime.fromtimestamp(float(text), tz=UTC).replace(tzinfo=None).isoformat()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        pass
    clock = _CLOCK.match(text)
    if clock is None:
        return None
    hour, minute = int(clock["hour"]), int(clock["minute"] or 0)
    if clock["ampm"]:
        if not 1 <= hour <= 12:
            raise ValueError(f"{when!r} is not a clock time")
        hour = hour % 12 + (12 if clock["ampm"].lower().startswith("p") else 0)
    elif clock["minute"] is None:
        return None  # a bare number is not a time
    if hour > 23 or minute > 59:
        raise ValueError(f"{when!r} is not a clock time")
    base = _reference(event_time, now)
    due = base.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if clock["tomorrow"]:
        due += timedelta(days=1)
    elif due < base:
        due += timedelta(days=1)  # '9:00' said in the afternoon means the next one
    return due.isoformat()


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

    def set_reminder(text: str, when: str, event_time: str = "") -> str:
        if not confined():
            return escape
        try:
            due = _due(when, event_time, now)
        except (ValueError, OverflowError, OSError) as err:
            return f"Error: cannot read the reminder's time: {err}"
        record = {
            "text": " ".join(text.split()),
            "when": when.strip(),
            "due": due,
            "created": now().isoformat(timespec="seconds"),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        at = f" (due {due})" if due and not due.startswith(record["when"]) else ""
        return f"Reminder set for {record['when']}{at}: {record['text']}"

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
