"""The inbox page's own reading: the person's latest answers with what was done for each, and
the files in the workspace. What waits and answering it live in `service.answers`, which the
inbox shares with the worker host's endpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.graph.state import CompiledStateGraph

from graphs.persistence import thread_ids
from service.ownership import belongs


def history(
    graph: CompiledStateGraph, memory: Any, user: str, limit: int = 50
) -> list[dict[str, Any]]:
    """The person's latest answers, the latest answered first (an answer's event time says
    when the user did something, not when the person answered), each with what was carried
    out for it."""
    executions: dict[tuple[str, str], dict[str, Any]] = {}
    answered: dict[tuple[str, int, str, str], tuple[str, int]] = {}
    for thread in thread_ids(graph):
        snapshot = graph.get_state({"configurable": {"thread_id": thread}})
        if not belongs(snapshot.metadata, user):
            continue
        # A thread's answers are in its proposals' order; the thread's last write is when
        # its latest one was given.
        for position, made in enumerate((snapshot.values or {}).get("proposals", [])):
            key = (thread, made.event_index, made.task, made.outcome)
            answered[key] = (str(snapshot.created_at or ""), position)
        for done in (snapshot.values or {}).get("executions", []):
            executions[(thread, done.task)] = {
                "summary": done.summary,
                "ok": done.ok,
                "files": sorted(
                    {
                        str(call.args.get(key))
                        for call in done.calls
                        for key in ("file_path", "path", "file")
                        if call.ok and isinstance(call.args.get(key), str)
                    }
                ),
                "notes": [
                    str(call.args.get("title"))
                    for call in done.calls
                    if call.ok and call.tool == "write_note"
                ],
                "reminders": [
                    str(call.args.get("text") or call.args.get("title") or "")
                    for call in done.calls
                    if call.ok and call.tool == "set_reminder"
                ],
            }
    out = []
    records = memory.recent_feedback(user=user, limit=limit)
    for record in records:
        item = record.feedback
        done = executions.get((record.thread, item.edited_task or item.task))
        out.append(
            {
                "thread": record.thread,
                "time": record.time,
                "answer": item.answer,
                "by": item.by,
                "task": item.task,
                "edited_task": item.edited_task,
                "reason": item.reason,
                "execution": done,
            }
        )
    order = {
        id(row): answered.get(
            (r.thread, r.feedback.event_index, r.feedback.task, r.feedback.answer), ("", -1)
        )
        for row, r in zip(out, records, strict=True)
    }
    # stable: answers of threads no longer in the checkpoints keep memory's order, at the end
    return sorted(out, key=lambda row: order[id(row)], reverse=True)


def newest_first(graph: CompiledStateGraph, waiting: list[Any]) -> list[Any]:
    """Waiting proposals, the latest asked first (by their thread's last write, then the
    event's time): a card's place says how new it is, whatever the events' clocks say."""
    asked = {
        thread: str(graph.get_state({"configurable": {"thread_id": thread}}).created_at or "")
        for thread in {p.thread for p in waiting}
    }
    return sorted(waiting, key=lambda p: (asked[p.thread], p.time), reverse=True)


def workspace_files(workspace: Path) -> list[str]:
    """The files in the workspace (relative paths), for links."""
    if not workspace.is_dir():
        return []
    return sorted(
        str(p.relative_to(workspace))
        for p in workspace.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(workspace).parts)
    )[:500]
