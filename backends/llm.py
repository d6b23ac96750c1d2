"""Language-model backends: build a LangChain chat model from a backend setting, and get a
reply parsed into a schema, retrying with the parse error shown to the model.

A backend setting is one of:
- ``local``: the embedded CPU models (handled by the role modules, not here);
- ``provider:model``: anything ``init_chat_model`` knows, e.g. ``openai:gpt-4o-mini``;
  ``openai:`` also reaches any OpenAI-compatible server (vLLM, Ollama, llama.cpp) through
  ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``;
- ``custom:name``: a chat model object registered with :func:`register_chat_model`.
"""

from __future__ import annotations

import json
import os
import threading
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.utils.json import parse_json_markdown
from pydantic import BaseModel, ValidationError

from backends.schema import ModelOutputError

T = TypeVar("T", bound=BaseModel)

_registered: dict[str, BaseChatModel] = {}
_built: dict[str, BaseChatModel] = {}
_lock = threading.Lock()


def is_local(spec: str) -> bool:
    """True when a backend setting names the embedded models."""
    return spec.strip().lower() in ("", "local")


def register_chat_model(name: str, model: BaseChatModel) -> None:
    """Make a chat model object available as the backend ``custom:<name>``."""
    if not name:
        raise ValueError("a registered chat model needs a non-empty name")
    with _lock:
        _registered[name] = model


def local_only_requested() -> bool:
    """Whether this run asks for local models only: the ``local_only`` setting of the graph run
    being executed, else the environment variable ``PROACTIVE_LOCAL_ONLY``."""
    from graphs.context import Context  # noqa: PLC0415 - keeps this module's imports light

    context = None
    try:
        from langgraph.runtime import get_runtime  # noqa: PLC0415

        context = get_runtime().context
    except Exception:  # noqa: BLE001 - outside a graph run there is no runtime
        context = None
    if isinstance(context, dict):
        context = Context(**{k: v for k, v in context.items() if k == "local_only"})
    value = getattr(context, "local_only", None)
    return bool(Context().local_only if value is None else value)


def chat_model(spec: str, *, local_only: bool | None = None) -> BaseChatModel:
    """The chat model named by a backend setting (built once per process).

    With ``local_only`` (by default: :func:`local_only_requested`) every backend is refused
    with a ValueError: the embedded models are not chat models, so any chat model here could
    send the events to a remote service.
    """
    spec = spec.strip()
    if local_only if local_only is not None else local_only_requested():
        raise ValueError(
            f"local_only is set: backend {spec!r} would send data to a remote model "
            "(use the 'local' backend, or unset local_only / PROACTIVE_LOCAL_ONLY)"
        )
    if spec.startswith("custom:"):
        name = spec.removeprefix("custom:")
        try:
            return _registered[name]
        except KeyError:
            known = ", ".join(sorted(_registered)) or "none"
            raise ValueError(
                f"backend {spec!r}: no chat model registered as {name!r} (registered: {known})"
            ) from None
    if ":" not in spec:
        raise ValueError(
            f"backend {spec!r} is not 'local', 'provider:model' (e.g. openai:gpt-4o-mini) "
            "or 'custom:name'"
        )
    # The endpoint is part of the identity: the same model name on another server is another model.
    key = f"{spec}@{os.environ.get('OPENAI_BASE_URL', '')}"
    with _lock:
        if key not in _built:
            from langchain.chat_models import init_chat_model  # noqa: PLC0415 - slow import

            # The client's own retries handle transport errors (429, 5xx, timeouts) with backoff.
            _built[key] = init_chat_model(spec, temperature=0, max_retries=3, timeout=60)
        return _built[key]


def structured_reply(
    model: BaseChatModel,
    messages: list[BaseMessage],
    schema: type[T],
    *,
    role: str,
    max_retries: int,
) -> T:
    """Ask ``model`` and parse its reply as a JSON object of ``schema``.

    A reply that is not valid JSON of the schema is sent back with the error, up to
    ``max_retries`` times; then :class:`ModelOutputError` is raised. Transport errors raise
    :class:`ModelOutputError` at once (the client already retried them).
    """
    conversation = list(messages)
    error = "no reply"
    for attempt in range(max_retries + 1):
        try:
            reply = model.invoke(conversation)
        except Exception as exc:  # noqa: BLE001 - any client failure becomes a recorded failure
            raise ModelOutputError(role, f"{type(exc).__name__}: {exc}", attempt + 1) from exc
        text = reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
        try:
            data = parse_json_markdown(text)
            if not isinstance(data, dict):
                raise ValueError(f"expected a JSON object, got {type(data).__name__}")
            return schema.model_validate(data)
        except (ValueError, ValidationError, json.JSONDecodeError) as exc:
            error = _short_error(exc)
            conversation += [
                AIMessage(content=text),
                HumanMessage(
                    content=f"That reply could not be used: {error}. Answer again with only the "
                    "JSON object in the required format."
                ),
            ]
    raise ModelOutputError(role, f"malformed reply: {error}", max_retries + 1)


def _short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = [
            f"field {'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
            for e in exc.errors()
        ]
        return "; ".join(parts)
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
