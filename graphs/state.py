"""Typed state of the proactive agent graph and the records it keeps.

One invocation of the graph handles one new event; a checkpointer (or the `langgraph dev`
server) keeps the state of a thread between events, while the per-event fields are reset by
`observe`. The lists that accumulate (events, proposals, feedback, executions, errors) keep only
their latest entries (a window): every checkpoint holds the whole state, so an unbounded list
would make each step cost more than the last and the process grow without end. What falls out
of the window lives on in the vector memory (`memory/`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from privacy.redact import redact

Source = Literal["user", "environment", "agent"]
"""Who produced an event: the person, their surroundings, or this assistant."""

Answer = Literal["accept", "reject", "edit", "ignore"]
"""The answers a user (or the judge on their behalf) may give to a proposal."""

Status = Literal[
    "observing",  # the event is being handled
    "silent",  # no help needed, or the drafter chose silence
    "cooling_down",  # a recent proposal was ignored: hold back for a while
    "held_back",  # the interruption budget, minimum gap or quiet hours forbid a proposal now
    "proposed",  # a draft waits for feedback
    "accepted",  # the draft was accepted and goes to the executor
    "edited",  # the user changed the task and accepted it
    "rejected",  # the latest draft was rejected; a refinement may follow
    "gave_up",  # rejected at the refinement bound: stay quiet
    "ignored",  # the user did not answer; back off
    "executed",  # an accepted (or edited) task was carried out
    "failed",  # a model failed; recorded, and the loop goes on
]

EVENT_WINDOW = 64
"""Most events the state keeps (the latest); older ones are in memory only. `observe` trims the
window before appending the new event, so it may briefly hold more (the agent's own events).
Prompts show the last 30 events; the need detector reads the last 10. Every step reads the whole
state back from its checkpoint, so the window is kept small (docs/performance.md)."""
RECORD_WINDOW = 32
"""Most proposals, feedback, executions and errors the state keeps (the latest). The interruption
budget counts proposals among the latest answers, so `max_proposals` must stay below this."""

MAX_EVENT_CHARS = 4000
"""Longer event texts are cut: one event is one sentence of activity, not a document."""

_DAY_CLOCK = re.compile(
    r"^\s*day\s+(\d+)\s*,\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?\s*$", re.IGNORECASE
)


def parse_time(value: Any) -> float:
    """Turn an event time into seconds.

    Accepts unix seconds (number or numeric string), ISO 8601 datetimes, and the
    "Day N, HH:MM AM" form found in ProactiveBench reward rows (seconds since day 1, 00:00).
    """
    if isinstance(value, bool):
        raise ValueError(f"time must be a number or a date string, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"time must be a number or a date string, got {value!r}")
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    match = _DAY_CLOCK.match(text)
    if match:
        day, hour, minute, second, ampm = match.groups()
        h = int(hour)
        if ampm:
            pm = ampm.lower().startswith("p")
            h = (h % 12) + (12 if pm else 0)
        return (int(day) - 1) * 86400.0 + h * 3600.0 + int(minute) * 60.0 + int(second or 0)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError as err:
        raise ValueError(
            f"time {value!r} is neither unix seconds, ISO 8601, nor 'Day N, HH:MM AM'"
        ) from err


class Event(BaseModel):
    """One thing that happened: a sentence about the user's activity, or an agent action."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time: float
    """When it happened, in seconds (unix seconds for real traces)."""
    text: str = Field(min_length=1)
    """One sentence saying what happened."""
    source: Source = "user"
    """Who produced it."""

    @field_validator("time", mode="before")
    @classmethod
    def _time(cls, value: Any) -> float:
        return parse_time(value)

    @field_validator("text", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"text must be a string, got {type(value).__name__}")
        text = " ".join(value.split())
        if not text:
            raise ValueError("text is empty")
        if len(text) > MAX_EVENT_CHARS:
            # Redact before the cut: a secret across the cut would no longer match afterwards
            # and most of it would be kept (shorter texts are redacted by `observe`).
            text = redact(text).text
        return text[:MAX_EVENT_CHARS]


class Draft(BaseModel):
    """A proposal the agent may make, in the paper's reply format plus its kind of help."""

    model_config = ConfigDict(extra="forbid")

    task: str
    """The concrete task offered to the user."""
    kind: str = "other"
    """The kind of help (explain, lookup_docs, fix_error, summarise, draft_text, organise, ...)."""
    purpose: str = ""
    """What the agent believes the user is trying to do."""
    thoughts: str = ""
    """Why this task helps now."""
    response: str = ""
    """What the agent says to the user alongside the task."""
    score: float = 0.0
    """The drafter's (or the judge's ranking) confidence in this draft."""
    p_accept: float | None = None
    """The embedded judge's probability that people accept this task (the personal model's
    input; None until scored)."""
    p_silence: float | None = None
    """The embedded judge's probability that silence is accepted at this event."""
    personal: float | None = None
    """The personal model's probability that this user accepts this task."""
    cue: str = ""
    """The person's last action that asked for this help outright ("a heading typed", "a
    question about the code on screen"); empty for a draft of the kind model's."""


class Feedback(BaseModel):
    """The user's (or the judge's) answer to one proposal."""

    model_config = ConfigDict(extra="forbid")

    answer: Answer
    """accept, reject, edit or ignore."""
    reason: str = ""
    """Why (a rejection's reason, the judge's explanation)."""
    task: str
    """The task that was judged."""
    kind: str = "other"
    """The kind of help that was judged."""
    edited_task: str | None = None
    """The user's changed task when the answer is edit."""
    by: Literal["judge", "human"] = "judge"
    """Who answered."""
    event_index: int = 0
    """Index (in `events`) of the user event the proposal answered."""
    time: float = 0.0
    """Event time of the answer (the time of the event the proposal answered)."""
    p_accept: float | None = None
    """The embedded judge's probability for the answered task (what the personal model learns
    from; kept so that a profile can be rebuilt from remembered answers)."""
    p_silence: float | None = None
    """The embedded judge's probability that silence was accepted at that event."""


class Proposal(BaseModel):
    """A draft shown to the user and what became of it."""

    model_config = ConfigDict(extra="forbid")

    event_index: int
    """Index (in `events`) of the event that triggered it."""
    task: str
    """The proposed task."""
    kind: str
    """Its kind of help."""
    round: int
    """0 for the first draft at this event, 1.. for refinements."""
    outcome: Answer
    """What the user answered."""


class ToolCall(BaseModel):
    """One tool call made by the executor."""

    model_config = ConfigDict(extra="forbid")

    tool: str
    """Tool name."""
    args: dict[str, Any] = Field(default_factory=dict)
    """Arguments it was called with."""
    output: str = ""
    """What it returned (truncated)."""
    ok: bool = True
    """False when the tool raised or refused."""


class Execution(BaseModel):
    """What the executor did for one accepted task."""

    model_config = ConfigDict(extra="forbid")

    task: str
    """The task carried out."""
    kind: str
    """Its kind of help."""
    calls: list[ToolCall] = Field(default_factory=list)
    """The tool calls, in order."""
    summary: str = ""
    """One sentence on the outcome."""
    ok: bool = True
    """False when the executor failed."""


class MemoryHit(BaseModel):
    """Something retrieved from memory for the current event."""

    model_config = ConfigDict(extra="forbid")

    text: str
    """The stored text (an event sentence or a feedback note)."""
    kind: Literal["event", "feedback", "execution"]
    """What was stored."""
    distance: float
    """Vector distance to the query (smaller is closer)."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Stored metadata (thread, time, answer, task kind, ...)."""


class Trim(BaseModel):
    """First item of an update to `events`: drop this many events from the window's front first.

    Only `observe` writes it, together with the matching `event_base`, in the same update: the
    window and its base move as one (a crash cannot leave one moved without the other)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    drop: int
    """How many of the oldest events leave the window."""


def append_events(left: list[Event], right: Sequence[Event | Trim]) -> list[Event]:
    """Reducer of `events`: append, after applying a leading :class:`Trim`."""
    if right and isinstance(right[0], Trim):
        return [*left[right[0].drop :], *right[1:]]  # type: ignore[list-item]
    return [*left, *right]  # type: ignore[list-item]


def keep_last(limit: int) -> Callable[[list[Any], list[Any]], list[Any]]:
    """A reducer that appends and keeps only the latest `limit` items."""

    def reduce(left: list[Any], right: list[Any]) -> list[Any]:
        merged = [*left, *right]
        return merged[-limit:] if len(merged) > limit else merged

    reduce.__name__ = f"keep_last_{limit}"
    return reduce


@dataclass(kw_only=True)
class InputState:
    """What a caller sends for one step: the new event."""

    event: dict[str, Any] | Event | None = None
    """The new event: `{"time": ..., "text": ..., "source": "user"}` (or `event` for text)."""


@dataclass(kw_only=True)
class State(InputState):
    """The agent's full state for one thread."""

    events: Annotated[list[Event], append_events] = field(default_factory=list)
    """The thread's latest events (at most about `EVENT_WINDOW`), user's and agent's, in
    arrival order."""
    event_base: int = 0
    """Number of events that left the window: `events[i]` is the thread's event number
    `event_base + i` (memory ids and `event_index` fields use those numbers)."""
    current: int = -1
    """Position in `events` of the event being handled (its number is `current_index`)."""
    memories: list[MemoryHit] = field(default_factory=list)
    """Past events and feedback retrieved for the current event."""
    need: float = 0.0
    """Need score of the current event, 0..1."""
    needs_help: bool = False
    """The detector's decision for the current event."""
    draft: Draft | None = None
    """The draft under consideration (None when silent)."""
    rejected: list[Draft] = field(default_factory=list)
    """Drafts rejected at the current event (refinements must differ from them)."""
    refinements: int = 0
    """Refinement rounds used at the current event."""
    feedback: Annotated[list[Feedback], keep_last(RECORD_WINDOW)] = field(default_factory=list)
    """The latest answers received in this thread (at most `RECORD_WINDOW`)."""
    proposals: Annotated[list[Proposal], keep_last(RECORD_WINDOW)] = field(default_factory=list)
    """The latest proposals made in this thread and their outcomes (`event_index` is the
    event's number, see `event_base`)."""
    executions: Annotated[list[Execution], keep_last(RECORD_WINDOW)] = field(default_factory=list)
    """The latest tasks carried out in this thread."""
    cooldown: int = 0
    """User events left during which no proposal is made (set after an ignored proposal)."""
    status: Status = "observing"
    """Where the handling of the current event ended."""
    decision: str = ""
    """Why the agent offered the current draft or stayed silent, in words (the personal
    model's reason)."""
    errors: Annotated[list[str], keep_last(RECORD_WINDOW)] = field(default_factory=list)
    """The latest model failures of this thread (each also recorded as an agent event)."""
    settings: dict[str, Any] = field(default_factory=dict)
    """The run settings (feedback mode, thresholds, backends, ...; never a server setting) the
    thread's first event ran with, written once by `observe`: they hold for every later run and
    resume of the thread (`graphs.context.thread_settings`), whoever resumes it."""

    @property
    def current_index(self) -> int:
        """The thread's number of the event being handled (stable as the window moves)."""
        return self.event_base + self.current

    @property
    def next_index(self) -> int:
        """The thread's number the next appended event will get."""
        return self.event_base + len(self.events)

    def event_numbered(self, index: int) -> Event | None:
        """The event with the thread's number `index`, or None when it left the window."""
        position = index - self.event_base
        return self.events[position] if 0 <= position < len(self.events) else None
