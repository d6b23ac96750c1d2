"""Run the gym over a scene file: one session per scene, one trace file per finished scene.

A finished scene's trace is written atomically, so an interrupted run resumes where it
stopped: scenes whose trace is present are skipped. One scene's failure is reported and the
batch goes on (the scene is tried again next run). The training sets are rebuilt from all
traces at the end of every run.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from gym.export import TRACES_DIR, write_trace, write_training_sets
from gym.scenes import Scene
from gym.schema import GymContext, TraceRecord

Answerer = Callable[[dict[str, Any]], Any]
"""Answers a human-review interrupt payload (feedback_mode='human')."""

NODES_PER_STEP = 24
"""Graph steps allowed per user step (its events, the agent's turns, operations)."""


def scene_id(index: int, scene: Scene) -> str:
    """A file-safe, stable name for the scene at ``index`` of its file."""
    slug = re.sub(r"[^a-z0-9]+", "-", scene.environment.theme.lower()).strip("-")[:40]
    return f"{index:03d}-{slug or 'scene'}"


def run_scene(
    scene: Scene,
    context: GymContext,
    *,
    thread: str,
    graph: CompiledStateGraph | None = None,
    answer: Answerer | None = None,
) -> list[TraceRecord]:
    """Play one scene to the end and return its trace."""
    from graphs.gym import build_gym  # noqa: PLC0415 - the graph imports the embedded models

    gym = graph if graph is not None else build_gym()
    config: dict[str, Any] = {
        "configurable": {"thread_id": thread},
        "recursion_limit": 50 + NODES_PER_STEP * context.max_steps,
    }
    result = gym.invoke({"scene": scene}, config, context=context)
    while "__interrupt__" in result:
        if answer is None:
            raise RuntimeError("the gym asks for a human answer but no answerer was given")
        payload = result["__interrupt__"][0].value
        result = gym.invoke(Command(resume=answer(payload)), config, context=context)
    return list(result["log"])


@dataclass
class SceneOutcome:
    """What happened to one scene in a run."""

    name: str
    """Its scene id (the trace's file name without .jsonl)."""
    status: str
    """'done', 'skipped' (trace already present) or 'failed'."""
    counts: dict[str, int] = field(default_factory=dict)
    """Records of the trace by kind."""
    seconds: float = 0.0
    """Wall time."""
    error: str = ""
    """Why it failed."""

    def line(self, position: int, total: int) -> str:
        """The progress line printed for the scene."""
        head = f"[{position}/{total}] {self.name}:"
        if self.status == "skipped":
            return f"{head} skipped (trace present)"
        if self.status == "failed":
            return f"{head} FAILED after {self.seconds:.1f} s: {self.error}"
        c = self.counts
        return (
            f"{head} {c.get('event', 0)} events, {c.get('proposal', 0)} proposals "
            f"({c.get('accepted', 0)} accepted), {c.get('operation', 0)} operations, "
            f"{c.get('failure', 0)} model failures, {self.seconds:.1f} s"
        )


@dataclass
class GymSummary:
    """What a run produced."""

    outcomes: list[SceneOutcome]
    """Per scene, in file order."""
    agent_examples: int
    """Rows of agent_train.jsonl."""
    reward_rows: int
    """Rows of reward_train.jsonl."""

    def text(self) -> str:
        by = {s: sum(o.status == s for o in self.outcomes) for s in ("done", "skipped", "failed")}
        return (
            f"{len(self.outcomes)} scenes: {by['done']} run, {by['skipped']} skipped, "
            f"{by['failed']} failed; {self.agent_examples} agent examples, "
            f"{self.reward_rows} reward rows"
        )


def count_records(records: Sequence[TraceRecord]) -> dict[str, int]:
    """Records by kind, plus accepted judgements."""
    counts: dict[str, int] = {}
    for r in records:
        counts[r.kind] = counts.get(r.kind, 0) + 1
    counts["accepted"] = sum(r.kind == "judgement" and bool(r.data["accepted"]) for r in records)
    return counts


def run_gym(
    scenes: Sequence[Scene],
    out: Path,
    context: GymContext,
    *,
    limit: int | None = None,
    concurrency: int = 1,
    answer: Answerer | None = None,
    progress: IO[str] | None = None,
) -> GymSummary:
    """Play the scenes (the first ``limit``), skipping those with a trace in ``out``."""
    progress = progress if progress is not None else sys.stderr
    chosen = list(scenes)[:limit] if limit is not None else list(scenes)
    traces = Path(out) / TRACES_DIR
    traces.mkdir(parents=True, exist_ok=True)
    total = len(chosen)

    def play(index: int) -> SceneOutcome:
        scene = chosen[index]
        name = scene_id(index, scene)
        path = traces / f"{name}.jsonl"
        if path.exists():
            return SceneOutcome(name, "skipped")
        started = time.perf_counter()
        # Each scene is its own user: no memory carries over from one scene to another.
        ctx = replace(context, user_id=f"gym-{name}")
        try:
            records = run_scene(scene, ctx, thread=f"gym-{name}", answer=answer)
        except Exception as exc:  # noqa: BLE001 - one scene's failure never aborts the batch
            error = f"{type(exc).__name__}: {exc}"
            return SceneOutcome(name, "failed", seconds=time.perf_counter() - started, error=error)
        write_trace(path, records)
        return SceneOutcome(
            name, "done", count_records(records), seconds=time.perf_counter() - started
        )

    outcomes: list[SceneOutcome] = []
    workers = max(1, min(concurrency, total or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for position, outcome in enumerate(pool.map(play, range(total)), start=1):
            outcomes.append(outcome)
            progress.write(outcome.line(position, total) + "\n")
            progress.flush()
    n_chat, n_reward = write_training_sets(Path(out))
    return GymSummary(outcomes, n_chat, n_reward)
