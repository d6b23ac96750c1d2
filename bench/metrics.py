"""The paper's metrics, defined once.

Agent protocol (per event): the agent proposes a task or none; a judge accepts or rejects that
output. TP = task proposed and accepted; FP = task proposed and rejected; TN = no task and the
judge accepts "no task"; FN = no task and the judge rejects "no task".
Recall = TP/(TP+FN), Precision = TP/(TP+FP), Accuracy = (TP+TN)/all,
False-Alarm = FP/(TP+FP), F1 = 2PR/(P+R). An undefined ratio (zero denominator) is 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from backends.local.data import JUDGE_CATEGORIES, category_name, is_null_task  # noqa: F401


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def _f1(precision: float, recall: float) -> float:
    return _ratio(2 * precision * recall, precision + recall)


@dataclass(frozen=True)
class AgentCounts:
    """Outcome counts of the agent protocol."""

    tp: int = 0
    """Task proposed, judge accepted."""
    fp: int = 0
    """Task proposed, judge rejected."""
    tn: int = 0
    """No task, judge accepted the silence."""
    fn: int = 0
    """No task, judge rejected the silence."""

    @classmethod
    def from_outcomes(cls, outcomes: Iterable[tuple[bool, bool]]) -> AgentCounts:
        """Counts from (proposed a task, judge accepted) pairs."""
        tp = fp = tn = fn = 0
        for proposed, accepted in outcomes:
            if proposed:
                tp += accepted
                fp += not accepted
            else:
                tn += accepted
                fn += not accepted
        return cls(tp=tp, fp=fp, tn=tn, fn=fn)

    def __add__(self, other: AgentCounts) -> AgentCounts:
        return AgentCounts(
            self.tp + other.tp, self.fp + other.fp, self.tn + other.tn, self.fn + other.fn
        )

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    def metrics(self) -> dict[str, float | int]:
        """Recall, precision, accuracy, false alarm, F1, accept and proposal rates, and counts."""
        recall = _ratio(self.tp, self.tp + self.fn)
        precision = _ratio(self.tp, self.tp + self.fp)
        return {
            "recall": recall,
            "precision": precision,
            "accuracy": _ratio(self.tp + self.tn, self.total),
            "false_alarm": _ratio(self.fp, self.tp + self.fp),
            "f1": _f1(precision, recall),
            "accept_rate": _ratio(self.tp + self.tn, self.total),
            "proposal_rate": _ratio(self.tp + self.fp, self.total),
            **asdict(self),
            "n": self.total,
        }


@dataclass(frozen=True)
class BinaryCounts:
    """Confusion counts of a yes/no prediction against a yes/no truth."""

    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0

    @classmethod
    def from_pairs(cls, predicted: Sequence[bool], truth: Sequence[bool]) -> BinaryCounts:
        if len(predicted) != len(truth):
            raise ValueError(f"{len(predicted)} predictions for {len(truth)} labels")
        tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
        fp = sum(p and not t for p, t in zip(predicted, truth, strict=True))
        fn = sum(t and not p for p, t in zip(predicted, truth, strict=True))
        return cls(tp=tp, fp=fp, tn=len(truth) - tp - fp - fn, fn=fn)

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    def metrics(self) -> dict[str, float | int]:
        """Accuracy, precision, recall, F1, false-positive rate, and counts."""
        precision = _ratio(self.tp, self.tp + self.fp)
        recall = _ratio(self.tp, self.tp + self.fn)
        return {
            "accuracy": _ratio(self.tp + self.tn, self.total),
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
            "false_positive_rate": _ratio(self.fp, self.fp + self.tn),
            **asdict(self),
            "n": self.total,
        }

    def matrix(self) -> list[list[int]]:
        """[[TN, FP], [FN, TP]]: rows are the truth (no, yes), columns the prediction."""
        return [[self.tn, self.fp], [self.fn, self.tp]]
