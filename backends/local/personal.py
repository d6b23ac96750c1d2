"""The personal user model: how one person answers proposals, learned from their own answers.

People differ: within one ProactiveBench trace, three annotators accepted 4%, 47% and 66% of the
same proposals. The embedded judge predicts the *majority*; this model puts one number per person
on top of it, their bias ``b``, and learns it online from that person's answers.

A person accepts a proposed task with probability

    s = sigmoid(c + w_task * logit(p_task) + w_silence * logit(p_silence) + b)

where ``p_task`` is the embedded judge's probability that the task is accepted and ``p_silence``
its probability that silence is accepted at this moment. ``b`` has the prior N(0, bias_sd²),
fitted across the annotators of the training traces, so a new person (b = 0) gets the global
behaviour. Each answer moves b's posterior mode (Newton's method on one variable).

Whether the person wants some help now, i.e. would reject silence:

    q = sigmoid(q0 + q_silence * logit(p_silence) + q_bias * b + q_best * logit(max p_task))

The decision: propose the candidate with the highest ``s`` when ``s (2 - F) > F (1 - q)``, else
stay silent. Proposing adds s to TP and 1 - s to FP; silence adds q to FN; with
F1 = 2TP / (2TP + FP + FN), the proposal raises the expected F1 above level F exactly when that
inequality holds (docs/personal.md). ``F`` is the run's `personal_target_f1`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from backends.local.linear import ArtifactError

ARTIFACT = "personal.json"
"""File name of the personal model's prior (the global part)."""

PROB_FLOOR = 1e-4
"""Probabilities are clipped to [floor, 1 - floor] before taking their logit."""

MAX_ANSWERS = 200
"""A profile keeps this many latest answers; older ones are dropped (people change, and 200
answers already pin the bias down to about a tenth of a logit)."""

NEWTON_STEPS = 25
"""Iterations of the posterior-mode search (it converges in a handful)."""

ANSWER_WEIGHTS: dict[str, tuple[bool, float]] = {
    "accept": (True, 1.0),
    "edit": (True, 1.0),
    "reject": (False, 1.0),
    "ignore": (False, 0.5),
}
"""How each answer teaches the model: (accepted, weight). An edit means the person wanted this
help in another wording; an ignore is a weak refusal (not now, rather than not this)."""


def logit(p: float) -> float:
    """log(p / (1 - p)), with p clipped away from 0 and 1."""
    p = min(max(float(p), PROB_FLOOR), 1.0 - PROB_FLOOR)
    return math.log(p / (1.0 - p))


def sigmoid(x: float) -> float:
    """1 / (1 + exp(-x)), safe for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass(frozen=True)
class Prior:
    """The global part of the personal model, fitted on annotators of the training traces."""

    intercept: float = 0.0
    """c: log-odds of acceptance at p_task = p_silence = 0.5 for a typical person."""
    w_task: float = 1.0
    """Weight of logit(p_task)."""
    w_silence: float = 0.0
    """Weight of logit(p_silence) (a moment where silence is fine lowers every task's odds)."""
    bias_sd: float = 1.0
    """Standard deviation of people's biases: how far one person may stray from the others."""
    q_intercept: float = 0.0
    """q0 of the want-help model."""
    q_silence: float = -1.0
    """Weight of logit(p_silence) in the want-help model."""
    q_bias: float = 0.0
    """Weight of the person's bias in the want-help model."""
    q_best: float = 0.0
    """Weight of the best candidate's logit(p_task) in the want-help model."""
    global_threshold: float = 0.5
    """For the global policy (no personal model): propose the top candidate when its p_task
    reaches this; chosen for F1 on the training people."""
    fitted: bool = False
    """False for the defaults (no annotated rows to fit on)."""
    people: int = 0
    """Annotators it was fitted on."""
    answers: int = 0
    """Answers it was fitted on."""

    def task_logit(self, p_task: float, p_silence: float) -> float:
        """The log-odds of acceptance for a person with bias 0."""
        return self.intercept + self.w_task * logit(p_task) + self.w_silence * logit(p_silence)

    def want_help(self, p_silence: float, best_p_task: float, bias: float) -> float:
        """q: the probability that the person rejects silence now."""
        return sigmoid(
            self.q_intercept
            + self.q_silence * logit(p_silence)
            + self.q_bias * bias
            + self.q_best * logit(best_p_task)
        )

    def to_json(self) -> dict[str, Any]:
        return {"kind": "personal", "version": 1, **asdict(self)}

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> Prior:
        if payload.get("kind") != "personal":
            raise ArtifactError("not a personal-model artifact")
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in payload.items() if k in known}
        for key, value in values.items():
            expected = bool if key == "fitted" else int if key in ("people", "answers") else float
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                values[key] = float(value)
            elif not isinstance(values[key], expected) or (
                expected is not bool and isinstance(values[key], bool)
            ):
                raise ArtifactError(f"personal model field {key!r} is not a {expected.__name__}")
        prior = cls(**values)
        if not prior.bias_sd > 0:
            raise ArtifactError("personal model bias_sd must be > 0")
        return prior

    @classmethod
    def load(cls, path: Path) -> Prior:
        """Load from a `personal.json` artifact; a missing file gives the defaults."""
        if not Path(path).is_file():
            return cls()
        try:
            payload = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
            reason = "nested too deeply" if isinstance(err, RecursionError) else str(err)
            raise ArtifactError(f"{path} is unreadable ({reason}); run `proactive train`") from None
        try:
            return cls.from_json(payload)
        except (ArtifactError, TypeError) as err:
            raise ArtifactError(f"{path}: {err}; run `proactive train`") from err


