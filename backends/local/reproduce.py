"""Do retrained artifacts reproduce the shipped ones? Bytes where every processor computes the
same, decisions within measured tolerances where the processor takes part.

The sparse models (need detector, drafter, the judge's sparse part) are fitted on hashed features
of the data alone: the same bytes on every machine. The judge's encoder head is fitted on int8
sentence vectors, and onnxruntime computes those with different integer kernels on processors with
and without VNNI (the former exactly, the latter with 16-bit saturation), so the head's weights
and the personal prior fitted on the judge's probabilities move a little from one kind of
processor to another. They are compared by what they decide on every training row.
docs/models.md has the measurements behind `Tolerance` (`python -m benchmarks.encoder_kernels`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from backends.local.data import RewardRow
from backends.local.drafter import ARTIFACT as DRAFTER_ARTIFACT
from backends.local.encoder import Encoder, default_encoder
from backends.local.features import user_events
from backends.local.judge import ARTIFACT as JUDGE_ARTIFACT
from backends.local.judge import Judge, judge_features
from backends.local.judge_head import head_vector
from backends.local.linear import sigmoid
from backends.local.need import ARTIFACT as NEED_ARTIFACT
from backends.local.personal import ARTIFACT as PERSONAL_ARTIFACT

EXACT_ARTIFACTS = (NEED_ARTIFACT, DRAFTER_ARTIFACT)
"""Artifacts that must be byte-identical on every processor (no sentence vectors reach them)."""


@dataclass(frozen=True)
class Tolerance:
    """How far a retrained judge head and personal prior may be from the reference.

    Each bound is about twice the largest difference measured between kernel paths (exact
    VNNI/AMX products against saturating AVX2/AVX-512 ones, fused against unfused graphs:
    docs/models.md, "Across processors"); real changes to the data, the head's features or its
    L2 strength exceed them (tests/test_train.py).
    """

    head_weight: float = 0.11
    """Largest difference in any encoder-head weight or its intercept (measured: 0.053)."""
    head_relative: float = 0.08
    """Norm of the head's weight difference over the norm of the reference weights (measured:
    0.038)."""
    probability: float = 0.02
    """Largest difference in the judge's accept probability on any training row (measured:
    0.0084)."""
    flips: float = 0.005
    """Share of training rows whose accept/reject decision may differ (measured: 4 of 1629,
    0.25%)."""
    personal: float = 0.07
    """Largest difference in any number of the personal prior (measured: 0.034)."""


@dataclass
class Comparison:
    """What a retrained artifact set differs in from the reference, and whether that is within
    `Tolerance`."""

    problems: list[str] = field(default_factory=list)
    """One line per check that failed; empty: reproduced."""
    identical: list[str] = field(default_factory=list)
    """Artifacts (or parts, 'judge.json sparse model') that are byte-for-byte the same."""
    head_weight: float = 0.0
    """Largest difference in an encoder-head weight or the intercept."""
    head_relative: float = 0.0
    """Norm of the head weight difference over the reference's."""
    probability: float = 0.0
    """Largest difference in the judge's accept probability over the rows."""
    flips: int = 0
    """Rows whose accept/reject decision differs."""
    rows: int = 0
    """Rows the decisions were compared on."""
    personal: float = 0.0
    """Largest difference in a number of the personal prior."""

    @property
    def ok(self) -> bool:
        """True when everything matched within tolerance."""
        return not self.problems

    def summary(self) -> str:
        """One line of measurements, then the problems."""
        line = (
            f"identical: {', '.join(self.identical) or 'none'}; head weight diff "
            f"{self.head_weight:.6f} (relative {self.head_relative:.4f}); judge probability diff "
            f"{self.probability:.4f}; decisions flipped {self.flips}/{self.rows}; personal prior "
            f"diff {self.personal:.6f}"
        )
        return "\n".join([line, *self.problems])


