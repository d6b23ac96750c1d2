"""The web app of `proactive ui`: the inbox and the annotation tool, as a Starlette app.

Pages are server-rendered shells (Jinja2, autoescaped) that fetch JSON from the API below and
render it with `textContent` only: events and tasks are untrusted text and never become markup.
The app answers only on the hosts it was started for (loopback by default: a page elsewhere that
points a browser at it is refused by the Host check), and a change (an answer, an annotation)
must come as JSON from the app's own origin.

API: `GET /api/pending`, `POST /api/answer`, `GET /api/history`, `GET /files/{path}` (the
workspace, read-only), `GET /api/traces`, `GET /api/step`, `POST /api/annotate`,
`GET /api/annotations/rows.jsonl`, and the pages' icon (`/favicon.svg`, `/favicon.ico`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from graphs.context import Context
from ui import annotate, inbox

FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="7" fill="#2f2b59"/>'
    '<path d="M9 24V8h8a5 5 0 0 1 0 10h-8" fill="none" stroke="#fff" stroke-width="3.5"/></svg>'
)
"""The pages' icon (a "p" on the header's colour), served at /favicon.svg and /favicon.ico."""

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
"""Host names the app answers to unless it was started for others."""

MAX_BODY_BYTES = 1 << 20
"""Largest request body accepted."""

MAX_FILE_BYTES = 2 << 20
"""Largest workspace file shown."""


@dataclass
class Settings:
    """What one `proactive ui` serves: whose inbox, which data directory, which traces."""

    data_dir: Path
    """The data directory of `proactive run` / `watch` (checkpoints, memory, workspace)."""
    context: Context
    """The run settings used to resume threads (the user, the models, the data directory)."""
    traces: dict[str, annotate.Trace] = field(default_factory=dict)
    """Traces to annotate, by name."""
    annotations: Path | None = None
    """Where annotators' answers are saved (default `<data_dir>/annotations`)."""
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    """Host names the app answers to."""
    drafter: Any | None = None
    """Writes candidate tasks where a trace has fewer than five (the embedded drafter)."""
    db: str | None = None
    """The checkpoint database URL (default: the data directory's SQLite file)."""


