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

from pydantic import (
    BaseModel,
    ConfigDict,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

from graphs.state import Event
from memory.safe_json import JsonLineError, read_json_lines

JUDGE_CATEGORIES = ("Missed-Need", "Correct-Rejection", "Correct-Detection", "False-Alarm")
"""Reward-row categories, in the paper's order (the row files add an abbreviation)."""


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


def is_null_task(task: Any) -> bool:
    """True for "no proposal": None, empty or blank text, the string "null" / "none"."""
    if task is None:
        return True
    if isinstance(task, str):
        return task.strip().lower() in ("", "null", "none")
    if isinstance(task, list | tuple):
        return all(is_null_task(t) for t in task)
    return False


class DataFileError(ValueError):
    """A ProactiveBench file that cannot be used; the message names the file, the row or
    step, and the field."""


class RowsFileError(DataFileError):
    """A reward-rows file that cannot be read; the message names the file and line."""


def category_name(raw: str) -> str:
    """'False-Alarm (FA)' → 'False-Alarm'; raises on an unknown category."""
    name = raw.split("(")[0].strip()
    if name not in JUDGE_CATEGORIES:
        raise ValueError(
            f"unknown reward-row category {raw!r} (expected one of {', '.join(JUDGE_CATEGORIES)})"
        )
    return name


def row_from_json(raw: Any) -> RewardRow:
    """One reward row from its JSON object; ValueError says what is wrong with it."""
    if not isinstance(raw, dict):
        raise ValueError(f"expected a JSON object, got {type(raw).__name__}")
    missing = [k for k in ("obs", "valid", "help_needed") if k not in raw]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    obs_raw = raw["obs"]
    if not isinstance(obs_raw, list) or not obs_raw:
        raise ValueError("'obs' must be a non-empty list of {time, event} objects")
    obs = []
    for i, item in enumerate(obs_raw):
        if isinstance(item, str):
            item = {"event": item}
        if not isinstance(item, dict) or not isinstance(item.get("event"), str):
            raise ValueError(f"obs[{i}] has no 'event' text")
        try:
            obs.append(Event(time=item.get("time", 0.0), text=item["event"]))
        except ValueError as err:  # pydantic's ValidationError is a ValueError
            reason = str(err).splitlines()[-1].strip()
            raise ValueError(f"obs[{i}] is not a valid event ({reason})") from None
    for key in ("valid", "help_needed"):
        if not isinstance(raw[key], bool):
            raise ValueError(f"'{key}' must be true or false, got {raw[key]!r}")
    pred = raw.get("pred_task")
    if pred is not None and not isinstance(pred, str):
        raise ValueError(f"'pred_task' must be a string or null, got {type(pred).__name__}")
    task = None if is_null_task(pred) else pred
    # The category follows from (proposal?, valid); a stated one must agree with them.
    derived = (
        ("Correct-Detection" if raw["valid"] else "False-Alarm")
        if task is not None
        else ("Correct-Rejection" if raw["valid"] else "Missed-Need")
    )
    category = derived
    if raw.get("category") is not None:
        category = category_name(str(raw["category"]))
        if category != derived:
            raise ValueError(
                f"category {raw['category']!r} contradicts the row (a "
                f"{'task' if task else 'null'} proposal with valid={raw['valid']} is {derived})"
            )
    annotation = raw.get("annotation")
    if annotation is None:
        annotation = []
    if not isinstance(annotation, list) or not all(isinstance(a, bool) for a in annotation):
        raise ValueError(
            "'annotation' must be a list of true/false answers, one per annotator, "
            f"got {annotation!r:.80}"
        )
    return RewardRow(
        obs=tuple(obs),
        pred_task=task,
        help_needed=raw["help_needed"],
        valid=raw["valid"],
        category=category,
        trace=trace_id(obs),
        annotation=tuple(annotation),
    )


def read_rows_file(path: Path) -> list[RewardRow]:
    """Reward rows from a JSONL file (the `reward_data` format), in file order.

    Blank lines are skipped. Any malformed row raises RowsFileError naming the file and line.
    Categories are stored without their abbreviation ('False-Alarm').
    """
    path = Path(path)
    if not path.is_file():
        raise RowsFileError(f"rows file {path} does not exist")
    rows: list[RewardRow] = []
    lines = read_json_lines(path)
    while True:
        try:  # size, depth, UTF-8 and JSON: each a JsonLineError naming the file and line
            item = next(lines, None)
        except JsonLineError as err:
            raise RowsFileError(str(err)) from None
        except OSError as err:
            raise RowsFileError(f"rows file {path} cannot be read ({err.strerror})") from None
        if item is None:
            break
        number, value = item
        try:
            rows.append(row_from_json(value))
        except ValueError as err:
            raise RowsFileError(f"{path}:{number}: {err}") from None
    if not rows:
        raise RowsFileError(f"rows file {path} holds no rows")
    return rows


def row_lines(path: Path) -> list[int]:
    """The file line number of each row `read_rows_file` returns (blank lines skipped)."""
    with Path(path).open(encoding="utf-8") as handle:
        return [n for n, line in enumerate(handle, start=1) if line.strip()]


def load_reward_rows(data_dir: Path, max_rows: int | None = None) -> list[RewardRow]:
    """The data directory's reward rows in file order (the first `max_rows` only, when given),
    read strictly: :class:`RowsFileError` names the line and field of a malformed row."""
    path = Path(data_dir) / REWARD_FILE
    rows = read_rows_file(path)
    return rows if max_rows is None else rows[:max_rows]


class _Observation(BaseModel):
    model_config = ConfigDict(extra="allow")

    time: StrictStr | StrictFloat | StrictInt
    """When (unix seconds, often as a string)."""
    event: StrictStr
    """What the user did."""


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow")

    candidate_task: list[StrictStr] | None = None
    """The tasks offered at annotation time (null or absent: none)."""


class _Step(BaseModel):
    """One step of a test trace file."""

    model_config = ConfigDict(extra="allow")

    observation: _Observation
    agent_response: _Response | None = None
    task_status: StrictBool


SPLITS_FILE = "splits.json"
"""The split definition inside test_data/ (not a trace)."""


def read_test_trace(path: Path) -> TestTrace:
    """One test trace file, validated: DataFileError names the file, the step and the field."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise DataFileError(f"{path}: cannot be read ({err})") from None
    except json.JSONDecodeError as err:
        raise DataFileError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None
    except RecursionError:
        raise DataFileError(f"{path}: not valid JSON (nested too deeply)") from None
    if not isinstance(raw, list):
        raise DataFileError(
            f"{path}: a test trace must be a JSON list of steps, got {type(raw).__name__}"
        )
    if not raw:
        raise DataFileError(f"{path}: an empty trace (no steps)")
    steps = []
    for i, item in enumerate(raw):
        try:
            steps.append(_Step.model_validate(item))
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(step)"
            raise DataFileError(f"{path}: step {i}: field {field}: {first['msg']}") from None
    try:
        events = tuple(Event(time=s.observation.time, text=s.observation.event) for s in steps)
    except ValueError as err:
        reason = str(err).splitlines()[-1].strip()
        raise DataFileError(f"{path}: an observation is not a valid event ({reason})") from None
    return TestTrace(
        name=path.stem,
        events=events,
        task_status=tuple(s.task_status for s in steps),
        candidates=tuple(
            tuple(s.agent_response.candidate_task or ()) if s.agent_response else () for s in steps
        ),
    )


def load_test_traces(data_dir: Path) -> list[TestTrace]:
    """Every test trace file in test_data/ (`splits.json` aside), by name, each validated:
    a file of the wrong shape raises :class:`DataFileError`, it is never skipped."""
    folder = Path(data_dir) / TEST_DIR
    if not folder.is_dir():
        return []
    return [
        read_test_trace(path) for path in sorted(folder.glob("*.json")) if path.name != SPLITS_FILE
    ]


class _Split(BaseModel):
    model_config = ConfigDict(extra="allow")

    files: list[StrictStr]
    """The split's trace files."""
    theme: StrictStr = ""


def read_splits(data_dir: Path) -> dict[str, list[str]] | None:
    """Split name -> its trace file names, from test_data/splits.json (None without the file);
    DataFileError names the split and field of a malformed one."""
    path = Path(data_dir) / TEST_DIR / SPLITS_FILE
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise DataFileError(f"{path}: not readable JSON ({err})") from None
    if not isinstance(raw, dict):
        raise DataFileError(f"{path}: expected an object of splits, got {type(raw).__name__}")
    out = {}
    for name, spec in raw.items():
        try:
            out[name] = _Split.model_validate(spec).files
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(split)"
            raise DataFileError(f"{path}: split {name!r}: field {field}: {first['msg']}") from None
    return out


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
