"""Train the embedded models from ProactiveBench and write their JSON artifacts.

    python -m backends.local.train [--data DIR] [--out DIR] [--seed N] [--exclude NAME ...]

scikit-learn is needed here only; inference reads the artifacts with numpy. Cross-validation
holds whole traces out (reward traces merged with the test traces that share their events), so
the reported numbers say how the models do on activity they have never seen.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from backends.local.data import (
    RewardRow,
    TestTrace,
    default_data_dir,
    load_reward_rows,
    load_test_traces,
    trace_digest,
    trace_id,
    trace_ids_for_events,
)
from backends.local.drafter import ARTIFACT as DRAFTER_ARTIFACT
from backends.local.encoder import default_encoder
from backends.local.features import FEATURE_VERSION, Features, user_events, window_features
from backends.local.judge import ARTIFACT as JUDGE_ARTIFACT
from backends.local.judge import Judge, judge_features
from backends.local.judge_head import fit_head, head_vector
from backends.local.kinds import KINDS, label_kind
from backends.local.linear import HASH_BITS, LinearModel, artifact_payload, dump_json, hash_features
from backends.local.need import ARTIFACT as NEED_ARTIFACT
from backends.local.need_features import NEED_FEATURES_VERSION, in_domain, need_features
from backends.local.panels import build_panels
from backends.local.personal import ARTIFACT as PERSONAL_ARTIFACT
from backends.local.personal import Prior, TrainingAnswers, fit_prior

__all__ = [
    "train",
    "train_judge",
    "trace_id",
    "trace_ids_for_events",
    "DEFAULT_ARTIFACT_DIR",
    "TrainSettings",
]

DEFAULT_ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts"
"""Where the shipped artifacts live."""

MANIFEST = "manifest.json"
"""File name of the training manifest."""

MIN_SAMPLES = 100
"""Fewest training samples each model needs before `proactive train` puts it in use (the
ProactiveBench subset gives the need detector 348, the judge 1629, the drafter 551)."""

MIN_GROUPS = 2
"""Fewest trace groups: with one, no trace can be held out, so no held-out score exists."""


class UnsoundModels(ValueError):
    """Training data that would give models unfit to replace the ones in use; says why."""


def soundness_problems(
    need_set: Sequence[Sample], judge_set: Sequence[Sample], drafter_set: Sequence[Sample]
) -> list[str]:
    """Why models trained on these samples must not replace the ones in use (empty: sound).

    Each model needs every class in its labels (a judge that never saw a rejection accepts
    everything; a drafter missing a kind can never propose it) and `MIN_SAMPLES` samples, and
    the rows must span `MIN_GROUPS` trace groups so a held-out score can be measured."""
    problems = []
    for name, samples, classes in (
        ("need detector", need_set, {0: "no need", 1: "need"}),
        ("judge", judge_set, {0: "reject", 1: "accept"}),
        ("drafter", drafter_set, {k: k for k in KINDS}),
    ):
        if len(samples) < MIN_SAMPLES:
            problems.append(f"the {name} has {len(samples)} samples (at least {MIN_SAMPLES})")
        seen = {s.label for s in samples}
        missing = [label for key, label in classes.items() if key not in seen]
        if missing:
            problems.append(f"the {name}'s labels lack {', '.join(missing)}")
    groups = len({s.group for s in judge_set})
    if groups < MIN_GROUPS:
        problems.append(
            f"the rows come from {groups} trace group(s): a held-out score needs {MIN_GROUPS}"
        )
    return problems


@dataclass(frozen=True)
class TrainSettings:
    """Model settings; fixed rather than searched, so the cross-validated numbers stay honest."""

    need_c: float = 0.1
    """Inverse L2 strength of the need detector when it is not selected (`select_need`)."""
    select_need: bool = True
    """Choose the need detector's L2 strength and threshold by leave-one-trace-out over every
    labelled trace (`_select_need`); off: `need_c` and 0.5."""
    judge_c: float = 0.03
    """Inverse L2 strength of the judge."""
    judge_inner_folds: int = 3
    """Grouped inner folds that choose the judge's decision threshold (0: keep 0.5)."""
    judge_encoder: bool = True
    """Give the judge a head over sentence vectors (`judge_head.py`), averaged with it."""
    judge_encoder_c: float = 1.0
    """Inverse L2 strength of that head."""
    drafter_c: float = 0.5
    """Inverse L2 strength of the drafter's kind model."""
    use_task_status: bool = True
    """Also train the need detector on the test traces' task_status labels."""
    personal_folds: int = 3
    """Grouped folds giving the judge's out-of-fold probabilities that the personal model's
    prior is fitted on (0: ship the default prior)."""
    max_iter: int = 3000
    """Solver iteration cap."""


@dataclass
class Sample:
    """One training example."""

    features: Features
    """Named feature values."""
    label: Any
    """Target: 0/1 for binary models, a kind name for the drafter."""
    group: str
    """Cross-validation group (merged trace); a whole group is held out together."""
    source: str
    """'reward' (a reward row) or 'test' (a test-trace event)."""
    weight: float = 1.0
    """Sample weight."""
    dense: np.ndarray | None = None
    """The judge samples' `judge_head.head_vector`, when the judge has an encoder head."""
    _hashed: tuple[np.ndarray, np.ndarray] | None = None
    """Cache of `hashed()`."""

    def hashed(self) -> tuple[np.ndarray, np.ndarray]:
        """Hashed ids and values of the features (computed once: every fold reuses them)."""
        if self._hashed is None:
            self._hashed = hash_features(self.features)
        return self._hashed


