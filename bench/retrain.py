"""Retraining the embedded models for honest evaluation: whole traces held out, results cached.

The reward rows share their traces with the ProactiveBench test traces (see the data's README):
a model evaluated on a trace must be trained without it. This module reads rows files strictly,
groups rows into traces (merging traces that share an event), drops the training rows that share
an event with what is evaluated, and trains the embedded models into a cache keyed by everything
that determines them, so repeated bench runs reuse the same deterministic artifacts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backends.local import LocalModels, load_models
from backends.local.data import (  # noqa: F401 - the rows readers are bench API too
    REWARD_FILE,
    TEST_DIR,
    RewardRow,
    RowsFileError,
    load_reward_rows,
    load_test_traces,
    read_rows_file,
    row_lines,
    trace_digest,
)
from backends.local.train import MANIFEST, TrainSettings, train

_CODE_FILES = ("backends/local/*.py", "backends/local/encoder/info.json", "graphs/state.py")
"""Source files whose content decides what training produces (part of the cache key)."""

_ROOT = Path(__file__).resolve().parents[1]


def default_cache_dir() -> Path:
    """Where retrained models are cached: $XDG_CACHE_HOME/proactive-agent/models (the XDG
    default is ~/.cache); callers pass `cache_dir` to choose another place."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base).expanduser() / "proactive-agent" / "models"


# ---------------------------------------------------------------- traces and exclusions


def event_texts(rows: Iterable[RewardRow]) -> set[str]:
    """Every observed event text in the rows."""
    return {e.text for row in rows for e in row.obs}


def trace_groups(rows: Sequence[RewardRow]) -> list[str]:
    """Per row, its group: its trace (`trace_id`), merged with any trace sharing an event.

    In ProactiveBench no sentence occurs in two reward traces, so the groups are the traces; the
    merge keeps a fold honest on data where that does not hold.
    """
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    owner: dict[str, str] = {}
    for row in rows:
        find(row.trace)
        for event in row.obs:
            first = owner.setdefault(event.text, row.trace)
            a, b = find(first), find(row.trace)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return [find(row.trace) for row in rows]


def grouped_folds(rows: Sequence[RewardRow], k: int) -> list[list[int]]:
    """Indices of the rows held out in each of `k` folds; a whole group is in exactly one fold.

    Groups (`trace_groups`) go, largest first, to the fold with the fewest rows so far (the
    GroupKFold rule), so folds are deterministic and balanced in rows.
    """
    groups = trace_groups(rows)
    members: dict[str, list[int]] = {}
    for i, group in enumerate(groups):
        members.setdefault(group, []).append(i)
    if k < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, got {k}")
    if k > len(members):
        raise ValueError(f"{k} folds asked for, but the rows hold only {len(members)} traces")
    folds: list[list[int]] = [[] for _ in range(k)]
    for group in sorted(members, key=lambda g: (-len(members[g]), g)):
        smallest = min(range(k), key=lambda f: (len(folds[f]), f))
        folds[smallest].extend(members[group])
    return [sorted(fold) for fold in folds]


@dataclass(frozen=True)
class Exclusion:
    """Training rows split into those kept and those dropped for sharing evaluated events."""

    kept: list[RewardRow]
    """Rows whose trace shares no event with the evaluated ones."""
    dropped: list[RewardRow]
    """Rows of every trace that shares an event with the evaluated ones."""

    @property
    def dropped_traces(self) -> set[str]:
        return {r.trace for r in self.dropped}


def rows_excluding_traces(rows: Sequence[RewardRow], held_out_events: Iterable[str]) -> Exclusion:
    """Drop every trace of `rows` that has a row sharing an event text with `held_out_events`.

    A whole trace goes, not only the sharing rows: its other rows are the same activity.
    """
    held = {" ".join(str(t).split()) for t in held_out_events}
    touched = {row.trace for row in rows if any(e.text in held for e in row.obs)}
    return Exclusion(
        kept=[r for r in rows if r.trace not in touched],
        dropped=[r for r in rows if r.trace in touched],
    )


# ---------------------------------------------------------------- training with a cache


def _digest_files(hasher: Any, paths: Iterable[Path], root: Path) -> None:
    for path in sorted(paths):
        hasher.update(str(path.relative_to(root)).encode())
        hasher.update(b"\0")
        hasher.update(path.read_bytes())
        hasher.update(b"\0")


