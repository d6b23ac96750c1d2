"""Feed a stream of events through the agent graph and report what it did at each one."""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, StateSnapshot

from backends.prompts import render_time
from graphs.context import Context
from graphs.persistence import USER_KEY, prune_history
from nodes.observe import BadEventError, normalise_event
from privacy.redact import redact

INPUTS_KEY = "proactive_inputs"
"""Checkpoint metadata: how many input events the thread has taken (the current one included)."""
DIGEST_KEY = "proactive_inputs_digest"
"""Checkpoint metadata: a hash chained over those input events, in order."""

Durability = Literal["sync", "async", "exit"]

PRUNE_EVERY = 32
"""Without history, a thread's older checkpoints are deleted every this many events (and at the
end of a stream): one delete per event cost more than the checkpoints it saved room for."""


class EventLineError(ValueError):
    """A line of an event stream that cannot be used."""

    def __init__(self, line_no: int, problem: str) -> None:
        super().__init__(f"line {line_no}: {problem}")
        self.line_no = line_no


def read_events(lines: Iterable[str | bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, event dict) from JSON lines, lazily; blank lines are skipped.

    Raises :class:`EventLineError` at the first bad line, after the good lines before it
    were yielded (and so processed): not UTF-8, not JSON (or nested too deeply), longer than
    :data:`nodes.observe.MAX_EVENT_LINE_BYTES`, or not a valid event (see
    :func:`nodes.observe.parse_event`). A byte-order mark at the start is ignored. From a file
    object (anything with ``readline``) no more than the line limit is ever read into memory
    for one line.
    """
    from nodes.observe import MAX_EVENT_LINE_BYTES  # noqa: PLC0415

    for line_no, raw in enumerate(_bounded_lines(lines, MAX_EVENT_LINE_BYTES), start=1):
        if raw is None or _size(raw, MAX_EVENT_LINE_BYTES) > MAX_EVENT_LINE_BYTES:
            raise EventLineError(
                line_no,
                f"line is longer than the limit of {MAX_EVENT_LINE_BYTES:,} bytes"
                + ("" if raw is None else f" ({_size(raw, 0):,} bytes)"),
            )
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise EventLineError(
                    line_no, f"not valid UTF-8 ({exc.reason} at byte {exc.start})"
                ) from None
        if line_no == 1:
            raw = raw.removeprefix("\ufeff")
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise EventLineError(
                line_no, f"not valid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})"
            ) from None
        except RecursionError:
            raise EventLineError(line_no, "not valid JSON (nested too deeply)") from None
        try:
            event = normalise_event(data)
        except BadEventError as exc:
            raise EventLineError(line_no, str(exc)) from None
        yield line_no, event


def _bounded_lines(lines: Iterable[str | bytes], limit: int) -> Iterator[str | bytes | None]:
    """The lines of ``lines``; from a file object, each read with at most ``limit`` + 1
    bytes held, and None (then nothing more) for a line longer than ``limit``, its end
    included."""
    readline = getattr(lines, "readline", None)
    if readline is None:
        yield from lines
        return
    while True:
        line = readline(limit + 1)
        if not line:
            return
        if len(line) > limit:
            yield None  # the caller stops at it: the rest of the line is never read
            return
        yield line


def _size(line: str | bytes, limit: int) -> int:
    """Bytes of a line (in UTF-8 for text; encoded only when it may be over ``limit``)."""
    if isinstance(line, bytes) or len(line) * 4 <= limit:
        return len(line)
    return len(line.encode("utf-8", errors="surrogatepass"))


@dataclass
class StepReport:
    """What the agent did for one event."""

    event: dict[str, Any]
    """The event as fed."""
    values: dict[str, Any]
    """The thread's state after the event."""
    seconds: float
    """Wall time of the step, including any human answer."""
    lines: list[str] = field(default_factory=list)
    """The printable account of the step."""


@dataclass
class RunSummary:
    """Counts over a run."""

    events: int = 0
    silent: int = 0
    proposals: int = 0
    accepted: int = 0
    rejected: int = 0
    ignored: int = 0
    executed: int = 0
    refinements: int = 0
    seconds: list[float] = field(default_factory=list)
    skipped: int = 0
    """Input events skipped because the thread had already processed them (durable runs)."""
    waiting: bool = False
    """The run stopped at a proposal that waits for an answer in the inbox."""
    waiting_task: str = ""
    """The task of the proposal that waits (shown in the closing line)."""
    resumed: int = 0
    """Events whose handling was cut short by a stop and was finished in this run."""

    def add(self, report: StepReport) -> None:
        values = report.values
        index = values.get("event_base", 0) + values.get("current", -1)
        mine = [p for p in values.get("proposals", []) if p.event_index == index]
        self.events += 1
        self.silent += not mine
        self.proposals += len(mine)
        self.accepted += sum(p.outcome in ("accept", "edit") for p in mine)
        self.rejected += sum(p.outcome == "reject" for p in mine)
        self.ignored += sum(p.outcome == "ignore" for p in mine)
        self.refinements += sum(p.round > 0 for p in mine)
        self.executed += values.get("status") == "executed"
        self.seconds.append(report.seconds)

    def text(self) -> str:
        ms = sorted(s * 1000 for s in self.seconds) or [0.0]
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        return (
            f"{self.events} events: silent at {self.silent}, {self.proposals} proposals "
            f"({self.accepted} accepted, {self.rejected} rejected, {self.ignored} ignored, "
            f"{self.refinements} refinements), {self.executed} executed. "
            f"Time per event: median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms."
            + (
                f' A proposal waits for your answer: "{self.waiting_task}". Answer it in '
                "`proactive ui` (http://localhost:8765/); the events after it wait for that "
                "answer, and the next run goes on from there."
                if self.waiting
                else ""
            )
            + (
                f" Skipped {self.skipped} events already processed, resumed {self.resumed}."
                if self.skipped or self.resumed
                else ""
            )
        )


Answerer = Callable[[dict[str, Any]], Any]
"""Answers a human-review interrupt payload (used with feedback_mode='human')."""


class AwaitingAnswer(RuntimeError):
    """The graph paused for a person's answer and no answerer was given: the thread waits
    (for `proactive ui`, or the next run with an answerer)."""

    def __init__(self, thread: str, payload: Any) -> None:
        super().__init__("the graph asks for a human answer but no answerer was given")
        self.thread = thread
        self.payload = payload


def step(
    graph: CompiledStateGraph,
    event: dict[str, Any] | None,
    *,
    thread: str,
    context: Context,
    answer: Answerer | None = None,
    metadata: dict[str, Any] | None = None,
    durability: Durability = "sync",
) -> StepReport:
    """Run one event through the graph, answering review interrupts with ``answer``.

    ``event=None`` finishes the thread's run that was cut short instead of feeding an event.
    ``metadata`` goes into every checkpoint the step writes. With ``durability="sync"`` each
    checkpoint is committed before the next node runs, so a killed process loses no step.
    """
    config: dict[str, Any] = {"configurable": {"thread_id": thread}}
    if metadata:
        config["metadata"] = dict(metadata)
    started = time.perf_counter()
    if event is not None and isinstance(event.get("text"), str):
        # Redact before the event reaches the checkpoint: the graph's input is stored as is.
        event = {**event, "text": redact(event["text"]).text}
    feed = None if event is None else {"event": event}
    result = graph.invoke(feed, config, context=context, durability=durability)
    while "__interrupt__" in result:
        payload = result["__interrupt__"][0].value
        if answer is None:
            raise AwaitingAnswer(thread, payload)
        result = graph.invoke(
            Command(resume=answer(payload)), config, context=context, durability=durability
        )
    seconds = time.perf_counter() - started
    # The run's output is the thread's whole state (State is the output schema): no need to
    # read the checkpoint back (deserializing it costs about as much as the step's writes).
    values = dict(result)
    if event is None:  # the event that was being handled
        current = values["events"][values.get("current", -1)]
        event = {"time": current.time, "text": current.text, "source": current.source}
    return StepReport(event=event, values=values, seconds=seconds, lines=describe(event, values))


def describe(event: dict[str, Any], values: dict[str, Any]) -> list[str]:
    """Human-readable account of one step."""
    index = values.get("event_base", 0) + values.get("current", -1)  # the event's number
    lines = [f"[{index:>3}] {render_time(float(event['time']))}  {event['text']}"]
    status = values.get("status")
    need = values.get("need", 0.0)
    if status == "cooling_down":
        lines.append("      silent (backing off after an ignored proposal)")
        return lines
    mine = [p for p in values.get("proposals", []) if p.event_index == index]
    answers = [f for f in values.get("feedback", []) if f.event_index == index]
    if not mine:
        why = "model failure, recorded" if status == "failed" else "no help needed"
        lines.append(f"      need {need:.2f} -> silent ({values.get('decision') or why})")
        return lines
    for proposal, answer in zip(mine, answers, strict=False):
        head = "proposes" if proposal.round == 0 else f"refinement {proposal.round}"
        lines.append(f"      need {need:.2f} -> {head} [{proposal.kind}]: {proposal.task}")
        word = {"accept": "accepted", "reject": "rejected", "edit": "edited", "ignore": "ignored"}[
            answer.answer
        ]
        reason = f" - {answer.reason}" if answer.reason else ""
        lines.append(f"      {answer.by}: {word}{reason}")
        if answer.edited_task:
            lines.append(f"      edited task: {answer.edited_task}")
    if status == "gave_up":
        why = values.get("decision") or "refinement bound reached or nothing new"
        lines.append(f"      gave up quietly ({why})")
    executions = values.get("executions", [])
    if (
        status in ("executed", "failed")
        and executions
        and executions[-1].task == (answers[-1].edited_task or answers[-1].task)
    ):
        done = executions[-1]
        for call in done.calls:
            mark = "ok" if call.ok else "refused"
            lines.append(f"      executed {call.tool}({_args(call.args)}) {mark}")
        lines.append(f"      {done.summary}")
    return lines


def _args(args: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return text if len(text) <= 90 else text[:87] + "..."


class ThreadMismatchError(ValueError):
    """The events fed to a thread differ from the events it has already processed."""


@dataclass
class ThreadProgress:
    """What a thread's latest checkpoint says about the input events it has taken."""

    inputs: int
    """Input events taken, including one whose handling was cut short."""
    digest: str | None
    """Hash chained over those inputs (None for a thread written without it)."""
    pending: bool
    """True when the latest run stopped before the graph finished (a kill, an interrupt)."""
    waiting: bool = False
    """True when it stopped at an interrupt: a proposal waits for a person's answer."""


def chain_digest(previous: str, event: dict[str, Any]) -> str:
    """The input digest after ``event``: a hash over the previous digest and the event."""
    data = json.dumps(
        # float: a stored integer time and the same time read from a line chain alike
        {
            "time": float(event["time"]),
            "text": event["text"],
            "source": event.get("source", "user"),
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.blake2b(f"{previous}\x1f{data}".encode(), digest_size=16).hexdigest()


def thread_progress(graph: CompiledStateGraph, thread: str) -> ThreadProgress:
    """Read a thread's input count from its latest checkpoint.

    Runs through :func:`run_stream` write the count (and the digest) into the metadata of
    every checkpoint, in the same SQLite transaction as the state itself, so the two never
    disagree. A thread written without them counts its user and environment events.
    """
    snapshot: StateSnapshot = graph.get_state({"configurable": {"thread_id": thread}})
    metadata = snapshot.metadata or {}
    # A task whose writes were saved before the kill (sync durability saves them ahead of the
    # next checkpoint) is left out of `next` but still listed in `tasks`: the event is unfinished.
    pending = bool(snapshot.next or snapshot.tasks)
    if isinstance(metadata.get(INPUTS_KEY), int):
        digest = metadata.get(DIGEST_KEY)
        return ThreadProgress(
            inputs=metadata[INPUTS_KEY],
            digest=digest if isinstance(digest, str) else None,
            pending=pending,
            waiting=bool(snapshot.interrupts),
        )
    events = (snapshot.values or {}).get("events", [])
    taken = sum(e.source != "agent" for e in events)
    unfinished = {*snapshot.next, *(task.name for task in snapshot.tasks)}
    if pending and snapshot.values.get("event") is not None and "observe" in unfinished:
        taken += 1  # fed, but cut short before `observe` appended it
    return ThreadProgress(
        inputs=taken, digest=None, pending=pending, waiting=bool(snapshot.interrupts)
    )


def lost_state_warning(
    graph: CompiledStateGraph, thread: str, memory: Any, user: str, checkpoint: str
) -> str | None:
    """A warning when a thread has no checkpoint but its memory holds events of it: its state
    was lost (a deleted or emptied checkpoint file), and its events will be handled again."""
    if (
        thread_progress(graph, thread).inputs
        or graph.get_state({"configurable": {"thread_id": thread}}).values
    ):
        return None
    remembered = memory.count(user=user, thread=thread, kind="event")
    if not remembered:
        return None
    return (
        f"warning: thread {thread!r} has no checkpoint in {checkpoint}, but the memory holds "
        f"{remembered} of its events: its state was lost (an emptied or replaced checkpoint "
        "file?). Its events will be handled again, and accepted tasks carried out again; stop "
        "now and restore the checkpoint file from a backup to avoid that."
    )


def run_stream(
    graph: CompiledStateGraph,
    events: Iterable[tuple[int, dict[str, Any]]],
    *,
    thread: str,
    context: Context,
    out: IO[str],
    answer: Answerer | None = None,
    resume: bool = False,
    keep_history: bool = True,
    durability: Durability = "sync",
) -> RunSummary:
    """Process events one by one, printing each step; return the counts.

    Every checkpoint records how many input events the thread has taken. With ``resume``
    (durable runs: the graph's checkpointer outlives the process) the stream is the thread's
    whole input: an event whose handling was cut short is finished first, from its last
    checkpoint (never fed again), then the events the thread already took are skipped, after
    checking they are the same events (:class:`ThreadMismatchError` otherwise), and the rest
    are processed. Without ``resume`` every event of the stream is fed to the thread.
    Without ``keep_history`` only the latest checkpoints of the thread are kept (pruned every
    ``PRUNE_EVERY`` events, see :func:`graphs.persistence.prune_history`). ``durability`` is
    LangGraph's: ``"sync"`` commits a checkpoint after every node (a killed process resumes
    inside the event it was handling); ``"exit"`` commits once per event, when the graph stops
    (a killed process handles the event it was in again from its start: the memory writes are
    idempotent upserts, tool calls of an execution cut short may repeat). Either way the input
    count and the state are committed in one transaction, so an event is never taken twice or
    skipped.
    """
    summary = RunSummary()
    progress = thread_progress(graph, thread)
    taken, digest = progress.inputs, progress.digest

    def waits(exc: AwaitingAnswer) -> RunSummary:
        [request] = exc.payload if isinstance(exc.payload, list) else [exc.payload]
        task = request.get("action_request", {}).get("args", {}).get("task", "")
        out.write(f"thread {thread}: waiting for your answer to: {task}\n")
        out.flush()
        # The event was taken and a proposal made for it: it counts, the proposal waits.
        summary.events += 1
        summary.proposals += 1
        summary.waiting, summary.waiting_task = True, task
        return summary

    if resume and progress.pending:
        meta: dict[str, Any] = {USER_KEY: context.user_id}
        if digest is not None:
            meta |= {INPUTS_KEY: taken, DIGEST_KEY: digest}
        try:
            report = step(
                graph,
                None,
                thread=thread,
                context=context,
                answer=answer,
                metadata=meta,
                durability=durability,
            )
        except AwaitingAnswer as exc:
            return waits(exc)
        summary.add(report)
        summary.resumed += 1
        if not keep_history:
            prune_history(graph, thread)
        out.write(f"thread {thread}: finishing event {taken}, cut short by an earlier stop\n")
        out.write("\n".join(report.lines) + "\n")
        out.flush()
        progress = thread_progress(graph, thread)
        taken, digest = progress.inputs, progress.digest
    to_skip = taken if resume else 0
    seen, running = 0, ""

    def report_skipped() -> None:
        if to_skip:
            out.write(
                f"thread {thread}: skipped {summary.skipped} events already processed"
                f" (resumed {summary.resumed} cut short)\n"
            )
            out.flush()

    for _, event in events:
        if seen < to_skip:
            seen += 1
            running = chain_digest(running, event)
            summary.skipped += 1
            if seen == to_skip:
                if digest is not None and running != digest:
                    raise ThreadMismatchError(
                        f"thread {thread!r} has already processed {to_skip} events and they "
                        f"differ from the first {to_skip} events of this stream; use another "
                        "--thread (or --data-dir) for other events"
                    )
                digest = running
                report_skipped()
            continue
        taken += 1
        digest = chain_digest(digest or "", event) if digest is not None or taken == 1 else None
        meta = {INPUTS_KEY: taken, USER_KEY: context.user_id}
        if digest is not None:
            meta[DIGEST_KEY] = digest
        try:
            report = step(
                graph,
                event,
                thread=thread,
                context=context,
                answer=answer,
                metadata=meta,
                durability=durability,
            )
        except AwaitingAnswer as exc:
            return waits(exc)
        if not keep_history and taken % PRUNE_EVERY == 0:
            prune_history(graph, thread)
        summary.add(report)
        out.write("\n".join(report.lines) + "\n")
        out.flush()
    if not keep_history:
        prune_history(graph, thread)
    if seen < to_skip:
        report_skipped()
        out.write(
            f"thread {thread}: the stream ended after {seen} of the {to_skip} events "
            "the thread had already processed\n"
        )
        out.flush()
    return summary
