"""Time of the embedded decision for one event: embed it (memory embedding), score the need,
draft, and judge the draft, over every prefix of the ProactiveBench test traces.

    python -m benchmarks.model_latency [--data DIR] [--repeat 5]

Prints median, p95 and p99 in milliseconds for each step and for the whole decision. The
judge's sentence encoder is loaded before timing, and its vector cache is emptied before every
pass, so that each pass costs what a live trace costs: every event and every draft embedded once.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from backends.local import load_models
from backends.local.data import default_data_dir, load_test_traces
from backends.local.encoder import default_encoder
from memory.embedding import HashingEmbedding


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    traces = load_test_traces(args.data or default_data_dir())
    models = load_models()
    embedding = HashingEmbedding()
    steps: dict[str, list[float]] = {"embed": [], "need": [], "draft": [], "judge": [], "total": []}
    encoder = default_encoder()  # loaded once per process (about 0.6 s), not per decision
    for _ in range(args.repeat):
        encoder.clear()
        for trace in traces:
            for i in range(len(trace.events)):
                window = trace.events[: i + 1]
                t0 = time.perf_counter()
                embedding([window[-1].text])
                t1 = time.perf_counter()
                models.need.score(window)
                t2 = time.perf_counter()
                drafts = models.drafter.candidates(window, k=1)
                t3 = time.perf_counter()
                models.judge.judge(window, drafts[0].task if drafts else None)
                t4 = time.perf_counter()
                for name, seconds in zip(
                    steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0), strict=True
                ):
                    steps[name].append(seconds * 1000)
    n = len(steps["total"])
    print(f"{n} decisions ({args.repeat} passes over {len(traces)} traces), milliseconds:")
    print(f"{'step':<8}{'median':>10}{'p95':>10}{'p99':>10}")
    for name, values in steps.items():
        print(
            f"{name:<8}{statistics.median(values):>10.3f}{percentile(values, 0.95):>10.3f}"
            f"{percentile(values, 0.99):>10.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
