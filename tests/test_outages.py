"""`proactive serve` as its own process through outages of what it stands on, against a real
PostgreSQL and Chroma server started here: it stays up, answers 503 with a JSON reason while the
database or the memory server is away, `GET /health` says which, and it serves again when they
are back, with no restart."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.servers import chroma_server, outage, postgres, wait_serving
from tests.test_service_http import call, free_port, new_token

pytestmark = pytest.mark.postgres


def during(url: str, seconds: float, check: Callable[[], None]) -> None:
    """Run `check` while the server at `url` is down for `seconds`."""
    stopper = threading.Thread(target=outage, args=(url, seconds))
    stopper.start()
    try:
        check()
    finally:
        stopper.join()


def test_the_endpoint_answers_through_a_database_and_a_memory_outage(tmp_path: Path) -> None:
    import time

    with postgres() as db, chroma_server() as memory:
        token = new_token(db, "gil")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--db", db, "--memory", memory,
             "--data-dir", str(tmp_path), "--listen", f"127.0.0.1:{port}"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            wait_serving(f"{base}/health", process, "proactive serve", process.stderr.read)
            assert call(base, "GET", "/health") == (
                200,
                {"ok": True, "database": "ok", "memory": "ok"},
            )
            event = {"time": 1_767_000_000, "event": "The user opens notes.md."}
            body = {"thread": "gil-notes", "events": [event]}
            assert call(base, "POST", "/events", token, body)[0] == 201

            def database_down() -> None:
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:  # until pg_ctl has stopped it
                    status, health = call(base, "GET", "/health")
                    if status == 503:
                        break
                    time.sleep(0.2)
                assert status == 503 and not health["ok"], health
                assert "database is unavailable" in health["database"]
                status, answer = call(base, "POST", "/events", token, body)
                assert status == 503 and "database is unavailable" in answer["error"]

            during(db, 6, database_down)
            status, answer = call(base, "POST", "/events", token, body)
            assert status == 201, answer  # back, with no restart
            assert call(base, "GET", "/health")[0] == 200

            def memory_down() -> None:
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    status, health = call(base, "GET", "/health")
                    if status == 503:
                        break
                    time.sleep(0.2)
                assert status == 503 and health["database"] == "ok", health
                assert "memory server is unavailable" in health["memory"]
                status, answer = call(base, "GET", "/memory?q=notes", token)
                assert status == 503 and "memory server is unavailable" in answer["error"]

            during(memory, 4, memory_down)
            assert call(base, "GET", "/health")[0] == 200
            assert call(base, "GET", "/memory?q=notes", token)[0] == 200
            assert process.poll() is None  # up the whole time
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=60)
        assert process.returncode == 0 and "Traceback" not in err, err
        assert "serving http://127.0.0.1" in out and out.rstrip().endswith("stopped")
