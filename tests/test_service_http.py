"""The worker host's HTTP endpoint with per-user tokens, against a real PostgreSQL and a Chroma
server started here: two users, each denied the other's data; tokens stored hashed and refused
when wrong, expired or revoked; bad requests answered with a status and a JSON reason."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, proactive
from tests.servers import chroma_server, postgres, wait_serving
from tests.test_activitywatch import aw_server  # noqa: F401 (a fixture used here)
from tests.test_workers import stream

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    with postgres() as db, chroma_server() as memory:
        yield db, memory


def call(
    base: str, method: str, path: str, token: str | None = None, body: Any = None
) -> tuple[int, Any]:
    """One request; returns (status, JSON body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def new_token(db: str, user: str) -> str:
    done = proactive("token", "create", "--db", db, "--user", user)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Host:
    """A running `proactive worker --listen` (see :func:`worker_host`)."""

    def __init__(self, db: str, base: str, process: subprocess.Popen) -> None:
        self.db, self.base, self.process = db, base, process
        self.err = ""


@contextmanager
def worker_host(servers: tuple[str, str], name: str, data: Path, *extra: str) -> Iterator[Host]:
    """A worker host serving HTTP, on a fresh database `name`; stopped with SIGTERM after."""
    import psycopg

    base_db, memory = servers
    with psycopg.connect(base_db, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    db = base_db.rsplit("/", 1)[0] + "/" + name
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "worker", "--db", db, "--memory", memory,
         "--data-dir", str(data), "--listen", f"127.0.0.1:{port}", *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    host = Host(db, base, process)
    try:
        wait_serving(f"{base}/health", process, "the worker host", process.stderr.read, pause=0.1)
        yield host
    finally:
        process.send_signal(signal.SIGTERM)
        _, host.err = process.communicate(timeout=60)


def test_tokens_are_stored_hashed_and_refused_when_wrong_expired_or_revoked(
    servers: tuple[str, str],
) -> None:
    import psycopg

    from service.events import EventInbox
    from service.tokens import TokenError, TokenStore

    db, _ = servers
    token = new_token(db, "ana")
    assert token.startswith("pa_")
    token_id, secret = token.split("_")[1:]
    with psycopg.connect(db) as conn:
        stored = conn.execute(
            "SELECT id, user_id, digest FROM proactive_tokens WHERE id = %s", (token_id,)
        ).fetchone()
        everything = json.dumps(
            conn.execute("SELECT * FROM proactive_tokens").fetchall(), default=str
        )
    assert stored[1] == "ana" and secret not in stored[2] and secret not in everything

    inbox = EventInbox(db)
    tokens = TokenStore(inbox.conn)
    assert tokens.verify(token) == "ana"
    for bad, reason in [
        (None, "no token"),
        ("", "no token"),
        ("hello", "not one this server made"),
        (f"pa_{token_id}_{secret[:-1]}x", "wrong"),
        (f"pa_000000000000_{secret}", "wrong"),
    ]:
        with pytest.raises(TokenError, match=reason):
            tokens.verify(bad)

    listed = proactive("token", "list", "--db", db, "--user", "ana", "--json")
    assert listed.returncode == 0 and secret not in listed.stdout
    assert [t["state"] for t in json.loads(listed.stdout)] == ["active"]

    expiring = new_token(db, "ana")
    inbox.conn.execute(
        "UPDATE proactive_tokens SET expires = now() - interval '1 minute' WHERE id = %s",
        (expiring.split("_")[1],),
    )
    with pytest.raises(TokenError, match="expired"):
        tokens.verify(expiring)

    revoked = proactive("token", "revoke", "--db", db, token_id)
    assert revoked.returncode == 0, revoked.stderr
    with pytest.raises(TokenError, match="revoked"):
        tokens.verify(token)
    again = proactive("token", "revoke", "--db", db, "nosuchid")
    assert again.returncode == 2 and again.stderr.startswith("error: no token")
    bad_days = proactive("token", "create", "--db", db, "--user", "ana", "--days", "0")
    assert bad_days.returncode == 2 and "more than 0 days" in bad_days.stderr
    no_db = proactive("token", "list", "--db", "sqlite:///x")
    assert no_db.returncode != 0 and "postgresql://" in no_db.stderr
    assert "Traceback" not in no_db.stderr
    inbox.close()


def test_two_users_through_the_worker_host_each_denied_the_others_data(
    servers: tuple[str, str], tmp_path: Path
) -> None:
    with worker_host(servers, "twousers", tmp_path / "host", "--poll", "0.1",
                     "--feedback", "inbox") as host:  # fmt: skip
        db, base = host.db, host.base
        ana, bo = new_token(db, "ana"), new_token(db, "bo")

        # Nothing without a valid token.
        status, reply = call(base, "POST", "/events", None, {"thread": "x", "events": []})
        assert status == 401 and "no token" in reply["error"]
        status, reply = call(base, "GET", "/threads", ana[:-2] + "zz")
        assert status == 401 and "wrong" in reply["error"]

        ana_events = [dict(e, text=e["text"].replace("user", "ana")) for e in stream("ana")[:12]]
        bo_events = stream("bo")[:12]
        status, reply = call(
            base, "POST", "/events", ana, {"thread": "ana-notes", "events": ana_events}
        )
        assert (status, reply["appended"], reply["first"]) == (201, 12, 0), reply
        status, _ = call(base, "POST", "/events", bo, {"thread": "bo-code", "events": bo_events})
        assert status == 201

        # Bo cannot write into, read, or answer in Ana's thread.
        status, reply = call(
            base, "POST", "/events", bo, {"thread": "ana-notes", "events": bo_events[:1]}
        )
        assert status == 403 and "another user" in reply["error"]
        status, reply = call(
            base, "POST", "/proposals/ana-notes/answer", bo, {"answer": {"type": "accept"}}
        )
        assert status == 403

        # The worker takes the events; a proposal may stop a thread until its user answers.
        def settled() -> dict[str, dict]:
            _, mine = call(base, "GET", "/threads", ana)
            _, theirs = call(base, "GET", "/threads", bo)
            return {t["thread"]: t for t in mine["threads"] + theirs["threads"]}

        deadline = time.monotonic() + 240
        answered = 0
        while time.monotonic() < deadline:
            threads = settled()
            if all(t["taken"] == t["received"] for t in threads.values()):
                break
            for token in (ana, bo):
                _, waiting = call(base, "GET", "/proposals", token)
                for item in waiting["pending"]:
                    status, reply = call(
                        base, "POST", f"/proposals/{item['thread']}/answer", token,
                        {"answer": {"type": "response", "args": "not now"},
                         "proposal_id": item["proposal_id"]},
                    )  # fmt: skip
                    assert status in (200, 409), reply
                    answered += status == 200
            time.sleep(0.2)
        else:
            pytest.fail(f"the worker did not take every event: {settled()}")
        assert answered > 0  # proposals were answered through the endpoint
        assert set(settled()) == {"ana-notes", "bo-code"}

        _, mine = call(base, "GET", "/threads", ana)
        assert [t["thread"] for t in mine["threads"]] == ["ana-notes"]
        _, theirs = call(base, "GET", "/threads", bo)
        assert [t["thread"] for t in theirs["threads"]] == ["bo-code"]

        # Memory: each finds only their own.
        status, hits = call(base, "GET", "/memory?q=ana+step+3&k=10", ana)
        assert status == 200 and hits["hits"] and all("ana" in h["text"] for h in hits["hits"])
        status, hits = call(base, "GET", "/memory?q=ana+step+3&k=10", bo)
        assert status == 200 and hits["hits"] and not any("ana" in h["text"] for h in hits["hits"])
        status, profile = call(base, "GET", "/profile", ana)
        assert status == 200 and profile["user"] == "ana"
        _, theirs = call(base, "GET", "/profile", bo)
        assert profile["answers"] + theirs["answers"] == answered  # each learned their own

        # The operator's view of the shared servers: users, a profile, and forgetting one.
        memory = servers[1]
        listed = proactive("profile", "list", "--db", db, "--json")
        assert json.loads(listed.stdout) == {"users": ["ana", "bo"]}, listed.stderr
        shown = proactive("profile", "show", "--memory", memory, "--user", "ana", "--json")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["answers"] == profile["answers"]
        gone = proactive("profile", "forget", "--memory", memory, "--user", "ana", "--json")
        assert gone.returncode == 0, gone.stderr
        assert json.loads(gone.stdout)["answers_deleted"] == profile["answers"]
        assert call(base, "GET", "/profile", ana)[1]["answers"] == 0
        unknown = proactive("profile", "show", "--memory", memory, "--user", "zed")
        assert unknown.returncode == 2 and "no remembered answers" in unknown.stderr
    assert host.process.returncode == 0, host.err
    assert "Traceback" not in host.err


def test_bad_requests_get_a_status_and_a_json_reason(
    servers: tuple[str, str], tmp_path: Path
) -> None:
    from starlette.testclient import TestClient

    from graphs.context import Context
    from service.http import MAX_EVENTS, ServiceSettings, create_app

    db, memory = servers
    token = new_token(db, "cy")
    settings = ServiceSettings(
        db=db,
        data_dir=str(tmp_path),
        context=Context(memory_dir=str(tmp_path), memory_server=memory),
    )
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings)) as client:
        good = {"time": 1_767_000_000, "text": "the user opens a file"}
        raw = {**auth, "Content-Type": "application/json"}
        text = {**auth, "Content-Type": "text/plain"}

        def events(*items: object) -> dict:
            return {"thread": "t", "events": list(items)}

        many = events(*[good] * (MAX_EVENTS + 1))
        cases = [
            (client.post("/events", content=b"{", headers=raw), 400, "not JSON"),
            (client.post("/events", content=b"thread=x", headers=text), 415, "JSON"),
            (client.post("/events", json=[1], headers=auth), 400, "object"),
            (client.post("/events", json={"thread": "", "events": [good]}, headers=auth), 400,
             "'thread'"),
            (client.post("/events", json=events(), headers=auth), 400, "'events'"),
            (client.post("/events", json=events(good, {"time": "soon"}), headers=auth), 400,
             "events[1]"),
            (client.post("/events", json=many, headers=auth), 413, "at most"),
            (client.get("/memory", headers=auth), 400, "query"),
            (client.get("/memory?q=x&k=0", headers=auth), 400, "k must"),
            (client.get("/threads", headers={"Authorization": "Basic abc"}), 401, "Bearer"),
            (client.post("/proposals/none/answer", json={"answer": {}}, headers=auth), 404,
             "no thread"),
        ]  # fmt: skip
        for response, status, reason in cases:
            assert response.status_code == status, response.text
            assert reason in response.json()["error"]
        assert client.get("/threads", headers=auth).json()["threads"] == []  # nothing appended

    # The database down: 503, and a JSON reason.
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/none"
    down = ServiceSettings(db=closed, data_dir=str(tmp_path), context=settings.context)
    with TestClient(create_app(down)) as client:
        response = client.post("/events", json={"thread": "t", "events": [good]}, headers=auth)
        assert response.status_code == 503
        assert "database is unavailable" in response.json()["error"]
        assert client.get("/health").status_code == 503


