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
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from graphs.serde import checkpoint_serde

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
        async with conn:
            saver = AsyncPostgresSaver(conn, serde=checkpoint_serde())
            await saver.setup()
            yield saver
        return
    import aiosqlite  # noqa: PLC0415
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver  # noqa: PLC0415

    directory = Path(os.environ.get("PROACTIVE_MEMORY_DIR") or ".proactive").expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(str(directory / SERVED_FILE)) as conn:
        saver = AsyncSqliteSaver(conn, serde=checkpoint_serde())
        await saver.setup()
        yield saver
