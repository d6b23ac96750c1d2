"""Test doubles that keep the real code paths: a local server speaking the OpenAI
chat-completions API (so `ChatOpenAI` and the `openai` client really run), and fake LangChain
chat models that can also be bound to tools."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

Responder = Callable[[dict[str, Any]], dict[str, Any]]
"""Maps a chat-completions request body to an assistant message ({content} or {tool_calls})."""


class OpenAICompatibleServer:
    """A chat-completions endpoint on 127.0.0.1 answering with a responder function."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                server.requests.append(body)
                message = {"role": "assistant", "content": None, **server.responder(body)}
                finish = "tool_calls" if message.get("tool_calls") else "stop"
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

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

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
