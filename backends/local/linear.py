"""Hashed sparse linear models: the inference side of every embedded model (numpy only).

Training (scikit-learn, `train.py`) fits a logistic regression on hashed feature columns and keeps
only the columns that occurred in training; an artifact stores those hash ids, their weights and
the intercepts as plain JSON, so loading needs nothing but numpy.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from backends.local.features import FEATURE_VERSION
from backends.local.text import stable_hash

HASH_BITS = 20
"""Feature names are hashed into 2**20 ids: collisions are rare at a few thousand names."""

ARTIFACT_FORMAT = 1
"""Version of the artifact layout written by `LinearModel.to_json`."""

_MASK = (1 << HASH_BITS) - 1


class ArtifactError(RuntimeError):
    """An embedded model's artifact is missing, unreadable, or from another feature version."""


@lru_cache(maxsize=1 << 16)
def feature_id(name: str) -> int:
    """The hashed column of a feature name."""
    return stable_hash(name) & _MASK


def hash_features(features: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Hashed ids (sorted, unique) and values of named features; colliding names add up."""
    merged: dict[int, float] = {}
    for name, value in features.items():
        if value:
            fid = feature_id(name)
            merged[fid] = merged.get(fid, 0.0) + value
    ids = np.fromiter(sorted(merged), dtype=np.int64, count=len(merged))
    values = np.fromiter((merged[i] for i in ids.tolist()), dtype=np.float64, count=len(merged))
    return ids, values


def sigmoid(x: float) -> float:
    """Logistic function, safe for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax of a logit vector."""
    z = np.exp(x - np.max(x))
    return z / z.sum()


@dataclass(frozen=True)
class LinearModel:
    """A linear model over hashed features: one output (binary) or one per class."""

    index: np.ndarray
    """Sorted hashed feature ids that have weights."""
    coef: np.ndarray
    """Weights, shape (len(index), n_outputs)."""
    intercept: np.ndarray
    """Intercepts, shape (n_outputs,)."""
    classes: tuple[str, ...]
    """Class names: ("no", "yes") for a binary model (one output: the logit of "yes")."""

    def logits(self, features: Mapping[str, float]) -> np.ndarray:
        """Raw scores per output."""
        ids, values = hash_features(features)
        out = self.intercept.copy()
        if ids.size and self.index.size:
            pos = np.searchsorted(self.index, ids)
            pos[pos >= self.index.size] = 0
            known = self.index[pos] == ids
            if known.any():
                out += values[known] @ self.coef[pos[known]]
        return out

    def contributions(self, features: Mapping[str, float], output: int = 0) -> dict[str, float]:
        """Each named feature's share of one output's score (weight times value)."""
        out: dict[str, float] = {}
        for name, value in features.items():
            fid = feature_id(name)
            pos = int(np.searchsorted(self.index, fid))
            if pos < self.index.size and int(self.index[pos]) == fid:
                out[name] = float(self.coef[pos, output]) * value
        return out

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with weights rounded to 6 decimals (stable bytes across runs)."""
        return {
            "classes": list(self.classes),
            "index": [int(i) for i in self.index],
            "coef": [
                [round(float(w), 6) for w in self.coef[:, k]] for k in range(self.coef.shape[1])
            ],
            "intercept": [round(float(b), 6) for b in self.intercept],
        }

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> LinearModel:
        """Rebuild a model from `to_json` output."""
        index = np.asarray(payload["index"], dtype=np.int64)
        coef = np.asarray(payload["coef"], dtype=np.float64).T.reshape(index.size, -1)
        intercept = np.asarray(payload["intercept"], dtype=np.float64)
        classes = tuple(str(c) for c in payload["classes"])
        if coef.shape[1] != intercept.size or np.any(np.diff(index) <= 0):
            raise ValueError("weights and intercepts disagree, or the index is not sorted")
        return cls(index=index, coef=coef, intercept=intercept, classes=classes)


def dump_json(payload: Mapping[str, Any]) -> str:
    """Serialise deterministically: sorted keys, no spaces, a trailing newline."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def read_artifact(path: Path, kind: str) -> dict[str, Any]:
    """Read and check one artifact; any problem is an ArtifactError that says how to fix it."""
    hint = "run `proactive train` (or `python -m backends.local.train`) to create it"
    if not path.is_file():
        raise ArtifactError(f"embedded model artifact {path} is missing; {hint}")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        reason = "nested too deeply" if isinstance(err, RecursionError) else str(err)
        raise ArtifactError(
            f"embedded model artifact {path} is unreadable ({reason}); {hint}"
        ) from None
    if not isinstance(payload, dict) or payload.get("artifact") != kind:
        raise ArtifactError(f"{path} is not a '{kind}' artifact; {hint}")
    if (
        payload.get("format") != ARTIFACT_FORMAT
        or payload.get("feature_version") != FEATURE_VERSION
    ):
        raise ArtifactError(
            f"{path} was written for another artifact format or feature version "
            f"(format {payload.get('format')}, features {payload.get('feature_version')}; "
            f"this code reads format {ARTIFACT_FORMAT}, features {FEATURE_VERSION}); {hint}"
        )
    return payload


def load_linear(path: Path, kind: str) -> tuple[LinearModel, dict[str, Any]]:
    """Read an artifact and its linear model."""
    payload = read_artifact(path, kind)
    try:
        model = LinearModel.from_json(payload["model"])
    except (KeyError, TypeError, ValueError) as err:
        raise ArtifactError(
            f"embedded model artifact {path} is corrupt ({err!r}); run `proactive train` "
            "(or `python -m backends.local.train`) to recreate it"
        ) from err
    return model, payload


def artifact_payload(kind: str, model: LinearModel, **extra: Any) -> dict[str, Any]:
    """The dict written for one model: identification, feature version, weights, settings."""
    return {
        "artifact": kind,
        "format": ARTIFACT_FORMAT,
        "feature_version": FEATURE_VERSION,
        "hash_bits": HASH_BITS,
        "model": model.to_json(),
        **extra,
    }
