"""Events per second through `proactive run`, and its memory as the stream grows.

    python -m benchmarks.throughput [--events 10000] [--out DIR]

Writes a stream of `--events` user events (the sentences of the bundled scenarios and, when
found, of the ProactiveBench test traces, in turn, a few seconds apart), runs the real command
`python -m cli.main run --events FILE --data-dir DIR` on it (embedded default, durable SQLite
checkpoints, Chroma memory on disk) and samples the process's resident memory from /proc while
it runs. Prints the overall and steady rate (events/s), the rate and resident memory per slice of
the stream, the peak, and the size of what was stored. ``--out`` writes JSON and a PNG plot.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def sentences(data_dir: Path | None) -> list[str]:
    """Event sentences: the bundled scenarios', then the test traces' (when the data is there)."""
    texts = []
    for name in ("coding", "writing"):
        text = resources.files("cli.scenarios").joinpath(f"{name}.jsonl").read_text()
        texts += [json.loads(line)["event"] for line in text.splitlines() if line.strip()]
    test_dir = (data_dir or ROOT.parent / "shared" / "proactivebench") / "test_data"
    for path in sorted(test_dir.glob("*.json")) if test_dir.is_dir() else []:
        if path.name == "splits.json":
            continue
        texts += [item["observation"]["event"] for item in json.loads(path.read_text())]
    return texts


def write_events(path: Path, n: int, texts: list[str], seed: int = 0) -> None:
    rng = random.Random(seed)
    clock = 1_767_261_600
    with path.open("w") as out:
        for i in range(n):
            clock += rng.randint(5, 60)
            out.write(json.dumps({"time": clock, "event": texts[i % len(texts)]}) + "\n")


def rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in kB, (0, 0) once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0, 0
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return (
        int(fields.get("VmRSS", "0 kB").split()[0]),
        int(fields.get("VmHWM", "0 kB").split()[0]),
    )


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="events in the stream")
    parser.add_argument("--slice", type=int, default=500, help="events per reported slice")
    parser.add_argument("--data", type=Path, default=None, help="ProactiveBench data directory")
    parser.add_argument("--out", type=Path, default=None, help="write throughput.json and a PNG")
    parser.add_argument("--durability", choices=("exit", "sync"), default="exit")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="proactive-throughput-"))
    events_file, data_dir = work / "events.jsonl", work / "data"
    write_events(events_file, args.events, sentences(args.data))
    command = [
        sys.executable,
        "-m",
        "cli.main",
        "run",
        "--events",
        str(events_file),
        "--data-dir",
        str(data_dir),
        "--thread",
        "bench",
        "--durability",
        args.durability,
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = {"rss": 0, "hwm": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss, hwm = rss_kb(proc.pid)
            peak["rss"] = max(peak["rss"], rss)
            peak["hwm"] = max(peak["hwm"], hwm)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    slices: list[dict[str, Any]] = []
    handled, first_at, slice_at = 0, None, None
    assert proc.stdout is not None
    for line in proc.stdout:
        if not line.startswith("["):
            continue
        now = time.perf_counter()
        handled += 1
        if first_at is None:
            first_at = slice_at = now
        if handled % args.slice == 0:
            rss, _ = rss_kb(proc.pid)
            assert slice_at is not None
            slices.append(
                {
                    "events": handled,
                    "seconds": round(now - started, 2),
                    "events_per_s": round(args.slice / max(now - slice_at, 1e-9), 1),
                    "rss_mb": round(rss / 1024, 1),
                }
            )
            slice_at = now
            sys.stderr.write(
                f"\r{handled}/{args.events} events, {slices[-1]['events_per_s']:.0f} events/s, "
                f"RSS {slices[-1]['rss_mb']:.0f} MB "
            )
            sys.stderr.flush()
    proc.wait()
    ended = time.perf_counter()
    done.set()
    sampler.join()
    sys.stderr.write("\n")
    if proc.returncode != 0:
        print(proc.stderr.read() if proc.stderr else "", file=sys.stderr)
        print(f"proactive run failed with exit code {proc.returncode}", file=sys.stderr)
        return 1
    first = first_at or ended
    result: dict[str, Any] = {
        "events": handled,
        "wall_s": round(ended - started, 2),
        "startup_s": round(first - started, 2),
        "events_per_s": round(handled / (ended - started), 1),
        "steady_events_per_s": round(max(handled - 1, 0) / max(ended - first, 1e-9), 1),
        "peak_rss_mb": round(max(peak["rss"], peak["hwm"]) / 1024, 1),
        "checkpoints_mb": round((data_dir / "checkpoints.sqlite").stat().st_size / 2**20, 2),
        "data_dir_mb": round(du(data_dir) / 2**20, 1),
        "durability": args.durability,
        "slices": slices,
    }
    print(
        f"{handled} events in {result['wall_s']:.1f} s: {result['events_per_s']:.1f} events/s "
        f"overall, {result['steady_events_per_s']:.1f} events/s after start-up "
        f"({result['startup_s']:.1f} s)"
    )
    print(
        f"peak resident memory {result['peak_rss_mb']:.0f} MB; checkpoints "
        f"{result['checkpoints_mb']:.2f} MB; data directory {result['data_dir_mb']:.0f} MB"
    )
    print(f"{'events':>8}{'events/s':>10}{'RSS MB':>8}")
    for row in slices:
        print(f"{row['events']:>8}{row['events_per_s']:>10.1f}{row['rss_mb']:>8.1f}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "throughput.json").write_text(json.dumps(result, indent=2) + "\n")
        plot(result, args.out / "throughput.png")
        print(f"wrote {args.out / 'throughput.json'} and {args.out / 'throughput.png'}")
    return 0


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    rows = result["slices"]
    xs = [row["events"] for row in rows]
    fig, rate = plt.subplots(figsize=(8, 4))
    rate.plot(xs, [row["events_per_s"] for row in rows], marker="o", label="events/s")
    rate.axhline(50, color="grey", linestyle="--", linewidth=1, label="target 50 events/s")
    rate.set_xlabel("events processed")
    rate.set_ylabel("events per second (per slice)")
    rate.set_ylim(bottom=0)
    memory = rate.twinx()
    memory.plot(xs, [row["rss_mb"] for row in rows], color="tab:red", marker=".", label="RSS")
    memory.set_ylabel("resident memory (MB)")
    memory.set_ylim(bottom=0)
    lines = rate.get_legend_handles_labels()
    more = memory.get_legend_handles_labels()
    rate.legend(lines[0] + more[0], lines[1] + more[1], loc="lower right")
    rate.set_title(f"proactive run: {result['events']} events, {result['events_per_s']} events/s")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
