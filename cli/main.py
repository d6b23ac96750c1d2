"""The `proactive` command line."""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from cli import bench as bench_cli
from cli import gym as gym_cli
from cli import ingest as ingest_cli
from cli import profile as profile_cli
from cli import scenes as scenes_cli
from cli import serve as serve_cli
from cli import token as token_cli
from cli import ui as ui_cli
from cli import watch as watch_cli
from cli import worker as worker_cli
from cli.common import (
    SettingsError,
    StorageError,
    answerer,
    context_args,
    data_dir,
    database,
    make_context,
    redacted_url,
    storage_errors,
)

SCENARIOS = ("coding", "writing")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="proactive", description="A proactive assistant that offers help before being asked."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="play the bundled scenarios with the embedded models")
    demo.add_argument("--scenario", choices=(*SCENARIOS, "all"), default="all")
    context_args(demo)

    run = sub.add_parser("run", help="run the agent on your events (JSON lines: time, event)")
    run.add_argument("--events", required=True, help="JSONL file, or - for standard input")
    run.add_argument(
        "--durability",
        choices=("exit", "sync"),
        default="exit",
        help="commit the thread's state once per event (exit, default) or after every node "
        "(sync: a killed run resumes inside the event it was handling instead of redoing it)",
    )
    context_args(run)

    # Options of `train` are those of `python -m backends.local.train` (see `proactive train -h`).
    sub.add_parser(
        "train", help="train the embedded models from ProactiveBench data", add_help=False
    )

    sub.add_parser("graph", help="print the agent graph as a mermaid diagram")
    bench_cli.add_parser(sub)
    gym_cli.add_parser(sub)
    profile_cli.add_parser(sub)
    scenes_cli.add_parser(sub)
    ui_cli.add_parser(sub)
    watch_cli.add_parser(sub)
    worker_cli.add_parser(sub)
    serve_cli.add_parser(sub)
    ingest_cli.add_parser(sub)
    token_cli.add_parser(sub)
    return parser


def cmd_stream(args: argparse.Namespace) -> int:
    """`demo` and `run`: settings first, then the events, thread by thread under its lease."""
    if args.command == "demo":
        directory = args.data_dir or tempfile.mkdtemp(prefix="proactive-demo-")
        names = SCENARIOS if args.scenario == "all" else (args.scenario,)
    else:
        directory = data_dir(args)
        names = (args.events,)
    context = make_context(args, directory)
    answer = answerer(args)
    if answer and args.command == "run" and args.events == "-":
        print(
            "error: --feedback human needs --events FILE (stdin carries the events)",
            file=sys.stderr,
        )
        return 2
    with storage_errors(directory):
        return _stream(args, names, directory, context, answer)


def _stream(args: argparse.Namespace, names: Any, directory: str, context: Any, answer: Any) -> int:
    from cli.runner import (  # noqa: PLC0415
        EventLineError,
        ThreadMismatchError,
        lost_state_warning,
        read_events,
        run_stream,
    )
    from graphs.persistence import (  # noqa: PLC0415
        CHECKPOINT_FILE,
        ThreadBusyError,
        build_durable_graph,
        thread_lease,
    )
    from memory import open_memory  # noqa: PLC0415

    # Checkpoints in --db (default <data_dir>/checkpoints.sqlite): a stopped run resumes where
    # it stopped.
    db = database(args)
    graph = build_durable_graph(directory, db=db)
    # Opening the memory writes what a killed run left in its journal, before anything else.
    memory = open_memory(directory)
    print(f"memory and workspace: {Path(directory).resolve()}")
    for name in names:
        if args.command == "demo":
            print(f"\n== scenario: {name} ==")
            text = resources.files("cli.scenarios").joinpath(f"{name}.jsonl").read_text()
            lines: Any = text.splitlines()
            thread = args.thread or f"demo-{name}"
            scenario = dataclasses.replace(context, project_root=str(demo_project(name, directory)))
            print(f"project folder: {scenario.project_root}")
        else:
            scenario = context
            thread = args.thread or "cli"
        try:
            with thread_lease(directory, thread, db=db, graph=graph):
                warning = lost_state_warning(
                    graph,
                    thread,
                    memory,
                    context.user_id,
                    redacted_url(db) if db else str(Path(directory) / CHECKPOINT_FILE),
                )
                if warning:
                    print(warning, file=sys.stderr)
                if args.command == "run":
                    lines = sys.stdin.buffer if name == "-" else open(name, "rb")  # noqa: SIM115
                summary = run_stream(
                    graph,
                    read_events(lines),
                    thread=thread,
                    context=scenario,
                    out=sys.stdout,
                    answer=answer,
                    resume=True,
                    keep_history=False,  # only the latest checkpoint: the file grows linearly
                    durability=getattr(args, "durability", "exit"),
                )
        except ThreadBusyError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except EventLineError as exc:
            print(f"error: {name}: {exc}; the events before it were processed", file=sys.stderr)
            return 2
        except ThreadMismatchError as exc:
            print(f"error: {name}: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            if isinstance(exc, FileNotFoundError | IsADirectoryError) or exc.filename == name:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            raise  # a storage failure: storage_errors names it
        print(summary.text())
    return 0


def demo_project(name: str, directory: str) -> Path:
    """The files of a scenario's person (the project the events talk about), copied out of the
    package into the demo's data directory: the assistant reads them there, read-only."""
    target = Path(directory) / "projects" / name
    if not target.is_dir():
        with resources.as_file(resources.files("cli.scenarios").joinpath(name)) as source:
            shutil.copytree(source, target)
    return target.resolve()


def cmd_train(argv: list[str]) -> int:
    from backends.local.train import main as train_main  # noqa: PLC0415

    return train_main(argv)


def cmd_graph(_: argparse.Namespace) -> int:
    from graphs.agent import graph  # noqa: PLC0415

    print(graph.get_graph().draw_mermaid())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "train":
        return cmd_train(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    handlers = {
        "demo": cmd_stream,
        "run": cmd_stream,
        "graph": cmd_graph,
        "bench": bench_cli.run,
        "gym": gym_cli.run,
        "profile": profile_cli.run,
        "scenes": scenes_cli.run,
        "ui": ui_cli.run,
        "watch": watch_cli.run,
        "worker": worker_cli.run,
        "serve": serve_cli.run,
        "ingest": ingest_cli.run,
        "token": token_cli.run,
    }
    try:
        return handlers[args.command](args)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StorageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
