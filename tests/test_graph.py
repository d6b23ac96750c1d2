"""The agent graph: every node, every conditional edge, human feedback, and model failures."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from langgraph.types import Command

from backends.llm import register_chat_model
from graphs.agent import (
    build_graph,
    route_after_detect,
    route_after_draft,
    route_after_feedback,
    route_after_refine,
)
from graphs.context import Context
from graphs.state import Draft, Event, State, ToolCall
from nodes.execute import execution_events, on_record
from tests.fakes import ScriptedChatModel, agent_json, judge_json

_names = itertools.count()

CODING = [
    "The user opens 'report.py' in Visual Studio Code.",
    "The user runs 'python report.py' and the terminal shows \"ValueError: could not convert "
    "string to float: 'N/A'\".",
    "The user searches on Google for 'pandas to_numeric ignore N/A values'.",
]


def event(i: int, text: str | None = None, source: str = "user") -> dict[str, Any]:
    return {
        "time": 1_767_000_000 + 30 * i,
        "text": text or CODING[i % len(CODING)],
        "source": source,
    }


def scripted(replies: list[str]) -> tuple[str, ScriptedChatModel]:
    """Register a scripted chat model; returns its backend setting and the model."""
    name = f"scripted-{next(_names)}"
    model = ScriptedChatModel(replies)
    register_chat_model(name, model)
    return f"custom:{name}", model


def run(graph: Any, ev: dict[str, Any], ctx: Context, thread: str = "t") -> dict[str, Any]:
    return graph.invoke({"event": ev}, {"configurable": {"thread_id": thread}}, context=ctx)


@pytest.fixture
def ctx(tmp_path: Any) -> Context:
    """Settings with an on-disk memory of this test's own."""
    return Context(memory_dir=str(tmp_path / "memory"), user_id="tester")


# --- routes, one test per branch ---------------------------------------------------------


def test_route_after_detect_both_branches() -> None:
    assert route_after_detect(State(needs_help=True)) == "draft"
    assert route_after_detect(State(needs_help=False)) == "__end__"


def test_route_after_draft_both_branches() -> None:
    assert route_after_draft(State(draft=Draft(task="Explain X", kind="explain"))) == "feedback"
    assert route_after_draft(State(draft=None)) == "__end__"


@pytest.mark.parametrize(
    ("status", "route"),
    [
        ("accepted", "execute"),
        ("edited", "execute"),
        ("rejected", "refine"),
        ("gave_up", "__end__"),
        ("ignored", "__end__"),
        ("failed", "__end__"),
    ],
)
def test_route_after_feedback_every_branch(status: str, route: str) -> None:
    assert route_after_feedback(State(status=status)) == route


def test_route_after_refine_both_branches() -> None:
    assert route_after_refine(State(draft=Draft(task="Summarise", kind="summarise"))) == "feedback"
    assert route_after_refine(State(draft=None)) == "__end__"


# --- the graph end to end, each edge taken ---------------------------------------------------


def test_no_need_ends_silently(ctx: Context) -> None:
    graph = build_graph()
    ctx.need_threshold = 1.0  # nothing reaches certainty: the detector keeps quiet
    out = run(graph, event(1), ctx)
    assert out["status"] == "silent"
    assert out["proposals"] == []
    assert out["need"] < 1.0


def test_accepted_draft_is_executed_and_recorded(ctx: Context) -> None:
    graph = build_graph()
    judge, _ = scripted([judge_json(True, "useful now")])
    ctx.need_threshold, ctx.judge_backend = 0.0, judge
    out = run(graph, event(1), ctx)
    assert out["status"] == "executed"
    [proposal] = out["proposals"]
    assert proposal.outcome == "accept" and proposal.round == 0
    [execution] = out["executions"]
    # A plan may look for a file that is not there (a refused read); its result is written.
    assert execution.ok and execution.calls and execution.calls[-1].ok
    agent_events = [e for e in out["events"] if e.source == "agent"]
    # Each call that changed something, then one closing event naming the reads.
    acting = [c for c in execution.calls if on_record(c)]
    assert len(agent_events) == len(acting) + 1
    assert agent_events[-1].text.startswith(execution.summary)
    reads = [c.tool for c in execution.calls if not on_record(c) and c.ok]
    assert all(name in agent_events[-1].text for name in reads)
    assert (ctx_workspace(ctx) / "assistant-notes.md").exists() or any(
        c.tool == "write_file" for c in execution.calls
    )