def _log(message: str) -> None:
    print(f"[train] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- groups and exclusions


class _Groups:
    """Union-find over trace ids: traces that share events must be held out together."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller id wins so that group names do not depend on order.
            self.parent[max(ra, rb)] = min(ra, rb)


def _links(rows: Sequence[RewardRow], tests: Sequence[TestTrace]) -> dict[str, set[str]]:
    """Test trace name -> reward traces that share an event with it (from the rows read)."""
    index: dict[str, set[str]] = {}
    for row in rows:
        for event in row.obs:
            index.setdefault(event.text, set()).add(row.trace)
    return {t.name: {tr for e in t.events for tr in index.get(e.text, ())} for t in tests}


def _expand_exclusions(
    exclude: Collection[str], tests: Sequence[TestTrace], links: dict[str, set[str]]
) -> set[str]:
    """Trace ids to drop. A test trace's name ('code_11' or 'code_11.json') stands for its own
    trace and every reward trace that shares its events."""
    by_name = {t.name: t for t in tests}
    out: set[str] = set()
    for item in exclude:
        key = item[:-5] if item.endswith(".json") else item
        if key in by_name:
            out |= {by_name[key].trace} | links[key]
        else:
            out.add(" ".join(item.split()))
    return out


# ---------------------------------------------------------------- fitting


def _design(samples: Sequence[Sample], columns: np.ndarray | None = None) -> tuple[Any, np.ndarray]:
    """Sparse design matrix over hashed ids; `columns` defaults to every id seen."""
    from scipy.sparse import csr_matrix

    hashed = [s.hashed() for s in samples]
    if columns is None:
        columns = np.unique(np.concatenate([ids for ids, _ in hashed] or [np.zeros(0, np.int64)]))
    data: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    indptr = [0]
    for ids, values in hashed:
        pos = np.searchsorted(columns, ids)
        if columns.size:
            pos[pos >= columns.size] = 0
            mask = columns[pos] == ids
        else:
            mask = np.zeros(ids.size, bool)
        cols.append(pos[mask])
        data.append(values[mask])
        indptr.append(indptr[-1] + int(mask.sum()))
    matrix = csr_matrix(
        (
            np.concatenate(data) if data else np.zeros(0),
            np.concatenate(cols) if cols else np.zeros(0, np.int64),
            np.asarray(indptr),
        ),
        shape=(len(samples), columns.size),
    )
    return matrix, columns


def _fit(
    samples: Sequence[Sample],
    classes: Sequence[str],
    c: float,
    balanced: bool,
    seed: int,
    max_iter: int,
) -> LinearModel:
    """Fit an L2 logistic regression; binary when `classes` has two names ('no', 'yes')."""
    from sklearn.linear_model import LogisticRegression

    matrix, columns = _design(samples)
    binary = len(classes) == 2
    y = np.asarray([int(s.label) if binary else classes.index(s.label) for s in samples])
    weights = np.asarray([s.weight for s in samples], dtype=np.float64)
    present = np.unique(y)
    if present.size < 2:
        # One class only (a tiny fold): a constant model that predicts it.
        n_out = 1 if binary else len(classes)
        intercept = np.full(n_out, -20.0)
        if binary:
            intercept[0] = 20.0 if present.size and present[0] == 1 else -20.0
        elif present.size:
            intercept[present[0]] = 20.0
        return LinearModel(
            index=np.zeros(0, np.int64),
            coef=np.zeros((0, n_out)),
            intercept=intercept,
            classes=tuple(classes),
        )
    model = LogisticRegression(
        C=c,
        class_weight="balanced" if balanced else None,
        max_iter=max_iter,
        random_state=seed,
    )
    model.fit(matrix, y, sample_weight=weights)
    if binary:
        coef = model.coef_.T.copy()
        intercept = model.intercept_.copy()
    else:
        # Classes absent from this fit get no weights and a very low intercept.
        coef = np.zeros((columns.size, len(classes)))
        intercept = np.full(len(classes), -20.0)
        if model.classes_.size == 2:
            # Two kinds present: scikit-learn fits one logit for the second against the first;
            # a softmax over (0, w.x + b) gives exactly the same probabilities.
            first, second = model.classes_
            intercept[first] = 0.0
            coef[:, second] = model.coef_[0]
            intercept[second] = model.intercept_[0]
        else:
            for j, cls in enumerate(model.classes_):
                coef[:, cls] = model.coef_[j]
                intercept[cls] = model.intercept_[j]
    # Round as the artifact will, so cross-validation scores the model that is shipped.
    coef = np.round(coef, 6)
    intercept = np.round(intercept, 6)
    keep = np.any(coef != 0.0, axis=1)
    return LinearModel(
        index=columns[keep], coef=coef[keep], intercept=intercept, classes=tuple(classes)
    )


def _prob_yes(model: LinearModel, samples: Sequence[Sample]) -> np.ndarray:
    logits = np.asarray([model.logits(s.features)[0] for s in samples])
    return 1.0 / (1.0 + np.exp(-logits))


def _kind_probs(model: LinearModel, samples: Sequence[Sample]) -> np.ndarray:
    out = []
    for s in samples:
        z = model.logits(s.features)
        z = np.exp(z - z.max())
        out.append(z / z.sum())
    return np.asarray(out)


# ---------------------------------------------------------------- metrics


def _binary_metrics(y: Sequence[int], p: Sequence[float], threshold: float = 0.5) -> dict[str, Any]:
    """F1 of the positive class, accuracy, precision, recall, and the rate of positives."""
    yt = np.asarray(y, dtype=int)
    yp = (np.asarray(p) >= threshold).astype(int)
    tp = int(((yp == 1) & (yt == 1)).sum())
    fp = int(((yp == 1) & (yt == 0)).sum())
    fn = int(((yp == 0) & (yt == 1)).sum())
    n = int(yt.size)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    always = 2 * yt.mean() / (1 + yt.mean()) if n and yt.mean() > 0 else 0.0
    return {
        "n": n,
        "f1": round(f1, 4),
        "accuracy": round(float((yp == yt).mean()) if n else 0.0, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "predicted_positive_rate": round(float(yp.mean()) if n else 0.0, 4),
        "positive_rate": round(float(yt.mean()) if n else 0.0, 4),
        "f1_always_positive": round(float(always), 4),
    }


def _held_out(
    samples: Sequence[Sample],
    fit: Callable[[Sequence[Sample]], Any],
    predict: Callable[[Any, Sequence[Sample]], np.ndarray],
) -> tuple[np.ndarray, list[str]]:
    """Leave-one-group-out predictions, aligned with `samples`."""
    groups = sorted({s.group for s in samples})
    out: list[Any] = [None] * len(samples)
    for group in groups:
        train_idx = [i for i, s in enumerate(samples) if s.group != group]
        test_idx = [i for i, s in enumerate(samples) if s.group == group]
        model = fit([samples[i] for i in train_idx])
        preds = predict(model, [samples[i] for i in test_idx])
        for i, pred in zip(test_idx, preds, strict=True):
            out[i] = pred
    return np.asarray(out), groups


# ---------------------------------------------------------------- datasets


def _need_samples(
    rows: Sequence[RewardRow],
    tests: Sequence[TestTrace],
    group_of: Callable[[str], str],
    use_task_status: bool,
) -> list[Sample]:
    """One sample per distinct observation prefix (help_needed), plus test events (task_status).

    Features are `need_features` (situation features, not words), augmented per label source
    (`in_domain`: "help" for help_needed, "task" for task_status): see docs/need.md.
    """
    samples: list[Sample] = []
    seen: set[tuple[str, ...]] = set()
    for row in rows:
        key = tuple(e.text for e in row.obs)
        if key in seen:
            continue
        seen.add(key)
        samples.append(
            Sample(
                in_domain(need_features(row.obs), "help"),
                int(row.help_needed),
                group_of(row.trace),
                "reward",
            )
        )
    if use_task_status:
        for trace in tests:
            for i, status in enumerate(trace.task_status):
                samples.append(
                    Sample(
                        in_domain(need_features(trace.events[: i + 1]), "task"),
                        int(status),
                        group_of("test:" + trace.name),
                        "test",
                    )
                )
    return samples


NEED_C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
"""L2 strengths the need detector's selection tries."""

NEED_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))
"""Thresholds the need detector's selection tries (0.05 .. 0.95)."""