class _Problem(Exception):
    """A request the app refuses: an HTTP status and a message for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def create_app(settings: Settings) -> Starlette:
    """The app for these settings (the graph and the stores are opened once, here)."""
    from graphs.persistence import build_durable_graph  # noqa: PLC0415
    from memory import open_memory  # noqa: PLC0415
    from nodes.common import workspace  # noqa: PLC0415

    graph = build_durable_graph(settings.data_dir, db=settings.db)
    memory = open_memory(str(settings.data_dir))
    folder = workspace(settings.context)
    store = annotate.AnnotationStore(settings.annotations or settings.data_dir / "annotations")
    pages = Environment(
        loader=PackageLoader("ui", "templates"), autoescape=select_autoescape(["html"])
    )
    user = settings.context.user_id

    def page(name: str, **values: Any) -> HTMLResponse:
        html = pages.get_template(name).render(user=user, **values)
        return HTMLResponse(html, headers=_SECURITY_HEADERS)

    async def body(request: Request) -> dict[str, Any]:
        origin = request.headers.get("origin")
        if origin is not None and origin.split("://", 1)[-1] != request.headers.get("host"):
            raise _Problem(403, f"requests from {origin} are refused")
        from service.request_body import BodyError, BodyLimits, read_json_object  # noqa: PLC0415

        try:  # streamed: the read stops at the limit, before anything is parsed
            return await read_json_object(request, BodyLimits(max_bytes=MAX_BODY_BYTES))
        except BodyError as exc:
            raise _Problem(exc.status, str(exc)) from None

    async def inbox_page(request: Request) -> HTMLResponse:
        return page("inbox.html")

    async def annotate_page(request: Request) -> HTMLResponse:
        return page("annotate.html")

    async def api_pending(request: Request) -> JSONResponse:
        from service import answers  # noqa: PLC0415

        waiting = await run_in_threadpool(answers.pending, graph, user)
        waiting = await run_in_threadpool(inbox.newest_first, graph, waiting)
        return JSONResponse({"pending": [p.as_json() for p in waiting]})

    async def api_answer(request: Request) -> JSONResponse:
        from service import answers  # noqa: PLC0415

        data = await body(request)
        thread, proposal = data.get("thread"), data.get("proposal_id")
        if not isinstance(thread, str) or not thread:
            raise _Problem(400, "name the thread the answer is for")
        if "response" not in data:
            raise _Problem(400, "send the answer as 'response' (an Agent Inbox response)")
        if not isinstance(proposal, str) or not proposal:
            raise _Problem(400, "name the proposal the answer is for: 'proposal_id' (as listed)")
        try:
            result = await run_in_threadpool(
                answers.answer,
                graph,
                settings.data_dir,
                settings.context,
                thread,
                data["response"],
                settings.db,
                proposal,
            )
        except answers.StaleAnswerError as err:  # the person saw another proposal: say so
            waiting = [p.as_json() for p in err.waiting]
            return JSONResponse({"error": str(err), "waiting": waiting}, status_code=409)
        except answers.ThreadBusyAnswerError as err:
            raise _Problem(409, str(err)) from None
        except answers.AnswerError as err:
            raise _Problem(400, str(err)) from None
        return JSONResponse(result)

    async def api_history(request: Request) -> JSONResponse:
        items = await run_in_threadpool(inbox.history, graph, memory, user)
        files = await run_in_threadpool(inbox.workspace_files, folder)
        return JSONResponse({"history": items, "files": files})

    async def workspace_file(request: Request) -> Response:
        relative = request.path_params["path"]
        text = await run_in_threadpool(_workspace_text, folder, relative)
        return PlainTextResponse(text, headers=_SECURITY_HEADERS)

    async def api_traces(request: Request) -> JSONResponse:
        annotator = request.query_params.get("annotator")
        done: dict[tuple[str, int], Any] = {}
        if annotator:
            done = await run_in_threadpool(store.answers, _annotator(annotator))
        return JSONResponse(
            {
                "traces": [
                    {
                        "name": name,
                        "steps": len(trace.events),
                        "answered": sum(1 for key in done if key[0] == name),
                    }
                    for name, trace in settings.traces.items()
                ],
                "annotators": store.annotators(),
            }
        )

    def _trace_step(trace_name: Any, step: Any) -> tuple[annotate.Trace, int]:
        trace = settings.traces.get(trace_name) if isinstance(trace_name, str) else None
        if trace is None:
            raise _Problem(404, f"no trace {trace_name!r:.60} is loaded")
        try:
            index = int(step)
        except (TypeError, ValueError):
            raise _Problem(400, f"step must be a number, got {step!r:.20}") from None
        if not 0 <= index < len(trace.events):
            raise _Problem(400, f"step must be 0..{len(trace.events) - 1}, got {index}")
        return trace, index

    async def api_step(request: Request) -> JSONResponse:
        params = request.query_params
        trace, index = _trace_step(params.get("trace"), params.get("step"))
        tasks = await run_in_threadpool(annotate.candidates_at, trace, index, settings.drafter)
        previous = None
        annotator = params.get("annotator")
        if annotator:
            answers = await run_in_threadpool(store.answers, _annotator(annotator))
            found = answers.get((trace.name, index))
            if found is not None and found.candidates == tasks:
                previous = {"accepted": found.accepted, "help_needed": found.help_needed}
        return JSONResponse(
            {
                "trace": trace.name,
                "step": index,
                "steps": len(trace.events),
                "events": annotate.obs_of(trace, index),
                "candidates": tasks,
                "answer": previous,
            }
        )

    async def api_annotate(request: Request) -> JSONResponse:
        data = await body(request)
        annotator = _annotator(data.get("annotator"))
        trace, index = _trace_step(data.get("trace"), data.get("step"))
        tasks = await run_in_threadpool(annotate.candidates_at, trace, index, settings.drafter)
        accepted, needed = data.get("accepted"), data.get("help_needed")
        if not isinstance(accepted, list) or not all(isinstance(a, bool) for a in accepted):
            raise _Problem(400, "accepted must be a list of true/false, one per candidate")
        if len(accepted) != len(tasks):
            raise _Problem(400, f"{len(accepted)} ticks for {len(tasks)} candidate tasks")
        if not isinstance(needed, bool):
            raise _Problem(400, "help_needed must be true or false")
        answer = annotate.Answer(
            trace=trace.name,
            step=index,
            candidates=tasks,
            accepted=accepted,
            help_needed=needed,
            obs=annotate.obs_of(trace, index),
        )
        try:
            await run_in_threadpool(store.save, annotator, answer)
        except annotate.AnnotationError as err:
            raise _Problem(400, str(err)) from None
        return JSONResponse({"saved": True, "annotator": annotator})

    async def api_rows(request: Request) -> Response:
        try:
            rows = await run_in_threadpool(store.rows)
        except annotate.AnnotationError as err:
            raise _Problem(400, str(err)) from None
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        return PlainTextResponse(
            text,
            media_type="application/x-ndjson",
            headers={**_SECURITY_HEADERS, "Content-Disposition": "attachment; filename=rows.jsonl"},
        )

    async def favicon(request: Request) -> Response:
        return Response(FAVICON, media_type="image/svg+xml", headers=_SECURITY_HEADERS)

    async def problem(request: Request, exc: Exception) -> JSONResponse:
        status = exc.status if isinstance(exc, _Problem) else 500
        return JSONResponse({"error": str(exc)}, status_code=status)

    return Starlette(
        routes=[
            Route("/", inbox_page),
            Route("/annotate", annotate_page),
            Route("/favicon.svg", favicon),
            Route("/favicon.ico", favicon),  # browsers ask for it whatever the page links
            Route("/api/pending", api_pending),
            Route("/api/answer", api_answer, methods=["POST"]),
            Route("/api/history", api_history),
            Route("/files/{path:path}", workspace_file),
            Route("/api/traces", api_traces),
            Route("/api/step", api_step),
            Route("/api/annotate", api_annotate, methods=["POST"]),
            Route("/api/annotations/rows.jsonl", api_rows),
        ],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))],
        exception_handlers={_Problem: problem},
    )


def _workspace_text(folder: Path, relative: str) -> str:
    """A workspace file's text for `GET /files/...`: 400 for a name that cannot be a file
    (NUL), 404 for anything that is not a regular file inside the workspace (out of it, a
    link loop, a folder, a device), 413 past :data:`MAX_FILE_BYTES`."""
    if "\x00" in relative:
        raise _Problem(400, "a file name cannot hold a NUL character")
    missing = _Problem(404, f"no file {relative!r:.200} in the workspace")
    try:
        target = (folder / relative).resolve(strict=True)
        if not target.is_relative_to(folder.resolve()) or not target.is_file():
            raise missing
        with target.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # bounded, whatever the file grew to
    except (OSError, RuntimeError, ValueError):  # a link loop, a name too long, unreadable
        raise missing from None
    if len(data) > MAX_FILE_BYTES:
        raise _Problem(413, f"{relative!r:.200} is too large to show")
    return data.decode("utf-8", errors="replace")


def _annotator(value: Any) -> str:
    try:
        return annotate.check_annotator(value)
    except annotate.AnnotationError as err:
        raise _Problem(400, str(err)) from None


_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""No framing, no scripts or connections to anywhere else."""
