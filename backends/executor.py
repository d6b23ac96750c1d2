"""The executor's model role: carry out an accepted task with the workspace tools.

With a chat model it is a tool-calling loop. With ``local`` it runs the plan of tool calls for
the task's kind of help (locate an error and re-parse its data, lint and outline a module, quote
installed documentation, summarise a document, write an outline with the sections asked for, set
a reminder) and writes a result built only from what those tools returned.
Every tool call is returned as a :class:`ToolCall` so the graph can record it as an event.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import cache
from typing import Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from backends import prompts
from backends.llm import RetryPolicy, chat_model, invoke_with_retry, is_local
from backends.local.kinds import label_kind
from backends.schema import ModelOutputError
from graphs.state import Draft, Event, Execution, ToolCall
from tools import ToolRunner
from tools.notes import NOTES_FILE

MAX_TOOL_STEPS = 6
"""Tool-calling rounds allowed to a chat model for one task."""
MAX_NOTE_CHARS = 20_000
"""Longest note body the note tool takes."""
DEFAULT_CONTEXT_TOKENS = 32_768
"""The model's context window assumed when PROACTIVE_LLM_CONTEXT does not say. Set it to a
small local server's window (`--n_ctx`): llama-cpp-python 0.3.x crashes, taking every later
request down, when a prompt exceeds its window (abetlen/llama-cpp-python#1759)."""
CHARS_PER_TOKEN = 3
"""A cautious estimate of characters per token (English prose runs about 4, code and JSON less)."""
REPLY_SHARE = 0.25
"""Share of the window kept free for the model's reply."""
TRIMMED = (
    "[output trimmed to fit the model's context: {n} characters; call the tool again if needed]"
)


COMMON_TOOLS = frozenset(
    """read_file list_directory file_search search_text read_lines write_file write_note
    set_reminder list_reminders search_memory run_shell""".split()
)
"""Tools offered to a chat model for every kind of task."""
KIND_TOOLS: dict[str, tuple[str, ...]] = {
    kind: tuple(names.split())
    for kind, names in {
        "fix_error": "locate_error suggest_fix error_records check_data_file check_csv_rows "
        "lint_file check_python python_docs find_usages module_outline",
        "review": "lint_file check_python review_patch check_checklist check_dependencies "
        "check_against check_config fact_check check_csv_rows check_data_file module_outline",
        "lookup_docs": "python_docs docs_for_need apply_to_column find_usages find_calls "
        "evaluate_formula open_items",
        "explain": "module_outline explain_regex import_cycles python_docs summarise_document "
        "find_usages explain_schedule evaluate_formula evaluate_function trace_function "
        "trace_logging",
        "find_examples": "find_calls find_definitions find_usages find_mentions find_statements "
        "filter_rows open_items code_markers python_docs",
        "summarise": "summarise_document digest_notes digest_thread group_totals profile_table "
        "module_outline",
        "draft_text": "write_outline script_interface read_message free_slots note_facts "
        "release_notes code_markers common_slots claim_amount apply_policy apply_caps "
        "summarise_document",
        "organise": "group_totals dated_items digest_notes write_outline check_csv_rows"
        " regroup_checklist merge_duplicates sort_notes sort_rows categorise_rows pick_columns"
        " dedupe_lines tidy_imports sort_by_deadline sort_by_priority fill_template",
    }.items()
}
"""The source tools a chat model is offered per kind of help, most useful first: every tool's
description is in the prompt, and a small model's window (and attention) is short."""

TOOL_SHARE = 0.25
"""Most of the context window the tools' descriptions may take: past it, a kind's later tools
are left out (with a 32,768-token window every kind's tools fit; with 8,192 about half do)."""


GENERAL_TOOLS = frozenset(
    """locate_error check_data_file lint_file module_outline find_usages summarise_document
    python_docs write_outline""".split()
)
"""The source tools offered for a task whose kind is not known."""


def tools_for(kind: str, tools: Sequence[BaseTool], limit: int | None = None) -> list[BaseTool]:
    """The tools offered to a chat model for a task of `kind`: the common ones, then the kind's
    own in their order of use, as many as fit in `limit` characters of descriptions."""
    wanted = KIND_TOOLS.get(kind, tuple(sorted(GENERAL_TOOLS)))
    by_name = {t.name: t for t in tools}
    chosen = [t for t in tools if t.name in COMMON_TOOLS]
    chosen += [by_name[name] for name in wanted if name in by_name]
    if limit is None:
        return chosen
    kept, used = [], 0
    for tool in chosen:
        size = len(json.dumps(convert_to_openai_tool(tool)))
        if used + size > limit and tool.name not in COMMON_TOOLS:
            continue
        kept.append(tool)
        used += size
    return kept


def context_tokens() -> int:
    """The chat model's context window in tokens: PROACTIVE_LLM_CONTEXT, else the default."""
    raw = os.environ.get("PROACTIVE_LLM_CONTEXT", "").strip()
    if not raw:
        return DEFAULT_CONTEXT_TOKENS
    if not raw.isdigit() or int(raw) < 512:
        raise ValueError(f"PROACTIVE_LLM_CONTEXT must be a number of tokens >= 512, got {raw!r}")
    return int(raw)


def fit_context(messages: list[BaseMessage], fixed_chars: int, window: int) -> bool:
    """Trim the oldest tool outputs (in place) until the conversation, with `fixed_chars` of tool
    descriptions, fits the prompt's share of a `window`-token context; False when it cannot."""
    budget = int(window * (1 - REPLY_SHARE)) * CHARS_PER_TOKEN - fixed_chars

    def size() -> int:
        return sum(
            len(str(m.content)) + len(json.dumps(getattr(m, "tool_calls", []) or []))
            for m in messages
        )

    for message in messages:
        if size() <= budget:
            return True
        text = str(message.content)
        if isinstance(message, ToolMessage) and not text.startswith("[output trimmed"):
            message.content = TRIMMED.format(n=len(text))
    return size() <= budget


class ExecutorModel(Protocol):
    """Something that carries out a task with tools."""

    def execute(
        self, draft: Draft, events: Sequence[Event], tools: list[BaseTool], runner: ToolRunner
    ) -> Execution: ...


class LocalExecutor:
    """Carries out a task offline with the plan for its kind of help
    (backends/local/plan_index.py)."""

    def execute(
        self, draft: Draft, events: Sequence[Event], tools: list[BaseTool], runner: ToolRunner
    ) -> Execution:
        from backends.local import plans  # noqa: PLC0415 (the embedded models load on demand)
        from backends.local.plan_index import PLANS  # noqa: PLC0415
        from backends.local.task_subjects import read_task  # noqa: PLC0415

        kind = draft.kind if draft.kind in PLANS else (label_kind(draft.task) or "explain")
        subjects = read_task(draft.task, events)
        work = plans.Work(runner)
        outcome = PLANS[kind](work, subjects, events)
        reminder = None
        if plans.wants_reminder(kind, draft.task):
            reminder = plans.set_reminder(work, subjects, events)
        if outcome.written is not None:
            summary = f"The assistant {outcome.did} to {outcome.written}."
            ok = True
        else:
            body = "\n".join(outcome.lines).strip() or "Nothing was found for this task."
            if reminder:
                body += f"\n\n{reminder}"
            note = work.call("write_note", title=outcome.title, body=body[:MAX_NOTE_CHARS])
            ok = note.ok
            summary = (
                f"The assistant {outcome.did} and wrote the note '{outcome.title}' to {NOTES_FILE}."
                if ok
                else f"The assistant could not finish: {note.output}"
            )
        if reminder and ok:
            summary += f" {reminder}"
        return Execution(task=draft.task, kind=kind, calls=work.calls, summary=summary, ok=ok)


class ChatExecutor:
    """A chat model that calls the workspace tools until the task is done."""

    def __init__(
        self, spec: str, retry: RetryPolicy | None = None, timeout: float | None = None
    ) -> None:
        self.spec = spec
        self.retry = retry
        self.timeout = timeout

    def execute(
        self, draft: Draft, events: Sequence[Event], tools: list[BaseTool], runner: ToolRunner
    ) -> Execution:
        model: BaseChatModel = chat_model(self.spec, timeout=self.timeout)
        limit = int(context_tokens() * TOOL_SHARE) * CHARS_PER_TOKEN
        tools = tools_for(draft.kind or label_kind(draft.task) or "", tools, limit)
        try:
            # "auto" is OpenAI's default, said aloud: llama-cpp-python's server makes tool
            # calls only when a request names a tool_choice.
            # The reply is bounded too: prompt and reply together stay within the window.
            bound = model.bind_tools(tools, tool_choice="auto").bind(
                max_tokens=int(context_tokens() * REPLY_SHARE)
            )
        except NotImplementedError as exc:
            raise ModelOutputError("executor", f"{self.spec} cannot call tools", 1) from exc
        messages: list[BaseMessage] = [
            SystemMessage(content=prompts.EXECUTOR_SYSTEM),
            HumanMessage(
                content=prompts.EXECUTOR_TASK.format(
                    task=draft.task, events=prompts.render_events(events[-15:])
                )
            ),
        ]
        calls: list[ToolCall] = []
        window = context_tokens()
        described = len(json.dumps([convert_to_openai_tool(t) for t in tools]))
        for _ in range(MAX_TOOL_STEPS):
            if not fit_context(messages, described, window):
                return Execution(
                    task=draft.task,
                    kind=draft.kind,
                    calls=calls,
                    summary=(
                        f"Stopped: the task and its tool results no longer fit the model's "
                        f"context of {window} tokens (PROACTIVE_LLM_CONTEXT)."
                    ),
                    ok=False,
                )
            # A round that still fails after the retries raises ModelOutputError; the tool
            # calls already made stay done (a retry repeats the request, not the tools).
            try:
                reply = invoke_with_retry(bound, messages, role="executor", retry=self.retry)
            except ModelOutputError as exc:
                exc.calls = list(calls)
                raise
            requested = getattr(reply, "tool_calls", None) or []
            if requested and not reply.content:
                # Sent back as null content, which llama-cpp-python's server refuses (HTTP 500).
                names = ", ".join(r["name"] for r in requested)
                reply = reply.model_copy(update={"content": f"Calling {names}."})
            messages.append(reply)
            if not requested:
                summary = reply.content if isinstance(reply.content, str) else str(reply.content)
                return Execution(
                    task=draft.task, kind=draft.kind, calls=calls, summary=summary.strip()
                )
            for request in requested:
                call = runner.call(request["name"], dict(request.get("args") or {}))
                calls.append(call)
                messages.append(ToolMessage(content=call.output, tool_call_id=request["id"]))
        return Execution(
            task=draft.task,
            kind=draft.kind,
            calls=calls,
            summary=f"Stopped after {MAX_TOOL_STEPS} tool rounds without finishing.",
            ok=False,
        )


@cache
def executor_for(
    spec: str, retry: RetryPolicy | None = None, timeout: float | None = None
) -> ExecutorModel:
    """The executor named by a backend setting (a chat model's requests go through ``retry``
    and each may take ``timeout`` seconds)."""
    return LocalExecutor() if is_local(spec) else ChatExecutor(spec, retry, timeout)
