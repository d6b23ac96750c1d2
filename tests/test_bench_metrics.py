"""The paper's metrics (bench/metrics.py) against cases computed by hand."""

from __future__ import annotations

import pytest

from bench.metrics import (
    JUDGE_CATEGORIES,
    AgentCounts,
    BinaryCounts,
    category_name,
    is_null_task,
)


@pytest.mark.parametrize(
    "task", [None, "", "   ", "null", "NULL", " None ", "none", [], [None, "null", ""], ("",)]
)
def test_no_proposal_in_every_spelling_is_null(task) -> None:
    assert is_null_task(task)


@pytest.mark.parametrize("task", ["Open the docs", "nullify the cache", ["null", "Fix it"], 0])
def test_a_real_proposal_is_not_null(task) -> None:
    assert not is_null_task(task)


def test_null_proposals_count_as_silence_the_judge_accepts_or_rejects() -> None:
    # The agent said "null" twice and "None" once: no task proposed in any of them.
    outputs = [("null", True), (None, False), ("None", True), ("Explain the error", True)]
    counts = AgentCounts.from_outcomes((not is_null_task(t), ok) for t, ok in outputs)
    assert counts == AgentCounts(tp=1, fp=0, tn=2, fn=1)


def test_a_mixed_case_gives_the_exact_paper_metrics() -> None:
    # 3 accepted tasks, 1 rejected task, 4 accepted silences, 2 rejected silences.
    outcomes = [(True, True)] * 3 + [(True, False)] + [(False, True)] * 4 + [(False, False)] * 2
    m = AgentCounts.from_outcomes(outcomes).metrics()
    assert m["recall"] == pytest.approx(3 / 5)
    assert m["precision"] == pytest.approx(3 / 4)
    assert m["accuracy"] == pytest.approx(7 / 10)
    assert m["false_alarm"] == pytest.approx(1 / 4)
    assert m["f1"] == pytest.approx(2 * 0.75 * 0.6 / (0.75 + 0.6))  # = 2/3
    assert m["proposal_rate"] == pytest.approx(4 / 10)
    assert (m["tp"], m["fp"], m["tn"], m["fn"], m["n"]) == (3, 1, 4, 2, 10)


def test_counts_add_up_across_splits() -> None:
    total = AgentCounts(1, 2, 3, 4) + AgentCounts(10, 20, 30, 40)
    assert total == AgentCounts(11, 22, 33, 44)
    assert total.total == 110


def test_empty_outputs_give_zeros_not_errors() -> None:
    agent = AgentCounts.from_outcomes([]).metrics()
    assert agent["n"] == 0
    assert all(agent[k] == 0.0 for k in ("recall", "precision", "accuracy", "false_alarm", "f1"))
    binary = BinaryCounts.from_pairs([], []).metrics()
    assert binary["n"] == 0
    assert all(binary[k] == 0.0 for k in ("accuracy", "precision", "recall", "f1"))


def test_zero_denominators_are_zero() -> None:
    # Only accepted silences: no task was ever proposed, and no need was missed.
    m = AgentCounts(tn=3).metrics()
    assert m["accuracy"] == 1.0
    assert m["recall"] == m["precision"] == m["false_alarm"] == m["f1"] == 0.0
    # Only rejected tasks: precision 0, false alarm 1, recall undefined (0).
    m = AgentCounts(fp=2).metrics()
    assert (m["precision"], m["false_alarm"], m["recall"], m["f1"]) == (0.0, 1.0, 0.0, 0.0)
    assert BinaryCounts(tp=2).metrics()["false_positive_rate"] == 0.0


def test_binary_counts_and_matrix_by_hand() -> None:
    predicted = [True, True, False, False, True, False]
    truth = [True, False, True, False, True, False]
    counts = BinaryCounts.from_pairs(predicted, truth)
    assert counts == BinaryCounts(tp=2, fp=1, tn=2, fn=1)
    assert counts.matrix() == [[2, 1], [1, 2]]
    m = counts.metrics()
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["false_positive_rate"] == pytest.approx(1 / 3)


def test_binary_counts_refuse_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="3 predictions for 2 labels"):
        BinaryCounts.from_pairs([True, False, True], [True, False])


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("False-Alarm (FA)", "False-Alarm"),
        ("Missed-Need (MN)", "Missed-Need"),
        ("  Correct-Detection (CD) ", "Correct-Detection"),
        ("Correct-Rejection", "Correct-Rejection"),
    ],
)
def test_category_names_drop_their_abbreviation(raw: str, name: str) -> None:
    assert category_name(raw) == name
    assert name in JUDGE_CATEGORIES


@pytest.mark.parametrize("raw", ["", "False Alarm (FA)", "false-alarm", "True-Alarm (TA)", "(FA)"])
def test_unknown_categories_are_errors_that_list_the_known_ones(raw: str) -> None:
    with pytest.raises(ValueError, match="unknown reward-row category") as err:
        category_name(raw)
    assert all(c in str(err.value) for c in JUDGE_CATEGORIES)
