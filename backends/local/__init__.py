"""Embedded, offline CPU models: need detector, judge and drafter, loaded from JSON artifacts.

    from backends.local import load_models
    models = load_models()
    models.need.score(events); models.judge.judge(events, task); models.drafter.candidates(events)

Artifacts are written by `backends.local.train.train` (the `proactive train` command); inference
needs numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from backends.local.drafter import ARTIFACT as DRAFTER_ARTIFACT
from backends.local.drafter import Drafter
from backends.local.entities import Entities, extract_entities
from backends.local.judge import ARTIFACT as JUDGE_ARTIFACT
from backends.local.judge import Judge, Verdict
from backends.local.kinds import KINDS
from backends.local.linear import ArtifactError
from backends.local.need import ARTIFACT as NEED_ARTIFACT
from backends.local.need import NeedDetector
from backends.local.personal import ARTIFACT as PERSONAL_ARTIFACT
from backends.local.personal import Prior

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts"
"""The artifacts shipped with the project."""

__all__ = [
    "ARTIFACT_DIR",
    "KINDS",
    "ArtifactError",
    "Drafter",
    "Entities",
    "Judge",
    "LocalModels",
    "NeedDetector",
    "Prior",
    "Verdict",
    "extract_entities",
    "load_models",
]


@dataclass(frozen=True)
class LocalModels:
    """The three embedded models, loaded from one artifact directory."""

    need: NeedDetector
    """Scores whether the user needs help at the latest event."""
    judge: Judge
    """Accepts or rejects a proposal (or silence) on the user's behalf."""
    drafter: Drafter
    """Writes candidate tasks."""
    personal: Prior
    """The global part of the personal user model (`personal.py`)."""
    artifact_dir: Path
    """Where they were loaded from."""


def _build(artifact_dir: Path) -> LocalModels:
    return LocalModels(
        need=NeedDetector.load(artifact_dir / NEED_ARTIFACT),
        judge=Judge.load(artifact_dir / JUDGE_ARTIFACT),
        drafter=Drafter.load(artifact_dir / DRAFTER_ARTIFACT),
        personal=Prior.load(artifact_dir / PERSONAL_ARTIFACT),
        artifact_dir=artifact_dir,
    )


def load_models(artifact_dir: Path | None = None) -> LocalModels:
    """Load (once per directory) the embedded models; ArtifactError names any missing file."""
    if artifact_dir is None:
        return _load_default()  # every step of the graph asks: no path resolution each time
    path = Path(artifact_dir).resolve()
    return _load_default() if path == Path(ARTIFACT_DIR).resolve() else _load(path)


_load = lru_cache(maxsize=8)(_build)
"""Models of other directories (retrained ones), the latest few kept."""


@lru_cache(maxsize=1)
def _load_default() -> LocalModels:
    """The shipped models, kept for the life of the process."""
    return _build(Path(ARTIFACT_DIR).resolve())
