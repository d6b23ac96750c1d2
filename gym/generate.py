"""Scene generation: expand the seed tasks of a seed file into new scenes with a chat model.

For every (family, task) of a seed file the model is asked for one scene as a JSON object of
the :class:`~gym.scenes.Scene` schema; the reply is parsed with
:func:`backends.llm.structured_reply`, which sends a malformed reply back with the error. A task
whose reply still fails is reported and skipped, so one bad reply never aborts a batch. Scenes
already in the output file count as done (matched by ``user.goal``), which makes a run resumable.
"""

from __future__ import annotations

import json
import os
import random
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import Field, field_validator

from backends.llm import structured_reply
from backends.schema import ModelOutputError
from gym.scenes import Environment, Scene, SeedFamily, UserPersona, dump_scenes

MIN_EVENTS = 10
"""Fewest example events a generated scene may have (a reply with fewer is retried)."""
MAX_EVENTS = 20
"""Most example events kept per generated scene (longer lists are cut)."""
STYLE_EVENTS = 8
"""How many of the family's sample events are shown to the model as a style guide."""

FAMILY_WORDS = {
    "codingassistant": "programming and software work",
    "writingassistant": "writing, editing and research",
    "dailyassistant": "everyday life: shopping, planning, chores and leisure",
}
"""Plain words for the seed families the prompt names; other families are named as they are."""

SYSTEM_PROMPT = """\
You design test scenes for a proactive assistant: an assistant that watches what a person \
does on their computer and offers help before being asked. A scene describes one working \
session: where it happens, who the person is, what they want to finish, and a sequence of \
observed events. You answer with one JSON object and nothing else."""

SCENE_PROMPT = """\
Design one scene for this kind of work: {family_words}.

The person's goal in this session, to be copied word for word into user.goal:
{task}

Answer with a JSON object of exactly this shape (no other keys):
{{
  "environment": {{
    "theme": "a short title for the setting, a few words",
    "description": "two to four sentences: the place, the devices and programs at hand, \
what the person is busy with",
    "entities": ["things present in the setting: programs, files, devices, web sites ..."],
    "agent_ops": ["operations the assistant could perform here, written as calls, \
e.g. search_docs(query) or open_file(path)"],
    "events_example": ["{min_events} to {max_events} short observed events in time order"]
  }},
  "user": {{
    "description": "the persona: name, age, job, skills and habits in two or three sentences",
    "goal": "the goal above, unchanged"
  }}
}}

Rules for events_example: each entry is one short sentence describing a single observable \
action, most of them starting with "The user" (a few may start with "The agent" for an \
action the assistant takes). Follow the person from starting the task through the small \
detours, mistakes and lookups of real work, towards finishing it. Name concrete programs, \
files, pages and messages. Write between {min_events} and {max_events} events.

Events of this family look like these (for their style only; do not copy them):
{style}
{variety}"""

VARIETY_PROMPT = """
Scenes already made for this goal have these themes: {themes}. Choose a different person and \
setting."""


class _GeneratedEnvironment(Environment):
    """The environment of a generated scene: stricter than a scene file demands."""

    agent_ops: list[str] = Field(min_length=1)
    events_example: list[str] = Field(min_length=MIN_EVENTS)

    @field_validator("events_example", mode="after")
    @classmethod
    def _cut(cls, value: list[str]) -> list[str]:
        return value[:MAX_EVENTS]


class GeneratedScene(Scene):
    """The schema a model reply must match: a :class:`Scene` with 10+ events and some ops."""

    environment: _GeneratedEnvironment


@dataclass
class GenerationResult:
    """What one generation run did."""

    written: list[Scene] = field(default_factory=list)
    """New scenes, in the order they were made."""
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    """(family, task, error) of every scene the model did not produce."""
    skipped: int = 0
    """Scenes not requested because the output already had them."""


