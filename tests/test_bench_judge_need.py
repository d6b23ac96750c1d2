"""The judge and need benches: exact metrics, held-out training, and the files they write."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import bench.judge_eval as judge_eval
import bench.retrain as retrain
from backends.local import Judge, LocalModels
from backends.local.data import RewardRow, load_reward_rows, load_test_traces, trace_digest
from backends.local.train import train_judge
from backends.schema import Judgement
from bench.judge_eval import evaluate_judge
from bench.need_eval import SWEEP_STEPS, evaluate_need
from bench.output import print_table, progress, write_metrics
from bench.plots import plot_split_metrics
from bench.retrain import (
    RowsFileError,
    event_texts,
    fit_local_models,
    grouped_folds,
    manifest_of,
    models_for_trace,
    read_rows_file,
    trace_groups,
)
from graphs.state import Event

PNG = b"\x89PNG"

# ---------------------------------------------------------------- hand-made data


def _row(events: list[str], task: str | None, valid: bool, help_needed: bool) -> dict[str, Any]:
    category = (
        ("Correct-Detection (CD)" if valid else "False-Alarm (FA)")
        if task
        else ("Correct-Rejection (CR)" if valid else "Missed-Need (MN)")
    )
    return {
        "obs": [{"time": str(1_700_000_000 + 30 * i), "event": e} for i, e in enumerate(events)],
        "pred_task": task,
        "help_needed": help_needed,
        "annotation": [valid, valid, valid],
        "valid": valid,
        "category": category,
    }


A = [
    "The user opens 'report.py' in Visual Studio Code.",
    "The user runs 'report.py' and a KeyError appears in the terminal.",
    "The user searches Google for 'python KeyError dict get default'.",
]
B = ["The user opens a blank document in Word.", "The user types a title for an essay on bees."]
C = [
    "The user opens the browser and reads a news site.",
    "The user scrolls through an article on climate policy.",
]

# Fake judge below: silence is always accepted; a task only when it starts with "Accept".
EVALUATED = [
    _row(A[:1], None, True, False),  # Correct-Rejection, predicted accept: TP
    _row(A[:2], "Accept: explain the KeyError", True, True),  # Correct-Detection, accept: TP
    _row(A[:3], "Reject: tidy the imports", False, True),  # False-Alarm, reject: TN
    _row(B[:1], None, False, True),  # Missed-Need, accept: FP
    _row(B[:2], "Accept: outline the essay", False, False),  # False-Alarm, accept: FP
    _row(C[:1], "Reject: summarise the site", True, True),  # Correct-Detection, reject: FN
    _row(C[:2], None, True, False),  # Correct-Rejection, accept: TP
]


def _write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


class _FakeJudge:
    def judge(self, events: Sequence[Event], task: str | None) -> Judgement:
        accepted = task is None or task.startswith("Accept")
        return Judgement(accepted=accepted, reason="fake")


@pytest.fixture
def rows_file(tmp_path: Path) -> Path:
    return _write_rows(tmp_path / "rows.jsonl", EVALUATED)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model cache for the module: retrained sets are reused across tests."""
    return tmp_path_factory.mktemp("model-cache")


def _events(prefix: str, n: int) -> list[str]:
    topics = ("a CSV parser", "unit tests", "a README", "a chart", "an API call", "a regex")
    return [f"The user {prefix} step {i} working on {topics[i % len(topics)]}." for i in range(n)]