def cache_key(
    data_dir: Path,
    exclude_traces: Collection[str],
    rows_file: Path | None,
    seed: int,
    settings: TrainSettings,
) -> str:
    """A hash of everything that decides the trained models: rows, test traces, exclusions,
    seed, settings and the training code."""
    hasher = hashlib.sha256()
    rows_path = Path(rows_file) if rows_file is not None else Path(data_dir) / REWARD_FILE
    hasher.update(b"rows\0" + (rows_path.read_bytes() if rows_path.is_file() else b""))
    tests = Path(data_dir) / TEST_DIR
    if tests.is_dir():
        _digest_files(hasher, tests.glob("*.json"), tests)
    hasher.update(json.dumps(sorted({_trace_name(t) for t in exclude_traces})).encode())
    hasher.update(f"\0seed={seed}\0{settings!r}\0".encode())
    _digest_files(hasher, (p for pat in _CODE_FILES for p in _ROOT.glob(pat)), _ROOT)
    return hasher.hexdigest()[:20]


def _usable_cache_dir() -> Path:
    """`default_cache_dir()`, or a folder in the temp directory when that cannot be created
    (a read-only home, as in some CI jobs)."""
    root = default_cache_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        root = Path(tempfile.gettempdir()) / "proactive-agent-models"
    return root


def _trace_name(item: str) -> str:
    return item[:-5] if item.endswith(".json") else item


def fit_local_models(
    data_dir: Path,
    *,
    exclude_traces: Collection[str] = (),
    rows_file: Path | None = None,
    seed: int = 0,
    cache_dir: Path | None = None,
) -> LocalModels:
    """Train the embedded models (no cross-validation) and load them.

    `exclude_traces` takes reward trace ids and test trace names ('code_11': that trace and
    every reward trace sharing one of its events). `rows_file` replaces the data directory's
    reward rows; test traces always come from `data_dir`. Training is deterministic, so the
    artifacts are cached under `cache_dir` (default `default_cache_dir()`) by `cache_key`.
    """
    data_dir = Path(data_dir)
    settings = TrainSettings()
    root = Path(cache_dir) if cache_dir is not None else _usable_cache_dir()
    target = root / cache_key(data_dir, exclude_traces, rows_file, seed, settings)
    if not (target / MANIFEST).is_file():
        rows = read_rows_file(rows_file) if rows_file is not None else None
        root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".training-", dir=root))
        try:
            train(data_dir, scratch, seed, list(exclude_traces), cv=False, rows=rows)
            try:
                scratch.rename(target)
            except OSError:
                if not (target / MANIFEST).is_file():  # not a concurrent run's finished copy
                    raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return load_models(target)


def manifest_of(models: LocalModels) -> dict[str, Any]:
    """The training manifest next to a model set's artifacts."""
    return json.loads((models.artifact_dir / MANIFEST).read_text(encoding="utf-8"))


def traces_linked_to(data_dir: Path, trace_name: str, rows: Sequence[RewardRow]) -> set[str]:
    """The reward traces in `rows` that share an event with the named test trace."""
    by_name = {t.name: t for t in load_test_traces(Path(data_dir))}
    name = _trace_name(trace_name)
    if name not in by_name:
        raise ValueError(f"no test trace {name!r} in {Path(data_dir) / TEST_DIR}")
    events = {e.text for e in by_name[name].events}
    return {row.trace for row in rows if any(e.text in events for e in row.obs)}


def training_rows(data_dir: Path, rows_file: Path | None = None) -> list[RewardRow]:
    """The reward rows training reads: `rows_file`, else the data directory's."""
    if rows_file is not None:
        return read_rows_file(rows_file)
    return load_reward_rows(Path(data_dir))


def never_saw(
    models: LocalModels,
    data_dir: Path,
    trace_name: str,
    rows: Sequence[RewardRow] | None = None,
) -> bool:
    """Whether a model set's training manifest shows neither the test trace nor any reward
    trace of `rows` (default: the data directory's) that shares one of its events."""
    manifest = manifest_of(models)["data"]
    name = _trace_name(trace_name)
    if rows is None:
        rows = load_reward_rows(Path(data_dir))
    linked = {trace_digest(t) for t in traces_linked_to(data_dir, name, rows)}
    return name not in manifest["test_traces_used"] and not (
        linked & set(manifest["reward_traces_used"])
    )


def models_for_trace(
    data_dir: Path,
    trace_name: str,
    rows_file: Path | None = None,
    *,
    seed: int = 0,
    cache_dir: Path | None = None,
) -> LocalModels:
    """A model set that never saw the named test trace: its task_status labels and every
    reward row sharing one of its events are left out of training."""
    name = _trace_name(trace_name)
    if name not in {t.name for t in load_test_traces(Path(data_dir))}:
        raise ValueError(f"no test trace {name!r} in {Path(data_dir) / TEST_DIR}")
    return fit_local_models(
        data_dir, exclude_traces=[name], rows_file=rows_file, seed=seed, cache_dir=cache_dir
    )
