"""Run tools by name for the executor, turning every outcome into a `ToolCall` record.

The executor (and the model behind it) may ask for a tool that does not exist, pass arguments of
the wrong shape, or point a file tool outside the workspace. None of that may stop the graph: the
runner never raises, and each call comes back as `ToolCall(ok=False, output=<why>)` when it fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from langchain_core.tools import BaseTool
from pydantic import ValidationError

from graphs.state import ToolCall

MAX_OUTPUT_CHARS = 2000
"""Longest tool output kept in a ToolCall record."""
MAX_ARG_CHARS = 2000
"""Longest string argument kept in a ToolCall record (the tool itself gets it whole)."""
MAX_CALLS = 100
"""Tool calls one runner (one task) makes; later ones are refused, so a model that asks for
thousands of calls in one reply cannot flood the workspace."""

ERROR_PREFIX = "Error:"
"""LangChain's file tools report refusals and failures as text starting with this."""


def truncate(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """`text` cut to `limit` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    note = f"\n... [truncated {len(text) - limit} characters]"
    return text[: max(0, limit - len(note))] + note


def _record_args(args: Any) -> dict[str, Any]:
    if not isinstance(args, Mapping):
        return {"_invalid": truncate(repr(args), 200)}
    recorded: dict[str, Any] = {}
    for key, value in args.items():
        if isinstance(value, str):
            value = truncate(value, MAX_ARG_CHARS)
        elif not isinstance(value, int | float | bool | type(None)):
            value = truncate(repr(value), MAX_ARG_CHARS)
        recorded[str(key)] = value
    return recorded


def _describe_validation(err: ValidationError) -> str:
    problems = []
    for error in err.errors():
        where = ".".join(str(part) for part in error.get("loc", ())) or "arguments"
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(problems)


class ToolRunner:
    """Calls tools by name; `call` never raises."""

    def __init__(
        self,
        tools: Iterable[BaseTool],
        *,
        max_output_chars: int = MAX_OUTPUT_CHARS,
        max_calls: int = MAX_CALLS,
    ):
        self.max_calls = max_calls
        self.calls = 0
        """Calls made so far (refused ones included)."""
        self.tools: dict[str, BaseTool] = {}
        for tool in tools:
            if tool.name in self.tools:
                raise ValueError(f"two tools are named {tool.name!r}")
            self.tools[tool.name] = tool
        self.max_output_chars = max_output_chars

    @property
    def names(self) -> list[str]:
        """Names of the tools this runner can call."""
        return list(self.tools)

    def call(self, name: str, args: dict[str, Any] | None = None) -> ToolCall:
        """Run tool `name` with `args`; failures come back as `ok=False` with the reason."""
        recorded = _record_args({} if args is None else args)
        tool_name = name if isinstance(name, str) else repr(name)

        def failed(message: str) -> ToolCall:
            return ToolCall(
                tool=tool_name,
                args=recorded,
                ok=False,
                output=truncate(message, self.max_output_chars),
            )

        self.calls += 1
        if self.calls > self.max_calls:
            return failed(f"Error: this task has used its {self.max_calls} tool calls; stop")
        try:
            tool = self.tools.get(name) if isinstance(name, str) else None
            if tool is None:
                available = ", ".join(self.tools) or "none"
                return failed(f"Error: unknown tool {tool_name!r}; available tools: {available}")
            if args is None:
                args = {}
            if not isinstance(args, Mapping):
                return failed(
                    f"Error: arguments of {tool_name} must be an object of named values, "
                    f"got {type(args).__name__}"
                )
            try:
                result = tool.invoke(dict(args))
            except ValidationError as err:
                return failed(f"Error: bad arguments for {tool_name}: {_describe_validation(err)}")
            output = result if isinstance(result, str) else str(result)
        except Exception as err:  # the runner's promise: nothing a tool raises escapes
            message = str(err) or type(err).__name__
            return failed(f"Error: {tool_name} failed: {type(err).__name__}: {message}")
        ok = not output.lstrip().startswith(ERROR_PREFIX)
        return ToolCall(
            tool=tool_name,
            args=recorded,
            ok=ok,
            output=truncate(output, self.max_output_chars),
        )
