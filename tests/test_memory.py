"""Memory: what is stored comes back for its user only, once, and survives a new process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from graphs.state import Event, Feedback, MemoryHit
from memory import (
    FeedbackRecord,
    HashingEmbedding,
    MemoryStore,
    collection_name,
    format_hits,
    open_memory,
)

ROOT = Path(__file__).resolve().parent.parent

EVENTS = [
    "The user opens data_analysis.py in Visual Studio Code.",
    "The user types 'import pandas as pd' and reads a CSV file with pd.read_csv.",
    "The user searches the web for 'pandas KeyError when selecting a column'.",
    "The user opens the email client and starts a reply to the project manager.",
    "The user writes the introduction of a blog post about remote work tools.",
]


@pytest.fixture(params=["in-memory", "on-disk-batched"])
def store(request, tmp_path):
    """Each store test runs on an in-memory store (writes go straight to Chroma) and on a disk
    store whose writes all wait in its batch (so every read also covers the pending writes)."""
    memory = MemoryStore() if request.param == "in-memory" else MemoryStore(tmp_path, batch=10_000)
    yield memory
    memory.close()


def event(i: int, text: str | None = None) -> Event:
    return Event(time=1_700_000_000 + 60 * i, text=text or EVENTS[i])


def fill(memory: MemoryStore, user: str = "ana", thread: str = "t1") -> None:
    for i in range(len(EVENTS)):
        memory.add_event(user=user, thread=thread, index=i, event=event(i))


# -- the embedding -----------------------------------------------------------------------------


def test_embedding_is_deterministic_normalised_and_nonzero():
    embedding = HashingEmbedding()
    first = embedding(["The user opens a file", "!!!"])
    again = HashingEmbedding()(["The user opens a file", "!!!"])
    assert len(first[0]) == embedding.dim
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
        assert np.linalg.norm(a) == pytest.approx(1.0, abs=1e-5)


def test_embedding_puts_related_sentences_closer():
    embedding = HashingEmbedding()
    query, near, far = embedding(
        [
            "pandas read_csv KeyError",
            "The user reads a CSV file with pandas read_csv",
            "The user replies to an email from the manager",
        ]
    )
    assert float(query @ near) > float(query @ far)


def test_embedding_config_roundtrip():
    embedding = HashingEmbedding(dim=256, char_weight=0.5)
    rebuilt = HashingEmbedding.build_from_config(embedding.get_config())
    assert rebuilt.get_config() == embedding.get_config()
    np.testing.assert_array_equal(embedding(["a b c"])[0], rebuilt(["a b c"])[0])


# -- store and search --------------------------------------------------------------------------


def test_empty_store_finds_nothing(store):
    assert store.search(user="ana", query="pandas") == []
    assert store.count(user="ana") == 0
    assert store.recent_feedback(user="ana") == []


def test_add_then_search_returns_the_closest_event_first(store):
    fill(store)
    hits = store.search(user="ana", query="pandas KeyError column", k=3)
    assert len(hits) == 3
    assert all(isinstance(hit, MemoryHit) and hit.kind == "event" for hit in hits)
    assert "KeyError" in hits[0].text
    assert [hit.distance for hit in hits] == sorted(hit.distance for hit in hits)
    assert hits[0].metadata["thread"] == "t1"
    assert hits[0].metadata["index"] == 2
    assert hits[0].metadata["time"] == event(2).time


def test_k_larger_than_the_store_returns_what_there_is(store):
    store.add_event(user="ana", thread="t1", index=0, event=event(0))
    assert len(store.search(user="ana", query="anything", k=50)) == 1


def test_another_users_memories_never_come_back(store):
    fill(store, user="ana")
    store.add_event(user="bob", thread="t1", index=0, event=event(0, "Bob edits his tax return."))
    for query in EVENTS + ["tax return"]:
        ana = store.search(user="ana", query=query, k=10)
        bob = store.search(user="bob", query=query, k=10)
        assert all("Bob" not in hit.text for hit in ana)
        assert [hit.text for hit in bob] == ["Bob edits his tax return."]
    assert store.count(user="ana") == len(EVENTS)
    assert store.count(user="bob") == 1
    assert store.search(user="carol", query="pandas") == []


def test_two_in_memory_stores_are_isolated():
    first, second = MemoryStore(), MemoryStore()
    try:
        fill(first)
        assert first.count(user="ana") == len(EVENTS)
        assert second.count(user="ana") == 0
        assert second.search(user="ana", query="pandas") == []
        second.add_event(user="ana", thread="t1", index=0, event=event(0, "Only in the second."))
        assert first.search(user="ana", query="Only in the second", k=10)[0].text != (
            "Only in the second."
        )
        assert second.count(user="ana") == 1
    finally:
        first.close()
        second.close()


def test_re_adding_the_same_event_does_not_duplicate(store):
    fill(store)
    fill(store)
    store.add_events(user="ana", thread="t1", events=[event(i) for i in range(len(EVENTS))])
    assert store.count(user="ana") == len(EVENTS)
    hits = store.search(user="ana", query=EVENTS[0], k=10)
    assert len({hit.text for hit in hits}) == len(hits)


def test_same_index_in_another_thread_is_another_event(store):
    store.add_event(user="ana", thread="t1", index=0, event=event(0))
    store.add_event(user="ana", thread="t2", index=0, event=event(1))
    assert store.count(user="ana") == 2
    assert store.count(user="ana", thread="t2") == 1
    hits = store.search(user="ana", query=EVENTS[0], thread="t2")
    assert [hit.text for hit in hits] == [EVENTS[1]]


def test_add_events_in_one_write(store):
    store.add_events(user="ana", thread="t1", events=[event(i) for i in range(3)], start=10)
    hits = store.search(user="ana", query=EVENTS[1], k=1)
    assert hits[0].metadata["index"] == 11


def test_feedback_is_stored_searchable_and_recent_first(store):
    fill(store)
    answers = [
        Feedback(answer="reject", task="Explain pandas", kind="explain", reason="I know", time=100),
        Feedback(answer="accept", task="Fix the KeyError", kind="fix_error", time=300),
        Feedback(answer="edit", task="Draft", kind="draft_text", edited_task="Short", time=200),
    ]
    for feedback in answers:
        store.add_feedback(user="ana", thread="t1", feedback=feedback, time=feedback.time)
    recent = store.recent_feedback(user="ana")
    assert all(isinstance(record, FeedbackRecord) for record in recent)
    assert [record.time for record in recent] == [300.0, 200.0, 100.0]
    assert recent[0].feedback == answers[1]
    assert recent[1].feedback.edited_task == "Short"
    assert recent[2].feedback.reason == "I know"
    assert recent[2].thread == "t1"
    assert [r.time for r in store.recent_feedback(user="ana", limit=2)] == [300.0, 200.0]
    assert store.count(user="ana", kind="feedback") == 3

    hits = store.search(user="ana", query="explain pandas", kinds=["feedback"])
    assert {hit.kind for hit in hits} == {"feedback"}
    rejected = next(hit for hit in hits if hit.metadata["answer"] == "reject")
    assert rejected.text == "Rejected proposal (kind explain): Explain pandas. Reason: I know."
    assert rejected.metadata["kind"] == "explain"
    assert rejected.metadata["task"] == "Explain pandas"


def test_replayed_feedback_is_not_duplicated(store):
    feedback = Feedback(answer="reject", task="Explain pandas", kind="explain")
    for _ in range(3):
        store.add_feedback(user="ana", thread="t1", feedback=feedback, time=100.0)
    assert len(store.recent_feedback(user="ana")) == 1


def test_executions_and_kind_filters(store):
    fill(store)
    store.add_execution(
        user="ana",
        thread="t1",
        task="Fix the KeyError",
        kind="fix_error",
        summary="Renamed the column",
        time=500.0,
    )
    assert store.count(user="ana", kind="execution") == 1
    only = store.search(user="ana", query="KeyError", kinds={"execution"})
    assert [hit.kind for hit in only] == ["execution"]
    assert only[0].metadata["summary"] == "Renamed the column"
    mixed = store.search(user="ana", query="KeyError", k=10, kinds=["event", "execution"])
    assert {hit.kind for hit in mixed} == {"event", "execution"}


def test_searcher_formats_hits_for_a_tool(store):
    fill(store)
    search = store.searcher(user="ana", k=2)
    text = search("pandas KeyError")
    assert text.count("\n") == 1 and "KeyError" in text and "[event, thread t1" in text
    assert format_hits([]) == ""
    assert store.searcher(user="nobody")("x") == ""


def test_forget_user(store):
    fill(store)
    store.forget_user(user="ana")
    assert store.count(user="ana") == 0


# -- names and bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "user",
    ["a", "ana", "Ana", "a.b", "a/b", "a b", "..", "192.168.0.1", "名前", "-x-", "x" * 2000, "_"],
)
def test_collection_names_are_valid_and_distinct(user):
    name = collection_name(user)
    assert 3 <= len(name) <= 512
    assert name[0].isalnum() and name[-1].isalnum()
    assert all(ch.isalnum() and ch.isascii() or ch in "-_" for ch in name)
    assert ".." not in name


def test_similar_user_ids_get_different_collections(store):
    users = ["a.b", "a/b", "a b", "a-b", "A-B", "x" * 600, "x" * 601]
    assert len({collection_name(user) for user in users}) == len(users)
    for i, user in enumerate(users):
        store.add_event(user=user, thread="t", index=0, event=event(0, f"event of user {i}"))
    for i, user in enumerate(users):
        assert [hit.text for hit in store.search(user=user, query="event", k=10)] == [
            f"event of user {i}"
        ]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.add_event(user="", thread="t", index=0, event=event(0)), "user"),
        (lambda s: s.add_event(user=3, thread="t", index=0, event=event(0)), "user"),
        (lambda s: s.add_event(user="ana", thread=" ", index=0, event=event(0)), "thread"),
        (lambda s: s.add_event(user="ana", thread="t", index=-1, event=event(0)), "index"),
        (lambda s: s.add_event(user="ana", thread="t", index=True, event=event(0)), "index"),
        (lambda s: s.add_event(user="ana", thread="t", index=0, event="text"), "event"),
        (lambda s: s.add_event(user="ana", thread="t", index=0, event={"text": ""}), "event"),
        (
            lambda s: s.add_events(user="ana", thread="t", events=[event(0), {"time": 1}]),
            "events[1]",
        ),
        (
            lambda s: s.add_feedback(user="ana", thread="t", feedback={"answer": "maybe"}, time=1),
            "feedback",
        ),
        (
            lambda s: s.add_feedback(
                user="ana", thread="t", feedback=Feedback(answer="accept", task="x"), time="soon"
            ),
            "time",
        ),
        (
            lambda s: s.add_execution(
                user="ana", thread="t", task="", kind="k", summary="", time=1
            ),
            "task",
        ),
        (lambda s: s.search(user="ana", query=""), "query"),
        (lambda s: s.search(user="ana", query="x", k=0), "k"),
        (lambda s: s.search(user="ana", query="x", kinds=["events"]), "kinds"),
        (lambda s: s.search(user="ana", query="x", kinds=[]), "kinds"),
        (lambda s: s.recent_feedback(user="ana", limit=0), "limit"),
        (lambda s: s.count(user="ana", kind="note"), "kind"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_field_and_loses_nothing(store, call, field):
    fill(store)
    with pytest.raises(ValueError, match=rf"^{re.escape(field)}[ :]"):
        call(store)
    assert store.count(user="ana") == len(EVENTS)
    assert store.search(user="ana", query=EVENTS[0], k=1)[0].text == EVENTS[0]


def test_closed_store_refuses_calls():
    memory = MemoryStore()
    memory.close()
    with pytest.raises(RuntimeError, match="closed"):
        memory.count(user="ana")


# -- persistence -------------------------------------------------------------------------------


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_memory_on_disk_survives_a_new_process(tmp_path):
    path = tmp_path / "memory"
    run_python(
        f"""
        from graphs.state import Event, Feedback
        from memory import open_memory
        store = open_memory({str(path)!r})
        store.add_event(user="ana", thread="t1", index=0,
                        event=Event(time=1, text="The user fixes a pandas KeyError."))
        rejected = Feedback(answer="reject", task="Explain pandas", kind="explain")
        store.add_feedback(user="ana", thread="t1", time=2.0, feedback=rejected)
        print("written")
        """
    )
    found = run_python(
        f"""
        import json
        from memory import open_memory
        store = open_memory({str(path)!r})
        hits = store.search(user="ana", query="pandas KeyError", k=5)
        recent = store.recent_feedback(user="ana")
        print(json.dumps({{"texts": [h.text for h in hits], "count": store.count(user="ana"),
                          "feedback": [r.feedback.task for r in recent]}}))
        """
    )
    result = json.loads(found)
    assert result["count"] == 2
    assert result["texts"][0] == "The user fixes a pandas KeyError."
    assert result["feedback"] == ["Explain pandas"]


def test_a_new_process_can_open_the_collection_with_chroma_alone_after_importing_memory(tmp_path):
    path = tmp_path / "memory"
    store = MemoryStore(path)
    store.add_event(user="ana", thread="t1", index=0, event=event(0))
    store.flush()  # writes reach Chroma in batches: another process reading Chroma needs them there
    name = collection_name("ana")
    out = run_python(
        f"""
        import chromadb
        import memory  # registers the embedding Chroma stored with the collection
        collection = chromadb.PersistentClient({str(path)!r}).get_collection({name!r})
        print(collection.query(query_texts=["Visual Studio Code"], n_results=1)["documents"][0][0])
        """
    )
    assert out == EVENTS[0]


def test_open_memory_gives_one_store_per_directory(tmp_path):
    first = open_memory(tmp_path / "m")
    assert open_memory(str(tmp_path / "m")) is first
    assert open_memory(tmp_path / "m" / ".." / "m") is first
    assert open_memory(tmp_path / "other") is not first
    assert open_memory(None) is open_memory(None)
    assert open_memory(None) is not first


def test_bad_paths_are_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="path"):
        MemoryStore(tmp_path / "file")
    with pytest.raises(ValueError, match="path"):
        open_memory("  ")


# -- batched writes and their journal -----------------------------------------------------------


def test_writes_wait_in_a_journal_and_reach_chroma_in_batches(tmp_path):
    from memory.journal import JOURNAL_FILE, WriteJournal

    store = MemoryStore(tmp_path, batch=4)
    for i in range(3):
        store.add_event(user="ana", thread="t1", index=i, event=event(i))
    journal = WriteJournal(tmp_path / JOURNAL_FILE)
    assert len(journal.pending()) == 3  # committed to the journal, not yet in Chroma
    assert store._collection("ana", create=False).collection.count() == 0
    assert store.search(user="ana", query=EVENTS[1], k=1)[0].text == EVENTS[1]
    store.add_event(user="ana", thread="t1", index=3, event=event(3))  # the batch is full
    assert journal.pending() == []
    assert store._collection("ana", create=False).collection.count() == 4
    store.close()


def test_a_rewritten_record_comes_back_once_with_its_latest_text(tmp_path):
    store = MemoryStore(tmp_path, batch=100)
    store.add_event(user="ana", thread="t1", index=0, event=event(0))
    store.flush()
    store.add_event(user="ana", thread="t1", index=0, event=event(0, "The user renames notes.md."))
    hits = store.search(user="ana", query="renames notes.md", k=5)
    assert [h.text for h in hits] == ["The user renames notes.md."]
    assert store.count(user="ana") == 1
    store.close()


def test_pending_writes_of_a_killed_process_are_stored_once_by_the_next_store(tmp_path):
    path = tmp_path / "memory"
    code = f"""
        import os
        from graphs.state import Event, Feedback
        from memory import MemoryStore
        store = MemoryStore({str(path)!r}, batch=1000)
        events = {EVENTS!r}
        for i, text in enumerate(events):
            store.add_event(user="ana", thread="t1", index=i, event=Event(time=60 * i, text=text))
        store.add_feedback(
            user="ana", thread="t1", time=500.0,
            feedback=Feedback(answer="reject", task="Open the docs", kind="search", event_index=2),
        )
        print("written", flush=True)
        os.kill(os.getpid(), 9)  # no flush, no exit handlers
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == -9 and done.stdout.strip() == "written"
    store = MemoryStore(path)
    assert store.count(user="ana", kind="event") == len(EVENTS)
    assert store.count(user="ana", kind="feedback") == 1
    assert store.recent_feedback(user="ana")[0].feedback.task == "Open the docs"
    assert store.search(user="ana", query=EVENTS[2], k=1)[0].text == EVENTS[2]
    store.close()
    again = MemoryStore(path)  # the journal was emptied: replaying twice stores nothing twice
    assert again.count(user="ana") == len(EVENTS) + 1
    again.close()


def test_batch_must_be_a_positive_integer(tmp_path):
    for bad in (0, -1, 1.5, True, "8"):
        with pytest.raises(ValueError, match="batch"):
            MemoryStore(tmp_path, batch=bad)
