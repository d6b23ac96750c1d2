"""The environment gym: offline and LLM-driven sessions, resumable runs, exports and every
conditional edge of the gym graph."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from pydantic import ValidationError

from backends.llm import register_chat_model
from graphs.gym import build_gym, graph, route_after_agent, route_after_user
from graphs.state import Draft, Event
from gym import export
from gym.run import run_gym, run_scene, scene_id
from gym.scenes import Scene, load_scenes
from gym.schema import GymContext, GymState, TraceRecord
from nodes.gym.common import MAX_GAP, MIN_GAP, tick
from nodes.gym.executor import choose_operation, operation_name, task_arguments
from nodes.gym.user import next_scripted
from tests.fakes import ScriptedChatModel, agent_json, judge_json

SCENE = {
    "environment": {
        "theme": "Coding",
        "description": "John writes a Ruby script on his workstation.",
        "entities": ["Workstation PC", "Visual Studio Code", "Ruby documentation"],
        "agent_ops": ["doc_search(keyword)", "code_suggest_fix(error_message, code_snippet)"],
        "events_example": [
            "The user starts coding a script named 'CapitalizeName.rb' in Visual Studio Code.",
            "The agent opens the browser and searches for 'Ruby capitalize method syntax'.",
            "The user runs 'ruby CapitalizeName.rb' and sees NoMethodError: undefined method.",
            "The user searches the Ruby documentation for 'String#capitalize'.",
        ],
    },
    "user": {"description": "John, a system administrator.", "goal": "Write a Ruby script."},
}


def context(**kwargs: Any) -> GymContext:
    """Settings with a fresh memory namespace (memory is per process)."""
    return GymContext(user_id=f"test-{uuid.uuid4().hex[:8]}", **kwargs)


def scenes_file(bench_data: Path) -> Path:
    return bench_data / "scenes" / "new_scenes_good.yaml"


def play(scene: Scene, ctx: GymContext) -> tuple[list[str], dict[str, Any]]:
    """Nodes in the order they ran, and the final state."""
    gym = build_gym()
    config: dict[str, Any] = {"configurable": {"thread_id": "t"}, "recursion_limit": 500}
    order = [
        node
        for chunk in gym.stream({"scene": scene}, config, context=ctx, stream_mode="updates")
        for node in chunk
    ]
    return order, gym.get_state(config).values


def by_kind(records: list[TraceRecord], kind: str) -> list[TraceRecord]:
    return [r for r in records if r.kind == kind]


# --- the offline gym on shared scenes ---------------------------------------------------------


def test_offline_run_on_two_shared_scenes_writes_traces_and_training_sets(
    bench_data: Path, tmp_path: Path
) -> None:
    scenes = load_scenes(scenes_file(bench_data))
    progress = io.StringIO()
    summary = run_gym(scenes, tmp_path, context(max_steps=5), limit=2, progress=progress)

    assert [o.status for o in summary.outcomes] == ["done", "done"]
    assert len(progress.getvalue().splitlines()) == 2 and "[2/2]" in progress.getvalue()
    paths = export.trace_paths(tmp_path)
    assert [p.stem for p in paths] == [scene_id(i, s) for i, s in enumerate(scenes[:2])]
    examples = reward = 0
    for path, scene in zip(paths, scenes, strict=False):
        records = export.load_trace(path)
        assert records[0].kind == "scene" and records[0].data["goal"] == scene.user.goal
        assert records[1].kind == "entities"
        assert [e["name"] for e in records[1].data["entities"]] == scene.environment.entities
        assert records[-1].kind == "end"
        events = by_kind(records, "event")
        user_events = [r.data["text"] for r in events if r.data["source"] == "user"]
        # The scripted user plays the scene's own example events, assistant lines skipped.
        scripted = [e for e in scene.environment.events_example if not e.startswith("The agent")]
        assert user_events == scripted[: len(user_events)] and 1 <= len(user_events) <= 5
        times = [r.time for r in events]
        assert all(MIN_GAP <= b - a <= MAX_GAP for a, b in zip(times, times[1:], strict=False))
        # Every proposal was judged; every accepted one became a scene operation.
        judgements = by_kind(records, "judgement")
        assert len(judgements) == len(by_kind(records, "proposal"))
        accepted = [j for j in judgements if j.data["accepted"]]
        ops = by_kind(records, "operation")
        assert len(ops) == len(accepted)
        names = {operation_name(s) for s in scene.environment.agent_ops}
        assert all(o.data["call"].split("(")[0] in names for o in ops)
        assert not by_kind(records, "failure")
        examples += len(by_kind(records, "example"))
        reward += len(judgements)
    assert summary.agent_examples == examples > 0
    assert summary.reward_rows == reward


def test_offline_exports_round_trip_through_their_loaders(bench_data: Path, tmp_path: Path) -> None:
    run_gym(load_scenes(scenes_file(bench_data)), tmp_path, context(max_steps=5), limit=2)
    traces = [export.load_trace(p) for p in export.trace_paths(tmp_path)]

    chats = export.load_agent_train(tmp_path / export.AGENT_TRAIN)
    assert chats == [c for t in traces for c in export.agent_examples(t)]
    for chat in chats:
        assert [m.role for m in chat.messages] == ["system", "user", "assistant"]
        assert list(chat.reply) == ["Purpose", "Thoughts", "Proactive Task", "Response"]
    assert any(c.reply["Proactive Task"] is None for c in chats)

    rows = export.load_reward_train(tmp_path / export.REWARD_TRAIN)
    assert rows == [r for t in traces for r in export.reward_examples(t)]
    raw = export.read_jsonl(tmp_path / export.REWARD_TRAIN)
    for row, parsed in zip(raw, rows, strict=True):
        assert set(row) == {"obs", "pred_task", "accepted", "valid"}  # help_needed unknown
        assert row["obs"][-1]["time"].startswith("Day 1, ") and parsed.accepted == parsed.valid
    # What was accepted is what the chat examples teach.
    taught = {c.reply["Proactive Task"] for c in chats} - {None}
    assert taught == {r.pred_task for r in rows if r.accepted}


def test_loaders_reject_rows_that_are_not_training_examples(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n")
    with pytest.raises(ValidationError):
        export.load_agent_train(bad)
    bad.write_text(json.dumps({"obs": [], "pred_task": None, "accepted": 1}) + "\n")
    with pytest.raises(ValidationError):
        export.load_reward_train(bad)


def test_resume_skips_finished_scenes(bench_data: Path, tmp_path: Path) -> None:
    scenes = load_scenes(scenes_file(bench_data))
    ctx = context(max_steps=2)
    first = run_gym(scenes, tmp_path, ctx, limit=1, progress=io.StringIO())
    done = export.trace_paths(tmp_path)[0]
    before = done.read_bytes()
    done.write_bytes(before)  # the same content, a new modification time to compare with
    stamp = done.stat().st_mtime_ns

    progress = io.StringIO()
    second = run_gym(scenes, tmp_path, ctx, limit=2, progress=progress)
    assert [o.status for o in first.outcomes] == ["done"]
    assert [o.status for o in second.outcomes] == ["skipped", "done"]
    assert "skipped (trace present)" in progress.getvalue().splitlines()[0]
    assert done.stat().st_mtime_ns == stamp and done.read_bytes() == before
    assert len(export.trace_paths(tmp_path)) == 2
    # The training sets cover every trace, the resumed ones included.
    assert second.agent_examples == len(export.load_agent_train(tmp_path / export.AGENT_TRAIN))
    assert second.agent_examples > first.agent_examples
    assert not list((tmp_path / export.TRACES_DIR).glob(".*.tmp"))


def test_one_failing_scene_never_aborts_the_batch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import gym.run as gym_run

    real = gym_run.run_scene

    def flaky(scene: Scene, ctx: GymContext, **kwargs: Any) -> list[TraceRecord]:
        if scene.environment.theme == "Broken":
            raise RuntimeError("the environment caught fire")
        return real(scene, ctx, **kwargs)

    monkeypatch.setattr(gym_run, "run_scene", flaky)
    broken = Scene.model_validate(
        SCENE | {"environment": SCENE["environment"] | {"theme": "Broken"}}
    )
    summary = run_gym(
        [broken, Scene.model_validate(SCENE)],
        tmp_path,
        context(max_steps=2),
        progress=io.StringIO(),
    )
    assert [o.status for o in summary.outcomes] == ["failed", "done"]
    assert "caught fire" in summary.outcomes[0].error
    assert [p.stem for p in export.trace_paths(tmp_path)] == ["001-coding"]  # retried next run


# --- the LLM-driven gym with fake chat models ---------------------------------------------------


class RoleRouter(GenericFakeChatModel):
    """One chat model for the gym's roles: routes each conversation by its system prompt."""

    routes: dict[str, Any]

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:  # noqa: A002
        system = str(input[0].content)
        for marker, model in self.routes.items():
            if system.startswith(marker):
                return model.invoke(input, config, **kwargs)
        raise AssertionError(f"no scripted role for {system[:60]!r}")


