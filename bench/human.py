"""`proactive bench human`: policies judged by the people themselves, not by a model.

The reward rows hold people: each annotator of a trace answered every candidate task of every
situation (accept or not) and whether silence was fine (`backends/local/panels.py`). The replay
walks each person through their trace in time order. At each moment a policy proposes one of the
annotated candidates or stays silent, and that person's own answer judges it, with the paper's
definitions: a proposed task is TP when they accepted it, FP when not; silence is TN when they
accepted the "no task" row, FN when they rejected it, and unscored where the moment has none.

Every model a policy uses (judge, need detector, drafter, personal prior) is retrained without the
trace being replayed (and without any trace sharing an event with it); a guard checks each
training manifest. Learning policies learn from the person's answers as the replay goes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backends.local import LocalModels
from backends.local.data import REWARD_FILE, RewardRow, trace_digest
from backends.local.panels import Panels, Person, Situation, build_panels
from backends.local.personal import Lesson, choose, posterior_bias
from bench.metrics import AgentCounts, BinaryCounts
from bench.output import progress, write_csv, write_jsonl, write_metrics
from bench.plots import plot_learning_curves, plot_split_metrics
from bench.policies import (
    POLICY_TEXT,
    Answers,
    Decision,
    DrafterKind,
    FeedbackRules,
    Global,
    Moment,
    Never,
    Oracle,
    Personal,
    Policy,
    RandomCandidate,
    answers_seen,
)
from bench.retrain import fit_local_models, manifest_of, read_rows_file, row_lines, trace_groups

POLICY_NAMES = (
    "random",
    "never",
    "oracle",
    "global",
    "feedback_rules",
    "drafter_kind",
    "agent",
    "prior",
    "personal",
    "personal_all",
)
"""Every policy the replay knows, in report order."""

CURVE_POINTS = (0, 5, 10, 20)
"""Learning curves: metrics over the moments after the person has answered at least this many."""

MIN_CURVE_MOMENTS = 20
"""A curve point over fewer moments is left out (None): too few to say anything."""

METRIC_KEYS = ("precision", "recall", "accuracy", "false_alarm", "f1", "proposal_rate")
"""The headline metrics of each policy."""

TARGETS = {
    "personal_f1": 0.70,
    "personal_precision": 0.60,
    "personal_over_global_f1": 0.05,
}
"""The issue's targets for the personal policy (pooled, trace-held-out)."""


@dataclass(frozen=True)
class _Trace:
    """One replayed trace: its moments as the held-out models see them."""

    situations: tuple[Situation, ...]
    moments: tuple[Moment, ...]
    models: LocalModels


def _moments(rows: Sequence[RewardRow], situations: Sequence[Situation], models: LocalModels):
    out = []
    for moment in situations:
        obs = rows[moment.tasks[0]].obs
        tasks = tuple(rows[i].pred_task or "" for i in moment.tasks)
        out.append(
            Moment(
                index=moment.index,
                time=obs[-1].time,
                tasks=tasks,
                p_tasks=tuple(models.judge.judge(obs, t).accept_probability for t in tasks),
                p_silence=models.judge.judge(obs, None).accept_probability,
                need=models.need.score(obs),
                kind_probs=models.drafter.kind_probabilities(obs),
            )
        )
    return tuple(out)


def _answers(rows: Sequence[RewardRow], person: Person, moment: Situation) -> Answers:
    return Answers(
        tasks=tuple(rows[i].annotation[person.position] for i in moment.tasks),
        silence=(
            rows[moment.silence].annotation[person.position] if moment.silence is not None else None
        ),
    )


def _outcome(decision: Decision, answers: Answers) -> str:
    if decision.index is not None:
        return "TP" if answers.tasks[decision.index] else "FP"
    if answers.silence is None:
        return "unscored"
    return "TN" if answers.silence else "FN"


def _counts(records: Sequence[dict[str, Any]]) -> tuple[AgentCounts, int]:
    scored = [r for r in records if r["outcome"] != "unscored"]
    counts = AgentCounts.from_outcomes(
        (r["outcome"] in ("TP", "FP"), r["outcome"] in ("TP", "TN")) for r in scored
    )
    return counts, len(records) - len(scored)


