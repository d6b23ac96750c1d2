"""`proactive ui`'s app over its HTTP API: the inbox resumes real paused threads, the annotation
tool saves every answer and writes reward rows that train the models; bad input is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from backends.local import load_models
from backends.local.data import read_rows_file
from cli.runner import read_events, run_stream
from graphs.context import Context
from graphs.persistence import build_durable_graph
from tests.conftest import ROOT, proactive
from ui.annotate import AnnotationStore, load_traces
from ui.app import Settings, create_app

SCENARIO = ROOT / "cli" / "scenarios" / "coding.jsonl"
HOSTILE = "The user pastes <script>window.__pwned=1</script><img src=x onerror=alert(1)> in 'x.py'."


def paused(directory: Path, lines: list[str], thread: str = "cli", user: str = "default") -> None:
    """A `proactive run --feedback inbox` stopped at its first proposal."""
    import io

    graph = build_durable_graph(directory)
    context = Context(
        memory_dir=str(directory), feedback_mode="human", user_id=user, personal_target_f1=0.0
    )
    summary = run_stream(
        graph, read_events(lines), thread=thread, context=context, out=io.StringIO(), resume=True
    )
    assert summary.waiting


def client(directory: Path, traces: list[Path] = (), user: str = "default") -> TestClient:
    context = Context(memory_dir=str(directory), feedback_mode="human", user_id=user)
    settings = Settings(
        data_dir=directory,
        context=context,
        traces=load_traces(list(traces)),
        drafter=load_models().drafter,
        allowed_hosts=("testserver",),
    )
    return TestClient(create_app(settings))


def post(api: TestClient, path: str, payload: dict) -> object:
    return api.post(path, json=payload)


def test_the_inbox_resumes_a_paused_thread(tmp_path: Path) -> None:
    paused(tmp_path, SCENARIO.read_text().splitlines()[:3])
    api = client(tmp_path)
    [first] = api.get("/api/pending").json()["pending"]
    assert first["thread"] == "cli" and first["task"] and first["event"]
    rejected = post(
        api,
        "/api/answer",
        {
            "thread": "cli",
            "proposal_id": first["proposal_id"],
            "response": [{"type": "response", "args": "not now"}],
        },
    )
    assert rejected.status_code == 200
    result = rejected.json()
    assert result["proposals"][0]["outcome"] == "reject"
    [second] = result["waiting"]  # the agent refined; its next draft waits
    assert second["task"] != first["task"] and second["round"] == 1
    accepted = post(
        api,
        "/api/answer",
        {"thread": "cli", "proposal_id": second["proposal_id"], "response": [{"type": "accept"}]},
    ).json()
    assert accepted["status"] == "executed" and accepted["executions"]
    assert api.get("/api/pending").json()["pending"] == []
    history = api.get("/api/history").json()
    assert [h["answer"] for h in history["history"][:2]] == ["accept", "reject"]
    assert history["history"][0]["execution"]["summary"]
    assert "assistant-notes.md" in history["files"]
    note = api.get("/files/assistant-notes.md")
    titles = history["history"][0]["execution"]["notes"]
    assert note.status_code == 200 and titles and all(t in note.text for t in titles)


def test_a_bad_answer_is_refused_and_the_thread_stays_paused(tmp_path: Path) -> None:
    paused(tmp_path, SCENARIO.read_text().splitlines()[:1])
    api = client(tmp_path)
    before = api.get("/api/pending").json()["pending"]
    named = before[0]["proposal_id"]
    for payload, message in (
        ({"thread": "cli", "response": [{"type": "maybe"}]}, "type must be accept"),
        ({"thread": "cli", "response": [{"type": "edit", "args": {}}]}, "an edit needs"),
        ({"thread": "nope", "response": "accept"}, "no proposal waits in thread 'nope'"),
        ({"thread": "cli"}, "send the answer as 'response'"),
        ({"thread": "cli", "response": "accept", "proposal_id": None}, "name the proposal"),
    ):
        payload = {"proposal_id": named, **payload}
        reply = post(api, "/api/answer", payload)
        assert reply.status_code == 400 and message in reply.json()["error"], payload
    assert api.get("/api/pending").json()["pending"] == before


def test_requests_from_elsewhere_are_refused(tmp_path: Path) -> None:
    paused(tmp_path, SCENARIO.read_text().splitlines()[:1])
    api = client(tmp_path)
    assert api.get("/api/pending", headers={"host": "evil.example"}).status_code == 400
    named = api.get("/api/pending").json()["pending"][0]["proposal_id"]
    answer = {"thread": "cli", "response": "accept", "proposal_id": named}
    cross = api.post("/api/answer", json=answer, headers={"origin": "http://evil.example"})
    assert cross.status_code == 403
    form = api.post(
        "/api/answer", content=json.dumps(answer), headers={"content-type": "text/plain"}
    )
    assert form.status_code == 415
    assert api.get("/files/../checkpoints.sqlite").status_code == 404
    assert api.get("/files/%2e%2e/checkpoints.sqlite").status_code == 404
    assert len(api.get("/api/pending").json()["pending"]) == 1  # nothing was answered


def test_only_this_users_threads_are_listed(tmp_path: Path) -> None:
    lines = SCENARIO.read_text().splitlines()[:1]
    paused(tmp_path, lines, thread="mine", user="ana")
    paused(tmp_path, lines, thread="theirs", user="bo")
    assert [
        p["thread"] for p in client(tmp_path, user="ana").get("/api/pending").json()["pending"]
    ] == ["mine"]
    [theirs] = client(tmp_path, user="bo").get("/api/pending").json()["pending"]
    reply = post(
        client(tmp_path, user="ana"),
        "/api/answer",
        {"thread": "theirs", "response": "accept", "proposal_id": theirs["proposal_id"]},
    )
    assert reply.status_code == 400


def test_untrusted_event_text_is_data_not_markup(tmp_path: Path) -> None:
    paused(tmp_path, [json.dumps({"time": 1_767_000_000, "event": HOSTILE})])
    api = client(tmp_path)
    page = api.get("/")
    assert page.status_code == 200 and "<script>window.__pwned" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    [item] = api.get("/api/pending").json()["pending"]
    assert "<script>" in item["event"]  # kept as text; the page renders it with textContent


@pytest.mark.data
def test_annotations_are_saved_each_time_and_become_rows(bench_data: Path, tmp_path: Path) -> None:
    trace = bench_data / "test_data" / "code_11.json"
    api = client(tmp_path, [trace])
    traces = api.get("/api/traces").json()["traces"]
    assert traces == [{"name": "code_11", "steps": 15, "answered": 0}]
    step = api.get("/api/step", params={"trace": "code_11", "step": 2}).json()
    assert len(step["events"]) == 3 and 1 <= len(step["candidates"]) <= 5
    n = len(step["candidates"])
    ticks = {
        "ana": [True] + [False] * (n - 1),
        "bo": [True, True] + [False] * (n - 2),
        "cy": [False] * n,
    }
    needs = {"ana": True, "bo": True, "cy": False}
    for who in ticks:
        reply = post(
            api,
            "/api/annotate",
            {
                "annotator": who,
                "trace": "code_11",
                "step": 2,
                "accepted": ticks[who],
                "help_needed": needs[who],
            },
        )
        assert reply.status_code == 200
        saved = api.get(
            "/api/step", params={"trace": "code_11", "step": 2, "annotator": who}
        ).json()
        assert saved["answer"] == {"accepted": ticks[who], "help_needed": needs[who]}
    rows_text = api.get("/api/annotations/rows.jsonl").text
    rows = [json.loads(line) for line in rows_text.splitlines()]
    assert len(rows) == n + 1
    assert rows[0]["annotation"] == [True, True, False] and rows[0]["valid"] is True
    assert rows[1]["annotation"] == [False, True, False] and rows[1]["valid"] is False
    assert rows[-1]["pred_task"] is None and rows[-1]["annotation"] == [False, False, True]
    assert all(r["help_needed"] is True for r in rows)
    path = tmp_path / "rows.jsonl"
    path.write_text(rows_text)
    assert len(read_rows_file(path)) == n + 1  # the project's own reader takes them


@pytest.mark.data
def test_annotation_requests_are_checked(bench_data: Path, tmp_path: Path) -> None:
    api = client(tmp_path, [bench_data / "test_data" / "code_11.json"])
    n = len(api.get("/api/step", params={"trace": "code_11", "step": 0}).json()["candidates"])
    good = {
        "annotator": "ana",
        "trace": "code_11",
        "step": 0,
        "accepted": [False] * n,
        "help_needed": False,
    }
    for change, message in (
        ({"annotator": "../etc"}, "annotator id"),
        ({"trace": "other"}, "no trace 'other'"),
        ({"step": 99}, "step must be 0..14"),
        ({"accepted": [True]}, f"1 ticks for {n} candidate tasks"),
        ({"help_needed": "yes"}, "help_needed must be true or false"),
    ):
        reply = post(api, "/api/annotate", {**good, **change})
        assert reply.status_code in (400, 404) and message in reply.json()["error"], change
    assert not (tmp_path / "annotations").exists() or not list((tmp_path / "annotations").iterdir())


def test_a_trace_file_that_does_not_parse_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"kind": "event", "step": 0, "time": 1, "data": {"text": "ok"}}\n{not json\n')
    done = proactive("ui", "--data-dir", str(tmp_path / "d"), "--traces", str(bad), timeout=60)
    assert done.returncode == 2 and f"{bad}:2: not valid JSON" in done.stderr


def test_the_ui_refuses_other_hosts_unless_asked(tmp_path: Path) -> None:
    done = proactive("ui", "--data-dir", str(tmp_path), "--host", "0.0.0.0", timeout=60)
    assert done.returncode == 2 and "--allow-remote" in done.stderr


@pytest.mark.data
def test_annotated_rows_train_the_models(bench_data: Path, tmp_path: Path) -> None:
    traces = load_traces([bench_data / "test_data" / "code_11.json"])
    store = AnnotationStore(tmp_path / "annotations")
    from ui.annotate import Answer, candidates_at, obs_of

    drafter = load_models().drafter
    for step in range(6):
        tasks = candidates_at(traces["code_11"], step, drafter)
        for who, bias in (("ana", 0), ("bo", 1)):
            store.save(
                who,
                Answer(
                    trace="code_11",
                    step=step,
                    candidates=tasks,
                    accepted=[(k + step + bias) % 3 == 0 for k in range(len(tasks))],
                    help_needed=(step + bias) % 2 == 0,
                    obs=obs_of(traces["code_11"], step),
                ),
            )
    annotated = tmp_path / "annotated.jsonl"
    annotated.write_text("".join(json.dumps(r) + "\n" for r in store.rows()))
    shared = bench_data / "reward_data" / "train_data.jsonl"
    out = tmp_path / "models"
    done = proactive(
        "train",
        "--rows",
        str(shared),
        "--rows",
        str(annotated),
        "--out",
        str(out),
        "--no-cv",
        "--data",
        str(bench_data),
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["data"]["reward_rows_read"] == len(read_rows_file(shared)) + len(store.rows())


def test_an_inbox_run_says_what_it_processed_and_where_the_proposal_waits(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(SCENARIO.read_text().splitlines()[:4]) + "\n")
    data = tmp_path / "data"
    done = proactive(
        "run", "--events", str(events), "--feedback", "inbox", "--threshold", "0",
        "--data-dir", str(data),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [summary] = [line for line in done.stdout.splitlines() if " events: silent at " in line]
    assert summary.startswith("1 events: silent at 0, 1 proposals"), summary
    waiting = done.stdout.split("waiting for your answer to: ", 1)[1].splitlines()[0]
    assert f'A proposal waits for your answer: "{waiting}"' in summary
    assert "proactive ui" in summary and "http://localhost:8765/" in summary


# --- issue 21: the inbox in the order things happened to the person -----------------------


def shifted(lines: list[str], seconds: int) -> list[str]:
    """The scenario's events moved in time (a thread whose events are older or newer)."""
    out = []
    for line in lines:
        item = json.loads(line)
        out.append(json.dumps({**item, "time": item["time"] + seconds}))
    return out