def test_llm_run_retries_malformed_replies_and_survives_failures() -> None:
    setup = {
        "entities": [
            {"name": "Visual Studio Code", "status": "closed", "properties": {"tabs": 0}},
            {"name": "Workstation PC", "status": "on"},
        ]
    }
    update = {
        "time": "25:99 tomorrow",  # a model-written time is ignored: the gym keeps its own clock
        "events": [
            "The user opens 'CapitalizeName.rb' in Visual Studio Code.",
            "Visual Studio Code underlines line 3 with a syntax error.",
        ],
        "entity_updates": [{"name": "Visual Studio Code", "status": "open"}],
    }
    environment = ScriptedChatModel(
        ["this is not JSON", json.dumps(setup), json.dumps(update), "{", "[1]", '{"events": []}']
    )
    user = ScriptedChatModel(
        [
            json.dumps({"thought": "start", "action": "The user opens the script.", "at": "??"}),
            "no idea",
            '{"action": 5, "goal_done": "maybe"}',
            "still no JSON",
        ]
    )
    call = {
        "operation": "doc_search",
        "arguments": ["ruby capitalize"],
        "result": "Ruby's String#capitalize documentation opens in the browser.",
        "entity_updates": [{"name": "Ruby documentation", "status": "open"}],
    }
    executor = ScriptedChatModel([json.dumps(call | {"operation": "rm_rf"}), json.dumps(call)])
    roles = RoleRouter(
        messages=iter([]),
        routes={
            "You simulate a work environment.": environment,
            "You play a person": user,
            "You carry out tasks.": executor,
        },
    )
    name = uuid.uuid4().hex[:8]
    register_chat_model(f"gym-{name}", roles)
    task = "Search the Ruby documentation for 'ruby capitalize'."
    register_chat_model(
        f"agent-{name}", ScriptedChatModel([agent_json(task)] + [agent_json(None)] * 9)
    )
    register_chat_model(f"judge-{name}", ScriptedChatModel([judge_json(True)] * 10))
    ctx = context(
        gym_model=f"custom:gym-{name}",
        agent_backend=f"custom:agent-{name}",
        judge_backend=f"custom:judge-{name}",
        max_steps=2,
    )

    order, values = play(Scene.model_validate(SCENE), ctx)
    log: list[TraceRecord] = values["log"]

    # The malformed setup and the operation outside the scene's were retried with the error shown.
    assert "could not be used" in str(environment.seen[1][-1].content)
    assert "rm_rf" in str(executor.seen[1][-2].content)
    assert "could not be used" in str(executor.seen[1][-1].content)
    after_step_1 = {e["name"]: e for e in by_kind(log, "entities")[1].data["entities"]}
    assert after_step_1["Visual Studio Code"] == {
        "name": "Visual Studio Code",
        "status": "open",
        "properties": {"tabs": "0"},
    }
    entities = {e.name: e for e in values["entities"]}
    assert entities["Ruby documentation"].status == "open"  # the operation's effect
    assert entities["Visual Studio Code"].status == "in use"  # the scripted fallback's touch
    # The second user turn and its environment step failed after retries: recorded, and the
    # session went on with the scripted user and environment.
    failures = by_kind(log, "failure")
    assert [f.data["role"] for f in failures] == ["user", "environment"]
    assert all("failed after 3 attempt(s)" in f.data["error"] for f in failures)
    assert len(values["failures"]) == 2
    texts = [(r.data["source"], r.data["text"]) for r in by_kind(log, "event")]
    assert texts[:2] == [("user", update["events"][0]), ("environment", update["events"][1])]
    assert ("user", SCENE["environment"]["events_example"][0]) in texts
    assert (
        "agent",
        f"The assistant ran doc_search('ruby capitalize') for the task: {task}",
    ) in texts
    (operation,) = by_kind(log, "operation")
    assert (
        operation.data["by"] == "model"
        and operation.data["call"] == "doc_search('ruby capitalize')"
    )
    times = [r.time for r in by_kind(log, "event")]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert values["steps"] == 2 and log[-1].data == {"reason": "step budget spent"}
    assert "execute_operation" in order
    # The accepted task is what the agent's training example teaches at that event.
    (first, *rest) = export.agent_examples(log)
    assert first.reply["Proactive Task"] == task
    assert all(c.reply["Proactive Task"] is None for c in rest)
    (row,) = export.reward_examples(log)
    assert row.pred_task == task and row.accepted and len(row.obs) == 1


