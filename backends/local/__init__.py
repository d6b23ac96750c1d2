"""Embedded, offline CPU models: need detector, judge and drafter, loaded from JSON artifacts.

    from backends.local import load_models
    models = load_models()
    models.need.score(events); models.judge.judge(events, task); models.drafter.candidates(events)

Artifacts are written by `backends.local.train.train` (the `proactive train` command) into a data
directory's `models/` folder; a command that selects that data directory (`use_data_dir`) loads
them before the shipped ones, and falls back to the shipped ones with a notice when they are
damaged. Inference needs numpy only.
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

MODELS_DIR = "models"
"""Folder of the retrained models inside a data directory (where `proactive train` writes)."""

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
    "models_dir",
    "use_data_dir",
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


def models_dir(data_dir: str | Path) -> Path:
    """Where `proactive train` puts the models of a data directory, and where they are loaded."""
    return Path(data_dir).expanduser() / MODELS_DIR


_selected: Path | None = None
"""The retrained models `load_models()` returns (None: the shipped ones); see `use_data_dir`."""


def use_data_dir(data_dir: str | Path | None) -> str | None:
    """Make `load_models()` return the models retrained into this data directory when it has
    them and they load, else the shipped ones. Returns a one-line notice when retrained models
    are there but damaged (then the shipped ones are used, and the notice says how to fix it).

    The commands call this once at start (the graph's nodes ask `load_models()` for the
    process's models, not for a directory)."""
    global _selected
    _selected = None
    if data_dir is None:
        return None
    folder = models_dir(data_dir)
    if not folder.exists():
        return None
    try:
        _load(folder.resolve())
    except Exception as err:  # noqa: BLE001 - whatever is in the files, the shipped models run
        reason = (str(err).splitlines() or [type(err).__name__])[0].split("; run `proactive")[0]
        return (
            f"notice: the retrained models in {folder} cannot be used ({reason[:200]}); "
            f"using the shipped models. To fix: retrain with `proactive train --data-dir "
            f"{data_dir}` (it replaces them only with sound models), or delete {folder}"
        )
    _selected = folder.resolve()
    return None


def load_models(artifact_dir: Path | None = None) -> LocalModels:
    """Load (once per directory) the embedded models; ArtifactError names any missing file.
    Without a directory: the retrained ones `use_data_dir` selected, else the shipped ones."""
    if artifact_dir is None:
        # Every step of the graph asks: no path resolution each time.
        return _load(_selected) if _selected is not None else _load_default()
    path = Path(artifact_dir).resolve()
    return _load_default() if path == Path(ARTIFACT_DIR).resolve() else _load(path)


_load = lru_cache(maxsize=8)(_build)
"""Models of other directories (retrained ones), the latest few kept."""


@lru_cache(maxsize=1)
def _load_default() -> LocalModels:
    """The shipped models, kept for the life of the process."""
    return _build(Path(ARTIFACT_DIR).resolve())
