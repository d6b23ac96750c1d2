"""What every node needs from its run: settings, the thread, the memory and the workspace."""

from __future__ import annotations

import copy
import hashlib
import re
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

from langgraph.config import get_config
from langgraph.runtime import Runtime

from backends.llm import RetryPolicy
from backends.schema import ModelOutputError
from graphs.context import Context, settings, thread_settings
from graphs.state import State
from memory import MemoryStore, open_memory

R = TypeVar("R")

BACKOFF_JITTER = 0.25
"""Up to this fraction of each retry wait is random, so that clients do not retry in step."""

MAX_BACKOFF_SECONDS = 30.0
"""Cap on one retry wait (a server's Retry-After is honoured up to it)."""


def run_settings(runtime: Runtime[Context] | None, state: State | None = None) -> Context:
    """The run's settings (defaults with environment fallbacks when none were given), with the
    run settings the thread recorded at its first event (`state.settings`, see
    `graphs.context.thread_settings`: on the served graph they always hold). On a LangGraph
    server with the project's auth (`service.served_auth`), the run's user is the caller the
    server authenticated, whatever else says so."""
    ctx = settings(runtime.context if runtime is not None else None)
    if state is not None:
        ctx = thread_settings(ctx, state.settings)
    user = authenticated_user()
    if user is not None and user != ctx.user_id:
        ctx = copy.copy(ctx)
        object.__setattr__(ctx, "user_id", user)
    return ctx


def authenticated_user() -> str | None:
    """The user a LangGraph server authenticated for this run (None outside one, or without
    auth). Clients cannot set it: the server reserves the key."""
    try:
        configurable = get_config().get("configurable", {})
    except RuntimeError:  # called outside a graph run
        return None
    user = configurable.get("langgraph_auth_user_id")
    return user if isinstance(user, str) and user.strip() else None


def thread_id() -> str:
    """The thread being run ('default' when the caller gave none)."""
    try:
        configurable = get_config().get("configurable", {})
    except RuntimeError:  # called outside a graph run
        return "default"
    return str(configurable.get("thread_id") or "default")


def memory(ctx: Context) -> MemoryStore:
    """The vector memory the settings point at: a Chroma server, the embedded one in the
    memory directory, or (neither) this process's own."""
    return open_memory(ctx.memory_server or ctx.memory_dir or None)


def workspace(ctx: Context) -> Path:
    """The run's user's own directory, which the executor's file tools are confined to:
    `<base>/<user folder>`, the base being the configured workspace, `<memory_dir>/workspace`,
    or a temporary directory. Files an older version left in the base itself stay there,
    out of every user's reach (nothing is moved)."""
    if ctx.workspace:
        base = Path(ctx.workspace).expanduser()
    elif ctx.memory_dir:
        base = Path(ctx.memory_dir).expanduser() / "workspace"
    else:
        base = _scratch_workspace()
    path = base / user_folder(ctx.user_id)
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def user_folder(user: str) -> str:
    """A user's folder name in a workspace: a readable slug of the id and a short hash of it.
    The hash keeps apart ids the slug or a case-blind file system would merge ('Ana', 'ana',
    'a b', 'a-b'); the slug never starts with a dot, so it is never hidden nor '..'."""
    slug = _UNSAFE.sub("-", user).strip("-.")[:40] or "user"
    digest = hashlib.blake2b(user.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
    return f"{slug}-{digest}"


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
"""Characters left out of a user's folder name."""


@cache
def _scratch_workspace() -> Path:
    return Path(tempfile.mkdtemp(prefix="proactive-workspace-"))


def llm_retry(ctx: Context) -> RetryPolicy:
    """The retry policy of the run's language-model requests, from its settings."""
    return RetryPolicy(
        attempts=int(ctx.llm_retries) + 1,
        base_delay_s=float(ctx.llm_backoff_seconds),
        max_delay_s=MAX_BACKOFF_SECONDS,
        jitter=BACKOFF_JITTER,
        budget_s=float(ctx.llm_retry_budget_seconds),
    )


def with_fallback(
    ctx: Context, role: str, backend: str, call: Callable[[str], R]
) -> tuple[R, ModelOutputError | None]:
    """``call(backend)``; when it raises :class:`ModelOutputError` (retries spent) and the
    ``fallback`` setting names another backend, ``call(fallback)`` answers instead.

    Returns the answer and the failure that was fallen back from (None when ``backend``
    answered). Raises :class:`ModelOutputError` when there is no fallback or it failed too.
    """
    try:
        return call(backend), None
    except ModelOutputError as exc:
        fallback = ctx.fallback.strip()
        if not fallback or fallback == backend.strip():
            raise
        try:
            return call(fallback), exc
        except ModelOutputError as second:
            raise ModelOutputError(
                role,
                f"{exc.reason}; the fallback {fallback!r} failed too: {second.reason}",
                exc.attempts + second.attempts,
            ) from second
