"""`proactive gym`: play scenes in the environment gym and write traces and training sets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    """Register `gym` on the top-level subparsers."""
    gym = sub.add_parser(
        "gym", help="simulate users in scenes around the agent; write traces and training data"
    )
    gym.add_argument("--scenes", type=Path, required=True, help="scene file (YAML)")
    gym.add_argument("--out", type=Path, required=True, help="output directory (resumable)")
    gym.add_argument("--steps", type=int, default=20, help="user actions per scene (default 20)")
    gym.add_argument("--limit", type=int, help="play only the first K scenes")
    gym.add_argument(
        "--model",
        default="local",
        help="model of the environment, user and executor: local (default: the scene's "
        "example events, offline), provider:model (e.g. openai:gpt-4o-mini) or custom:name",
    )
    gym.add_argument("--agent", default="local", help="agent backend (default local)")
    gym.add_argument(
        "--judge", default="local", help="reward model answering as the user (default local)"
    )
    gym.add_argument(
        "--feedback",
        choices=("simulated", "human"),
        default="simulated",
        help="who answers proposals: the judge (default) or you, at the terminal",
    )
    gym.add_argument("--concurrency", type=int, default=1, help="scenes at once (default 1)")


def run(args: argparse.Namespace) -> int:
    """Run the gym; 0 when every scene finished, 1 when some failed, 2 on bad input."""
    from gym.run import run_gym  # noqa: PLC0415 - keeps `proactive --help` fast
    from gym.scenes import SceneError, load_scenes  # noqa: PLC0415
    from gym.schema import GymContext  # noqa: PLC0415

    if args.steps < 1 or (args.limit is not None and args.limit < 1) or args.concurrency < 1:
        print("error: --steps, --limit and --concurrency must be at least 1", file=sys.stderr)
        return 2
    try:
        scenes = load_scenes(args.scenes)
    except SceneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    context = GymContext(
        gym_model=args.model,
        agent_backend=args.agent,
        judge_backend=args.judge,
        feedback_mode=args.feedback,
        max_steps=args.steps,
    )
    answer = None
    if args.feedback == "human":
        from cli.common import ask_on_terminal  # noqa: PLC0415

        answer = ask_on_terminal
    summary = run_gym(
        scenes, args.out, context, limit=args.limit, concurrency=args.concurrency, answer=answer
    )
    print(summary.text())
    print(
        f"traces: {args.out / 'traces'}; training sets: {args.out}/agent_train.jsonl, "
        f"{args.out}/reward_train.jsonl"
    )
    return 1 if any(o.status == "failed" for o in summary.outcomes) else 0
