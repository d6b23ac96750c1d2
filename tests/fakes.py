"""Test doubles that keep the real code paths: a local server speaking the OpenAI
chat-completions API (so `ChatOpenAI` and the `openai` client really run), with faults that can
be injected (HTTP errors, slow or unreadable replies), and fake LangChain chat models that can
also be bound to tools."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

Responder = Callable[[dict[str, Any]], dict[str, Any]]
"""Maps a chat-completions request body to an assistant message ({content} or {tool_calls})."""


@dataclass(frozen=True)
class Fault:
    """One injected failure of :class:`OpenAICompatibleServer`, for one request."""

    status: int = 0
    """Answer with this HTTP status and an OpenAI error body (e.g. 500, 429)."""
    retry_after: float | None = None
    """With ``status``: the ``Retry-After`` header, in seconds."""
    delay: float = 0.0
    """Sleep this long before answering (to outlast a client's timeout)."""
    body: bytes | None = None
    """Answer 200 with this raw body (e.g. an HTML error page instead of JSON)."""
    content: str | None = None
    """Answer normally, but with this assistant content (malformed JSON, wrong fields)."""
    finish_reason: str | None = None
    """With ``content``: the choice's finish reason (e.g. "length": cut at the token limit)."""
    when: Callable[[dict[str, Any]], bool] | None = None
    """Only a request this accepts takes the fault (None: any request)."""


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


class OpenAICompatibleServer:
    """A chat-completions endpoint on 127.0.0.1 answering with a responder function.

    :meth:`inject` queues faults: each request takes the first queued fault whose ``when``
    accepts it. Every request is recorded (``requests``, with its arrival in ``arrivals``), the
    faulted ones too.
    """

    def __init__(
        self,
        responder: Responder,
        *,
        refused_formats: frozenset[str] = frozenset(),
        refusal_status: int = 400,
    ) -> None:
        self.responder = responder
        self.refused_formats = refused_formats
        """``response_format`` types answered with ``refusal_status`` (as a server that does
        not support them: OpenAI answers 400, llama-cpp-python's server 500)."""
        self.refusal_status = refusal_status
        self.requests: list[dict[str, Any]] = []
        self.arrivals: list[float] = []
        """``time.monotonic()`` at each request's arrival."""
        self.faults: list[Fault] = []
        self._faults_lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                server.requests.append(body)
                server.arrivals.append(time.monotonic())
                kind = (body.get("response_format") or {}).get("type")
                if kind in server.refused_formats:
                    message = f"response_format: type {kind!r} is not supported"
                    self._send(server.refusal_status, {"error": {"message": message}})
                    return
                fault = server._take_fault(body)
                if fault is not None and fault.delay:
                    time.sleep(fault.delay)
                if fault is not None and fault.status:
                    headers = {}
                    if fault.retry_after is not None:
                        headers["Retry-After"] = f"{fault.retry_after:g}"
                    error = {"message": f"injected HTTP {fault.status}", "type": "server_error"}
                    self._send(fault.status, {"error": error}, headers)
                    return
                if fault is not None and fault.body is not None:
                    self._send_raw(200, fault.body, {})
                    return
                if fault is not None and fault.content is not None:
                    reply: dict[str, Any] = {"content": fault.content}
                else:
                    reply = server.responder(body)
                message = {"role": "assistant", "content": None, **reply}
                finish = "tool_calls" if message.get("tool_calls") else "stop"
                if fault is not None and fault.finish_reason:
                    finish = fault.finish_reason
                self._send(
                    200,
                    {
                        "id": f"chatcmpl-{len(server.requests)}",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body.get("model", "test-model"),
                        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                    },
                )

            def _send(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                self._send_raw(status, json.dumps(payload).encode(), headers or {})

            def _send_raw(self, status: int, data: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timed out) before the answer

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def inject(self, fault: Fault, times: int = 1) -> None:
        """Queue ``fault`` for the next ``times`` requests it applies to."""
        with self._faults_lock:
            self.faults.extend([fault] * times)

    def _take_fault(self, body: dict[str, Any]) -> Fault | None:
        with self._faults_lock:
            for i, fault in enumerate(self.faults):
                if fault.when is None or fault.when(body):
                    return self.faults.pop(i)
        return None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> OpenAICompatibleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def tool_call(name: str, args: dict[str, Any], call_id: str = "call_1") -> dict[str, Any]:
    """An assistant message (OpenAI wire format) that calls one tool."""
    return {
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
        ]
    }


def agent_json(task: str | None, purpose: str = "Working on something") -> str:
    """A reply in the paper's agent format."""
    return json.dumps(
        {
            "Purpose": purpose,
            "Thoughts": "Thinking about whether to help.",
            "Proactive Task": task,
            "Response": "" if task is None else f"Shall I {task[0].lower()}{task[1:]}?",
        }
    )


def judge_json(accepted: bool, reason: str = "") -> str:
    """A reply in the judge format."""
    return json.dumps({"accepted": accepted, "reason": reason or ("fits" if accepted else "no")})


class ScriptedChatModel(GenericFakeChatModel):
    """Replies from a list, records every conversation it was shown, and can be bound to
    tools (the tool-calling replies are AIMessages with `tool_calls` in the script)."""

    seen: list[list[Any]] = []

    def __init__(self, replies: list[str | AIMessage]) -> None:
        messages = iter([r if isinstance(r, AIMessage) else AIMessage(content=r) for r in replies])
        super().__init__(messages=messages)
        self.seen = []

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:  # noqa: A002
        self.seen.append(list(input))
        return super().invoke(input, config, **kwargs)

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
        return self
