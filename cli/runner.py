"""Feed a stream of events through the agent graph and report what it did at each one."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from backends.prompts import render_time
from graphs.context import Context
from nodes.observe import BadEventError, parse_event


class EventLineError(ValueError):
    """A line of an event stream that cannot be used."""

    def __init__(self, line_no: int, problem: str) -> None:
        super().__init__(f"line {line_no}: {problem}")
        self.line_no = line_no


def read_events(lines: Iterable[str | bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, event dict) from JSON lines, lazily; blank lines are skipped.

    Raises :class:`EventLineError` at the first bad line, after the good lines before it
    were yielded (and so processed).
    """
    for line_no, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise EventLineError(line_no, f"not valid UTF-8 ({exc.reason})") from None
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise EventLineError(line_no, f"not valid JSON ({exc.msg})") from None
        try:
            event = parse_event(data)
        except BadEventError as exc:
            raise EventLineError(line_no, str(exc)) from None
        yield line_no, {"time": event.time, "text": event.text, "source": event.source}


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

    def add(self, report: StepReport) -> None:
        values = report.values
        index = values.get("current", -1)
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
        )


Answerer = Callable[[dict[str, Any]], Any]
"""Answers a human-review interrupt payload (used with feedback_mode='human')."""


def step(
    graph: CompiledStateGraph,
    event: dict[str, Any],
    *,
    thread: str,
    context: Context,
    answer: Answerer | None = None,
) -> StepReport:
    """Run one event through the graph, answering review interrupts with ``answer``."""
    config = {"configurable": {"thread_id": thread}}
    started = time.perf_counter()
    result = graph.invoke({"event": event}, config, context=context)
    while "__interrupt__" in result:
        if answer is None:
            raise RuntimeError("the graph asks for a human answer but no answerer was given")
        payload = result["__interrupt__"][0].value
        result = graph.invoke(Command(resume=answer(payload)), config, context=context)
    seconds = time.perf_counter() - started
    values = graph.get_state(config).values
    return StepReport(event=event, values=values, seconds=seconds, lines=describe(event, values))


def describe(event: dict[str, Any], values: dict[str, Any]) -> list[str]:
    """Human-readable account of one step."""
    index = values.get("current", -1)
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
        lines.append(f"      need {need:.2f} -> silent ({why})")
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
        lines.append("      gave up quietly (refinement bound reached or nothing new)")
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


def run_stream(
    graph: CompiledStateGraph,
    events: Iterable[tuple[int, dict[str, Any]]],
    *,
    thread: str,
    context: Context,
    out: IO[str],
    answer: Answerer | None = None,
) -> RunSummary:
    """Process events one by one, printing each step; return the counts."""
    summary = RunSummary()
    for _, event in events:
        report = step(graph, event, thread=thread, context=context, answer=answer)
        summary.add(report)
        out.write("\n".join(report.lines) + "\n")
        out.flush()
    return summary
