"""The checkpointer a LangGraph server (`langgraph dev`, or LangGraph's own platform) keeps the
served graph's threads in: `langgraph.json`'s "checkpointer.path" names :func:`checkpointer`.

The server's built-in checkpointer reads the project's state records back through its own
msgpack serializer, which warns on every record type it does not know (and, strict, refuses
them); this one writes and reads them with the project's serde (`graphs.serde`: the graph's own
record types only, nothing else is ever imported or called), so the served graph's state reads
back without warnings, and survives a server restart.

Where, by the server's own environment (never a client): `PROACTIVE_DB=postgresql://...`
(shared by every server replica), else `served-checkpoints.sqlite` in `PROACTIVE_MEMORY_DIR`
(default `.proactive`).

Every checkpoint it writes for a request is stamped with the request's authenticated user
(`service.ownership`): the owner keys a client put into a thread's metadata, a run's configurable
or its context never reach a checkpoint, so no caller can file a thread (or a proposal in
`proactive ui --db`) under someone else. A checkpoint of a thread that belongs to another user
is neither read nor written on a caller's behalf.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from graphs.serde import checkpoint_serde

SERVER_USER_KEY = "langgraph_auth_user_id"
"""The configurable key the LangGraph server sets to the authenticated caller (reserved: a
client cannot set it)."""


class ThreadOwnerError(PermissionError):
    """A write on another user's thread (its thread id names a thread someone else owns)."""


def request_user(config: Any) -> str | None:
    """The user the server authenticated for this checkpointer call, if any: the run's
    configurable, else the request's auth context."""
    configurable = (config or {}).get("configurable") or {}
    user = configurable.get(SERVER_USER_KEY)
    if isinstance(user, str) and user:
        return user
    try:
        from langgraph_api.utils import get_auth_ctx, get_user_id  # noqa: PLC0415
    except ImportError:  # not under a LangGraph server
        return None
    ctx = get_auth_ctx()
    found = get_user_id(ctx.user) if ctx is not None else None
    return found if isinstance(found, str) and found else None


class OwnerStamp:
    """Mixed into a saver: stamps each checkpoint with the caller, and keeps callers to their
    own threads' checkpoints."""

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        from service.ownership import owner_of, stamped  # noqa: PLC0415

        user = request_user(config)
        if user is not None:
            latest = await super().aget_tuple(_latest(config))  # type: ignore[misc]
            if latest is not None and owner_of(latest.metadata) != user:
                raise ThreadOwnerError(
                    f"thread {config['configurable'].get('thread_id')!r} belongs to another user"
                )
            metadata = stamped(metadata, user)
        return await super().aput(config, checkpoint, metadata, new_versions)  # type: ignore[misc]

    async def aget_tuple(self, config: Any) -> Any:
        from service.ownership import owner_of  # noqa: PLC0415

        found = await super().aget_tuple(config)  # type: ignore[misc]
        user = request_user(config)
        if found is not None and user is not None and owner_of(found.metadata) != user:
            return None  # another user's thread: as if there were nothing
        return found

    async def alist(self, config: Any, **kwargs: Any) -> AsyncIterator[Any]:
        from service.ownership import owner_of  # noqa: PLC0415

        user = request_user(config)
        async for item in super().alist(config, **kwargs):  # type: ignore[misc]
            if user is None or owner_of(item.metadata) == user:
                yield item


def _latest(config: Any) -> dict[str, Any]:
    """The config that reads a thread's latest checkpoint in the same namespace."""
    configurable = config.get("configurable") or {}
    return {
        "configurable": {
            "thread_id": configurable.get("thread_id"),
            "checkpoint_ns": configurable.get("checkpoint_ns", ""),
        }
    }


SERVED_FILE = "served-checkpoints.sqlite"
"""The SQLite file of the served graph's threads inside the server's data directory."""


@asynccontextmanager
async def checkpointer() -> AsyncIterator[Any]:
    """The served graph's checkpointer, open for the server's life."""
    db = os.environ.get("PROACTIVE_DB", "").strip()
    if db.startswith(("postgresql://", "postgres://")):
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver  # noqa: PLC0415
        from psycopg import AsyncConnection  # noqa: PLC0415
        from psycopg.rows import dict_row  # noqa: PLC0415

        conn = await AsyncConnection.connect(
            db, autocommit=True, prepare_threshold=0, row_factory=dict_row
        )

        class StampedPostgresSaver(OwnerStamp, AsyncPostgresSaver):
            """The PostgreSQL saver, owner-stamped."""

        async with conn:
            saver = StampedPostgresSaver(conn, serde=checkpoint_serde())
            await saver.setup()
            yield saver
        return
    import aiosqlite  # noqa: PLC0415
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver  # noqa: PLC0415

    directory = Path(os.environ.get("PROACTIVE_MEMORY_DIR") or ".proactive").expanduser()
    directory.mkdir(parents=True, exist_ok=True)

    class StampedSqliteSaver(OwnerStamp, AsyncSqliteSaver):
        """The SQLite saver, owner-stamped."""

    async with aiosqlite.connect(str(directory / SERVED_FILE)) as conn:
        saver = StampedSqliteSaver(conn, serde=checkpoint_serde())
        await saver.setup()
        yield saver