@dataclass(frozen=True)
class Lesson:
    """One answer as the model learns from it."""

    accepted: bool
    """Did the person accept (accept or edit)?"""
    weight: float
    """How much it counts (an ignore counts half)."""
    p_task: float
    """The judge's accept probability of the answered task."""
    p_silence: float
    """The judge's accept probability of silence at that moment."""


@dataclass(frozen=True)
class Choice:
    """What the personal model decided for one moment."""

    index: int | None
    """The candidate to propose, None for silence."""
    accept: float
    """s: the predicted probability that the person accepts the best candidate."""
    want_help: float
    """q: the predicted probability that the person rejects silence now."""
    bias: float
    """The person's bias it used."""
    reason: str
    """The decision in words."""


@dataclass(frozen=True)
class Evidence:
    """A person's answers as arrays, ready for `fit_bias` (one entry per answer)."""

    p_task: np.ndarray
    """The judge's probability of each answered task."""
    p_silence: np.ndarray
    """The judge's probability of silence at each answer's moment."""
    accepted: np.ndarray
    """1.0 for acceptance, 0.0 for refusal."""
    weight: np.ndarray
    """How much each answer counts."""

    @classmethod
    def of(cls, lessons: Sequence[Lesson]) -> Evidence:
        rows = np.asarray(
            [(x.p_task, x.p_silence, float(x.accepted), x.weight) for x in lessons], np.float64
        ).reshape(-1, 4)
        return cls(rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3])


def _logits(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, PROB_FLOOR, 1.0 - PROB_FLOOR)
    return np.log(q / (1.0 - q))


def fit_bias(prior: Prior, evidence: Evidence, start: float = 0.0) -> float:
    """The mode of the person's bias given their answers (0 with none); `start` is where
    Newton's method begins (the previous bias converges in a step or two)."""
    if evidence.accepted.size == 0:
        return 0.0
    base = (
        prior.intercept
        + prior.w_task * _logits(evidence.p_task)
        + prior.w_silence * _logits(evidence.p_silence)
    )
    y, w = evidence.accepted, evidence.weight
    inv_var = 1.0 / (prior.bias_sd**2)
    b = float(start)
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(base + b)))
        gradient = float(np.dot(w, y - p)) - b * inv_var
        hessian = -float(np.dot(w, p * (1.0 - p))) - inv_var
        step = gradient / hessian
        b -= step
        if abs(step) < 1e-6:
            break
    return b


def posterior_bias(prior: Prior, lessons: Sequence[Lesson]) -> float:
    """The mode of the person's bias given their answers (0 with none)."""
    return fit_bias(prior, Evidence.of(lessons)) if lessons else 0.0


def choose(
    prior: Prior,
    bias: float,
    p_tasks: Sequence[float],
    p_silence: float,
    target_f1: float,
) -> Choice:
    """Pick the candidate the person most likely accepts, or silence (module docstring)."""
    if not p_tasks:
        return Choice(None, 0.0, 0.0, bias, "no candidate to offer")
    accepts = [sigmoid(prior.task_logit(p, p_silence) + bias) for p in p_tasks]
    best = max(range(len(accepts)), key=lambda i: (accepts[i], -i))
    s = accepts[best]
    q = prior.want_help(p_silence, max(p_tasks), bias)
    if s * (2.0 - target_f1) > target_f1 * (1.0 - q):
        reason = f"likely welcome: accept {s:.2f}, wants help {q:.2f}"
        return Choice(best, s, q, bias, reason)
    reason = f"better silent: accept {s:.2f}, wants help {q:.2f}"
    return Choice(None, s, q, bias, reason)


# ---------------------------------------------------------------- fitting (needs scikit-learn)