@pytest.fixture
def mini_data(tmp_path: Path) -> Path:
    """A small ProactiveBench-shaped directory: two test traces and reward rows, one reward
    trace sharing events with test trace t_a and one sharing nothing."""
    data = tmp_path / "data"
    (data / "test_data").mkdir(parents=True)
    (data / "reward_data").mkdir()
    traces = {"t_a": _events("edits code in 'parser.py',", 6), "t_b": _events("writes prose,", 5)}
    for name, events in traces.items():
        steps = [
            {
                "observation": {"time": str(1_717_000_000 + 20 * i), "event": e},
                "agent_response": {"candidate_task": ["Explain the error"] if i % 2 else []},
                "task_status": i % 2 == 1,
            }
            for i, e in enumerate(events)
        ]
        (data / "test_data" / f"{name}.json").write_text(json.dumps(steps), encoding="utf-8")
    (data / "test_data" / "splits.json").write_text(
        json.dumps({"all": {"files": ["t_a.json", "t_b.json", "t_c.json"]}}), encoding="utf-8"
    )
    shared = traces["t_a"]
    other = _events("reads a paper,", 6)
    rows = [_row(shared[: i + 1], None, i % 2 == 0, i % 2 == 1) for i in range(4)]
    # Several kinds of task on each side, as the drafter's kind model needs at least three.
    tasks = ("Summarise the paper", "Find examples of citations", "Look up the docs", "Explain it")
    rows += [_row(shared[: i + 1], tasks[i], i % 2 == 0, i % 2 == 0) for i in range(4)]
    rows += [_row(other[: i + 1], None, i % 3 != 0, i % 3 == 0) for i in range(6)]
    rows += [_row(other[: i + 1], tasks[i % 4], i % 2 == 0, i % 2 == 0) for i in range(6)]
    _write_rows(data / "reward_data" / "train_data.jsonl", rows)
    return data


# ---------------------------------------------------------------- reading rows


def test_rows_file_is_read_with_categories_and_null_proposals(rows_file: Path) -> None:
    rows = read_rows_file(rows_file)
    assert len(rows) == len(EVALUATED)
    assert rows[0].pred_task is None and rows[0].category == "Correct-Rejection"
    assert rows[3].category == "Missed-Need"
    assert {r.trace for r in rows} == {A[0], B[0], C[0]}


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"obs": [{"event": "x"}], "pred_task": None, "help_needed": True}), "valid"),
        (json.dumps({**_row(B, None, True, False), "obs": []}), "non-empty list"),
        (json.dumps({**_row(B, None, True, False), "valid": "yes"}), "'valid' must be true"),
        (json.dumps({**_row(B, None, True, False), "category": "Bogus (B)"}), "unknown"),
        (json.dumps({**_row(B, None, True, False), "category": "False-Alarm (FA)"}), "contradicts"),
        (json.dumps({**_row(B, None, True, False), "obs": [{"time": 1}]}), "obs\\[0\\]"),
    ],
)
def test_a_malformed_row_is_an_error_naming_its_line(
    tmp_path: Path, bad_line: str, message: str
) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(EVALUATED[0]) + "\n\n" + bad_line + "\n", encoding="utf-8")
    with pytest.raises(RowsFileError, match=rf"rows\.jsonl:3: .*{message}"):
        read_rows_file(path)
    with pytest.raises(RowsFileError, match="rows.jsonl:3"):
        evaluate_judge("local", path, data_dir=tmp_path)


# ---------------------------------------------------------------- judge bench


