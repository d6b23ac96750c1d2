"""`proactive serve`: the HTTP endpoint as its own process, apart from the workers.

It appends events to the PostgreSQL inbox and reads and answers each user's proposals, memory
and profile (`service/http.py`); workers (`proactive worker`) process what it receives. Apart,
neither takes the other down: while the database or the memory server is away the endpoint
stays up and answers 503 with the reason, `GET /health` says what is down, and it serves again
as soon as they are back (its sessions reopen on the next request).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
from typing import Any

from cli.common import (
    SettingsError,
    context_args,
    data_dir,
    make_context,
    postgres_database,
    redacted_url,
)

DEFAULT_LISTEN = "127.0.0.1:8780"
"""Where `proactive serve` listens when not told (loopback: put TLS in front to go further)."""


def add_parser(sub: Any) -> None:
    """Register `serve` on the top-level subparsers."""
    serve = sub.add_parser(
        "serve",
        help="serve the HTTP endpoint (POST /events, each user's proposals, memory and profile) "
        "on its own; workers process what it receives",
    )
    serve.add_argument(
        "--listen", metavar="HOST:PORT", default=DEFAULT_LISTEN, help="address to listen on"
    )
    serve.add_argument(
        "--memory",
        help="the shared memory the workers write (a Chroma server, http://host:port, or "
        "PostgreSQL with pgvector, postgresql://...): "
        "GET /memory and /profile read it",
    )
    context_args(serve)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or Ctrl-C; outages of the servers behind it are answered, not fatal."""
    import uvicorn  # noqa: PLC0415

    from service.http import ServiceSettings, create_app  # noqa: PLC0415

    db = postgres_database(args, "the endpoint needs the PostgreSQL inbox the workers read")
    memory = args.memory or os.environ.get("PROACTIVE_MEMORY_SERVER", "")
    if not memory.startswith(("http://", "https://", "postgresql://", "postgres://")):
        raise SettingsError(
            "the endpoint needs the workers' shared memory: --memory http://host:port "
            "(a Chroma server) or --memory postgresql://... (PostgreSQL with pgvector)"
        )
    host, port = address(args.listen)
    directory = data_dir(args)
    context = make_context(args, directory)
    context.memory_server = memory
    sock = _bound(host, port)
    app = create_app(ServiceSettings(db=db, data_dir=directory, context=context))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    print(f"serving http://{host}:{port}/events on {redacted_url(db)}, memory {memory}", flush=True)
    server.run(sockets=[sock])
    print("stopped", flush=True)
    return 0


def _bound(host: str, port: int) -> socket.socket:
    """A listening socket on host:port; a port that is taken is a SettingsError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SettingsError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    return sock


def address(value: str) -> tuple[str, int]:
    """HOST:PORT for --listen (the endpoint asks every request for a token, so any address
    may be given; put it behind TLS when it is not loopback: docs/deploy.md)."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"--listen must be HOST:PORT (port 1..65535), got {value!r}")
    return host.strip("[]"), int(port)


def serve_in_background(db: str, directory: str, context: Any, host: str, port: int) -> Any:
    """Start the HTTP endpoint in a background thread; returns the uvicorn server. A port that
    is taken is a SettingsError."""
    import threading  # noqa: PLC0415
    import time  # noqa: PLC0415

    import uvicorn  # noqa: PLC0415

    from service.http import ServiceSettings, create_app  # noqa: PLC0415

    sock = _bound(host, port)
    app = create_app(ServiceSettings(db=db, data_dir=directory, context=context))
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    return server
