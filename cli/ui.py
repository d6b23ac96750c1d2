"""`proactive ui`: the inbox and the annotation tool in the browser, served on loopback."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path
from typing import Any

from cli.common import SettingsError, context_args, data_dir, make_context, storage_errors

DEFAULT_PORT = 8765


def add_parser(sub: Any) -> None:
    """Register `ui` on the top-level subparsers."""
    ui = sub.add_parser(
        "ui", help="the inbox of waiting proposals and the annotation tool, in your browser"
    )
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    ui.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT})")
    ui.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other than loopback (anyone who reaches it can answer for you)",
    )
    ui.add_argument(
        "--traces",
        type=Path,
        nargs="*",
        default=[],
        help="trace files or folders to annotate (ProactiveBench test traces, gym traces)",
    )
    ui.add_argument(
        "--annotations",
        type=Path,
        help="where annotators' answers are saved (default <data dir>/annotations)",
    )
    context_args(ui)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; 2 with a message for bad settings or files."""
    import uvicorn  # noqa: PLC0415

    from backends.local import load_models  # noqa: PLC0415
    from ui.annotate import AnnotationError, load_traces  # noqa: PLC0415
    from ui.app import LOOPBACK_HOSTS, Settings, create_app  # noqa: PLC0415

    if not _loopback(args.host) and not args.allow_remote:
        raise SettingsError(
            f"--host {args.host} is not loopback: anyone who reaches it could answer your "
            "proposals; add --allow-remote if that is what you want"
        )
    if not 0 < args.port < 65536:
        raise SettingsError(f"--port must be 1..65535, got {args.port}")
    directory = data_dir(args)
    context = make_context(args, directory)
    if args.feedback not in (None, "inbox", "human"):
        raise SettingsError("the inbox answers as a person: --feedback must be inbox (default)")
    context.feedback_mode = "human"  # a refined draft waits in the inbox again
    try:
        traces = load_traces(args.traces)
    except AnnotationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    hosts = LOOPBACK_HOSTS if not args.allow_remote else ("*",)
    settings = Settings(
        data_dir=Path(directory),
        context=context,
        traces=traces,
        annotations=args.annotations,
        allowed_hosts=hosts,
        drafter=load_models().drafter,
        db=args.db,
    )
    with storage_errors(directory):
        app = create_app(settings)
    shown = "localhost" if _loopback(args.host) else args.host
    print(f"inbox:    http://{shown}:{args.port}/", flush=True)
    print(f"annotate: http://{shown}:{args.port}/annotate ({len(traces)} traces)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
