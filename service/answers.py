"""Answering a proposal: what waits for a person, and applying their answer to the very proposal
they saw. The web inbox (`proactive ui`), the worker host's endpoint and scripts share it.

Proposals wait as interrupted threads in a checkpoint database (a run with `--feedback inbox`,
`proactive watch --feedback inbox`, the worker host, the served graph). Each has an id
(`nodes.feedback.proposal_id`: the event, the round, a digest of the offered task) that the
listing shows and an answer sends back. Answering checks the answer exactly as the review
interrupt does (`nodes.feedback.parse_answer`: a bad answer is refused and the thread stays
paused), takes the thread's writer lease, reads again what waits now, and resumes the thread
only if that is the proposal the answer names: an answer written for a proposal that has since
been answered or refined is refused (:class:`StaleAnswerError`, with what waits now) and changes
nothing. Of two answers sent at once, the lease lets one in; the other then finds a proposal
that no longer waits.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from graphs.context import Context
from graphs.persistence import USER_KEY, ThreadBusyError, thread_ids, thread_lease
from graphs.state import Draft
from nodes.feedback import PROPOSAL_KEY, BadAnswerError, parse_answer, proposal_id
from service.ownership import belongs

LEASE_WAIT_SECONDS = 10.0
"""How long an answer waits for a thread that a run (or another answer) is writing."""


@dataclass(frozen=True)
class Pending:
    """A proposal waiting for the person's answer."""

    thread: str
    """The thread it paused."""
    proposal_id: str
    """Its id: what an answer sends back to say which proposal it answers."""
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


class AnswerError(ValueError):
    """An answer that was not applied; the message says why (the thread stays paused)."""


class ThreadBusyAnswerError(AnswerError):
    """An answer not applied because the thread stayed busy (a run, another answer)."""


@dataclass
class StaleAnswerError(AnswerError):
    """An answer for a proposal that no longer waits; nothing was changed."""

    message: str
    """What happened, in words."""
    waiting: list[Pending] = field(default_factory=list)
    """The proposal that waits in the thread now (none when nothing waits)."""

    def __str__(self) -> str:
        return self.message


def _waiting_id(values: dict[str, Any]) -> tuple[Draft, str] | None:
    """The draft a thread's state waits on and its proposal id (None without a draft)."""
    draft = values.get("draft")
    if not isinstance(draft, Draft):
        return None
    index = int(values.get("event_base", 0)) + int(values.get("current", 0))
    return draft, proposal_id(index, int(values.get("refinements", 0)), draft)