def test_a_long_execution_leaves_the_persons_events_in_the_window(ctx: Context) -> None:
    """Twenty reads become one closing event: the 64-event window keeps the person's own."""
    calls = [ToolCall(tool="read_lines", args={"path": f"f{i}.py"}) for i in range(20)]
    calls.append(ToolCall(tool="read_file", args={"file_path": "/etc/passwd"}, ok=False))
    missing = "Error: mod_1.py does not exist under the project root"
    calls.append(ToolCall(tool="read_lines", args={"path": "mod_1.py"}, output=missing, ok=False))
    calls.append(ToolCall(tool="write_note", args={"title": "t", "body": "b"}))
    records = execution_events(calls, "Done.", 5.0)
    assert [r.text.split(" ")[3] for r in records[:-1]] == ["read_file", "write_note"]
    assert "(refused:" in records[0].text
    assert records[-1].text == "Done. (read with: read_lines x20) (not found: mod_1.py)"
    assert all(r.source == "agent" and r.time == 5.0 for r in records)


def ctx_workspace(ctx: Context) -> Any:
    from nodes.common import workspace

    return workspace(ctx)


def test_rejected_then_refined_draft_differs_and_is_accepted(ctx: Context) -> None:
    graph = build_graph()
    judge, _ = scripted([judge_json(False, "not this"), judge_json(True, "better")])
    ctx.need_threshold, ctx.judge_backend = 0.0, judge
    out = run(graph, event(1), ctx)
    first, second = out["proposals"]
    assert (first.outcome, second.outcome) == ("reject", "accept")
    assert second.round == 1 and second.task != first.task and second.kind != first.kind
    assert out["status"] == "executed"


def test_rejection_at_the_bound_gives_up_quietly(ctx: Context) -> None:
    graph = build_graph()
    judge, _ = scripted([judge_json(False)] * 3)
    ctx.need_threshold, ctx.judge_backend, ctx.max_refinements = 0.0, judge, 1
    out = run(graph, event(1), ctx)
    assert [p.outcome for p in out["proposals"]] == ["reject", "reject"]
    assert out["status"] == "gave_up"
    assert out["executions"] == []


def test_refine_ends_when_the_agent_has_nothing_new(ctx: Context) -> None:
    graph = build_graph()
    agent, _ = scripted(
        [agent_json("Explain the ValueError"), agent_json("Explain the ValueError")]
    )
    judge, _ = scripted([judge_json(False)])
    ctx.agent_backend, ctx.judge_backend = agent, judge
    out = run(graph, event(1), ctx)
    assert len(out["proposals"]) == 1
    assert out["status"] == "gave_up" and out["draft"] is None


def test_llm_agent_null_task_is_silence(ctx: Context) -> None:
    graph = build_graph()
    agent, _ = scripted([agent_json(None)])
    ctx.agent_backend = agent
    out = run(graph, event(0), ctx)
    assert out["status"] == "silent" and out["proposals"] == []


def test_agent_events_never_trigger_proposals(ctx: Context) -> None:
    graph = build_graph()
    ctx.need_threshold = 0.0
    out = run(graph, event(0, "The assistant wrote a note.", source="agent"), ctx)
    assert out["status"] == "silent" and out["proposals"] == []


# --- human feedback through interrupt() -------------------------------------------------------


def human_step(answer: Any, ctx: Context, thread: str) -> tuple[Any, dict[str, Any], Any]:
    graph = build_graph()
    ctx.need_threshold, ctx.feedback_mode = 0.0, "human"
    config = {"configurable": {"thread_id": thread}}
    first = graph.invoke({"event": event(1)}, config, context=ctx)
    payload = first["__interrupt__"][0].value
    out = graph.invoke(Command(resume=answer), config, context=ctx)
    return graph, out, payload


def test_interrupt_payload_is_an_agent_inbox_human_interrupt(ctx: Context) -> None:
    _, _, payload = human_step("accept", ctx, "h0")
    [request] = payload  # a list holding one HumanInterrupt
    assert request["action_request"]["action"] == "proactive_task"
    assert request["action_request"]["args"]["task"]
    assert request["config"] == {
        "allow_accept": True,
        "allow_edit": True,
        "allow_respond": True,
        "allow_ignore": True,
    }
    assert request["action_request"]["args"]["task"] in request["description"]
    assert request["proactive"]["event"] == event(1)["text"]


