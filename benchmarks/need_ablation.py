"""Ablation of the need detector: feature families, label sources, model and L2 strength.

Run from the repository root (about a minute on two cores):

    .venv/bin/python -m benchmarks.need_ablation [--data DIR] [--json OUT]

Every row but the first two uses the shipped domain split (`need_features.in_domain`).
Every number is leave-one-trace-group-out, the protocol of `proactive train`'s cross-validation
and of `proactive bench need`: a group is a reward trace merged with the test traces that share
its events, and a held-out group's help_needed rows and task_status events are all left out of
the fit that scores them. Two evaluations per configuration:

- help: the reward rows' `help_needed`, one per distinct observation prefix (16 traces, 313 rows).
  This is the evaluation choices are made on.
- task: the local test traces' `task_status` (2 traces, 35 events). The figure that counts for
  issue 4, but 35 events: differences of one or two events are noise. Reported, never tuned on.

ms/event is the inference cost of the shipped path (features + hashed linear model, numpy only),
averaged over every test event scored with its whole prefix.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from backends.local import train as T
from backends.local.data import default_data_dir, load_reward_rows, load_test_traces
from backends.local.encoder import default_encoder
from backends.local.features import Features, window_features
from backends.local.need_features import FAMILIES, in_domain, need_features
from graphs.state import Event

Featurizer = Callable[[Sequence[Event]], Features]


@dataclass
class Item:
    events: list[Event]
    label: int
    group: str
    source: str


def load_items(data_dir: Path) -> list[Item]:
    """Need examples as the trainer builds them: deduplicated reward prefixes, then test events."""
    rows = load_reward_rows(data_dir)
    tests = load_test_traces(data_dir)
    links = T._links(rows, tests)
    groups = T._Groups()
    for row in rows:
        groups.find(row.trace)
    for trace in tests:
        for linked in sorted(links[trace.name]):
            groups.union("test:" + trace.name, linked)
    items: list[Item] = []
    seen: set[tuple[str, ...]] = set()
    for row in rows:
        key = tuple(e.text for e in row.obs)
        if key not in seen:
            seen.add(key)
            items.append(
                Item(list(row.obs), int(row.help_needed), groups.find(row.trace), "reward")
            )
    for trace in tests:
        for i, status in enumerate(trace.task_status):
            items.append(
                Item(trace.events[: i + 1], int(status), groups.find("test:" + trace.name), "test")
            )
    return items


def _metrics(truth: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    pred = scores >= 0.5
    tp = int((pred & (truth == 1)).sum())
    fp = int((pred & (truth == 0)).sum())
    fn = int((~pred & (truth == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    pos, neg = scores[truth == 1], scores[truth == 0]
    auc = float(
        ((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
        if pos.size and neg.size
        else float("nan")
    )
    return {
        "f1": round(f1, 3),
        "accuracy": round(float((pred == (truth == 1)).mean()), 3),
        "auc": round(auc, 3),
        "predicted_positive_rate": round(float(pred.mean()), 3),
    }


def evaluate(
    items: Sequence[Item],
    featurize: Featurizer,
    *,
    c: float = 0.1,
    test_weight: float = 1.0,
    reward_weight: float = 1.0,
    model: str = "lr",
    domains: bool = True,
) -> dict[str, Any]:
    """Leave-one-group-out scores of one configuration on both evaluations.

    `domains` augments features per label source (`in_domain`), as the shipped trainer does:
    help_needed rows are scored in the "help" domain, task_status events in the "task" one.
    """

    def view(it: Item) -> Features:
        features = featurize(it.events)
        if not domains:
            return features
        return in_domain(features, "task" if it.source == "test" else "help")

    samples = [
        T.Sample(
            view(it),
            it.label,
            it.group,
            it.source,
            test_weight if it.source == "test" else reward_weight,
        )
        for it in items
    ]
    groups = sorted({s.group for s in samples})
    scores = np.zeros(len(samples))
    fits: list[T.LinearModel] = []
    for group in groups:
        train = [s for s in samples if s.group != group and s.weight > 0]
        test_idx = [i for i, s in enumerate(samples) if s.group == group]
        if model == "lr":
            fitted = T._fit(train, ("no", "yes"), c, True, 0, 3000)
            fits.append(fitted)
            scores[test_idx] = T._prob_yes(fitted, [samples[i] for i in test_idx])
        else:
            scores[test_idx] = _gbt_scores(train, [samples[i] for i in test_idx])
    truth = np.asarray([s.label for s in samples])
    source = np.asarray([s.source for s in samples])
    out = {
        "help": _metrics(truth[source == "reward"], scores[source == "reward"]),
        "task": _metrics(truth[source == "test"], scores[source == "test"]),
    }
    if fits:
        tests = [it for it in items if it.source == "test"]
        start = time.perf_counter()
        for it in tests:
            fits[0].logits(view(it))
        out["ms_per_event"] = round((time.perf_counter() - start) * 1000 / max(1, len(tests)), 3)
    return out


def _gbt_scores(train: Sequence[T.Sample], test: Sequence[T.Sample]) -> np.ndarray:
    """Small gradient-boosted trees (scikit-learn, evaluation only: not shipped)."""
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.feature_extraction import DictVectorizer

    vec = DictVectorizer(sparse=False)
    x = vec.fit_transform([s.features for s in train])
    y = np.asarray([s.label for s in train])
    w = np.asarray([s.weight for s in train], dtype=float)
    pos, neg = w[y == 1].sum(), w[y == 0].sum()
    w = np.where(y == 1, w * (pos + neg) / (2 * pos), w * (pos + neg) / (2 * neg))
    gbt = GradientBoostingClassifier(
        n_estimators=100, max_depth=2, learning_rate=0.05, random_state=0
    )
    gbt.fit(x, y, sample_weight=w)
    return gbt.predict_proba(vec.transform([s.features for s in test]))[:, 1]


def _without(prefixes: tuple[str, ...]) -> Featurizer:
    def featurize(events: Sequence[Event]) -> Features:
        return {k: v for k, v in need_features(events).items() if not k.startswith(prefixes)}

    return featurize


def _only(prefixes: tuple[str, ...]) -> Featurizer:
    def featurize(events: Sequence[Event]) -> Features:
        return {k: v for k, v in need_features(events).items() if k.startswith(prefixes)}

    return featurize


def _vector(events: Sequence[Event], last: int) -> Features:
    """The shipped sentence encoder's mean vector of the last events (`encoder.py`)."""
    encoder = default_encoder()
    mean = np.mean([encoder.embed(e.text) for e in events[-last:]], axis=0)
    return {f"vec:{i}": float(v) for i, v in enumerate(mean)}


