"""`proactive bench need`: the need detector against the annotators' `task_status`.

Each test trace event is a yes/no question: did the user need help here? The detector says yes
when its score reaches the threshold. Every trace is scored by a model set that never saw it
(retrained with the trace excluded: its task_status and every reward row sharing one of its
events), unless the caller asks otherwise, and the report then says so plainly. A threshold
sweep and the always-propose / never-propose baselines are reported beside the result.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from backends.local import LocalModels, load_models
from backends.local.data import TEST_DIR, TestTrace, load_test_traces, read_splits
from bench.metrics import BinaryCounts
from bench.output import progress, write_csv, write_jsonl, write_metrics
from bench.plots import plot_confusion, plot_threshold_curves
from bench.retrain import fit_local_models, models_for_trace, never_saw, training_rows

SWEEP_STEPS = 20
"""The sweep tries thresholds 0, 1/20, ..., 1."""

SWEEP_COLUMNS = ("threshold", "precision", "recall", "f1", "accuracy", "false_positive_rate")
"""Columns of each sweep row (and of need_sweep.csv)."""

_SUMMARY = ("precision", "recall", "f1", "accuracy", "false_positive_rate", "n")


def _summary(counts: BinaryCounts) -> dict[str, Any]:
    metrics = counts.metrics()
    return {k: metrics[k] for k in (*_SUMMARY, "tp", "fp", "tn", "fn")}


def _counts_at(scores: Sequence[float], truth: Sequence[bool], threshold: float) -> BinaryCounts:
    return BinaryCounts.from_pairs([s >= threshold for s in scores], truth)


def roc_auc(scores: Sequence[float], truth: Sequence[bool]) -> float | None:
    """Probability that a random positive outscores a random negative (ties count half);
    None when either class is absent."""
    pos = [s for s, t in zip(scores, truth, strict=True) if t]
    neg = [s for s, t in zip(scores, truth, strict=True) if not t]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def threshold_sweep(scores: Sequence[float], truth: Sequence[bool]) -> list[dict[str, float]]:
    """Precision, recall, F1, accuracy and false-positive rate at each sweep threshold."""
    rows = []
    for step in range(SWEEP_STEPS + 1):
        threshold = step / SWEEP_STEPS
        metrics = _counts_at(scores, truth, threshold).metrics()
        rows.append({"threshold": threshold, **{k: metrics[k] for k in SWEEP_COLUMNS[1:]}})
    return rows


def _splits(data_dir: Path, per_trace: dict[str, Any], records: list[dict[str, Any]]) -> dict:
    """Metrics per official split over the traces present; a split with missing files is
    marked partial, with the files it covered."""
    splits = read_splits(data_dir)
    if splits is None:
        return {}
    out: dict[str, Any] = {}
    for name, names in sorted(splits.items()):
        files = [f[:-5] if f.endswith(".json") else f for f in names]
        covered = [f for f in files if f in per_trace]
        items = [r for r in records if r["trace"] in covered]
        counts = BinaryCounts.from_pairs(
            [r["prediction"] for r in items], [r["truth"] for r in items]
        )
        out[name] = {
            **(_summary(counts) if items else {}),
            "traces_covered": covered,
            "traces_missing": [f for f in files if f not in per_trace],
            "partial": len(covered) < len(files),
        }
    return out


def evaluate_need(
    data_dir: Path,
    *,
    threshold: float | None = None,
    leakage_free: bool = True,
    train_rows: Path | None = None,
    out_dir: Path | None = None,
    seed: int = 0,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """Need detection against `task_status` on every test trace in `data_dir/test_data`.

    `leakage_free` (default) scores each trace with models retrained without it; otherwise one
    model set scores all (the shipped artifacts, or a retrain on `train_rows`). `train_rows`
    retrains from that rows file (plus the other test traces) instead of the data directory's
    reward rows. Retrained models are cached (`bench.retrain.fit_local_models`). With `out_dir`,
    writes need_records.jsonl, need_metrics.json/.csv, need_sweep.csv, need_confusion.png and
    need_threshold_curves.png. Progress goes to stderr; nothing is printed on stdout.
    """
    data_dir = Path(data_dir)
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise ValueError(f"the need threshold must be within 0..1, got {threshold}")
    traces = load_test_traces(data_dir)
    if not traces:
        raise FileNotFoundError(f"no test traces (*.json event lists) in {data_dir / TEST_DIR}")

    source_rows = training_rows(data_dir, train_rows)
    shared: LocalModels | None = None
    if not leakage_free:
        shared = (
            fit_local_models(data_dir, rows_file=train_rows, seed=seed, cache_dir=cache_dir)
            if train_rows is not None
            else load_models()
        )

    records: list[dict[str, Any]] = []
    per_trace: dict[str, Any] = {}
    for trace in progress(traces, len(traces), "need"):
        models = shared or models_for_trace(
            data_dir, trace.name, train_rows, seed=seed, cache_dir=cache_dir
        )
        held_out = never_saw(models, data_dir, trace.name, source_rows)
        if leakage_free and not held_out:  # a guard on the trainer, not an expected outcome
            raise RuntimeError(f"the model set for {trace.name} was trained on it")
        used = models.need.threshold if threshold is None else threshold
        trace_records = _score_trace(models, trace, used)
        records.extend(trace_records)
        counts = BinaryCounts.from_pairs(
            [r["prediction"] for r in trace_records], [r["truth"] for r in trace_records]
        )
        per_trace[trace.name] = {
            **_summary(counts),
            "positives": counts.tp + counts.fn,
            "model_saw_trace": not held_out,
            "threshold": used,
            "models": str(models.artifact_dir),
        }

    scores = [r["probability"] for r in records]
    truth = [r["truth"] for r in records]
    counts = BinaryCounts.from_pairs([r["prediction"] for r in records], truth)
    thresholds = sorted({item["threshold"] for item in per_trace.values()})
    said = (
        f"the detector's trained threshold ({', '.join(f'{t:g}' for t in thresholds)})"
        if threshold is None
        else f"{threshold}"
    )
    baselines = {
        "always_propose": _summary(BinaryCounts.from_pairs([True] * len(truth), truth)),
        "never_propose": _summary(BinaryCounts.from_pairs([False] * len(truth), truth)),
    }
    source = str(train_rows) if train_rows is not None else "the data directory's reward rows"
    if leakage_free:
        leakage = (
            "excluded (each test trace scored by need models retrained without it: its "
            "task_status labels and every reward row sharing one of its events were left out; "
            "checked against each training manifest)"
        )
        protocol = (
            f"per test trace, the embedded need detector retrained (seed {seed}) on {source} "
            "and the other test traces' task_status, with that trace held out"
        )
    else:
        seen = [name for name, item in per_trace.items() if item["model_saw_trace"]]
        leakage = (
            f"not excluded: one model set scored every trace, and its training manifest shows "
            f"{len(seen)} of {len(per_trace)} test traces ({', '.join(seen)}) or reward rows "
            "sharing their events in its training data"
            if seen
            else "not excluded by protocol (one model set scored every trace), though its "
            "training manifest shows none of these test traces nor reward rows sharing "
            "their events"
        )
        protocol = (
            f"the embedded need detector retrained (seed {seed}) on {source} and every test "
            "trace's task_status"
            if train_rows is not None
            else "the embedded need detector as shipped"
        )
    latencies = [r["latency_ms"] for r in records]
    result: dict[str, Any] = {
        **_summary(counts),
        "threshold": threshold if threshold is not None else thresholds,
        "roc_auc": roc_auc(scores, truth),
        "positive_rate": sum(truth) / len(truth),
        "confusion": counts.matrix(),
        "confusion_labels": ["no help needed", "help needed"],
        "mean_latency_ms": sum(latencies) / len(latencies),
        "per_trace": per_trace,
        "per_split": _splits(data_dir, per_trace, records),
        "baselines": baselines,
        "sweep": threshold_sweep(scores, truth),
        "protocol": (
            f"{protocol}; each event of {len(traces)} test traces scored on the events up to "
            f"it; a need is predicted when the score reaches {said}; truth = task_status; "
            "positive class = help needed"
        ),
        "leakage": leakage,
        "leakage_free": leakage_free,
    }
    if out_dir is not None:
        out = Path(out_dir)
        write_jsonl(out / "need_records.jsonl", records)
        write_metrics(out, "need_metrics", result)
        write_csv(out / "need_sweep.csv", result["sweep"], SWEEP_COLUMNS)
        plot_confusion(
            result["confusion"],
            ["no", "yes"],
            f"Need vs task_status (F1 {result['f1']:.3f})",
            out / "need_confusion.png",
        )
        plot_threshold_curves(result["sweep"], baselines, out / "need_threshold_curves.png")
    return result


def _score_trace(models: LocalModels, trace: TestTrace, threshold: float) -> list[dict[str, Any]]:
    """One record per event: the detector's score on the events up to it, and the truth."""
    out = []
    for i, (event, status) in enumerate(zip(trace.events, trace.task_status, strict=True)):
        start = time.perf_counter()
        score = models.need.score(trace.events[: i + 1])
        latency = (time.perf_counter() - start) * 1000.0
        out.append(
            {
                "trace": trace.name,
                "index": i,
                "time": event.time,
                "event": event.text,
                "prediction": score >= threshold,
                "probability": score,
                "truth": status,
                "latency_ms": round(latency, 3),
            }
        )
    return out
