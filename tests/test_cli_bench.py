"""`proactive bench` end to end on the shared data with the embedded default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def bench(*args: str, data: Path, cache: Path) -> subprocess.CompletedProcess:
    env = {
        "PYTHONPATH": str(ROOT),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "XDG_CACHE_HOME": str(cache),
        "HOME": str(cache),
    }
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "bench", *args, "--data", str(data)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env=env,
    )


@pytest.mark.data
@pytest.mark.parametrize(
    ("kind", "extra", "files", "keys"),
    [
        (
            "agent",
            ["--train-rows", "{rows}"],
            ["agent_events.jsonl", "agent.json", "agent.csv", "agent_metrics.png"],
            [],
        ),
        (
            "judge",
            ["--cv", "4"],
            ["judge_records.jsonl", "judge_metrics.json", "judge_confusion.png"],
            ["accuracy", "precision", "recall", "f1", "per_category"],
        ),
        (
            "need",
            [],
            ["need_records.jsonl", "need_metrics.json", "need_threshold_curves.png"],
            ["precision", "recall", "f1", "accuracy"],
        ),
    ],
)
def test_bench_json_and_files(
    bench_data: Path, tmp_path: Path, kind: str, extra: list[str], files: list[str], keys: list[str]
) -> None:
    rows = str(bench_data / "reward_data" / "train_data.jsonl")
    out = tmp_path / "out"
    args = [a.replace("{rows}", rows) for a in extra]
    result = bench(
        kind, *args, "--json", "--out", str(out), data=bench_data, cache=tmp_path / "cache"
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)  # one JSON object, nothing else on stdout
    if kind == "agent":
        split = metrics["splits"]["real_average"]
        assert split["partial"] is True and split["n"] == 35
        for key in ("recall", "precision", "accuracy", "false_alarm", "f1"):
            assert 0.0 <= split[key] <= 1.0
        assert metrics["leakage"].startswith("excluded")
    for key in keys:
        assert key in metrics
    for name in files:
        assert (out / name).stat().st_size > 0, name


def test_bench_without_data_says_where_it_looked(tmp_path: Path) -> None:
    result = bench("need", data=tmp_path / "nowhere", cache=tmp_path)
    assert result.returncode == 2
    assert "no ProactiveBench data at" in result.stderr
