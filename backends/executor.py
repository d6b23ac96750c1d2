"""The executor's model role: carry out an accepted task with the workspace tools.

With a chat model it is a tool-calling loop. With ``local`` it runs the plan of tool calls for
the task's kind of help (locate an error and re-parse its data, lint and outline a module, quote
installed documentation, summarise a document, write an outline with the sections asked for, set
a reminder) and writes a result built only from what those tools returned.
Every tool call is returned as a :class:`ToolCall` so the graph can record it as an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool

from backends import prompts
from backends.llm import RetryPolicy, chat_model, invoke_with_retry, is_local
from backends.local.kinds import label_kind
from backends.schema import ModelOutputError
from graphs.state import Draft, Event, Execution, ToolCall
from tools import ToolRunner

MAX_TOOL_STEPS = 6
"""Tool-calling rounds allowed to a chat model for one task."""
MAX_NOTE_CHARS = 20_000
"""Longest note body the note tool takes."""


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
                f"The assistant {outcome.did} and wrote the note '{outcome.title}' to notes.md."
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
        try:
            # "auto" is OpenAI's default, said aloud: llama-cpp-python's server makes tool
            # calls only when a request names a tool_choice.
            bound = model.bind_tools(tools, tool_choice="auto")
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
        for _ in range(MAX_TOOL_STEPS):
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
