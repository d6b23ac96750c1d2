"""Who may do what on the served graph (`langgraph.json`'s "auth"): the same per-user tokens
as the worker host's endpoint, and each user sees only their own threads, runs and store items.

With `PROACTIVE_DB=postgresql://...` in the server's environment, every request carries
`Authorization: Bearer <token>` (`proactive token create`); the token's user becomes the run's
user (its memory, its profile: `nodes.common.run_settings` reads it), every thread and run is
stamped with its owner when created or changed (`service.ownership`: a client's own claim of a
user is dropped), and every read, search, run and change is filtered to the caller's own.
Without a token database the server is one person's (`langgraph dev` on a laptop): every
request is the server's own user (PROACTIVE_USER_ID), with the same owner stamps.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from langgraph_sdk import Auth

from service.events import InboxSession, InboxUnavailable
from service.ownership import OWNER_KEY, stamp_request

auth = Auth()

_sessions: dict[str, InboxSession] = {}


def _token_db() -> str | None:
    db = os.environ.get("PROACTIVE_DB", "").strip()
    return db if db.startswith(("postgresql://", "postgres://")) else None


def _verify(db: str, token: str) -> str:
    from service.tokens import TokenStore  # noqa: PLC0415

    session = _sessions.setdefault(db, InboxSession(db))
    return str(session.call(lambda inbox: TokenStore(inbox.conn).verify(token)))


@auth.authenticate
async def authenticate(authorization: str | None) -> dict[str, Any]:
    """The caller: the token's user, or the server's own user on a server without tokens."""
    from service.tokens import TokenError  # noqa: PLC0415

    db = _token_db()
    if db is None:
        user = os.environ.get("PROACTIVE_USER_ID", "").strip() or "default"
        return {"identity": user, "is_authenticated": True}
    scheme, _, token = (authorization or "").partition(" ")
    if authorization and scheme.lower() != "bearer":
        raise Auth.exceptions.HTTPException(
            status_code=401, detail="send the token as Authorization: Bearer <token>"
        )
    try:
        user = await asyncio.to_thread(_verify, db, token.strip())
    except TokenError as exc:
        raise Auth.exceptions.HTTPException(status_code=401, detail=str(exc)) from None
    except InboxUnavailable as exc:
        raise Auth.exceptions.HTTPException(status_code=503, detail=str(exc)) from None
    return {"identity": user, "is_authenticated": True}


@auth.on.assistants
async def assistants(ctx: Auth.types.AuthContext, value: Any) -> bool:
    """The graphs' assistants are the server's: anyone may read and use them, nobody changes
    them (an assistant's settings would apply to every user's runs)."""
    if ctx.action in ("create", "update", "delete"):
        raise Auth.exceptions.HTTPException(
            status_code=403, detail="the server's assistants cannot be changed by a client"
        )
    return True


@auth.on.store()
async def own_store(ctx: Auth.types.AuthContext, value: Any) -> None:
    """Store items live under the caller's own namespace."""
    namespace = tuple(value.get("namespace") or ())
    if namespace[:1] != (ctx.user.identity,):
        value["namespace"] = (ctx.user.identity, *namespace)


STAMPED_ACTIONS = ("create", "update", "create_run")
"""Requests that write a thread's, a run's or a cron's metadata: the server stamps the owner."""


@auth.on
async def owner_only(ctx: Auth.types.AuthContext, value: Any) -> dict[str, str]:
    """Threads, runs, crons and store items: stamped with the caller as owner when made or
    changed (a client's own claim of a user, in metadata, configurable or context, is dropped),
    and filtered to the caller's own whatever the request."""
    if isinstance(value, dict):  # in place: the server reads this dict
        if ctx.action in STAMPED_ACTIONS:
            stamp_request(value, ctx.user.identity)
        elif isinstance(value.get("metadata"), dict):  # a search: the caller's own only
            value["metadata"][OWNER_KEY] = ctx.user.identity
    return {OWNER_KEY: ctx.user.identity}
