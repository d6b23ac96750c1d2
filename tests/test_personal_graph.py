"""The personal model in the live graph: learned from every answer, kept with the user's memory
across processes, shown and forgotten, rebuilt when corrupt, and a new user is the global model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backends.local import load_models
from cli.main import main
from cli.runner import step
from graphs.agent import build_graph
from graphs.context import Context
from memory import open_memory
from memory.profile import open_profiles, remembered
from tests.conftest import ROOT

SCENARIO = [
    json.loads(line)
    for line in (ROOT / "cli" / "scenarios" / "coding.jsonl").read_text().splitlines()
]


def event(i: int) -> dict:
    item = SCENARIO[i % len(SCENARIO)]
    return {"time": item["time"] + 3600 * (i // len(SCENARIO)), "text": item["event"]}


def context(directory: Path, user: str, **changes: object) -> Context:
    settings = {"need_threshold": 0.0, "feedback_mode": "human", "max_refinements": 0}
    return Context(memory_dir=str(directory), user_id=user, **(settings | changes))


def profile_of(directory: Path, user: str):
    store = open_profiles(str(directory))
    return store.load(user, load_models().personal, remembered(open_memory(str(directory))))[0]


def play(directory: Path, user: str, answers: list, **changes: object) -> list[dict]:
    """Feed scenario events, answering each review with the next answer; returns the states."""
    graph = build_graph()
    ctx = context(directory, user, **changes)
    queue = list(answers)
    states = []
    for i in range(len(answers) * 3):
        if not queue:
            break
        report = step(
            graph, event(i), thread=f"{user}-t", context=ctx, answer=lambda _: queue.pop(0)
        )
        states.append(report.values)
    assert not queue, "the agent proposed fewer times than there were answers"
    return states


def test_every_kind_of_answer_teaches_the_profile(tmp_path: Path) -> None:
    answers = [
        "accept",
        {"answer": "reject", "reason": "no"},
        "ignore",
        {"answer": "edit", "task": "Fix it"},
    ]
    play(tmp_path, "ana", answers, personal_target_f1=0.0, ignore_cooldown=0)
    profile = profile_of(tmp_path, "ana")
    assert profile.counts() == {"accept": 1, "edit": 1, "reject": 1, "ignore": 1}
    assert [a.answer for a in profile.answers] == ["accept", "reject", "ignore", "edit"]
    assert all(0.0 <= a.p_accept <= 1.0 and 0.0 <= a.p_silence <= 1.0 for a in profile.answers)


def test_accepting_and_refusing_people_drift_apart(tmp_path: Path) -> None:
    play(tmp_path, "yes", ["accept"] * 4, personal_target_f1=0.0)
    play(tmp_path, "no", [{"answer": "reject"}] * 4, personal_target_f1=0.0)
    assert profile_of(tmp_path, "yes").bias > 0.5 > -0.5 > profile_of(tmp_path, "no").bias


def test_a_new_user_is_the_global_model(tmp_path: Path) -> None:
    """With no answers yet, learning on decides exactly as learning off (the global model)."""
    graph = build_graph()
    for i in range(len(SCENARIO)):
        runs = []
        for learn in (True, False):
            ctx = context(tmp_path, f"new-{i}-{learn}", learn_from_feedback=learn)
            result = graph.invoke(
                {"event": event(i)}, {"configurable": {"thread_id": f"{i}-{learn}"}}, context=ctx
            )
            draft = result["draft"]
            runs.append((result["status"], draft and (draft.task, draft.personal)))
        assert runs[0] == runs[1], i


def test_learning_off_leaves_no_profile(tmp_path: Path) -> None:
    play(tmp_path, "off", ["accept", "accept"], personal_target_f1=0.0, learn_from_feedback=False)
    assert profile_of(tmp_path, "off").answers == []
    assert not (tmp_path / "profiles").exists() or not list((tmp_path / "profiles").iterdir())


PROCESS = """
import json, sys
from cli.runner import step
from graphs.agent import build_graph
from graphs.context import Context
directory, user, answer, count, start = sys.argv[1:6]
ctx = Context(memory_dir=directory, user_id=user, feedback_mode="human", need_threshold=0.0,
              max_refinements=0)