@pytest.mark.parametrize(
    ("response", "status", "outcome"),
    [
        ([{"type": "accept", "args": None}], "executed", "accept"),
        ({"type": "accept"}, "executed", "accept"),
        (
            [{"type": "edit", "args": {"action": "proactive_task", "args": {"task": "Fix it"}}}],
            "executed",
            "edit",
        ),
        ([{"type": "response", "args": "not now"}], None, "reject"),
        ([{"type": "ignore", "args": None}], "ignored", "ignore"),
    ],
)
def test_agent_inbox_responses_resume_the_review(
    ctx: Context, response: Any, status: str | None, outcome: str
) -> None:
    _, out, _ = human_step(response, ctx, f"inbox-{outcome}-{status}")
    assert out["proposals"][0].outcome == outcome
    if status is not None:
        assert out["status"] == status
    if outcome == "reject":
        assert out["feedback"][0].reason == "not now" and "__interrupt__" in out
    if outcome == "edit":
        assert out["executions"][-1].task == "Fix it"


def test_human_accept_executes(ctx: Context) -> None:
    _, out, _ = human_step({"answer": "accept"}, ctx, "h1")
    assert out["status"] == "executed" and out["feedback"][-1].by == "human"


def test_human_edit_executes_the_changed_task(ctx: Context) -> None:
    _, out, _ = human_step(
        {"answer": "edit", "task": "Summarise my notes on N/A values"}, ctx, "h2"
    )
    assert out["status"] == "executed"
    assert out["executions"][-1].task == "Summarise my notes on N/A values"
    assert out["proposals"][-1].outcome == "edit"


def test_human_reject_with_reason_refines(ctx: Context) -> None:
    graph, out, payload = human_step(
        {"answer": "reject", "reason": "I know this already"}, ctx, "h3"
    )
    assert "__interrupt__" in out  # a refined draft is shown again
    [second] = out["__interrupt__"][0].value
    [first] = payload
    task = second["action_request"]["args"]["task"]
    assert task != first["action_request"]["args"]["task"] and second["proactive"]["round"] == 1
    assert out["feedback"][-1].reason == "I know this already"


def test_human_ignore_backs_off(ctx: Context) -> None:
    graph, out, _ = human_step("ignore", ctx, "h4")
    assert out["status"] == "ignored" and out["cooldown"] == ctx.ignore_cooldown
    config = {"configurable": {"thread_id": "h4"}}
    nxt = graph.invoke({"event": event(2)}, config, context=ctx)
    assert nxt["status"] == "cooling_down" and "__interrupt__" not in nxt


def test_human_invalid_answer_is_asked_again(ctx: Context) -> None:
    graph, out, _ = human_step({"answer": "maybe"}, ctx, "h5")
    [again] = out["__interrupt__"][0].value
    assert "accept, reject, edit, ignore" in again["proactive"]["error"]
    assert "could not be used" in again["description"]
    config = {"configurable": {"thread_id": "h5"}}
    done = graph.invoke(Command(resume="accept"), config, context=ctx)
    assert done["status"] == "executed"


# --- model failures never crash the loop --------------------------------------------------------


def test_malformed_reply_is_retried_with_the_error_shown(ctx: Context) -> None:
    graph = build_graph()
    agent, model = scripted(["Sure! I'd love to help.", agent_json("Explain the ValueError")])
    judge, _ = scripted([judge_json(True)])
    ctx.agent_backend, ctx.judge_backend = agent, judge
    out = run(graph, event(1), ctx)
    assert out["proposals"][0].task == "Explain the ValueError"
    retry = model.seen[1]
    assert "could not be used" in retry[-1].content and retry[-2].content.startswith("Sure!")


def test_malformed_reply_after_retries_is_a_failure_event(ctx: Context) -> None:
    graph = build_graph()
    agent, _ = scripted(['{"Purpose": "x"}'] * 3 + [agent_json(None)])
    ctx.agent_backend, ctx.max_retries = agent, 2
    out = run(graph, event(1), ctx)
    assert out["status"] == "failed" and out["errors"]
    assert "Proactive Task" in out["errors"][0]
    assert out["events"][-1].source == "agent" and "failed" in out["events"][-1].text
    nxt = run(graph, event(2), ctx)  # the loop goes on
    assert nxt["status"] == "silent"


