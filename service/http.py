"""The worker host's HTTP endpoint: each user sends events and reads and answers their own
proposals, memory and profile, with a per-user token (`proactive token create`).

Every request carries `Authorization: Bearer <token>`; the token names the user, and nothing in
a request can name another one: a thread belongs to the user of its first event, and a request
about another user's thread is refused (403). The database, the memory server and the models
come from the host's own settings, never from a request.

    POST /events                       {"thread": "...", "events": [{"time": ..., "event": ...}]}
    GET  /threads                      your threads: events received and taken, held or not
    GET  /dead-letters                 your events a worker could not process (each holds a thread)
    GET  /proposals                    your proposals waiting for an answer
    POST /proposals/{thread}/answer    {"answer": ..., "proposal_id": ...} (409 if it no longer
                                       waits, with the one that waits now)
    GET  /memory?q=...&k=4             your memories nearest to a query
    GET  /profile                      what the assistant has learned of your answers
    GET  /health                       no token: whether the database and the memory server
                                       answer ({"ok", "database", "memory"}; 503 if not)

Errors are JSON `{"error": "..."}`: 400 bad input, 401 no, wrong, expired or revoked token,
403 another user's thread, 404 nothing there, 413 too large, 503 the database or the memory
server is unavailable (nothing was appended: send again).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from graphs.context import Context
from service.events import InboxSession, InboxUnavailable

MAX_BODY_BYTES = 4 << 20
"""Largest request body accepted."""

MAX_EVENTS = 5000
"""Most events in one POST /events."""


@dataclass
class ServiceSettings:
    """What the endpoint serves: the host's database, data directory and run settings."""

    db: str
    data_dir: str
    context: Context
    """The run settings (models, memory server); the user comes from each request's token."""


