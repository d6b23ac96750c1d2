"""The chat executor keeps its conversation within the model's context window (a small local
server crashes when a prompt exceeds it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool

from backends.executor import (
    CHARS_PER_TOKEN,
    COMMON_TOOLS,
    GENERAL_TOOLS,
    KIND_TOOLS,
    TOOL_SHARE,
    context_tokens,
    fit_context,
    tools_for,
)
from backends.local.kinds import KINDS
from tools import build_tools


def _conversation(outputs: list[int]) -> list:
    messages = [SystemMessage(content="system"), HumanMessage(content="task")]
    for n, size in enumerate(outputs):
        messages.append(
            AIMessage(content="", tool_calls=[{"name": "read_lines", "args": {}, "id": str(n)}])
        )
        messages.append(ToolMessage(content="x" * size, tool_call_id=str(n)))
    return messages


def test_oldest_tool_outputs_are_trimmed_first_until_it_fits() -> None:
    messages = _conversation([3000, 3000, 3000])
    window = 2048  # prompt share 1536 tokens, about 4600 characters

    assert fit_context(messages, fixed_chars=0, window=window)

    tools = [m for m in messages if isinstance(m, ToolMessage)]
    assert tools[0].content.startswith("[output trimmed")
    assert tools[1].content.startswith("[output trimmed")
    assert tools[2].content == "x" * 3000  # the newest output is kept whole
    assert sum(len(str(m.content)) for m in messages) <= window * 0.75 * CHARS_PER_TOKEN


def test_a_conversation_that_fits_is_left_alone() -> None:
    messages = _conversation([100, 100])
    before = [m.content for m in messages]

    assert fit_context(messages, fixed_chars=500, window=8192)
    assert [m.content for m in messages] == before


def test_it_says_so_when_nothing_can_be_trimmed() -> None:
    messages = [SystemMessage(content="s"), HumanMessage(content="y" * 10_000)]

    assert not fit_context(messages, fixed_chars=0, window=1024)


def test_the_window_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROACTIVE_LLM_CONTEXT", raising=False)
    assert context_tokens() == 32_768
    monkeypatch.setenv("PROACTIVE_LLM_CONTEXT", "32768")
    assert context_tokens() == 32768
    monkeypatch.setenv("PROACTIVE_LLM_CONTEXT", "lots")
    with pytest.raises(ValueError, match="PROACTIVE_LLM_CONTEXT"):
        context_tokens()


def test_every_tool_offered_per_kind_exists_and_every_tool_is_offered(tmp_path: Path) -> None:
    tools = build_tools(tmp_path, memory_search=lambda query: "", allow_shell=True)
    names = {t.name for t in tools}

    assert set(KINDS) == set(KIND_TOOLS)
    # Both ways: no kind names a tool that is not there, and no tool is left to no kind.
    assert set().union(*KIND_TOOLS.values(), COMMON_TOOLS, GENERAL_TOOLS) == names
    for kind in KINDS:
        offered = {t.name for t in tools_for(kind, tools)}
        assert set(KIND_TOOLS[kind]) <= offered
        assert len(offered) < len(names)


def test_a_small_window_gets_the_common_tools_and_the_kinds_first_ones(tmp_path: Path) -> None:
    """With 8,192 tokens the descriptions of every organise tool would take over half the
    window: the kind's later tools are left out, the common ones and its first ones stay."""
    tools = build_tools(tmp_path, memory_search=lambda query: "")
    limit = int(8192 * TOOL_SHARE) * CHARS_PER_TOKEN
    offered = tools_for("organise", tools, limit)
    names = [t.name for t in offered]
    size = sum(len(json.dumps(convert_to_openai_tool(t))) for t in offered)
    assert COMMON_TOOLS & {t.name for t in tools} <= set(names)
    assert KIND_TOOLS["organise"][0] in names and KIND_TOOLS["organise"][-1] not in names
    assert size <= limit
    assert len(tools_for("organise", tools, 10**9)) > len(offered)


def test_a_task_of_unknown_kind_gets_the_general_tools(tmp_path: Path) -> None:
    tools = build_tools(tmp_path)

    offered = {t.name for t in tools_for("", tools)}

    assert GENERAL_TOOLS <= offered
    assert len(offered) < len(tools)