def test_a_memory_server_that_goes_away_is_waited_for_and_no_event_is_lost(
    servers: tuple[str, str], tmp_path: Path
) -> None:
    import psycopg

    from service.worker import ingest
    from tests.test_workers import committed

    base_db, _ = servers
    with psycopg.connect(base_db, autocommit=True) as conn:
        conn.execute("CREATE DATABASE memorygone")
    db = base_db.rsplit("/", 1)[0] + "/memorygone"
    events = stream("dee")
    ingest(db, "dee", "dee-notes", events)
    with chroma_server() as memory:
        worker = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "worker", "--db", db, "--memory", memory,
             "--data-dir", str(tmp_path), "--poll", "0.1", "--until-idle"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while committed(db) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert committed(db) >= 5
    # The server is gone for good: the worker waits (it does not exit) and says why.
    time.sleep(3)
    assert worker.poll() is None
    at_stop = committed(db)
    worker.send_signal(signal.SIGTERM)  # an operator stops it during the outage
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0 and "Traceback" not in err, err
    assert "the memory server is unavailable" in out and "waiting, retry" in out, out
    assert "1 outages waited out" in out
    assert committed(db) == at_stop < len(events)
    with psycopg.connect(db) as conn:
        kept = conn.execute("SELECT count(*) FROM proactive_events").fetchone()[0]
    assert kept == len(events)  # every event waits in the inbox for the next worker


