"""`proactive bench human`: policies judged by each annotator's own answers."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bench.human import POLICY_NAMES, evaluate_human
from bench.metrics import AgentCounts
from cli.main import main

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def four_traces(bench_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The annotated rows of four real traces (three annotators each), as a rows file."""
    lines = (bench_data / "reward_data" / "train_data.jsonl").read_text().splitlines()
    by_trace: dict[str, list[str]] = {}
    for line in lines:
        row = json.loads(line)
        if len(row["annotation"]) == 3:
            by_trace.setdefault(row["obs"][0]["event"], []).append(line)
    chosen = [by_trace[t] for t in sorted(by_trace)[:4]]
    path = tmp_path_factory.mktemp("rows") / "four.jsonl"
    path.write_text("\n".join(line for rows in chosen for line in rows) + "\n")
    return path


@pytest.fixture(scope="module")
def replay(
    bench_data: Path, four_traces: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("human-out")
    result = evaluate_human(
        bench_data,
        rows_file=four_traces,
        out_dir=out,
        cache_dir=tmp_path_factory.mktemp("human-cache"),
    )
    return result, out


def _recount(records: list[dict], policy: str) -> dict:
    mine = [r for r in records if r["policy"] == policy and r["outcome"] != "unscored"]
    counts = AgentCounts.from_outcomes(
        (r["proposed"] is not None, r["outcome"] in ("TP", "TN")) for r in mine
    )
    return counts.metrics()


def test_every_person_meets_every_policy_at_every_moment(replay: tuple[dict, Path]) -> None:
    result, out = replay
    assert result["people"] == 12 and result["traces"] == 4 and result["panel"] == 3
    records = [json.loads(line) for line in (out / "human_records.jsonl").read_text().splitlines()]
    per_policy = Counter(r["policy"] for r in records)
    assert set(per_policy) == set(POLICY_NAMES)
    assert set(per_policy.values()) == {result["situations"]}


def test_records_recompute_the_pooled_metrics(replay: tuple[dict, Path]) -> None:
    result, out = replay
    records = [json.loads(line) for line in (out / "human_records.jsonl").read_text().splitlines()]
    for policy in POLICY_NAMES:
        again = _recount(records, policy)
        for key in ("precision", "recall", "f1", "accuracy", "tp", "fp", "tn", "fn"):
            assert again[key] == pytest.approx(result["pooled"][policy][key]), (policy, key)


def test_the_person_judges_a_proposal_by_their_own_answer(
    replay: tuple[dict, Path], four_traces: Path
) -> None:
    _, out = replay
    rows = {n: json.loads(line) for n, line in enumerate(four_traces.read_text().splitlines(), 1)}
    records = [json.loads(line) for line in (out / "human_records.jsonl").read_text().splitlines()]
    for record in records:
        if record["proposed"] is None:
            continue
        own = rows[record["line"]]["annotation"][record["annotator"]]
        assert record["outcome"] == ("TP" if own else "FP")
        assert rows[record["line"]]["pred_task"] == record["task"]


def test_baselines_bound_the_policies(replay: tuple[dict, Path]) -> None:
    pooled = replay[0]["pooled"]
    assert pooled["never"]["f1"] == 0.0 and pooled["never"]["proposal_rate"] == 0.0
    assert pooled["random"]["recall"] == 1.0
    assert pooled["oracle"]["precision"] == 1.0 and pooled["oracle"]["f1"] > 0.95
    for name in ("global", "prior", "personal", "personal_all"):
        assert pooled[name]["f1"] <= pooled["oracle"]["f1"]


def test_learning_policies_have_curves_and_judges_are_compared_to_people(
    replay: tuple[dict, Path],
) -> None:
    result, out = replay
    curve = result["learning_curves"]["personal_all"]
    assert curve["0"]["n"] >= curve["5"]["n"] >= curve["10"]["n"]
    assert result["learning_curves"]["never"]["5"] is None  # never answered anything
    ceiling = result["agreement"]["0"]["human_ceiling"]
    assert 0 < ceiling["n"] <= result["agreement"]["0"]["rows"]
    assert {"personal_f1", "personal_precision", "personal_over_global_f1"} <= set(
        result["targets"]
    )
    for name in ("human_policies.png", "human_learning.png", "human_people.csv"):
        assert (out / name).stat().st_size > 0


def test_cli_prints_json_and_names_bad_rows(
    bench_data: Path,
    four_traces: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    no_answers = tmp_path / "bad.jsonl"
    lines = four_traces.read_text().splitlines()
    broken = json.loads(lines[1])
    del broken["annotation"]
    no_answers.write_text("\n".join([lines[0], json.dumps(broken), *lines[2:]]) + "\n")
    data = ["--data", str(bench_data)]
    assert main(["bench", "human", *data, "--rows", str(no_answers), "--json"]) == 2
    assert "line 2 has no 'annotation'" in capsys.readouterr().err
    assert main(["bench", "human", *data, "--policies", "never,nope", "--json"]) == 2
    assert "unknown policy nope" in capsys.readouterr().err

    short = tmp_path / "short.jsonl"
    mixed = json.loads(lines[3])
    mixed["annotation"] = mixed["annotation"][:2]
    short.write_text("\n".join([*lines[:3], json.dumps(mixed), *lines[4:]]) + "\n")
    args = ["bench", "human", *data, "--rows", str(short), "--policies", "never,oracle"]
    assert main([*args, "--json", "--cache", str(tmp_path / "cache")]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["skipped_rows"] == 1 and set(result["pooled"]) == {"never", "oracle"}
    assert "skipped 1 rows (2 answers where the panel has 3" in captured.err
    assert "lines 4" in captured.err