def _with_vector(last: int) -> Featurizer:
    def featurize(events: Sequence[Event]) -> Features:
        return {**need_features(events), **_vector(events, last)}

    return featurize


def _vector_only(events: Sequence[Event]) -> Features:
    return _vector(events, 1)


def configurations() -> list[tuple[str, Featurizer, dict[str, Any]]]:
    """(name, featurizer, options) of every row of the ablation table."""
    rows: list[tuple[str, Featurizer, dict[str, Any]]] = [
        ("previous: hashed window_features, LR C=0.1", window_features, {"domains": False}),
        ("need_features, pooled labels (no domain split)", need_features, {"domains": False}),
        ("shipped: need_features, domain split, LR C=0.1", need_features, {}),
    ]
    for c in (0.03, 0.3, 1.0):
        rows.append((f"need_features, LR C={c}", need_features, {"c": c}))
    rows.append(
        (
            "need_features, pooled, small GBT (100 trees, depth 2)",
            need_features,
            {"model": "gbt", "domains": False},
        )
    )
    rows.append(("need_features, domain split, small GBT", need_features, {"model": "gbt"}))
    rows.append(("need_features, help_needed only", need_features, {"test_weight": 0.0}))
    rows.append(("need_features, task_status only", need_features, {"reward_weight": 0.0}))
    rows.append(("need_features, task_status weight 3", need_features, {"test_weight": 3.0}))
    rows.append(
        (
            "need_features + window_features, domain split",
            lambda ev: {
                **window_features(ev),
                **{"n:" + k: v for k, v in need_features(ev).items()},
            },
            {},
        )
    )
    rows.append(("need_features + sentence vector of the last event", _with_vector(1), {}))
    rows.append(("need_features + mean vector of the last 3 events", _with_vector(3), {}))
    rows.append(("sentence vector of the last event alone", _vector_only, {}))
    for family, prefixes in FAMILIES.items():
        rows.append((f"need_features minus {family}", _without(prefixes), {}))
    for family, prefixes in FAMILIES.items():
        rows.append((f"only {family}", _only(prefixes), {}))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="ProactiveBench directory")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    items = load_items(Path(args.data) if args.data else default_data_dir())
    results = []
    print(
        "| configuration | help F1 | help acc | help AUC "
        "| task F1 | task acc | task AUC | ms/event |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, featurize, options in configurations():
        res = evaluate(items, featurize, **options)
        results.append({"configuration": name, **res})
        h, t = res["help"], res["task"]
        ms = res.get("ms_per_event", "-")
        print(
            f"| {name} | {h['f1']:.3f} | {h['accuracy']:.3f} | {h['auc']:.3f} | {t['f1']:.3f} | "
            f"{t['accuracy']:.3f} | {t['auc']:.3f} | {ms} |",
            flush=True,
        )
    reward = [it.label for it in items if it.source == "reward"]
    test = [it.label for it in items if it.source == "test"]
    for label, values in (("help", reward), ("task", test)):
        rate = sum(values) / len(values)
        print(
            f"always-propose {label}: F1 {2 * rate / (1 + rate):.3f}, accuracy {rate:.3f} "
            f"({len(values)} examples)",
            file=sys.stderr,
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
