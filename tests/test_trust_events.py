"""Issue 19 (1, 2, 9): no event stops a worker, and every malformed request to either server
(`proactive worker --listen`, `proactive ui`) is a 4xx with a JSON reason, read within limits.

All through the real processes: a worker host on a real PostgreSQL and Chroma server, and
`proactive ui`, each spoken to over a socket."""

from __future__ import annotations

import http.client
import json
import select
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, proactive
from tests.servers import wait_serving
from tests.test_service_http import (
    Host,
    call,
    free_port,
    new_token,
    servers,  # noqa: F401 (a fixture used here)
    worker_host,
)

pytestmark = pytest.mark.postgres

DOCUMENTED = {"time": 1767261600, "event": "The user edits a.py."}
"""The event of docs/deploy.md's curl example: `event`, not `text`."""


@pytest.fixture(scope="module")
def host(servers: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:  # noqa: F811
    with worker_host(servers, "trust", tmp_path_factory.mktemp("host"), "--poll", "0.1") as host:
        yield host
    assert "Traceback" not in host.err, host.err


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, subprocess.Popen]]:
    """`proactive ui` on a free port; yields its URL, the user's workspace folder, the process."""
    from nodes.common import user_folder

    top = tmp_path_factory.mktemp("ui")
    port = free_port()
    log = top / "ui.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ui", "--data-dir", str(top / "data"),
         "--workspace", str(top / "ws"), "--port", str(port)],
        cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_serving(f"{url}/api/pending", process, "proactive ui", log.read_text)
        yield url, top / "ws" / user_folder("default"), process
    finally:
        process.terminate()
        process.wait(timeout=20)
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def raw_request(
    base: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, Any]:
    """One request with the bytes as given (no client-side encoding); (status, JSON body)."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def waited(check: Callable[[], bool], what: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def threads(host: Host, token: str) -> dict[str, dict]:
    status, reply = call(host.base, "GET", "/threads", token)
    assert status == 200, reply
    return {t["thread"]: t for t in reply["threads"]}


def stored(db: str, thread: str) -> list[dict]:
    import psycopg

    with psycopg.connect(db) as conn:
        rows = conn.execute(
            "SELECT event FROM proactive_events WHERE thread = %s ORDER BY seq", (thread,)
        ).fetchall()
    return [r[0] for r in rows]


def test_the_documented_shape_and_string_times_are_stored_normalised_and_processed(
    host: Host,
) -> None:
    token = new_token(host.db, "ivy")
    events = [
        DOCUMENTED,
        {"time": "Day 1, 09:30 AM", "event": "The user opens b.py."},
        {"time": "2026-01-01T11:00:00Z", "text": "The user saves b.py."},
        {"time": "1767268800", "text": "The user runs the tests."},
    ]
    status, reply = call(host.base, "POST", "/events", token, {"thread": "ivy", "events": events})
    assert status == 201, reply
    assert stored(host.db, "ivy") == [
        {"time": 1767261600.0, "text": "The user edits a.py.", "source": "user"},
        {"time": 34200.0, "text": "The user opens b.py.", "source": "user"},
        {"time": 1767265200.0, "text": "The user saves b.py.", "source": "user"},
        {"time": 1767268800.0, "text": "The user runs the tests.", "source": "user"},
    ]
    waited(lambda: threads(host, token)["ivy"]["taken"] == 4, "the worker to take ivy's events")
    listed = threads(host, token)["ivy"]
    assert listed["last_event_time"] == 1767268800.0 and listed["held"] is None
    status, reply = call(host.base, "GET", "/proposals", token)
    assert status == 200, reply
    assert host.process.poll() is None  # the worker lives on

    # A time that is no time at all is refused, naming the event; nothing is appended.
    bad = [DOCUMENTED, {"time": "next Tuesday", "event": "x"}]
    status, reply = call(host.base, "POST", "/events", token, {"thread": "ivy", "events": bad})
    assert status == 400 and reply["error"].startswith("events[1]:"), reply
    assert threads(host, token)["ivy"]["received"] == 4


def test_an_event_no_worker_can_process_is_a_dead_letter_and_other_threads_go_on(
    host: Host,
) -> None:
    import psycopg

    gil, hal = new_token(host.db, "gil"), new_token(host.db, "hal")
    # Rows as an older version stored them, raw: a paper-shaped event with a date-string time
    # (it normalises, so it is fed), then one that is no event at all, then a good one.
    old = [
        {"time": "Day 1, 09:30 AM", "event": "The user opens notes.md."},
        {"time": "Day 1, 09:31 AM", "note": "no text here"},
        {"time": 1767261700, "text": "The user closes notes.md."},
    ]
    with psycopg.connect(host.db) as conn:
        conn.cursor().executemany(
            "INSERT INTO proactive_events (thread, seq, user_id, event) VALUES (%s, %s, %s, %s)",
            [("gil-old", i, "gil", json.dumps(e)) for i, e in enumerate(old)],
        )
    hal_events = [dict(DOCUMENTED, time=DOCUMENTED["time"] + i) for i in range(3)]
    status, _ = call(host.base, "POST", "/events", hal, {"thread": "hal", "events": hal_events})
    assert status == 201

    waited(lambda: threads(host, hal)["hal"]["taken"] == 3, "the worker to take hal's events")
    waited(lambda: threads(host, gil)["gil-old"]["held"] is not None, "the dead letter")
    mine = threads(host, gil)["gil-old"]
    assert (mine["received"], mine["taken"], mine["held"]["seq"]) == (3, 1, 1)
    assert "'text'" in mine["held"]["reason"], mine  # the reason names the missing field
    assert mine["last_event_time"] == 1767261700  # the old string time does not break the list
    status, letters = call(host.base, "GET", "/dead-letters", gil)
    assert status == 200 and [(d["thread"], d["seq"]) for d in letters["dead_letters"]] == [
        ("gil-old", 1)
    ]
    assert letters["dead_letters"][0]["event"] == old[1]
    assert call(host.base, "GET", "/dead-letters", hal)[1]["dead_letters"] == []  # only yours
    assert host.process.poll() is None  # the worker lives on

    # The operator sees it, fixes the row and re-queues the thread: it goes on from there.
    listed = proactive("worker", "--db", host.db, "--dead-letters")
    assert listed.returncode == 0 and listed.stdout.startswith("gil-old\t1\tgil\t"), listed
    with psycopg.connect(host.db) as conn:
        conn.execute(
            "UPDATE proactive_events SET event = %s WHERE thread = 'gil-old' AND seq = 1",
            (json.dumps({"time": 34260, "text": "The user types a line."}),),
        )
    again = proactive("worker", "--db", host.db, "--requeue", "gil-old")
    assert again.returncode == 0 and "re-queued" in again.stdout, again
    waited(lambda: threads(host, gil)["gil-old"]["taken"] == 3, "gil's thread to go on")
    assert threads(host, gil)["gil-old"]["held"] is None
    assert proactive("worker", "--db", host.db, "--dead-letters").stdout == "no dead letters\n"
    nothing = proactive("worker", "--db", host.db, "--requeue", "gil-old")
    assert nothing.returncode == 2 and "not held" in nothing.stderr


HOSTILE = {
    "a 5,000-digit number": b'{"thread": "t", "events": [{"time": 1' + b"7" * 4999 + b"}]}",
    "200,000-deep nesting": b'{"thread": "t", "events": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
    "NaN": b'{"thread": "t", "events": [{"time": NaN, "text": "x"}]}',
    "NUL in a text": b'{"thread": "t", "events": [{"time": 1, "text": "a\\u0000b"}]}',
    "a lone surrogate in a text": b'{"thread": "t", "events": [{"time": 1, "text": "\\ud800"}]}',
    "NUL in a thread name": b'{"thread": "t\\u0000", "events": [{"time": 1, "text": "x"}]}',
    "a lone surrogate in a name": b'{"thread": "\\udfff", "events": [{"time": 1, "text": "x"}]}',
    "not UTF-8": b'{"thread": "\xff\xfe", "events": []}',
}
"""Bodies that each gave a 500 with a traceback before."""

REASONS = {
    "a 5,000-digit number": "5,000 characters",
    "200,000-deep nesting": "nested deeper",
    "NaN": "NaN",
    "NUL in a text": "events[0].text has a NUL",
    "a lone surrogate in a text": "events[0].text has a lone surrogate",
    "NUL in a thread name": "thread has a NUL",
    "a lone surrogate in a name": "thread has a lone surrogate",
    "not UTF-8": "not UTF-8",
}


def test_hostile_json_bodies_are_a_400_with_the_reason_on_both_servers(
    host: Host, ui: tuple[str, Path, subprocess.Popen]
) -> None:
    token = new_token(host.db, "jo")
    sent = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    for name, body in HOSTILE.items():
        for base, path in ((host.base, "/events"), (ui[0], "/api/answer")):
            status, reply = raw_request(base, "POST", path, body, sent)
            assert status == 400, (name, base, reply)
            assert REASONS[name] in reply["error"] and len(reply["error"]) < 300, (name, reply)
    assert threads(host, token) == {}  # nothing appended
    assert host.process.poll() is None and ui[2].poll() is None


def _send_until_answered(base: str, path: str, headers: list[str], total: int) -> tuple[int, int]:
    """Send a chunked body of `total` bytes, stopping when the server answers; returns
    (bytes of body sent, status)."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", *headers]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    chunk = b"[" + b" " * (64 * 1024 - 2) + b"]"
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    # poll, not select: a long test session holds more than select's 1024 descriptors.
    answered = select.poll()
    answered.register(sock, select.POLLIN)
    try:
        while sent < total and not answered.poll(0):
            sock.sendall(framed)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed: the answer is waiting
    reply = b""
    try:
        while b"\r\n" not in reply:
            more = sock.recv(4096)
            if not more:
                break
            reply += more
    finally:
        sock.close()
    return sent, int(reply.split(b" ")[1])


