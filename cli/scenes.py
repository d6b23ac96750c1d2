"""`proactive scenes generate|check`: make scene files with a chat model, and validate them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

NO_MODEL = (
    "error: scenes generate needs a chat model (--model provider:model); there is no offline "
    "generator. For an OpenAI-compatible server (vLLM, Ollama, llama.cpp ...) set "
    "OPENAI_BASE_URL (e.g. http://localhost:8000/v1) and OPENAI_API_KEY (any value if the "
    "server ignores it) and pass --model openai:MODEL"
)


def add_parser(sub: Any) -> None:
    """Register `scenes` and its two commands on the top-level subparsers."""
    scenes = sub.add_parser("scenes", help="generate and validate gym scene files")
    kinds = scenes.add_subparsers(dest="scenes", required=True)

    gen = kinds.add_parser(
        "generate",
        help="expand seed tasks into new scenes with a chat model",
        description="Ask a chat model for one scene per seed task and append the valid ones "
        "to --out. Tasks whose goal --out already has are skipped, so an interrupted run "
        "resumes where it stopped. Exit code 1 when some scenes failed (they are reported).",
    )
    gen.add_argument("--seed", type=Path, required=True, help="seed file (seedtask.yaml format)")
    gen.add_argument("--out", type=Path, required=True, help="scene file to write or extend")
    gen.add_argument(
        "--model",
        help="chat model, provider:model (e.g. openai:gpt-4o-mini; with OPENAI_BASE_URL any "
        "OpenAI-compatible server) or custom:NAME",
    )
    gen.add_argument("--per-task", type=int, default=1, help="scenes per seed task (default 1)")
    gen.add_argument("--limit", type=int, help="request at most this many scenes in this run")
    gen.add_argument("--families", help="comma-separated seed families (default all)")
    gen.add_argument(
        "--retries", type=int, default=2, help="re-asks after a malformed reply (default 2)"
    )

    check = kinds.add_parser("check", help="validate a scene file and print its scene count")
    check.add_argument("file", type=Path, help="scene file (new_scenes_good.yaml format)")


def run(args: argparse.Namespace) -> int:
    """Run one scenes command; returns the exit code."""
    if args.scenes == "check":
        return check(args.file)
    return generate(args)


def check(path: Path) -> int:
    from gym.scenes import SceneError, load_scenes  # noqa: PLC0415

    try:
        scenes = load_scenes(path)
    except SceneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{path}: {len(scenes)} valid scenes")
    return 0


def generate(args: argparse.Namespace) -> int:
    from backends.llm import chat_model, is_local  # noqa: PLC0415
    from gym.generate import generate_scenes, write_scenes  # noqa: PLC0415
    from gym.scenes import SceneError, load_scenes, load_seeds  # noqa: PLC0415

    if not args.model or is_local(args.model):
        print(NO_MODEL, file=sys.stderr)
        return 2
    if args.per_task < 1 or (args.limit is not None and args.limit < 0) or args.retries < 0:
        print("error: --per-task must be >= 1, --limit and --retries >= 0", file=sys.stderr)
        return 2
    try:
        seeds = load_seeds(args.seed)
        existing = load_scenes(args.out) if args.out.exists() else []
    except SceneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    families = None
    if args.families:
        families = [f.strip() for f in args.families.split(",") if f.strip()]
        unknown = [f for f in families if f not in seeds]
        if unknown:
            print(
                f"error: unknown families {', '.join(unknown)} "
                f"(the seed file has {', '.join(seeds)})",
                file=sys.stderr,
            )
            return 2
    try:
        model = chat_model(args.model)
    except Exception as exc:  # noqa: BLE001 - bad spec, missing provider package or API key
        print(f"error: cannot build the chat model {args.model!r}: {exc}", file=sys.stderr)
        if args.model.startswith("openai:"):
            print(NO_MODEL.replace("error: ", "hint: ", 1), file=sys.stderr)
        return 2

    scenes = list(existing)

    def save(scene: Any) -> None:
        scenes.append(scene)
        write_scenes(scenes, args.out)

    if existing:
        print(f"{args.out}: {len(existing)} scenes already there", file=sys.stderr)
    result = generate_scenes(
        seeds,
        model,
        existing=existing,
        per_task=args.per_task,
        limit=args.limit,
        families=families,
        max_retries=args.retries,
        on_scene=save,
    )
    print(
        f"{len(result.written)} new scenes, {len(result.failed)} failed, "
        f"{result.skipped} already present; {args.out}: {len(scenes)} scenes",
        file=sys.stderr,
    )
    for family, task, _ in result.failed:
        print(f"failed: {family}: {task}", file=sys.stderr)
    return 1 if result.failed else 0
