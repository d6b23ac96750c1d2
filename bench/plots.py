"""PNG plots of bench results, drawn with matplotlib's Agg canvas (no display, no pyplot state)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SPLIT_METRICS = ("recall", "precision", "accuracy", "false_alarm", "f1")
"""The agent bench's metrics, in the paper's order, as bars per split."""


def _save(fig: Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.tight_layout()
    fig.savefig(path, dpi=120, format="png")
    return path


def plot_confusion(
    matrix: Sequence[Sequence[int]], labels: Sequence[str], title: str, path: Path
) -> Path:
    """A confusion matrix (rows: truth, columns: prediction) with the counts written in."""
    n = len(labels)
    if len(matrix) != n or any(len(row) != n for row in matrix):
        raise ValueError(f"a {n}x{n} matrix is needed for {n} labels")
    fig = Figure(figsize=(4.2, 3.8))
    ax = fig.add_subplot()
    top = max((v for row in matrix for v in row), default=0) or 1
    image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=top)
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(
                j,
                i,
                str(value),
                ha="center",
                va="center",
                color="white" if value > top / 2 else "black",
            )
    ax.set_xticks(range(n), labels)
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("truth")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return _save(fig, path)


def plot_threshold_curves(
    sweep: Sequence[Mapping[str, float]],
    baselines: Mapping[str, Mapping[str, Any]],
    path: Path,
) -> Path:
    """Two panels: precision, recall and F1 against the threshold; recall against false alarms.

    `sweep` rows carry threshold, precision, recall, f1 and false_positive_rate; each baseline
    (e.g. always_propose, never_propose) is drawn as dashed levels and as a point.
    """
    thresholds = [row["threshold"] for row in sweep]
    fig = Figure(figsize=(10, 4))
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for key, style in (("precision", "-o"), ("recall", "-s"), ("f1", "-^")):
        left.plot(thresholds, [row[key] for row in sweep], style, markersize=3, label=key)
    colours = ("tab:gray", "tab:red", "tab:purple", "tab:brown")
    for (name, metrics), colour in zip(baselines.items(), colours, strict=False):
        level = metrics.get("f1")
        if level is not None:
            left.axhline(level, linestyle="--", color=colour, linewidth=1, label=f"{name} F1")
    left.set_xlabel("need threshold")
    left.set_ylabel("score")
    left.set_xlim(0, 1)
    left.set_ylim(0, 1.02)
    left.set_title("Precision / recall vs threshold")
    left.legend(fontsize=8)

    right.plot(
        [row["false_positive_rate"] for row in sweep],
        [row["recall"] for row in sweep],
        "-o",
        markersize=3,
        label="threshold sweep",
    )
    right.plot([0, 1], [0, 1], ":", color="lightgray", label="chance")
    for (name, metrics), colour in zip(baselines.items(), colours, strict=False):
        right.plot(
            metrics.get("false_positive_rate", 0.0),
            metrics.get("recall", 0.0),
            "D",
            color=colour,
            label=name,
        )
    right.set_xlabel("false-alarm rate (false-positive rate)")
    right.set_ylabel("recall")
    right.set_xlim(-0.02, 1.02)
    right.set_ylim(-0.02, 1.02)
    right.set_title("Recall vs false alarms")
    right.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


def plot_split_metrics(
    metrics_by_split: Mapping[str, Mapping[str, Any]],
    path: Path,
    metrics: Sequence[str] = SPLIT_METRICS,
    title: str = "Metrics per split",
) -> Path:
    """Grouped bars: for each split, one bar per metric (missing metrics count as 0)."""
    splits = list(metrics_by_split)
    if not splits:
        raise ValueError("no splits to plot")
    fig = Figure(figsize=(max(5.0, 1.6 * len(splits) + 2), 4))
    ax = fig.add_subplot()
    width = 0.8 / len(metrics)
    for k, metric in enumerate(metrics):
        xs = [i + (k - (len(metrics) - 1) / 2) * width for i in range(len(splits))]
        values = [float(metrics_by_split[s].get(metric) or 0.0) for s in splits]
        bars = ax.bar(xs, values, width, label=metric)
        ax.bar_label(bars, fmt="%.2f", fontsize=6, padding=1)
    ax.set_xticks(range(len(splits)), splits)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("score")
    ax.set_title(title)
    ax.legend(fontsize=8, ncols=len(metrics), loc="upper center")
    return _save(fig, path)


CURVE_POLICIES = ("global", "feedback_rules", "prior", "personal", "personal_all")
"""Policies drawn on the learning curves (those present)."""

_CURVE_COLOURS = {
    "global": "C0",
    "global_judge": "C0",
    "feedback_rules": "C1",
    "prior": "C2",
    "personal": "C3",
    "personal_all": "C4",
    "human_ceiling": "black",
}
"""One colour per model on both panels (the global judge is the global policy's ranker)."""


def plot_learning_curves(
    curves: Mapping[str, Mapping[str, Mapping[str, Any]]],
    agreement: Mapping[str, Mapping[str, Any]],
    path: Path,
) -> Path:
    """Two panels against the answers a person has given: each policy's F1 (solid) and
    precision (dashed) over the later moments; each judge's F1 against the person's own answers,
    with the human ceiling (the other annotators' majority)."""
    fig = Figure(figsize=(10, 4))
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for name in (p for p in CURVE_POLICIES if p in curves):
        points = sorted((n for n, m in curves[name].items() if m is not None), key=int)
        xs = [int(n) for n in points]
        colour = _CURVE_COLOURS.get(name)
        left.plot(xs, [curves[name][n]["f1"] for n in points], marker="o", label=name, color=colour)
        left.plot(xs, [curves[name][n]["precision"] for n in points], linestyle="--", color=colour)
    left.set_xlabel("answers the person has given")
    left.set_ylabel("F1 (solid), precision (dashed)")
    left.set_ylim(0, 1)
    left.set_title("Policies judged by each person")
    left.legend(fontsize=8, loc="lower right")
    points = sorted(agreement, key=int)
    xs = [int(n) for n in points]
    for judge, style in (
        ("global_judge", "-"),
        ("prior", "-"),
        ("personal", "-"),
        ("human_ceiling", ":"),
    ):
        right.plot(
            xs,
            [agreement[n][judge]["f1"] for n in points],
            marker="o",
            linestyle=style,
            color=_CURVE_COLOURS[judge],
            label=judge.replace("_", " "),
        )
    right.set_xlabel("answers the person has given")
    right.set_ylabel("F1 against the person's own answers")
    right.set_ylim(0, 1)
    right.set_title("Judging one person")
    right.legend(fontsize=8, loc="lower right")
    return _save(fig, path)