def _select_need(
    samples: Sequence[Sample], settings: TrainSettings, seed: int
) -> tuple[float, float, dict[str, Any]]:
    """The need detector's L2 strength and threshold, chosen by leave-one-trace-out.

    Every labelled trace (reward traces with `help_needed`, test traces with `task_status`) is
    held out in turn; the pooled held-out scores are compared with the two trivial detectors at
    each threshold. The choice maximises the smaller of the two margins, F1 over always
    proposing and accuracy over never proposing: a detector worth having beats both. Ties go
    to the threshold nearer 0.5, then to the weaker fit. Returns (C, threshold, the table).
    """
    groups = {s.group for s in samples}
    if not settings.select_need or len(groups) < 3:
        return settings.need_c, 0.5, {}
    labels = np.asarray([s.label for s in samples])
    rate = float(labels.mean())
    always_f1 = 2 * rate / (1 + rate) if rate else 0.0
    never_accuracy = 1.0 - rate
    table = []
    for c in NEED_C_GRID:
        probs, _ = _held_out(
            samples,
            lambda s, c=c: _fit(s, ("no", "yes"), c, True, seed, settings.max_iter),
            _prob_yes,
        )
        for t in NEED_THRESHOLDS:
            m = _binary_metrics(labels, probs, t)
            margin = min(m["f1"] - always_f1, m["accuracy"] - never_accuracy)
            table.append(
                {
                    "c": c,
                    "threshold": t,
                    "f1": m["f1"],
                    "accuracy": m["accuracy"],
                    "margin": round(margin, 4),
                }
            )
    best = max(table, key=lambda r: (r["margin"], -abs(r["threshold"] - 0.5), -r["c"]))
    report = {
        "protocol": "leave one trace group out over every labelled trace; pooled held-out "
        "scores; maximise min(F1 - always-propose F1, accuracy - never-propose accuracy)",
        "groups": len(groups),
        "samples": len(samples),
        "positive_rate": round(rate, 4),
        "always_propose_f1": round(always_f1, 4),
        "never_propose_accuracy": round(never_accuracy, 4),
        "chosen": best,
        "beats_both": best["margin"] >= 0,
        "best_per_c": [
            max((r for r in table if r["c"] == c), key=lambda r: r["margin"]) for c in NEED_C_GRID
        ],
    }
    return float(best["c"]), float(best["threshold"]), report