def scene_messages(
    family: str, seed: SeedFamily, task: str, themes: Iterable[str] = ()
) -> list[BaseMessage]:
    """The conversation that asks for one scene of ``task``."""
    rng = random.Random(zlib.crc32(f"{family}\n{task}".encode()))
    events = list(seed.sample_events)
    style = rng.sample(events, min(STYLE_EVENTS, len(events)))
    themes = list(themes)
    prompt = SCENE_PROMPT.format(
        family_words=FAMILY_WORDS.get(family, family),
        task=task,
        min_events=MIN_EVENTS,
        max_events=MAX_EVENTS,
        style="\n".join(f"- {e}" for e in style) or "- (no samples given)",
        variety=VARIETY_PROMPT.format(themes=json.dumps(themes)) if themes else "",
    )
    return [SystemMessage(content=SYSTEM_PROMPT), HumanMessage(content=prompt)]


def generate_scene(
    model: BaseChatModel,
    family: str,
    seed: SeedFamily,
    task: str,
    *,
    themes: Iterable[str] = (),
    max_retries: int = 2,
) -> Scene:
    """One scene for ``task``; raises :class:`ModelOutputError` when the model cannot make one.

    The goal is set to the seed task verbatim whatever the model wrote, so that a later run
    recognises the task as done.
    """
    reply = structured_reply(
        model,
        scene_messages(family, seed, task, themes),
        GeneratedScene,
        role="scene generator",
        max_retries=max_retries,
    )
    data = reply.model_dump()
    return Scene(
        environment=Environment.model_validate(data["environment"]),
        user=UserPersona(description=data["user"]["description"], goal=task),
    )


def generate_scenes(
    seeds: dict[str, SeedFamily],
    model: BaseChatModel,
    *,
    existing: list[Scene] | None = None,
    per_task: int = 1,
    limit: int | None = None,
    families: Iterable[str] | None = None,
    max_retries: int = 2,
    log: TextIO | None = None,
    on_scene: Callable[[Scene], None] | None = None,
) -> GenerationResult:
    """Scenes for the seed tasks, ``per_task`` for each goal, counting those in ``existing``.

    ``limit`` caps the number of scenes requested from the model in this run; ``families``
    restricts the run to some seed families (in the seed file's order). Progress goes to
    ``log`` (standard error by default), one line per scene; ``on_scene`` is called with each
    new scene as soon as it is made (to save progress).
    """
    log = log if log is not None else sys.stderr
    wanted = list(seeds) if families is None else [f for f in seeds if f in set(families)]
    have = Counter(s.user.goal for s in existing or [])
    themes: dict[str, list[str]] = {}
    for s in existing or []:
        themes.setdefault(s.user.goal, []).append(s.environment.theme)
    jobs = []
    result = GenerationResult()
    for family in wanted:
        for task in seeds[family].tasks:
            missing = max(per_task - have[task], 0)
            result.skipped += min(have[task], per_task)
            jobs += [(family, task)] * missing
    if limit is not None:
        jobs = jobs[: max(limit, 0)]
    for n, (family, task) in enumerate(jobs, 1):
        label = f"[{n}/{len(jobs)}] {family}: {_short(task)}"
        try:
            scene = generate_scene(
                model,
                family,
                seeds[family],
                task,
                themes=themes.get(task, ()),
                max_retries=max_retries,
            )
        except ModelOutputError as exc:
            result.failed.append((family, task, str(exc)))
            print(f"{label} -> FAILED, skipped ({exc})", file=log, flush=True)
            continue
        result.written.append(scene)
        themes.setdefault(task, []).append(scene.environment.theme)
        print(
            f"{label} -> ok ({scene.environment.theme!r}, "
            f"{len(scene.environment.events_example)} events)",
            file=log,
            flush=True,
        )
        if on_scene is not None:
            on_scene(scene)
    return result


def write_scenes(scenes: list[Scene], path: Path) -> None:
    """Write a scene file without ever leaving a half-written one (temporary file, rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    dump_scenes(scenes, tmp)
    os.replace(tmp, path)


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."
