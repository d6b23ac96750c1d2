"""A shell tool, offered only when explicitly enabled (`build_tools(..., allow_shell=True)`).

A shell escapes any path confinement, so it is off by default. When on, commands run with the
workspace as working directory, a time limit (the whole process group is killed when it is
exceeded, so background children do not linger), and bounded output.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

DEFAULT_TIMEOUT_S = 20.0
"""Seconds a command may run."""
MAX_OUTPUT_CHARS = 4000
"""Characters of stdout and of stderr kept."""


class RunShellInput(BaseModel):
    """Arguments of run_shell."""

    command: str = Field(
        min_length=1, max_length=2000, description="A shell command, run in the workspace."
    )


def _cut(text: str) -> str:
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    return text[:MAX_OUTPUT_CHARS] + f"\n... [{len(text) - MAX_OUTPUT_CHARS} more characters]"


def run_shell_tool(workspace: Path, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> BaseTool:
    """A tool that runs a shell command with `workspace` as working directory."""
    cwd = Path(workspace).resolve()

    def run_shell(command: str) -> str:
        process = subprocess.Popen(
            command,
            shell=True,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,  # its own process group, so a timeout can end all of it
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.communicate()
            raise TimeoutError(f"command ran longer than {timeout_s:g} s and was stopped") from None
        parts = [f"exit code {process.returncode}"]
        if stdout:
            parts.append("stdout:\n" + _cut(stdout))
        if stderr:
            parts.append("stderr:\n" + _cut(stderr))
        if process.returncode != 0:
            return "Error: " + "\n".join(parts)
        return "\n".join(parts)

    return StructuredTool.from_function(
        func=run_shell,
        name="run_shell",
        description=(
            f"Run a shell command in the workspace folder (stopped after {timeout_s:g} s). "
            "Returns the exit code, stdout and stderr."
        ),
        args_schema=RunShellInput,
    )