_JUDGE_THRESHOLDS = tuple(round(0.3 + 0.025 * i, 3) for i in range(13))
"""Decision thresholds the judge's inner cross-validation chooses from (0.30 .. 0.60)."""


def _inner_folds(samples: Sequence[Sample], k: int) -> list[list[int]]:
    """Grouped folds over `samples` (largest group first into the smallest fold): deterministic."""
    members: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        members.setdefault(s.group, []).append(i)
    folds: list[list[int]] = [[] for _ in range(k)]
    for group in sorted(members, key=lambda g: (-len(members[g]), g)):
        smallest = min(range(k), key=lambda f: (len(folds[f]), f))
        folds[smallest].extend(members[group])
    return [sorted(f) for f in folds]


def _fit_judge(samples: Sequence[Sample], settings: TrainSettings, seed: int) -> Judge:
    """Fit the judge: its sparse model, then its encoder head on the samples' `dense` vectors
    (when they have them; the judge averages the two probabilities).

    The sparse model's decision threshold for task proposals is folded into its weights.

    Balanced class weights centre the scores on 0.5, which under-accepts tasks for F1 (accept is
    the positive class). The threshold for task proposals that maximises F1 on grouped inner
    folds of `samples` (whole traces held out, nothing from outside `samples`) is chosen from
    `_JUDGE_THRESHOLDS`, and the weight of the "proposal:task" feature (1 on every task
    proposal, absent on silence) is shifted by its logit, so the shipped model decides at 0.5.
    Silence keeps the balanced 0.5: lowering it would accept every "no proposal", which F1
    rewards but which would hide every missed need.
    """

    def fit(s: Sequence[Sample]) -> LinearModel:
        return _fit(s, ("reject", "accept"), settings.judge_c, True, seed, settings.max_iter)

    model = _threshold_for_tasks(fit(samples), samples, settings, fit)
    head = None
    if samples and all(s.dense is not None for s in samples):
        head = fit_head(
            np.stack([s.dense for s in samples]),  # type: ignore[misc]
            [int(s.label) for s in samples],
            settings.judge_encoder_c,
            default_encoder().sha256,
            settings.max_iter,
        )
    return Judge(model=model, threshold=0.5, head=head)


def _threshold_for_tasks(
    model: LinearModel,
    samples: Sequence[Sample],
    settings: TrainSettings,
    fit: Callable[[Sequence[Sample]], LinearModel],
) -> LinearModel:
    """`model` with its F1-best task threshold (on inner grouped folds) folded in."""
    k = settings.judge_inner_folds
    if k < 2 or len({s.group for s in samples}) < k:
        return model
    probs = np.zeros(len(samples))
    for held in _inner_folds(samples, k):
        held_set = set(held)
        inner = fit([s for i, s in enumerate(samples) if i not in held_set])
        probs[held] = _prob_yes(inner, [samples[i] for i in held])
    labels = [int(s.label) for s in samples]
    is_task = np.asarray(["proposal:task" in s.features for s in samples])
    scores = []
    for t in _JUDGE_THRESHOLDS:
        shifted = np.where(is_task, probs + (0.5 - t), probs)
        scores.append((_binary_metrics(labels, shifted)["f1"], -abs(t - 0.5), t))
    threshold = max(scores)[2]
    return _shift_feature(model, "proposal:task", -float(np.log(threshold / (1.0 - threshold))))


def _shift_feature(model: LinearModel, name: str, delta: float) -> LinearModel:
    """The same model with `delta` added to the weight of feature `name`."""
    from backends.local.linear import feature_id

    fid = feature_id(name)
    index, coef = model.index, model.coef.copy()
    pos = int(np.searchsorted(index, fid))
    if pos >= index.size or index[pos] != fid:
        index = np.insert(index, pos, fid)
        coef = np.insert(coef, pos, np.zeros(coef.shape[1]), axis=0)
    coef[pos, 0] = round(float(coef[pos, 0]) + delta, 6)
    return LinearModel(index=index, coef=coef, intercept=model.intercept, classes=model.classes)


def _judge_samples(
    rows: Sequence[RewardRow], group_of: Callable[[str], str], settings: TrainSettings
) -> list[Sample]:
    encoder = default_encoder() if settings.judge_encoder else None
    return [
        Sample(
            judge_features(row.obs, row.pred_task),
            int(row.valid),
            group_of(row.trace),
            "reward",
            dense=(
                head_vector(encoder, user_events(row.obs), row.pred_task)
                if encoder is not None
                else None
            ),
        )
        for row in rows
    ]