def test_judge_metrics_are_exact_on_a_hand_made_file(
    rows_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(judge_eval, "judge_for", lambda spec: _FakeJudge())
    result = evaluate_judge("custom:fake", rows_file, data_dir=tmp_path)
    # TP 3 (rows 1, 2, 7), FP 2 (rows 4, 5), TN 1 (row 3), FN 1 (row 6).
    assert result["confusion"] == [[1, 2], [1, 3]]
    assert result["n"] == 7
    assert result["accuracy"] == pytest.approx(4 / 7)
    assert result["precision"] == pytest.approx(3 / 5)
    assert result["recall"] == pytest.approx(3 / 4)
    assert result["f1"] == pytest.approx(2 / 3)
    assert result["per_category"] == {
        "Missed-Need": {"accuracy": 0.0, "n": 1},
        "Correct-Rejection": {"accuracy": 1.0, "n": 2},
        "Correct-Detection": {"accuracy": 0.5, "n": 2},
        "False-Alarm": {"accuracy": 0.5, "n": 2},
    }
    assert result["leakage"].startswith("not applicable")
    json.dumps(result)  # JSON-able as it is


def test_judge_is_scored_per_annotator_beside_the_human_ceiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(judge_eval, "judge_for", lambda spec: _FakeJudge())
    rows = [
        _row(A[:2], "Accept: explain the KeyError", True, True)
        | {"annotation": [True, True, False]},
        _row(A[:3], "Reject: tidy the imports", False, True) | {"annotation": [True, False, False]},
        _row(B[:1], None, True, False) | {"annotation": [True, False]},
    ]
    path = _write_rows(tmp_path / "people.jsonl", rows)
    result = evaluate_judge("custom:fake", path, data_dir=tmp_path)
    # The judge says accept, reject, accept: against 8 answers, TP 3, FN 1, FP 2, TN 2.
    assert result["per_annotator"] == {
        "f1": pytest.approx(2 / 3),
        "accuracy": 5 / 8,
        "precision": 3 / 5,
        "recall": 3 / 4,
        "n": 8,
    }
    # Ceiling: rows of three only, ties skipped. Row 1: persons 0 and 1 see a tie, person 2
    # sees (T, T) but said F; row 2: person 0 sees (F, F) but said T, 1 and 2 see ties.
    ceiling = result["human_ceiling"]
    assert ceiling["n"] == 2 and ceiling["accuracy"] == 0.0
    # The judge on those two pairs: accept vs F (row 1), reject vs T (row 2).
    assert result["per_annotator_on_ceiling_pairs"] == {
        "f1": 0.0,
        "accuracy": 0.0,
        "precision": 0.0,
        "recall": 0.0,
        "n": 2,
    }
    assert (
        judge_eval.per_annotator(read_rows_file(rows_file_without_people(tmp_path)), [True]) == {}
    )


def rows_file_without_people(tmp_path: Path) -> Path:
    row = _row(A[:1], None, True, False)
    del row["annotation"]
    return _write_rows(tmp_path / "nobody.jsonl", [row])


def test_retraining_options_need_the_embedded_judge(rows_file: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--judge local"):
        evaluate_judge("openai:gpt-4o-mini", rows_file, data_dir=tmp_path, cv=2)
    with pytest.raises(ValueError, match="one of"):
        evaluate_judge("local", rows_file, data_dir=tmp_path, cv=2, train_rows=rows_file)


def test_judge_writes_records_metrics_and_confusion_plot(rows_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = evaluate_judge("local", rows_file, data_dir=tmp_path, out_dir=out)
    for name in ("judge_records.jsonl", "judge_metrics.json", "judge_metrics.csv"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "judge_confusion.png").read_bytes()[:4] == PNG
    records = [json.loads(line) for line in (out / "judge_records.jsonl").read_text().splitlines()]
    assert [r["line"] for r in records] == list(range(1, 8))
    assert all(0.0 <= r["probability"] <= 1.0 and r["latency_ms"] >= 0 for r in records)
    assert [r["truth"] for r in records] == [r["valid"] for r in EVALUATED]
    assert json.loads((out / "judge_metrics.json").read_text())["f1"] == result["f1"]
    assert "f1," in (out / "judge_metrics.csv").read_text()
    # No training data to compare with here: the report must not claim the rows were unseen.
    assert result["leakage"].startswith("not excluded")


def test_traces_that_share_an_event_fall_in_one_group(rows_file: Path) -> None:
    rows = read_rows_file(rows_file)
    bridge = _write_rows(rows_file.parent / "bridge.jsonl", [_row([C[0], B[1]], None, True, False)])
    merged = trace_groups([*rows, *read_rows_file(bridge)])
    assert len(set(merged)) == 2  # B and C are joined by the bridge row; A stays apart
    assert merged[3] == merged[5] == merged[-1] != merged[0]


def test_grouped_folds_never_put_a_trace_on_both_sides(rows_file: Path) -> None:
    rows = read_rows_file(rows_file)
    folds = grouped_folds(rows, 3)
    assert sorted(i for fold in folds for i in fold) == list(range(len(rows)))
    for fold in folds:
        train = [r for i, r in enumerate(rows) if i not in fold]
        held = [rows[i] for i in fold]
        assert not {r.trace for r in train} & {r.trace for r in held}
        assert not event_texts(train) & event_texts(held)
    with pytest.raises(ValueError, match="only 3 traces"):
        grouped_folds(rows, 4)


def test_cv_judges_each_row_with_a_model_that_never_saw_its_trace(
    rows_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[list[RewardRow]] = []

    def spy(rows: Sequence[RewardRow], seed: int = 0, settings: Any = None) -> Judge:
        received.append(list(rows))
        return train_judge(rows, seed=seed, settings=settings)

    monkeypatch.setattr(judge_eval, "train_judge", spy)
    out = tmp_path / "cv"
    result = evaluate_judge("local", rows_file, data_dir=tmp_path, cv=3, out_dir=out)
    assert len(received) == 3
    records = [json.loads(line) for line in (out / "judge_records.jsonl").read_text().splitlines()]
    assert {r["fold"] for r in records} == {0, 1, 2}
    for record in records:
        trained_on = {trace_digest(r.trace) for r in received[record["fold"]]}
        assert record["trace"] not in trained_on
    assert result["leakage"].startswith("excluded")
    assert result["leakage_check"]["rows_sharing_an_event_with_training"] == 0


def test_train_rows_retraining_drops_every_trace_sharing_an_event(
    rows_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unrelated = ["The user opens Excel.", "The user fills a column with sales figures."]
    training = [
        _row(A[:2], "Explain the KeyError", True, True),  # trace A itself
        _row(["The user opens Slack.", B[1]], None, False, True),  # shares B's second event
        _row(["The user opens Slack."], "Summarise the channel", True, True),  # same trace
        _row(unrelated[:1], None, True, False),
        _row(unrelated, "Make a chart of the sales", True, True),
        _row(unrelated, "Write a poem", False, False),
    ]
    train_file = _write_rows(tmp_path / "train.jsonl", training)
    received: list[list[RewardRow]] = []

    def spy(rows: Sequence[RewardRow], seed: int = 0, settings: Any = None) -> Judge:
        received.append(list(rows))
        return train_judge(rows, seed=seed, settings=settings)

    monkeypatch.setattr(judge_eval, "train_judge", spy)
    out = tmp_path / "out"
    result = evaluate_judge(
        "local", rows_file, data_dir=tmp_path, train_rows=train_file, out_dir=out
    )
    # One judge per evaluated trace (A, B, C), each trained on every row not sharing its trace.
    evaluated = read_rows_file(rows_file)
    assert len(received) == 3
    for got, trace in zip(received, (A, B, C), strict=True):
        mine = [r for r in evaluated if r.trace == trace[0]]
        assert not event_texts(got) & event_texts(mine)
    assert [len(got) for got in received] == [5, 4, 6]  # B's judge lost the whole Slack trace
    assert {r.trace for r in received[1]} == {A[0], unrelated[0]}
    assert sorted(result["train_rows_used"].values()) == [4, 5, 6]
    records = [json.loads(line) for line in (out / "judge_records.jsonl").read_text().splitlines()]
    assert [r["fold"] for r in records] == [0, 0, 0, 1, 1, 2, 2]
    assert result["leakage"].startswith("excluded")
    assert result["leakage_check"]["rows_sharing_an_event_with_training"] == 0

    everywhere = _write_rows(
        tmp_path / "shared.jsonl", [_row([A[0], B[0], C[0]], "Explain", True, True)]
    )
    with pytest.raises(ValueError, match="nothing is left to train its judge on"):
        evaluate_judge("local", rows_file, data_dir=tmp_path, train_rows=everywhere)


# ---------------------------------------------------------------- need bench


def _assert_never_saw(
    models: LocalModels, data: Path, name: str, rows: Sequence[RewardRow]
) -> None:
    """The trainer's manifest holds neither the trace nor any reward trace sharing an event."""
    manifest = manifest_of(models)["data"]
    trace = next(t for t in load_test_traces(data) if t.name == name)
    events = {e.text for e in trace.events}
    linked = {r.trace for r in rows if any(e.text in events for e in r.obs)}
    assert linked, "the check needs a reward trace that shares the test trace's events"
    assert name in manifest["test_traces_excluded"]
    assert name not in manifest["test_traces_used"]
    assert not {trace_digest(t) for t in linked} & set(manifest["reward_traces_used"])
    assert manifest["reward_rows_used"] == sum(r.trace not in linked for r in rows)


def test_models_for_a_trace_never_saw_it(mini_data: Path, tmp_path: Path) -> None:
    models = models_for_trace(mini_data, "t_a", cache_dir=tmp_path / "cache")
    _assert_never_saw(models, mini_data, "t_a", load_reward_rows(mini_data))
    with pytest.raises(ValueError, match="no test trace 'nope'"):
        models_for_trace(mini_data, "nope", cache_dir=tmp_path / "cache")


def test_retrained_models_are_cached_and_deterministic(
    mini_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real_train = retrain.train
    monkeypatch.setattr(retrain, "train", lambda *a, **k: calls.append(a) or real_train(*a, **k))
    first = fit_local_models(mini_data, exclude_traces=["t_b"], cache_dir=tmp_path / "c1")
    again = fit_local_models(mini_data, exclude_traces=["t_b.json"], cache_dir=tmp_path / "c1")
    other = fit_local_models(mini_data, exclude_traces=["t_b"], cache_dir=tmp_path / "c2")
    assert len(calls) == 2 and first.artifact_dir == again.artifact_dir
    for name in ("need.json", "judge.json", "drafter.json"):
        assert (first.artifact_dir / name).read_bytes() == (other.artifact_dir / name).read_bytes()


def test_need_bench_scores_each_trace_with_models_that_never_saw_it(
    mini_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = evaluate_need(mini_data, out_dir=out, cache_dir=tmp_path / "cache")
    assert set(result["per_trace"]) == {"t_a", "t_b"}
    assert result["n"] == 11
    for name, item in result["per_trace"].items():
        assert item["model_saw_trace"] is False
        models = retrain.load_models(Path(item["models"]))
        manifest = manifest_of(models)["data"]
        assert name in manifest["test_traces_excluded"]
    _assert_never_saw(
        retrain.load_models(Path(result["per_trace"]["t_a"]["models"])),
        mini_data,
        "t_a",
        load_reward_rows(mini_data),
    )
    assert result["leakage"].startswith("excluded")
    assert result["per_split"]["all"]["partial"] is True
    assert result["per_split"]["all"]["traces_missing"] == ["t_c"]

    # Sweep: thresholds 0, 0.05, ..., 1 with every metric; the ends are the two baselines.
    sweep = result["sweep"]
    assert [round(s["threshold"], 2) for s in sweep] == [
        round(i / SWEEP_STEPS, 2) for i in range(SWEEP_STEPS + 1)
    ]
    keys = {"threshold", "precision", "recall", "f1", "accuracy", "false_positive_rate"}
    assert all(set(s) == keys for s in sweep)
    always, never = result["baselines"]["always_propose"], result["baselines"]["never_propose"]
    assert (always["recall"], always["false_positive_rate"]) == (1.0, 1.0)
    assert (never["recall"], never["false_positive_rate"], never["precision"]) == (0.0, 0.0, 0.0)
    assert always["precision"] == pytest.approx(5 / 11)  # 2 + 3 events with task_status true
    assert sweep[0]["recall"] == 1.0 and sweep[0]["precision"] == always["precision"]

    for name in ("need_records.jsonl", "need_metrics.json", "need_metrics.csv", "need_sweep.csv"):
        assert (out / name).stat().st_size > 0, name
    for name in ("need_confusion.png", "need_threshold_curves.png"):
        assert (out / name).read_bytes()[:4] == PNG, name
    records = [json.loads(line) for line in (out / "need_records.jsonl").read_text().splitlines()]
    assert len(records) == 11
    assert {"trace", "index", "prediction", "probability", "truth", "latency_ms"} <= set(records[0])


def test_need_bench_retrains_from_a_given_rows_file(mini_data: Path, tmp_path: Path) -> None:
    rows = load_reward_rows(mini_data)
    unrelated = _write_rows(
        tmp_path / "other.jsonl",
        [json.loads(line) for line in (mini_data / "reward_data/train_data.jsonl").open()][8:],
    )
    result = evaluate_need(mini_data, train_rows=unrelated, cache_dir=tmp_path / "cache")
    for item in result["per_trace"].values():
        manifest = manifest_of(retrain.load_models(Path(item["models"])))["data"]
        assert manifest["reward_rows_read"] == len(rows) - 8
    assert str(unrelated) in result["protocol"]


def test_need_bench_says_when_leakage_was_not_excluded(mini_data: Path, tmp_path: Path) -> None:
    result = evaluate_need(
        mini_data,
        leakage_free=False,
        train_rows=mini_data / "reward_data/train_data.jsonl",
        cache_dir=tmp_path / "cache",
    )
    assert result["leakage"].startswith("not excluded")
    assert all(item["model_saw_trace"] for item in result["per_trace"].values())


@pytest.mark.data
def test_real_test_traces_are_scored_by_models_that_never_saw_them(
    bench_data: Path, cache: Path
) -> None:
    result = evaluate_need(bench_data, cache_dir=cache)
    rows = load_reward_rows(bench_data)
    assert result["n"] == sum(len(t.events) for t in load_test_traces(bench_data))
    for name, item in result["per_trace"].items():
        assert item["model_saw_trace"] is False
        _assert_never_saw(retrain.load_models(Path(item["models"])), bench_data, name, rows)
    assert {"precision", "recall", "f1", "accuracy"} <= set(result)


@pytest.mark.data
def test_real_reward_rows_fold_by_trace(bench_data: Path) -> None:
    rows = read_rows_file(bench_data / "reward_data" / "train_data.jsonl")
    folds = grouped_folds(rows, 5)
    assert all(folds)
    for fold in folds:
        held = set(fold)
        train = [r for i, r in enumerate(rows) if i not in held]
        test = [rows[i] for i in fold]
        assert not {r.trace for r in train} & {r.trace for r in test}
        assert not event_texts(train) & event_texts(test)


# ---------------------------------------------------------------- output helpers


def test_metrics_are_written_as_json_and_flat_csv(tmp_path: Path) -> None:
    json_path, csv_path = write_metrics(
        tmp_path, "m", {"f1": 0.5, "per_category": {"False-Alarm": {"n": 2}}, "confusion": [[1]]}
    )
    assert json.loads(json_path.read_text())["per_category"]["False-Alarm"]["n"] == 2
    lines = csv_path.read_text().splitlines()
    assert lines[0] == "metric,value"
    assert {"f1,0.5", "per_category.False-Alarm.n,2", "confusion.0.0,1"} <= set(lines)


def test_progress_and_tables_write_to_the_given_stream() -> None:
    stream = io.StringIO()
    assert list(progress(range(3), 3, "demo", stream=stream)) == [0, 1, 2]
    text = stream.getvalue()
    assert text.startswith("demo: 3 items") and "done, 3 items" in text
    stream = io.StringIO()
    print_table([{"split": "all", "f1": 0.5}], ["split", "f1"], stream=stream)
    assert stream.getvalue().splitlines()[2].split() == ["all", "0.500"]


def test_split_metrics_plot(tmp_path: Path) -> None:
    path = plot_split_metrics(
        {"real_coding": {"recall": 0.5, "precision": 0.4, "f1": 0.44}, "real_writing": {}},
        tmp_path / "splits.png",
    )
    assert path.read_bytes()[:4] == PNG
    with pytest.raises(ValueError):
        plot_split_metrics({}, tmp_path / "none.png")