def test_watch_sends_activitywatch_events_to_the_worker_host_once(
    servers: tuple[str, str],
    aw_server: str,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:

    from tests.test_activitywatch import FIRST

    with worker_host(servers, "watchto", tmp_path / "host") as host:
        db, base = host.db, host.base
        token = new_token(db, "eve")
        send = ("watch", "--aw", aw_server, "--once", "--to", base, "--thread", "eve-desk")
        first = proactive(*send, "--token", token)
        assert first.returncode == 0, first.stderr
        _, threads = call(base, "GET", "/threads", token)
        [thread] = threads["threads"]
        assert (thread["thread"], thread["received"]) == ("eve-desk", len(FIRST))
        again = proactive(*send, "--token", token)  # a restart sends nothing twice
        assert again.returncode == 0 and "sent 0 events" in again.stdout, again.stdout
        assert call(base, "GET", "/threads", token)[1]["threads"][0]["received"] == len(FIRST)

        wrong = proactive(*send, "--token", token[:-3] + "abc")
        assert wrong.returncode == 2
        assert wrong.stderr.strip() == f"error: {base} answered 401: the token is wrong"
        missing = proactive(*send)
        assert missing.returncode == 2 and "needs your token" in missing.stderr
        other = proactive(*send, "--token", new_token(db, "fay"))
        assert other.returncode == 2 and "belongs to another user" in other.stderr
        unreachable = proactive(*send[:-4], "--to", f"http://127.0.0.1:{free_port()}",
                                "--thread", "x", "--token", token)  # fmt: skip
        assert unreachable.returncode == 2 and "cannot reach" in unreachable.stderr
        assert "Traceback" not in unreachable.stderr + other.stderr + wrong.stderr