def _judge_probs(judge: Judge, samples: Sequence[Sample]) -> np.ndarray:
    """P(accept) as `Judge.judge` computes it, from the samples' precomputed features."""
    probs = _prob_yes(judge.model, samples)
    if judge.head is not None:
        head = judge.head
        probs = 0.5 * (probs + np.asarray([head.probability(s.dense) for s in samples]))
    return probs


def _drafter_samples(
    rows: Sequence[RewardRow], tests: Sequence[TestTrace], group_of: Callable[[str], str]
) -> list[Sample]:
    """Window -> kind of an accepted task (reward rows) or of an offered candidate (test traces).

    The kind is a weak label read from the task's wording by `label_kind`.
    """
    samples: list[Sample] = []
    for row in rows:
        if row.valid and row.pred_task:
            kind = label_kind(row.pred_task)
            if kind:
                samples.append(
                    Sample(window_features(row.obs), kind, group_of(row.trace), "reward")
                )
    for trace in tests:
        for i, tasks in enumerate(trace.candidates):
            kinds = [k for k in (label_kind(t) for t in tasks) if k]
            if not kinds:
                continue
            features = window_features(trace.events[: i + 1])
            # Several candidates share one window: together they weigh as much as one row.
            for kind in kinds:
                samples.append(
                    Sample(features, kind, group_of("test:" + trace.name), "test", 1.0 / len(kinds))
                )
    return samples


def _silence_sample(row: RewardRow, group: str, settings: TrainSettings) -> Sample:
    """The judge sample of "no proposal" at a row's moment (for moments without a silence row)."""
    silent = RewardRow(row.obs, None, row.help_needed, not row.help_needed, "", row.trace)
    return _judge_samples([silent], lambda _: group, settings)[0]


def _personal_prior(
    rows: Sequence[RewardRow], judge_set: Sequence[Sample], settings: TrainSettings, seed: int
) -> Prior:
    """Fit the personal model's prior on the annotators' own answers (`annotation`).

    The judge's probabilities it is fitted on are out-of-fold (grouped folds of whole traces), as
    they will be for a person the judge has never seen.
    """
    k = settings.personal_folds
    annotated = [i for i, r in enumerate(rows) if r.annotation]
    if k < 2 or not annotated or len({judge_set[i].group for i in annotated}) < k:
        return Prior()
    probs = np.zeros(len(rows))
    silence_at: dict[tuple[str, ...], float] = {}
    for held in _inner_folds(judge_set, k):
        held_set = set(held)
        kept = [s for i, s in enumerate(judge_set) if i not in held_set]
        judge = _fit_judge(kept, settings, seed)
        probs[held] = _judge_probs(judge, [judge_set[i] for i in held])
        moments: dict[tuple[str, ...], int] = {}
        for i in held:
            moments.setdefault(tuple(e.text for e in rows[i].obs), i)
        missing = [key for key in moments if key not in silence_at]
        samples = [_silence_sample(rows[moments[key]], "", settings) for key in missing]
        for key, p in zip(missing, _judge_probs(judge, samples) if samples else [], strict=True):
            silence_at[key] = float(p)
    data = TrainingAnswers()
    for size in sorted({len(rows[i].annotation) for i in annotated}):
        members = [i for i in annotated if len(rows[i].annotation) == size]
        panels = build_panels([rows[i] for i in members], size)
        for person in panels.people:
            who = f"{size}:{person.key}"
            for moment in panels.situations[person.trace]:
                first = rows[members[moment.tasks[0]]]
                p_silence = silence_at[tuple(e.text for e in first.obs)]
                p_tasks = [float(probs[members[t]]) for t in moment.tasks]
                answers = [rows[members[t]].annotation[person.position] for t in moment.tasks]
                for p, answer in zip(p_tasks, answers, strict=True):
                    data.person.append(who)
                    data.p_task.append(p)
                    data.p_silence.append(p_silence)
                    data.accepted.append(answer)
                silence = None
                if moment.silence is not None:
                    silence = rows[members[moment.silence]].annotation[person.position]
                    data.silence_person.append(who)
                    data.silence_p.append(p_silence)
                    data.silence_best.append(max(p_tasks))
                    data.silence_rejected.append(not silence)
                data.situations.append((who, p_tasks, answers, silence))
    return fit_prior(data, settings.max_iter)


# ---------------------------------------------------------------- training