def test_a_person_answers_through_the_agents_interrupt(tmp_path: Path) -> None:
    payloads: list[dict[str, Any]] = []

    def answer(payload: dict[str, Any]) -> Any:
        payloads.append(payload)
        return "accept" if len(payloads) == 1 else {"answer": "ignore"}

    ctx = context(feedback_mode="human", need_threshold=0.0, max_steps=3)
    records = run_scene(Scene.model_validate(SCENE), ctx, thread="human", answer=answer)

    assert payloads and all(p[0]["action_request"]["action"] == "proactive_task" for p in payloads)
    judgements = by_kind(records, "judgement")
    assert [j.data["by"] for j in judgements] == ["human"] * len(payloads)
    assert judgements[0].data["accepted"] and len(by_kind(records, "operation")) == 1
    with pytest.raises(RuntimeError, match="no answerer"):
        run_scene(Scene.model_validate(SCENE), ctx, thread="nobody")


# --- every conditional edge of the gym graph ----------------------------------------------------


def test_route_after_user_sends_an_action_to_the_environment() -> None:
    assert route_after_user(GymState(activity="The user opens a file.")) == "apply_activity"


def test_route_after_user_ends_when_there_is_no_action() -> None:
    assert route_after_user(GymState(activity=None)) == "__end__"


