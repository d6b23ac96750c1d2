"""Structured outputs of the language-model roles, in the paper's field names."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema


class AgentReply(BaseModel):
    """The proactive agent's reply to one event (the format of the ProactiveAgent paper)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    purpose: str = Field(alias="Purpose")
    """What the user is trying to do, as the agent understands it."""
    thoughts: str = Field(alias="Thoughts")
    """The agent's reasoning about whether and how to help now."""
    proactive_task: str | None = Field(alias="Proactive Task")
    """One concrete task to offer, or None to stay silent."""
    response: str = Field(default="", alias="Response")
    """What the agent says to the user."""

    @field_validator("proactive_task", mode="before")
    @classmethod
    def _null_task(cls, value: Any) -> Any:
        # Models write "no task" in many ways; all of them mean silence.
        if value is None:
            return None
        if isinstance(value, str) and value.strip().lower() in ("", "null", "none", "n/a"):
            return None
        return value

    @field_validator("purpose", "thoughts", "response", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return "" if value is None else value


class Judgement(BaseModel):
    """The user agent's verdict on one proposal (or on the agent's silence)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    accepted: bool
    """True when the user would accept the proposal (or agrees that silence was right)."""
    reason: str = ""
    """One sentence on why."""
    # Not in the schema a chat model is asked to fill: a number it makes up is no probability.
    probability: SkipJsonSchema[float | None] = None
    """The judge's probability of acceptance, when it has one (the embedded judge does)."""


class ModelOutputError(RuntimeError):
    """A language model failed to produce a usable reply after the allowed retries."""

    def __init__(self, role: str, message: str, attempts: int) -> None:
        super().__init__(f"{role} model failed after {attempts} attempt(s): {message}")
        self.role = role
        self.reason = message
        """What went wrong, without the role and the count."""
        self.attempts = attempts
        self.calls: list[Any] = []
        """Tool calls already made when it failed (the executor's), to keep on record."""
