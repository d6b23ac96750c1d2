"""ActivityWatch as an event source, against a real aw-server (PyPI) on loopback.

The server runs in its testing mode with its own data, config and cache directories under
a temporary directory, so nothing touches the user's ActivityWatch data.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sources.activitywatch import ActivityWatchClient, ActivityWatchError, ActivityWatchSource, iso
from sources.sentences import Bucket, SentenceBuilder, away_text

ROOT = Path(__file__).resolve().parents[1]
HOST = "testhost"
WINDOW = f"aw-watcher-window_{HOST}"
WEB = f"aw-watcher-web-firefox_{HOST}"
AFK = f"aw-watcher-afk_{HOST}"
EDITOR = f"aw-watcher-vscode_{HOST}"
T0 = float(int(time.time()) - 1800)
"""Half an hour ago: the seeded activity, inside `proactive watch`'s default look-back."""

FIRST = [
    (T0, "The user switches to 'Code' and edits 'main.py'"),
    (T0 + 35, "The user reads 'pandas.read_csv — pandas docs' in Firefox"),
    (T0 + 96, "The user switches to 'Code' and edits 'main.py'"),
    (T0 + 120, "The user is away for 12 minutes"),
    (T0 + 900, "The user switches to 'Slack' and views 'general | Slack'"),
]
SECOND = [(T0 + 940, "The user reads 'How to read a CSV? - Stack Overflow' in Firefox")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _call(url: str, method: str = "GET", body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    return json.loads(text) if text.strip() else None


def _event(start: float, seconds: float, **data: Any) -> dict[str, Any]:
    return {"timestamp": iso(start), "duration": seconds, "data": data}


def _seed(url: str, bucket: str, kind: str, events: list[dict[str, Any]]) -> None:
    api = f"{url}/api/0/buckets/{bucket}"
    if bucket not in _call(f"{url}/api/0/buckets/"):
        _call(api, "POST", {"client": "proactive-test", "type": kind, "hostname": HOST})
    _call(f"{api}/events", "POST", events)


@pytest.fixture(scope="module")
def aw_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a fresh aw-server in testing mode on a free loopback port."""
    if importlib.util.find_spec("aw_server") is None:
        reason = "aw-server is not installed (pip install -e '.[dev]' installs it)"
        if os.environ.get("PROACTIVE_REQUIRE_DATA") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    home = tmp_path_factory.mktemp("aw")
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_STATE_HOME": str(home / "state"),
    }
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aw_server",
            "--testing",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=home,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"aw-server exited: {(home / 'server.log').read_text()[-2000:]}")
            try:
                if _call(f"{url}/api/0/info")["testing"] is True:
                    break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("aw-server did not answer within 60 s")
            time.sleep(0.2)
        _seed_first(url)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _seed_first(url: str) -> None:
    code = {"app": "Code", "title": "main.py - proj - Visual Studio Code"}
    fox = {"app": "Firefox", "title": "pandas.read_csv — pandas docs — Mozilla Firefox"}
    _seed(
        url,
        WINDOW,
        "currentwindow",
        [
            # a burst of heartbeats of one window: one sentence
            _event(T0, 10, **code),
            _event(T0 + 10, 10, **code),
            _event(T0 + 20, 15, **code),
            # a browser window: said by its tab (web bucket) instead
            _event(T0 + 35, 60, **fox),
            # an alt-tab flicker: dropped
            _event(T0 + 95, 0.5, app="Terminal", title="bash — ~/proj"),
            _event(T0 + 96, 24, **code),
            # the lock screen while the user is away: dropped
            _event(T0 + 130, 700, app="loginwindow", title="Lock screen"),
            _event(T0 + 900, 30, app="Slack", title="general | Slack"),
        ],
    )
    tab = {"url": "https://pandas.pydata.org/docs/reference/api/pandas.read_csv.html"}
    _seed(
        url,
        WEB,
        "web.tab.current",
        [
            _event(T0 + 35, 30, title="pandas.read_csv — pandas docs", **tab),
            _event(T0 + 65, 30, title="pandas.read_csv — pandas docs", **tab),
        ],
    )
    main = {"file": "/home/u/proj/main.py", "project": "/home/u/proj", "language": "python"}
    _seed(
        url,
        EDITOR,
        "app.editor.activity",
        [_event(T0 + 1, 30, **main), _event(T0 + 97, 20, **main)],
    )
    _seed(
        url,
        AFK,
        "afkstatus",
        [
            _event(T0, 120, status="not-afk"),
            _event(T0 + 120, 720, status="afk"),
            _event(T0 + 840, 120, status="not-afk"),
        ],
    )


def _seed_second(url: str) -> None:
    # the Slack window goes on (same title): no new sentence; a new tab: one sentence
    _seed(
        url, WINDOW, "currentwindow", [_event(T0 + 930, 10, app="Slack", title="general | Slack")]
    )
    title = "How to read a CSV? - Stack Overflow"
    _seed(
        url,
        WEB,
        "web.tab.current",
        [_event(T0 + 940, 20, url="https://stackoverflow.com/q/1", title=title)],
    )


def _pairs(events: list[dict[str, Any]]) -> list[tuple[float, str]]:
    return [(e["time"], e["text"]) for e in events]


def test_sentence_rules_without_a_server() -> None:
    window = Bucket(WINDOW, "currentwindow")
    afk = Bucket(AFK, "afkstatus")
    builder = SentenceBuilder()
    first = builder.feed(
        [
            (window, [_event(T0, 5, app="Terminal", title="bash")]),
            (afk, [_event(T0, 60, status="not-afk"), _event(T0 + 60, 30, status="afk")]),
        ]
    )
    assert _pairs(first) == [(T0, "The user switches to 'Terminal' and views 'bash'")]
    # the same window goes on: nothing new; the short away spell ends: too short to say
    again = builder.feed(
        [
            (window, [_event(T0 + 5, 100, app="Terminal", title="bash")]),
            (afk, [_event(T0 + 90, 10, status="not-afk")]),
        ]
    )
    assert again == []
    assert away_text(12 * 60 + 10) == "The user is away for 12 minutes"
    assert away_text(60) == "The user is away for 1 minute"
    assert away_text(150 * 60) == "The user is away for 2 hours 30 minutes"


def test_converter_on_a_real_server(aw_server: str) -> None:
    client = ActivityWatchClient(aw_server)
    assert client.info()["testing"] is True
    kinds = {b.id: b.kind for b in client.buckets()}
    assert kinds == {WINDOW: "window", WEB: "web", AFK: "afk", EDITOR: "editor"}
    source = ActivityWatchSource(client, since=T0 - 60)
    assert _pairs(source.poll()) == FIRST
    assert source.poll() == []


def test_watch_once_feeds_the_graph(aw_server: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "watch",
            "--aw",
            aw_server,
            "--once",
            "--data-dir",
            str(tmp_path),
            "--thread",
            "aw-test",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for _, text in FIRST:
        assert text in out
    assert out.count("switches to 'Code' and edits 'main.py'") == 2
    assert "Lock screen" not in out and "Terminal" not in out
    assert "5 events:" in out


def test_polls_feed_each_event_once(aw_server: str, tmp_path: Path) -> None:
    from cli.runner import step
    from graphs.agent import build_graph
    from graphs.context import Context

    graph = build_graph()
    context = Context(memory_dir=str(tmp_path))
    source = ActivityWatchSource(ActivityWatchClient(aw_server), since=T0 - 60)
    fed: list[dict[str, Any]] = []

    def feed() -> list[dict[str, Any]]:
        events = source.poll()
        for event in events:
            step(graph, event, thread="aw-once", context=context)
        fed.extend(events)
        return events

    assert _pairs(feed()) == FIRST
    _seed_second(aw_server)
    assert _pairs(feed()) == SECOND
    assert feed() == []
    state = graph.get_state({"configurable": {"thread_id": "aw-once"}}).values
    mine = [e for e in state["events"] if e.source == "user"]  # not the agent's own events
    assert [(e.time, e.text) for e in mine] == FIRST + SECOND
    assert len(fed) == len(FIRST) + len(SECOND)


def test_watch_says_when_the_server_is_unreachable(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "watch", "--aw", f"http://127.0.0.1:{_free_port()}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "cannot reach ActivityWatch" in result.stderr


# --- issue 13: a server that misbehaves never kills `watch`, never hangs it --------------------


class HostileProxy:
    """A loopback proxy to a real aw-server that answers the next requests wrongly, one fault
    each (then forwards faithfully): a garbage status line, a truncated body, JSON nested
    100,000 deep, a reply dripped one byte a second, a reply larger than the client accepts."""

    def __init__(self, upstream: str, faults: list[str]) -> None:
        import socketserver
        import threading

        self.upstream = upstream
        self.faults = list(faults)
        self.seen: list[str] = []
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.request)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        target = request.split(b" ")[1].decode()
        fault = self.faults.pop(0) if self.faults and "/info" not in target else "pass"
        self.seen.append(fault)
        try:
            if fault == "garbage":
                conn.sendall(b"HTTP/1.1 ohno garbage\r\n\r\n")
            elif fault == "truncated":
                conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n[{"id": ')
            elif fault == "nested":
                body = b"[" * 100_000 + b"]" * 100_000
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            elif fault == "drip":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
                for _ in range(120):
                    conn.sendall(b" ")
                    time.sleep(1.0)
            elif fault == "huge":
                size = 80 << 20
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
                block = b" " * (1 << 20)
                for _ in range(80):
                    conn.sendall(block)
            else:
                with urllib.request.urlopen(self.upstream + target, timeout=30) as reply:
                    body = reply.read()
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
                )
        except OSError:
            pass  # the client gave up on us: that is the point

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("garbage", "unusable reply"),
        ("truncated", "unusable reply"),
        ("nested", "nests deeper than 64 levels"),
        ("drip", "no complete reply within 2 s"),
        ("huge", "over the limit of"),
    ],
)
def test_each_bad_reply_is_one_clear_error(aw_server: str, fault: str, message: str) -> None:
    proxy = HostileProxy(aw_server, [fault])
    try:
        client = ActivityWatchClient(proxy.url, deadline=2.0, max_bytes=8 << 20)
        started = time.monotonic()
        with pytest.raises(ActivityWatchError, match=message):
            client.buckets()
        assert time.monotonic() - started < 10  # the deadline holds, whatever the server does
        assert client.buckets()  # the next request goes through
    finally:
        proxy.close()


def test_watch_survives_a_run_of_bad_replies(aw_server: str, tmp_path: Path) -> None:
    import signal

    proxy = HostileProxy(aw_server, ["garbage", "truncated", "nested", "drip"])
    try:
        args = [sys.executable, "-m", "cli.main", "watch", "--aw", proxy.url]
        args += ["--interval", "0.2", "--deadline", "2", "--data-dir", str(tmp_path)]
        watch = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 120
        lines: list[str] = []
        assert watch.stdout is not None
        while time.monotonic() < deadline:
            line = watch.stdout.readline()
            if not line:
                break
            lines.append(line)
            if FIRST[-1][1] in line:
                break
        watch.send_signal(signal.SIGINT)
        out, err = watch.communicate(timeout=60)
    finally:
        proxy.close()
    assert any(FIRST[-1][1] in line for line in lines), (lines, err)
    assert watch.returncode == 0, err
    assert "Traceback" not in err
    assert err.count("error: ") >= 4 and "polling again in" in err
    assert proxy.seen[:5] == ["pass", "garbage", "truncated", "nested", "drip"]


def test_watch_leaves_a_proposal_in_the_inbox_and_goes_on_after_the_answer(
    aw_server: str, tmp_path: Path
) -> None:
    """`proactive watch --feedback inbox`: the first proposal waits (later events wait behind
    it), the inbox answers it, and the next watch feeds the rest, none of them twice."""
    from graphs.context import Context
    from graphs.persistence import build_durable_graph
    from service.answers import answer, pending

    args = [sys.executable, "-m", "cli.main", "watch", "--aw", aw_server, "--once"]
    args += ["--data-dir", str(tmp_path), "--feedback", "inbox", "--threshold", "0"]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "PROACTIVE_PERSONAL_TARGET_F1": "0"}
    first = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
    assert first.returncode == 0, first.stderr
    assert "thread watch: waiting for your answer to:" in first.stdout
    assert "still wait behind an unanswered proposal" in first.stderr

    graph = build_durable_graph(tmp_path)
    [waiting] = pending(graph, "default")
    context = Context(memory_dir=str(tmp_path), feedback_mode="human", personal_target_f1=0.0)
    answer(graph, tmp_path, context, waiting.thread, [{"type": "ignore", "args": None}])

    second = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
    assert second.returncode == 0, second.stderr
    state = graph.get_state({"configurable": {"thread_id": "watch"}}).values
    texts = [e.text for e in state["events"] if e.source == "user"]
    assert len(texts) == len(set((e.time, e.text) for e in state["events"] if e.source == "user"))
    assert texts[0] == FIRST[0][1]
    assert len(texts) > 1  # what waited behind the answer was fed afterwards