lines = open("cli/scenarios/coding.jsonl").read().splitlines()
graph = build_graph()
statuses = []
for i in range(int(start), int(start) + int(count)):
    e = json.loads(lines[i % len(lines)])
    r = step(graph, {"time": e["time"], "text": e["event"]}, thread=user, context=ctx,
             answer=lambda _: {"answer": answer, "reason": "not now"})
    statuses.append(r.values["status"])
print(json.dumps(statuses))
"""


def run_process(*args: object) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROCESS, *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_what_a_person_taught_survives_a_restart(tmp_path: Path) -> None:
    """One process hears many refusals; a new process for the same person keeps quiet where a
    new person is offered help."""
    first = run_process(tmp_path, "refuser", "reject", 10, 0)
    assert "gave_up" in first  # they were asked, and refused
    later = run_process(tmp_path, "refuser", "reject", 6, 10)
    fresh = run_process(tmp_path, "newcomer", "accept", 6, 10)
    assert later.count("silent") > fresh.count("silent")
    assert profile_of(tmp_path, "refuser").bias < -1.0


def test_profile_show_and_forget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    play(tmp_path, "bo", ["accept", {"answer": "reject"}], personal_target_f1=0.0)
    data = ["--data-dir", str(tmp_path)]
    assert main(["profile", "show", "--user", "bo", *data, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["answers"] == 2 and shown["counts"]["reject"] == 1
    assert main(["profile", "list", *data, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["users"] == ["bo"]

    assert main(["profile", "show", "--user", "nobody", *data]) == 2
    err = capsys.readouterr().err
    assert "no profile or remembered answers for user 'nobody'" in err and "'bo'" in err

    assert main(["profile", "forget", "--user", "bo", *data, "--json"]) == 0
    forgot = json.loads(capsys.readouterr().out)
    assert forgot == {"user": "bo", "profile_deleted": True, "answers_deleted": 2}
    assert profile_of(tmp_path, "bo").answers == []
    assert open_memory(str(tmp_path)).recent_feedback(user="bo") == []
    assert main(["profile", "show", "--user", "bo", *data]) == 2
    capsys.readouterr()
    # Events stay remembered unless --all.
    assert open_memory(str(tmp_path)).count(user="bo", kind="event") > 0


def test_a_corrupt_profile_is_reported_and_rebuilt_from_memory(tmp_path: Path) -> None:
    play(tmp_path, "cy", ["accept", {"answer": "reject"}, "accept"], personal_target_f1=0.0)
    path = open_profiles(str(tmp_path)).path("cy")
    path.write_text('{"kind": "proactive-profile", "answers": [', encoding="utf-8")
    graph = build_graph()
    ctx = context(tmp_path, "cy", personal_target_f1=0.0)
    report = step(graph, event(5), thread="cy-t", context=ctx, answer=lambda _: "accept")
    notices = [e for e in report.values["errors"] if "could not be read" in e]
    assert notices and "rebuilt from 3 remembered answers" in notices[0]
    assert any("user profile" in e.text for e in report.values["events"] if e.source == "agent")
    assert len(list(path.parent.glob(path.name + ".corrupt-*"))) == 1  # kept, not deleted
    assert profile_of(tmp_path, "cy").counts() == {"accept": 3, "reject": 1, "edit": 0, "ignore": 0}


def test_a_task_offered_lately_is_not_offered_again(tmp_path: Path) -> None:
    graph = build_graph()
    ctx = context(tmp_path, "dup", personal_target_f1=0.0)
    same = event(5)
    tasks = []
    for i in range(4):
        report = step(
            graph,
            {**same, "time": same["time"] + i},
            thread="dup",
            context=ctx,
            answer=lambda _: "accept",
        )
        tasks.append(report.values["draft"].task)
    assert len(set(tasks)) == 4


def test_the_agent_says_why_it_keeps_quiet(tmp_path: Path) -> None:
    states = play(tmp_path, "quiet", [{"answer": "reject"}] * 5)
    graph = build_graph()
    ctx = context(tmp_path, "quiet")
    later = [
        step(graph, event(i), thread="quiet-t", context=ctx, answer=lambda _: "reject").values
        for i in range(len(states), len(states) + 6)
    ]
    silent = [v for v in later if v["status"] == "silent"]
    assert silent and all(v["decision"].startswith("better silent") for v in silent)