def train(
    data_dir: Path | None = None,
    out_dir: Path | None = None,
    seed: int = 0,
    exclude_traces: Collection[str] = (),
    *,
    cv: bool = True,
    max_rows: int | None = None,
    settings: TrainSettings | None = None,
    rows: Sequence[RewardRow] | None = None,
    sound_only: bool = False,
) -> dict[str, Any]:
    """Train the need detector, judge and drafter; write their artifacts and a manifest into
    `out_dir` at once (a scratch directory renamed into place).

    `exclude_traces` holds whole traces out: reward-trace ids (`trace_id`) and/or test trace
    names ('code_11'); a test trace name also removes every reward trace sharing its events.
    `cv=False` skips cross-validation; `max_rows` reads only the first reward rows (for quick
    tests). `rows` replaces the data directory's reward rows (test traces still come from
    `data_dir`). `sound_only`: raise UnsoundModels before writing anything when the samples
    fail `soundness_problems` (for models that will be put in use). Returns the manifest
    (metrics under "cv").
    """
    from threadpoolctl import threadpool_limits

    if out_dir is None:
        raise ValueError("say where the models go (`out_dir`): the shipped ones are never implied")
    # Many small fits: one BLAS thread each is much faster than threads fighting over two cores.
    with threadpool_limits(limits=1):
        return _train(
            data_dir, out_dir, seed, exclude_traces, cv, max_rows, settings, rows, sound_only
        )