# --- validation and memory --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"text": "no time"}, "missing 'time'"),
        ({"time": 1}, "missing 'text'"),
        ({"time": "yesterday-ish", "text": "x"}, "time"),
        ({"time": 1, "text": "  "}, "empty"),
        ("just a string", "must be an object"),
    ],
)
def test_bad_events_get_clear_errors(ctx: Context, bad: Any, message: str) -> None:
    graph = build_graph()
    run(graph, event(0), ctx, thread="v")
    before = graph.get_state({"configurable": {"thread_id": "v"}}).values
    with pytest.raises(ValueError, match=message):
        run(graph, bad, ctx, thread="v")
    state = graph.get_state({"configurable": {"thread_id": "v"}}).values
    assert state["events"] == before["events"]  # what was stored stays


def test_paper_format_event_and_day_clock_times_are_accepted(ctx: Context) -> None:
    graph = build_graph()
    ctx.need_threshold = 1.0
    out = run(graph, {"time": "Day 1, 11:05 PM", "event": "The user types 'import os'."}, ctx)
    assert out["events"][0] == Event(time=82_800 + 300, text="The user types 'import os'.")


def test_remember_recalls_past_events_of_the_same_user(ctx: Context) -> None:
    graph = build_graph()
    ctx.need_threshold = 1.0
    run(graph, event(0, "The user opens 'budget.xlsx' in Excel."), ctx, thread="a")
    out = run(graph, event(1, "The user edits the totals row of 'budget.xlsx'."), ctx, thread="b")
    assert any("budget.xlsx" in m.text for m in out["memories"])
    other = Context(memory_dir=ctx.memory_dir, user_id="someone-else", need_threshold=1.0)
    out = run(graph, event(2, "The user edits 'budget.xlsx' again."), other, thread="c")
    assert out["memories"] == []  # another user's memories never come back


def test_rejected_kind_is_not_proposed_again_right_away(ctx: Context) -> None:
    graph = build_graph()
    judge, _ = scripted([judge_json(False, "no")] + [judge_json(True)] * 3)
    ctx.need_threshold, ctx.judge_backend, ctx.max_refinements = 0.0, judge, 0
    first = run(graph, event(1), ctx)
    rejected_kind = first["proposals"][0].kind
    nxt = run(graph, event(2), ctx)
    assert nxt["proposals"][-1].kind != rejected_kind


