"""The annotation tool's data: traces to annotate, each annotator's answers, reward rows.

A person reads a trace up to one step, sees up to five candidate tasks (those of the trace
file, then the embedded drafter's), ticks the ones they would accept and says whether they
needed help there. Every answer is saved at once in `<dir>/<annotator>.jsonl` (one JSON object
per (trace, step), rewritten atomically), so closing the tab loses nothing. The answers become
reward rows in ProactiveBench's format (`obs`, `pred_task`, `annotation`, `valid`,
`help_needed`, `category`): one row per candidate and one "no task" row per step; several
annotators merge as the paper does, `annotation` holding each one's answer (annotators in name
order) and `valid` the majority.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backends.local.data import DataFileError, read_test_trace
from graphs.state import Event
from memory.safe_json import JsonLineError, read_json_lines

MAX_CANDIDATES = 5
"""Candidate tasks shown per step (the paper's annotation tool shows up to five)."""

ANNOTATOR = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
"""What an annotator id may be (it names a file)."""


class AnnotationError(ValueError):
    """An annotation request or file that cannot be used; the message says why."""


@dataclass(frozen=True)
class Trace:
    """A trace to annotate."""

    name: str
    """Its name (the file's stem), unique among the loaded traces."""
    events: tuple[Event, ...]
    """The user's events, in order."""
    candidates: tuple[tuple[str, ...], ...]
    """Per event: the candidate tasks the file carries (may be empty)."""


def _gym_trace(path: Path) -> Trace:
    """A gym trace (`traces/<scene>.jsonl`): its user and environment events, and the tasks
    the agent proposed after each."""
    events: list[Event] = []
    candidates: list[list[str]] = []
    lines = read_json_lines(path)
    while True:
        try:  # size, depth, UTF-8 and JSON: a JsonLineError naming the file and line
            item = next(lines, None)
        except (OSError, JsonLineError) as err:
            raise AnnotationError(str(err)) from None
        if item is None:
            break
        number, record = item
        try:
            kind, data = record["kind"], record.get("data") or {}
            if kind == "event" and data.get("source", "user") != "agent":
                events.append(Event(time=record["time"], text=data["text"]))
                candidates.append([])
            elif kind == "proposal" and candidates and isinstance(data.get("task"), str):
                if data["task"] not in candidates[-1]:
                    candidates[-1].append(data["task"])
        except (AttributeError, KeyError, TypeError, ValueError) as err:
            reason = str(err).splitlines()[0][:120]
            raise AnnotationError(f"{path}:{number}: not a gym trace line ({reason})") from None
    if not events:
        raise AnnotationError(f"{path}: no user events to annotate")
    return Trace(path.stem, tuple(events), tuple(tuple(c) for c in candidates))


def load_trace(path: Path) -> Trace:
    """A ProactiveBench test trace (`.json`) or a gym trace (`.jsonl`); AnnotationError names
    the file (and line) of one that does not parse."""
    path = Path(path)
    if not path.is_file():
        raise AnnotationError(f"{path}: no such file")
    if path.suffix == ".jsonl":
        return _gym_trace(path)
    try:
        test = read_test_trace(path)
    except DataFileError as err:
        raise AnnotationError(str(err)) from None
    return Trace(test.name, test.events, test.candidates)


def load_traces(paths: Sequence[Path]) -> dict[str, Trace]:
    """Traces by name, from files and folders (a folder: its .json and .jsonl files)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(
                p
                for p in path.iterdir()
                if p.suffix in (".json", ".jsonl") and p.name != "splits.json"
            )
        else:
            files.append(path)
    traces: dict[str, Trace] = {}
    for path in files:
        trace = load_trace(path)
        if trace.name in traces:
            raise AnnotationError(f"two traces are named {trace.name!r} ({path})")
        traces[trace.name] = trace
    return traces


def candidates_at(trace: Trace, step: int, drafter: Any | None = None) -> list[str]:
    """Up to five candidate tasks at a step: the file's, then the drafter's (deterministic, so
    every annotator sees the same list)."""
    tasks = list(dict.fromkeys(trace.candidates[step]))[:MAX_CANDIDATES]
    if drafter is not None and len(tasks) < MAX_CANDIDATES:
        window = trace.events[: step + 1]
        for draft in drafter.candidates(window, avoid_tasks=tasks, k=MAX_CANDIDATES):
            if draft.task not in tasks:
                tasks.append(draft.task)
            if len(tasks) == MAX_CANDIDATES:
                break
    return tasks


class Answer(BaseModel):
    """One annotator's answer at one step of one trace."""

    model_config = ConfigDict(extra="forbid")

    trace: str = Field(min_length=1)
    """The trace's name."""
    step: int = Field(ge=0)
    """The step (0-based): the annotator saw the events up to and including it."""
    candidates: list[str] = Field(max_length=MAX_CANDIDATES)
    """The candidate tasks shown, in order."""
    accepted: list[bool]
    """Per candidate: would the annotator accept it?"""
    help_needed: bool
    """Did the user need help at this point?"""
    obs: list[dict[str, Any]]
    """The events shown ({time, event}), oldest first."""


def check_annotator(annotator: Any) -> str:
    """The annotator id, or AnnotationError saying what is wrong with it."""
    if not isinstance(annotator, str) or not ANNOTATOR.match(annotator):
        raise AnnotationError(
            "the annotator id must be 1-64 letters, digits, '.', '_' or '-' (starting with a "
            f"letter or digit), got {annotator!r:.40}"
        )
    return annotator


class AnnotationStore:
    """Each annotator's answers, one JSON-lines file per annotator in `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()

    def path(self, annotator: str) -> Path:
        return self.directory / f"{check_annotator(annotator)}.jsonl"

    def answers(self, annotator: str) -> dict[tuple[str, int], Answer]:
        """An annotator's answers by (trace, step); AnnotationError names a bad line."""
        path = self.path(annotator)
        out: dict[tuple[str, int], Answer] = {}
        if not path.is_file():
            return out
        try:  # bounded reading: a hostile line is an AnnotationError, never a traceback
            lines = list(read_json_lines(path))
        except (OSError, JsonLineError) as err:
            raise AnnotationError(str(err)) from None
        for number, value in lines:
            try:
                answer = Answer.model_validate(value)
            except ValidationError as err:
                first = err.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "(line)"
                raise AnnotationError(f"{path}:{number}: {where}: {first['msg']}") from None
            out[(answer.trace, answer.step)] = answer
        return out

    def save(self, annotator: str, answer: Answer) -> None:
        """Record (or replace) one answer, rewriting the file atomically."""
        if len(answer.accepted) != len(answer.candidates):
            raise AnnotationError(
                f"{len(answer.accepted)} ticks for {len(answer.candidates)} candidate tasks"
            )
        with self._lock:
            answers = self.answers(annotator)
            answers[(answer.trace, answer.step)] = answer
            self.directory.mkdir(parents=True, exist_ok=True)
            text = "".join(
                a.model_dump_json() + "\n" for _, a in sorted(answers.items(), key=lambda i: i[0])
            )
            handle, scratch = tempfile.mkstemp(prefix=".annotations-", dir=self.directory)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(text)
                os.replace(scratch, self.path(annotator))
            except BaseException:
                Path(scratch).unlink(missing_ok=True)
                raise

    def annotators(self) -> list[str]:
        """Everyone with an answer file here, in name order."""
        if not self.directory.is_dir():
            return []
        return sorted(p.stem for p in self.directory.glob("*.jsonl") if ANNOTATOR.match(p.stem))

    def rows(self, annotators: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Reward rows from the annotators' answers, merged per (trace, step).

        `annotation` lists each annotator's answer in name order, over the annotators who
        answered that step with the same candidates; `valid` is their strict majority (a tie
        rejects), and `help_needed` too. The "no task" row's answers are "no help needed".
        """
        names = sorted(annotators if annotators is not None else self.annotators())
        by_step: dict[tuple[str, int], list[Answer]] = {}
        for name in names:
            for key, answer in self.answers(name).items():
                by_step.setdefault(key, []).append(answer)
        rows: list[dict[str, Any]] = []
        for _, answers in sorted(by_step.items(), key=lambda item: item[0]):
            first = answers[0]
            panel = [a for a in answers if a.candidates == first.candidates]
            needed = _majority([a.help_needed for a in panel])
            for k, task in enumerate(first.candidates):
                votes = [a.accepted[k] for a in panel]
                valid = _majority(votes)
                rows.append(
                    {
                        "obs": first.obs,
                        "pred_task": task,
                        "annotation": votes,
                        "valid": valid,
                        "help_needed": needed,
                        "category": "Correct-Detection (CD)" if valid else "False-Alarm (FA)",
                    }
                )
            silence = [not a.help_needed for a in panel]
            valid = _majority(silence)
            rows.append(
                {
                    "obs": first.obs,
                    "pred_task": None,
                    "annotation": silence,
                    "valid": valid,
                    "help_needed": needed,
                    "category": "Correct-Rejection (CR)" if valid else "Missed-Need (MN)",
                }
            )
        return rows


def _majority(votes: Sequence[bool]) -> bool:
    return 2 * sum(votes) > len(votes)


def obs_of(trace: Trace, step: int) -> list[dict[str, Any]]:
    """The events up to a step as reward rows keep them."""
    return [{"time": e.time, "event": e.text} for e in trace.events[: step + 1]]
