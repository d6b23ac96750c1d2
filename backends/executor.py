"""The executor's model role: carry out an accepted task with the workspace tools.

With a chat model it is a tool-calling loop. With ``local`` it performs the tool actions that
the task's kind of help maps to: gather what memory and the workspace hold about the task's
subject, then write the result where the user can open it (a note, a draft file, a reminder).
Every tool call is returned as a :class:`ToolCall` so the graph can record it as an event.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool

from backends import prompts
from backends.llm import RetryPolicy, chat_model, invoke_with_retry, is_local
from backends.schema import ModelOutputError
from graphs.state import Draft, Event, Execution, ToolCall
from tools import ToolRunner

MAX_TOOL_STEPS = 6
"""Tool-calling rounds allowed to a chat model for one task."""


class ExecutorModel(Protocol):
    """Something that carries out a task with tools."""

    def execute(
        self, draft: Draft, events: Sequence[Event], tools: list[BaseTool], runner: ToolRunner
    ) -> Execution: ...


class LocalExecutor:
    """Maps the task's kind of help to a fixed sequence of tool actions."""

    def execute(
        self, draft: Draft, events: Sequence[Event], tools: list[BaseTool], runner: ToolRunner
    ) -> Execution:
        from backends.local.entities import extract_entities  # noqa: PLC0415

        entities = extract_entities(events)
        subject = _subject(draft, entities)
        calls: list[ToolCall] = [runner.call("search_memory", {"query": subject})]
        calls.append(runner.call("search_text", {"text": _keyword(subject)}))
        if draft.kind in ("fix_error", "review") and entities.files:
            calls += _read_if_present(runner, entities.files[0])
        found = [c.output for c in calls if c.ok and c.output.strip()]
        recent = [e.text for e in events if e.source == "user"][-6:]
        body = _note_body(draft, recent, found)
        if draft.kind == "draft_text":
            path = f"drafts/{_slug(subject)}.md"
            calls.append(runner.call("write_file", {"file_path": path, "text": body}))
            summary = f"The assistant wrote a draft outline to '{path}'."
        else:
            title = f"{draft.kind.replace('_', ' ').capitalize()}: {subject}"
            calls.append(runner.call("write_note", {"title": title, "body": body}))
            summary = f"The assistant wrote the note '{title}' to notes.md."
        if draft.kind == "organise":
            calls.append(
                runner.call("set_reminder", {"text": f"Follow up: {draft.task}", "when": "later"})
            )
            summary += " It also set a reminder to follow up."
        ok = calls[-1].ok
        return Execution(
            task=draft.task,
            kind=draft.kind,
            calls=calls,
            summary=summary if ok else f"The assistant could not finish: {calls[-1].output}",
            ok=ok,
        )


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
            bound = model.bind_tools(tools)
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
            messages.append(reply)
            requested = getattr(reply, "tool_calls", None) or []
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


def _read_if_present(runner: ToolRunner, name: str) -> list[ToolCall]:
    """Find the file in the workspace by name and read it when it is there."""
    base = name.split()[-1].split("/")[-1]
    found = runner.call("file_search", {"pattern": base, "dir_path": "."})
    paths = (
        found.output.splitlines() if found.ok and not found.output.startswith("No files") else []
    )
    if not paths:
        return [found]
    return [found, runner.call("read_file", {"file_path": paths[0].strip()})]


_QUOTED = re.compile(r"'(.{2,120}?)'(?=[\s.,;:!?)]|$)")


def _subject(draft: Draft, entities: object) -> str:
    """What the task is about: the name it quotes, else the most telling entity."""
    quoted = _QUOTED.search(draft.task)
    if quoted:
        return quoted.group(1)
    for name in ("errors", "queries", "files", "pages"):
        values = getattr(entities, name, None)
        if values:
            return str(values[0])
    return draft.task


def _keyword(subject: str) -> str:
    words = re.findall(r"[\w.'-]{4,}", subject)
    return max(words, key=len) if words else subject[:40]


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:48] or "draft"


def _note_body(draft: Draft, recent: list[str], found: list[str]) -> str:
    lines = [f"Task: {draft.task}", "", "What you were doing:"]
    lines += [f"- {text}" for text in recent]
    if found:
        lines += ["", "What the assistant found in memory and the workspace:"]
        lines += [found_text.strip() for found_text in found]
    return "\n".join(lines)


@cache
def executor_for(
    spec: str, retry: RetryPolicy | None = None, timeout: float | None = None
) -> ExecutorModel:
    """The executor named by a backend setting (a chat model's requests go through ``retry``
    and each may take ``timeout`` seconds)."""
    return LocalExecutor() if is_local(spec) else ChatExecutor(spec, retry, timeout)
