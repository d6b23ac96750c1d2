"""`proactive bench agent` wall time: the embedded default, and chat models behind a slow server.

(a) The embedded default (agent and judge `local`) on the shared ProactiveBench test traces: the
    `proactive bench agent --json` command in a fresh process (imports and model loading
    included), and `bench.agent_eval.evaluate_agent` in this process once the models are loaded.
(b) Agent and judge as chat models (`openai:` specs, OPENAI_BASE_URL pointed at the local
    OpenAI-compatible test server of tests/fakes.py), the server answering every call after a
    fixed delay (`--delay-ms`, default 200) with a valid agent or judge reply. The bench runs at
    each `--concurrency` level with an empty call cache, and the wall time, the calls the server
    received and the speed-up against concurrency 1 are printed. The shortest possible wall time
    is also printed: an agent's calls within one trace cannot overlap (each call's conversation
    holds the previous reply), so the longest trace's agent calls, plus its last judge call, bound
    the run from below.

    .venv/bin/python -m benchmarks.bench_concurrency [--delay-ms 200] [--levels 1,2,4,8]
        [--repeat 1] [--out DIR] [--plot docs/img/bench_concurrency.png]

Table on stdout, progress on stderr, `bench_concurrency.json` under --out, a PNG plot. About a
minute with the two shared traces (35 events, 70 calls a run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backends.local.data import default_data_dir, load_test_traces  # noqa: E402
from bench.agent_eval import evaluate_agent, read_splits  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
JUDGE_MARK = "stand in for the person"
"""Words of the judge's system prompt (backends.prompts), which tell its calls from the agent's."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def make_responder(delay_s: float) -> Any:
    """A server responder: waits `delay_s`, then answers as the judge or as the agent.

    The agent proposes at about a third of the events (chosen by a hash of the latest event, so
    every run gets the same replies) and the judge accepts at about half.
    """

    def responder(body: dict[str, Any]) -> dict[str, Any]:
        time.sleep(delay_s)
        messages = body["messages"]
        last = str(messages[-1].get("content", ""))
        digest = hashlib.sha256(last.encode("utf-8")).digest()
        if JUDGE_MARK in str(messages[0].get("content", "")):
            accepted = digest[0] % 2 == 0
            reply = {"accepted": accepted, "reason": "fits" if accepted else "not now"}
            return {"content": json.dumps(reply)}
        task = "Summarise what the user did so far." if digest[0] % 3 == 0 else None
        reply = {
            "Purpose": "Working on the current task.",
            "Thoughts": "Deciding whether to offer help.",
            "Proactive Task": task,
            "Response": "" if task is None else "Shall I summarise it?",
        }
        return {"content": json.dumps(reply)}

    return responder


def traces_in_splits(data: Path) -> list[int]:
    """Event counts of the test traces the bench replays."""
    wanted = {name for files in read_splits(data).values() for name in files}
    return [len(t.events) for t in load_test_traces(data) if f"{t.name}.json" in wanted]


def embedded_default(data: Path, repeat: int) -> dict[str, Any]:
    """(a): the CLI in a fresh process, and evaluate_agent in this one."""
    cli = ROOT / ".venv" / "bin" / "proactive"
    command = ([str(cli)] if cli.exists() else [sys.executable, "-m", "cli.main"]) + [
        "bench",
        "agent",
        "--data",
        str(data),
        "--json",
    ]
    cli_times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
        cli_times.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr[-800:]}")
    evaluate_agent(data)  # loads the embedded models once
    in_process = []
    result: dict[str, Any] = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = evaluate_agent(data)
        in_process.append(time.perf_counter() - t0)
    return {
        "command": " ".join(["proactive", *command[1:]]) if cli.exists() else " ".join(command),
        "cli_wall_s": round(min(cli_times), 3),
        "in_process_wall_s": round(min(in_process), 3),
        "events": result["events"],
        "ms_per_event": round(1000 * min(in_process) / max(1, result["events"]), 2),
        "f1_real_average": round(result["splits"]["real_average"]["f1"], 4)
        if "real_average" in result["splits"]
        else None,
    }