def _pending_of(thread: str, snapshot: Any) -> list[Pending]:
    """The proposals a thread's snapshot waits on (the caller checked the owner)."""
    found: list[Pending] = []
    waiting = _waiting_id(snapshot.values or {})
    for interrupt in snapshot.interrupts:
        value = interrupt.value
        request = value[0] if isinstance(value, list) and value else value
        if not isinstance(request, dict) or "action_request" not in request:
            continue  # an interrupt of another kind (an old client's)
        details = request.get("proactive") or {}
        found.append(
            Pending(
                thread=thread,
                proposal_id=waiting[1] if waiting else str(details.get(PROPOSAL_KEY) or ""),
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
    return found


def pending(
    graph: CompiledStateGraph, user: str, threads: Iterable[str] | None = None
) -> list[Pending]:
    """The proposals waiting for `user`, newest first (looking in `threads` when given, which
    a server with an index of its users' threads passes; otherwise in every thread)."""
    found: list[Pending] = []
    for thread in thread_ids(graph) if threads is None else threads:
        snapshot = graph.get_state({"configurable": {"thread_id": thread}})
        if snapshot.interrupts and belongs(snapshot.metadata, user):
            found.extend(_pending_of(thread, snapshot))
    return sorted(found, key=lambda p: (p.time, p.thread), reverse=True)


def answer(
    graph: CompiledStateGraph,
    directory: str | Path,
    context: Context,
    thread: str,
    value: Any,
    db: str | None = None,
    proposal: str | None = None,
) -> dict[str, Any]:
    """Resume a waiting thread with the person's answer to `proposal` (its id; our servers
    always send it, a script may leave it out to answer whatever waits), under the thread's
    lease (in `db` when the checkpoints are in PostgreSQL); returns what became of it: the
    status, the proposals and executions of the event, and the next waiting proposal."""
    config = {"configurable": {"thread_id": thread}}
    user = context.user_id
    snapshot = graph.get_state(config)
    mine = bool(snapshot.values) and belongs(snapshot.metadata, user)
    if not mine or (not snapshot.interrupts and proposal is None):
        raise AnswerError(f"no proposal waits in thread {thread!r}")
    waiting = _waiting_id(snapshot.values) if snapshot.interrupts else None
    if snapshot.interrupts and waiting is None:
        raise AnswerError(f"thread {thread!r} waits for something that is not a proposal")
    if waiting is not None:
        try:  # the interrupt's own check, before anything moves
            parse_answer(value, waiting[0], 0, 0.0)
        except BadAnswerError as err:
            raise AnswerError(str(err)) from None
    deadline = time.monotonic() + LEASE_WAIT_SECONDS
    while True:
        try:
            with thread_lease(directory, thread, db=db, graph=graph):
                now = graph.get_state(config)  # what waits now, with no other writer
                expected = _check_still_waiting(thread, now, proposal)
                resume = value if proposal is None else _naming(value, expected)
                result = graph.invoke(
                    Command(resume=resume),
                    {**config, "metadata": _carried(now.metadata, user)},
                    context=context,
                )
            break
        except ThreadBusyError as err:
            if time.monotonic() > deadline:
                raise ThreadBusyAnswerError(f"{err} (try again in a moment)") from None
            time.sleep(0.2)
    index = result.get("event_base", 0) + result.get("current", 0)
    after = graph.get_state(config)
    return {
        "thread": thread,
        "status": result.get("status"),
        "proposals": [
            p.model_dump() for p in result.get("proposals", []) if p.event_index == index
        ],
        "executions": [e.model_dump() for e in result.get("executions", [])][-1:]
        if result.get("status") == "executed"
        else [],
        "waiting": [p.as_json() for p in _pending_of(thread, after)],
    }


def _check_still_waiting(thread: str, snapshot: Any, proposal: str | None) -> str:
    """The id of the proposal waiting in `snapshot`; :class:`StaleAnswerError` when the answer
    names another one (or nothing waits any more)."""
    waiting = _waiting_id(snapshot.values or {}) if snapshot.interrupts else None
    if waiting is None:
        if proposal is None:
            raise AnswerError(f"no proposal waits in thread {thread!r}")
        raise StaleAnswerError(
            f"proposal {proposal[:40]!r} in thread {thread!r} is no longer waiting: it was "
            "answered already; nothing waits there now"
        )
    if proposal is not None and proposal != waiting[1]:
        raise StaleAnswerError(
            f"proposal {proposal[:40]!r} in thread {thread!r} is no longer waiting: it was "
            "answered already, and this one waits now",
            _pending_of(thread, snapshot),
        )
    return waiting[1]


def _naming(value: Any, proposal: str) -> Any:
    """The resume value naming the proposal it answers, so the review interrupt checks it too
    (a writer that does not take the lease, such as the served graph, may have moved on)."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        return [{**value[0], PROPOSAL_KEY: proposal}]
    if isinstance(value, dict):
        return {**value, PROPOSAL_KEY: proposal}
    if isinstance(value, str):
        return {"answer": value, PROPOSAL_KEY: proposal}
    return value


def _carried(metadata: dict[str, Any] | None, user: str) -> dict[str, Any]:
    """The metadata of the resumed run: the user, and the inputs count and digest the thread
    had (so a worker or a restarted run goes on from them, not from a recount)."""
    from cli.runner import DIGEST_KEY, INPUTS_KEY  # noqa: PLC0415

    kept = {k: v for k, v in (metadata or {}).items() if k in (INPUTS_KEY, DIGEST_KEY)}
    return {**kept, USER_KEY: user}
