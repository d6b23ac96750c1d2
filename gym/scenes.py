"""Scene files: what a simulated work session looks like, validated with pydantic.

The format is that of ProactiveBench's `scenes/new_scenes_good.yaml`: a YAML list of scenes,
each with an `environment` (theme, description, entities, the operations an assistant may
perform, example events) and a `user` (persona description, goal). Seed files
(`scenes/seedtask.yaml`) map a scene family to its seed `tasks` and `sample_events`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class SceneError(ValueError):
    """A scene or seed file that cannot be used; the message names the scene and the field."""


def _clean_list(value: Any) -> Any:
    if isinstance(value, list):
        return [" ".join(str(v).split()) for v in value if str(v).strip()]
    return value


class Environment(BaseModel):
    """Where the session happens and what the assistant may do there."""

    model_config = ConfigDict(extra="forbid")

    theme: str = Field(min_length=1)
    """Scene family, e.g. 'Coding', 'Writing', 'Daily life'."""
    description: str = Field(min_length=1)
    """The setting in a few sentences."""
    entities: list[str] = Field(min_length=1)
    """Things in the environment (applications, files, devices...)."""
    agent_ops: list[str] = Field(default_factory=list)
    """Operations an assistant may perform, as signatures like 'doc_search(keyword)'."""
    events_example: list[str] = Field(min_length=1)
    """Example events, in order: what the user (or the assistant) does."""

    @field_validator("entities", "agent_ops", "events_example", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return _clean_list(value)


class UserPersona(BaseModel):
    """Who works in the scene and what they want to get done."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1)
    """The persona."""
    goal: str = Field(min_length=1)
    """What the user is trying to finish in this session."""


class Scene(BaseModel):
    """One scene of a scene file."""

    model_config = ConfigDict(extra="forbid")

    environment: Environment
    """The environment side."""
    user: UserPersona
    """The user side."""

    @property
    def name(self) -> str:
        """A short readable name: the theme and the start of the goal."""
        words = self.user.goal.split()[:6]
        return f"{self.environment.theme}: {' '.join(words)}"


class SeedFamily(BaseModel):
    """Seed tasks and sample events of one scene family (seedtask.yaml)."""

    model_config = ConfigDict(extra="forbid")

    tasks: list[str] = Field(min_length=1)
    """Goals a user of this family may have."""
    sample_events: list[str] = Field(default_factory=list)
    """Events typical of this family."""


MAX_YAML_BYTES = 16 << 20
"""Largest scene or seed file read (ProactiveBench's 68 scenes take 150 KB)."""

MAX_YAML_NODES = 500_000
"""Most values a YAML file may expand to once its aliases are followed: a few kilobytes of
nested aliases can otherwise stand for billions of values (an alias bomb)."""


def _expanded_size(node: yaml.Node, seen: dict[int, int], path: set[int]) -> int:
    """How many values `node` stands for with every alias followed (stops past the limit)."""
    key = id(node)
    if key in path:
        raise ValueError("an alias refers to a value that contains it (a recursive alias)")
    if key in seen:
        return seen[key]
    path.add(key)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        children: list[yaml.Node] = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    else:
        children = []
    for child in children:
        total += _expanded_size(child, seen, path)
        if total > MAX_YAML_NODES:
            break
    path.discard(key)
    seen[key] = total
    return total


def safe_yaml(text: str) -> Any:
    """YAML data like `yaml.safe_load`, refusing a document whose aliases expand past
    `MAX_YAML_NODES` values or refer to themselves (ValueError says which)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {}, set())
        if size > MAX_YAML_NODES:
            raise ValueError(
                f"its aliases expand to more than {MAX_YAML_NODES:,} values (an alias bomb?)"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _read_yaml(path: Path) -> Any:
    try:
        size = Path(path).stat().st_size
        if size > MAX_YAML_BYTES:
            raise SceneError(f"{path}: {size:,} bytes, over the limit of {MAX_YAML_BYTES:,}")
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SceneError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise SceneError(f"{path}: not UTF-8 text") from None
    try:
        return safe_yaml(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise SceneError(f"{path}: not valid YAML{line}") from None
    except ValueError as exc:
        raise SceneError(f"{path}: refused: {exc}") from None


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"field {'.'.join(str(p) for p in e['loc']) or '(scene)'}: {e['msg']}" for e in exc.errors()
    )


def parse_scenes(data: Any, source: str = "<scenes>") -> list[Scene]:
    """Scenes from already-loaded YAML data; errors name the scene (index and goal) and field."""
    if not isinstance(data, list) or not data:
        raise SceneError(f"{source}: expected a non-empty list of scenes")
    scenes = []
    for i, item in enumerate(data):
        goal = ""
        if isinstance(item, dict) and isinstance(item.get("user"), dict):
            goal = str(item["user"].get("goal", ""))[:60]
        label = f"scene {i}" + (f" ({goal!r})" if goal else "")
        try:
            scenes.append(Scene.model_validate(item))
        except ValidationError as exc:
            raise SceneError(f"{source}: {label}: {_problems(exc)}") from None
    return scenes


def load_scenes(path: Path) -> list[Scene]:
    """Every scene of a scene file, validated."""
    return parse_scenes(_read_yaml(Path(path)), str(path))


def load_seeds(path: Path) -> dict[str, SeedFamily]:
    """The scene families of a seed file, validated."""
    data = _read_yaml(Path(path))
    if not isinstance(data, dict) or not data:
        raise SceneError(f"{path}: expected a mapping of scene families to tasks")
    seeds = {}
    for family, item in data.items():
        try:
            seeds[str(family)] = SeedFamily.model_validate(item)
        except ValidationError as exc:
            raise SceneError(f"{path}: family {family!r}: {_problems(exc)}") from None
    return seeds


def dump_scenes(scenes: list[Scene], path: Path) -> None:
    """Write scenes in the scene-file format."""
    Path(path).write_text(
        yaml.safe_dump([s.model_dump() for s in scenes], sort_keys=True, allow_unicode=True),
        encoding="utf-8",
    )
