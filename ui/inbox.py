"""The inbox's data: the proposals waiting for this person, their answers, what was done.

Proposals wait as interrupted threads in the data directory's checkpoint database (a run with
`--feedback inbox`, or `proactive watch --feedback inbox`, leaves them there). Answering one
checks the answer exactly as the review interrupt does (`nodes.feedback.parse_answer`: a bad
answer is refused and the thread stays paused), takes the thread's writer lease, and resumes
the thread with it: a rejection makes the agent refine, and the next draft waits here in turn.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from graphs.context import Context
from graphs.persistence import USER_KEY, ThreadBusyError, thread_ids, thread_lease
from graphs.state import Draft
from nodes.feedback import BadAnswerError, parse_answer

LEASE_WAIT_SECONDS = 10.0
"""How long an answer waits for a thread that a run is writing at that moment."""


@dataclass(frozen=True)
class Pending:
    """A proposal waiting for the person's answer."""

    thread: str
    """The thread it paused."""
    interrupt_id: str
    """LangGraph's id of the interrupt."""
    task: str
    """What the assistant offers to do."""
    kind: str
    """The kind of help."""
    event: str
    """The event after which it was offered."""
    time: float
    """That event's time."""
    reason: str
    """Why the assistant offers it."""
    round: int
    """0 for a first draft, 1.. for refinements after rejections."""
    error: str
    """What was wrong with the last answer, if anything."""
    description: str
    """The Agent Inbox description (markdown)."""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _belongs(metadata: dict[str, Any] | None, user: str) -> bool:
    """Whether a thread runs for `user` (threads written before the user was recorded count as
    the default user's)."""
    owner = (metadata or {}).get(USER_KEY)
    return (owner or "default") == user


def pending(
    graph: CompiledStateGraph, user: str, threads: Iterable[str] | None = None
) -> list[Pending]:
    """The proposals waiting for `user`, newest first (looking in `threads` when given, which
    a server with an index of its users' threads passes; otherwise in every thread)."""
    found: list[Pending] = []
    for thread in thread_ids(graph) if threads is None else threads:
        snapshot = graph.get_state({"configurable": {"thread_id": thread}})
        if not snapshot.interrupts or not _belongs(snapshot.metadata, user):
            continue
        for interrupt in snapshot.interrupts:
            value = interrupt.value
            request = value[0] if isinstance(value, list) and value else value
            if not isinstance(request, dict) or "action_request" not in request:
                continue  # an interrupt of another kind (an old client's)
            details = request.get("proactive") or {}
            found.append(
                Pending(
                    thread=thread,
                    interrupt_id=str(interrupt.id),
                    task=str(request["action_request"]["args"].get("task", "")),
                    kind=str(details.get("kind", "")),
                    event=str(details.get("event", "")),
                    time=float(details.get("time") or 0.0),
                    reason=str(details.get("reason") or ""),
                    round=int(details.get("round") or 0),
                    error=str(details.get("error") or ""),
                    description=str(request.get("description", "")),
                )
            )
    return sorted(found, key=lambda p: (p.time, p.thread), reverse=True)


class AnswerError(ValueError):
    """An answer that was not applied; the message says why (the thread stays paused)."""


def answer(
    graph: CompiledStateGraph,
    directory: str | Path,
    context: Context,
    thread: str,
    value: Any,
    db: str | None = None,
) -> dict[str, Any]:
    """Resume a waiting thread with the person's answer (under the thread's lease, in `db` when
    the checkpoints are in PostgreSQL); returns what became of it: the
    status, the proposals and executions of the event, and the next waiting proposal."""
    config = {"configurable": {"thread_id": thread}}
    snapshot = graph.get_state(config)
    if not snapshot.interrupts or not _belongs(snapshot.metadata, context.user_id):
        raise AnswerError(f"no proposal waits in thread {thread!r}")
    draft = snapshot.values.get("draft")
    if not isinstance(draft, Draft):
        raise AnswerError(f"thread {thread!r} waits for something that is not a proposal")
    try:
        parse_answer(value, draft, 0, 0.0)  # the interrupt's own check, before anything moves
    except BadAnswerError as err:
        raise AnswerError(str(err)) from None
    deadline = time.monotonic() + LEASE_WAIT_SECONDS
    while True:
        try:
            with thread_lease(directory, thread, db=db, graph=graph):
                result = graph.invoke(
                    Command(resume=value),
                    {**config, "metadata": _carried(snapshot.metadata, context.user_id)},
                    context=context,
                )
            break
        except ThreadBusyError as err:
            if time.monotonic() > deadline:
                raise AnswerError(f"{err} (try again in a moment)") from None
            time.sleep(0.2)
    index = result.get("event_base", 0) + result.get("current", 0)
    waiting = [p for p in pending(graph, context.user_id) if p.thread == thread]
    return {
        "thread": thread,
        "status": result.get("status"),
        "proposals": [
            p.model_dump() for p in result.get("proposals", []) if p.event_index == index
        ],
        "executions": [e.model_dump() for e in result.get("executions", [])][-1:]
        if result.get("status") == "executed"
        else [],
        "waiting": [p.as_json() for p in waiting],
    }


def _carried(metadata: dict[str, Any] | None, user: str) -> dict[str, Any]:
    """The metadata of the resumed run: the user, and the inputs count and digest the thread
    had (so a worker or a restarted run goes on from them, not from a recount)."""
    from cli.runner import DIGEST_KEY, INPUTS_KEY  # noqa: PLC0415

    kept = {k: v for k, v in (metadata or {}).items() if k in (INPUTS_KEY, DIGEST_KEY)}
    return {**kept, USER_KEY: user}


def history(
    graph: CompiledStateGraph, memory: Any, user: str, limit: int = 50
) -> list[dict[str, Any]]:
    """The person's latest answers (newest first), each with what was carried out for it."""
    executions: dict[tuple[str, str], dict[str, Any]] = {}
    for thread in thread_ids(graph):
        snapshot = graph.get_state({"configurable": {"thread_id": thread}})
        if not _belongs(snapshot.metadata, user):
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
