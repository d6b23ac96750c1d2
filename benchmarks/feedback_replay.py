"""Does feedback change behaviour? Replay the ProactiveBench test traces through the agent
graph with a simulated user who accepts a proposal when the annotators marked the event as
needing help (`task_status`) and otherwise rejects it or ignores it (alternately), once with
`learn_from_feedback` on and once off, and plot the false-alarm rate over each trace.

    python -m benchmarks.feedback_replay [--data DIR] [--out docs/img/feedback_replay.png]

False alarm at event i = proposals turned down (rejected or ignored) / proposals made, over
events 0..i. The embedded models are the shipped ones (they saw these traces; the comparison
is between the two settings, not an absolute quality claim).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from backends.local.data import default_data_dir, load_test_traces
from cli.runner import step
from graphs.agent import build_graph
from graphs.context import Context


def replay(trace: Any, learn: bool) -> list[tuple[int, int]]:
    """(proposals so far, turned down so far) after each event of one trace."""
    graph = build_graph()
    ctx = Context(
        memory_dir=tempfile.mkdtemp(prefix="replay-"),
        feedback_mode="human",
        learn_from_feedback=learn,
        user_id=f"replay-{trace.name}",
    )
    counts, made, refused = [], 0, 0
    flip = [False]

    for i, event in enumerate(trace.events):
        needed = trace.task_status[i]

        def answer(payload: dict[str, Any], needed: bool = needed) -> Any:
            nonlocal made, refused
            made += 1
            if needed:
                return "accept"
            refused += 1
            flip[0] = not flip[0]
            return {"answer": "reject", "reason": "not now"} if flip[0] else "ignore"

        step(
            graph,
            {"time": event.time, "text": event.text, "source": "user"},
            thread="replay",
            context=ctx,
            answer=answer,
        )
        counts.append((made, refused))
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("docs/img/feedback_replay.png"))
    args = parser.parse_args()
    traces = load_test_traces(args.data or default_data_dir())
    results: dict[str, dict[str, list[tuple[int, int]]]] = {}
    for trace in traces:
        results[trace.name] = {
            "learning": replay(trace, True),
            "not learning": replay(trace, False),
        }
    summary = {}
    for name, runs in results.items():
        summary[name] = {}
        for label, counts in runs.items():
            made, refused = counts[-1]
            summary[name][label] = {
                "proposals": made,
                "turned_down": refused,
                "false_alarm": round(refused / made, 3) if made else 0.0,
            }
    print(json.dumps(summary, indent=2))

    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    fig = Figure(figsize=(5 * len(results), 3.6))
    FigureCanvasAgg(fig)
    for k, (name, runs) in enumerate(results.items()):
        ax = fig.add_subplot(1, len(results), k + 1)
        for label, counts in runs.items():
            rate = [r / m if m else 0.0 for m, r in counts]
            ax.plot(
                range(len(rate)),
                rate,
                marker="o",
                markersize=3,
                label=f"{label} ({counts[-1][0]} proposals)",
            )
        ax.set_title(f"{name}: false-alarm rate over the trace")
        ax.set_xlabel("event")
        ax.set_ylabel("turned down / proposed so far")
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=8)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=100)
    print(f"plot: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