def _train(
    data_dir: Path | None,
    out_dir: Path | None,
    seed: int,
    exclude_traces: Collection[str],
    cv: bool,
    max_rows: int | None,
    settings: TrainSettings | None,
    given_rows: Sequence[RewardRow] | None = None,
    sound_only: bool = False,
) -> dict[str, Any]:
    """The body of `train`, run under a one-thread BLAS limit."""
    start = time.perf_counter()
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    out_dir = Path(out_dir)
    settings = settings or TrainSettings()
    if given_rows is not None:
        all_rows = list(given_rows)[:max_rows]
    elif not (data_dir / "reward_data").is_dir():
        raise FileNotFoundError(
            f"no ProactiveBench data at {data_dir} (set PROACTIVEBENCH_DATA to its directory)"
        )
    else:
        all_rows = load_reward_rows(data_dir, max_rows=max_rows)
    all_tests = load_test_traces(data_dir)
    links = _links(all_rows, all_tests)
    excluded = _expand_exclusions(exclude_traces, all_tests, links)
    rows = [r for r in all_rows if r.trace not in excluded]
    tests = [t for t in all_tests if t.trace not in excluded and not (links[t.name] & excluded)]
    present = {r.trace for r in all_rows}
    _log(
        f"{len(all_rows)} reward rows in {len(present)} traces, {len(all_tests)} test traces; "
        f"using {len(rows)} rows and {len(tests)} test traces"
    )

    groups = _Groups()
    for row in rows:
        groups.find(row.trace)
    for trace in tests:
        for linked in sorted(links[trace.name]):
            groups.union("test:" + trace.name, linked)

    def group_of(name: str) -> str:
        return groups.find(name)

    need_set = _need_samples(rows, tests, group_of, settings.use_task_status)
    judge_set = _judge_samples(rows, group_of, settings)
    drafter_set = _drafter_samples(rows, tests, group_of)
    _log(
        f"features: need {len(need_set)}, judge {len(judge_set)}, drafter {len(drafter_set)} "
        f"samples ({time.perf_counter() - start:.1f}s)"
    )
    if not need_set or not judge_set:
        raise ValueError("nothing left to train on after the exclusions")
    problems = soundness_problems(need_set, judge_set, drafter_set)
    if sound_only and problems:
        raise UnsoundModels("; ".join(problems))

    need_c, need_threshold, need_selection = _select_need(need_set, settings, seed)
    _log(
        f"need: C {need_c}, threshold {need_threshold} chosen by leave-one-trace-out "
        f"({time.perf_counter() - start:.1f}s)"
    )

    def fit_need(s: Sequence[Sample]) -> LinearModel:
        return _fit(s, ("no", "yes"), need_c, True, seed, settings.max_iter)

    def fit_judge(s: Sequence[Sample]) -> Judge:
        return _fit_judge(s, settings, seed)

    def fit_drafter(s: Sequence[Sample]) -> LinearModel:
        return _fit(s, KINDS, settings.drafter_c, False, seed, settings.max_iter)

    metrics: dict[str, Any] | None = None
    if cv:
        metrics = _cross_validate(
            need_set, judge_set, drafter_set, tests, fit_need, fit_judge, fit_drafter
        )
        _log(f"cross-validation done ({time.perf_counter() - start:.1f}s)")

    need_model = fit_need(need_set)
    judge = fit_judge(judge_set)
    prior = _personal_prior(rows, judge_set, settings, seed)
    _log(
        f"personal prior: {prior.people} people, {prior.answers} answers, bias sd "
        f"{prior.bias_sd:.2f} ({time.perf_counter() - start:.1f}s)"
    )
    head = {"encoder_head": judge.head.to_json()} if judge.head is not None else {}
    drafter_model = (
        fit_drafter(drafter_set) if drafter_set else _fit([], KINDS, 1.0, False, seed, 1)
    )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        manifest = _write_artifacts(
            scratch, need_model, need_threshold, judge, drafter_model, prior, head
        )
        manifest.update(
            {
                "seed": seed,
                "feature_version": FEATURE_VERSION,
                "hash_bits": HASH_BITS,
                "settings": {k: getattr(settings, k) for k in settings.__dataclass_fields__},
                "data": {
                    "reward_rows_read": len(all_rows),
                    "reward_rows_used": len(rows),
                    "reward_traces_used": sorted({trace_digest(r.trace) for r in rows}),
                    "reward_traces_excluded": sorted(trace_digest(t) for t in excluded & present),
                    "exclusions_requested": len(exclude_traces),
                    "test_traces_used": [t.name for t in tests],
                    "test_traces_excluded": sorted(
                        {t.name for t in all_tests} - {t.name for t in tests}
                    ),
                    "cv_groups": len({s.group for s in need_set}),
                    "need_samples": dict(sorted(Counter(s.source for s in need_set).items())),
                    "judge_samples": len(judge_set),
                    "drafter_samples": dict(sorted(Counter(s.source for s in drafter_set).items())),
                    "drafter_kind_counts": dict(
                        sorted(Counter(s.label for s in drafter_set).items())
                    ),
                },
                "cv": metrics,
                "need_selection": need_selection,
                "soundness_problems": problems,
            }
        )
        (scratch / MANIFEST).write_text(dump_json(manifest), encoding="utf-8")
        _install(scratch, out_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _log(
        f"wrote {', '.join(manifest['artifacts'])} and {MANIFEST} to {out_dir} "
        f"({time.perf_counter() - start:.1f}s)"
    )
    return manifest


ARTIFACT_NAMES = (NEED_ARTIFACT, JUDGE_ARTIFACT, DRAFTER_ARTIFACT, PERSONAL_ARTIFACT, MANIFEST)
"""Every file a training writes (the manifest last: it marks a complete set)."""


def _install(scratch: Path, out_dir: Path) -> None:
    """Put a complete set of artifacts in `out_dir`: a folder holding nothing else is swapped
    whole (two renames); into one holding other files, each file is renamed in, manifest last."""
    present = {p.name for p in out_dir.iterdir()} if out_dir.is_dir() else set()
    if present - set(ARTIFACT_NAMES):
        for name in ARTIFACT_NAMES:
            os.replace(scratch / name, out_dir / name)
        return
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        os.replace(out_dir, old / out_dir.name)
    os.replace(scratch, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_artifacts(
    out_dir: Path,
    need_model: LinearModel,
    need_threshold: float,
    judge: Judge,
    drafter_model: LinearModel,
    prior: Prior,
    head: dict[str, Any],
) -> dict[str, Any]:
    """Write the four model files; the manifest's "artifacts" and "trainer" parts."""
    written: dict[str, dict[str, int]] = {}
    for name, payload in (
        (
            NEED_ARTIFACT,
            artifact_payload(
                "need",
                need_model,
                threshold=need_threshold,
                need_features=NEED_FEATURES_VERSION,
            ),
        ),
        (JUDGE_ARTIFACT, artifact_payload("judge", judge.model, threshold=0.5, **head)),
        (DRAFTER_ARTIFACT, artifact_payload("drafter", drafter_model)),
        (PERSONAL_ARTIFACT, prior.to_json()),
    ):
        text = dump_json(payload)
        (out_dir / name).write_text(text, encoding="utf-8")
        model = payload.get("model")
        written[name] = {
            "bytes": len(text.encode("utf-8")),
            # A linear model's non-zero weights; the personal prior is a handful of numbers.
            "weights": len(model["index"]) if model else len(payload) - 2,
        }

    import sklearn

    return {
        "artifacts": written,
        "trainer": {"sklearn": sklearn.__version__, "numpy": np.__version__},
    }


def train_judge(
    rows: Sequence[RewardRow], seed: int = 0, settings: TrainSettings | None = None
) -> Judge:
    """Fit only the judge on `rows`, in memory: the judge `train` would write for these rows.

    For evaluations that refit the judge many times (cross-validation folds, held-out traces).
    """
    from threadpoolctl import threadpool_limits

    settings = settings or TrainSettings()
    samples = _judge_samples(rows, lambda trace: trace, settings)
    if not samples:
        raise ValueError("no reward rows to train the judge on")
    with threadpool_limits(limits=1):
        return _fit_judge(samples, settings, seed)


def _cross_validate(
    need_set: Sequence[Sample],
    judge_set: Sequence[Sample],
    drafter_set: Sequence[Sample],
    tests: Sequence[TestTrace],
    fit_need: Callable[[Sequence[Sample]], LinearModel],
    fit_judge: Callable[[Sequence[Sample]], Judge],
    fit_drafter: Callable[[Sequence[Sample]], LinearModel],
) -> dict[str, Any]:
    """Leave-one-trace-group-out metrics for the three models."""
    need_p, need_groups = _held_out(need_set, fit_need, _prob_yes)
    reward = [i for i, s in enumerate(need_set) if s.source == "reward"]
    test = [i for i, s in enumerate(need_set) if s.source == "test"]
    need = {
        "protocol": (
            "leave one trace group out; threshold 0.5; help_needed rows scored in the help "
            "domain, task_status events in the task domain (need_features.in_domain)"
        ),
        "groups": len(need_groups),
        "vs_help_needed": _binary_metrics([need_set[i].label for i in reward], need_p[reward]),
    }
    if test:
        need["vs_task_status"] = _binary_metrics([need_set[i].label for i in test], need_p[test])
        need["vs_task_status"]["traces"] = [t.name for t in tests]
    _log(
        f"need: held-out F1 {need['vs_help_needed']['f1']} vs help_needed"
        + (f", {need['vs_task_status']['f1']} vs task_status" if test else "")
    )

    judge_p, judge_groups = _held_out(judge_set, fit_judge, _judge_probs)
    is_null = np.asarray(["proposal:none" in s.features for s in judge_set])
    labels = np.asarray([s.label for s in judge_set])
    judge = {
        "protocol": "leave one trace group out; threshold 0.5; positive class = accept (valid)",
        "groups": len(judge_groups),
        "all": _binary_metrics(labels, judge_p),
        "null_proposals": _binary_metrics(labels[is_null], judge_p[is_null]),
        "task_proposals": _binary_metrics(labels[~is_null], judge_p[~is_null]),
    }
    _log(f"judge: held-out F1 {judge['all']['f1']}, accuracy {judge['all']['accuracy']}")

    drafter: dict[str, Any] = {"protocol": "leave one trace group out", "n": len(drafter_set)}
    if drafter_set:
        probs, _ = _held_out(drafter_set, fit_drafter, _kind_probs)
        truth = np.asarray([KINDS.index(s.label) for s in drafter_set])
        weights = np.asarray([s.weight for s in drafter_set])
        order = np.argsort(-probs, axis=1, kind="stable")
        top1 = order[:, 0] == truth
        top3 = (order[:, :3] == truth[:, None]).any(axis=1)
        prior = Counter()
        for s in drafter_set:
            prior[s.label] += s.weight
        ranked = [k for k, _ in sorted(prior.items(), key=lambda kv: (-kv[1], kv[0]))]
        base1 = np.asarray([s.label == ranked[0] for s in drafter_set])
        base3 = np.asarray([s.label in ranked[:3] for s in drafter_set])
        drafter.update(
            top1=round(float((top1 * weights).sum() / weights.sum()), 4),
            top3=round(float((top3 * weights).sum() / weights.sum()), 4),
            top1_majority_baseline=round(float((base1 * weights).sum() / weights.sum()), 4),
            top3_majority_baseline=round(float((base3 * weights).sum() / weights.sum()), 4),
        )
        _log(f"drafter: held-out top-1 {drafter['top1']}, top-3 {drafter['top3']}")
    return {"need": need, "judge": judge, "drafter": drafter}


def _held_out_summary(cv: dict[str, Any] | None) -> str:
    """The held-out scores in one line (or why there are none)."""
    if not cv:
        return "held-out scores not measured (--no-cv)"
    need, judge, drafter = cv["need"]["vs_help_needed"], cv["judge"]["all"], cv["drafter"]
    return (
        f"held-out: need F1 {need['f1']} (always-propose {need['f1_always_positive']}), "
        f"judge F1 {judge['f1']} (always-accept {judge['f1_always_positive']}), "
        f"drafter top-1 {drafter.get('top1', 'n/a')} "
        f"(majority {drafter.get('top1_majority_baseline', 'n/a')})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: train, put the models in use only when sound, print the held-out
    metrics. Models go to `<data dir>/models` (loaded before the shipped ones) unless --out."""
    from backends.local import models_dir  # noqa: PLC0415

    parser = argparse.ArgumentParser(
        prog="proactive train",
        description="Train the embedded offline models. They go to <data dir>/models, which "
        "`proactive run` and the other commands load before the shipped models; they replace "
        f"the models there only when sound (every class present, at least {MIN_SAMPLES} "
        f"samples per model, rows from at least {MIN_GROUPS} traces).",
    )
    parser.add_argument("--data", type=Path, default=None, help="ProactiveBench directory")
    parser.add_argument(
        "--data-dir",
        help="the data directory whose models/ folder receives the models (default "
        "$PROACTIVE_MEMORY_DIR, else .proactive: the one `proactive run` uses)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="artifact directory instead (maintainers: --out backends/local/artifacts "
        "regenerates the shipped models)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        help="trace id or test trace name to hold out (repeatable)",
    )
    parser.add_argument("--no-cv", action="store_true", help="skip cross-validation")
    parser.add_argument(
        "--rows",
        type=Path,
        action="append",
        default=[],
        help="reward rows to train on instead of the data directory's (repeatable: the files "
        "are joined), e.g. the rows `proactive ui` writes from annotations",
    )
    args = parser.parse_args(argv)
    from cli.common import data_dir  # noqa: PLC0415 - the same data directory as every command

    out = args.out if args.out is not None else models_dir(data_dir(args))
    rows = None
    if args.rows:
        from backends.local.data import DataFileError, read_rows_file  # noqa: PLC0415

        try:
            rows = [row for path in args.rows for row in read_rows_file(path)]
        except DataFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    try:
        manifest = train(
            args.data,
            out,
            args.seed,
            args.exclude,
            cv=not args.no_cv,
            rows=rows,
            sound_only=True,
        )
    except UnsoundModels as exc:
        print(
            f"error: refused to replace the models in {out}: {exc}; the models in use are "
            "unchanged",
            file=sys.stderr,
        )
        return 2
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import json

    print(json.dumps(manifest["cv"], indent=2, sort_keys=True))
    print(f"models written to {out}; {_held_out_summary(manifest['cv'])}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