def test_route_after_agent_executes_an_accepted_task_first() -> None:
    event = Event(time=1, text="The user opens a file.")
    state = GymState(accepted=Draft(task="Explain it."), pending=[event])
    assert route_after_agent(state) == "execute_operation"


def test_route_after_agent_observes_pending_events_then_lets_the_user_act() -> None:
    event = Event(time=1, text="The user opens a file.")
    assert route_after_agent(GymState(pending=[event])) == "agent_observe"
    assert route_after_agent(GymState(pending=[])) == "user_act"


def test_every_conditional_edge_is_taken_in_a_session() -> None:
    ctx = context(need_threshold=0.0, max_steps=10)
    order, values = play(Scene.model_validate(SCENE), ctx)
    pairs = set(zip(order, order[1:], strict=False))
    assert ("user_act", "apply_activity") in pairs
    assert ("agent_observe", "execute_operation") in pairs
    assert ("agent_observe", "agent_observe") in pairs
    assert ("agent_observe", "user_act") in pairs
    assert order[-1] == "user_act"  # → END: the scripted user ran out of actions
    assert values["goal_done"] and values["log"][-1].data == {"reason": "goal done"}


def test_the_step_budget_ends_a_session() -> None:
    order, values = play(Scene.model_validate(SCENE), context(max_steps=1))
    assert order.count("apply_activity") == 1 and order[-1] == "user_act"
    assert not values.get("goal_done") and values["log"][-1].data == {"reason": "step budget spent"}