def _summary(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    counts, unscored = _counts(records)
    metrics = counts.metrics()
    return {
        **{k: metrics[k] for k in (*METRIC_KEYS, "tp", "fp", "tn", "fn", "n")},
        "unscored": unscored,
    }


def _policies(
    names: Sequence[str],
    models: LocalModels,
    seed: int,
    target_f1: float,
    need_threshold: float | None,
) -> list[Policy]:
    prior = models.personal
    gate = models.need.threshold if need_threshold is None else need_threshold
    make = {
        "random": lambda: RandomCandidate(seed),
        "never": Never,
        "oracle": Oracle,
        "global": lambda: Global(prior.global_threshold),
        "feedback_rules": lambda: FeedbackRules(prior.global_threshold),
        "drafter_kind": lambda: DrafterKind(0.0, "drafter_kind"),
        "agent": lambda: DrafterKind(gate),
        "prior": lambda: Personal(prior, target_f1, None),
        "personal": lambda: Personal(prior, target_f1, "proposed"),
        "personal_all": lambda: Personal(prior, target_f1, "all"),
    }
    return [make[n]() for n in names]


def _replay_person(
    policy: Policy,
    person: Person,
    trace: _Trace,
    rows: Sequence[RewardRow],
    lines: Sequence[int],
    person_seed: int,
) -> list[dict[str, Any]]:
    memory = policy.start(person_seed)
    seen = 0
    out = []
    for situation, moment in zip(trace.situations, trace.moments, strict=True):
        answers = _answers(rows, person, situation)
        if isinstance(policy, Oracle):
            decision = policy.act_knowing(moment, answers)
        else:
            decision = policy.act(memory, moment)
        chosen = situation.tasks[decision.index] if decision.index is not None else None
        out.append(
            {
                "policy": policy.name,
                "person": person.key,
                "trace": trace_digest(person.trace),
                "annotator": person.position,
                "moment": situation.index,
                "candidates": len(situation.tasks),
                "lines": [lines[i] for i in situation.rows],
                "proposed": decision.index,
                "task": moment.tasks[decision.index] if decision.index is not None else None,
                "line": lines[chosen] if chosen is not None else None,
                "accepted": answers.tasks[decision.index] if decision.index is not None else None,
                "silence_accepted": answers.silence,
                "outcome": _outcome(decision, answers),
                "answers_before": seen,
                "score": None if decision.score is None else round(decision.score, 4),
            }
        )
        policy.learn(memory, moment, decision, answers)
        seen += answers_seen(policy, decision, answers)
    return out


def _agreement_records(
    person: Person, trace: _Trace, rows: Sequence[RewardRow], target_f1: float
) -> list[dict[str, Any]]:
    """Per row of the person's trace, in time order: their answer, what each judge predicts
    for it (the global judge, the personal model before and after learning from the person's
    earlier answers) and the other annotators' majority (None on a tie or without others)."""
    prior = trace.models.personal
    lessons: list[Lesson] = []
    bias = 0.0
    out = []
    for situation, moment in zip(trace.situations, trace.moments, strict=True):
        answers = _answers(rows, person, situation)
        best = max(moment.p_tasks)
        for k, row_index in enumerate(situation.rows):
            row = rows[row_index]
            others = [a for j, a in enumerate(row.annotation) if j != person.position]
            votes = sum(others)
            majority = None if not others or 2 * votes == len(others) else 2 * votes > len(others)
            if k < len(situation.tasks):
                p, truth = moment.p_tasks[k], answers.tasks[k]
                personal = choose(prior, bias, [p], moment.p_silence, target_f1).accept
                new_user = choose(prior, 0.0, [p], moment.p_silence, target_f1).accept
            else:
                p, truth = moment.p_silence, bool(answers.silence)
                personal = 1.0 - prior.want_help(moment.p_silence, best, bias)
                new_user = 1.0 - prior.want_help(moment.p_silence, best, 0.0)
            out.append(
                {
                    "person": person.key,
                    "answers_before": len(lessons),
                    "truth": truth,
                    "global_judge": p >= 0.5,
                    "prior": new_user >= 0.5,
                    "personal": personal >= 0.5,
                    "others_majority": majority,
                }
            )
        for k in range(len(situation.tasks)):
            lessons.append(Lesson(answers.tasks[k], 1.0, moment.p_tasks[k], moment.p_silence))
        bias = posterior_bias(prior, lessons)
    return out


def _agreement(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Agreement of each judge with the person's own answer (positive = accept), per curve
    point; the human ceiling is measured on the rows where the others' majority exists."""
    out: dict[str, Any] = {}
    for n in CURVE_POINTS:
        items = [r for r in records if r["answers_before"] >= n]
        point: dict[str, Any] = {"rows": len(items)}
        for judge in ("global_judge", "prior", "personal"):
            m = BinaryCounts.from_pairs(
                [r[judge] for r in items], [r["truth"] for r in items]
            ).metrics()
            point[judge] = {k: m[k] for k in ("f1", "accuracy", "precision", "recall", "n")}
        ceiling = [r for r in items if r["others_majority"] is not None]
        m = BinaryCounts.from_pairs(
            [r["others_majority"] for r in ceiling], [r["truth"] for r in ceiling]
        ).metrics()
        point["human_ceiling"] = {k: m[k] for k in ("f1", "accuracy", "precision", "recall", "n")}
        out[str(n)] = point
    return out


def _targets(pooled: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    personal, global_ = pooled.get("personal"), pooled.get("global")
    if personal is not None:
        out["personal_f1"] = {
            "target": TARGETS["personal_f1"],
            "value": personal["f1"],
            "met": personal["f1"] >= TARGETS["personal_f1"],
        }
        out["personal_precision"] = {
            "target": TARGETS["personal_precision"],
            "value": personal["precision"],
            "met": personal["precision"] >= TARGETS["personal_precision"],
        }
        if global_ is not None:
            gain = personal["f1"] - global_["f1"]
            out["personal_over_global_f1"] = {
                "target": TARGETS["personal_over_global_f1"],
                "value": gain,
                "met": gain >= TARGETS["personal_over_global_f1"]
                and personal["precision"] >= global_["precision"],
            }
    return out


def evaluate_human(
    data_dir: Path,
    *,
    rows_file: Path | None = None,
    panel: int | None = None,
    policies: Sequence[str] = POLICY_NAMES,
    seed: int = 0,
    target_f1: float = 0.7,
    need_threshold: float | None = None,
    out_dir: Path | None = None,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """Replay every person of the rows file (default: the data directory's reward rows) under
    each policy, judged by their own answers. Returns pooled and per-person metrics, learning
    curves, judge agreement per annotator and the targets; with `out_dir`, writes
    human_records.jsonl, human_agreement.jsonl, human_metrics.json/.csv, human_people.csv,
    human_policies.png and human_learning.png. Progress goes to stderr."""
    data_dir = Path(data_dir)
    unknown = [p for p in policies if p not in POLICY_NAMES]
    if unknown or not policies:
        names = ", ".join(unknown) or "(none)"
        raise ValueError(f"unknown policy {names}; choose from {', '.join(POLICY_NAMES)}")
    if not 0.0 < target_f1 < 1.0:
        raise ValueError(f"the target F1 must be within 0..1 (exclusive), got {target_f1}")
    source = Path(rows_file) if rows_file is not None else data_dir / REWARD_FILE
    rows = read_rows_file(source)
    lines = row_lines(source)
    panels = build_panels(rows, panel, line_of=lines)
    _report_skipped(panels, lines)
    if not panels.people:
        raise ValueError(f"no situation with candidate tasks in {source}")

    # Traces that share an event are one group: held out together.
    group_of = dict(zip((r.trace for r in rows), trace_groups(rows), strict=True))
    members: dict[str, set[str]] = {}
    for trace, group in group_of.items():
        members.setdefault(group, set()).add(trace)
    groups: dict[str, list[str]] = {}
    for trace in panels.situations:
        groups.setdefault(group_of[trace], []).append(trace)

    records: list[dict[str, Any]] = []
    agreement: list[dict[str, Any]] = []
    people_seen: list[Person] = []
    shares: list[float] = []  # per person and moment: the share of candidates they accepted
    for group in progress(list(groups), len(groups), "human: traces"):
        held_out = sorted(members[group])
        models = fit_local_models(
            data_dir, exclude_traces=held_out, rows_file=rows_file, seed=seed, cache_dir=cache_dir
        )
        used = set(manifest_of(models)["data"]["reward_traces_used"])
        if used & {trace_digest(t) for t in held_out}:  # a guard on the trainer
            raise RuntimeError(f"the models for trace {trace_digest(held_out[0])} saw it")
        for trace_name in groups[group]:
            situations = panels.situations[trace_name]
            trace = _Trace(situations, _moments(rows, situations, models), models)
            for person in (p for p in panels.people if p.trace == trace_name):
                people_seen.append(person)
                person_seed = int(trace_digest(person.key), 16) % 1_000_003
                for policy in _policies(policies, models, seed, target_f1, need_threshold):
                    records.extend(_replay_person(policy, person, trace, rows, lines, person_seed))
                agreement.extend(_agreement_records(person, trace, rows, target_f1))
                shares.extend(
                    sum(a) / len(a) for a in (_answers(rows, person, m).tasks for m in situations)
                )

    result = _result(records, agreement, people_seen, panels, policies, source, seed, target_f1)
    result["need_threshold"] = need_threshold if need_threshold is not None else "trained"
    # A random candidate's expected outcome, exactly: it always proposes, so its recall is 1 and
    # its precision the mean share of the candidates that the person accepts at a moment.
    expected = sum(shares) / len(shares)
    result["random_expected"] = {
        "precision": expected,
        "recall": 1.0,
        "f1": 2 * expected / (1 + expected),
    }
    if out_dir is not None:
        result["files"] = _write(Path(out_dir), result, records, agreement)
    return result


def _report_skipped(panels: Panels, lines: Sequence[int]) -> None:
    by_reason: dict[str, list[int]] = {}
    for item in panels.skipped:
        by_reason.setdefault(item.reason, []).append(lines[item.row])
    for reason, where in by_reason.items():
        shown = ", ".join(str(n) for n in where[:8]) + (" ..." if len(where) > 8 else "")
        print(f"human: skipped {len(where)} rows ({reason}): lines {shown}", file=sys.stderr)


def _result(
    records: list[dict[str, Any]],
    agreement: list[dict[str, Any]],
    people: Sequence[Person],
    panels: Panels,
    policies: Sequence[str],
    source: Path,
    seed: int,
    target_f1: float,
) -> dict[str, Any]:
    pooled: dict[str, dict[str, Any]] = {}
    per_person: dict[str, dict[str, Any]] = {}
    curves: dict[str, dict[str, Any]] = {}
    for name in policies:
        mine = [r for r in records if r["policy"] == name]
        pooled[name] = _summary(mine)
        per_person[name] = {
            p.key: _summary([r for r in mine if r["person"] == p.key]) for p in people
        }
        curves[name] = {}
        for n in CURVE_POINTS:
            later = [r for r in mine if r["answers_before"] >= n]
            enough = len(later) >= MIN_CURVE_MOMENTS  # few people got that far with it
            curves[name][str(n)] = _summary(later) if enough else None
    situations = sum(len(panels.situations[p.trace]) for p in people)
    return {
        "rows_file": str(source),
        "panel": panels.panel,
        "people": len(people),
        "traces": len({p.trace for p in people}),
        "situations": situations,
        "skipped_rows": len(panels.skipped),
        "policies": {name: POLICY_TEXT[name] for name in policies},
        "pooled": pooled,
        "per_person": per_person,
        "learning_curves": curves,
        "curve_points": list(CURVE_POINTS),
        "agreement": _agreement(agreement),
        "targets": _targets(pooled),
        "seed": seed,
        "target_f1": target_f1,
        "protocol": (
            "each annotator of each trace is one person; at each moment of their trace, in "
            "time order, a policy proposes one annotated candidate or stays silent and the "
            "person's own answer judges it (TP/FP by their answer to the task, TN/FN by their "
            "answer to the 'no task' row, unscored without one); pooled over people with the "
            "paper's metric definitions"
        ),
        "leakage": (
            "excluded (every model a policy uses was retrained without the replayed trace and "
            "any trace sharing an event with it; checked against each training manifest)"
        ),
    }


def _write(
    out: Path, result: dict[str, Any], records: list[dict[str, Any]], agreement: list[dict]
) -> list[str]:
    write_jsonl(out / "human_records.jsonl", records)
    write_jsonl(out / "human_agreement.jsonl", agreement)
    write_metrics(out, "human_metrics", {k: v for k, v in result.items() if k != "per_person"})
    people_rows = [
        {"policy": name, "person": person, **metrics}
        for name, by_person in result["per_person"].items()
        for person, metrics in by_person.items()
    ]
    write_csv(
        out / "human_people.csv",
        people_rows,
        ("policy", "person", *METRIC_KEYS, "tp", "fp", "tn", "fn", "n", "unscored"),
    )
    plot_split_metrics(
        result["pooled"],
        out / "human_policies.png",
        metrics=("precision", "recall", "f1"),
        title=f"Judged by the people themselves ({result['people']} people, pooled)",
    )
    plot_learning_curves(
        result["learning_curves"],
        result["agreement"],
        out / "human_learning.png",
    )
    return sorted(
        str(out / n)
        for n in (
            "human_records.jsonl",
            "human_agreement.jsonl",
            "human_metrics.json",
            "human_metrics.csv",
            "human_people.csv",
            "human_policies.png",
            "human_learning.png",
        )
    )
