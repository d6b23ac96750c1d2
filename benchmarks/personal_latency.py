"""What the personal model costs per event: reading the user's profile and deciding with it,
and learning one answer (update the bias, write the profile), with profiles of 0 to 200 answers.

    python -m benchmarks.personal_latency [--data DIR] [--repeat 3]

Over every prefix of the ProactiveBench test traces, with the embedded drafter's two candidates:
- `decide`: load the profile (cached, checked against the file's stamp) and choose (the person's
  bias on the judge's probabilities) — the personal model itself;
- `learn`: add one answer, recompute the bias (Newton over the kept answers, from the previous
  bias), append the answer to the profile file;
- `judge`: the embedded judge scoring the candidates and the silence, which the decision needs
  (sentence vectors cached per text, emptied before every pass, as in a live trace);
- `personal`: decide + learn, the cost the issue bounds (at most 2 ms per event).
Prints median, p95 and p99 in milliseconds per step and profile size.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from backends.local import load_models
from backends.local.data import default_data_dir, load_test_traces
from backends.local.encoder import default_encoder
from backends.local.personal import choose
from benchmarks.model_latency import percentile
from graphs.state import Feedback
from memory.profile import ProfileStore


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    traces = load_test_traces(args.data or default_data_dir())
    models = load_models()
    prior = models.personal
    encoder = default_encoder()
    print("milliseconds per event")
    print(f"{'answers':>8} {'step':<9}{'median':>9}{'p95':>9}{'p99':>9}")
    for size in (0, 50, 200):
        steps: dict[str, list[float]] = {"judge": [], "decide": [], "learn": [], "personal": []}
        with tempfile.TemporaryDirectory() as directory:
            store = ProfileStore(directory)
            seed = Feedback(answer="reject", task="Seed", p_accept=0.4, p_silence=0.6)
            for _ in range(size):
                store.learn("bench", seed, prior, lambda _: [])
            for _ in range(args.repeat):
                encoder.clear()
                for trace in traces:
                    for i in range(len(trace.events)):
                        window = trace.events[: i + 1]
                        drafts = models.drafter.candidates(window, k=2)
                        t0 = time.perf_counter()
                        p_silence = models.judge.judge(window, None).accept_probability
                        p_tasks = [
                            models.judge.judge(window, d.task).accept_probability for d in drafts
                        ]
                        t1 = time.perf_counter()
                        profile, _ = store.load("bench", prior, lambda _: [])
                        choice = choose(prior, profile.bias, p_tasks, p_silence, 0.7)
                        t2 = time.perf_counter()
                        answer = Feedback(
                            answer="accept" if i % 2 else "reject",
                            task=drafts[0].task if drafts else "none",
                            p_accept=p_tasks[0] if p_tasks else 0.5,
                            p_silence=p_silence,
                        )
                        store.learn("bench", answer, prior, lambda _: [])
                        t3 = time.perf_counter()
                        assert choice.accept >= 0.0
                        for name, seconds in (
                            ("judge", t1 - t0),
                            ("decide", t2 - t1),
                            ("learn", t3 - t2),
                            ("personal", t3 - t1),
                        ):
                            steps[name].append(seconds * 1000)
                        # Keep the profile at its size (the file keeps growing until it is
                        # compacted at twice the cap, as in use).
                        store.load("bench", prior, lambda _: [])[0].answers.pop()
        for name, values in steps.items():
            print(
                f"{size:>8} {name:<9}{statistics.median(values):>9.3f}"
                f"{percentile(values, 0.95):>9.3f}{percentile(values, 0.99):>9.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