# --- small pieces -----------------------------------------------------------------------------


def test_clock_advances_deterministically_per_event() -> None:
    assert tick(100.0, "The user types.") == tick(100.0, "The user types.")
    gaps = {tick(0.0, f"event {i}") for i in range(200)}
    assert min(gaps) >= MIN_GAP and max(gaps) <= MAX_GAP and len(gaps) > 20


def test_scripted_user_skips_the_assistants_lines() -> None:
    scene = Scene.model_validate(SCENE)
    line, place = next_scripted(scene, 1)
    assert place == 3 and line.startswith("The user runs")
    assert next_scripted(scene, 4) == (None, 4)


def test_scripted_user_converts_a_scene_told_as_the_agents_actions() -> None:
    lines = ["The agent opens the browser.", "The agent reads an email from Anna."]
    data = SCENE | {"environment": SCENE["environment"] | {"events_example": lines}}
    scene = Scene.model_validate(data)
    assert next_scripted(scene, 0) == ("The user opens the browser.", 1)
    assert next_scripted(scene, 1) == ("The user reads an email from Anna.", 2)
    assert next_scripted(scene, 2) == (None, 2)


def test_offline_executor_picks_the_matching_operation() -> None:
    ops = SCENE["environment"]["agent_ops"]
    task = "Search the docs for 'String#capitalize' with a keyword search."
    signature = choose_operation(task, ops)
    assert signature == "doc_search(keyword)"
    assert task_arguments(task, signature) == ["String#capitalize"]


def test_gym_graph_draws_and_is_served_without_a_checkpointer() -> None:
    mermaid = graph.get_graph().draw_mermaid()
    for node in ("setup_environment", "user_act", "apply_activity", "agent_observe"):
        assert node in mermaid
    assert graph.checkpointer is None
    config = json.loads((Path(__file__).parents[1] / "langgraph.json").read_text())
    assert config["graphs"]["proactive_gym"] == "./graphs/gym.py:graph"


def test_cli_gym_runs_offline_and_reports_bad_input(
    bench_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main

    args = ["gym", "--scenes", str(scenes_file(bench_data)), "--steps", "2", "--limit", "1"]
    assert main([*args, "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "1 scenes: 1 run" in out and "[1/1]" in err
    assert (tmp_path / export.AGENT_TRAIN).exists() and (tmp_path / export.REWARD_TRAIN).exists()
    missing = tmp_path / "missing.yaml"
    assert main(["gym", "--scenes", str(missing), "--out", str(tmp_path)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_the_gym_takes_its_settings_as_a_mapping() -> None:
    """As a `langgraph dev` run passes them."""
    gym = build_gym()
    config: dict[str, Any] = {"configurable": {"thread_id": "m"}, "recursion_limit": 300}
    settings = {"max_steps": 2, "user_id": f"map-{uuid.uuid4().hex[:8]}"}
    values = gym.invoke({"scene": SCENE}, config, context=settings)
    assert values["steps"] == 2 and values["log"][-1].kind == "end"
