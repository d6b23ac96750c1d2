"""`proactive bench agent|judge|need|human|help`: ProactiveBench, and the help bench, from the
command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from backends.local.data import default_data_dir

SUMMARY_KEYS = {
    "agent": ("recall", "precision", "accuracy", "false_alarm", "f1", "proposal_rate", "n"),
    "judge": ("accuracy", "precision", "recall", "f1", "n"),
    "need": ("precision", "recall", "f1", "accuracy", "n"),
}


def add_parser(sub: Any) -> None:
    """Register `bench` and its commands on the top-level subparsers."""
    bench = sub.add_parser("bench", help="evaluate agents, judges and need detection")
    kinds = bench.add_subparsers(dest="bench", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data",
            type=Path,
            default=None,
            help="ProactiveBench directory (default $PROACTIVEBENCH_DATA or "
            "../shared/proactivebench)",
        )
        p.add_argument("--out", type=Path, help="write records, metrics and plots here")
        p.add_argument(
            "--json",
            action="store_true",
            help="print one JSON object of the metrics and nothing else on stdout",
        )

    agent = kinds.add_parser("agent", help="replay the test traces with the paper's protocol")
    common(agent)
    agent.add_argument("--agent", default="local", help="agent backend (default local)")
    agent.add_argument("--judge", default="local", help="judge backend (default local)")
    agent.add_argument("--threshold", type=float, default=0.5, help="local need threshold")
    agent.add_argument(
        "--train-rows",
        type=Path,
        help="retrain the embedded models per trace from these reward rows, "
        "without any row that shares an event with the trace (leakage guard)",
    )
    agent.add_argument(
        "--gate",
        action="store_true",
        help="call a chat-model agent only where the embedded need detector "
        "fires (the LLM gate); reports the fraction of calls saved",
    )
    agent.add_argument(
        "--concurrency",
        type=int,
        default=4,
        help="model calls in flight with chat-model backends (default 4): traces run side by "
        "side, and a trace judges one event while its agent answers the next when there is room",
    )
    agent.add_argument("--cache", type=Path, help="cache of model calls (resume a run)")

    judge = kinds.add_parser("judge", help="agreement of a judge with the human majority")
    common(judge)
    judge.add_argument("--judge", default="local", help="judge backend (default local)")
    judge.add_argument(
        "--rows", type=Path, help="reward rows to judge (default reward_data/train_data.jsonl)"
    )
    judge.add_argument("--cv", type=int, help="grouped K-fold CV of the embedded judge")
    judge.add_argument(
        "--train-rows",
        type=Path,
        help="retrain the embedded judge on these rows, without the evaluated rows' traces",
    )

    need = kinds.add_parser("need", help="need detection against the annotators' task_status")
    common(need)
    need.add_argument(
        "--threshold",
        type=float,
        help="need threshold (default: the detector's trained threshold, chosen by "
        "leave-one-trace-out)",
    )
    need.add_argument("--train-rows", type=Path, help="retrain from these reward rows")
    need.add_argument("--cache", type=Path, help="directory of retrained models")
    need.add_argument(
        "--allow-leakage",
        action="store_true",
        help="score with the shipped detector (it saw the local test traces)",
    )

    human = kinds.add_parser(
        "human", help="policies judged by each annotator's own answers (the people themselves)"
    )
    common(human)
    human.add_argument(
        "--rows", type=Path, help="annotated reward rows (default reward_data/train_data.jsonl)"
    )
    human.add_argument(
        "--panel",
        type=int,
        help="annotators per row; rows with another number are skipped and reported "
        "(default: the most any row has)",
    )
    human.add_argument(
        "--policies",
        help="comma-separated subset of: " + ", ".join(_human_policies()),
    )
    human.add_argument(
        "--target-f1",
        type=float,
        default=0.7,
        help="the F1 level the personal policy aims at (default 0.7)",
    )
    human.add_argument(
        "--need-threshold",
        type=float,
        help="the agent policy's need threshold (default: the detector's trained threshold)",
    )
    human.add_argument("--seed", type=int, default=0, help="seed of the random policy")
    human.add_argument("--cache", type=Path, help="directory of retrained models")

    help_ = kinds.add_parser(
        "help", help="does the help do its task? help-bench cases through the real graph"
    )
    help_.add_argument(
        "--cases",
        type=Path,
        default=None,
        help="a directory of case files (*.yaml, docs/help.md) or one case file "
        "(default: the project's own, bench/help_cases)",
    )
    help_.add_argument(
        "--json",
        action="store_true",
        help='print {"cases": [...], "summary": {...}} and nothing else on stdout',
    )
    help_.add_argument("--out", type=Path, help="write results.jsonl and summary.json here")
    help_.add_argument(
        "--executor", default="local", help="executor backend (default local, offline)"
    )
    help_.add_argument(
        "--propose-at",
        choices=("last", "first"),
        default="last",
        help="answer the proposal at the case's last event (default; earlier events are "
        "observed with proposals held back) or the first proposal that comes",
    )


def run(args: argparse.Namespace) -> int:
    """Run one bench command; returns the exit code."""
    if args.bench == "help":
        return run_help(args)
    data = args.data or default_data_dir()
    if not (data / "test_data").is_dir() and not (data / "reward_data").is_dir():
        print(
            f"error: no ProactiveBench data at {data} (expected test_data/ and reward_data/; "
            "set --data or PROACTIVEBENCH_DATA)",
            file=sys.stderr,
        )
        return 2
    from backends.local.panels import PanelError  # noqa: PLC0415
    from bench.retrain import RowsFileError  # noqa: PLC0415

    try:
        if args.bench == "agent":
            from bench.agent_eval import evaluate_agent  # noqa: PLC0415

            result = evaluate_agent(
                data,
                agent=args.agent,
                judge=args.judge,
                threshold=args.threshold,
                train_rows=args.train_rows,
                concurrency=args.concurrency,
                cache_dir=args.cache,
                out_dir=args.out,
                gate=args.gate,
            )
        elif args.bench == "judge":
            from bench.judge_eval import evaluate_judge  # noqa: PLC0415

            rows = args.rows or data / "reward_data" / "train_data.jsonl"
            result = evaluate_judge(
                args.judge,
                rows,
                data_dir=data,
                cv=args.cv,
                train_rows=args.train_rows,
                out_dir=args.out,
            )
        elif args.bench == "human":
            from bench.human import evaluate_human  # noqa: PLC0415

            policies = _human_policies()
            if args.policies:
                policies = tuple(p.strip() for p in args.policies.split(",") if p.strip())
            result = evaluate_human(
                data,
                rows_file=args.rows,
                panel=args.panel,
                policies=policies,
                seed=args.seed,
                target_f1=args.target_f1,
                need_threshold=args.need_threshold,
                out_dir=args.out,
                cache_dir=args.cache,
            )
        else:
            from bench.need_eval import evaluate_need  # noqa: PLC0415

            result = evaluate_need(
                data,
                threshold=args.threshold,
                leakage_free=not args.allow_leakage,
                train_rows=args.train_rows,
                out_dir=args.out,
                cache_dir=args.cache,
            )
    except (RowsFileError, PanelError, ValueError) as exc:  # bad input or settings, named
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(summary(args.bench, result))
    return 0


def run_help(args: argparse.Namespace) -> int:
    """`bench help`: run the help-bench cases; a case file that cannot be used is named."""
    from bench.help import progress_line, report_text, run_cases, write_outputs  # noqa: PLC0415
    from bench.help_case import CaseError, default_cases_dir, load_cases  # noqa: PLC0415

    try:
        cases = load_cases(args.cases or default_cases_dir())
    except CaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        report = run_cases(
            cases,
            executor=args.executor,
            propose_at=args.propose_at,
            on_case=progress_line(len(cases)),
        )
    except ValueError as exc:  # bad settings (an executor this machine cannot use)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.out:
        write_outputs(args.out, report)
    if args.json:
        print(json.dumps(report, sort_keys=True))
    else:
        print(report_text(report))
    return 0


def _human_policies() -> tuple[str, ...]:
    from bench.human import POLICY_NAMES  # noqa: PLC0415

    return POLICY_NAMES


def summary(kind: str, result: dict[str, Any]) -> str:
    """A plain-text table of the headline metrics."""
    if kind == "human":
        return human_summary(result)
    keys = SUMMARY_KEYS[kind]
    rows = result["splits"] if kind == "agent" else {kind: result}
    if kind == "need":
        rows = {
            "detector": result,
            **{f"baseline: {k}": v for k, v in result.get("baselines", {}).items()},
        }
    width = max(len(name) for name in rows) + 2
    lines = ["".ljust(width) + "".join(k.rjust(14) for k in keys)]
    for name, metrics in rows.items():
        cells = []
        for key in keys:
            value = metrics.get(key, "")
            cells.append((f"{value:.4f}" if isinstance(value, float) else str(value)).rjust(14))
        flag = "  (partial)" if metrics.get("partial") else ""
        lines.append(name.ljust(width) + "".join(cells) + flag)
    if kind == "judge" and "per_category" in result:
        lines.append(
            "per category: "
            + ", ".join(
                f"{c} {v['accuracy']:.3f} (n={v['n']})" for c, v in result["per_category"].items()
            )
        )
    if kind == "judge" and "human_ceiling" in result:
        ceiling = result["human_ceiling"]

        def pair(m: dict[str, Any]) -> str:
            return f"F1 {m['f1']:.3f}, accuracy {m['accuracy']:.3f} (n={m['n']})"

        lines.append(f"human ceiling (each annotator vs the others' majority): {pair(ceiling)}")
        lines.append(f"vs each annotator's own answer: {pair(result['per_annotator'])}")
        lines.append(
            "vs each annotator, on the ceiling's pairs: "
            + pair(result["per_annotator_on_ceiling_pairs"])
        )
    lines.append(f"leakage: {result.get('leakage', 'unknown')}")
    return "\n".join(lines)


def human_summary(result: dict[str, Any]) -> str:
    """The human-judged replay as text: policies, learning curves, judge agreement, targets."""
    keys = ("precision", "recall", "accuracy", "false_alarm", "f1", "proposal_rate")
    width = max(len(name) for name in (*result["pooled"], "human_ceiling")) + 2
    lines = [
        f"{result['people']} people in {result['traces']} traces, {result['situations']} "
        f"moments (panel of {result['panel']}; {result['skipped_rows']} rows skipped)",
        "".ljust(width) + "".join(k.rjust(14) for k in keys) + "unscored".rjust(10),
    ]
    for name, metrics in result["pooled"].items():
        lines.append(
            name.ljust(width)
            + "".join(f"{metrics[k]:.4f}".rjust(14) for k in keys)
            + str(metrics["unscored"]).rjust(10)
        )
    expected = result["random_expected"]
    lines.append(
        f"random, expected value: precision {expected['precision']:.4f}, F1 {expected['f1']:.4f}"
    )
    points = result["curve_points"]
    lines.append("")
    lines.append("learning curves: F1 / precision (moments) once the person has given N answers")
    lines.append("".ljust(width) + "".join(f"N>={n}".rjust(20) for n in points))
    for name, curve in result["learning_curves"].items():
        lines.append(
            name.ljust(width)
            + "".join(
                (
                    f"{curve[str(n)]['f1']:.3f}/{curve[str(n)]['precision']:.3f} "
                    f"({curve[str(n)]['n'] + curve[str(n)]['unscored']})"
                    if curve[str(n)] is not None
                    else "-"
                ).rjust(20)
                for n in points
            )
        )
    lines.append("")
    lines.append("judging one person: F1 / accuracy (rows) against their own answers")
    lines.append("".ljust(width) + "".join(f"N>={n}".rjust(20) for n in points))
    for judge in ("global_judge", "prior", "personal", "human_ceiling"):
        lines.append(
            judge.ljust(width)
            + "".join(
                (
                    f"{result['agreement'][str(n)][judge]['f1']:.3f}/"
                    f"{result['agreement'][str(n)][judge]['accuracy']:.3f} "
                    f"({result['agreement'][str(n)][judge]['n']})"
                ).rjust(20)
                for n in points
            )
        )
    if result.get("targets"):
        lines.append("")
        for name, target in result["targets"].items():
            verdict = "met" if target["met"] else "NOT met"
            lines.append(f"target {name}: {target['value']:.4f} vs {target['target']} ({verdict})")
    lines.append(f"leakage: {result['leakage']}")
    return "\n".join(lines)
