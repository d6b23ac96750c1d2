"""Typed records of the gym: the language-model roles' replies, the trace, the graph's state
and settings.

Every reply of an environment, user or executor model is parsed into one of the models below
(through `backends.llm.structured_reply`, which shows the model its validation error and asks
again). Times are never taken from a model: the gym keeps its own clock.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from graphs.context import Context
from graphs.state import Draft, Event
from gym.scenes import Scene

START_CLOCK = 9 * 3600.0
"""The gym's clock starts on day 1 at 09:00 (seconds since day 1, 00:00)."""


def _properties(value: Any) -> Any:
    # Models write numbers and booleans as property values; the environment keeps text.
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return value


class EntityState(BaseModel):
    """One thing in the environment and its current condition."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1)
    """The entity's name, as in the scene (e.g. 'Workstation PC')."""
    status: str = "idle"
    """Its condition in a few words (e.g. 'open', 'running', 'idle')."""
    properties: dict[str, str] = Field(default_factory=dict)
    """Other facts about it (e.g. {'open_file': 'CapitalizeName.rb'})."""

    _clean = field_validator("properties", mode="before")(_properties)


class EnvironmentSetup(BaseModel):
    """An environment model's expansion of the scene: its entities with status and properties."""

    model_config = ConfigDict(extra="ignore")

    entities: list[EntityState] = Field(min_length=1)
    """Every entity of the scene, in its starting condition."""


class EnvironmentUpdate(BaseModel):
    """An environment model's account of what one user action causes."""

    model_config = ConfigDict(extra="ignore")

    events: list[str] = Field(min_length=1, max_length=4)
    """One to four event sentences, the user's action first ('The user ...'), then effects."""
    entity_updates: list[EntityState] = Field(default_factory=list)
    """Entities whose condition changed, with their new status and properties."""

    @field_validator("events")
    @classmethod
    def _sentences(cls, value: list[str]) -> list[str]:
        cleaned = [" ".join(str(v).split()) for v in value]
        if not all(cleaned):
            raise ValueError("every event must be a non-empty sentence")
        return cleaned


class UserTurn(BaseModel):
    """A user model's next move in the scene."""

    model_config = ConfigDict(extra="ignore")

    thought: str = ""
    """What the user is thinking (kept in the trace, never shown to the agent)."""
    action: str = ""
    """What the user does next, one sentence starting 'The user ...' (empty when done)."""
    goal_done: bool = False
    """True when the user's goal is finished and the session ends."""

    @field_validator("action", mode="before")
    @classmethod
    def _action(cls, value: Any) -> Any:
        return "" if value is None else " ".join(str(value).split())


class OperationCall(BaseModel):
    """An executor model's choice of one of the scene's operations, and its effect."""

    model_config = ConfigDict(extra="ignore")

    operation: str = Field(min_length=1)
    """The operation's name, one of the scene's agent operations (e.g. 'doc_search')."""
    arguments: list[str] = Field(default_factory=list)
    """Its arguments, in order, as text."""
    result: str = Field(min_length=1)
    """One sentence on what the user sees as a result."""
    entity_updates: list[EntityState] = Field(default_factory=list)
    """Entities the operation changed."""

    @field_validator("arguments", mode="before")
    @classmethod
    def _arguments(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return [str(v) for v in value.values()]
        if isinstance(value, list):
            return [str(v) for v in value]
        return value


class Operation(BaseModel):
    """A scene operation the gym's executor applied for an accepted task."""

    model_config = ConfigDict(extra="forbid")

    task: str
    """The accepted task."""
    call: str
    """The operation as written in events, e.g. "doc_search('ruby capitalize')"."""
    result: str
    """What the user sees as its result."""
    by: Literal["model", "script"]
    """Chosen by an executor model, or by the scripted (offline) executor."""


RecordKind = Literal[
    "scene",
    "entities",
    "event",
    "agent",
    "example",
    "proposal",
    "judgement",
    "operation",
    "failure",
    "end",
]


class TraceRecord(BaseModel):
    """One line of a scene's trace."""

    model_config = ConfigDict(extra="forbid")

    kind: RecordKind
    """What the line records."""
    step: int
    """The user step it belongs to (0 during setup)."""
    time: float
    """The gym clock at the record, in seconds since day 1, 00:00."""
    data: dict[str, Any] = Field(default_factory=dict)
    """The record's content (see docs/gym.md for each kind)."""


@dataclass(kw_only=True)
class GymContext(Context):
    """Settings of a gym run: the agent's settings plus the gym's own."""

    gym_model: str = field(
        default="local",
        metadata={
            "description": "Model of the environment, user and executor roles: 'local' plays "
            "the scene's example events offline; 'provider:model' or 'custom:name' uses an LLM."
        },
    )
    max_steps: int = field(
        default=20,
        metadata={"description": "User actions before the session ends (the step budget)."},
    )


@dataclass(kw_only=True)
class GymInput:
    """What starts a gym session: the scene to play."""

    scene: Scene | dict[str, Any] | None = None
    """The scene (a validated Scene or its YAML mapping)."""


@dataclass(kw_only=True)
class GymState(GymInput):
    """The state of one gym session."""

    persona: str = ""
    """The user's persona and goal, as the user model takes it on."""
    entities: list[EntityState] = field(default_factory=list)
    """The environment's entities and their current condition."""
    clock: float = START_CLOCK
    """The gym clock: advances per event, never read from a model."""
    steps: int = 0
    """User actions taken so far."""
    script: int = 0
    """Next index into the scene's example events (the scripted user's place)."""
    activity: str | None = None
    """The user's latest action, waiting for the environment (None: the session ends)."""
    goal_done: bool = False
    """The user's goal is finished."""
    history: Annotated[list[Event], operator.add] = field(default_factory=list)
    """Every event of the session, in order (user, environment and assistant)."""
    pending: list[Event] = field(default_factory=list)
    """Events the agent has not observed yet, oldest first."""
    accepted: Draft | None = None
    """A task the user accepted, waiting for the executor."""
    operations: Annotated[list[Operation], operator.add] = field(default_factory=list)
    """Scene operations applied for accepted tasks."""
    failures: Annotated[list[str], operator.add] = field(default_factory=list)
    """Model failures recorded (the session went on after each)."""
    log: Annotated[list[TraceRecord], operator.add] = field(default_factory=list)
    """The trace, in order."""
