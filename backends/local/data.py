"""Reading ProactiveBench from its shared location (never copied into the project).

Reward rows are grouped into traces by their first observation; test traces are tied to the
reward traces whose rows contain any of their events, so a caller can hold a test trace out of
training completely.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from graphs.state import Event

DATA_ENV = "PROACTIVEBENCH_DATA"
"""Environment variable naming the ProactiveBench data directory."""

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The project's root directory."""

REWARD_FILE = Path("reward_data") / "train_data.jsonl"
"""Reward rows, relative to the data directory."""

TEST_DIR = Path("test_data")
"""Test traces (one JSON list per file), relative to the data directory."""


def default_data_dir() -> Path:
    """$PROACTIVEBENCH_DATA, or ../shared/proactivebench next to the project."""
    env = os.environ.get(DATA_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    return (REPO_ROOT / ".." / "shared" / "proactivebench").resolve()


def _norm(text: str) -> str:
    """Whitespace-normalised text, as `Event` stores it."""
    return " ".join(str(text).split())


def _event_text(item: Any) -> str:
    if isinstance(item, Event):
        return item.text
    if isinstance(item, Mapping):
        return _norm(item.get("event", item.get("text", "")))
    return _norm(item)


def trace_id(obs: Sequence[Any]) -> str:
    """The trace a reward row (or any event list) belongs to: its first event's text.

    Accepts `{time, event}` dicts, `Event`s or plain strings.
    """
    if not obs:
        raise ValueError("an empty observation list belongs to no trace")
    return _event_text(obs[0])


def trace_digest(trace: str) -> str:
    """A short stable name for a trace id, for manifests (they must not quote the data)."""
    return hashlib.blake2b(trace.encode("utf-8"), digest_size=6).hexdigest()


@dataclass(frozen=True)
class RewardRow:
    """One human judgement of a proposal (or of silence) after some observations."""

    obs: tuple[Event, ...]
    """Observations so far, oldest first."""
    pred_task: str | None
    """The proposal judged; None for no proposal."""
    help_needed: bool
    """Annotators: the user needed help at the last observation."""
    valid: bool
    """Majority: the judge should accept this output."""
    category: str
    """Missed-Need, Correct-Rejection, Correct-Detection or False-Alarm."""
    trace: str
    """`trace_id(obs)`."""
    annotation: tuple[bool, ...] = ()
    """Each annotator's own answer, in panel order (empty when the row has none): for a task,
    whether that person accepted it; for no proposal, whether that person accepted silence."""


@dataclass(frozen=True)
class TestTrace:
    """One annotated real trace from test_data/."""

    __test__ = False  # not a pytest test class, despite the name

    name: str
    """File name without .json (e.g. 'code_11')."""
    events: tuple[Event, ...]
    """Its events in time order."""
    task_status: tuple[bool, ...]
    """Per event: the annotators judged that the user needed help."""
    candidates: tuple[tuple[str, ...], ...]
    """Per event: the candidate tasks offered at annotation time."""

    @property
    def trace(self) -> str:
        """`trace_id` of its events."""
        return trace_id(self.events)


def _event(item: Mapping[str, Any]) -> Event:
    return Event(time=item.get("time", 0.0), text=item.get("event", item.get("text", "")))


def load_reward_rows(data_dir: Path, max_rows: int | None = None) -> list[RewardRow]:
    """Reward rows in file order (the first `max_rows` only, when given)."""
    path = data_dir / REWARD_FILE
    rows: list[RewardRow] = []
    cache: dict[tuple[str, str], Event] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            if max_rows is not None and len(rows) >= max_rows:
                break
            raw = json.loads(line)
            obs = []
            for item in raw["obs"]:
                key = (str(item.get("time")), str(item.get("event")))
                if key not in cache:
                    cache[key] = _event(item)
                obs.append(cache[key])
            pred = raw.get("pred_task")
            rows.append(
                RewardRow(
                    obs=tuple(obs),
                    pred_task=pred if isinstance(pred, str) and pred.strip() else None,
                    help_needed=bool(raw["help_needed"]),
                    valid=bool(raw["valid"]),
                    category=str(raw.get("category", "")),
                    trace=trace_id(obs),
                    annotation=tuple(bool(a) for a in raw.get("annotation") or ()),
                )
            )
    return rows


def load_test_traces(data_dir: Path) -> list[TestTrace]:
    """Every test trace file found in test_data/ (splits.json is not a trace), by name."""
    folder = data_dir / TEST_DIR
    traces: list[TestTrace] = []
    if not folder.is_dir():
        return traces
    for path in sorted(folder.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, list) or not raw:
            continue
        traces.append(
            TestTrace(
                name=path.stem,
                events=tuple(_event(step["observation"]) for step in raw),
                task_status=tuple(bool(step.get("task_status")) for step in raw),
                candidates=tuple(
                    tuple(step.get("agent_response", {}).get("candidate_task") or ())
                    for step in raw
                ),
            )
        )
    return traces


@lru_cache(maxsize=4)
def _event_index(data_dir: str) -> dict[str, frozenset[str]]:
    """Event text -> the reward traces whose rows contain it."""
    index: dict[str, set[str]] = {}
    for row in load_reward_rows(Path(data_dir)):
        for event in row.obs:
            index.setdefault(event.text, set()).add(row.trace)
    return {text: frozenset(traces) for text, traces in index.items()}


def trace_ids_for_events(texts: Iterable[str], data_dir: Path | None = None) -> set[str]:
    """The reward-row traces that share any event text with `texts` (e.g. a test trace)."""
    index = _event_index(str((data_dir or default_data_dir()).resolve()))
    found: set[str] = set()
    for text in texts:
        found |= index.get(_norm(text), frozenset())
    return found