class Problem(Exception):
    """A request refused: an HTTP status and a reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Database(InboxSession):
    """The inbox session, a lost database a 503."""

    def call(self, fn: Callable[[Any], Any]) -> Any:
        try:
            return super().call(fn)
        except InboxUnavailable as exc:
            raise Problem(503, str(exc)) from None


def create_app(settings: ServiceSettings) -> Starlette:
    """The endpoint's app (the graph is opened on first use)."""
    from service.events import InboxError  # noqa: PLC0415
    from service.tokens import TokenError, TokenStore  # noqa: PLC0415

    database = _Database(settings.db)
    opened: dict[str, Any] = {}
    opening = threading.Lock()

    def graph() -> Any:
        with opening:
            if "graph" not in opened:
                from graphs.persistence import build_durable_graph  # noqa: PLC0415

                opened["graph"] = build_durable_graph(settings.data_dir, db=settings.db)
            return opened["graph"]

    def context(user: str) -> Context:
        return dataclasses.replace(settings.context, user_id=user)

    async def caller(request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if header and scheme.lower() != "bearer":
            raise Problem(401, "send the token as Authorization: Bearer <token>")
        try:
            return await run_in_threadpool(
                database.call, lambda inbox: TokenStore(inbox.conn).verify(token.strip())
            )
        except TokenError as exc:
            raise Problem(401, str(exc)) from None

    async def body(request: Request) -> dict[str, Any]:
        from service.request_body import BodyError, BodyLimits, read_json_object  # noqa: PLC0415

        try:
            return await read_json_object(request, BodyLimits(max_bytes=MAX_BODY_BYTES))
        except BodyError as exc:
            raise Problem(exc.status, str(exc)) from None

    def own(inbox: Any, user: str, thread: str) -> None:
        owner = inbox.owner(thread)
        if owner is None:
            raise Problem(404, f"no thread {thread!r}")
        if owner != user:
            raise Problem(403, f"thread {thread!r} belongs to another user")

    async def post_events(request: Request) -> JSONResponse:
        user = await caller(request)
        data = await body(request)
        thread, events = data.get("thread"), data.get("events")
        if not isinstance(thread, str) or not thread.strip() or len(thread) > 200:
            raise Problem(400, "'thread' must be a non-empty string of at most 200 characters")
        if not isinstance(events, list) or not events:
            raise Problem(400, "'events' must be a non-empty list of events")
        if len(events) > MAX_EVENTS:
            raise Problem(413, f"at most {MAX_EVENTS} events in one request")
        checked = [_checked_event(i, e) for i, e in enumerate(events)]  # stored normalised

        def append(inbox: Any) -> list[int]:
            try:
                return inbox.append(user, thread, checked)
            except InboxError as exc:
                raise Problem(403, str(exc)) from None

        seqs = await run_in_threadpool(database.call, append)
        return JSONResponse(
            {"thread": thread, "appended": len(seqs), "first": seqs[0], "last": seqs[-1]},
            status_code=201,
        )

    async def get_threads(request: Request) -> JSONResponse:
        user = await caller(request)
        rows = await run_in_threadpool(database.call, lambda inbox: inbox.threads(user))
        return JSONResponse({"user": user, "threads": rows})

    async def get_dead_letters(request: Request) -> JSONResponse:
        user = await caller(request)
        held = await run_in_threadpool(database.call, lambda inbox: inbox.dead_letters(user))
        return JSONResponse({"user": user, "dead_letters": held})

    async def get_proposals(request: Request) -> JSONResponse:
        from service import answers as proposals  # noqa: PLC0415

        user = await caller(request)
        threads = await run_in_threadpool(database.call, lambda inbox: inbox.threads(user))
        mine = [t["thread"] for t in threads]  # only this user's threads are looked at
        waiting = await run_in_threadpool(lambda: proposals.pending(graph(), user, mine))
        return JSONResponse({"user": user, "pending": [p.as_json() for p in waiting]})

    async def post_answer(request: Request) -> JSONResponse:
        from service import answers as proposals  # noqa: PLC0415

        user = await caller(request)
        thread = request.path_params["thread"]
        await run_in_threadpool(database.call, lambda inbox: own(inbox, user, thread))
        data = await body(request)
        if "answer" not in data:
            raise Problem(400, "the body needs 'answer'")
        proposal = data.get("proposal_id")
        if not isinstance(proposal, str) or not proposal:
            raise Problem(400, "the body needs 'proposal_id': the proposal's, from GET /proposals")

        def answer() -> dict[str, Any]:
            try:
                return proposals.answer(
                    graph(),
                    settings.data_dir,
                    context(user),
                    thread,
                    data["answer"],
                    db=settings.db,
                    proposal=proposal,
                )
            except proposals.StaleAnswerError:
                raise  # a 409 with the proposal that waits now, below
            except proposals.ThreadBusyAnswerError as exc:
                raise Problem(409, str(exc)) from None
            except proposals.AnswerError as exc:
                raise Problem(400, str(exc)) from None

        try:
            return JSONResponse(await run_in_threadpool(answer))
        except proposals.StaleAnswerError as exc:  # answered or refined since it was read
            waiting = [p.as_json() for p in exc.waiting]
            return JSONResponse({"error": str(exc), "waiting": waiting}, status_code=409)

    async def get_memory(request: Request) -> JSONResponse:
        from memory import open_memory  # noqa: PLC0415

        user = await caller(request)
        query = request.query_params.get("q", "").strip()
        if not query:
            raise Problem(400, "give a query: ?q=...")
        try:
            k = int(request.query_params.get("k", "4"))
        except ValueError:
            raise Problem(400, "k must be a whole number") from None
        if not 1 <= k <= 50:
            raise Problem(400, "k must be 1..50")

        def search() -> list[dict[str, Any]]:
            store = open_memory(settings.context.memory_server or settings.data_dir)
            hits = store.search(user=user, query=query, k=k)
            return [
                {"text": h.text, "kind": h.kind, "distance": round(h.distance, 4)} for h in hits
            ]

        return JSONResponse({"user": user, "hits": await run_in_threadpool(_memory_call, search)})

    async def get_profile(request: Request) -> JSONResponse:
        from memory import open_memory  # noqa: PLC0415
        from nodes.personal import profiles, user_profile  # noqa: PLC0415

        user = await caller(request)

        def read() -> dict[str, Any]:
            ctx = context(user)
            if ctx.memory_server:  # workers and the operator write there: rebuild, never cached
                open_memory(ctx.memory_server).drop_cache(user)
                profiles(ctx).drop(user)
            profile, notice = user_profile(ctx)
            if profile is None:
                return {"user": user, "learning": False}
            answered = len(profile.answers)
            counts = profile.counts()
            return {
                "user": user,
                "learning": True,
                "answers": answered,
                "counts": counts,
                "accept_rate": (counts["accept"] + counts["edit"]) / answered if answered else None,
                "bias": round(profile.bias, 4),
                "notice": notice,
            }

        return JSONResponse(await run_in_threadpool(_memory_call, read))

    async def health(request: Request) -> JSONResponse:
        from memory import open_memory  # noqa: PLC0415

        checks: dict[str, str] = {}
        try:
            await run_in_threadpool(database.call, lambda inbox: inbox.work(limit=1))
            checks["database"] = "ok"
        except Problem as exc:
            checks["database"] = str(exc)
        url = settings.context.memory_server
        if url:
            try:
                await run_in_threadpool(_memory_call, lambda: open_memory(url).heartbeat())
                checks["memory"] = "ok"
            except Problem as exc:
                checks["memory"] = str(exc)
        ok = all(value == "ok" for value in checks.values())
        return JSONResponse({"ok": ok, **checks}, status_code=200 if ok else 503)

    async def problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"error": str(exc)}, status_code=exc.status, headers=headers)

    return Starlette(
        routes=[
            Route("/events", post_events, methods=["POST"]),
            Route("/threads", get_threads, methods=["GET"]),
            Route("/dead-letters", get_dead_letters, methods=["GET"]),
            Route("/proposals", get_proposals, methods=["GET"]),
            Route("/proposals/{thread:path}/answer", post_answer, methods=["POST"]),
            Route("/memory", get_memory, methods=["GET"]),
            Route("/profile", get_profile, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ],
        exception_handlers={Problem: problem},
    )


def _checked_event(index: int, event: Any) -> dict[str, Any]:
    """An event normalised as `proactive run` reads it (unix seconds, `text`), or 400 naming
    which one and why."""
    from nodes.observe import BadEventError, normalise_event  # noqa: PLC0415

    if not isinstance(event, dict):
        raise Problem(400, f"events[{index}] must be an object with 'time' and 'event'")
    try:
        return normalise_event(event)
    except BadEventError as exc:
        raise Problem(400, f"events[{index}]: {exc}") from None


def _memory_call(fn: Callable[[], Any]) -> Any:
    """Run a memory read; a memory server that does not answer is a 503."""
    from cli.common import storage_failure  # noqa: PLC0415

    try:
        return fn()
    except Exception as exc:
        message = storage_failure(exc, ".")
        if message is None:
            raise
        raise Problem(503, message) from None
