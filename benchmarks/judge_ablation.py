"""Ablation of the embedded judge: which feature family and training choice buys what.

Run from the repository root (about two minutes on two cores):

    .venv/bin/python -m benchmarks.judge_ablation [--folds 5] [--json] [--words DIR]

`--words DIR` adds the rows of the "embedding" family (a static word table built by
`benchmarks/build_judge_words.py`; not shipped).

Every configuration is scored exactly as `proactive bench judge --cv K` scores the shipped one:
the reward rows (`$PROACTIVEBENCH_DATA/reward_data/train_data.jsonl`) are split into K grouped
folds (whole traces, `bench.retrain.grouped_folds`), each fold is judged by a judge trained by
`train_judge` on the other folds only (the decision threshold, where used, is chosen on inner
grouped folds of those training rows), and F1 is of the accept class against the human majority
(`valid`) at the judge's own decision. "ms" is the mean wall time of one `Judge.judge` call
(features + model + reason) over all rows, on this machine.

Rows:
- "original": the judge before this work (sparse situation/task features, C=0.1, threshold 0.5);
- "+ C=0.03", "+ inner threshold": training choices on the original features;
- "sparse": the sparse model with every shipped fit family of `judge_features` (the whole
  judge before the encoder head);
- "encoder head alone": the logistic head over sentence vectors (`judge_head.py`) deciding
  alone at 0.5; "shipped: average": the shipped judge, the mean of both probabilities; the
  head's C=1 was picked after seeing C=0.03/0.1/1 on these folds, so the C=0.1 rows are shown;
- "sparse - X": the sparse families but X; "only X": X alone; "+ embedding": + static words;
- "HGB on fit vector": scikit-learn gradient-boosted trees on the dense fit vector alone (not
  shipped; measured to see whether trees beat the linear model on these features).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from backends.local import judge_features as jf
from backends.local.data import RewardRow, default_data_dir, load_reward_rows
from backends.local.encoder import default_encoder
from backends.local.features import user_events
from backends.local.judge_head import head_vector
from backends.local.train import TrainSettings, _binary_metrics, train_judge
from bench.retrain import grouped_folds


def _score(
    rows: Sequence[RewardRow],
    folds: list[list[int]],
    settings: TrainSettings,
    families: set[str],
    head_only: bool = False,
) -> dict[str, Any]:
    """Grouped-CV scores of one configuration; `head_only` decides by the encoder head alone."""
    jf.ENABLED.clear()
    jf.ENABLED.update(families)
    labels = np.asarray([int(r.valid) for r in rows])
    accepted = np.zeros(len(rows))
    elapsed = 0.0
    for held in folds:
        held_set = set(held)
        judge = train_judge([r for i, r in enumerate(rows) if i not in held_set], settings=settings)
        start = time.perf_counter()
        for i in held:
            if head_only:
                assert judge.head is not None
                vector = head_vector(default_encoder(), user_events(rows[i].obs), rows[i].pred_task)
                accepted[i] = judge.head.probability(vector) >= 0.5
            else:
                accepted[i] = judge.judge(rows[i].obs, rows[i].pred_task).accepted
        elapsed += time.perf_counter() - start
    m = _binary_metrics(labels, accepted)
    is_null = np.asarray([r.pred_task is None for r in rows])
    return {
        "f1": m["f1"],
        "accuracy": m["accuracy"],
        "f1_tasks": _binary_metrics(labels[~is_null], accepted[~is_null])["f1"],
        "null_accuracy": round(float((accepted[is_null] == labels[is_null]).mean()), 4),
        "ms": round(elapsed / len(rows) * 1000.0, 3),
    }


def _hgb(rows: Sequence[RewardRow], folds: list[list[int]]) -> dict[str, Any]:
    """Trees on the dense fit vector (shipped families), balanced weights, threshold 0.5."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    jf.ENABLED.clear()
    jf.ENABLED.update(jf.SHIPPED)
    x = np.asarray([jf.fit_vector(user_events(r.obs), r.pred_task) for r in rows])
    y = np.asarray([int(r.valid) for r in rows])
    p = np.zeros(len(rows))
    for held in folds:
        train = np.setdiff1d(np.arange(len(rows)), held)
        w = np.where(y[train] == 1, 0.5 / y[train].mean(), 0.5 / (1 - y[train].mean()))
        model = HistGradientBoostingClassifier(
            max_iter=200,
            learning_rate=0.05,
            max_leaf_nodes=15,
            min_samples_leaf=20,
            l2_regularization=1.0,
            random_state=0,
        ).fit(x[train], y[train], sample_weight=w)
        p[held] = model.predict_proba(x[held])[:, 1]
    m = _binary_metrics(y, p)
    return {"f1": m["f1"], "accuracy": m["accuracy"], "ms": None}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--words", type=Path, default=None, help="static word table directory")
    args = parser.parse_args(argv)
    data = Path(os.environ.get("PROACTIVEBENCH_DATA", "") or default_data_dir())
    rows = load_reward_rows(data)
    folds = grouped_folds(rows, args.folds)
    with_head = TrainSettings()
    # The family rows compare the sparse model's parts, as before the encoder head existed.
    shipped = replace(with_head, judge_encoder=False)
    original = replace(shipped, judge_c=0.1, judge_inner_folds=0)
    everything = set(jf.SHIPPED)
    optional = sorted(jf.FAMILIES - jf.SHIPPED) if args.words else []
    jf.WORDS_DIR = args.words
    configs: list[tuple[str, TrainSettings, set[str], bool]] = [
        ("original (no fit features, C=0.1, t=0.5)", original, set(), False),
        ("+ C=0.03", replace(original, judge_c=0.03), set(), False),
        ("+ inner threshold (C=0.03)", shipped, set(), False),
        ("sparse, C=0.03, t=0.5", replace(shipped, judge_inner_folds=0), everything, False),
        ("sparse (+ inner threshold)", shipped, everything, False),
        ("encoder head alone (C=1)", with_head, everything, True),
        ("encoder head alone (C=0.1)", replace(with_head, judge_encoder_c=0.1), everything, True),
        ("shipped: average of sparse and head (C=1)", with_head, everything, False),
        ("average, head C=0.1", replace(with_head, judge_encoder_c=0.1), everything, False),
        *((f"sparse - {fam}", shipped, everything - {fam}, False) for fam in sorted(everything)),
        *(
            (f"sparse, only {fam}", shipped, {fam}, False)
            for fam in sorted(everything | set(optional))
        ),
        *((f"sparse + {fam}", shipped, everything | {fam}, False) for fam in optional),
    ]
    results: dict[str, Any] = {}
    try:
        for name, settings, families, head_only in configs:
            results[name] = _score(rows, folds, settings, families, head_only)
            if not args.json:
                r = results[name]
                print(
                    f"{name:44s} F1 {r['f1']:.4f}  acc {r['accuracy']:.4f}  "
                    f"task-F1 {r['f1_tasks']:.4f}  null-acc {r['null_accuracy']:.3f}  "
                    f"{r['ms']:.2f} ms",
                    flush=True,
                )
        results["HGB on fit vector (not shipped)"] = _hgb(rows, folds)
    finally:
        jf.ENABLED.clear()
        jf.ENABLED.update(jf.SHIPPED)
        jf.WORDS_DIR = None
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        r = results["HGB on fit vector (not shipped)"]
        print(
            f"{'HGB on fit vector (not shipped, t=0.5)':44s} "
            f"F1 {r['f1']:.4f}  acc {r['accuracy']:.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
