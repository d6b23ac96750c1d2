"""What every node needs from its run: settings, the thread, the memory and the workspace."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from langgraph.config import get_config
from langgraph.runtime import Runtime

from graphs.context import Context, settings
from memory import MemoryStore, open_memory


def run_settings(runtime: Runtime[Context] | None) -> Context:
    """The run's settings (defaults with environment fallbacks when none were given)."""
    return settings(runtime.context if runtime is not None else None)


def thread_id() -> str:
    """The thread being run ('default' when the caller gave none)."""
    try:
        configurable = get_config().get("configurable", {})
    except RuntimeError:  # called outside a graph run
        return "default"
    return str(configurable.get("thread_id") or "default")


def memory(ctx: Context) -> MemoryStore:
    """The vector memory the settings point at (in-process when no directory is set)."""
    return open_memory(ctx.memory_dir or None)


def workspace(ctx: Context) -> Path:
    """The directory the executor's file tools are confined to."""
    if ctx.workspace:
        path = Path(ctx.workspace).expanduser()
    elif ctx.memory_dir:
        path = Path(ctx.memory_dir).expanduser() / "workspace"
    else:
        path = _scratch_workspace()
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


@cache
def _scratch_workspace() -> Path:
    return Path(tempfile.mkdtemp(prefix="proactive-workspace-"))
