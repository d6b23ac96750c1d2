"""Help-bench cases: one YAML file each, read safely and validated (the format is
docs/help.md's, the shared `help-bench/FORMAT.md`).

A case that cannot be used is refused with a one-line :class:`CaseError` naming the file and
the field; nothing is written while loading.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from graphs.state import parse_time
from gym.scenes import safe_yaml

CASE_SUFFIX = ".yaml"
"""Case files end with this; other files in a cases directory are left alone."""

MAX_CASE_BYTES = 2 << 20
"""Largest case file read (a case's workspace is a few small files)."""

MAX_WORKSPACE_FILES = 200
"""Most files one case's workspace may hold."""

CASE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
"""A case id: lower-case letters, digits and dashes."""


class CaseError(ValueError):
    """A case file that cannot be used; the message names the file and the field."""


class CaseEvent(BaseModel):
    """One thing the person did, with an optional time."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    """The sentence the agent observes."""
    time: float | None = None
    """Event time in seconds (or any form `graphs.state.parse_time` reads); None: 30 s after
    the previous event."""

    @field_validator("time", mode="before")
    @classmethod
    def _time(cls, value: Any) -> float | None:
        if isinstance(value, datetime):  # YAML reads an unquoted ISO time as a datetime
            return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()
        return None if value is None else parse_time(value)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty")
        return value


class Expect(BaseModel):
    """Regexes over the result (Python `re`, IGNORECASE | MULTILINE)."""

    model_config = ConfigDict(extra="forbid")

    all: list[str] = Field(default_factory=list)
    """Every one must match."""
    any: list[str] = Field(default_factory=list)
    """At least one must match (an empty list: no condition)."""
    none: list[str] = Field(default_factory=list)
    """None may match."""

    @field_validator("all", "any", "none")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            _compile(pattern)
        return patterns


class HelpCase(BaseModel):
    """One help-bench case: the person's project, what they did, and how to check the help."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """Unique id, [a-z0-9-]."""
    about: str = ""
    """One line for the report."""
    workspace: dict[str, str] = Field(default_factory=dict)
    """The person's project: relative path -> file text."""
    events: list[CaseEvent] = Field(min_length=1)
    """What the person did, oldest first (a plain string is an event's text)."""
    task: str | None = None
    """The person's edit: the task carried out instead of the drafted proposal."""
    kind: str | None = None
    """The kind of help expected (one of `backends.local.kinds.KINDS`)."""
    subject: str | None = None
    """Regex the drafted proposal must match (checked only when no `task` replaces it)."""
    expect: Expect = Field(default_factory=Expect)
    """Regexes over the result."""

    @field_validator("events", mode="before")
    @classmethod
    def _texts(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [_event_item(item) for item in value]
        return value

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not CASE_ID.match(value):
            raise ValueError(f"must be lower-case letters, digits and dashes, got {value!r:.60}")
        return value

    @field_validator("workspace")
    @classmethod
    def _paths(cls, files: dict[str, str]) -> dict[str, str]:
        if len(files) > MAX_WORKSPACE_FILES:
            raise ValueError(f"{len(files)} files, over the limit of {MAX_WORKSPACE_FILES}")
        for name in files:
            problem = path_problem(name)
            if problem:
                raise ValueError(f"path {name!r:.80}: {problem}")
        return files

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str | None) -> str | None:
        from backends.local.kinds import KINDS  # noqa: PLC0415 - light import for loading

        if value is not None and value not in KINDS:
            raise ValueError(f"must be one of {', '.join(KINDS)}, got {value!r:.40}")
        return value

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str | None) -> str | None:
        if value is not None:
            _compile(value)
        return value

    @field_validator("task")
    @classmethod
    def _task(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("is empty")
        return value

    def timed_events(self, start: float) -> list[CaseEvent]:
        """The events with their times filled in: the first at `start` unless given, each
        next one 30 s after the previous unless given."""
        out: list[CaseEvent] = []
        previous: float | None = None
        for event in self.events:
            when = event.time
            if when is None:
                when = start if previous is None else previous + 30.0
            out.append(CaseEvent(text=event.text, time=when))
            previous = when
        return out


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    except re.error as exc:
        raise ValueError(f"not a valid regex {pattern!r:.60} ({exc})") from None


EVENT_FIELDS = frozenset({"text", "time"})


def _event_item(item: Any) -> Any:
    """An event as a mapping: a sentence becomes {"text": ...}. An unquoted sentence holding
    ': ' reaches here as a one-entry mapping (YAML read "opens 'a': b" as a key and a value):
    when its key is no event field, it is the sentence, read back whole."""
    if isinstance(item, str):
        return {"text": item}
    if isinstance(item, dict) and len(item) == 1:
        [(key, rest)] = item.items()
        if isinstance(key, str) and key not in EVENT_FIELDS and isinstance(rest, str | int | float):
            return {"text": f"{key}: {rest}"}
    return item


def path_problem(name: str) -> str | None:
    """Why a workspace path cannot be written inside the workspace, or None."""
    if not isinstance(name, str) or not name.strip():
        return "empty"
    if "\x00" in name or "\\" in name:
        return "holds a NUL or a backslash"
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith("~") or re.match(r"^[A-Za-z]:", name):
        return "absolute; give a path relative to the workspace"
    if ".." in path.parts:
        return "leads out of the workspace (..)"
    if not path.parts or path.parts == (".",):
        return "names no file"
    return None


def _problems(exc: ValidationError) -> str:
    """Pydantic errors as 'field a.b: message; ...'."""
    out = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        out.append(f"field {loc or '(case)'}: {message}")
    return "; ".join(dict.fromkeys(out))


def load_case(path: Path) -> HelpCase:
    """One case file, read with the safe YAML loader (alias bombs refused) and validated."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_CASE_BYTES:
            raise CaseError(f"{path}: {size:,} bytes, over the limit of {MAX_CASE_BYTES:,}")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CaseError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise CaseError(f"{path}: not UTF-8 text") from None
    try:
        data = safe_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise CaseError(f"{path}: not valid YAML{where} ({problem})") from None
    except ValueError as exc:  # an alias bomb or a recursive alias
        raise CaseError(f"{path}: refused: {exc}") from None
    if not isinstance(data, dict):
        raise CaseError(f"{path}: expected a mapping with id, events and expect")
    try:
        return HelpCase.model_validate(data)
    except ValidationError as exc:
        raise CaseError(f"{path}: {_problems(exc)}") from None


def load_cases(where: Path) -> list[HelpCase]:
    """Every case of a directory (its `*.yaml` files, sorted), or the one case file given.

    A directory without cases, or two cases with one id, is a :class:`CaseError`."""
    where = Path(where)
    if where.is_file():
        return [load_case(where)]
    if not where.is_dir():
        raise CaseError(f"{where}: no such cases directory or case file")
    files = sorted(p for p in where.iterdir() if p.name.endswith(CASE_SUFFIX) and p.is_file())
    if not files:
        raise CaseError(f"{where}: no cases (*{CASE_SUFFIX} files) in the directory")
    cases, seen = [], {}
    for file in files:
        case = load_case(file)
        if case.id in seen:
            raise CaseError(f"{file}: field id: {case.id!r} is also the id of {seen[case.id]}")
        seen[case.id] = file.name
        cases.append(case)
    return cases


def default_cases_dir() -> Path:
    """The project's own cases (package data beside this module)."""
    return Path(__file__).resolve().parent / "help_cases"
