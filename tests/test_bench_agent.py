"""`bench.agent_eval`: the paper's agent protocol, its metrics, the cache, failures and leakage."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from backends import prompts
from backends.llm import register_chat_model
from bench.agent_eval import evaluate_agent
from bench.protocol import (
    CORRECTION,
    FAILED_REPLY,
    RetryPolicy,
    TransportError,
    event_turn,
    judge_messages,
    messages_at,
)
from graphs.state import Event
from tests.fakes import ScriptedChatModel, agent_json, judge_json

NO_WAIT = RetryPolicy(attempts=3, base_delay_s=0.0, sleep=lambda _s: None)


def scripted(name: str, replies: list[str]) -> ScriptedChatModel:
    """A scripted chat model registered as the backend `custom:<name>`."""
    model = ScriptedChatModel(replies)
    register_chat_model(name, model)
    return model


def write_data(root: Path, traces: dict[str, list[tuple[str, bool]]], splits: dict) -> Path:
    """A data directory with test traces (event text, task_status) and a splits.json."""
    folder = root / "test_data"
    folder.mkdir(parents=True)
    for name, events in traces.items():
        steps = [
            {
                "observation": {"time": str(1_700_000_000 + 60 * i), "event": text},
                "agent_response": {"candidate_task": []},
                "task_status": status,
            }
            for i, (text, status) in enumerate(events)
        ]
        (folder / f"{name}.json").write_text(json.dumps(steps), encoding="utf-8")
    (folder / "splits.json").write_text(
        json.dumps({k: {"files": v} for k, v in splits.items()}), encoding="utf-8"
    )
    return root


SIX_EVENTS = [
    ("The user opens 'report.py' in Visual Studio Code.", False),
    ("The user runs 'report.py' and sees 'KeyError: total' in the terminal.", True),
    ("The user searches Google for 'python KeyError dict default'.", True),
    ("The user reads a Stack Overflow answer about dict.get.", False),
    ("The user edits line 12 of 'report.py'.", False),
    ("The user runs 'report.py' again and it prints the totals.", False),
]


def test_user_turn_format() -> None:
    event = Event(time=1717377997.0, text="The user opens 'a.rb'.")
    assert event_turn(event) == "[2024-06-03 01:26:37] The user opens 'a.rb'."


def test_exact_messages_at_event_3_of_code_11(bench_data: Path) -> None:
    traces = {
        p.stem: json.loads(p.read_text()) for p in (bench_data / "test_data").glob("*_*.json")
    }
    n_events = sum(len(t) for t in traces.values())
    tasks = [None, "Find a Ruby example that capitalises each part of a name", "null"]
    tasks += [None] * (n_events - len(tasks))
    agent = scripted("proto-agent", [agent_json(t) for t in tasks])
    judge = scripted("proto-judge", [judge_json(True)] * n_events)

    result = evaluate_agent(
        bench_data, agent="custom:proto-agent", judge="custom:proto-judge", concurrency=1
    )

    assert len(agent.seen) == n_events  # one call per event: no retries, no extra turns
    code = traces["code_11"]
    ev = [step["observation"] for step in code[:3]]
    first = (
        '{"Purpose": "Working on something", "Thoughts": "Thinking about whether to help.", '
        '"Proactive Task": null, "Response": ""}'
    )
    second = json.dumps(
        {
            "Purpose": "Working on something",
            "Thoughts": "Thinking about whether to help.",
            "Proactive Task": tasks[1],
            "Response": "Shall I find a Ruby example that capitalises each part of a name?",
        }
    )
    expected = [
        SystemMessage(content=prompts.AGENT_SYSTEM),
        HumanMessage(content=f"[2024-06-03 01:26:37] {ev[0]['event']}"),
        AIMessage(content=first),
        HumanMessage(content=f"[2024-06-03 01:26:40] {ev[1]['event']}"),
        AIMessage(content=second),
        HumanMessage(content=f"[{prompts.render_time(float(ev[2]['time']))}] {ev[2]['event']}"),
    ]
    # code_11 sorts first and runs first with one worker: the agent's third call is its event 3.
    got = agent.seen[2]
    assert [(m.type, m.content) for m in got] == [(m.type, m.content) for m in expected]

    # The judge saw the observations up to event 3 and the agent's offer ("null" = silence).
    events = [Event(time=e["time"], text=e["event"]) for e in ev]
    assert [m.content for m in judge.seen[2]] == [m.content for m in judge_messages(events, None)]
    assert "nothing (it stayed silent)" in judge.seen[2][1].content
    assert f'the task "{tasks[1]}"' in judge.seen[1][1].content

    coding = result["splits"]["real_coding"]
    assert (coding["tp"], coding["fp"], coding["tn"], coding["fn"]) == (1, 0, 14, 0)
    assert result["leakage"].startswith("not applicable")


def test_messages_at_matches_the_conversation() -> None:
    events = [Event(time=1_700_000_000 + i, text=f"The user does step {i}.") for i in range(3)]
    replies = [json.dumps(FAILED_REPLY), json.dumps(FAILED_REPLY)]
    msgs = messages_at(events, replies)
    assert [m.type for m in msgs] == ["system", "human", "ai", "human", "ai", "human"]
    with pytest.raises(ValueError):
        messages_at(events, replies[:1])


def test_metrics_equal_hand_counts_and_null_forms(tmp_path: Path) -> None:
    data = write_data(tmp_path / "data", {"t_1": SIX_EVENTS}, {"all": ["t_1.json"]})
    # proposed: yes, no (null), no ("null"), no (""), yes, no ("None")
    tasks: list[Any] = [
        "Explain the KeyError in 'report.py'.",
        None,
        "null",
        "",
        "Review it.",
        "None",
    ]
    verdicts = [True, True, False, True, False, False]
    agent = scripted("hand-agent", [_reply(t) for t in tasks])
    judge = scripted("hand-judge", [judge_json(v) for v in verdicts])

    out = tmp_path / "out"
    result = evaluate_agent(
        data, agent="custom:hand-agent", judge="custom:hand-judge", out_dir=out, concurrency=2
    )

    split = result["splits"]["all"]
    # TP, TN, FN, TN, FP, FN
    assert (split["tp"], split["fp"], split["tn"], split["fn"]) == (1, 1, 2, 2)
    assert split["n"] == 6 and split["partial"] is False
    assert split["recall"] == pytest.approx(1 / 3)
    assert split["precision"] == pytest.approx(1 / 2)
    assert split["accuracy"] == pytest.approx(3 / 6)
    assert split["false_alarm"] == pytest.approx(1 / 2)
    assert split["f1"] == pytest.approx(0.4)
    assert split["proposal_rate"] == pytest.approx(2 / 6)
    # Every null form reached the judge as silence.
    offers = [seen[1].content.rsplit("latest event: ", 1)[1] for seen in judge.seen]
    assert [o.startswith("the task") for o in offers] == [True, False, False, False, True, False]
    # ... and joined the agent's conversation as a JSON null.
    last = agent.seen[-1]
    assert [json.loads(m.content)["Proactive Task"] for m in last if m.type == "ai"] == [
        tasks[0],
        None,
        None,
        None,
        "Review it.",
    ]

    records = [json.loads(line) for line in (out / "agent_events.jsonl").read_text().splitlines()]
    assert [r["outcome"] for r in records] == ["TP", "TN", "FN", "TN", "FP", "FN"]
    assert {"trace", "index", "event", "agent", "judgement", "latency_ms", "tokens"} <= set(
        records[0]
    )
    assert records[0]["judgement"]["reason"] == "fits"
    for name in ("agent.json", "agent.csv", "agent_metrics.png"):
        assert (out / name).stat().st_size > 0
    assert json.loads((out / "agent.json").read_text())["splits"]["all"]["tp"] == 1


def _reply(task: str | None) -> str:
    return json.dumps(
        {
            "Purpose": "p",
            "Thoughts": "t",
            "Proactive Task": task,
            "Response": "" if not task else "r",
        }
    )


def test_partial_split_is_flagged_with_counts(tmp_path: Path) -> None:
    data = write_data(
        tmp_path,
        {"code_1": SIX_EVENTS},
        {"coding": ["code_1.json", "code_2.json"], "writing": ["writing_1.json"]},
    )
    result = evaluate_agent(data)  # the embedded agent and judge
    coding, writing = result["splits"]["coding"], result["splits"]["writing"]
    assert coding["partial"] is True
    assert (coding["files_found"], coding["files_expected"], coding["events"]) == (1, 2, 6)
    assert coding["n"] == 6 and coding["traces"] == ["code_1"]
    assert writing["partial"] is True
    assert (writing["files_found"], writing["files_expected"], writing["n"]) == (0, 1, 0)


def test_no_trace_found_is_an_error(tmp_path: Path) -> None:
    data = write_data(tmp_path, {}, {"coding": ["code_1.json"]})
    with pytest.raises(FileNotFoundError, match="no test trace"):
        evaluate_agent(data)


def test_cache_second_run_makes_no_calls(tmp_path: Path) -> None:
    data = write_data(tmp_path / "data", {"t_1": SIX_EVENTS}, {"all": ["t_1.json"]})
    cache = tmp_path / "cache"
    tasks = ["Explain the KeyError in 'report.py'.", None, None, "Review it.", None, None]
    agent = scripted("cache-agent", [_reply(t) for t in tasks])
    judge = scripted("cache-judge", [judge_json(i % 2 == 0) for i in range(6)])
    first = evaluate_agent(
        data, agent="custom:cache-agent", judge="custom:cache-judge", cache_dir=cache
    )
    assert (len(agent.seen), len(judge.seen)) == (6, 6)
    assert first["calls"]["agent"] == {"calls": 6, "cached_calls": 0}

    # Fresh models with empty scripts: any call would fail the run.
    agent2 = scripted("cache-agent", [])
    judge2 = scripted("cache-judge", [])
    second = evaluate_agent(
        data, agent="custom:cache-agent", judge="custom:cache-judge", cache_dir=cache
    )
    assert (len(agent2.seen), len(judge2.seen)) == (0, 0)
    assert second["calls"]["agent"] == {"calls": 0, "cached_calls": 6}
    assert second["calls"]["judge"] == {"calls": 0, "cached_calls": 6}
    assert second["splits"] == first["splits"]
    assert second["latency_ms"]["cached_events"] == 6


def test_interrupted_run_resumes_from_the_cache(tmp_path: Path) -> None:
    data = write_data(tmp_path / "data", {"t_1": SIX_EVENTS}, {"all": ["t_1.json"]})
    cache = tmp_path / "cache"
    # The agent's script runs out at event 4: the run stops with a transport error.
    scripted("resume-agent", [_reply(None)] * 3)
    scripted("resume-judge", [judge_json(True)] * 6)
    with pytest.raises(TransportError):
        evaluate_agent(
            data,
            agent="custom:resume-agent",
            judge="custom:resume-judge",
            cache_dir=cache,
            retry=NO_WAIT,
        )
    agent = scripted("resume-agent", [_reply(None)] * 3)
    judge = scripted("resume-judge", [judge_json(True)] * 3)
    result = evaluate_agent(
        data, agent="custom:resume-agent", judge="custom:resume-judge", cache_dir=cache
    )
    assert (len(agent.seen), len(judge.seen)) == (3, 3)  # only the events not done before
    assert result["splits"]["all"]["tn"] == 6


def test_malformed_reply_is_retried_then_counted_as_no_task(tmp_path: Path) -> None:
    data = write_data(tmp_path / "data", {"t_1": SIX_EVENTS[:3]}, {"all": ["t_1.json"]})
    bad = ["Sure! I think the user needs help.", '{"Purpose": "x"', "[1, 2]"]
    agent = scripted("bad-agent", [*bad, _reply("Explain the KeyError."), _reply(None)])
    scripted("bad-judge", [judge_json(False), judge_json(True), judge_json(True)])
    out = tmp_path / "out"
    result = evaluate_agent(
        data, agent="custom:bad-agent", judge="custom:bad-judge", max_retries=2, out_dir=out
    )

    # Three attempts at event 1, each retry shown the bad reply and the error.
    assert len(agent.seen) == 5
    assert [len(s) for s in agent.seen[:3]] == [2, 4, 6]
    assert agent.seen[1][2].content == bad[0]
    assert agent.seen[1][3].content.startswith(CORRECTION.split("{error}")[0])
    # Event 2 sees a well-formed null reply for event 1, not the failed text or the corrections.
    assert [m.type for m in agent.seen[3]] == ["system", "human", "ai", "human"]
    assert json.loads(agent.seen[3][2].content) == FAILED_REPLY

    split = result["splits"]["all"]
    assert split["agent_failures"] == 1
    assert (split["tp"], split["fp"], split["tn"], split["fn"]) == (1, 0, 1, 1)
    records = [json.loads(line) for line in (out / "agent_events.jsonl").read_text().splitlines()]
    assert records[0]["agent_failure"].startswith("malformed reply")
    assert records[0]["agent_attempts"] == 3
    assert records[0]["agent_raw"] == bad[2]
    assert records[0]["proposed"] is False and records[0]["outcome"] == "FN"
    assert records[1]["agent_failure"] is None


def test_malformed_judge_reply_leaves_the_event_out(tmp_path: Path) -> None:
    data = write_data(tmp_path / "data", {"t_1": SIX_EVENTS[:2]}, {"all": ["t_1.json"]})
    scripted("jbad-agent", [_reply(None), _reply(None)])
    scripted("jbad-judge", ["yes", "yes", "yes", judge_json(True)])
    result = evaluate_agent(
        data, agent="custom:jbad-agent", judge="custom:jbad-judge", max_retries=2
    )
    split = result["splits"]["all"]
    assert split["judge_failures"] == 1 and split["events"] == 2
    assert split["n"] == 1 and split["tn"] == 1


class FlakyModel(ScriptedChatModel):
    """Raises a transport-like error on the first `failures` calls."""

    failures: int = 0

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:  # noqa: A002
        if self.failures:
            self.failures -= 1
            raise ConnectionError("connection reset")
        return super().invoke(input, config, **kwargs)


def test_transport_errors_are_retried_with_backoff(tmp_path: Path) -> None:
    data = write_data(tmp_path / "data", {"t_1": SIX_EVENTS[:2]}, {"all": ["t_1.json"]})
    flaky = FlakyModel([_reply(None), _reply(None)])
    flaky.failures = 2
    register_chat_model("flaky-agent", flaky)
    scripted("flaky-judge", [judge_json(True)] * 2)
    waits: list[float] = []
    policy = RetryPolicy(attempts=3, base_delay_s=0.5, sleep=waits.append)
    result = evaluate_agent(
        data, agent="custom:flaky-agent", judge="custom:flaky-judge", retry=policy
    )
    assert waits == [0.5, 1.0]
    assert result["splits"]["all"]["tn"] == 2

    always = FlakyModel([])
    always.failures = 99
    register_chat_model("flaky-agent", always)
    with pytest.raises(TransportError, match="3 time"):
        evaluate_agent(data, agent="custom:flaky-agent", judge="custom:flaky-judge", retry=policy)


def test_local_default_end_to_end(bench_data: Path, tmp_path: Path) -> None:
    start = time.perf_counter()
    result = evaluate_agent(bench_data, out_dir=tmp_path)
    assert time.perf_counter() - start < 30
    assert result["agent"] == "local" and result["judge"] == "local"
    assert "NOT excluded" in result["leakage"]
    average = result["splits"]["real_average"]
    assert average["partial"] is True
    assert (average["files_found"], average["files_expected"]) == (2, 12)
    assert average["n"] == average["events"] == 35
    assert average["tp"] + average["fp"] + average["tn"] + average["fn"] == 35
    assert result["splits"]["real_coding"]["n"] == 15
    assert result["tokens"] is None and result["latency_ms"]["median"] is not None
    records = (tmp_path / "agent_events.jsonl").read_text().splitlines()
    assert len(records) == 35
    first = json.loads(records[0])
    assert set(first["agent"]) == {"Purpose", "Thoughts", "Proactive Task", "Response"}
    assert "need_score" in first and "accept_probability" in first


def test_leakage_guard_uses_models_that_never_saw_the_trace(
    bench_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bench.retrain as retrain
    from backends.local import load_models
    from backends.local.data import load_test_traces

    rows_file = bench_data / "reward_data" / "train_data.jsonl"
    asked: list[tuple[str, Path | None]] = []
    real = retrain.models_for_trace

    def spy(data_dir: Path, trace_name: str, rows_file: Path | None = None, **kw: Any) -> Any:
        asked.append((trace_name, rows_file))
        return real(data_dir, trace_name, rows_file=rows_file, **kw)

    monkeypatch.setattr(retrain, "models_for_trace", spy)
    result = evaluate_agent(bench_data, train_rows=rows_file, out_dir=tmp_path)

    assert result["leakage"].startswith("excluded")
    traces = {t.name: t for t in load_test_traces(bench_data)}
    assert sorted(asked) == sorted((name, rows_file) for name in traces)
    rows = retrain.training_rows(bench_data, rows_file)
    shipped = load_models()
    dirs = set()
    for name, trace in traces.items():
        info = result["models"][name]
        assert info["never_saw_trace"] is True
        models = load_models(Path(info["artifact_dir"]))
        dirs.add(models.artifact_dir)
        # Checked independently of the run: the manifest shows neither the trace nor its rows.
        assert retrain.never_saw(models, bench_data, name, rows)
        assert name not in retrain.manifest_of(models)["data"]["test_traces_used"]
        assert not retrain.never_saw(shipped, bench_data, name, rows)  # the check can fail
        # The recorded need scores are this model set's, not the shipped detector's.
        records = [
            json.loads(line)
            for line in (tmp_path / "agent_events.jsonl").read_text().splitlines()
            if json.loads(line)["trace"] == name
        ]
        for record in records[:3]:
            seen = trace.events[: record["index"] + 1]
            assert record["need_score"] == pytest.approx(models.need.score(seen), abs=1e-6)
    assert len(dirs) == len(traces) and shipped.artifact_dir not in dirs


def test_openai_compatible_backend_reports_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes import OpenAICompatibleServer

    def responder(body: dict[str, Any]) -> dict[str, Any]:
        if "stand in for the person" in body["messages"][0]["content"]:
            return {"content": judge_json(True)}
        return {
            "content": "```json\n" + agent_json("Explain the KeyError in 'report.py'") + "\n```"
        }

    data = write_data(tmp_path / "data", {"t_1": SIX_EVENTS[:3]}, {"all": ["t_1.json"]})
    with OpenAICompatibleServer(responder) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        result = evaluate_agent(
            data, agent="openai:bench-agent", judge="openai:bench-judge", concurrency=2
        )
        agent_requests = [r for r in server.requests if r["model"] == "bench-agent"]
    # The wire conversation at event 3: system, then user/assistant turns, ending with event 3.
    roles = [m["role"] for m in agent_requests[2]["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert result["splits"]["all"]["tp"] == 3
    tokens = result["tokens"]
    assert tokens["agent"] == {
        "calls": 3,
        "cached_calls": 0,
        "input_tokens": 30,
        "output_tokens": 15,
        "total_tokens": 45,
    }
    assert tokens["total_tokens"] == 90
    assert result["latency_ms"]["median"] > 0