Moment = tuple[str, list[float], list[bool], bool | None]
"""(person, candidates' p_task, their answers, the silence answer or None)."""


@dataclass
class TrainingAnswers:
    """Answers of the training people with the judge's out-of-fold probabilities."""

    person: list[str] = field(default_factory=list)
    """Per task answer, whose it is."""
    p_task: list[float] = field(default_factory=list)
    p_silence: list[float] = field(default_factory=list)
    accepted: list[bool] = field(default_factory=list)
    silence_person: list[str] = field(default_factory=list)
    """Per silence answer, whose it is."""
    silence_p: list[float] = field(default_factory=list)
    silence_best: list[float] = field(default_factory=list)
    """The best candidate's p_task in that situation."""
    silence_rejected: list[bool] = field(default_factory=list)
    situations: list[Moment] = field(default_factory=list)
    """Per (person, situation): person, candidates' p_task, their answers, silence answer."""


def fit_prior(data: TrainingAnswers, max_iter: int = 3000) -> Prior:
    """Fit the prior by empirical Bayes: a logistic regression with one bias per person under an
    L2 penalty whose strength is re-estimated from the biases (a few fixed-point rounds), then
    the want-help model on the fitted biases, then the global policy's threshold."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    people = sorted(set(data.person))
    if len(people) < 2 or len(set(data.accepted)) < 2:
        return Prior()
    index = {p: i for i, p in enumerate(people)}
    n = len(data.person)
    shared = np.column_stack([[logit(p) for p in data.p_task], [logit(p) for p in data.p_silence]])
    onehot = csr_matrix(
        (np.ones(n), ([*range(n)], [index[p] for p in data.person])), shape=(n, len(people))
    )
    y = np.asarray(data.accepted, dtype=int)
    # Penalty on everything is N(0, C) per weight; the two shared weights are scaled up so the
    # prior barely touches them (they are fitted on thousands of answers).
    scale = 10.0
    design = hstack([csr_matrix(shared * scale), onehot]).tocsr()
    variance = 1.0
    model = None
    for _ in range(4):
        model = LogisticRegression(C=variance, max_iter=max_iter)
        model.fit(design, y)
        biases = model.coef_[0][2:]
        z = design @ model.coef_[0] + model.intercept_[0]
        p = 1.0 / (1.0 + np.exp(-z))
        curvature = np.bincount(
            [index[q] for q in data.person], weights=p * (1 - p), minlength=len(people)
        )
        posterior_var = 1.0 / (curvature + 1.0 / variance)
        variance = float(np.mean(biases**2 + posterior_var))
    assert model is not None
    coef = model.coef_[0]
    biases = coef[2:]
    bias_of = {p: float(biases[index[p]]) for p in people}
    prior = Prior(
        intercept=float(model.intercept_[0]),
        w_task=float(coef[0] * scale),
        w_silence=float(coef[1] * scale),
        bias_sd=max(math.sqrt(variance), 0.05),
        fitted=True,
        people=len(people),
        answers=n,
    )
    if len(set(data.silence_rejected)) == 2:
        features = np.column_stack(
            [
                [logit(p) for p in data.silence_p],
                [bias_of.get(p, 0.0) for p in data.silence_person],
                [logit(p) for p in data.silence_best],
            ]
        )
        want = LogisticRegression(C=1.0, max_iter=max_iter)
        want.fit(features, np.asarray(data.silence_rejected, dtype=int))
        qc = want.coef_[0]
        prior = _replace(
            prior,
            q_intercept=float(want.intercept_[0]),
            q_silence=float(qc[0]),
            q_bias=float(qc[1]),
            q_best=float(qc[2]),
        )
    return _replace(prior, global_threshold=_best_threshold(data.situations))


def _replace(prior: Prior, **changes: Any) -> Prior:
    values = asdict(prior) | changes
    return Prior(**{k: round(v, 6) if isinstance(v, float) else v for k, v in values.items()})


THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(19))
"""Thresholds the global policy's is chosen from (0 .. 0.9)."""


def _best_threshold(situations: Sequence[Moment]) -> float:
    """The threshold on the top candidate's p_task that maximises pooled F1 (ties: lower)."""
    if not situations:
        return 0.5
    best = (-1.0, 0.0)
    for t in THRESHOLDS:
        tp = fp = fn = 0
        for _, probs, answers, silence in situations:
            top = max(range(len(probs)), key=lambda i: (probs[i], -i))
            if probs[top] >= t:
                tp += answers[top]
                fp += not answers[top]
            elif silence is False:
                fn += 1
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best[0] + 1e-12:
            best = (f1, t)
    return best[1]
