"""The personal user model's math, its fitting, and the people read from annotated rows."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from backends.local import load_models
from backends.local.data import RewardRow
from backends.local.panels import PanelError, build_panels
from backends.local.personal import (
    Lesson,
    Prior,
    TrainingAnswers,
    choose,
    fit_prior,
    posterior_bias,
    sigmoid,
)
from bench.retrain import read_rows_file
from graphs.state import Event

PRIOR = Prior(intercept=0.0, w_task=1.0, w_silence=0.0, bias_sd=1.0, q_intercept=0.0)


def row(trace: str, step: int, task: str | None, answers: tuple[bool, ...]) -> RewardRow:
    obs = tuple(Event(time=i, text=f"{trace} event {i}") for i in range(step + 1))
    return RewardRow(obs, task, False, any(answers), "", obs[0].text, answers)


# --- the bias -------------------------------------------------------------------------------


def test_a_new_person_has_no_bias() -> None:
    assert posterior_bias(PRIOR, []) == 0.0


def test_accepts_raise_the_bias_and_refusals_lower_it() -> None:
    yes = [Lesson(True, 1.0, 0.5, 0.5)] * 5
    no = [Lesson(False, 1.0, 0.5, 0.5)] * 5
    assert posterior_bias(PRIOR, yes) > 0.5
    assert posterior_bias(PRIOR, no) < -0.5
    # More evidence moves it further; the prior keeps it finite.
    assert posterior_bias(PRIOR, yes * 4) > posterior_bias(PRIOR, yes)
    assert posterior_bias(PRIOR, yes * 40) < 10


def test_an_ignore_counts_less_than_a_rejection() -> None:
    rejected = [Lesson(False, 1.0, 0.5, 0.5)] * 3
    ignored = [Lesson(False, 0.5, 0.5, 0.5)] * 3
    assert posterior_bias(PRIOR, rejected) < posterior_bias(PRIOR, ignored) < 0


def test_a_narrow_prior_holds_the_bias_closer_to_zero() -> None:
    yes = [Lesson(True, 1.0, 0.5, 0.5)] * 5
    narrow = Prior(bias_sd=0.2)
    assert 0 < posterior_bias(narrow, yes) < posterior_bias(PRIOR, yes)


# --- the decision ---------------------------------------------------------------------------


def test_choose_takes_the_candidate_the_judge_ranks_first() -> None:
    choice = choose(PRIOR, 0.0, [0.3, 0.8, 0.6], 0.2, 0.7)
    assert choice.index == 1
    assert choice.accept == pytest.approx(0.8)


def test_choose_follows_the_expected_f1_rule() -> None:
    # s (2 - F) > F (1 - q): with q = 0.5 and F = 0.7, propose when s > 0.27.
    prior = Prior(q_intercept=0.0, q_silence=0.0, q_bias=0.0, q_best=0.0)
    assert choose(prior, 0.0, [0.3], 0.5, 0.7).index == 0
    assert choose(prior, 0.0, [0.25], 0.5, 0.7).index is None
    # A higher target F1 asks for more before interrupting.
    assert choose(prior, 0.0, [0.3], 0.5, 0.9).index is None


def test_a_person_who_refuses_everything_is_left_in_peace() -> None:
    prior = Prior(q_intercept=0.0, q_silence=0.0, q_bias=1.0, q_best=0.0)
    refusals = [Lesson(False, 1.0, 0.6, 0.5)] * 10
    bias = posterior_bias(prior, refusals)
    assert choose(prior, 0.0, [0.6], 0.5, 0.7).index == 0
    assert choose(prior, bias, [0.6], 0.5, 0.7).index is None


def test_no_candidate_is_silence() -> None:
    assert choose(PRIOR, 0.0, [], 0.5, 0.7).index is None


# --- fitting the prior ----------------------------------------------------------------------


def _people(rates: dict[str, float], seed: int = 0) -> TrainingAnswers:
    rng = random.Random(seed)
    data = TrainingAnswers()
    for person, base in rates.items():
        for _ in range(40):
            p_tasks = [rng.uniform(0.2, 0.8) for _ in range(4)]
            answers = []
            for p in p_tasks:
                accepted = rng.random() < sigmoid(base + 2.0 * (p - 0.5))
                answers.append(accepted)
                data.person.append(person)
                data.p_task.append(p)
                data.p_silence.append(0.5)
                data.accepted.append(accepted)
            data.silence_person.append(person)
            data.silence_p.append(0.5)
            data.silence_best.append(max(p_tasks))
            data.silence_rejected.append(any(answers))
            data.situations.append((person, p_tasks, answers, not any(answers)))
    return data


def test_fit_prior_learns_how_far_people_differ() -> None:
    prior = fit_prior(_people({"a": -2.0, "b": 0.0, "c": 2.0, "d": -1.0, "e": 1.0}))
    assert prior.fitted and prior.people == 5 and prior.answers == 800
    assert prior.w_task > 0  # the judge's ranking carries over
    assert 0.7 < prior.bias_sd < 3.0
    assert prior.q_bias > 0  # people who accept more also want help more often
    alike = fit_prior(_people(dict.fromkeys("abcde", 0.0)))
    assert alike.bias_sd < prior.bias_sd


def test_fit_prior_without_people_keeps_the_defaults() -> None:
    assert fit_prior(TrainingAnswers()) == Prior()


def test_the_shipped_prior_was_fitted_on_the_annotators() -> None:
    prior = load_models().personal
    assert prior.fitted and prior.people >= 40 and prior.bias_sd > 0.5
    assert Prior.from_json(prior.to_json()) == prior


# --- the people behind the rows -------------------------------------------------------------


def test_build_panels_orders_situations_and_names_people() -> None:
    rows = [
        row("t", 1, "Explain the error", (True, False, False)),
        row("t", 0, "Open the docs", (False, False, True)),
        row("t", 0, None, (True, True, False)),
        row("t", 1, "Summarise the page", (False, True, False)),
    ]
    panels = build_panels(rows)
    assert panels.panel == 3 and len(panels.people) == 3
    first, second = panels.situations[rows[0].trace]
    assert (first.index, first.tasks, first.silence) == (0, (1,), 2)
    assert (second.tasks, second.silence) == ((0, 3), None)
    person = panels.people[2]
    assert [panels.answer(rows, person, i) for i in first.rows] == [True, False]


def test_rows_of_another_panel_size_are_skipped_and_named() -> None:
    rows = [row("t", 0, "Open the docs", (True, False, True)), row("t", 1, "Fix it", (True,))]
    panels = build_panels(rows, line_of=[3, 7])
    assert [(s.row, "1 answers" in s.reason) for s in panels.skipped] == [(1, True)]


def test_a_row_without_annotation_is_named() -> None:
    rows = [row("t", 0, "Open the docs", (True,)), row("t", 1, "Fix it", ())]
    with pytest.raises(PanelError, match="line 12 has no 'annotation'"):
        build_panels(rows, line_of=[11, 12])


@pytest.mark.data
def test_the_shared_rows_hold_42_people_of_three(bench_data: Path) -> None:
    rows = read_rows_file(bench_data / "reward_data" / "train_data.jsonl")
    panels = build_panels(rows)
    assert panels.panel == 3
    assert len(panels.people) == 42
    assert sum(len(s) for s in panels.situations.values()) == 260
    assert len(panels.skipped) == 193  # the rows with two answers