def test_memory_survives_a_new_process(tmp_path: Any) -> None:
    import subprocess
    import sys

    from memory import open_memory
    from tests.conftest import ROOT

    memory_dir = tmp_path / "memory"
    script = (
        "from graphs.agent import build_graph\n"
        "from graphs.context import Context\n"
        f"ctx = Context(memory_dir={str(memory_dir)!r}, user_id='p', need_threshold=1.0)\n"
        "build_graph().invoke({'event': {'time': 5, 'text': \"The user opens 'thesis.tex'.\"}},\n"
        "    {'configurable': {'thread_id': 'first'}}, context=ctx)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    store = open_memory(memory_dir)
    assert store.count(user="p") == 1
    [hit] = store.search(user="p", query="thesis.tex", k=3)
    assert "thesis.tex" in hit.text and hit.metadata["thread"] == "first"


def test_llm_gate_skips_the_model_when_no_need(ctx: Context) -> None:
    graph = build_graph()
    agent, model = scripted([agent_json("Explain the ValueError")])
    judge, _ = scripted([judge_json(True)])
    ctx.agent_backend, ctx.judge_backend = agent, judge
    ctx.llm_gate, ctx.need_threshold = True, 1.0
    out = run(graph, event(1), ctx)
    assert out["status"] == "silent" and model.seen == []  # the LLM was never called
    ctx.need_threshold = 0.0
    out = run(graph, event(2), ctx)
    assert len(model.seen) == 1 and out["proposals"][-1].task == "Explain the ValueError"


# --- issue 6: auto feedback, back-off that grows, interruption budget ---------------------------


def unsure_judge(probability: float) -> str:
    return json.dumps({"accepted": True, "reason": "maybe", "probability": probability})


def test_auto_mode_asks_the_person_only_when_unsure_of_them(ctx: Context) -> None:
    """The band is read against the personal model's estimate for this user, not against the
    judge's own probability (the scripted judge always says 0.5)."""
    graph = build_graph()
    judge, _ = scripted([unsure_judge(0.5)] * 3)
    ctx.need_threshold, ctx.judge_backend, ctx.feedback_mode = 0.0, judge, "auto"
    ctx.personal_target_f1 = 0.0  # always offer the best draft
    ctx.auto_band_low, ctx.auto_band_high = 0.0, 1.0  # unsure of anything: ask
    config = {"configurable": {"thread_id": "auto"}}
    first = graph.invoke({"event": event(1)}, config, context=ctx)
    assert first["__interrupt__"][0].value[0]["action_request"]["action"] == "proactive_task"
    done = graph.invoke(Command(resume="accept"), config, context=ctx)
    assert done["feedback"][-1].by == "human" and done["status"] == "executed"
    ctx.auto_band_low = ctx.auto_band_high = 0.5  # only the judge's own 0.5 is in the band
    sure = graph.invoke({"event": event(2)}, config, context=ctx)
    assert "__interrupt__" not in sure and sure["feedback"][-1].by == "judge"
    assert sure["draft"].personal is not None and sure["draft"].personal != 0.5


def test_consecutive_ignores_lengthen_the_cooldown(ctx: Context) -> None:
    graph = build_graph()
    ctx.need_threshold, ctx.feedback_mode, ctx.ignore_cooldown = 0.0, "human", 1
    config = {"configurable": {"thread_id": "ign"}}
    cooldowns = []
    for i in range(8):  # every proposal answered: one passed over would count as ignored too
        out = graph.invoke({"event": event(i)}, config, context=ctx)
        if "__interrupt__" in out:
            out = graph.invoke(Command(resume="ignore"), config, context=ctx)
            cooldowns.append(out["cooldown"])
    assert cooldowns[:2] == [1, 2]


@pytest.mark.parametrize(
    ("settings", "held"),
    [
        ({"max_proposals": 1, "budget_window_seconds": 3600}, True),
        ({"min_gap_seconds": 600}, True),
        ({"min_gap_seconds": 10}, False),
        ({"quiet_hours": "0-23"}, True),
    ],
)
def test_interruption_budget_holds_proposals_back(
    ctx: Context, settings: dict[str, Any], held: bool
) -> None:
    graph = build_graph()
    judge, _ = scripted([judge_json(True)] * 4)
    ctx.need_threshold, ctx.judge_backend = 0.0, judge
    for name, value in settings.items():
        setattr(ctx, name, value)
    first = run(graph, event(1), ctx, thread="budget")
    second = run(graph, event(2), ctx, thread="budget")  # 30 s later
    if "quiet_hours" in settings:
        assert first["status"] == "held_back" and first["proposals"] == []
        return
    assert len({p.event_index for p in first["proposals"]}) == 1
    assert (second["status"] == "held_back") is held


def test_bad_quiet_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="quiet_hours"):
        Context(quiet_hours="late")


def test_without_learning_an_ignore_does_not_back_off(ctx: Context) -> None:
    graph = build_graph()
    ctx.need_threshold, ctx.feedback_mode, ctx.learn_from_feedback = 0.0, "human", False
    config = {"configurable": {"thread_id": "nolearn"}}
    graph.invoke({"event": event(1)}, config, context=ctx)
    out = graph.invoke(Command(resume="ignore"), config, context=ctx)
    assert out["status"] == "ignored" and out["cooldown"] == 0
    nxt = graph.invoke({"event": event(2)}, config, context=ctx)
    assert "__interrupt__" in nxt  # proposes again at once


@pytest.mark.parametrize(
    ("task", "subject"),
    [
        ("Diagnose the error 'KeyError: 'total'' and propose a fix.", "KeyError: 'total'"),
        ("Summarise 'Usage' in five bullet points.", "Usage"),
    ],
)
def test_executor_subject_keeps_nested_quotes(task: str, subject: str) -> None:
    from backends.local.task_subjects import read_task

    assert read_task(task, []).subject == subject
