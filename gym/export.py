"""What a gym run writes, and loaders that read it back.

- `traces/<scene>.jsonl`: one :class:`TraceRecord` per line (events, entity states, agent
  observations, proposals, judgements, operations, failures, the end of the session);
- `agent_train.jsonl`: chat-format examples for fine-tuning the agent: `{"messages": [system,
  user, ..., assistant]}`, the assistant's content being its JSON reply (Purpose, Thoughts,
  Proactive Task, Response), with the task the user accepted or null;
- `reward_train.jsonl`: reward-model rows as in ProactiveBench: `obs` ({time, event} list),
  `pred_task`, `accepted` and `valid` (the user's verdict), and `help_needed` when known.

Every file is written to a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gym.schema import TraceRecord

TRACES_DIR = "traces"
AGENT_TRAIN = "agent_train.jsonl"
REWARD_TRAIN = "reward_train.jsonl"
REPLY_KEYS = ("Purpose", "Thoughts", "Proactive Task", "Response")


class ChatMessage(BaseModel):
    """One message of a chat-format training example."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant"]
    """Who speaks."""
    content: str
    """What is said."""


class ChatExample(BaseModel):
    """One agent training example: what the agent saw, and the reply it should give."""

    model_config = ConfigDict(extra="forbid")

    messages: list[ChatMessage] = Field(min_length=3)
    """System prompt, the events as the user message(s), then the assistant's JSON reply."""

    @field_validator("messages")
    @classmethod
    def _ends_with_reply(cls, value: list[ChatMessage]) -> list[ChatMessage]:
        if value[0].role != "system" or value[-1].role != "assistant":
            raise ValueError("an example starts with the system prompt and ends with the reply")
        reply = json.loads(value[-1].content)
        if not isinstance(reply, dict) or tuple(reply) != REPLY_KEYS:
            raise ValueError(f"the reply must be a JSON object with keys {REPLY_KEYS}")
        return value

    @property
    def reply(self) -> dict[str, Any]:
        """The assistant's reply as a dict."""
        data: dict[str, Any] = json.loads(self.messages[-1].content)
        return data


class Observation(BaseModel):
    """One observed event in a reward row."""

    model_config = ConfigDict(extra="forbid")

    time: str
    """'Day N, HH:MM AM', as in ProactiveBench."""
    event: str
    """The event's sentence."""


class RewardExample(BaseModel):
    """One reward-model row: the observations, the proposal, and the user's verdict."""

    model_config = ConfigDict(extra="forbid")

    obs: list[Observation] = Field(min_length=1)
    """User and environment events up to the proposal, oldest first."""
    pred_task: str | None
    """The proposed task (None for no proposal)."""
    accepted: bool
    """The user accepted it."""
    valid: bool
    """Same as accepted (ProactiveBench's name for the label)."""
    help_needed: bool | None = None
    """Whether the user needed help at the last event, when known."""


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write JSON lines atomically (temporary file, then rename); returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    count = 0
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
        os.chmod(tmp, 0o644)  # mkstemp makes it private; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """JSON lines of a file (blank lines skipped)."""
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_trace(path: Path, records: Sequence[TraceRecord]) -> int:
    """Write one scene's trace."""
    return write_jsonl(path, (r.model_dump(mode="json") for r in records))


def load_trace(path: Path) -> list[TraceRecord]:
    """One scene's trace, validated."""
    return [TraceRecord.model_validate(row) for row in read_jsonl(path)]


def agent_examples(records: Sequence[TraceRecord]) -> list[ChatExample]:
    """The agent training examples of a trace."""
    examples = []
    for r in records:
        if r.kind != "example":
            continue
        reply = {key: r.data["reply"].get(key) for key in REPLY_KEYS}
        messages = [*r.data["messages"], {"role": "assistant", "content": json.dumps(reply)}]
        examples.append(ChatExample.model_validate({"messages": messages}))
    return examples


def reward_examples(records: Sequence[TraceRecord]) -> list[RewardExample]:
    """The reward rows of a trace: one per judged proposal."""
    rows = []
    for r in records:
        if r.kind != "judgement" or not r.data.get("obs"):
            continue
        rows.append(
            RewardExample(
                obs=r.data["obs"],
                pred_task=r.data["task"],
                accepted=r.data["accepted"],
                valid=r.data["accepted"],
                help_needed=r.data.get("help_needed"),
            )
        )
    return rows


def reward_row(example: RewardExample) -> dict[str, Any]:
    """A reward row as written: `help_needed` only when known."""
    row = example.model_dump()
    if row["help_needed"] is None:
        del row["help_needed"]
    return row


def trace_paths(out: Path) -> list[Path]:
    """The finished traces of an output directory, by name."""
    return sorted((Path(out) / TRACES_DIR).glob("*.jsonl"))


def write_training_sets(out: Path) -> tuple[int, int]:
    """Rebuild both training sets from every trace in ``out``; returns their row counts."""
    chats: list[ChatExample] = []
    rewards: list[RewardExample] = []
    for path in trace_paths(out):
        records = load_trace(path)
        chats += agent_examples(records)
        rewards += reward_examples(records)
    n_chat = write_jsonl(Path(out) / AGENT_TRAIN, (c.model_dump() for c in chats))
    n_reward = write_jsonl(Path(out) / REWARD_TRAIN, (reward_row(r) for r in rewards))
    return n_chat, n_reward


def load_agent_train(path: Path) -> list[ChatExample]:
    """An agent training set, validated."""
    return [ChatExample.model_validate(row) for row in read_jsonl(path)]


def load_reward_train(path: Path) -> list[RewardExample]:
    """A reward training set, validated."""
    return [RewardExample.model_validate(row) for row in read_jsonl(path)]
