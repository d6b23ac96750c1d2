"""`proactive bench judge`: how often a judge agrees with the human majority on reward rows.

Positive class = accept (the row's `valid` is true; the judge's prediction is `accepted`).
Three protocols for the embedded judge, and one for any other backend:

- plain: the judge as it is (the shipped embedded artifacts, or a language model);
- `cv=K`: grouped K-fold cross-validation of the embedded judge on the rows file itself, whole
  traces per fold, so every row is judged by a model trained without its trace;
- `train_rows=FILE2`: the embedded judge retrained on FILE2 minus every trace that shares an
  event with the evaluated rows (trace-held-out agreement).

The report says plainly whether the judge could have seen the evaluated traces in training: the
reward rows come from the same traces as the official test rows, and a lookup of `help_needed` by
the last event already scores F1 0.93 there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backends.judge import judge_for
from backends.llm import is_local
from backends.local import ARTIFACT_DIR, load_models
from backends.local.data import REWARD_FILE, RewardRow, load_reward_rows, trace_digest
from backends.local.train import MANIFEST, train_judge
from bench.metrics import JUDGE_CATEGORIES, BinaryCounts
from bench.output import progress, write_jsonl, write_metrics
from bench.plots import plot_confusion
from bench.retrain import (
    event_texts,
    grouped_folds,
    read_rows_file,
    row_lines,
    rows_excluding_traces,
    trace_groups,
)
from graphs.state import Event

JudgeCall = Callable[[Sequence[Event], str | None], tuple[bool, float | None, str]]
"""(events, task) -> (accepted, accept probability or None, reason)."""


@dataclass(frozen=True)
class _Plan:
    """Which judge scores which rows, and what its training saw."""

    judges: list[JudgeCall]
    """One judge per fold (one fold unless cross-validating)."""
    fold_of: list[int]
    """Per evaluated row, the index of its judge."""
    training_rows: list[list[RewardRow]] | None
    """Per fold, the rows its judge was trained on (None: unknown, e.g. a language model)."""
    protocol: str
    """The protocol in words."""
    leakage: str
    """'excluded (...)' or 'not excluded: ...' or 'not applicable: ...'."""


def _local_call(judge: Any) -> JudgeCall:
    def call(events: Sequence[Event], task: str | None) -> tuple[bool, float | None, str]:
        verdict = judge.judge(events, task)
        return verdict.accepted, verdict.accept_probability, verdict.reason

    return call


def _backend_call(spec: str) -> JudgeCall:
    model = judge_for(spec)

    def call(events: Sequence[Event], task: str | None) -> tuple[bool, float | None, str]:
        judgement = model.judge(events, task)
        return judgement.accepted, None, judgement.reason

    return call


def _shipped_training_rows(data_dir: Path) -> list[RewardRow] | None:
    """The data directory's reward rows that the shipped judge's manifest lists as used."""
    try:
        manifest = json.loads((ARTIFACT_DIR / MANIFEST).read_text(encoding="utf-8"))
        used = set(manifest["data"]["reward_traces_used"])
    except (OSError, KeyError, TypeError, json.JSONDecodeError):
        return None
    if not (Path(data_dir) / REWARD_FILE).is_file():
        return None
    return [r for r in load_reward_rows(Path(data_dir)) if trace_digest(r.trace) in used]


def _plan(
    judge_spec: str,
    rows: Sequence[RewardRow],
    rows_file: Path,
    data_dir: Path,
    cv: int | None,
    train_rows: Path | None,
    seed: int,
) -> _Plan:
    local = is_local(judge_spec)
    if (cv is not None or train_rows is not None) and not local:
        raise ValueError("--cv and --train-rows retrain the embedded judge: use --judge local")
    if cv is not None and train_rows is not None:
        raise ValueError("choose one of --cv and --train-rows")
    if cv is not None:
        folds = grouped_folds(rows, cv)
        fold_of = [0] * len(rows)
        judges: list[JudgeCall] = []
        training: list[list[RewardRow]] = []
        for f, held in enumerate(folds):
            held_set = set(held)
            for i in held:
                fold_of[i] = f
            fit_rows = [r for i, r in enumerate(rows) if i not in held_set]
            training.append(fit_rows)
            judges.append(_local_call(train_judge(fit_rows, seed=seed)))
        n_groups = len(set(trace_groups(rows)))
        return _Plan(
            judges,
            fold_of,
            training,
            f"grouped {cv}-fold cross-validation of the embedded judge on {rows_file.name}: "
            f"{n_groups} traces (rows grouped by first observation, traces sharing an event "
            "merged), each row judged by a judge trained on the other folds",
            f"excluded (grouped {cv}-fold CV: no trace is in both a judge's training rows and "
            "the rows it judges)",
        )
    if train_rows is not None:
        pool = read_rows_file(train_rows)
        groups = trace_groups(rows)
        order = list(dict.fromkeys(groups))
        fold_of = [order.index(g) for g in groups]
        judges = []
        training = []
        for group in progress(order, len(order), "judge: retraining per trace"):
            evaluated = [r for r, g in zip(rows, groups, strict=True) if g == group]
            split = rows_excluding_traces(pool, event_texts(evaluated))
            if not split.kept:
                raise ValueError(
                    f"every row of {train_rows} shares a trace with the evaluated trace "
                    f"{trace_digest(group)}: nothing is left to train its judge on"
                )
            training.append(split.kept)
            judges.append(_local_call(train_judge(split.kept, seed=seed)))
        used = [len(t) for t in training]
        return _Plan(
            judges,
            fold_of,
            training,
            f"embedded judge retrained once per evaluated trace ({len(order)} traces) on "
            f"{train_rows.name} without the rows of any trace sharing an event with it "
            f"({min(used)}..{max(used)} training rows each)",
            "excluded (trace-held-out: each evaluated trace was judged by a judge trained "
            "without every training trace that shares an event with it)",
        )
    if local:
        shipped = _shipped_training_rows(data_dir)
        return _Plan(
            [_local_call(load_models().judge)],
            [0] * len(rows),
            [shipped] if shipped is not None else None,
            "the embedded judge as shipped (trained on the data directory's reward rows)",
            "",  # decided from the overlap once it is measured
        )
    return _Plan(
        [_backend_call(judge_spec)],
        [0] * len(rows),
        None,
        f"the {judge_spec} judge, prompted with the events so far and the proposal",
        "not applicable: a language-model judge is not trained on these rows by this project "
        "(whether its pre-training saw ProactiveBench is unknown)",
    )


_AGREEMENT = ("f1", "accuracy", "precision", "recall", "n")


def per_annotator(rows: Sequence[RewardRow], predictions: Sequence[bool]) -> dict[str, Any]:
    """Agreement with each annotator's own answer, and the human ceiling beside it.

    `per_annotator`: the judge against every (row, annotator) answer (positive = accept).
    `human_ceiling`: each annotator against the majority of the others, on rows with at least
    three answers, ties skipped (one person predicting another's answer as well as people can).
    `per_annotator_on_ceiling_pairs`: the judge on exactly those (row, annotator) pairs.
    Empty when no row has `annotation`."""
    judge_pred, judge_truth = [], []
    ceiling_pred, ceiling_truth, paired_pred = [], [], []
    for row, predicted in zip(rows, predictions, strict=True):
        for j, own in enumerate(row.annotation):
            judge_pred.append(bool(predicted))
            judge_truth.append(own)
            others = [a for k, a in enumerate(row.annotation) if k != j]
            if len(others) < 2 or 2 * sum(others) == len(others):
                continue
            ceiling_pred.append(2 * sum(others) > len(others))
            ceiling_truth.append(own)
            paired_pred.append(bool(predicted))
    if not judge_truth:
        return {}

    def agreement(pred: list[bool], truth: list[bool]) -> dict[str, Any]:
        metrics = BinaryCounts.from_pairs(pred, truth).metrics()
        return {k: metrics[k] for k in _AGREEMENT}

    return {
        "per_annotator": agreement(judge_pred, judge_truth),
        "human_ceiling": agreement(ceiling_pred, ceiling_truth),
        "per_annotator_on_ceiling_pairs": agreement(paired_pred, ceiling_truth),
    }


def _overlap(
    rows: Sequence[RewardRow], fold_of: Sequence[int], training: Sequence[Sequence[RewardRow]]
) -> dict[str, int]:
    """How many evaluated rows share a trace, any event, or the last event with the training
    rows of the judge that scores them."""
    seen_events = [event_texts(t) for t in training]
    seen_traces = [{r.trace for r in t} for t in training]
    trace_hits = event_hits = last_hits = 0
    for row, f in zip(rows, fold_of, strict=True):
        trace_hits += row.trace in seen_traces[f]
        event_hits += any(e.text in seen_events[f] for e in row.obs)
        last_hits += row.obs[-1].text in seen_events[f]
    return {
        "rows_whose_trace_was_trained_on": trace_hits,
        "rows_sharing_an_event_with_training": event_hits,
        "rows_whose_last_event_was_trained_on": last_hits,
    }


def evaluate_judge(
    judge_spec: str,
    rows_file: Path,
    *,
    data_dir: Path,
    cv: int | None = None,
    train_rows: Path | None = None,
    out_dir: Path | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Agreement of a judge with the human majority (`valid`) on the rows of `rows_file`.

    Returns accuracy, precision, recall, F1 (positive = accept), per-category accuracy, the
    confusion matrix [[TN, FP], [FN, TP]], mean latency, the protocol and a plain leakage
    statement. With `out_dir`, writes judge_records.jsonl, judge_metrics.json/.csv and
    judge_confusion.png. Progress goes to stderr; nothing is printed on stdout.
    """
    rows_file, data_dir = Path(rows_file), Path(data_dir)
    rows = read_rows_file(rows_file)
    lines = row_lines(rows_file)
    plan = _plan(judge_spec, rows, rows_file, data_dir, cv, train_rows, seed)

    records: list[dict[str, Any]] = []
    for i in progress(range(len(rows)), len(rows), "judge"):
        row = rows[i]
        start = time.perf_counter()
        accepted, probability, reason = plan.judges[plan.fold_of[i]](row.obs, row.pred_task)
        latency = (time.perf_counter() - start) * 1000.0
        records.append(
            {
                "line": lines[i],
                "trace": trace_digest(row.trace),
                "category": row.category,
                "pred_task": row.pred_task,
                "prediction": bool(accepted),
                "probability": probability,
                "truth": row.valid,
                "annotation": list(row.annotation),
                "correct": bool(accepted) == row.valid,
                "latency_ms": round(latency, 3),
                "fold": plan.fold_of[i] if len(plan.judges) > 1 else None,
                "reason": reason,
            }
        )

    counts = BinaryCounts.from_pairs([r["prediction"] for r in records], [r.valid for r in rows])
    metrics = counts.metrics()
    per_category: dict[str, dict[str, Any]] = {}
    for category in JUDGE_CATEGORIES:
        hits = [r["correct"] for r in records if r["category"] == category]
        per_category[category] = {
            "accuracy": sum(hits) / len(hits) if hits else 0.0,
            "n": len(hits),
        }
    always = BinaryCounts.from_pairs([True] * len(rows), [r.valid for r in rows]).metrics()
    people = per_annotator(rows, [r["prediction"] for r in records])

    overlap = (
        _overlap(rows, plan.fold_of, plan.training_rows) if plan.training_rows is not None else None
    )
    leakage = plan.leakage
    if not leakage:  # the shipped embedded judge: say what its training shared with these rows
        if overlap is None:
            leakage = (
                "not excluded: the shipped judge's training rows could not be read from "
                f"{data_dir}, so overlap with the evaluated rows is unknown"
            )
        elif overlap["rows_sharing_an_event_with_training"]:
            leakage = (
                "not excluded: the shipped judge was trained on reward rows that share events "
                f"with {overlap['rows_sharing_an_event_with_training']} of {len(rows)} "
                f"evaluated rows ({overlap['rows_whose_last_event_was_trained_on']} with the "
                "same last event); use --cv K or --train-rows for held-out agreement"
            )
        else:
            leakage = (
                "excluded (none of the evaluated rows shares an event with the shipped judge's "
                "training rows)"
            )
    latencies = [r["latency_ms"] for r in records]
    result: dict[str, Any] = {
        "judge": judge_spec,
        "rows_file": str(rows_file),
        "n": len(rows),
        "accuracy": metrics["accuracy"],
        "precision": metrics["precision"],
        "recall": metrics["recall"],
        "f1": metrics["f1"],
        "false_positive_rate": metrics["false_positive_rate"],
        "per_category": per_category,
        "confusion": counts.matrix(),
        "confusion_labels": ["reject", "accept"],
        "counts": {k: metrics[k] for k in ("tp", "fp", "tn", "fn")},
        "positive_rate": sum(r.valid for r in rows) / len(rows),
        "baselines": {
            "always_accept": {k: always[k] for k in ("accuracy", "precision", "recall", "f1")}
        },
        **people,
        "mean_latency_ms": sum(latencies) / len(latencies),
        "protocol": (
            f"{plan.protocol}; agreement with the human majority ('valid') on {len(rows)} rows "
            "of " + rows_file.name + "; positive class = accept; threshold 0.5 where the judge "
            "gives a probability"
        ),
        "leakage": leakage,
        "leakage_check": overlap,
        "folds": cv,
        "seed": seed,
    }
    if train_rows is not None:
        result["train_rows"] = str(train_rows)
        order = list(dict.fromkeys(trace_groups(rows)))
        result["train_rows_used"] = {
            trace_digest(group): len(plan.training_rows[f])
            for f, group in enumerate(order)
            if plan.training_rows
        }
    if out_dir is not None:
        out = Path(out_dir)
        write_jsonl(out / "judge_records.jsonl", records)
        write_metrics(out, "judge_metrics", result)
        plot_confusion(
            result["confusion"],
            ["reject", "accept"],
            f"Judge vs human majority (F1 {result['f1']:.3f})",
            out / "judge_confusion.png",
        )
        result["files"] = sorted(
            str(out / n)
            for n in (
                "judge_records.jsonl",
                "judge_metrics.json",
                "judge_metrics.csv",
                "judge_confusion.png",
            )
        )
    return result