def chat_levels(data: Path, delay_s: float, levels: list[int], repeat: int) -> dict[str, Any]:
    """(b): the bench against the delaying server at each concurrency level."""
    from tests.fakes import OpenAICompatibleServer  # noqa: PLC0415

    rows = []
    with OpenAICompatibleServer(make_responder(delay_s)) as server:
        os.environ["OPENAI_BASE_URL"] = server.base_url
        os.environ["OPENAI_API_KEY"] = "local-test-server"
        # Warm-up (not counted): imports the OpenAI client and builds the chat models once.
        with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
            evaluate_agent(
                data,
                agent="openai:bench-agent",
                judge="openai:bench-judge",
                concurrency=max(levels),
                cache_dir=Path(cache),
            )
        first: dict[str, Any] | None = None
        for level in levels:
            walls = []
            for _ in range(repeat):
                before = len(server.requests)
                with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
                    t0 = time.perf_counter()
                    result = evaluate_agent(
                        data,
                        agent="openai:bench-agent",
                        judge="openai:bench-judge",
                        concurrency=level,
                        cache_dir=Path(cache),
                    )
                    walls.append(time.perf_counter() - t0)
                requests = len(server.requests) - before
            wall = min(walls)
            calls = result["calls"]
            row = {
                "concurrency": level,
                "wall_s": round(wall, 3),
                "walls_s": [round(w, 3) for w in walls],
                "requests": requests,
                "agent_calls": calls["agent"]["calls"],
                "judge_calls": calls["judge"]["calls"],
                "cached_calls": calls["agent"]["cached_calls"] + calls["judge"]["cached_calls"],
                "events": result["events"],
            }
            # Same replies at every level: the outcomes must not depend on the concurrency.
            outcome = {
                name: [split[c] for c in ("tp", "fp", "tn", "fn")]
                for name, split in result["splits"].items()
            }
            if first is None:
                first = outcome
            row["same_outcomes"] = outcome == first
            rows.append(row)
            log(f"  concurrency {level}: {wall:.2f} s, {requests} requests")
    base = rows[0]["wall_s"]
    for row in rows:
        row["speedup"] = round(base / row["wall_s"], 2)
    return {"delay_ms": round(delay_s * 1000), "levels": rows}


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib  # noqa: PLC0415 - slow to import

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    rows = report["chat"]["levels"]
    levels = [r["concurrency"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(levels, [r["wall_s"] for r in rows], "o-", label="wall time (s)")
    for r in rows:
        ax.annotate(
            f"x{r['speedup']:g}",
            (r["concurrency"], r["wall_s"]),
            textcoords="offset points",
            xytext=(4, 6),
            fontsize=8,
        )
    ax.axhline(
        report["chat"]["serial_s"], color="grey", ls=":", lw=1, label="every call in sequence"
    )
    ax.axhline(
        report["chat"]["floor_s"], color="red", ls="--", lw=1, label="floor: longest agent chain"
    )
    ax.set_xscale("log", base=2)
    ax.set_xticks(levels, [str(level) for level in levels])
    ax.set_ylim(bottom=0)
    ax.set_xlabel("--concurrency")
    ax.set_ylabel("seconds")
    delay = report["chat"]["delay_ms"]
    ax.set_title(
        f"bench agent vs a server answering in {delay} ms "
        f"({rows[0]['requests']} calls, {len(report['trace_events'])} traces)",
        fontsize=10,
    )
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="ProactiveBench directory")
    parser.add_argument("--delay-ms", type=float, default=200.0, help="server delay per call")
    parser.add_argument("--levels", default="1,2,4,8", help="concurrency levels")
    parser.add_argument("--repeat", type=int, default=1, help="runs per level (the best counts)")
    parser.add_argument("--skip-embedded", action="store_true", help="skip part (a)")
    parser.add_argument("--out", type=Path, default=None, help="write bench_concurrency.json here")
    parser.add_argument(
        "--plot", type=Path, default=ROOT / "docs" / "img" / "bench_concurrency.png"
    )
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    data = args.data or default_data_dir()
    levels = sorted({int(x) for x in args.levels.split(",") if x.strip()})
    delay = args.delay_ms / 1000
    trace_events = traces_in_splits(data)

    report: dict[str, Any] = {
        "trace_events": trace_events,
        "command": "python -m benchmarks.bench_concurrency " + " ".join(argv or sys.argv[1:]),
        "cpus": os.cpu_count(),
    }
    if not args.skip_embedded:
        log("(a) embedded default ...")
        report["embedded"] = embedded_default(data, args.repeat)
        log(f"  {report['embedded']}")
    log(f"(b) chat models behind a {args.delay_ms:g} ms server ...")
    chat = chat_levels(data, delay, levels, args.repeat)
    events = sum(trace_events)
    chat["serial_s"] = round(2 * events * delay, 3)
    chat["floor_s"] = round((max(trace_events) + 1) * delay, 3)
    report["chat"] = chat

    if "embedded" in report:
        e = report["embedded"]
        print(
            f"embedded default, {e['events']} events: CLI {e['cli_wall_s']:.2f} s "
            f"(fresh process), in process {e['in_process_wall_s']:.2f} s "
            f"({e['ms_per_event']:.1f} ms/event)"
        )
    print(
        f"chat agent + judge, server delay {chat['delay_ms']} ms, traces of {trace_events} "
        f"events: all calls in sequence {chat['serial_s']:.1f} s, floor {chat['floor_s']:.1f} s"
    )
    print(
        f"{'concurrency':>11} {'wall s':>8} {'requests':>8} {'speed-up':>8} {'same outcomes':>14}"
    )
    for row in chat["levels"]:
        print(
            f"{row['concurrency']:>11} {row['wall_s']:>8.2f} {row['requests']:>8} "
            f"{row['speedup']:>8.2f} {row['same_outcomes']!s:>14}"
        )
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bench_concurrency.json").write_text(json.dumps(report, indent=2) + "\n")
    if not args.no_plot:
        plot(report, args.plot)
        log(f"plot: {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