def compare_artifacts(
    reference: Path,
    candidate: Path,
    rows: Sequence[RewardRow],
    encoder: Encoder | None = None,
    tolerance: Tolerance = Tolerance(),
) -> Comparison:
    """Compare the artifacts in `candidate` with those in `reference`.

    The judges' decisions are taken on `rows` with this machine's `encoder` (the shipped one by
    default), so only the models differ between the two sides, as they would for a user.
    """
    result = Comparison()
    for name in EXACT_ARTIFACTS:
        if (reference / name).read_bytes() == (candidate / name).read_bytes():
            result.identical.append(name)
        else:
            result.problems.append(f"{name} differs (it must be byte-identical on any processor)")
    _compare_judges(reference, candidate, rows, encoder or default_encoder(), tolerance, result)
    _compare_personal(reference, candidate, tolerance, result)
    return result


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _compare_judges(
    reference: Path,
    candidate: Path,
    rows: Sequence[RewardRow],
    encoder: Encoder,
    tolerance: Tolerance,
    result: Comparison,
) -> None:
    ref, cand = _load(reference / JUDGE_ARTIFACT), _load(candidate / JUDGE_ARTIFACT)
    ref_head, cand_head = ref.pop("encoder_head", None), cand.pop("encoder_head", None)
    if ref == cand:
        result.identical.append(f"{JUDGE_ARTIFACT} sparse model")
    else:
        result.problems.append(f"{JUDGE_ARTIFACT}: the sparse model differs")
    if (ref_head is None) != (cand_head is None):
        result.problems.append(f"{JUDGE_ARTIFACT}: only one side has an encoder head")
    elif ref_head is not None and cand_head is not None:
        if ref_head["encoder_sha256"] != cand_head["encoder_sha256"]:
            result.problems.append(f"{JUDGE_ARTIFACT}: the heads read different encoders")
        a = np.asarray([*ref_head["coef"], ref_head["intercept"]], dtype=np.float64)
        b = np.asarray([*cand_head["coef"], cand_head["intercept"]], dtype=np.float64)
        if a.shape != b.shape:
            result.problems.append(f"{JUDGE_ARTIFACT}: the heads have different lengths")
            return
        result.head_weight = float(np.abs(a - b).max())
        result.head_relative = float(np.linalg.norm(a - b) / max(np.linalg.norm(a), 1e-12))
        if result.head_weight > tolerance.head_weight:
            result.problems.append(
                f"{JUDGE_ARTIFACT}: an encoder-head weight differs by {result.head_weight:.4f} "
                f"(tolerance {tolerance.head_weight})"
            )
        if result.head_relative > tolerance.head_relative:
            result.problems.append(
                f"{JUDGE_ARTIFACT}: the encoder head moved by {result.head_relative:.4f} of its "
                f"norm (tolerance {tolerance.head_relative})"
            )
    p_ref, p_cand = judge_probabilities(
        [Judge.load(reference / JUDGE_ARTIFACT), Judge.load(candidate / JUDGE_ARTIFACT)],
        rows,
        encoder,
    )
    threshold = Judge.load(reference / JUDGE_ARTIFACT).threshold
    result.rows = len(rows)
    result.flips = int(((p_ref >= threshold) != (p_cand >= threshold)).sum())
    result.probability = float(np.abs(p_ref - p_cand).max()) if len(rows) else 0.0
    if result.probability > tolerance.probability:
        result.problems.append(
            f"{JUDGE_ARTIFACT}: an accept probability differs by {result.probability:.4f} "
            f"(tolerance {tolerance.probability})"
        )
    if result.flips > tolerance.flips * len(rows):
        result.problems.append(
            f"{JUDGE_ARTIFACT}: {result.flips} of {len(rows)} accept/reject decisions differ "
            f"(tolerance {tolerance.flips:.1%})"
        )


def judge_probabilities(
    judges: Sequence[Judge], rows: Sequence[RewardRow], encoder: Encoder
) -> list[np.ndarray]:
    """Each judge's accept probability on every row, as the trainer computes it (features once)."""
    out = [np.zeros(len(rows)) for _ in judges]
    for i, row in enumerate(rows):
        features = judge_features(row.obs, row.pred_task)
        vector = None
        for judge, probs in zip(judges, out, strict=True):
            p = sigmoid(float(judge.model.logits(features)[0]))
            if judge.head is not None:
                if vector is None:
                    vector = head_vector(encoder, user_events(row.obs), row.pred_task)
                p = 0.5 * (p + judge.head.probability(vector))
            probs[i] = p
    return out


def _compare_personal(
    reference: Path, candidate: Path, tolerance: Tolerance, result: Comparison
) -> None:
    ref, cand = _load(reference / PERSONAL_ARTIFACT), _load(candidate / PERSONAL_ARTIFACT)
    if ref == cand:
        result.identical.append(PERSONAL_ARTIFACT)
        return
    if set(ref) != set(cand):
        result.problems.append(f"{PERSONAL_ARTIFACT}: the fields differ")
        return
    for key in sorted(ref):
        a, b = ref[key], cand[key]
        if isinstance(a, float) and isinstance(b, float | int) and not isinstance(b, bool):
            result.personal = max(result.personal, abs(a - float(b)))
        elif a != b:
            result.problems.append(f"{PERSONAL_ARTIFACT}: {key} is {b!r}, not {a!r}")
    if result.personal > tolerance.personal:
        result.problems.append(
            f"{PERSONAL_ARTIFACT}: a number of the prior differs by {result.personal:.4f} "
            f"(tolerance {tolerance.personal})"
        )