def _rss_peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_a_huge_body_is_cut_at_the_limit_without_being_read(
    host: Host, ui: tuple[str, Path, subprocess.Popen]
) -> None:
    token = new_token(host.db, "kim")
    total = 400 << 20
    for base, path, auth, process in (
        (host.base, "/events", [f"Authorization: Bearer {token}"], host.process),
        (ui[0], "/api/answer", [], ui[2]),
    ):
        before = _rss_peak_kib(process.pid)
        started = time.monotonic()
        headers = [*auth, "Content-Type: application/json", "Transfer-Encoding: chunked"]
        sent, status = _send_until_answered(base, path, headers, total)
        assert status == 413, base
        assert sent < 64 << 20, f"{base}: {sent:,} bytes sent before the answer"
        assert time.monotonic() - started < 30
        assert _rss_peak_kib(process.pid) - before < 64 * 1024  # far from 400 MiB more

        # A declared Content-Length over the limit is refused before any of the body is sent.
        status, reply = raw_request(
            base, "POST", path, None,
            {"Content-Type": "application/json", "Content-Length": str(total),
             **({"Authorization": f"Bearer {token}"} if auth else {})},
        )  # fmt: skip
        assert status == 413 and "larger than" in reply["error"], reply
    assert host.process.poll() is None and ui[2].poll() is None


def test_workspace_file_names_that_are_no_files_are_a_4xx(
    ui: tuple[str, Path, subprocess.Popen],
) -> None:
    base, folder, process = ui
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.md").write_text("hello")
    (folder / "loop-a").symlink_to(folder / "loop-b")
    (folder / "loop-b").symlink_to(folder / "loop-a")
    (folder / "self").symlink_to(folder / "self")
    (folder / "out").symlink_to("/etc/passwd")
    cases = {
        "/files/%00": 400,
        "/files/notes.md%00.txt": 400,
        "/files/loop-a": 404,
        "/files/self/x": 404,
        "/files/out": 404,
        "/files/..%2f..%2f..%2fetc%2fpasswd": 404,
        "/files/" + "a" * 5000: 404,
        "/files/": 404,
    }
    for path, want in cases.items():
        status, reply = raw_request(base, "GET", path)
        assert status == want and "error" in reply, (path, reply)
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", "/files/notes.md")
    assert conn.getresponse().read() == b"hello"  # a real file still reads
    conn.close()
    assert process.poll() is None
