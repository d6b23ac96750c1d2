"""Whose a thread is: the owner stamp the servers write from the authenticated identity, and the
one check every reader makes of it.

A thread's checkpoints carry its user under `USER_KEY` ("proactive_user") and, on the served
graph, its thread record carries `OWNER_KEY` ("owner"). Only a server writes them, from the
identity it authenticated (a token's user, or the one person of a server without tokens): the
stamp replaces whatever a client put in a thread's or a run's metadata, configurable or context,
so no request can file a thread, or a proposal, under another person. The web inbox, the worker
host's endpoint and the served graph's checkpointer all read ownership through :func:`owner_of`.
"""

from __future__ import annotations

from typing import Any

from graphs.persistence import USER_KEY

OWNER_KEY = "owner"
"""The served graph's thread metadata: the user the server's auth filters threads by."""

DEFAULT_USER = "default"
"""The owner of a thread written before owners were recorded (one person's data directory)."""

STAMPED_KEYS = (USER_KEY, OWNER_KEY)
"""The keys only a server writes; a client's values for them are dropped."""

CLIENT_USER_KEYS = STAMPED_KEYS
"""Names a client could use to claim a user in a run's configurable or context (a context's
`user_id` is a server setting: the run refuses it, `graphs.context`)."""


def owner_of(metadata: dict[str, Any] | None) -> str:
    """The user a thread's checkpoint belongs to, by the server's stamp. `OWNER_KEY` comes
    first: only the served graph's auth has ever written it, so a checkpoint from before the
    stamp whose `USER_KEY` a client planted still reads as its real owner's."""
    for key in (OWNER_KEY, USER_KEY):
        owner = (metadata or {}).get(key)
        if isinstance(owner, str) and owner:
            return owner
    return DEFAULT_USER


def belongs(metadata: dict[str, Any] | None, user: str) -> bool:
    """Whether a checkpoint's thread is `user`'s."""
    return owner_of(metadata) == user


def stamped(metadata: dict[str, Any] | None, user: str) -> dict[str, Any]:
    """`metadata` with the owner stamp set to `user`, whatever it said before."""
    kept = {k: v for k, v in (metadata or {}).items() if k not in STAMPED_KEYS}
    return {**kept, USER_KEY: user, OWNER_KEY: user}


def stamp_request(value: dict[str, Any], user: str) -> None:
    """Stamp a served-graph request (a thread's or a run's create or update, in place: the server
    reads this dict) with its caller as owner, and drop every other claim of a user a client
    sent: in the metadata, and in a run's configurable and context."""
    if "metadata" in value:
        if not isinstance(value["metadata"], dict):
            value["metadata"] = {}
        metadata = value["metadata"]  # changed in place: the server keeps this very dict
        for key in STAMPED_KEYS:
            metadata.pop(key, None)
        metadata.update({USER_KEY: user, OWNER_KEY: user})
    kwargs = value.get("kwargs")
    if not isinstance(kwargs, dict):
        return
    config = kwargs.get("config")
    if isinstance(config, dict):
        for part in ("configurable", "metadata"):
            if isinstance(config.get(part), dict):
                for key in CLIENT_USER_KEYS:
                    config[part].pop(key, None)
    context = kwargs.get("context")
    if isinstance(context, dict):
        for key in CLIENT_USER_KEYS:
            context.pop(key, None)
