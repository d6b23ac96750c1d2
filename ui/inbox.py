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
    """The person's latest answers (newest first), each with what was carried out for it."""
    executions: dict[tuple[str, str], dict[str, Any]] = {}
    for thread in thread_ids(graph):
        snapshot = graph.get_state({"configurable": {"thread_id": thread}})
        if not belongs(snapshot.metadata, user):
            continue
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
    for record in memory.recent_feedback(user=user, limit=limit):
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
    return out


def workspace_files(workspace: Path) -> list[str]:
    """The files in the workspace (relative paths), for links."""
    if not workspace.is_dir():
        return []
    return sorted(
        str(p.relative_to(workspace))
        for p in workspace.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(workspace).parts)
    )[:500]
