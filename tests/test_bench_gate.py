"""The LLM gate in the agent bench: the chat agent is called only where the detector fires."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.agent_eval import evaluate_agent
from benchmarks.llm_gate import always_propose
from tests.fakes import OpenAICompatibleServer


@pytest.mark.data
def test_gate_skips_llm_calls_below_the_threshold(
    bench_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = bench_data / "reward_data" / "train_data.jsonl"
    with OpenAICompatibleServer(always_propose) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test")
        gated = evaluate_agent(
            bench_data,
            agent="openai:gate-test",
            judge="local",
            train_rows=rows,
            gate=True,
            out_dir=tmp_path,
        )
        calls = len(server.requests)
    gate = gated["gate"]
    assert gate["events"] == 35 and 0 < gate["llm_calls_skipped"] < 35
    assert calls == gate["events"] - gate["llm_calls_skipped"]
    split = gated["splits"]["real_average"]
    assert split["tp"] + split["fp"] <= calls  # no proposal without a model call


def test_gate_is_refused_for_the_local_agent(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="gate applies to a chat-model agent"):
        evaluate_agent(tmp_path, agent="local", gate=True)