def test_the_latest_proposal_and_the_latest_answer_come_first(tmp_path: Path) -> None:
    """Newest first means the latest asked and the latest answered, whatever the events'
    clocks say: a thread of older events paused (and answered) last comes first."""
    lines = SCENARIO.read_text().splitlines()[:3]
    paused(tmp_path, shifted(lines, 86_400), thread="tomorrow")
    paused(tmp_path, shifted(lines, -86_400), thread="yesterday")
    api = client(tmp_path)
    waiting = api.get("/api/pending").json()["pending"]
    assert [p["thread"] for p in waiting] == ["yesterday", "tomorrow"]
    for item in reversed(waiting):  # "tomorrow" first, then "yesterday"
        answer = {"thread": item["thread"], "proposal_id": item["proposal_id"]}
        post(api, "/api/answer", answer | {"response": [{"type": "ignore"}]})
    history = api.get("/api/history").json()["history"]
    assert [(h["thread"], h["answer"]) for h in history] == [
        ("yesterday", "ignore"),
        ("tomorrow", "ignore"),
    ]


def test_a_thread_s_answers_come_latest_first(tmp_path: Path) -> None:
    """A rejection and the acceptance of the refined proposal: same event, same time; the
    acceptance (given after) is listed first."""
    paused(tmp_path, SCENARIO.read_text().splitlines()[:3])
    api = client(tmp_path)
    [first] = api.get("/api/pending").json()["pending"]
    reply = post(
        api,
        "/api/answer",
        {"thread": "cli", "proposal_id": first["proposal_id"], "response": [{"type": "response"}]},
    ).json()
    [second] = reply["waiting"]
    post(
        api,
        "/api/answer",
        {"thread": "cli", "proposal_id": second["proposal_id"], "response": [{"type": "accept"}]},
    )
    history = api.get("/api/history").json()["history"]
    assert [(h["answer"], h["task"]) for h in history] == [
        ("accept", second["task"]),
        ("reject", first["task"]),
    ]
    assert history[0]["execution"]["ok"]


def test_the_pages_have_an_icon(tmp_path: Path) -> None:
    api = client(tmp_path)
    for path in ("/favicon.ico", "/favicon.svg"):
        reply = api.get(path)
        assert reply.status_code == 200 and reply.headers["content-type"].startswith("image/svg")
        assert reply.text.startswith("<svg")
    assert '<link rel="icon" href="/favicon.svg"' in api.get("/").text
